"""`-o FILE` for people who open it in Excel: .csv with a byte order mark and yes/no, and .xlsx workbooks
with a bold frozen header, filters, fitting columns, real dates and percentages, and every sheet showing
the actions the command line selected."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from datetime import datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner, Result
from openpyxl.worksheet.worksheet import Worksheet

from retrogen.cli import cli

TODAY = "2026-11-20"
DEFAULT_WIDTH = 8.43  # Excel's width of a column nobody sized


def invoke(kb: Path, *args: str) -> Result:
    """The command in English: its tables keep the column names and codes (the Chinese ones: test_table_words)."""
    lang = ["--lang", "en"] if args[0] in {"metrics", "actions"} else []
    with contextlib.chdir(kb):
        return CliRunner().invoke(cli, [*args, *lang, "--today", TODAY], catch_exceptions=False)


def shown(cell: Any) -> str:
    """A cell as a person sees it in Excel."""
    if cell.value is None:
        return ""
    if isinstance(cell.value, datetime):
        assert cell.number_format == "yyyy-mm-dd"
        return cell.value.date().isoformat()
    if cell.number_format == "0.0%":
        return f"{cell.value * 100:.1f}%"
    return str(cell.value)


def sheet_rows(sheet: Worksheet) -> list[list[str]]:
    return [[shown(cell) for cell in row] for row in sheet.iter_rows()]


def csv_rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text)))


# --- CSV ------------------------------------------------------------------------------------------------


def test_csv_file_opens_in_excel_with_chinese_and_stdout_stays_plain(knowledge_base: Path) -> None:
    result = invoke(knowledge_base, "actions", "-o", "actions.csv")
    assert result.exit_code == 0, result.output
    data = (knowledge_base / "actions.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # without it, Excel on Windows reads UTF-8 as GBK: mojibake
    stdout = invoke(knowledge_base, "actions", "--format", "csv").stdout
    assert not stdout.startswith("\ufeff")
    assert data.decode("utf-8-sig") == stdout  # the same table, only marked for Excel
    assert "张伟" in stdout


@pytest.mark.parametrize(
    "args",
    [
        ["metrics"],
        ["metrics", "--themes"],
        ["actions"],
        ["metrics", "--funnel"],
        ["metrics", "--by", "team"],
        ["actions", "--by", "owner"],
    ],
)
def test_csv_booleans_read_yes_no_and_missing_cells_are_empty(knowledge_base: Path, args: list[str]) -> None:
    rows = json.loads(invoke(knowledge_base, *args, "--format", "json").stdout)
    table = csv_rows(invoke(knowledge_base, *args, "--format", "csv").stdout)
    header, body = table[0], table[1:]
    assert len(body) == len(rows)
    for row, cells in zip(rows, body, strict=True):
        for column, cell in zip(header, cells, strict=True):
            if column == "title":  # the review's title beside its id: for people, not in JSON
                continue
            value = row[column]
            if isinstance(value, bool):
                assert cell == ("yes" if value else "no"), column
            elif value is None:
                assert cell == "", column
            assert cell not in {"True", "False", "nan", "NaN", "None", "<NA>"}, column


def test_boolean_columns_of_every_report_are_covered(knowledge_base: Path) -> None:
    seen = set()
    for args in (["metrics"], ["metrics", "--themes"], ["actions"]):
        for row in json.loads(invoke(knowledge_base, *args, "--format", "json").stdout):
            seen |= {column for column, value in row.items() if isinstance(value, bool)}
    assert seen == {"met", "overdue", "on_time", "recurring", "change_good"}


def test_output_suffix_chooses_the_format(knowledge_base: Path) -> None:
    assert invoke(knowledge_base, "metrics", "--causes", "-o", "causes.json").exit_code == 0
    written = json.loads((knowledge_base / "causes.json").read_text(encoding="utf-8"))
    assert written == json.loads(invoke(knowledge_base, "metrics", "--causes", "--format", "json").stdout)
    result = invoke(knowledge_base, "metrics", "-o", "metrics.txt")
    assert result.exit_code == 2 and ".xlsx" in result.output and not (knowledge_base / "metrics.txt").exists()
    (knowledge_base / "mine.csv").write_text("mine")
    assert invoke(knowledge_base, "actions", "-o", "mine.csv").exit_code == 1
    assert (knowledge_base / "mine.csv").read_text() == "mine"


# --- Excel ----------------------------------------------------------------------------------------------


@pytest.fixture
def workbook(knowledge_base: Path) -> openpyxl.Workbook:
    assert invoke(knowledge_base, "actions", "-o", "actions.xlsx").exit_code == 0
    return openpyxl.load_workbook(knowledge_base / "actions.xlsx")


def test_every_sheet_has_a_bold_frozen_filtered_header(workbook: openpyxl.Workbook) -> None:
    assert workbook.sheetnames == ["actions", "by owner", "by team", "weekly"]
    for sheet in workbook:
        assert all(cell.font.b for cell in sheet[1]), sheet.title
        assert sheet.freeze_panes == "A2", sheet.title
        assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}{sheet.max_row}"


def test_columns_fit_their_content(workbook: openpyxl.Workbook) -> None:
    sheet = workbook["actions"]
    widths = {cell.value: sheet.column_dimensions[cell.column_letter].width for cell in sheet[1]}
    # 29 characters of review id; Chinese counts double: 华南客户成功部 is 14 columns wide.
    assert widths["review"] == len("2026-11-apac-discovery-skills") + 2
    assert widths["team"] == len("Enterprise Sales EMEA") + 2
    assert widths["owner"] == len("Kenji Watanabe") + 2
    assert widths["action"] == 60 and widths["checkpoint"] == 60  # long text: capped, and it wraps
    assert widths["id"] > 2 and widths["due"] == 12
    assert all(width > DEFAULT_WIDTH - 3 for width in widths.values())
    at = [cell.value for cell in sheet[1]].index("action")
    action = [row[at] for row in sheet.iter_rows(min_row=2) if len(str(row[at].value)) > 58]
    assert action and all(cell.alignment.wrap_text for cell in action)
    assert all(sheet.row_dimensions[cell.row].height >= 30 for cell in action)


def test_the_workbook_reads_like_the_csv(knowledge_base: Path, workbook: openpyxl.Workbook) -> None:
    # Looked at as a person would: every cell as Excel shows it, against the CSV of the same table.
    expected = csv_rows(invoke(knowledge_base, "actions", "--format", "csv").stdout)
    assert sheet_rows(workbook["actions"]) == expected
    # The longest overdue first: 2026-q2-east-sales A2 (due 2026-09-30) is older, but it was carried into
    # 2026-10-east-sales, so it is no longer overdue.
    assert expected[1][:13] == [
        "2026-09-south-churn-spike",
        "2026年8月华南区老客户流失率突增复盘",
        "A2",
        "计费规则变更前30天书面通知所有受影响客户",
        "孙浩",
        "华南客户成功部",
        "process",
        "2026-10-31",
        "in_progress",
        "overdue",
        "yes",
        "",
        "20",
    ]
    by_owner = sheet_rows(workbook["by owner"])
    assert by_owner[0][7:9] == ["completion_rate", "on_time_rate"]
    # 张伟: 4 actions, 1 open, 2 done, 1 carried: completion 2 / (4 - 1) = 66.7%; one of two verdicts achieved
    # nothing late: late 0 and no mean days late (not 0); nothing overdue: 0 in each age of overdue
    zhang_wei = ["张伟", "4", "1", "0", "2", "0", "1", "66.7%", "100.0%", "0", "", "2", "1", "50.0%", "0", "0", "0"]
    assert zhang_wei in by_owner
    due = workbook["actions"]["H2"]
    assert isinstance(due.value, datetime) and due.number_format == "yyyy-mm-dd"  # a date Excel can sort


def test_metrics_workbook_rates_are_percentages(knowledge_base: Path) -> None:
    assert invoke(knowledge_base, "metrics", "-o", "m.xlsx").exit_code == 0
    book = openpyxl.load_workbook(knowledge_base / "m.xlsx")
    rows = sheet_rows(book["metrics"])
    header = rows[0]
    row = next(r for r in rows if r[header.index("metric")] == "平均跟进周期" and r[0] == "2026-q3-east-sales")
    assert row[header.index("achievement")] == "68.2%" and row[header.index("met")] == "no"
    assert row[header.index("held_on")] == "2026-10-12"
    assert sheet_rows(book["themes"])[1][-1] in {"yes", "no"}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_percentages_are_numbers_formatted_as_percentages_in_either_language(knowledge_base: Path, lang: str) -> None:
    """0.762 shown as 76.2% by its format, not the text "76.2%"; a change as +4.0% or +4 pp by its row's unit,
    which in a Chinese sheet is written 个百分点 or 比例 (and once named no format at all)."""
    with contextlib.chdir(knowledge_base):
        result = CliRunner().invoke(cli, ["metrics", "--lang", lang, "--today", TODAY, "-o", "m.xlsx"])
    assert result.exit_code == 0, result.output
    sheet = openpyxl.load_workbook(knowledge_base / "m.xlsx").worksheets[0]
    header = [cell.value for cell in sheet[1]]
    words = {"zh": ("达成率", "环比", "变化单位", "指标"), "en": ("achievement", "change", "change_unit", "metric")}
    achievement, change, unit, metric = (header.index(name) for name in words[lang])
    formats = {"pp": '+0.0" pp";-0.0" pp";0" pp"', "ratio": "+0.0%;-0.0%;0%"}
    units = {"个百分点": "pp", "比例": "ratio", "pp": "pp", "ratio": "ratio"}
    changes = 0
    for row in sheet.iter_rows(min_row=2):
        if row[achievement].value is not None:
            assert isinstance(row[achievement].value, (int, float)) and row[achievement].number_format == "0.0%"
        if row[change].value is not None:
            assert isinstance(row[change].value, (int, float)), row[change].value
            assert row[change].number_format == formats[units[row[unit].value]], (row[metric].value, row[unit].value)
            changes += 1
    assert changes >= 10
    q3 = next(
        r for r in sheet.iter_rows(min_row=2) if r[0].value == "2026-q3-east-sales" and r[metric].value == "销售额"
    )
    assert q3[achievement].value == pytest.approx(0.76) and q3[change].value == pytest.approx(-0.0952, abs=1e-4)


@pytest.mark.parametrize(
    "filters",
    [
        ["--owner", "张伟"],
        ["--team", "华南客户成功部"],
        ["--status", "done"],
        ["--overdue"],
        ["--owner", "张伟", "--status", "open"],
    ],
)
def test_command_line_filters_apply_to_every_sheet(knowledge_base: Path, filters: list[str]) -> None:
    assert invoke(knowledge_base, "actions", *filters, "-o", "f.xlsx").exit_code == 0
    book = openpyxl.load_workbook(knowledge_base / "f.xlsx")
    kept = json.loads(invoke(knowledge_base, "actions", *filters, "--format", "json").stdout)
    assert len(sheet_rows(book["actions"])) - 1 == len(kept)
    owners = {row["owner"] for row in kept}
    teams = {row["team"] for row in kept}
    assert {r[0] for r in sheet_rows(book["by owner"])[1:]} == owners
    assert {r[0] for r in sheet_rows(book["by team"])[1:]} == teams
    assert sum(int(r[1]) for r in sheet_rows(book["by owner"])[1:]) == len(kept)
    # The last week is today: its open + overdue + done are the kept actions neither cancelled nor carried
    # (a carried action counts as the action that continues it).
    weekly = sheet_rows(book["weekly"])
    last = weekly[-1]
    assert last[0] == TODAY
    assert sum(map(int, last[1:])) == sum(row["state"] not in ("cancelled", "carried") for row in kept)
    printed = csv_rows(invoke(knowledge_base, "actions", *filters, "--weekly", "--format", "csv").stdout)
    assert printed == weekly  # --weekly printed follows the filters too


def test_by_and_history_get_their_own_sheet(knowledge_base: Path) -> None:
    assert invoke(knowledge_base, "actions", "--by", "type", "-o", "t.xlsx").exit_code == 0
    assert "by type" in openpyxl.load_workbook(knowledge_base / "t.xlsx").sheetnames
    assert invoke(knowledge_base, "actions", "--history", "2026-q3-east-sales:A1", "-o", "h.xlsx").exit_code == 0
    book = openpyxl.load_workbook(knowledge_base / "h.xlsx")
    assert book.sheetnames == ["history"]
    assert sheet_rows(book["history"])[0] == ["date", "status", "source", "commit", "note"]


def test_hostile_review_text_and_far_dates_export(knowledge_base: Path) -> None:
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    text = review.read_text(encoding="utf-8")
    text = text.replace(
        "action: 开展SPIN提问技巧培训,11月起每周1次销售案例模拟演练",
        'action: "=HYPERLINK(\\"http://x\\",\\"click\\") 培训"',
        1,
    )
    text = text.replace("due: 2026-11-05", "due: 2199-12-31", 1)  # the latest year the schema accepts
    review.write_text(text, encoding="utf-8")
    assert invoke(knowledge_base, "check").exit_code in {0, 1}
    assert invoke(knowledge_base, "actions", "-o", "a.xlsx").exit_code == 0
    rows = sheet_rows(openpyxl.load_workbook(knowledge_base / "a.xlsx")["actions"])
    assert [r[3] for r in rows if r[3].startswith("=")] == ['=HYPERLINK("http://x","click") 培训']
    assert "2199-12-31" in [r[7] for r in rows]
    assert invoke(knowledge_base, "actions", "-o", "a.csv").exit_code == 0
    cells = [r[3] for r in csv_rows((knowledge_base / "a.csv").read_text(encoding="utf-8-sig"))]
    assert '\'=HYPERLINK("http://x","click") 培训' in cells


def test_printed_csv_runs_no_formula_unless_raw(knowledge_base: Path) -> None:
    """CSV on stdout is piped into files people open in Excel as often as -o writes one: the same escaping."""
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    text = review.read_text(encoding="utf-8")
    for old, new in [
        ("action: 开展SPIN提问技巧培训,11月起每周1次销售案例模拟演练", 'action: "=HYPERLINK(A1) 培训"'),
        ("owner: 张伟", 'owner: "@SUM(1)"'),
    ]:
        assert old in text
        text = text.replace(old, new, 1)
    review.write_text(text, encoding="utf-8")
    printed = invoke(knowledge_base, "actions", "--format", "csv").stdout
    cells = {cell for row in csv_rows(printed) for cell in row}
    assert {"'=HYPERLINK(A1) 培训", "'@SUM(1)"} <= cells
    assert not any(cell.startswith(("=", "@")) for cell in cells)
    assert (
        invoke(knowledge_base, "actions", "-o", "a.csv").exit_code == 0
        and (knowledge_base / "a.csv").read_text(encoding="utf-8-sig") == printed
    )  # one escaping everywhere
    raw = {
        cell for row in csv_rows(invoke(knowledge_base, "actions", "--format", "csv", "--raw").stdout) for cell in row
    }
    assert {"=HYPERLINK(A1) 培训", "@SUM(1)"} <= raw
    assert invoke(knowledge_base, "actions", "--raw", "-o", "raw.csv").exit_code == 0
    assert "=HYPERLINK(A1) 培训" in (knowledge_base / "raw.csv").read_text(encoding="utf-8-sig")
    owners = {row[0] for row in csv_rows(invoke(knowledge_base, "actions", "--by", "owner", "--format", "csv").stdout)}
    assert "'@SUM(1)" in owners
