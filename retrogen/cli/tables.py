"""How tables and documents leave a command: printed for people or programs, or written to the file -o
names, in the format its suffix says."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import pandas as pd

from retrogen.cli.base import get_config, write_output
from retrogen.cli.options import lang_option, output_option
from retrogen.core.errors import RetrogenError
from retrogen.core.printable import printable
from retrogen.engine.analysis import Analysis
from retrogen.formats.tables import FORMATS, formatted, json_parts, to_excel_csv, to_json, with_titles

format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    default="table",
    show_default=True,
    help="table for people, csv for a spreadsheet, json for programs (English keys).",
)
wide_option = click.option(
    "--wide", is_flag=True, help="Every column in the table (default: the most telling that fit 100 columns)."
)
raw_option = click.option(
    "--raw",
    is_flag=True,
    help="CSV for programs: text as written. Without it, text a spreadsheet would run as a formula (=, +, -, @) "
    "starts with an apostrophe, printed or in a file.",
)


@dataclass(frozen=True)
class Shown:
    """How tables reach people: in which language, every column or those that fit, and the reviews' titles
    to write beside their ids."""

    language: str
    wide: bool
    titles: dict[str, str]
    raw: bool = False  # CSV text as written, formulas included, for programs

    @classmethod
    def of(cls, ctx: click.Context, analysis: Analysis, lang: str | None, *, wide: bool, raw: bool) -> Shown:
        return cls(
            lang or get_config(ctx).language,
            wide,
            {review.id: review.title for review in analysis.knowledge_base.reviews},
            raw,
        )


def streams_json(fmt: str, output: Path | None) -> bool:
    """Whether `emit` prints JSON: then it needs the table alone, nor the workbook nor the reviews' titles."""
    return output is None and fmt == "json"


def echo_json(frame: pd.DataFrame) -> None:
    """`frame` as JSON on stdout, in parts of a few thousand rows: a large table's text is never held whole."""
    for part in json_parts(frame):
        click.echo(part, nl=False)
    click.echo()


def emit(
    frame: pd.DataFrame,
    fmt: str,
    output: Path | None,
    workbook: Callable[[], dict[str, pd.DataFrame]],
    shown: Shown,
    *,
    force: bool,
) -> None:
    """Print `frame` in `fmt`, or write it to the file `output` in the format its suffix names: .xlsx (the
    workbook's sheets, computed only then), .csv (for Excel: UTF-8 with a byte order mark) or .json. Tables,
    CSV and Excel are for people: in `shown.language`, with each review's title; JSON is as computed."""
    if streams_json(fmt, output):
        echo_json(frame)
        return
    people = with_titles(frame, shown.titles)
    if output is None:
        click.echo(
            formatted(frame if fmt == "json" else people, fmt, shown.language, wide=shown.wide, raw=shown.raw).rstrip(
                "\n"
            )
        )
        return
    suffix = output.suffix.lower()
    if suffix == ".xlsx":
        from retrogen.formats.excel import to_xlsx  # openpyxl is imported only when a workbook is written

        sheets = {name: with_titles(sheet, shown.titles) for name, sheet in workbook().items()}
        write_output(output, to_xlsx(sheets, shown.language), force=force)
        click.echo(f"Wrote {printable(output)} ({', '.join(sheets)})", err=True)
        return
    if suffix not in {".csv", ".json"}:
        raise click.BadParameter(
            "name an .xlsx (every table, one sheet each), .csv or .json file", param_hint="--output"
        )
    content = to_excel_csv(people, shown.language, raw=shown.raw) if suffix == ".csv" else to_json(frame) + "\n"
    write_output(output, content, force=force)
    click.echo(f"Wrote {printable(output)} ({len(frame)} rows)", err=True)


def document_format(output: Path | None, fmt: str | None, formats: Sequence[str]) -> str:
    """The format of a document (report, playbook): `fmt`, else the one the suffix of `output` names; printed
    without -o, Markdown unless `fmt` says otherwise, never Word."""
    if output is not None:
        from retrogen.report.writers import format_of  # python-docx: only for a command that writes documents

        try:
            return format_of(output, fmt, formats)
        except RetrogenError as exc:
            raise click.BadParameter(str(exc), param_hint="--output") from None
    if fmt == "docx":
        raise click.UsageError("a .docx is written to a file: add -o FILE")
    return fmt or "md"


table_lang_option = lang_option(
    "Language of the headers and words of tables, CSV and Excel files (default: the site's); JSON keeps its "
    "keys and codes."
)


def table_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """--format, --raw, --wide and --lang, as every command that prints a table takes them."""
    return format_option(raw_option(wide_option(table_lang_option(command))))


table_output_option = output_option(
    "Write a file instead of printing; its suffix chooses the format: .xlsx (an Excel workbook of every "
    "table), .csv (this table, for Excel) or .json."
)
