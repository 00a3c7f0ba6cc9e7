"""Rows keep their dates as dates in memory; text only at the edge (JSON, CSV, a terminal's table)."""

from __future__ import annotations

import json
from datetime import date

import numpy as np
import pandas as pd

from retrogen.formats.tables import plain, records, to_csv, to_json, to_table

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
