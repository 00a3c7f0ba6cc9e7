"""Reports over the whole knowledge base: `metrics`, `actions` and `playbook`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import click
import pandas as pd

from retrogen.cli.base import cli, get_config, parse_today, today_option, write_output
from retrogen.core.errors import RetrogenError
from retrogen.core.printable import printable
from retrogen.engine.actions import GROUPS, STATUS_FILTERS, action_summary, filter_actions, follow_up_order
from retrogen.engine.analysis import Analysis, analyse
from retrogen.engine.history import weekly_series
from retrogen.engine.metrics import metrics_summary
from retrogen.engine.playbook import playbook_markdown
from retrogen.formats.documents import to_docx
from retrogen.formats.labels import labels
from retrogen.formats.tables import FORMATS, formatted, to_excel_csv, to_json, with_titles
from retrogen.gate.vocabulary import LANGUAGES
from retrogen.report.playbook import playbook_blocks
from retrogen.report.writers import format_of

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people, csv for a spreadsheet, json for programs (English keys).",
)
table_lang_option = click.option(
    "--lang",
    type=click.Choice(LANGUAGES),
    help="Language of the headers and words of tables, CSV and Excel files (default: "
    "the site's); JSON keeps its keys and codes.",
)
wide_option = click.option(
    "--wide", is_flag=True, help="Every column in the table (default: the most telling that fit 100 columns)."
)
output_option = click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write a file instead of printing; its suffix chooses the format: .xlsx (an Excel workbook of every "
    "table), .csv (this table, for Excel) or .json.",
)
force_option = click.option("--force", is_flag=True, help="Replace the output file if it exists.")
raw_option = click.option(
    "--raw",
    is_flag=True,
    help="CSV for programs: text as written. Without it, text a spreadsheet would run as a formula (=, +, -, @) "
    "starts with an apostrophe, printed or in a file.",
)
PLAYBOOK_FORMATS = ("md", "docx")
no_git_option = click.option("--no-git", is_flag=True, help="Ignore git history; use `updates` alone.")


def load_analysis(ctx: click.Context, today: str | None, no_git: bool = False) -> Analysis:
    """The knowledge base analysed as of `today`, its notices (git history left out…) said on stderr."""
    analysis = analyse(get_config(ctx), parse_today(today), use_git=not no_git)
    for notice in analysis.notices:
        click.echo(f"notice: {printable(notice)}", err=True)
    return analysis


@dataclass(frozen=True)
class Shown:
    """How tables reach people: in which language, every column or those that fit, and the reviews' titles
    to write beside their ids."""

    language: str
    wide: bool
    titles: dict[str, str]
    raw: bool = False  # CSV text as written, formulas included, for programs

    @classmethod
    def of(cls, ctx: click.Context, analysis: Analysis, lang: str | None, wide: bool, raw: bool) -> Shown:
        return cls(
            lang or get_config(ctx).language,
            wide,
            {review.id: review.title for review in analysis.knowledge_base.reviews},
            raw,
        )


def emit(
    frame: pd.DataFrame,
    fmt: str,
    output: Path | None,
    force: bool,
    workbook: Callable[[], dict[str, pd.DataFrame]],
    shown: Shown,
) -> None:
    """Print `frame` in `fmt`, or write it to the file `output` in the format its suffix names: .xlsx (the
    workbook's sheets, computed only then), .csv (for Excel: UTF-8 with a byte order mark) or .json. Tables,
    CSV and Excel are for people: in `shown.language`, with each review's title; JSON is as computed."""
    people = with_titles(frame, shown.titles)
    if output is None:
        click.echo(
            formatted(frame if fmt == "json" else people, fmt, shown.language, shown.wide, shown.raw).rstrip("\n")
        )
        return
    suffix = output.suffix.lower()
    if suffix == ".xlsx":
        from retrogen.formats.excel import to_xlsx  # openpyxl is imported only when a workbook is written

        sheets = {name: with_titles(sheet, shown.titles) for name, sheet in workbook().items()}
        write_output(output, to_xlsx(sheets, shown.language), force)
        click.echo(f"Wrote {printable(output)} ({', '.join(sheets)})", err=True)
        return
    if suffix not in {".csv", ".json"}:
        raise click.BadParameter(
            "name an .xlsx (every table, one sheet each), .csv or .json file", param_hint="--output"
        )
    write_output(
        output, to_excel_csv(people, shown.raw, shown.language) if suffix == ".csv" else to_json(frame) + "\n", force
    )
    click.echo(f"Wrote {printable(output)} ({len(frame)} rows)", err=True)


def document_format(output: Path | None, fmt: str | None, formats: Sequence[str]) -> str:
    """The format of a document (report, playbook): `fmt`, else the one the suffix of `output` names; printed
    without -o, Markdown unless `fmt` says otherwise, never Word."""
    if output is not None:
        try:
            return format_of(output, fmt, formats)
        except RetrogenError as exc:
            raise click.BadParameter(str(exc), param_hint="--output") from None
    if fmt == "docx":
        raise click.UsageError("a .docx is written to a file: add -o FILE")
    return fmt or "md"


@cli.command()
@click.option("--by", type=click.Choice(["team", "period"]), help="Summarise per team or per period.")
@click.option("--funnel", is_flag=True, help="Funnel stages with conversion from stage to stage.")
@click.option("--causes", is_flag=True, help="Root causes by fishbone factor, Pareto order.")
@click.option("--lessons", is_flag=True, help="Lessons counted by tag and type.")
@click.option("--themes", is_flag=True, help="Tags and factors, and whether they recur across teams or periods.")
@format_option
@raw_option
@wide_option
@table_lang_option
@output_option
@force_option
@today_option
@click.pass_context
def metrics(
    ctx: click.Context,
    by: str | None,
    funnel: bool,
    causes: bool,
    lessons: bool,
    themes: bool,
    fmt: str,
    raw: bool,
    wide: bool,
    lang: str | None,
    output: Path | None,
    force: bool,
    today: str | None,
) -> None:
    """Metrics of every review: achievement against target and change against the previous period.

    \b
    Example:
        retrogen metrics --by team
        retrogen metrics --funnel --format csv
        retrogen metrics -o metrics.xlsx
        retrogen metrics --by team -o by-team.csv      # opens right in Excel
    """
    if sum([by is not None, funnel, causes, lessons, themes]) > 1:
        raise click.UsageError("choose one of --by, --funnel, --causes, --lessons, --themes")
    analysis = load_analysis(ctx, today, no_git=True)
    if by:
        frame = metrics_summary(analysis.metrics, by)
    elif funnel:
        frame = analysis.funnel
    elif causes:
        frame = analysis.causes
    elif lessons:
        frame = analysis.lessons_by_tag
    elif themes:
        frame = analysis.themes
    else:
        frame = analysis.metrics
    emit(
        frame,
        fmt,
        output,
        force,
        lambda: {
            "metrics": analysis.metrics,
            "funnel": analysis.funnel,
            "funnel overall": analysis.funnel_overall,
            "root causes": analysis.causes,
            "lessons by tag": analysis.lessons_by_tag,
            "themes": analysis.themes,
        },
        Shown.of(ctx, analysis, lang, wide, raw),
    )


@cli.command()
@click.option("--owner", help="Only this owner's actions.")
@click.option("--team", help="Only this team's actions.")
@click.option(
    "--status",
    type=click.Choice(STATUS_FILTERS),
    help="Only actions in this state (open includes overdue; carried: continued in a later review) or "
    "with this status.",
)
@click.option("--overdue", is_flag=True, help="Only overdue actions.")
@click.option("--by", type=click.Choice(GROUPS), help="Counts, completion and on-time rates per group.")
@click.option("--weekly", is_flag=True, help="Open, overdue and done actions per week.")
@click.option("--history", "history_of", metavar="REVIEW:ID", help="One action's dated status history.")
@format_option
@raw_option
@wide_option
@table_lang_option
@output_option
@force_option
@no_git_option
@today_option
@click.pass_context
def actions(
    ctx: click.Context,
    owner: str | None,
    team: str | None,
    status: str | None,
    overdue: bool,
    by: str | None,
    weekly: bool,
    history_of: str | None,
    fmt: str,
    raw: bool,
    wide: bool,
    lang: str | None,
    output: Path | None,
    force: bool,
    no_git: bool,
    today: str | None,
) -> None:
    """The action tracker: the weekly follow-up list, overdue first, then by due date.

    \b
    Example:
        retrogen actions --overdue
        retrogen actions --owner 张伟 --format csv
        retrogen actions --by owner
        retrogen actions --history 2026-q3-east-sales:A2
        retrogen actions --owner 张伟 -o 张伟.xlsx     # the filters apply to every sheet
    """
    analysis = load_analysis(ctx, today, no_git)
    table = filter_actions(analysis.actions, owner=owner, team=team, status=status, overdue=overdue)
    filtered = bool(owner or team or status or overdue)

    def weekly_counts() -> pd.DataFrame:
        """Per week, of the actions the filters kept: a workbook's sheets all show the same actions."""
        return _weekly(analysis, table) if filtered else analysis.weekly

    def workbook() -> dict[str, pd.DataFrame]:
        groups = dict.fromkeys(["owner", "team", by or "owner"])  # the --by asked for gets a sheet too
        return {
            "actions": follow_up_order(table),
            **{f"by {g}": action_summary(table, g) for g in groups},
            "weekly": weekly_counts(),
        }

    shown = Shown.of(ctx, analysis, lang, wide, raw)
    if history_of:
        history = _history(analysis, history_of)
        emit(history, fmt, output, force, lambda: {"history": history}, shown)
    elif weekly:
        emit(weekly_counts(), fmt, output, force, workbook, shown)
    else:
        emit(action_summary(table, by) if by else follow_up_order(table), fmt, output, force, workbook, shown)


def _weekly(analysis: Analysis, table: pd.DataFrame) -> pd.DataFrame:
    """Open, overdue and done per week, counting only the actions in `table` (those the filters kept)."""
    keys = set(zip(table["review"], table["id"], strict=True))
    histories = {key: events for key, events in analysis.histories.items() if key in keys}
    return weekly_series(analysis.knowledge_base.reviews, histories, analysis.today)


def _history(analysis: Analysis, wanted: str) -> pd.DataFrame:
    review_id, _, action_id = wanted.rpartition(":")
    keys = [key for key in analysis.histories if key[1] == action_id and (not review_id or key[0] == review_id)]
    if len(keys) != 1:
        known = ", ".join(f"{r}:{a}" for r, a in keys) if keys else "none"
        raise click.BadParameter(
            f"{wanted!r} names {len(keys)} actions (matches: {known}); write REVIEW:ID", param_hint="--history"
        )
    events = analysis.histories[keys[0]]
    return pd.DataFrame(
        [{"date": e.date, "status": e.status, "source": e.source, "commit": e.commit, "note": e.note} for e in events],
        columns=["date", "status", "source", "commit", "note"],
    )


@cli.command()
@click.option(
    "--output",
    "-o",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write this file (atomically) instead of printing; its suffix chooses the format: .md or .docx.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(PLAYBOOK_FORMATS),
    help="The format, whatever the file's suffix (without -o: md, printed).",
)
@force_option
@click.option("--lang", type=click.Choice(LANGUAGES), help="Language of the labels (default: the site's).")
@no_git_option
@today_option
@click.pass_context
def playbook(
    ctx: click.Context,
    output: Path | None,
    fmt: str | None,
    force: bool,
    lang: str | None,
    no_git: bool,
    today: str | None,
) -> None:
    """The playbook: lessons from every review merged into practices by theme, as one Markdown or Word
    document.

    \b
    Example:
        retrogen playbook -o playbook.md
        retrogen playbook -o playbook.docx        # the same playbook for Word
    """
    chosen = document_format(output, fmt, PLAYBOOK_FORMATS)
    analysis = load_analysis(ctx, today, no_git)
    language = lang or get_config(ctx).language
    content: str | bytes
    if chosen == "docx":
        footer = f"{labels(language)['playbook']} · {labels(language)['as_of']} {analysis.today}"
        content = to_docx(playbook_blocks(analysis.playbook, language, analysis.today), language, footer)
    else:
        content = playbook_markdown(analysis.playbook, language, analysis.today)
    if output is None:
        click.echo(content, nl=False)
    else:
        write_output(output, content, force)
        click.echo(f"Wrote {printable(output)}", err=True)
