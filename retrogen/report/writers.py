"""The report's formats: Word (.docx), Markdown (.md) and HTML (.html), chosen by the file's suffix or by
name; each writes the same blocks (`layout`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

from retrogen.core.errors import RetrogenError
from retrogen.formats import documents
from retrogen.report.content import Report
from retrogen.report.layout import report_blocks, report_footer


def to_docx(report: Report) -> bytes:
    return documents.to_docx(report_blocks(report), report.language, report_footer(report))


def to_markdown(report: Report) -> str:
    return documents.to_markdown(report_blocks(report), report.language)


def to_html(report: Report) -> str:
    return documents.to_html(report_blocks(report), report.language)


WRITERS: dict[str, Callable[[Report], str | bytes]] = {"docx": to_docx, "md": to_markdown, "html": to_html}


def format_of(path: Path, fmt: str | None, formats: Sequence[str]) -> str:
    """The format to write: `fmt` when given, else the one of `formats` the file's suffix names."""
    chosen = fmt or path.suffix.lower().lstrip(".")
    if chosen == "htm":
        chosen = "html"
    if chosen not in formats:
        names = ", ".join(f".{name}" for name in formats[:-1]) + f" or .{formats[-1]}"
        raise RetrogenError(f"cannot tell the format of {path}: name a {names} file, or add --format")
    return chosen


def write_report(report: Report, fmt: str) -> str | bytes:
    return WRITERS[fmt](report)
