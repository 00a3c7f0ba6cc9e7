"""Reports over the whole knowledge base: `metrics`, `actions` and `playbook`."""

from __future__ import annotations

import codecs
import os
import sys
from datetime import date
from pathlib import Path
from typing import BinaryIO

import click
import pandas as pd

from retrogen.cli.base import cli, get_config, load_analysis, say_notices, write_output
from retrogen.cli.options import force_option, lang_option, no_git_option, output_option, today_option
from retrogen.cli.tables import (
    Shown,
    document_format,
    echo_json,
    emit,
    streams_json,
    table_options,
    table_output_option,
)
from retrogen.core.bulk import bulk_loading, kept_to_the_end
from retrogen.core.errors import ConfigError
from retrogen.core.printable import printable
from retrogen.core.words import catalogue
from retrogen.engine.actions import GROUPS, STATUS_FILTERS, action_summary, filter_actions, follow_up_order
from retrogen.engine.analysis import Analysis
from retrogen.engine.history import weekly_series
from retrogen.engine.metrics import metrics_summary

PLAYBOOK_FORMATS = ("md", "docx")


@cli.command()
@click.option("--by", type=click.Choice(["team", "period"]), help="Summarise per team or per period.")
@click.option("--funnel", is_flag=True, help="Funnel stages with conversion from stage to stage.")
@click.option("--causes", is_flag=True, help="Root causes by fishbone factor, Pareto order.")
@click.option("--lessons", is_flag=True, help="Lessons counted by tag and type.")
@click.option("--themes", is_flag=True, help="Tags and factors, and whether they recur across teams or periods.")
@click.option("--ytd", is_flag=True, help="Year-to-date achievement against the targets file (extra.retrogen.targets).")
@table_options
@table_output_option
@force_option
@today_option()
@click.pass_context
def metrics(
    ctx: click.Context,
    *,
    by: str | None,
    funnel: bool,
    causes: bool,
    lessons: bool,
    themes: bool,
    ytd: bool,
    fmt: str,
    raw: bool,
    wide: bool,
    lang: str | None,
    output: Path | None,
    force: bool,
    today: date,
) -> None:
    """Metrics of every review: achievement against target and change against the previous period.

    \b
    Example:
        retrogen metrics --by team
        retrogen metrics --funnel --format csv
        retrogen metrics -o metrics.xlsx
        retrogen metrics --by team -o by-team.csv      # opens right in Excel
        retrogen metrics --ytd --today 2026-12-01
    """
    if sum([by is not None, funnel, causes, lessons, themes, ytd]) > 1:
        raise click.UsageError("choose one of --by, --funnel, --causes, --lessons, --themes, --ytd")
    if ytd and get_config(ctx).settings.targets is None:
        raise ConfigError(
            f"no targets: name a targets file in {get_config(ctx).config_file} (extra.retrogen.targets: targets.yaml)"
        )
    analysis = load_analysis(ctx, today, use_git=False)
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
    elif ytd:
        frame = analysis.ytd
    else:
        frame = analysis.metrics
    if streams_json(fmt, output):
        del analysis  # JSON needs the table alone: its text is made in the room the reviews (150 MB) leave
        echo_json(frame)
        return
    emit(
        frame,
        fmt,
        output,
        lambda: {
            "metrics": analysis.metrics,
            "funnel": analysis.funnel,
            "funnel overall": analysis.funnel_overall,
            "root causes": analysis.causes,
            "lessons by tag": analysis.lessons_by_tag,
            "themes": analysis.themes,
            **({"year to date": analysis.ytd} if analysis.targets else {}),
        },
        Shown.of(ctx, analysis, lang, wide=wide, raw=raw),
        force=force,
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
@table_options
@table_output_option
@force_option
@no_git_option
@today_option()
@click.pass_context
def actions(
    ctx: click.Context,
    *,
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
    today: date,
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
    analysis = load_analysis(ctx, today, use_git=not no_git)
    # The table and its timelines live until the command ends, as the analysis does: frozen once made (with
    # the collector off), not walked by its passes.
    with bulk_loading():
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

    shown = Shown.of(ctx, analysis, lang, wide=wide, raw=raw)
    if history_of:
        history = _history(analysis, history_of)
        emit(history, fmt, output, lambda: {"history": history}, shown, force=force)
    elif weekly:
        emit(weekly_counts(), fmt, output, workbook, shown, force=force)
    else:
        frame = action_summary(table, by) if by else follow_up_order(table)
        kept_to_the_end(analysis, table, frame)  # printing is all that is left: nothing need be freed
        if streams_json(fmt, output):
            echo_json(frame)
            return
        emit(frame, fmt, output, workbook, shown, force=force)


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
@output_option("Write this file (atomically) instead of printing; its suffix chooses the format: .md or .docx.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(PLAYBOOK_FORMATS),
    help="The format, whatever the file's suffix (without -o: md, printed).",
)
@force_option
@lang_option("Language of the labels (default: the site's).")
@no_git_option
@today_option()
@click.pass_context
def playbook(
    ctx: click.Context,
    *,
    output: Path | None,
    fmt: str | None,
    force: bool,
    lang: str | None,
    no_git: bool,
    today: date,
) -> None:
    """The playbook: lessons from every review merged into practices by theme, as one Markdown or Word
    document.

    \b
    Example:
        retrogen playbook -o playbook.md
        retrogen playbook -o playbook.docx        # the same playbook for Word
    """
    # The playbook's stores (and, in _playbook_document, Jinja and python-docx): imported by the command that
    # writes a playbook, not by every table's.
    from retrogen.engine.playbook_cache import DocumentStore, document_key

    chosen = document_format(output, fmt, PLAYBOOK_FORMATS)
    analysis = load_analysis(ctx, today, use_git=not no_git)
    language = lang or get_config(ctx).language
    store = DocumentStore.open(analysis.lasting_folder, chosen)
    kept: BinaryIO | None = None
    escapes = False
    if store is not None:
        settings = (analysis.playbook_order, analysis.proven_min_verdicts, language, chosen)
        key = document_key(
            analysis.knowledge_base.reviews, analysis.actions_on_lessons, settings, analysis.glossary, analysis.today
        )
        kept, escapes = store.opened(key), store.escapes
    content: str | bytes = b""
    if kept is None:
        # The practices, their sources and blocks live until the command ends, as the analysis does: frozen once
        # made (with the collector off), not walked by its later passes (0.08 s of them at 10,000 reviews)
        with bulk_loading():
            content = _playbook_document(analysis, language, chosen)
        if store is not None:
            store.keep(key, content if isinstance(content, bytes) else content.encode("utf-8"))
    say_notices(analysis.cache_notices + (store.notices if store is not None else []))
    if kept is not None:
        with kept:
            # Printed in chunks as the bytes echo would write of the whole (it takes ANSI escapes out of a
            # text, which no review text holds): 10 MB at 10,000 reviews, never held in memory
            if output is None and (chosen == "docx" or (_prints_utf8() and not escapes)):
                while chunk := kept.read(1 << 20):
                    click.echo(chunk, nl=False)
                return
            content = kept.read() if output is not None or chosen == "docx" else kept.read().decode("utf-8")
    if output is None:
        click.echo(content, nl=False)
    else:
        write_output(output, content, force=force)
        click.echo(f"Wrote {printable(output)}", err=True)


def _prints_utf8() -> bool:
    """Whether echo prints a text as its UTF-8 bytes: it encodes a str for the terminal, and translates the
    line ends where they are not a newline."""
    encoding = getattr(sys.stdout, "encoding", None)
    if not encoding or os.linesep != "\n":
        return False
    try:
        return codecs.lookup(encoding).name == "utf-8"
    except LookupError:
        return False


def _playbook_document(analysis: Analysis, language: str, chosen: str) -> str | bytes:
    """The playbook as a Markdown text or (docx) a Word document's bytes."""
    # Jinja and Word's layers only when the document is not kept
    from retrogen.engine.playbook import playbook_markdown
    from retrogen.engine.playbook_cache import PracticeStore
    from retrogen.formats.documents import to_docx
    from retrogen.report.playbook import playbook_blocks

    practices = analysis.playbook
    if chosen == "docx":
        words = catalogue(language).labels
        footer = f"{words['playbook']} · {words['as_of']} {analysis.today}"
        return to_docx(playbook_blocks(practices, language, analysis.today), language, footer)
    kept = PracticeStore.open(analysis.lasting_folder)
    markdown = playbook_markdown(practices, language, analysis.today, kept=kept)
    if kept is not None:
        kept.keep()
        analysis.cache_notices.extend(kept.notices)
    return markdown
