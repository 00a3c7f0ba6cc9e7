from __future__ import annotations

import contextlib
import csv
import io
import json
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.cli import reports as cli_reports
from retrogen.cli.base import load_analysis
from retrogen.cli.tables import echo_json

TODAY = "2026-11-20"


def run(kb: Path, *args: str) -> tuple[int, str]:
    with contextlib.chdir(kb):
        result = CliRunner().invoke(cli, [*args, "--today", TODAY], catch_exceptions=False)
    return result.exit_code, result.stdout


GOLDEN = [
    ("metrics.csv", ["metrics", "--format", "csv"]),
    ("metrics-by-team.csv", ["metrics", "--by", "team", "--format", "csv"]),
    ("metrics-by-period.csv", ["metrics", "--by", "period", "--format", "csv"]),
    ("funnel.csv", ["metrics", "--funnel", "--format", "csv"]),
    ("causes.json", ["metrics", "--causes", "--format", "json"]),
    ("lessons-by-tag.csv", ["metrics", "--lessons", "--format", "csv"]),
    ("themes.json", ["metrics", "--themes", "--format", "json"]),
    ("actions.json", ["actions", "--format", "json"]),
    ("actions.csv", ["actions", "--format", "csv"]),
    ("actions-by-owner.csv", ["actions", "--by", "owner", "--format", "csv"]),
    ("actions-weekly.csv", ["actions", "--weekly", "--format", "csv"]),
    ("actions-history.json", ["actions", "--history", "2026-q3-east-sales:A1", "--format", "json"]),
    ("playbook.zh.md", ["playbook"]),
    ("playbook.en.md", ["playbook", "--lang", "en"]),
    ("metrics.txt", ["metrics"]),
    ("actions.txt", ["actions"]),
    ("metrics-wide.txt", ["metrics", "--wide", "--lang", "en"]),
]


@pytest.mark.parametrize(("name", "args"), GOLDEN, ids=[name for name, _ in GOLDEN])
def test_output_matches_golden_file(
    knowledge_base: Path, golden: Callable[[str, str], None], name: str, args: list[str]
) -> None:
    code, out = run(knowledge_base, *args)
    assert code == 0
    golden(name, out)


def test_slips_along_the_fixture_carry_chains(knowledge_base: Path) -> None:
    _, out = run(knowledge_base, "actions", "--format", "json")
    rows = {(r["review"], r["id"]): r for r in json.loads(out)}

    def slip(review: str, action: str) -> tuple[str, int, int]:
        row = rows[(review, action)]
        return row["original_due"], row["carries"], row["slip_days"]

    # 2025-q4:A2 due 2026-03-31 -> 2026-q1:A3 due 2026-05-31 (30 + 31 = 61 days) -> 2026-q2:A3 due 2026-08-15
    # (61 + 30 + 31 + 15 = 137 days).
    assert slip("2025-q4-east-sales", "A2") == ("2026-03-31", 0, 0)
    assert slip("2026-q1-east-sales", "A3") == ("2026-03-31", 1, 61)
    assert slip("2026-q2-east-sales", "A3") == ("2026-03-31", 2, 137)
    # 2026-q2:A2 due 2026-09-30, carried to 2026-12-15: 31 + 30 + 15 = 76 days later.
    assert slip("2026-10-east-sales", "A3") == ("2026-09-30", 1, 76)


def test_q3_example_numbers_match_the_template(knowledge_base: Path) -> None:
    _, out = run(knowledge_base, "metrics", "--format", "json")
    rows = {r["metric"]: r for r in json.loads(out) if r["review"] == "2026-q3-east-sales"}
    assert round(rows["销售额"]["achievement"], 2) == 0.76
    assert round(rows["新客户数量"]["achievement"], 2) == 0.60
    assert round(rows["老客户复购率"]["achievement"], 2) == 1.08
    assert round(rows["平均跟进周期"]["achievement"], 3) == 0.682
    assert rows["平均跟进周期"]["met"] is False and rows["老客户复购率"]["met"] is True
    _, out = run(knowledge_base, "metrics", "--funnel", "--format", "json")
    stages = [r for r in json.loads(out) if r["review"] == "2026-q3-east-sales"]
    assert [s["conversion"] for s in stages] == [None, 0.2, 0.25]
    assert stages[-1]["cumulative"] == 0.05


def test_actions_filters(knowledge_base: Path) -> None:
    _, out = run(knowledge_base, "actions", "--overdue", "--format", "json")
    overdue = json.loads(out)
    assert overdue and all(r["overdue"] for r in overdue)
    assert overdue[0]["days_late"] == max(r["days_late"] for r in overdue)  # longest overdue first
    _, out = run(knowledge_base, "actions", "--owner", "张伟", "--format", "json")
    assert {r["owner"] for r in json.loads(out)} == {"张伟"}
    _, out = run(knowledge_base, "actions", "--status", "open", "--team", "华东销售部", "--format", "json")
    assert {r["status"] for r in json.loads(out)} <= {"not_started", "in_progress", "blocked"}


def test_history_needs_an_unambiguous_action(knowledge_base: Path) -> None:
    code, _ = run(knowledge_base, "actions", "--history", "A1")
    assert code == 2


def test_excel_workbook(knowledge_base: Path) -> None:
    code, _ = run(knowledge_base, "metrics", "-o", "m.xlsx")
    assert code == 0
    book = openpyxl.load_workbook(knowledge_base / "m.xlsx")
    assert book.sheetnames[:2] == ["metrics", "funnel"]
    sheet = book["metrics"]
    header = [c.value for c in sheet[1]]
    column = header.index("达成率") + 1  # the knowledge base's language
    assert sheet.cell(row=2, column=column).number_format == "0.0%"
    code, _ = run(knowledge_base, "metrics", "-o", "m.xlsx")
    assert code == 1  # never replaced without --force
    code, _ = run(knowledge_base, "actions", "-o", "m.xlsx", "--force")
    assert code == 0 and "by owner" in openpyxl.load_workbook(knowledge_base / "m.xlsx").sheetnames


def test_playbook_to_file_is_atomic_and_refuses_overwrite(knowledge_base: Path) -> None:
    target = knowledge_base / "playbook.md"
    target.write_text("mine")
    code, _ = run(knowledge_base, "playbook", "-o", "playbook.md")
    assert code == 1 and target.read_text() == "mine"
    code, _ = run(knowledge_base, "playbook", "-o", "playbook.md", "--force")
    assert code == 0 and target.read_text().startswith("# 打法手册")
    assert [p.name for p in knowledge_base.iterdir() if p.name.startswith(".playbook")] == []


def test_invalid_reviews_are_left_out_with_a_notice(knowledge_base: Path) -> None:
    (knowledge_base / "reviews" / "broken.yaml").write_text("id: broken\n")
    with contextlib.chdir(knowledge_base):
        result = CliRunner().invoke(cli, ["metrics", "--today", TODAY, "--format", "csv"])
    assert result.exit_code == 0
    assert "broken.yaml" in result.stderr and "left out" in result.stderr
    assert "broken" not in result.stdout


def test_status_is_the_files_in_every_format_and_the_filter(knowledge_base: Path) -> None:
    # 2026-q2-east-sales A2 says blocked in its file; 2026-10-east-sales carried it, so its state is carried.
    _, out = run(knowledge_base, "actions", "--format", "json")
    row = next(r for r in json.loads(out) if (r["review"], r["id"]) == ("2026-q2-east-sales", "A2"))
    assert (row["status"], row["state"]) == ("blocked", "carried")
    _, out = run(knowledge_base, "actions", "--format", "csv", "--lang", "en")
    rows = {(row["review"], row["id"]): row for row in csv.DictReader(io.StringIO(out))}
    assert (rows["2026-q2-east-sales", "A2"]["status"], rows["2026-q2-east-sales", "A2"]["state"]) == (
        "blocked",
        "carried",
    )
    _, out = run(knowledge_base, "actions", "--status", "blocked", "--format", "json")
    assert ("2026-q2-east-sales", "A2") in {(r["review"], r["id"]) for r in json.loads(out)}


@pytest.mark.parametrize("command", [["metrics"]])
def test_json_on_stdout_is_written_once_the_reviews_are_let_go(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch, command: list[str]
) -> None:
    """JSON needs the table alone: the analysis and its reviews (150 MB at 10,000) are freed before the
    JSON's text is made, so that the command's peak is not the two at once (issue 21). `actions` keeps them
    to the end instead (core/bulk.kept_to_the_end): its table is smaller, and freeing them cost it 0.18 s."""
    analyses: list[weakref.ref[Any]] = []
    freed: list[bool] = []

    def loaded(*args: Any, **kwargs: Any) -> Any:
        analysis = load_analysis(*args, **kwargs)
        analyses.append(weakref.ref(analysis))
        return analysis

    def echoed(frame: Any) -> None:
        freed.append(all(ref() is None for ref in analyses))
        echo_json(frame)

    monkeypatch.setattr(cli_reports, "load_analysis", loaded)
    monkeypatch.setattr(cli_reports, "echo_json", echoed)
    code, out = run(knowledge_base, *command, "--format", "json")
    assert code == 0 and json.loads(out)
    assert analyses and freed == [True]
