"""Rows keep their dates as dates in memory; text only at the edge (JSON, CSV, a terminal's table)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

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


def test_json_of_frames_without_rows_columns_or_names() -> None:
    for frame in (
        pd.DataFrame(),
        pd.DataFrame({"a": pd.Series([], dtype=float)}),
        pd.DataFrame(index=range(2)),
        pd.DataFrame([[1, 2.5]], columns=[0, "b"]),
        pd.DataFrame([[1, 2]], columns=["a", "a"]),
    ):
        assert to_json(frame) == _json_as_json_dumps_writes_it(frame)
