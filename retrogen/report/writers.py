"""The report's writers: Word (.docx), Markdown (.md) and HTML (.html), chosen by the file's suffix. Each
renders the same blocks (`layout`); review text is escaped for Markdown and HTML by the templates."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from markupsafe import Markup

from retrogen import documents
from retrogen.errors import RetrogenError
from retrogen.render import environment
from retrogen.report.content import Rag, Report
from retrogen.report.layout import Grid, Heading, Items, PageBreak, Text, report_blocks

# Cell backgrounds of the red/amber/green marks: light enough to print and to read black text on.
RAG_FILLS = {Rag.GREEN: "C6EFCE", Rag.AMBER: "FFEB9C", Rag.RED: "FFC7CE"}
RAG_SYMBOLS = {Rag.GREEN: "🟢", Rag.AMBER: "🟡", Rag.RED: "🔴"}


def to_docx(report: Report) -> bytes:
    """The report as a Word document: A4, in the report's fonts (see `documents`)."""
    document = documents.new_document(report.language)
    for block in report_blocks(report):
        if isinstance(block, Heading):
            documents.heading(document, block.text, block.level)
        elif isinstance(block, Text):
            label = f"{block.label}: " if block.label else ""
            documents.paragraph(document, block.text, label, documents.TABLE_SIZE if block.note else None)
        elif isinstance(block, Items):
            for label, text in block.items:
                item = documents.paragraph(document, text, f"{label}: " if label else "")
                item.style = document.styles["List Bullet"]
        elif isinstance(block, Grid):
            fills = {cell: RAG_FILLS[mark] for cell, mark in block.marks.items()}
            documents.table(document, block.headers, block.rows, block.widths, block.right, fills)
        elif isinstance(block, PageBreak):
            documents.page_break(document)
    return documents.to_bytes(document)


# What can make markup inside a Markdown line: emphasis, code, links and images, table cells, HTML and
# entities; and, at the start of a paragraph, a heading, list item, quote or rule. Nothing else is escaped,
# so the file reads plainly (2026-10-20, -9.5%) where the site's `md` filter escapes all punctuation.
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]|~])")
_BLOCK_START = re.compile(r"^([#+=-]|\d+(?=[.)]))")


def markdown_text(value: object, starts_line: bool = False) -> Markup:
    """Review text as inert Markdown on one line: no markup, link, HTML or table break can come from it.
    `starts_line`: the text begins a paragraph, where `- ` or `1. ` would start a list."""
    text = _INLINE_MARKUP.sub(r"\\\1", " ".join(str(value).split()))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if starts_line:
        text = _BLOCK_START.sub(lambda m: m[1] + "\\" if m[1][0].isdigit() else "\\" + m[1], text)
    return Markup(text)


def _render(template: str, report: Report) -> str:
    env = environment("templates/report")
    env.globals.update(rag_symbols=RAG_SYMBOLS)
    env.filters["text"] = markdown_text
    return env.get_template(template).render(blocks=report_blocks(report), language=report.language)


def to_markdown(report: Report) -> str:
    return _render("report.md.j2", report)


def to_html(report: Report) -> str:
    """A standalone page (no script, no request to any other host) that prints on A4."""
    return _render("report.html.j2", report)


WRITERS: dict[str, Callable[[Report], str | bytes]] = {"docx": to_docx, "md": to_markdown, "html": to_html}


def format_of(path: Path, fmt: str | None) -> str:
    """The format to write: `fmt` when given, else the one the file's suffix names."""
    chosen = fmt or path.suffix.lower().lstrip(".")
    if chosen == "htm":
        chosen = "html"
    if chosen not in WRITERS:
        raise RetrogenError(f"cannot tell the format of {path}: name a .docx, .md or .html file, or add --format")
    return chosen


def write_report(report: Report, fmt: str) -> str | bytes:
    return WRITERS[fmt](report)
