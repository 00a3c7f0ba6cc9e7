"""The writers are safe on their own: whatever text or value a frame holds, each output is valid and reads
right (the schema refusing such text is a second line of defence, not the first)."""

from __future__ import annotations

import csv
import io
import json
from datetime import date

import openpyxl
import pandas as pd

from retrogen.formats.excel import to_xlsx
from retrogen.formats.tables import to_csv, to_excel_csv, to_json, to_table

HOSTILE = pd.DataFrame(
    {
        "action": [
            "\x1b[31mred\x1b[0m \x07bell \x00nul \ufffe\uffff",
            '=HYPERLINK("http://x","click")',
            "#N/A",
            "-1+2",
            "line one\nline two",
        ],
        "due": [date(9999, 12, 31), date(1899, 12, 31), date(2026, 11, 20), None, date(1900, 3, 1)],
        "met": pd.array([True, False, pd.NA, True, False], dtype="boolean"),
        "achievement": [float("inf"), float("nan"), 0.5, -float("inf"), 15 / 22],
        "count": pd.array([1, None, 3, 4, 5], dtype="Int64"),
        "week": pd.to_datetime(["2026-11-15", None, "2026-11-22", "2026-11-29", "2026-12-06"]),
    }
)


def test_workbook_holds_any_text_and_any_date() -> None:
    # openpyxl raised IllegalCharacterError on ESC; 9999-12-31 went through pandas' datetime64 and overflowed.
    book = openpyxl.load_workbook(io.BytesIO(to_xlsx({"actions": HOSTILE})))
    rows = list(book["actions"].iter_rows(min_row=2, values_only=True))
    assert rows[0][0] == "\ufffd[31mred\ufffd[0m \ufffdbell \ufffdnul \ufffd\ufffd"
    assert rows[0][1].date() == date(9999, 12, 31)
    assert rows[1][1] == "1899-12-31"  # before Excel's calendar: text, not a wrong serial number
    assert rows[4][1].date() == date(1900, 3, 1)
    assert [row[2] for row in rows] == ["yes", "no", None, "yes", "no"]
    assert [row[3] for row in rows] == [None, None, 0.5, None, 15 / 22]  # infinities are no number
    assert [row[4] for row in rows] == [1, None, 3, 4, 5]
    assert [row[5] and row[5].date() for row in rows] == [
        date(2026, 11, 15),
        None,
        date(2026, 11, 22),
        date(2026, 11, 29),
        date(2026, 12, 6),
    ]


def test_workbook_text_is_never_a_formula_or_an_error_code() -> None:
    sheet = openpyxl.load_workbook(io.BytesIO(to_xlsx({"s": HOSTILE})))["s"]
    cells = [sheet.cell(row=r, column=1) for r in range(2, 7)]
    assert [c.data_type for c in cells] == ["s"] * 5
    assert cells[1].value == '=HYPERLINK("http://x","click")' and cells[2].value == "#N/A"
    assert cells[4].alignment.wrap_text  # a line break shows as one


def test_workbook_of_empty_frames_opens() -> None:
    book = openpyxl.load_workbook(
        io.BytesIO(to_xlsx({"empty": pd.DataFrame(columns=["a", "b"]), "none": pd.DataFrame()}))
    )
    assert [c.value for c in book["empty"][1]] == ["a", "b"]
    assert book["empty"].auto_filter.ref == "A1:B1"


def test_json_is_strict_json() -> None:
    # float('inf') became `Infinity`, which no JSON parser accepts.
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} is not JSON")

    rows = json.loads(to_json(HOSTILE), parse_constant=refuse)
    assert [row["achievement"] for row in rows] == [None, None, 0.5, None, round(15 / 22, 6)]
    assert [row["met"] for row in rows] == [True, False, None, True, False]


def test_csv_says_yes_no_and_leaves_missing_cells_empty() -> None:
    lines = to_csv(HOSTILE).splitlines()
    assert lines[0] == "action,due,met,achievement,count,week"
    assert lines[3].startswith("#N/A,2026-11-20,,0.5,3,2026-11-22")
    for line in lines:
        for word in ("True", "False", "nan", "NaN", "NaT", "inf", "<NA>", "None"):
            assert word not in line.split(",")


def test_csv_for_excel_has_a_bom_and_runs_no_formula() -> None:
    data = to_excel_csv(HOSTILE)
    assert data.startswith(b"\xef\xbb\xbf")
    cells = [row[0] for row in csv.reader(io.StringIO(data.decode("utf-8-sig")))]
    assert cells[2:5] == ['\'=HYPERLINK("http://x","click")', "#N/A", "'-1+2"]
    assert not to_csv(HOSTILE).startswith("\ufeff")


def test_csv_runs_no_formula_wherever_it_goes_unless_raw() -> None:
    assert [row[0] for row in csv.reader(io.StringIO(to_csv(HOSTILE)))][2:5] == [
        '\'=HYPERLINK("http://x","click")',
        "#N/A",
        "'-1+2",
    ]
    assert [row[0] for row in csv.reader(io.StringIO(to_csv(HOSTILE, raw=True)))][2] == '=HYPERLINK("http://x","click")'


def test_text_table_prints_no_control_character() -> None:
    # An ESC sequence in review text would recolour or clear the reader's terminal.
    table = to_table(HOSTILE)
    assert not any(ch in table for ch in "\x1b\x07\x00")
    assert "\\x1b[31mred\\x1b[0m" in table  # shown, as a message shows it, but inert
