"""`retrogen report`: the 《复盘报告》 of a review, a team's period or every team's period, as a document."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import click

from retrogen.cli.base import cli, get_config, load_analysis, write_output
from retrogen.cli.options import PERIOD, force_option, lang_option, no_git_option, output_option, today_option
from retrogen.cli.tables import document_format
from retrogen.core.periods import Period
from retrogen.core.printable import printable
from retrogen.formats.urls import SiteUrls
from retrogen.report.content import Report, ReportBuilder
from retrogen.report.writers import WRITERS, write_report


@cli.command()
@click.argument("review_id", metavar="[REVIEW-ID]", required=False)
@click.option("--team", help="With --period: this team's reviews in the period, after a one-page summary.")
@click.option(
    "--period",
    type=PERIOD,
    metavar="LABEL",
    help="2026-Q3, 2026-10, 2026-H2 or 2026: a summary of every team's reviews in the period (or, with "
    "--team, of one team's).",
)
@output_option("Write this file (atomically); its suffix chooses the format: .docx, .md or .html.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(list(WRITERS)),
    help="The format, whatever the file's suffix (without -o: md or html, printed).",
)
@force_option
@lang_option("Language of a period's summary (default: the site's); a review's report speaks its own.")
@no_git_option
@today_option()
@click.pass_context
def report(
    ctx: click.Context,
    *,
    review_id: str | None,
    team: str | None,
    period: Period | None,
    output: Path | None,
    fmt: str | None,
    force: bool,
    lang: str | None,
    no_git: bool,
    today: date,
) -> None:
    """Write the 《复盘报告》 that goes to management: KPIs with red/amber/green marks, the largest gaps,
    root causes, lessons and the action plan with each action's state.

    \b
    Example:
        retrogen report 2026-q3-east-sales -o 2026-q3-east-sales.docx
        retrogen report --team 华东销售部 --period 2026-Q3 -o 华东-2026-Q3.docx
        retrogen report --period 2026-Q3 -o 2026-Q3.html       # every team: KPIs, overdue actions, causes
    """
    if review_id and (team or period):
        raise click.UsageError("name a review, or a --period (with or without --team), not both")
    if team and not period:
        raise click.UsageError("--team needs a --period, e.g. --team 华东销售部 --period 2026-Q3")
    if not review_id and not period:
        raise click.UsageError("name a review (retrogen report 2026-q3-east-sales) or a --period")
    chosen = document_format(output, fmt, tuple(WRITERS))
    builder = ReportBuilder(load_analysis(ctx, today, use_git=not no_git), SiteUrls.of(get_config(ctx).mkdocs))
    if review_id:
        one = builder.review(review_id)
        document = Report(one.language, (one,))
    else:
        assert period is not None  # the checks above
        document = builder.period(period, team, lang or get_config(ctx).language)
    content = write_report(document, chosen)
    if output is None:
        click.echo(content, nl=False)
        return
    write_output(output, content, force=force)
    click.echo(f"Wrote {printable(output)}", err=True)
