"""`retrogen report`: the 《复盘报告》 of a review, a team's period or every team's period, as a document."""

from __future__ import annotations

from pathlib import Path

import click

from retrogen.cli.base import cli, get_config, today_option, write_output
from retrogen.cli.reports import document_format, force_option, load_analysis, no_git_option
from retrogen.core.errors import RetrogenError
from retrogen.core.periods import parse_label
from retrogen.core.printable import printable
from retrogen.formats.urls import SiteUrls
from retrogen.gate.vocabulary import LANGUAGES
from retrogen.report.content import Report, ReportBuilder, ReportError
from retrogen.report.writers import WRITERS, write_report


@cli.command()
@click.argument("review_id", metavar="[REVIEW-ID]", required=False)
@click.option("--team", help="With --period: this team's reviews in the period, after a one-page summary.")
@click.option(
    "--period",
    "period_label",
    metavar="LABEL",
    help="2026-Q3, 2026-10, 2026-H2 or 2026: a summary of every team's reviews in the period (or, with "
    "--team, of one team's).",
)
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write this file (atomically); its suffix chooses the format: .docx, .md or .html.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(WRITERS)),
    help="The format, whatever the file's suffix (without -o: md or html, printed).",
)
@force_option
@click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help="Language of a period's summary (default: the site's); a review's report speaks its own.",
)
@no_git_option
@today_option
@click.pass_context
def report(
    ctx: click.Context,
    review_id: str | None,
    team: str | None,
    period_label: str | None,
    output: Path | None,
    fmt: str | None,
    force: bool,
    lang: str | None,
    no_git: bool,
    today: str | None,
) -> None:
    """Write the 《复盘报告》 that goes to management: KPIs with red/amber/green marks, the largest gaps,
    root causes, lessons and the action plan with each action's state.

    \b
    Example:
        retrogen report 2026-q3-east-sales -o 2026-q3-east-sales.docx
        retrogen report --team 华东销售部 --period 2026-Q3 -o 华东-2026-Q3.docx
        retrogen report --period 2026-Q3 -o 2026-Q3.html       # every team: KPIs, overdue actions, causes
    """
    if review_id and (team or period_label):
        raise click.UsageError("name a review, or a --period (with or without --team), not both")
    if team and not period_label:
        raise click.UsageError("--team needs a --period, e.g. --team 华东销售部 --period 2026-Q3")
    if not review_id and not period_label:
        raise click.UsageError("name a review (retrogen report 2026-q3-east-sales) or a --period")
    if period_label:
        try:
            parse_label(period_label)
        except RetrogenError as exc:
            raise click.BadParameter(str(exc), param_hint="--period") from None
    chosen = document_format(output, fmt, tuple(WRITERS))
    analysis = load_analysis(ctx, today, no_git)
    builder = ReportBuilder(analysis, SiteUrls.of(get_config(ctx).mkdocs))
    try:
        if review_id:
            one = builder.review(review_id)
            document = Report(one.language, (one,))
        else:
            document = builder.period(period_label or "", team, lang or get_config(ctx).language)
    except ReportError as exc:
        raise click.ClickException(str(exc)) from None
    content = write_report(document, chosen)
    if output is None:
        click.echo(content, nl=False)
        return
    write_output(output, content, force)
    click.echo(f"Wrote {printable(output)}", err=True)
