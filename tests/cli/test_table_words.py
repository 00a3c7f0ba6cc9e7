"""Tables for people speak the knowledge base's language: Chinese headers and words for codes, the review's
title beside its id, a terminal table that fits 100 columns unless --wide; JSON keeps its English keys."""

from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import openpyxl
import pytest
import yaml
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.formats.tables import TERMINAL_WIDTH, width

TODAY = ("--today", "2026-11-20")
TABLES = [
    ["metrics"],
    ["metrics", "--by", "team"],
    ["metrics", "--funnel"],
    ["metrics", "--causes"],
    ["metrics", "--lessons"],
    ["metrics", "--themes"],
    ["actions"],
    ["actions", "--by", "owner"],
    ["actions", "--weekly"],
    ["actions", "--history", "2026-q3-east-sales:A2"],
]


def run(kb: Path, *args: str) -> str:
    with contextlib.chdir(kb):
        result = CliRunner().invoke(cli, [*args, *TODAY], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


def title_of(kb: Path, review_id: str) -> str:
    title: str = yaml.safe_load((kb / "reviews" / f"{review_id}.yaml").read_text(encoding="utf-8"))["title"]
    return title


def test_csv_speaks_chinese_in_a_chinese_knowledge_base(knowledge_base: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run(knowledge_base, "actions", "--format", "csv"))))
    raw = json.loads(run(knowledge_base, "actions", "--format", "json"))
    assert len(rows) == len(raw) and set(raw[0]) >= {"review", "status", "state", "overdue"}  # JSON: English keys
    first, data = rows[0], raw[0]
    assert (first["复盘"], first["编号"]) == (data["review"], data["id"])
    assert first["标题"] == title_of(knowledge_base, data["review"])  # the title beside the id
    assert (data["status"], data["state"], data["overdue"]) == ("in_progress", "overdue", True)
    assert (first["状态"], first["进展"], first["逾期"]) == ("进行中", "已逾期", "是")
    words = {cell for row in rows for cell in row.values()}
    assert not words & {"in_progress", "not_started", "overdue", "yes", "no", "True", "False"}


def test_lang_en_keeps_the_column_names_and_codes(knowledge_base: Path) -> None:
    rows = list(csv.DictReader(io.StringIO(run(knowledge_base, "actions", "--format", "csv", "--lang", "en"))))
    assert list(rows[0])[:4] == ["review", "title", "id", "action"]
    assert (rows[0]["status"], rows[0]["state"], rows[0]["overdue"]) == ("in_progress", "overdue", "yes")


@pytest.mark.parametrize("args", TABLES, ids=" ".join)
def test_the_default_table_fits_a_terminal_and_wide_shows_every_column(knowledge_base: Path, args: list[str]) -> None:
    narrow = run(knowledge_base, *args).splitlines()
    assert max(width(line) for line in narrow) <= TERMINAL_WIDTH, "\n".join(narrow)
    columns = len(json.loads(run(knowledge_base, *args, "--format", "json"))[0])
    wide = run(knowledge_base, *args, "--wide").splitlines()
    shown = len(wide[1].split())  # the rule under the header: one run of dashes per column
    assert shown == columns + ("review" in json.loads(run(knowledge_base, *args, "--format", "json"))[0])
    if len(narrow[1].split()) < shown:
        assert narrow[-1] == f"(另有 {shown - len(narrow[1].split())} 列未显示:加 --wide,或用 --format csv)"


def test_the_narrow_metrics_table_keeps_the_numbers_that_matter(knowledge_base: Path) -> None:
    lines = run(knowledge_base, "metrics").splitlines()
    # the streak of misses goes before the title, which the id already names and a narrow table cuts to 8 cells
    assert lines[0].split()[:2] == ["复盘", "指标"] and "达成率" in lines[0] and lines[0].split()[-1] == "连续未达成"
    row = next(line for line in lines if line.startswith("2026-q3-east-sales ") and "平均跟进周期" in line)
    assert "68.2%" in row and row.split()[-1] == "4"  # 22 days against a 15-day target: missed, the 4th in a row
    assert "2026-q3-east-sales" in row.split()  # an id is never shortened: it is copied into commands


def test_the_workbook_speaks_chinese(knowledge_base: Path) -> None:
    with contextlib.chdir(knowledge_base):
        assert CliRunner().invoke(cli, ["metrics", "-o", "m.xlsx", *TODAY]).exit_code == 0
    sheet = openpyxl.load_workbook(knowledge_base / "m.xlsx")["metrics"]
    header = [cell.value for cell in sheet[1]]
    assert header[:2] == ["复盘", "标题"] and "达成率" in header and "上期来源" in header
    met = {row[header.index("达成")].value for row in sheet.iter_rows(min_row=2)}
    assert met <= {"是", "否", None} and "是" in met


def test_related_titles_its_reviews(tmp_path: Path) -> None:
    root = Path(__file__).resolve().parent.parent / "related"
    with contextlib.chdir(tmp_path):
        result = CliRunner().invoke(
            cli,
            ["-c", str(root / "mkdocs.yml"), "related", "--text", "定价", "--format", "csv"],
            catch_exceptions=False,
        )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows and all(row["标题"] == title_of(root, row["复盘"]) for row in rows)
    assert {row["类型"] for row in rows} <= {"问题", "经验"}
