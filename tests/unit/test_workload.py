"""Who carries too much: overdue ageing per owner, the digest by severity, and escalation to the team's lead,
on a small knowledge base whose every figure is counted by hand below (as of 2026-12-20)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from retrogen.engine.actions import action_summary, overdue_ages
from retrogen.engine.analysis import Analysis, analyse
from retrogen.engine.model import Participant
from retrogen.gate.config import load_config
from retrogen.gate.people import Roster
from retrogen.notify.digest import Reason, build_digest
from retrogen.notify.escalation import build_escalations, dry_run_text

from ..cli.test_check_and_new import run
from ..minimal import review, write_knowledge_base

TODAY = date(2026, 12, 20)
NORTH, WEST, SOUTH = "华北销售部", "West Sales", "华南客户部"


def _action(action_id: str, owner: str, due: str, **fields: Any) -> dict[str, Any]:
    return {
        "id": action_id,
        "action": f"行动{action_id}",
        "type": "process",
        "owner": owner,
        "due": due,
        "checkpoint": "交付物",
        **fields,
    }


UPDATE = [{"date": "2026-11-01", "status": "in_progress", "note": "进行中"}]
# Days overdue on 2026-12-20: A1 1, A2 7, A3 8, A4 14, A5 15, A6 30, A7 31, A10 80.
NORTH_ACTIONS = [
    _action("A1", "王芳", "2026-12-19"),
    _action("A2", "王芳", "2026-12-13"),
    _action("A3", "王芳", "2026-12-12"),
    _action("A4", "王芳", "2026-12-06"),
    _action("A5", "王芳", "2026-12-05"),
    _action("A6", "王芳", "2026-11-20"),
    _action("A7", "王芳", "2026-11-19"),
    _action("A8", "王芳", "2027-01-10"),  # open, quiet since the meeting (81 days)
    _action("A9", "王芳", "2026-11-01", status="done", done_on="2026-10-30"),
    _action("A10", "刘洋", "2026-10-01"),
    _action("A11", "王芳", "2027-01-05", status="in_progress", updates=UPDATE),  # quiet for 49 days
    _action("A12", "王芳", "2026-12-22"),  # due in 2 days
    _action("A13", "王芳", "2026-12-21"),  # due tomorrow
]
ROSTER = """people:
  - name: 张伟
    aliases: [Zhang Wei]
    email: zhangwei@example.com
    mobile: "13800000001"
    wecom: zhangwei
  - name: 王芳
  - name: 李娜
"""


def workload_knowledge_base(folder: Path, settings: str = "") -> Path:
    reviews = [
        review(
            "2026-q3-north",
            NORTH,
            quarter=3,
            lang="zh",
            title="华北销售部2026年Q3复盘",
            participants=[{"name": "Zhang Wei", "role": "lead"}, {"name": "王芳", "role": "frontline"}],
            actions=NORTH_ACTIONS,
        ),
        review(
            "2026-q3-west",
            WEST,
            quarter=3,
            participants=[{"name": "Ann Lee", "role": "lead"}, {"name": "Bob Stone", "role": "frontline"}],
            actions=[_action("A1", "Bob Stone", "2026-11-01", action="Call back every lost deal")],
        ),
        review(
            "2026-q3-south",
            SOUTH,
            quarter=3,
            lang="zh",
            participants=[{"name": "李娜", "role": "lead"}, {"name": "吴强", "role": "frontline"}],
            actions=[_action("A1", "吴强", "2026-12-01")],
        ),
    ]
    write_knowledge_base(folder, reviews)
    (folder / "people.yaml").write_text(ROSTER, encoding="utf-8")
    config = folder / "mkdocs.yml"
    extra = f"extra:\n  retrogen:\n    people: people.yaml\n{settings}"
    config.write_text(config.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return folder


@pytest.fixture
def workload_kb(tmp_path: Path) -> Path:
    return workload_knowledge_base(tmp_path)


@pytest.fixture
def analysis(workload_kb: Path) -> Analysis:
    return analyse(load_config(workload_kb / "mkdocs.yml"), TODAY, use_git=False)


def test_overdue_ages_per_owner_by_hand(analysis: Analysis) -> None:
    ages = overdue_ages(analysis.actions)
    # 王芳: 11 open (A1-A8, A11-A13), 7 overdue: 1-7 days A1, A2; 8-30 A3, A4, A5, A6; over 30 A7.
    assert ages.to_dict("records") == [
        {"owner": "王芳", "open": 11, "overdue": 7, "overdue_1_7": 2, "overdue_8_30": 4, "overdue_over_30": 1},
        {"owner": "Bob Stone", "open": 1, "overdue": 1, "overdue_1_7": 0, "overdue_8_30": 0, "overdue_over_30": 1},
        {"owner": "刘洋", "open": 1, "overdue": 1, "overdue_1_7": 0, "overdue_8_30": 0, "overdue_over_30": 1},
        {"owner": "吴强", "open": 1, "overdue": 1, "overdue_1_7": 0, "overdue_8_30": 1, "overdue_over_30": 0},
    ]


def test_the_owner_summary_carries_the_ages_and_the_other_groups_do_not(analysis: Analysis) -> None:
    by_owner = action_summary(analysis.actions, "owner").set_index("owner")
    assert by_owner.loc["王芳", ["actions", "open", "overdue_1_7", "overdue_8_30", "overdue_over_30"]].tolist() == [
        12, 11, 2, 4, 1,
    ]  # fmt: skip
    assert "overdue_8_30" not in action_summary(analysis.actions, "team")


def test_actions_by_owner_json_and_csv_rows_carry_the_buckets(workload_kb: Path) -> None:
    code, out = run(
        "actions", "--by", "owner", "--today", TODAY.isoformat(), "--no-git", "--format", "json", cwd=workload_kb
    )
    assert code == 0, out
    rows = {row["owner"]: row for row in json.loads(out[out.index("[") :])}
    assert (rows["吴强"]["overdue_1_7"], rows["吴强"]["overdue_8_30"], rows["吴强"]["overdue_over_30"]) == (0, 1, 0)
    code, out = run(
        "actions", "--by", "owner", "--today", TODAY.isoformat(), "--no-git", "--format", "csv", cwd=workload_kb
    )
    assert code == 0, out
    assert out.splitlines()[0].endswith(",逾期1–7天,逾期8–30天,逾期30天以上")  # the site's language: zh


def test_each_digest_is_in_order_of_severity(analysis: Analysis) -> None:
    """Most overdue first, then due soonest, then the longest quiet (A8, quiet 81 days, before A11, 49, though
    A11 is due first)."""
    digest = {d.owner: d for d in build_digest(analysis)}
    items = digest["王芳"].items
    assert [i.id for i in items] == ["A7", "A6", "A5", "A4", "A3", "A2", "A1", "A13", "A12", "A8", "A11"]
    assert [i.reasons for i in items[-2:]] == [(Reason.STALE,), (Reason.STALE,)]


def test_escalations_go_to_the_lead_through_the_roster(analysis: Analysis, workload_kb: Path) -> None:
    roster = load_config(workload_kb / "mkdocs.yml").roster
    west, north, south = build_escalations(analysis, roster)
    # More than 14 days overdue: A10 (80), A7 (31), A6 (30), A5 (15); A4, 14 days, is not.
    assert (north.team, north.lead, north.language, north.problem) == (NORTH, "张伟", "zh", None)
    assert [(i.id, i.owner, i.days_late) for i in north.items] == [
        ("A10", "刘洋", 80), ("A7", "王芳", 31), ("A6", "王芳", 30), ("A5", "王芳", 15),
    ]  # fmt: skip
    assert north.contact("email") == "zhangwei@example.com" and north.contact("dingtalk") == "13800000001"
    assert west.lead == "Ann Lee" and west.problem is not None and "not in the roster" in west.problem
    assert south.lead == "李娜" and south.problem == (
        "the roster has no email or feishu or mobile or slack or wecom for the lead 李娜 of 2026-q3-south"
    )
    (north_on_feishu,) = [e for e in build_escalations(analysis, roster, platform="feishu") if e.team == NORTH]
    assert north_on_feishu.problem == "the roster has no feishu for the lead 张伟 of 2026-q3-north"


def test_the_lead_message_is_in_the_reviews_language(analysis: Analysis, workload_kb: Path) -> None:
    escalations = build_escalations(analysis, load_config(workload_kb / "mkdocs.yml").roster)
    text = dry_run_text(escalations, TODAY, 14, language="zh")
    assert "发给 华北销售部 负责人 张伟：\n升级提醒 2026-12-20：张伟，华北销售部 有 4 项行动逾期超过 14 天\n" in text
    assert "- 2026-q3-north:A10 刘洋：行动A10 (逾期 80 天)" in text
    assert "Escalation 2026-12-20: Ann Lee, 1 actions of West Sales are more than 14 days overdue" in text
    assert "未能升级（the lead Ann Lee of 2026-q3-west is not in the roster" in text
    assert "未能升级（the roster has no email or feishu or mobile or slack or wecom for the lead 李娜" in text


def test_a_review_without_a_lead_is_said_not_dropped(analysis: Analysis, workload_kb: Path) -> None:
    """`check` refuses a review without a lead (RG114), so only a review read around the gate has none; its
    escalation still says where it went: nowhere, and why."""
    reviews = analysis.knowledge_base.reviews
    south = next(i for i, r in enumerate(reviews) if r.team == SOUTH)
    reviews[south] = replace(reviews[south], participants=(Participant("吴强", "frontline"),))
    (escalation,) = [e for e in build_escalations(analysis, Roster()) if e.team == SOUTH]
    assert escalation.lead is None and escalation.problem == "2026-q3-south names no participant with role lead"
    assert [i.owner for i in escalation.items] == ["吴强"]
    assert "Not escalated (2026-q3-south names no participant with role lead):" in dry_run_text([escalation], TODAY, 14)


def test_escalate_after_is_a_setting(tmp_path: Path) -> None:
    folder = workload_knowledge_base(tmp_path, "    escalate_after: 30\n")
    config = load_config(folder / "mkdocs.yml")
    escalations = build_escalations(
        analyse(config, TODAY, use_git=False), config.roster, escalate_after=config.settings.escalate_after
    )
    assert [(e.team, [i.id for i in e.items]) for e in escalations] == [(WEST, ["A1"]), (NORTH, ["A10", "A7"])]
