"""The closed loop through the command line: `check` on carried and verified actions, `new --team`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from .test_check_and_new import run

HEAD = """schema_version: 1
id: {id}
title: 华东销售部 {label} 销售复盘
kind: periodic
team: 华东销售部
period: {{label: {label}, start: {start}, end: {end}}}
held_on: {held_on}
objective: 分析{label}业绩差距并制定改进计划
participants:
  - name: 张伟
    role: lead
metrics:
  - category: 客户维护
    name: 老客户复购率
    unit: "%"
    target: 60
    actual: {rate}
    analysis: 复购率变化的原因
  - category: 过程效率
    name: 平均跟进周期
    unit: 天
    target: 15
    actual: {days}
    better: lower
    analysis: 跟进周期变化的原因
actions:
"""

ACTION = """  - id: {id}
    action: {text}
    owner: 王芳
    due: {due}
    checkpoint: 交付物
    status: {status}
"""


def review(
    folder: Path,
    review_id: str,
    label: str,
    start: str,
    end: str,
    held_on: str,
    rate: float,
    days: float,
    actions: list[dict[str, str]],
) -> Path:
    text = HEAD.format(id=review_id, label=label, start=start, end=end, held_on=held_on, rate=rate, days=days)
    for action in actions:
        text += ACTION.format(**{"status": "in_progress", "due": "2026-12-31", **action})
        for extra in ("carried_from", "expects"):
            if extra in action:
                text += f"    {extra}: {action[extra]}\n"
    path = folder / "reviews" / f"{review_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def team(tmp_path: Path) -> Path:
    (tmp_path / "mkdocs.yml").write_text("site_name: KB\n", encoding="utf-8")
    review(
        tmp_path,
        "q2",
        "2026-Q2",
        "2026-04-01",
        "2026-06-30",
        "2026-07-08",
        61,
        19,
        [
            {
                "id": "A1",
                "text": "复购回访机制",
                "status": "done\n    done_on: 2026-08-01",
                "expects": "{metric: 老客户复购率, target: 60, by: 2026-09-30}",
            },
            {"id": "A2", "text": "折扣审批下放", "status": "blocked", "due": "2026-09-30"},
            {"id": "A3", "text": "缩短跟进周期", "expects": "{metric: 平均跟进周期, target: 15, by: 2026-09-30}"},
        ],
    )
    return tmp_path


def findings(folder: Path, *paths: str) -> list[dict[str, object]]:
    _, out = run("check", *paths, "--format", "json", "--today", "2026-11-20", cwd=folder)
    result: list[dict[str, object]] = json.loads(out)
    return result


def test_the_latest_review_follows_up_what_is_still_open(team: Path) -> None:
    review(
        team,
        "q3",
        "2026-Q3",
        "2026-07-01",
        "2026-09-30",
        "2026-10-12",
        65,
        22,
        [{"id": "A1", "text": "折扣审批下放(续)", "carried_from": "q2:A2"}],
    )
    # the closed-loop codes; 平均跟进周期 missing its target in both quarters (RG223) is another matter
    loop = [(f["path"], f["code"], f["message"]) for f in findings(team) if "RG215" <= str(f["code"]) <= "RG221"]
    assert loop == [
        (
            "reviews/q3.yaml",
            "RG216",
            "A3 of q2 (王芳, due 2026-12-31) is still open and not followed "
            "up in this review; carry it (carried_from: q2:A3) or close it in its review",
        )
    ]


def test_pre_commit_passes_only_the_changed_file_and_the_loop_is_still_judged(team: Path) -> None:
    review(
        team,
        "q3",
        "2026-Q3",
        "2026-07-01",
        "2026-09-30",
        "2026-10-12",
        65,
        22,
        [{"id": "A1", "text": "x", "carried_from": "q2:A9"}],
    )
    codes = {(f["code"], f["line"]) for f in findings(team, "reviews/q3.yaml")}
    assert ("RG120", 33) in codes  # q2 has no A9: known although q2 was not named
    assert "RG216" in {code for code, _ in codes}


def test_carrying_from_a_missing_or_later_review_is_an_error(team: Path) -> None:
    review(
        team,
        "q1",
        "2026-Q1",
        "2026-01-01",
        "2026-03-31",
        "2026-04-10",
        58,
        17,
        [{"id": "A1", "text": "x", "carried_from": "q2:A2"}],
    )
    code, out = run("check", "--today", "2026-11-20", cwd=team)
    assert code == 1
    assert "reviews/q1.yaml:33:19: RG121 action A1: carried_from names q2, held 2026-07-08, after this review" in out


def test_new_for_a_team_prefills_metrics_and_carries_open_actions(team: Path) -> None:
    code, out = run("new", "q3", "--team", "华东销售部", "--lang", "zh", "--today", "2026-10-12", cwd=team)
    assert code == 0, out
    assert "Pre-filled 2 metrics from q2 and carried 2 open actions forward." in out
    text = (team / "reviews" / "q3.yaml").read_text(encoding="utf-8")
    assert '  label: "2026-Q3"\n  start: 2026-07-01\n  end: 2026-09-30\n' in text
    assert (
        '    name: "平均跟进周期"\n    unit: "天"\n    better: lower\n    target: TODO\n    actual: TODO\n'
        "    previous: 19\n" in text
    )
    assert 'carried_from: "q2:A2"' in text and 'carried_from: "q2:A3"' in text and "q2:A1" not in text
    # once the TODOs are filled, the review passes and closes the loop
    filled = (
        text.replace("target: TODO", "target: 10")
        .replace("actual: TODO", "actual: 12")
        .replace("due: YYYY-MM-DD", "due: 2026-12-31")
    )
    (team / "reviews" / "q3.yaml").write_text(filled, encoding="utf-8")
    codes = {str(f["code"]) for f in findings(team, "reviews/q3.yaml")}
    assert not codes & {"RG120", "RG121", "RG216", "RG103"}


def test_new_with_a_period_label_fixes_the_granularity(team: Path) -> None:
    code, out = run("new", "oct", "--team", "华东销售部", "--period", "2026-10", "--today", "2026-11-05", cwd=team)
    assert code == 0, out
    text = (team / "reviews" / "oct.yaml").read_text(encoding="utf-8")
    assert "  start: 2026-10-01\n  end: 2026-10-31\n" in text
    assert "previous:" not in text.split("funnel:")[0].replace("# previous", "")  # no monthly review to copy from
    code, out = run("new", "x", "--period", "2026-Q5", cwd=team)
    assert code == 2 and "not a period" in out


def test_new_takes_previous_only_from_the_adjacent_period(team: Path) -> None:
    code, out = run("new", "q4", "--team", "华东销售部", "--period", "2026-Q4", "--today", "2027-01-08", cwd=team)
    assert code == 0, out
    text = (team / "reviews" / "q4.yaml").read_text(encoding="utf-8")
    assert 'name: "老客户复购率"' in text  # the metric list of the latest quarter (Q2)...
    assert "previous:" not in text.split("funnel:")[0].replace("# previous", "")  # ...but Q3 is missing: no 环比


@pytest.mark.parametrize("label", ["0000", "0000-Q1", "9999-H2"])
def test_periods_at_the_ends_of_the_calendar_are_refused(team: Path, label: str) -> None:
    code, out = run("new", "x", "--team", "华东销售部", "--period", label, cwd=team)
    assert code == 2 and "not a period" in out and "Traceback" not in out


def test_a_draft_outside_the_knowledge_base_is_judged_with_it(
    team: Path, tmp_path_factory: pytest.TempPathFactory
) -> None:
    drafts = tmp_path_factory.mktemp("drafts")
    review(
        drafts,
        "q3",
        "2026-Q3",
        "2026-07-01",
        "2026-09-30",
        "2026-10-12",
        65,
        22,
        [{"id": "A1", "text": "x", "carried_from": "q2:A2"}, {"id": "A2", "text": "y", "carried_from": "q2:A3"}],
    )
    draft = drafts / "reviews" / "q3.yaml"
    codes = {str(f["code"]) for f in findings(team, str(draft))}
    assert not codes & {"RG120", "RG121", "RG216"}  # q2 and its actions are known from the knowledge base


def test_new_carries_only_from_reviews_held_before_its_meeting(team: Path) -> None:
    """A month written after the quarter that follows it: q2 (held 2026-07-08) is later than June's meeting, so
    none of its actions can be carried into June (check would refuse them: RG121)."""
    code, out = run(
        "new",
        "jun",
        "--team",
        "华东销售部",
        "--period",
        "2026-06",
        "--today",
        "2026-08-02",
        "--held-on",
        "2026-07-02",
        cwd=team,
    )
    assert code == 0, out
    assert "carried" not in out, out
    text = (team / "reviews" / "jun.yaml").read_text(encoding="utf-8")
    assert "carried_from" not in text.replace("# carried_from", "")
    # held after q2, the same month carries q2's open actions
    (team / "reviews" / "jun.yaml").unlink()
    code, out = run(
        "new",
        "jun-late",
        "--team",
        "华东销售部",
        "--period",
        "2026-06",
        "--held-on",
        "2026-07-09",
        "--today",
        "2026-08-02",
        cwd=team,
    )
    assert code == 0, out
    assert "carried 2 open actions" in out, out
    assert 'carried_from: "q2:A2"' in (team / "reviews" / "jun-late.yaml").read_text(encoding="utf-8")


def test_a_third_carry_is_a_warning_also_when_only_that_file_is_checked(team: Path) -> None:
    # q2:A2 (due 2026-09-30) carried into q3 (2026-12-31), q4 (2027-03-31) and 2027-q1 (2027-06-30).
    for review_id, label, start, end, held_on, source, due in (
        ("q3", "2026-Q3", "2026-07-01", "2026-09-30", "2026-10-12", "q2:A2", "2026-12-31"),
        ("q4", "2026-Q4", "2026-10-01", "2026-12-31", "2027-01-08", "q3:A1", "2027-03-31"),
        ("q5", "2027-Q1", "2027-01-01", "2027-03-31", "2027-04-08", "q4:A1", "2027-06-30"),
    ):
        review(
            team,
            review_id,
            label,
            start,
            end,
            held_on,
            65,
            22,
            [{"id": "A1", "text": "折扣审批下放(续)", "carried_from": source, "due": due}],
        )
    found = [f for f in findings(team, "reviews/q5.yaml") if f["code"] == "RG221"]
    # 2026-09-30 -> 2027-06-30: 92 + 181 = 273 days.
    assert [(f["path"], f["line"], f["severity"]) for f in found] == [("reviews/q5.yaml", 33, "warning")]
    assert "carried forward 3 times: q2:A2 was first due 2026-09-30, now 2027-06-30, 273 days later" in str(
        found[0]["message"]
    )
    assert not [f for f in findings(team, "reviews/q4.yaml") if f["code"] == "RG221"]  # twice: not yet


def test_a_target_met_without_the_action_is_decided_not_achieved(team: Path) -> None:
    # q3 (held 2026-10-12) reports 复购率 65 (target 60) and 跟进周期 14 days (15, lower is better): both met.
    # q2:A1 was done on 2026-08-01, before its by (2026-09-30): achieved; q2:A3 is still in progress:
    # met_without_action, so the team's verification rate is 1 achieved of 2 decided.
    review(
        team,
        "q3",
        "2026-Q3",
        "2026-07-01",
        "2026-09-30",
        "2026-10-12",
        65,
        14,
        [{"id": "A1", "text": "折扣审批下放(续)", "carried_from": "q2:A2"}],
    )
    code, out = run("actions", "--no-git", "--format", "json", "--today", "2026-11-20", cwd=team)
    assert code == 0, out
    verdicts = {(row["review"], row["id"]): (row["verification"], row["verified_by"]) for row in json.loads(out)}
    assert verdicts[("q2", "A1")] == ("achieved", "q3")
    assert verdicts[("q2", "A3")] == ("met_without_action", "q3")
    code, out = run("actions", "--no-git", "--by", "team", "--format", "json", "--today", "2026-11-20", cwd=team)
    assert code == 0, out
    [row] = json.loads(out)
    assert (row["verified"], row["achieved"], row["verification_rate"]) == (2, 1, 0.5)
