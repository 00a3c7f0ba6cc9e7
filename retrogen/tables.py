"""Frames out: aligned tables for people (Chinese-width aware), CSV and JSON for machines, Excel for sales."""

from __future__ import annotations

import csv
import io
import json
import math
import unicodedata
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd

# Columns that hold ratios: shown as percentages to people, kept as fractions for machines.
RATE_COLUMNS = frozenset({
    "achievement", "change", "conversion", "cumulative", "overall", "share", "cumulative_share",
    "completion_rate", "on_time_rate", "met_rate", "mean_achievement", "median_achievement",
})


def _plain(value: Any) -> Any:
    """A cell as a JSON-able value: NaN and NA become None, dates ISO strings, numpy scalars Python ones."""
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "item"):  # numpy scalar
        return _plain(value.item())
    if isinstance(value, float):
        return round(value, 6)
    return value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return [{column: _plain(value) for column, value in zip(frame.columns, row, strict=True)}
            for row in frame.itertuples(index=False, name=None)]


def to_json(frame: pd.DataFrame) -> str:
    return json.dumps(records(frame), ensure_ascii=False, indent=2)


def to_csv(frame: pd.DataFrame) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(frame.columns)
    for row in records(frame):
        writer.writerow("; ".join(map(str, v)) if isinstance(v, list) else v for v in row.values())
    return buffer.getvalue()


def width(text: str) -> int:
    """Columns a terminal gives `text`: two for each wide (Chinese, Japanese, Korean) character."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(column: str, value: Any) -> str:
    value = _plain(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (int, float)) and column in RATE_COLUMNS:
        return f"{value * 100:.1f}%"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, list):
        return ", ".join(map(str, value))
    text = " ".join(str(value).split())
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
    rows = [[_cell(c, v) for c, v in zip(frame.columns, row, strict=True)]
            for row in frame.itertuples(index=False, name=None)]
    widths = [max(width(cell) for cell in column) for column in zip(header, *rows, strict=True)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c])
               for c in frame.columns]

    def line(cells: list[str]) -> str:
        padded = [" " * (w - width(cell)) + cell if right else cell + " " * (w - width(cell))
                  for cell, w, right in zip(cells, widths, numeric, strict=True)]
        return "  ".join(padded).rstrip()

    return "\n".join([line(header), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def to_xlsx(sheets: dict[str, pd.DataFrame]) -> bytes:
    """An Excel workbook, one sheet per frame, rates formatted as percentages."""
    buffer = io.BytesIO()
    with pd.ExcelWriter(buffer, engine="openpyxl") as writer:
        for name, frame in sheets.items():
            flat = pd.DataFrame(records(frame), columns=frame.columns)
            for column in flat.columns:
                if column in {"due", "done_on", "held_on", "week", "last_seen"}:
                    flat[column] = pd.to_datetime(flat[column]).dt.date
                flat[column] = flat[column].map(lambda v: ", ".join(map(str, v)) if isinstance(v, list) else v)
            flat.to_excel(writer, sheet_name=name[:31], index=False)
            sheet = writer.sheets[name[:31]]
            for index, column in enumerate(flat.columns, start=1):
                letter = sheet.cell(row=1, column=index).column_letter
                sheet.column_dimensions[letter].width = min(60, max(10, width(str(column)) + 2))
                if column in RATE_COLUMNS:
                    for cell in sheet[letter][1:]:
                        cell.number_format = "0.0%"
    return buffer.getvalue()


FORMATTERS: dict[str, Callable[[pd.DataFrame], str]] = {"table": to_table, "csv": to_csv, "json": to_json}
