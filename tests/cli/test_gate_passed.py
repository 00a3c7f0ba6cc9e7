"""A review that passes `check` never stops a command: reports, reminders and the site (issue 22)."""

from __future__ import annotations

import contextlib
import copy
import itertools
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.gate.check import CheckOptions, check_paths
from retrogen.gate.hints import example_due

from ..conftest import KB, TODAY
from ..minimal import review, write_knowledge_base


def run(folder: Path, *args: str, today: str = TODAY.isoformat()) -> tuple[int, str]:
    """A command run in `folder`, judged as of `today` (RETROGEN_TODAY: `related` has no --today)."""
    with contextlib.chdir(folder):
        result = CliRunner(env={"RETROGEN_TODAY": today}).invoke(cli, list(args))
    # An unexpected exception (exit 3 from the real command line) reaches the runner as result.exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exc_info)
    return result.exit_code, result.output


def shared_metric(actual: float) -> list[dict[str, object]]:
    return [
        {
            "category": "Sales",
            "name": "Win rate",
            "unit": "%",
            "target": 30,
            "actual": actual,
            "analysis": "Fewer late losses",
        }
    ]


def test_a_subnormal_beside_a_zero_of_another_team_builds_the_cross_team_chart(tmp_path: Path) -> None:
    write_knowledge_base(
        tmp_path, [review("a-q1", "Team A", shared_metric(5e-324)), review("b-q1", "Team B", shared_metric(0))]
    )
    assert run(tmp_path, "check")[0] == 0
    code, output = run(tmp_path, "build", "--no-git")
    assert code == 0, output
    page = (tmp_path / "site" / "metrics" / "index.html").read_text(encoding="utf-8")
    assert "Win rate (%)" in page and page.count("<svg ") >= 4


@pytest.mark.parametrize("value", ["[]", "{}", "[zh]", "{zh: 1}"])
def test_a_lang_of_the_wrong_type_is_a_finding_with_its_line_and_leaves_the_other_reviews(
    tmp_path: Path, value: str
) -> None:
    write_knowledge_base(tmp_path, [review("a-q1", "Team A", lang="en"), review("b-q1", "Team B")])
    path = tmp_path / "reviews" / "a-q1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("lang: en", f"lang: {value}"), encoding="utf-8")
    line = next(n for n, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1) if text.startswith("lang"))
    code, output = run(tmp_path, "check")
    assert code == 1 and f"reviews/a-q1.yaml:{line}:7: RG104 lang is a" in output, output
    for command in (["metrics"], ["actions"], ["remind"], ["playbook"], ["related", "b-q1"]):
        code, output = run(tmp_path, *command)
        assert code == 0 and "(review left out)" in output, (command, output)
    code, output = run(tmp_path, "build", "--no-git")
    assert code == 1 and "RG104" in output and "the site was not built" in output, output


def test_a_list_or_mapping_in_any_field_is_a_finding_never_a_crash(tmp_path: Path) -> None:
    """Every field of a full review, in turn, holds a list or a mapping: `check` reports it (exit 1)."""
    original = (KB / "reviews" / "2026-q3-east-sales.yaml").read_text(encoding="utf-8")
    data = {**yaml.safe_load(original), "lang": "zh"}  # every optional field the schema has, lang included
    paths = list(_leaf_paths(data))
    assert len(paths) > 100
    options = CheckOptions(TODAY)
    for path, wrong in itertools.product(paths, ([], {}, [[]], {"a": []})):
        mutated = copy.deepcopy(data)
        node = mutated
        for part in path[:-1]:
            node = node[part]
        node[path[-1]] = wrong
        target = tmp_path / "2026-q3-east-sales.yaml"
        target.write_text(yaml.safe_dump(mutated, allow_unicode=True, sort_keys=False), encoding="utf-8")
        result = check_paths([target], options, jobs=1)
        assert result.errors, (path, wrong)


def _leaf_paths(node: Any, path: tuple[str | int, ...] = ()) -> Iterator[tuple[str | int, ...]]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _leaf_paths(value, (*path, key))
    elif isinstance(node, list) and node:
        for index, value in enumerate(node):
            yield from _leaf_paths(value, (*path, index))
    else:
        yield path


@pytest.mark.parametrize("day", ["9999-12-31", "2200-01-01", "1899-12-31", "0001-01-01"])
@pytest.mark.parametrize(
    "command",
    [["check"], ["metrics"], ["actions"], ["remind"], ["playbook"], ["related", "a-q1"], ["build", "--no-git"]],
)
def test_a_today_no_review_date_can_reach_is_a_usage_error(tmp_path: Path, command: list[str], day: str) -> None:
    write_knowledge_base(tmp_path, [review("a-q1", "Team A")])
    code, output = run(tmp_path, *command, today=day)
    assert (
        code == 2 and f"today must be a day in the years 1900 to 2199, like every date of a review, not {day}" in output
    ), output


@pytest.mark.parametrize(
    ("day", "due"),
    [
        ("2199-12-31", "2199-12-31"),
        ("2199-12-01", "2199-12-31"),
        ("2199-11-15", "2199-12-31"),
        ("1900-01-01", "1900-02-28"),
    ],
)
def test_the_due_date_a_hint_suggests_is_one_the_schema_admits(tmp_path: Path, day: str, due: str) -> None:
    data = review("a-q1", "Team A")
    del data["actions"][0]["due"]
    write_knowledge_base(tmp_path, [data])
    code, output = run(tmp_path, "check", today=day)
    assert code == 1 and f"due: {due}" in output, output


def test_the_core_suggests_a_due_date_in_range_whatever_day_it_is_given() -> None:
    assert [example_due(date(y, 12, 31)) for y in (2199, 9999)] == ["due: 2199-12-31"] * 2


@pytest.mark.parametrize("owner", ["😀👍🏽", "?!", "—", "★彡"])
def test_an_owner_without_a_word_character_is_checked_not_a_crash(tmp_path: Path, owner: str) -> None:
    """Found by the property test over gate-passed knowledge bases: an owner of emoji alone stopped `check`."""
    data = review("a-q1", "Team A")
    data["actions"][0]["owner"] = owner
    write_knowledge_base(tmp_path, [data])
    assert run(tmp_path, "check")[0] == 0
