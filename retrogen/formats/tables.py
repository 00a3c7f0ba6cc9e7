"""Frames out: aligned tables for people (Chinese-width aware), CSV and JSON for machines, CSV and Excel
workbooks for people who open them in Excel."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from retrogen.core.printable import printable
from retrogen.core.words import catalogue
from retrogen.formats.numbers import number, percent, signed_change

# Columns that hold ratios: shown as percentages to people, kept as fractions for machines.
RATE_COLUMNS = frozenset(
    {
        "achievement",
        "conversion",
        "cumulative",
        "overall",
        "share",
        "cumulative_share",
        "target_rate",
        "completion_rate",
        "on_time_rate",
        "met_rate",
        "mean_achievement",
        "median_achievement",
        "verification_rate",
        "elapsed",
    }
)
# Changes: in percentage points or relative, as each row's change_unit says (metrics tables).
CHANGE_COLUMNS = {"change": "change_unit", "yoy_change": "change_unit"}


def change_unit(column: str, row: dict[str, Any]) -> str | None:
    """pp or ratio for a change column of a row; None for any other column."""
    unit_column = CHANGE_COLUMNS.get(column)
    return row.get(unit_column) if unit_column else None


def typed(value: Any, digits: int | None = 6) -> Any:
    """A cell as a Python value: NaN, infinities and NA become None, numpy scalars Python ones, floats rounded
    to `digits` (none: full precision), tuples lists; dates stay dates."""
    if isinstance(value, (list, tuple)):
        return [typed(v, digits) for v in value]
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, date):
        return value
    if hasattr(value, "item"):  # numpy scalar
        return typed(value.item(), digits)
    if isinstance(value, float):
        return None if not math.isfinite(value) else value if digits is None else round(value, digits)
    return value


def plain(value: Any, digits: int | None = 6) -> Any:
    """A cell as a JSON-able value: typed, and dates ISO strings (the edge: JSON, CSV, a terminal)."""
    value = typed(value, digits)
    if isinstance(value, list):
        return [v.isoformat() if isinstance(v, date) else v for v in value]
    return value.isoformat() if isinstance(value, date) else value


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """The frame's rows as dicts of typed cells (dates as dates): rows to compute and lay out with; `plain`
    turns a cell into text where it leaves the program."""
    columns = [_typed_column(frame.iloc[:, position]) for position in range(frame.shape[1])]
    if not columns:
        return [{} for _ in range(len(frame))]
    # The names as a list once: pandas 3 keeps them as a string array, which is iterated a cell at a time
    # through its __getitem__ (a third of the time of a table's rows, once per row)
    names = frame.columns.tolist()
    return [dict(zip(names, row, strict=True)) for row in zip(*columns, strict=True)]


def _typed_column(column: pd.Series) -> list[Any]:
    """`typed` of each cell of a column; a column of plain numpy numbers at once rather than cell by cell
    (a table of 50,000 rows spent seconds there)."""
    kind = column.dtype.kind if isinstance(column.dtype, np.dtype) else ""
    if kind and kind in "biu":  # Python ints and bools, as .item() gives them
        return column.to_numpy().tolist()
    if kind == "f":
        return [round(value, 6) if math.isfinite(value) else None for value in column.to_numpy().tolist()]
    return [value if type(value) is str else typed(value) for value in column.tolist()]  # text, the most common


def grouped(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    """Rows by their value of `key`, in the order each value first appears: grouped once, so that a page or a
    report per review does not filter the whole table again."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(row[key], []).append(row)
    return groups


def to_json(frame: pd.DataFrame) -> str:
    """The frame's rows as a JSON array of objects of plain cells, indented by two; written a cell at a time
    as json.dumps(rows, indent=2) would write them (its indenting encoder is pure Python, and slow)."""
    return "".join(json_parts(frame))


def json_parts(frame: pd.DataFrame) -> Iterator[str]:
    """to_json in parts of a few thousand rows, for printing a large table without holding all its text at
    once. Each distinct value of a column is written once (`_column_texts`), every row joined at once."""
    keys = [column for column in frame.columns if isinstance(column, str)]
    if len(keys) != frame.shape[1] or len(set(keys)) != len(keys):  # not a table of named columns: as json does
        yield _json_value([{column: plain(value) for column, value in row.items()} for row in records(frame)], "")
        return
    if frame.empty:
        yield "[\n" + ",\n".join("  {}" for _ in range(len(frame))) + "\n]" if len(frame) else "[]"
        return
    names = [f"    {_json_string(key)}: " for key in keys]
    # Every cell ends with what follows it: a comma within a row, the brace between two rows after its last.
    endings = [",\n"] * (len(keys) - 1) + [_JSON_ROWS]
    cells = [_json_texts(name, ending) for name, ending in zip(names, endings, strict=True)]
    yield "[\n  {\n"
    for start, text in zip(range(0, len(frame), _CHUNK_ROWS), _joined_rows(frame, cells), strict=True):
        yield text if start + _CHUNK_ROWS < len(frame) else text[: -len(_JSON_ROWS)] + "\n  }\n]"


_JSON_ROWS = "\n  },\n  {\n"
# Rows written at once: the text of a part stays about a megabyte, however large the table (parts of 8,192
# rows, 10 MB of text each, raised the peak of `metrics --format json` at 10,000 reviews by 30 MB, for no
# time saved).
_CHUNK_ROWS = 1024
# What writes a column's typed values as the text of their cells, each with what follows it.
_Texts = Callable[[list[Any]], list[str]]


def _json_texts(name: str, ending: str) -> _Texts:
    """A column's cells as JSON writes them (`_json_value`), the commonest types without a call."""

    def texts(values: list[Any]) -> list[str]:
        return [
            name
            + (
                _json_string(value)
                if type(value) is str
                else float.__repr__(value)  # typed: rounded and finite
                if type(value) is float
                else "null"
                if value is None
                else _json_value(_plain_typed(value), "    ")
            )
            + ending
            for value in values
        ]

    return texts


def _joined_rows(frame: pd.DataFrame, cells: list[_Texts]) -> Iterator[str]:
    """The text of each cell of `frame` (`cells`: a column's typed values as the texts written, separators
    included), row after row, joined at once in parts of _CHUNK_ROWS rows."""
    columns = [_column_texts(frame.iloc[:, position], texts) for position, texts in enumerate(cells)]
    for start in range(0, len(frame), _CHUNK_ROWS):
        grid = np.empty((min(_CHUNK_ROWS, len(frame) - start), len(columns)), dtype=object)
        for position, column in enumerate(columns):
            grid[:, position] = column[start : start + _CHUNK_ROWS]
        yield "".join(grid.ravel().tolist())


def _column_texts(column: pd.Series, texts: _Texts) -> np.ndarray:
    """The texts of a column's cells (`texts` of their typed values), as an array: worked out once per
    distinct value where values that are equal are the same cell (a table of 50,000 rows repeats its teams,
    periods and dates; a float is told apart by its bits, so that -0.0 is not 0.0), else cell by cell."""
    found = None if _mostly_distinct(column) else _distinct(column)
    written = np.empty(len(column) if found is None else len(found[1]) + 1, dtype=object)
    if found is None:
        written[:] = texts(_typed_column(column))
        return written
    codes, values = found
    written[:] = texts([*values, None])
    by_cell: np.ndarray = written[codes]  # a missing value's code is -1: the last text, None's
    return by_cell


# The cells of a text column looked at to tell whether its values repeat.
_SAMPLE_CELLS = 2000


def _mostly_distinct(column: pd.Series) -> bool:
    """Whether a text column's values are mostly distinct (an action's text, its checkpoint): finding its
    distinct values first costs more than writing each cell (a table of 40,000 actions spent a tenth of a
    second on two such columns)."""
    if not isinstance(column.dtype, pd.StringDtype):
        return False
    sample = column.iloc[:_SAMPLE_CELLS].tolist()
    return 2 * len(set(sample)) > len(sample)


# The types of an object column whose equal values are the same cell: no two of them compare equal across
# types (1 == 1.0 == True would merge cells that are written "1", "1.0" and "true"); dates exactly, since a
# datetime and a pandas Timestamp of one instant are equal and written apart.
_DISTINCT_TYPES = (str, type(None))


def _distinct(column: pd.Series) -> tuple[np.ndarray, list[Any]] | None:
    """(each cell's code, the distinct typed values by code; -1 for a missing cell), or None where equal
    values might not be the same cell."""
    dtype = column.dtype
    if isinstance(dtype, np.dtype):
        values = column.to_numpy()
        if dtype.kind == "f" and dtype.itemsize in (2, 4, 8):
            codes, bits = pd.factorize(np.ascontiguousarray(values).view(f"i{dtype.itemsize}"))
            floats = bits.view(dtype).tolist()
            return codes, [round(value, 6) if math.isfinite(value) else None for value in floats]  # as typed
        if dtype.kind in "biu":
            codes, distinct = pd.factorize(values)
            return codes, distinct.tolist()
        if dtype.kind != "O":
            return None
        kinds = set(map(type, values))
        numbers = kinds & {int, bool}
        if len(numbers) > 1 or not all(
            kind is date or kind in numbers or issubclass(kind, _DISTINCT_TYPES) for kind in kinds
        ):
            return None
    elif not (dtype.kind in "biu" or isinstance(dtype, pd.StringDtype)):  # nullable booleans, integers, text
        return None
    codes, distinct = pd.factorize(column.array)
    return codes, [typed(value) for value in np.asarray(distinct, dtype=object).tolist()]


def _plain_typed(value: Any) -> Any:
    """`plain` of a value that is `typed` already."""
    if isinstance(value, list):
        return [v.isoformat() if isinstance(v, date) else v for v in value]
    return value.isoformat() if isinstance(value, date) else value


# A string as json.dumps(..., ensure_ascii=False) writes it (the C function its encoder calls).
_json_string: Callable[[str], str] = json.encoder.encode_basestring


def _json_value(value: Any, indent: str) -> str:
    """`value` as json.dumps(..., ensure_ascii=False, indent=2, allow_nan=False) writes it nested at `indent`.
    allow_nan=False: NaN is not JSON; plain already made every missing value null, this keeps it so."""
    if isinstance(value, str):
        return _json_string(value)
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if type(value) is int:
        return int.__repr__(value)
    if type(value) is float:
        if not math.isfinite(value):
            raise ValueError(f"Out of range float values are not JSON compliant: {value!r}")
        return float.__repr__(value)
    text = json.dumps(value, ensure_ascii=False, indent=2, allow_nan=False)
    return text.replace("\n", "\n" + indent) if indent else text


def yes_no(value: bool, language: str | None = None) -> str:
    """A boolean as every output for people writes it, in `language` (default English)."""
    yes, no = catalogue(language).yes_no
    return yes if value else no


def header(column: str, language: str | None) -> str:
    """A column's header for people in `language`; in English (or None) the column's name, as JSON keys it."""
    return catalogue(language).headers.get(column, column)


def word(column: str, value: Any, language: str | None) -> Any:
    """A code (a status, a state, a factor…) in words of `language`; in English, anything else, as it is."""
    if isinstance(value, str):
        return catalogue(language).values.get(column, {}).get(value, value)
    return value


def with_titles(frame: pd.DataFrame, titles: dict[str, str]) -> pd.DataFrame:
    """`frame` with each review's title beside its id, for people: an id alone says little."""
    if "review" not in frame.columns or "title" in frame.columns:
        return frame
    shown = frame.copy()
    shown.insert(list(frame.columns).index("review") + 1, "title", [titles.get(r, "") for r in frame["review"]])
    return shown


# What Excel would run as a formula when it opens a CSV file (OWASP's list for CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(column: str, value: Any, language: str | None, *, raw: bool) -> Any:
    """A typed cell as CSV writes it (before the csv module quotes it)."""
    value = word(column, _plain_typed(value), language)
    if isinstance(value, bool):
        value = yes_no(value, language)
    elif isinstance(value, list):
        value = "; ".join(map(str, value))
    elif isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)  # 380, not 380.0: a whole number stored as a float reads as one
    if not raw and isinstance(value, str) and value.startswith(_FORMULA_START):
        value = "'" + value  # review text is untrusted: shown as text, never run
    return value


def to_csv(frame: pd.DataFrame, language: str | None = None, *, raw: bool = False) -> str:
    """CSV: raw numbers (rates as fractions), ISO dates, yes/no, empty cells where a value is missing; with
    `language`, headers and codes (statuses, states…) in its words.

    Text that a spreadsheet would take for a formula (=, +, -, @, tab, carriage return) starts with an
    apostrophe wherever the CSV goes: printed CSV is piped into files people open too. `raw` keeps text as
    written, for programs that read the values exactly.
    """
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([header(str(column), language) for column in frame.columns])
    columns = [str(column) for column in frame.columns]
    if len(columns) < 2:  # a lone empty cell is quoted (a row, not a blank line): left to the writer
        writer.writerows(
            [_csv_cell(column, value, language, raw=raw) for column, value in row.items()] for row in records(frame)
        )
        return buffer.getvalue()

    endings = [","] * (len(columns) - 1) + ["\n"]
    cells = [_csv_texts(column, ending, language, raw=raw) for column, ending in zip(columns, endings, strict=True)]
    for text in _joined_rows(frame, cells):
        buffer.write(text)
    return buffer.getvalue()


def _csv_texts(column: str, ending: str, language: str | None, *, raw: bool) -> _Texts:
    """A column's cells as CSV writes them (`_csv_cell`, quoted as the csv module quotes), numbers and text
    without a call."""
    words = catalogue(language).values.get(column, {})

    def text(value: str) -> str:
        value = words.get(value, value)
        return "'" + value if not raw and value.startswith(_FORMULA_START) else value

    def texts(values: list[Any]) -> list[str]:
        return [
            (
                (int.__repr__(int(value)) if value.is_integer() and abs(value) < 1e15 else float.__repr__(value))
                if type(value) is float
                else ""
                if value is None
                else _csv_text(text(value))
                if type(value) is str
                else _csv_text(_csv_cell(column, value, language, raw=raw))
            )
            + ending
            for value in values
        ]

    return texts


# What makes the csv module quote a field (the delimiter, the quote, a line break): other text is written as is.
_CSV_QUOTED = re.compile('[,"\r\n]')


def _csv_text(value: Any) -> str:
    """A field as csv.writer writes it within a row (excel dialect, minimal quoting)."""
    if value is None:
        return ""
    kind = type(value)
    if kind is str:
        if not _CSV_QUOTED.search(value):
            return str(value)
    elif kind is float:
        return float.__repr__(value)
    elif kind is int:
        return int.__repr__(value)
    line = io.StringIO()
    csv.writer(line, lineterminator="\n").writerow([value, ""])  # two fields: a lone empty one is quoted
    return line.getvalue()[: -len(",\n")]


def to_excel_csv(frame: pd.DataFrame, language: str | None = None, *, raw: bool = False) -> bytes:
    """A CSV file that Excel on Windows opens right: UTF-8 with a byte order mark (without one Excel reads
    Chinese as the local code page), and text that cannot run as a formula (unless `raw`)."""
    return to_csv(frame, language, raw=raw).encode("utf-8-sig")


def width(text: str) -> int:
    """Columns a terminal gives `text`: two for each wide (Chinese, Japanese, Korean) character."""
    if text.isascii():  # most cells: ids, dates, numbers, English
        return len(text)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cell(column: str, value: Any, row: dict[str, Any], language: str | None = None, longest: int = 48) -> str:
    value = word(column, plain(value), language)
    if value is None:
        return ""
    if isinstance(value, bool):
        return yes_no(value, language)
    if column in CHANGE_COLUMNS:
        return signed_change(value, change_unit(column, row))
    if isinstance(value, (int, float)) and column in RATE_COLUMNS:
        return percent(value)
    if isinstance(value, (int, float)):
        return number(value)
    if isinstance(value, list):
        value = ", ".join(map(str, value))
    text = printable(" ".join(str(value).split()))  # ESC sequences would recolour or clear the terminal
    return text if width(text) <= longest else _truncate(text, longest - 1) + "…"


def _truncate(text: str, limit: int) -> str:
    out, used = "", 0
    for ch in text:
        used += width(ch)
        if used > limit:
            break
        out += ch
    return out


# A terminal's table shows what fits this many columns unless --wide asks for every column.
TERMINAL_WIDTH = 100
NARROW_TEXT = 24  # the widest text cell of a table that must fit, in terminal columns
# Free text that a narrow table shortens further to make room (down to FLEXIBLE_LEAST), after the columns
# that are kept whole; ids are never shortened: they are what a person copies into the next command.
FLEXIBLE = frozenset({"title", "action", "text", "checkpoint", "note", "metric", "stage"})
FLEXIBLE_LEAST = 10
WHOLE = frozenset({"review", "id", "item", "carried_from", "carried_to", "previous_from", "yoy_from", "verified_by"})
# The columns a narrow table keeps first, most telling first; the others go, the last one first, until it fits.
FIRST_COLUMNS = (
    "review",
    "id",
    "item",
    "action",
    "owner",
    "metric",
    "stage",
    "factor",
    "tag",
    "theme",
    "kind",
    "week",
    "date",
    "text",
    "status",
    "state",
    "due",
    "achievement",
    "target",
    "actual",
    "change",
    "count",
    "conversion",
    "met",
    "missed_in_a_row",
    "title",
    "team",
    "problems",
    "share",
    "actions",
    "open",
    "overdue",
    "done",
    "completion_rate",
    "on_time_rate",
    "metrics",
    "met_rate",
    "mean_achievement",
    "lessons",
    "success",
    "failure",
    "reviews",
    "teams",
    "score",
    "period",
    "verification",
    "days_late",
    "previous",
    "last_seen",
    "recurring",
    "cumulative_share",
)


def to_table(frame: pd.DataFrame, language: str | None = None, *, wide: bool = True) -> str:
    """An aligned plain-text table, numbers right-aligned; headers and codes in `language` (None: as they are).
    Not `wide`: the most telling columns that fit TERMINAL_WIDTH, free text shortened to make room, ids whole,
    and a last line that says how many columns were left out."""
    if frame.empty:
        return "(no rows)"
    columns = [str(c) for c in frame.columns]
    longest = {c: 48 if wide else 200 if c in WHOLE else NARROW_TEXT for c in columns}
    rows = [[_cell(c, v, row, language, longest[c]) for c, v in row.items()] for row in records(frame)]
    titles = [header(c, language) for c in columns]
    widths = [max(width(cell) for cell in column) for column in zip(titles, *rows, strict=True)]
    numeric = [
        pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns
    ]
    kept = list(range(len(columns))) if wide else _fitting(columns, titles, widths)
    cells = [titles, *rows]
    for index in kept:
        for line_cells in cells:
            if width(line_cells[index]) > widths[index]:
                line_cells[index] = _truncate(line_cells[index], widths[index] - 1) + "…"

    def line(cells: list[str]) -> str:
        padding = [" " * (widths[i] - width(cells[i])) for i in kept]
        padded = [pad + cells[i] if numeric[i] else cells[i] + pad for i, pad in zip(kept, padding, strict=True)]
        return "  ".join(padded).rstrip()

    lines = [line(titles), line(["-" * w for w in widths]), *(line(r) for r in rows)]
    if len(kept) < len(columns):
        lines.append(catalogue(language).hidden_columns.format(n=len(columns) - len(kept)))
    return "\n".join(lines)


def _fitting(columns: list[str], titles: list[str], widths: list[int]) -> list[int]:
    """The indices of the columns a narrow table keeps: the least telling go first until the rest fit, free
    text counted at its least; then free text gets the room that is left, the most telling first. Narrows
    `widths` to what each kept column is given."""

    def least(index: int) -> int:
        if columns[index] not in FLEXIBLE:
            return widths[index]
        return min(widths[index], max(FLEXIBLE_LEAST, width(titles[index])))

    def rank(index: int) -> tuple[int, int]:
        column = columns[index]
        return (FIRST_COLUMNS.index(column) if column in FIRST_COLUMNS else len(FIRST_COLUMNS), index)

    kept = sorted(range(len(columns)), key=rank)
    while len(kept) > 1 and sum(least(i) for i in kept) + 2 * (len(kept) - 1) > TERMINAL_WIDTH:
        kept.pop()
    room = TERMINAL_WIDTH - sum(least(i) for i in kept) - 2 * (len(kept) - 1)
    for index in kept:
        given = least(index) + min(max(room, 0), widths[index] - least(index))
        room -= given - least(index)
        widths[index] = given
    return sorted(kept)


FORMATS = ("table", "csv", "json")


def formatted(
    frame: pd.DataFrame, fmt: str, language: str | None = None, *, wide: bool = True, raw: bool = False
) -> str:
    """`frame` in a format of FORMATS: a table or CSV for people (in `language`), JSON for programs (as it is)."""
    if fmt == "json":
        return to_json(frame)
    if fmt == "csv":
        return to_csv(frame, language, raw=raw)
    return to_table(frame, language, wide=wide)
