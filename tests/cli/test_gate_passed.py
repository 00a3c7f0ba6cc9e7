"""A review that passes `check` never stops a command: reports, reminders and the site (issue 22)."""

from __future__ import annotations

import contextlib
from pathlib import Path

from click.testing import CliRunner

from retrogen.cli import cli

from ..conftest import TODAY
from ..minimal import review, write_knowledge_base


def run(folder: Path, *args: str) -> tuple[int, str]:
    with contextlib.chdir(folder):
        result = CliRunner().invoke(cli, [*args, "--today", TODAY.isoformat()])
    return result.exit_code, result.output


def shared_metric(actual: float) -> list[dict[str, object]]:
    return [{"category": "Sales", "name": "Win rate", "unit": "%", "target": 30, "actual": actual,
             "analysis": "Fewer late losses"}]


def test_a_subnormal_beside_a_zero_of_another_team_builds_the_cross_team_chart(tmp_path: Path) -> None:
    write_knowledge_base(tmp_path, [review("a-q1", "Team A", shared_metric(5e-324)),
                                    review("b-q1", "Team B", shared_metric(0))])
    assert run(tmp_path, "check")[0] == 0
    code, output = run(tmp_path, "build", "--no-git")
    assert code == 0, output
    page = (tmp_path / "site" / "metrics" / "index.html").read_text(encoding="utf-8")
    assert "Win rate (%)" in page and page.count("<svg ") >= 4
