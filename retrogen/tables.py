"""Frames out: aligned tables for people (Chinese-width aware), CSV and JSON for machines, CSV and Excel
workbooks for people who open them in Excel."""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

import pandas as pd

from retrogen.numbers import number, percent, signed_change
from retrogen.printable import printable

# Columns that hold ratios: shown as percentages to people, kept as fractions for machines.
RATE_COLUMNS = frozenset({
    "achievement", "conversion", "cumulative", "overall", "share", "cumulative_share", "target_rate",
    "completion_rate", "on_time_rate", "met_rate", "mean_achievement", "median_achievement", "verification_rate",
})
# Changes: in percentage points or relative, as each row's change_unit says (metrics tables).
CHANGE_COLUMNS = {"change": "change_unit", "yoy_change": "change_unit"}


def change_unit(column: str, row: dict[str, Any]) -> str | None:
    """pp or ratio for a change column of a row; None for any other column."""
    unit_column = CHANGE_COLUMNS.get(column)
    return row.get(unit_column) if unit_column else None


def plain(value: Any, digits: int | None = 6) -> Any:
    """A cell as a JSON-able value: NaN, infinities and NA become None, dates ISO strings, numpy scalars
    Python ones, floats rounded to `digits` (none: full precision)."""
    if isinstance(value, (list, tuple)):
        return [plain(v, digits) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return plain(value.item(), digits)
    if isinstance(value, float):
        return None if not math.isfinite(value) else value if digits is None else round(value, digits)
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{column: plain(value) for column, value in zip(frame.columns, row, strict=True)}
            for row in frame.itertuples(index=False, name=None)]


def grouped(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    """Rows by their value of `key`, in the order each value first appears: grouped once, so that a page or a
    report per review does not filter the whole table again."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return groups


def to_json(frame: pd.DataFrame) -> str:
    # allow_nan=False: NaN is not JSON; plain already made every missing value null, this keeps it so.
    return json.dumps(records(frame), ensure_ascii=False, indent=2, allow_nan=False)


def yes_no(value: bool) -> str:
    """A boolean as every output for people writes it."""
    return "yes" if value else "no"


# What Excel would run as a formula when it opens a CSV file (OWASP's list for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_rows(frame: pd.DataFrame, raw: bool) -> Iterable[list[Any]]:
    for row in records(frame):
        cells = []
        for value in row.values():
            if isinstance(value, bool):
                value = yes_no(value)
            elif isinstance(value, list):
                value = "; ".join(map(str, value))
            elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
                value = int(value)  # 380, not 380.0: a whole number stored as a float reads as one
            if not raw and isinstance(value, str) and value.startswith(_FORMULA_START):
                value = "'" + value  # review text is untrusted: shown as text, never run
            cells.append(value)
        yield cells


def to_csv(frame: pd.DataFrame, raw: bool = False) -> str:
    """CSV: raw numbers (rates as fractions), ISO dates, yes/no, empty cells where a value is missing.

    Text that a spreadsheet would take for a formula (=, +, -, @, tab, carriage return) starts with an
    apostrophe wherever the CSV goes: printed CSV is piped into files people open too. `raw` keeps text as
    written, for programs that read the values exactly.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    writer.writerows(_csv_rows(frame, raw))
    return buffer.getvalue()


def to_excel_csv(frame: pd.DataFrame, raw: bool = False) -> bytes:
    """A CSV file that Excel on Windows opens right: UTF-8 with a byte order mark (without one Excel reads
    Chinese as the local code page), and text that cannot run as a formula (unless `raw`)."""
    return to_csv(frame, raw).encode("utf-8-sig")


def width(text: str) -> int:
    """Columns a terminal gives `text`: two for each wide (Chinese, Japanese, Korean) character."""
    if text.isascii():  # most cells: ids, dates, numbers, English
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(column: str, value: Any, row: dict[str, Any]) -> str:
    value = plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value)
    if column in CHANGE_COLUMNS:
        return signed_change(value, change_unit(column, row))
    if isinstance(value, (int, float)) and column in RATE_COLUMNS:
        return percent(value)
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    text = printable(" ".join(str(value).split()))  # ESC sequences would recolour or clear the terminal
    return text if width(text) <= 48 else _truncate(text, 47) + "…"


def _truncate(text: str, limit: int) -> str:
    out, used = "", 0
    for ch in text:
        used += width(ch)
        if used > limit:
            break
        out += ch
    return out


def to_table(frame: pd.DataFrame) -> str:
    """An aligned plain-text table; numbers right-aligned."""
    if frame.empty:
        return "(no rows)"
    header = [str(c) for c in frame.columns]
    rows = [[_cell(c, v, row) for c, v in row.items()] for row in records(frame)]
    widths = [max(width(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]

    def line(cells: list[str]) -> str:
        padded = [" " * (w - width(cell)) + cell if right else cell + " " * (w - width(cell))
                  for cell, w, right in zip(cells, widths, numeric, strict=True)]
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


FORMATTERS: dict[str, Callable[[pd.DataFrame], str]] = {"table": to_table, "csv": to_csv, "json": to_json}
