"""Excel workbooks that open ready to use: a bold, frozen header with filters, columns as wide as their
content, rates as percentages, dates as dates, yes/no, and any review text made safe for the file format.

Imported only when a workbook is written: openpyxl costs a few hundred milliseconds to import.
"""

from __future__ import annotations

import io
import math
import re
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from retrogen.formats.numbers import number, percent
from retrogen.formats.tables import RATE_COLUMNS, change_unit, header, plain, width, word, yes_no

if TYPE_CHECKING:
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet

# Characters XML 1.0 cannot hold: openpyxl refuses some (IllegalCharacterError) and writes others into a
# file Excel then has to repair. Tab and newline are legal and kept (long text wraps at them).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_EXCEL_MAX_TEXT = 32_767  # characters in one cell; Excel truncates or repairs beyond
_EXCEL_FIRST_DATE = date(1900, 3, 1)  # earlier serial numbers go through Excel's fictional 1900-02-29
_MAX_WIDTH = 60  # characters; longer text wraps inside its column
_LINE_HEIGHT, _MAX_LINES = 15, 27  # points per line of the default font; Excel's tallest row is 409 points
_RATE_FORMAT = "0.0%"
_CHANGE_FORMATS = {"ratio": "+0.0%;-0.0%;0%", "pp": '+0.0" pp";-0.0" pp";0" pp"'}
_BOLD = Font(name="Calibri", size=11, bold=True)  # the workbook's default font, bold
# Top-aligned, so that a row made tall by wrapped text still reads along one line.
_TOP, _WRAP = Alignment(vertical="top"), Alignment(wrap_text=True, vertical="top")


def _excel_value(value: Any, column: str = "", language: str | None = None) -> Any:
    """A cell as Excel should hold it: numbers and dates as themselves, yes/no and codes in `language`'s
    words, lists joined, text made safe for the file format. None for a missing value."""
    if value is pd.NaT:  # a datetime too, and comparable with none
        return None
    if isinstance(value, datetime):
        value = value.date()
    if isinstance(value, date):
        return value if value >= _EXCEL_FIRST_DATE else value.isoformat()
    value = word(column, plain(value, digits=None), language)
    if isinstance(value, bool):
        return yes_no(value, language)
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    if isinstance(value, str):
        return _NOT_XML.sub("\ufffd", value)[:_EXCEL_MAX_TEXT]
    return value


def _shown_width(column: str, value: Any) -> int:
    """About how many characters wide Excel shows a value: the widest line of text, formatted numbers."""
    if value is None:
        return 0
    if isinstance(value, date):
        return 10
    if isinstance(value, (int, float)):
        return len(percent(value) if column in RATE_COLUMNS else number(value))
    return max(width(line) for line in str(value).split("\n"))


def _lines(text: str, column_width: int) -> int:
    """Lines `text` takes when it wraps in a column `column_width` characters wide."""
    room = max(1, column_width - 2)
    if 2 * len(text) <= room and "\n" not in text:  # fits, however wide its characters: no need to measure
        return 1
    return sum(max(1, math.ceil(width(line) / room)) for line in text.split("\n"))


def _write_sheet(sheet: WriteOnlyWorksheet, frame: pd.DataFrame, language: str | None = None) -> None:
    """One frame as a sheet: a bold, frozen header with filters (in `language`), columns as wide as their
    content up to a limit, longer text wrapped in rows tall enough for it, rates as percentages and dates as
    dates."""
    columns = [str(c) for c in frame.columns]
    headers = [header(c, language) for c in columns]
    raw_rows = list(frame.itertuples(index=False, name=None))
    rows = [[_excel_value(v, c, language) for v, c in zip(row, columns, strict=True)] for row in raw_rows]
    # Header: room for the filter button; cells: two characters of padding.
    widths = [
        min(_MAX_WIDTH, max([width(headers[i]) + 4, *(_shown_width(c, row[i]) + 2 for row in rows)]))
        for i, c in enumerate(columns)
    ]
    for index, column_width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = column_width
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(max(1, len(columns)))}{len(rows) + 1}"
    # Printed, a sheet fits the page's width and repeats its header on every page.
    sheet.page_setup.orientation = "landscape"
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"

    header_cells = []
    for title in headers:
        cell = WriteOnlyCell(sheet, title)
        cell.data_type, cell.font = "s", _BOLD
        header_cells.append(cell)
    sheet.append(header_cells)
    for row_number, (row, raw) in enumerate(zip(rows, raw_rows, strict=True), start=2):
        lines = [_lines(value, w) if isinstance(value, str) else 1 for value, w in zip(row, widths, strict=True)]
        tall = max(lines, default=1) > 1
        if tall:
            # Set, not left to the reader: LibreOffice and others do not grow a row for wrapped text.
            sheet.row_dimensions[row_number].height = min(max(lines), _MAX_LINES) * _LINE_HEIGHT
        # The row's own codes (pp, ratio), not their words: a Chinese sheet's 个百分点 names no format.
        units = dict(zip(columns, raw, strict=True))
        sheet.append(
            [
                _cell(sheet, value, _number_format(column, units), _WRAP if needed > 1 else _TOP if tall else None)
                for value, column, needed in zip(row, columns, lines, strict=True)
            ]
        )


def _number_format(column: str, row: dict[str, Any]) -> str | None:
    """A rate as a percentage; a change signed, as a percentage or in percentage points as its row says."""
    unit = change_unit(column, row)
    if unit:
        return _CHANGE_FORMATS.get(unit)
    return _RATE_FORMAT if column in RATE_COLUMNS else None


def _cell(sheet: WriteOnlyWorksheet, value: Any, number_format: str | None, alignment: Alignment | None) -> Any:
    """`value` as a cell, styled only where it needs it: styling every cell doubles the time to write."""
    is_rate = number_format is not None and isinstance(value, (int, float)) and not isinstance(value, bool)
    # openpyxl reads text starting with = as a formula and #N/A as an error code; review text is text.
    is_code = isinstance(value, str) and value.startswith(("=", "#"))
    if value is None or not (is_rate or is_code or alignment):
        return value  # a date gets yyyy-mm-dd from openpyxl itself
    cell = WriteOnlyCell(sheet, value)
    if isinstance(value, str):
        cell.data_type = "s"
    if is_rate and number_format:
        cell.number_format = number_format
    if alignment:
        cell.alignment = alignment
    return cell


def to_xlsx(sheets: dict[str, pd.DataFrame], language: str | None = None) -> bytes:
    """An Excel workbook, one sheet per frame (see `_write_sheet`), streamed by openpyxl's write-only mode;
    with `language`, headers and codes in its words."""
    workbook = Workbook(write_only=True)
    for name, frame in sheets.items():
        _write_sheet(workbook.create_sheet(name[:31]), frame, language)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
