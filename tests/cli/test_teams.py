"""The team list (extra.retrogen.teams): a mistyped team is refused with "did you mean", in `check` and in
`new --team`, instead of silently becoming a new team."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from retrogen.core.errors import ConfigError
from retrogen.gate.config import load_config

from ..unit.test_vocabulary_aliases import with_settings
from .test_check_and_new import run

TEAMS = "    teams: [华东销售部, 华南客户成功部, Enterprise Sales EMEA, Inside Sales APAC]\n"


@pytest.fixture
def listed(knowledge_base: Path) -> Path:
    return with_settings(knowledge_base, TEAMS)


def test_listed_teams_pass(listed: Path) -> None:
    code, out = run("check", "--today", "2026-11-20", cwd=listed)
    assert code == 0 and "RG150" not in out


def test_an_unknown_team_is_an_error_naming_file_line_field_and_the_team_meant(listed: Path) -> None:
    review = listed / "reviews" / "2026-q3-east-sales.yaml"
    text = review.read_text(encoding="utf-8")
    review.write_text(text.replace("team: 华东销售部", "team: 华东销售"), encoding="utf-8")
    line = next(n for n, row in enumerate(text.splitlines(), start=1) if row.startswith("team:"))
    code, out = run("check", "--format", "json", "--today", "2026-11-20", cwd=listed)
    assert code == 1
    findings = [f for f in json.loads(out) if f["code"] == "RG150"]
    assert len(findings) == 1
    finding = findings[0]
    assert finding["path"] == "reviews/2026-q3-east-sales.yaml" and finding["line"] == line
    assert finding["field"] == "team" and finding["severity"] == "error"
    assert "'华东销售' is not in the team list" in finding["message"]
    assert "did you mean '华东销售部'?" in finding["message"]


def test_a_team_that_is_nothing_like_a_listed_one_is_told_the_list(listed: Path) -> None:
    review = listed / "reviews" / "2026-q3-east-sales.yaml"
    review.write_text(review.read_text(encoding="utf-8").replace("team: 华东销售部", "team: Zeta"), encoding="utf-8")
    code, out = run("check", str(review), "--today", "2026-11-20", cwd=listed)
    assert code == 1
    assert "RG150 team 'Zeta' is not in the team list" in out
    assert "the teams are: 华东销售部, 华南客户成功部" in out


def test_without_a_list_any_team_is_fine(knowledge_base: Path) -> None:
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    review.write_text(
        review.read_text(encoding="utf-8").replace("team: 华东销售部", "team: 华东销售"), encoding="utf-8"
    )
    _, out = run("check", "--today", "2026-11-20", cwd=knowledge_base)
    assert "RG150" not in out


def test_new_refuses_an_unknown_team(listed: Path) -> None:
    code, out = run("new", "2027-q1-east-sales", "--team", "华东销售", "--today", "2027-01-05", cwd=listed)
    assert code == 2
    assert "'华东销售' is not in the team list" in out and "did you mean '华东销售部'?" in out
    assert "--team" in out and "mkdocs.yml" in out
    assert not (listed / "reviews" / "2027-q1-east-sales.yaml").exists()


def test_new_accepts_a_listed_team(listed: Path) -> None:
    code, out = run("new", "2027-q1-east-sales", "--team", "华东销售部", "--today", "2027-01-05", cwd=listed)
    assert code == 0, out
    assert (listed / "reviews" / "2027-q1-east-sales.yaml").is_file()


@pytest.mark.parametrize("value", ["华东销售部", "[华东销售部, 3]", "['  ']", "{a: b}"])
def test_a_team_list_that_is_not_one_is_refused(knowledge_base: Path, value: str) -> None:
    with_settings(knowledge_base, f"    teams: {value}\n")
    with pytest.raises(ConfigError, match=r"mkdocs\.yml:\d+: extra\.retrogen\.teams must be the list of the teams"):
        load_config(knowledge_base / "mkdocs.yml")
