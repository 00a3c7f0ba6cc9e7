"""One named person owns each action: placeholders, groups, units and pairs of people are refused."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from retrogen.gate.loader import parse_text
from retrogen.gate.owners import owner_problem
from retrogen.gate.review_checks import review_issues
from retrogen.gate.schema import schema_issues

TODAY = date(2026, 11, 20)


@pytest.mark.parametrize(
    "owner",
    [
        "TBD", "tbd", "待定", "N/A", "全体", "everyone", "All reps", "销售团队", "Sales Team",
        # organisational units, by their suffix or last word
        "销售部", "市场部", "销售组", "华东区", "客户成功中心", "大客户事业部", "EMEA Sales", "Sales Ops",
        "Marketing dept", "Sales", "Finance Office",
        # several people
        "Tom & Priya", "Tom and Priya", "Ann / Bob", "张伟、李娜", "张伟和李娜", "张伟 与 李娜", "张伟；李娜",
        "Ann + Bob",
        # judged as a reader sees them: full width is the same letters, invisible characters are nothing
        "ＴＢＤ", "Ｔｏｍ ＆ Ｐｒｉｙａ", "T\u200bBD", "销售\u200b部",
    ],
)  # fmt: skip
def test_not_one_person_is_refused(owner: str) -> None:
    assert owner_problem(owner) is not None


@pytest.mark.parametrize(
    "owner",
    [
        "张伟",
        "王和平",
        "李科",
        "欧阳娜娜",
        "Maria Keller",
        "Paul Allen",
        "Natalia",
        "Li Na",
        "Priya Shah",
        "Anderson",
        "Alex Sales-Chen",
        "José Núñez",
    ],
)
def test_people_pass(owner: str) -> None:
    assert owner_problem(owner) is None


def test_an_invisible_only_owner_is_left_to_the_schema() -> None:
    assert owner_problem("\u200b\u200b") is None  # the schema reports it as an empty owner


def test_owner_words_are_configurable() -> None:
    assert owner_problem("Kai Vendor", ("vendor",)) is not None
    assert owner_problem("All reps", ("vendor",)) is None  # the configured list replaces the default one


REVIEW = """id: x
title: {title}
team: {team}
actions:
  - id: A1
    action: x
    owner: {owner}
    due: 2026-12-01
"""


def messages(title: str, team: str, owner: str) -> list[str]:
    document = parse_text(Path("x.yaml"), REVIEW.format(title=title, team=team, owner=owner))
    return [message for _, _, message in review_issues(document, date(2026, 11, 20), ("TBD",))]


def test_fix_hints_follow_the_review_language() -> None:
    english = messages("EMEA Q3 enterprise review", "EMEA Enterprise", "TBD")
    assert any("(owner: Alex Chen)" in m for m in english)
    assert any("(checkpoint: SOP v2.0 published)" in m for m in english)
    chinese = messages("华东销售部 2026 年第三季度复盘", "华东销售部", "TBD")
    assert any("(owner: 张伟)" in m for m in chinese)
    stated = messages("EMEA Q3 enterprise review\nlang: zh", "EMEA Enterprise", "TBD")
    assert any("(owner: 张伟)" in m for m in stated)


def schema_messages(text: str, today: date) -> list[str]:
    document = parse_text(Path("x.yaml"), text)
    return [message for _, _, _, message in schema_issues(document, today)]


def test_hints_for_missing_owner_and_due_follow_language_and_today() -> None:
    english = "id: x\ntitle: EMEA Q3 enterprise review\nteam: EMEA\nactions:\n  - id: A1\n    action: x\n"
    messages = schema_messages(english, date(2026, 12, 5))
    assert any(m.endswith("has no owner; name one person (owner: Alex Chen)") for m in messages)
    assert any(m.endswith("has no due date; give a date (due: 2027-01-31)") for m in messages)
    chinese = english.replace("EMEA Q3 enterprise review", "华东区 2026 年第三季度销售复盘")
    messages = schema_messages(chinese, date(2027, 3, 10))
    assert any(m.endswith("name one person (owner: 张伟)") for m in messages)
    assert any(m.endswith("(due: 2027-04-30)") for m in messages)


def test_a_todo_where_a_number_belongs_is_one_placeholder_finding() -> None:
    document = parse_text(
        Path("x.yaml"), "id: x\nmetrics:\n  - name: 销售额\n    unit: 万元\n    target: TODO\n    actual: 1\n"
    )
    assert ("metrics", 0, "target") not in {path for _, path, _, _ in schema_issues(document, TODAY)}
    assert ("RG115", ("metrics", 0, "target")) in {(code, path) for code, path, _ in review_issues(document, TODAY, ())}
