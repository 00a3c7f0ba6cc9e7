"""The pull-request gate: `check`, `new` and `schema`."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import click

from retrogen import __version__
from retrogen.cli.base import cli, get_config, use_cache, use_color
from retrogen.cli.options import COMMA_LIST, DAY, PERIOD, lang_option, today_option
from retrogen.core.bulk import bulk_loading
from retrogen.core.periods import Period
from retrogen.core.printable import printable
from retrogen.gate.check import CheckOptions, check_paths, open_index
from retrogen.gate.glossary import team_hint
from retrogen.gate.reporters import REPORTERS, github_summary, text_report
from retrogen.gate.schema import schema_path
from retrogen.gate.vocabulary import KINDS


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(sorted(REPORTERS)),
    default="text",
    show_default=True,
    help="text for people, github for workflow annotations, gitlab for a Code Quality report "
    "(artifacts: reports: codequality), json for machines.",
)
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@click.option(
    "--only-reviews",
    is_flag=True,
    help="Skip named files outside the reviews folder (the pre-commit hook passes every changed YAML file).",
)
@today_option()
@click.pass_context
def check(
    ctx: click.Context, *, paths: tuple[Path, ...], fmt: str, strict: bool, only_reviews: bool, today: date
) -> None:
    """Check review files (default: the knowledge base's reviews/ folder).

    Exits 1 when any review has an error (or a warning, with --strict). A named file outside the reviews
    folder is checked as a draft, unless --only-reviews skips it.

    \b
    Example:
        retrogen check
        retrogen check reviews/2026-q3-east-sales.yaml --format github
        retrogen check --format gitlab > gl-code-quality-report.json
        retrogen check --only-reviews mkdocs.yml reviews/2026-q3-east-sales.yaml
    """
    config = get_config(ctx, needs="nothing" if paths else "reviews")  # named files are judged anywhere
    options = CheckOptions.of(config, today)
    folder = config.reviews_dir.resolve()
    named = [path for path in paths if not only_reviews or path.resolve().is_relative_to(folder)]
    index = open_index(config, options, cache=use_cache(ctx))
    try:
        with bulk_loading():  # the reviews read live until the command ends
            result = check_paths(
                named if paths else [config.reviews_dir], options, reviews_dir=config.reviews_dir, index=index
            )
    finally:
        if index is not None:
            index.close()
    for notice in result.notices:
        click.echo(f"notice: {printable(notice)}", err=True)
    click.echo(text_report(result, color=use_color()) if fmt == "text" else REPORTERS[fmt](result))
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if fmt == "github" and summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(github_summary(result))
    ctx.exit(1 if result.failed(strict=strict) else 0)


@cli.command()
@click.argument("review_id", metavar="ID")
@click.option("--kind", type=click.Choice(KINDS), default="periodic", show_default=True)
@lang_option("Language of the guidance (default: the site's).")
@click.option("--team", help="The team the review is about: pre-fills its metrics and carries its open actions.")
@click.option(
    "--period",
    type=PERIOD,
    metavar="LABEL",
    help="The period, e.g. 2027-Q1, 2027-03, 2027-H1 or 2027 (default with --team: the one after the "
    "team's latest periodic review).",
)
@click.option(
    "--tags",
    type=COMMA_LIST,
    default="",
    metavar="A,B",
    help="The review's theme tags, comma-separated; the past lessons most "
    "related to the team and these tags are printed, so that the meeting starts from them.",
)
@today_option(
    "Today, for the actions still open and the default meeting day (default: the real date; env RETROGEN_TODAY)."
)
@click.option(
    "--held-on",
    type=DAY,
    metavar="YYYY-MM-DD",
    help="The day of the review meeting, written as held_on (default: "
    "today, or the first working day after the period when it has not ended by today).",
)
@click.pass_context
def new(
    ctx: click.Context,
    *,
    review_id: str,
    kind: str,
    lang: str | None,
    team: str | None,
    period: Period | None,
    tags: tuple[str, ...],
    today: date,
    held_on: date | None,
) -> None:
    """Start a review: write reviews/ID.yaml from the template, never over an existing file.

    \b
    Example:
        retrogen new 2027-q1-east-sales --lang zh --team 华东销售部 --period 2027-Q1
        retrogen new 2027-q1-east-sales --team 华东销售部 --tags 客户维护,定价
    """
    from retrogen.kb.new import meeting_day, new_review  # Jinja: only `new` needs it, `check` must start fast

    config = get_config(ctx, needs="mkdocs.yml")  # the reviews folder is made with the first review
    hint = team_hint(team, config.teams) if team and config.teams is not None else None
    if hint:
        raise click.BadParameter(
            f"{team!r} is not in the team list (extra.retrogen.teams in {config.config_file}); {hint}",
            param_hint="--team",
        )
    path, prefill = new_review(config, review_id, kind, lang or config.language, team, today, period, tags, held_on)
    if prefill.source or prefill.carried:
        source = f"{len(prefill.metrics)} metrics from {prefill.source.id}" if prefill.source else "no metrics"
        click.echo(f"Pre-filled {source} and carried {len(prefill.carried)} open actions forward.")
    click.echo(printable(f"Wrote {path}. Fill in every TODO, then run: retrogen check {path}"))
    meeting = meeting_day(today, prefill.period)
    if held_on is None and prefill.period and meeting != today:
        click.echo(
            f"held_on is {meeting}, the first working day after {prefill.period.label}: a period is "
            "reviewed once it is over; write the meeting's day if it differs."
        )
    if tags:
        click.echo(
            "Related past lessons, to start the meeting from:"
            if prefill.lessons
            else "No past lesson relates to this team and these tags yet."
        )
        for match in prefill.lessons:
            click.echo(printable(f"  {match.review}:{match.item}  {match.text}"))


@cli.command()
@click.option(
    "--check",
    "check_copy",
    is_flag=True,
    help="Compare the knowledge base's schema/review.schema.json with this retrogen's; exit 1 when it "
    "differs or is missing (`retrogen init --upgrade` refreshes it).",
)
@click.pass_context
def schema(ctx: click.Context, *, check_copy: bool) -> None:
    """Print the review format's JSON Schema.

    \b
    Example:
        retrogen schema > review.schema.json
        retrogen schema --check
    """
    installed = schema_path().read_text(encoding="utf-8")
    if not check_copy:
        click.echo(installed, nl=False)
        return
    copy = get_config(ctx, needs="mkdocs.yml").schema_copy
    try:
        same = copy.read_text(encoding="utf-8") == installed
    except (OSError, UnicodeDecodeError):
        same = False
    if not same:
        click.echo(
            f"{printable(copy)} is missing or differs from the schema of retrogen {__version__}: editors "
            "judge reviews by another format than check does; run `retrogen init --upgrade`"
        )
        ctx.exit(1)
    click.echo(f"{printable(copy)} is the schema of retrogen {__version__}.")
