"""Rows keep their dates as dates in memory; text only at the edge (JSON, CSV, a terminal's table)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from enum import StrEnum

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrogen.core.periods import Period
from retrogen.formats import tables
from retrogen.formats.tables import plain, records, to_csv, to_json, to_table, typed

FRAME = pd.DataFrame(
    {
        "id": ["A1", "A2"],
        "due": [date(2026, 11, 15), None],
        "days_late": [np.int64(5), pd.NA],
        "rate": [float("nan"), 0.1234567891],
        "dates": [(date(2026, 1, 2),), ()],
    }
)


def test_records_keep_dates_and_python_values() -> None:
    first, second = records(FRAME)
    assert first == {"id": "A1", "due": date(2026, 11, 15), "days_late": 5, "rate": None, "dates": [date(2026, 1, 2)]}
    assert type(first["days_late"]) is int
    assert second["due"] is None and second["days_late"] is None and second["rate"] == 0.123457


def test_dates_become_text_at_the_edge() -> None:
    assert plain(date(2026, 11, 15)) == "2026-11-15"
    assert plain([date(2026, 1, 2)]) == ["2026-01-02"]
    assert json.loads(to_json(FRAME))[0]["due"] == "2026-11-15"
    assert json.loads(to_json(FRAME))[0]["dates"] == ["2026-01-02"]
    assert to_csv(FRAME).splitlines()[1] == "A1,2026-11-15,5,,2026-01-02"
    assert "2026-11-15" in to_table(FRAME)


def _json_as_json_dumps_writes_it(frame: pd.DataFrame) -> str:
    """records and to_json as they were written before they were made fast: the reference they must stay
    identical to."""
    rows = [
        {column: plain(typed(value)) for column, value in zip(frame.columns, row, strict=True)}
        for row in frame.itertuples(index=False, name=None)
    ]
    return json.dumps(rows, ensure_ascii=False, indent=2, allow_nan=False)


_CELLS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**62), max_value=2**62),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.dates(),
    st.lists(st.one_of(st.text(max_size=4), st.dates(), st.integers(), st.floats()), max_size=3).map(tuple),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


@settings(max_examples=200, deadline=None)
@given(
    cells=st.lists(st.lists(_CELLS, min_size=4, max_size=4), max_size=5),
    floats=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=5, max_size=5),
    integers=st.lists(st.integers(min_value=-(2**62), max_value=2**62), min_size=5, max_size=5),
)
def test_json_is_what_json_dumps_writes(cells: list[list[object]], floats: list[float], integers: list[int]) -> None:
    rows = len(cells)
    frame = pd.DataFrame(
        {
            "mixed": pd.Series([row[0] for row in cells], dtype=object),
            '文字 "q"\n': pd.Series([row[1] for row in cells], dtype=object),
            "float": pd.Series(floats[:rows], dtype="float64"),
            "int": pd.Series(integers[:rows], dtype="int64"),
            "bool": pd.Series([bool(i % 2) for i in integers[:rows]], dtype=bool),
            "nullable": pd.Series([None if i % 3 == 0 else i for i in integers[:rows]], dtype="Int64"),
            "when": pd.to_datetime(pd.Series([date(2026, 1, 1 + i % 28) for i in integers[:rows]])),
        }
    )
    assert to_json(frame) == _json_as_json_dumps_writes_it(frame)
    assert [{k: plain(v) for k, v in row.items()} for row in records(frame)] == json.loads(to_json(frame))
    assert to_csv(frame) == _csv_as_the_writer_writes_it(frame)


def test_json_of_frames_without_rows_columns_or_names() -> None:
    for frame in (
        pd.DataFrame(),
        pd.DataFrame({"a": pd.Series([], dtype=float)}),
        pd.DataFrame(index=range(2)),
        pd.DataFrame([[1, 2.5]], columns=[0, "b"]),
        pd.DataFrame([[1, 2]], columns=["a", "a"]),
    ):
        assert to_json(frame) == _json_as_json_dumps_writes_it(frame)


def _csv_as_the_writer_writes_it(frame: pd.DataFrame, language: str | None = None, *, raw: bool = False) -> str:
    """to_csv as it was written before it was made fast: each cell typed, then given to the csv module."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([tables.header(str(column), language) for column in frame.columns])
    writer.writerows(
        [
            tables._csv_cell(str(column), typed(value), language, raw=raw)
            for column, value in zip(frame.columns, row, strict=True)
        ]
        for row in frame.itertuples(index=False, name=None)
    )
    return buffer.getvalue()


class _Code(StrEnum):
    DONE = "done"


_AWKWARD: dict[str, list[object]] = {
    "text": ["中文 ，“引号”", "a,b", 'say "hi"', "line\nbreak", "cr\rhere", "\x1b[31mred\x00", "=1+1", "-3", "", None],
    "long": ["长" * 5000, "x" * 20000, None, "done", _Code.DONE, "\t", "@SUM", "+1", "'", " spaced "],
    "when": [
        date(2026, 1, 2),
        None,
        date(1, 1, 1),
        date(9999, 12, 31),
        "2026-01-02",
        date(2026, 1, 2),
        None,
        None,
        date(2026, 1, 2),
        date(2026, 2, 3),
    ],
    "numbers": [1, 1.0, True, None, 0, -0.0, 0.0, float("nan"), 2**60, False],
    "times": [
        datetime(2026, 1, 2),
        date(2026, 1, 2),
        pd.Timestamp("2026-01-02"),
        None,
        datetime(2026, 1, 2, 3, 4),
        date(2026, 1, 2),
        None,
        None,
        None,
        None,
    ],
    "float": [0.1 + 0.2, 380.0, -0.0, 0.0, float("nan"), float("inf"), 1e16, 1e-7, 0.12345649999, 2.5],
    "nullable": pd.array([1, None, 3, 3, None, 0, -1, 2**40, 7, 8], dtype="Int64"),
    "met": pd.array([True, False, None, True, None, False, True, True, False, None], dtype="boolean"),
    "int": np.array([1, 2, 3, -4, 5, 6, 7, 8, 9, 2**62], dtype=np.int64),
    "flag": np.array([True, False] * 5),
    "tags": [("a", "b"), (), ("中",), None, ("x",), ("a", "b"), (), (), ("=x",), ("d",)],
}


@pytest.mark.parametrize("rows", [10, tables._CHUNK_ROWS * 2 + 3])
def test_fast_json_and_csv_are_the_straightforward_ones_on_awkward_values(rows: int) -> None:
    """Equal values of different types (1, 1.0, True; -0.0 and 0.0; a date, a datetime and a Timestamp) stay
    apart, and tables of several parts join up, whatever the emitters compute once per distinct value."""
    frame = pd.DataFrame(
        {
            column: pd.Series(values).repeat(rows // 10 + 1).iloc[:rows].reset_index(drop=True)
            for column, values in _AWKWARD.items()
        }
    )
    for column in ("nullable", "met", "int", "flag", "float"):
        assert frame[column].dtype == pd.Series(_AWKWARD[column]).dtype  # the dtypes the fast paths are for
    assert to_json(frame) == _json_as_json_dumps_writes_it(frame)
    for language, raw in ((None, False), ("zh", False), ("en", True)):
        assert to_csv(frame, language, raw=raw) == _csv_as_the_writer_writes_it(frame, language, raw=raw)
    for column in frame.columns:
        one = frame[[column]]
        assert to_json(one) == _json_as_json_dumps_writes_it(one)
        assert to_csv(one) == _csv_as_the_writer_writes_it(one)


def test_a_value_json_cannot_write_fails_as_json_dumps_fails() -> None:
    frame = pd.DataFrame({"period": [Period(date(2026, 1, 1), date(2026, 3, 31)), None], "n": [1, 2]})
    with pytest.raises(TypeError):
        _json_as_json_dumps_writes_it(frame)
    with pytest.raises(TypeError):
        to_json(frame)
    assert to_csv(frame) == _csv_as_the_writer_writes_it(frame)


@pytest.mark.parametrize("repeats", [1, 3])
def test_json_of_text_columns_whether_their_values_repeat_or_not(repeats: int) -> None:
    """A text column of mostly distinct values (an action's text) is written cell by cell, one that repeats
    its values once per value: the same text either way, missing cells included."""
    values = [f'行动 {n} "q"\n' if n % 7 else None for n in range(tables._SAMPLE_CELLS + 50)]
    text = pd.Series([value for value in values for _ in range(repeats)], dtype="str")
    frame = pd.DataFrame({"text": text, "team": pd.Series(["华东"] * len(text), dtype="str")})
    assert tables._mostly_distinct(frame["text"]) is (repeats == 1)
    assert not tables._mostly_distinct(frame["team"])
    assert to_json(frame) == _json_as_json_dumps_writes_it(frame)
    assert to_csv(frame) == _csv_as_the_writer_writes_it(frame)
