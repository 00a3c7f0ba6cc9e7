"""The command line is a thin shell: shared options declared once, values parsed by Click parameter types,
and one mapping from the error family to exit codes (1 refused, 2 usage or configuration)."""

from __future__ import annotations

import ast
import contextlib
import shutil
from datetime import date
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.cli.base import FAILURES, failure_of
from retrogen.cli.options import COMMA_LIST, DAY, PERIOD, TODAY, today_option
from retrogen.core.errors import BuildBusyError, BuildError, ConfigError, RetrogenError
from retrogen.core.periods import parse_label
from retrogen.engine.related import UnknownReview
from retrogen.notify.senders import DeliveryError
from retrogen.report.content import ReportError

from ..conftest import KB, ROOT

CLI = ROOT / "retrogen" / "cli"


def run(cwd: Path, *args: str, env: dict[str, str | None] | None = None) -> tuple[int, str]:
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(cli, list(args), env=env, catch_exceptions=False)
    return result.exit_code, result.output


@pytest.mark.parametrize(
    "args",
    [
        ["check"],
        ["metrics", "--today", "2026-11-20"],
        ["actions", "--today", "2026-11-20"],
        ["remind", "--today", "2026-11-20"],
        ["report", "--period", "2026-Q3", "--today", "2026-11-20"],
        ["build", "--today", "2026-11-20"],
        ["new", "2026-q4-x", "--today", "2026-11-20"],
    ],
    ids=" ".join,
)
def test_an_unusable_mkdocs_yml_is_one_line_and_exit_2(tmp_path: Path, args: list[str]) -> None:
    """It was a usage error with Click's banner ("Usage: … Try … --help"), which points at how the command
    was typed; the fix is in mkdocs.yml."""
    shutil.copytree(KB / "reviews", tmp_path / "reviews")
    (tmp_path / "mkdocs.yml").write_text("site_name: x\nextra:\n  retrogen:\n    min_whys: many\n", encoding="utf-8")
    code, out = run(tmp_path, *args)
    assert code == 2, out
    assert out.strip().splitlines() == [out.strip()], out
    assert "mkdocs.yml" in out and "min_whys" in out and "Usage:" not in out


def test_remind_without_the_webhook_address_is_one_line_and_exit_2(tmp_path: Path) -> None:
    shutil.copytree(KB, tmp_path / "kb")
    unset: dict[str, str | None] = {"RETROGEN_WEBHOOK_URL": None}  # CliRunner takes None as "unset"
    code, out = run(tmp_path / "kb", "remind", "--send", "wecom", "--today", "2026-11-20", env=unset)
    assert code == 2, out
    assert out.strip().splitlines() == [out.strip()] and "RETROGEN_WEBHOOK_URL" in out, out


@pytest.mark.parametrize(
    ("error", "exit_code"),
    [
        (RetrogenError("x"), 1),
        (ReportError("x"), 1),
        (UnknownReview("x"), 1),
        (BuildError("x"), 1),
        (ConfigError("x"), 2),
        (BuildBusyError("x"), 2),
    ],
)
def test_each_error_of_the_family_has_its_exit_code(error: RetrogenError, exit_code: int) -> None:
    failure = failure_of(error)
    assert (failure.exit_code, failure.message) == (exit_code, "x")


def test_the_mapping_covers_the_family_and_speaks_only_of_exit_1_and_2() -> None:
    assert RetrogenError in FAILURES
    assert {kind.exit_code for kind in FAILURES.values()} == {1, 2}


def _handled_names(tree: ast.AST) -> list[str]:
    names = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ExceptHandler) and node.type is not None:
            caught = node.type.elts if isinstance(node.type, ast.Tuple) else [node.type]
            names += [ast.unparse(name) for name in caught]
    return names


def test_commands_let_the_core_errors_through_to_the_one_mapping() -> None:
    """Only a delivery failure is reported by its command (what went out, and how to resend the rest)."""
    family = {"RetrogenError", "ConfigError", "BuildError", "BuildBusyError", "ReportError", "UnknownReview"}
    caught = {
        path.name: sorted(set(_handled_names(ast.parse(path.read_text(encoding="utf-8")))) & family)
        for path in CLI.glob("*.py")
    }
    # and the parsers' errors that name a parameter: an option's value, or the file -o names
    assert {name: errors for name, errors in caught.items() if errors} == {
        "base.py": ["RetrogenError"],  # the mapping itself
        "options.py": ["RetrogenError"],
        "tables.py": ["RetrogenError"],
    }
    assert issubclass(DeliveryError, RetrogenError)


@pytest.mark.parametrize("option", ["--no-git", "--lang", "--output", "--today", "--period", "--force"])
def test_a_shared_option_is_declared_once(option: str) -> None:
    declared = [
        path.name
        for path in CLI.glob("*.py")
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
        if isinstance(node, ast.Call)
        and ast.unparse(node.func) == "click.option"
        and any(isinstance(arg, ast.Constant) and arg.value == option for arg in node.args)
    ]
    # init's --force adds missing files, not a replaced output; new's --period and report's say different things
    assert len(declared) == (2 if option in {"--force", "--period"} else 1), declared


def convert(kind: click.ParamType, value: str, name: str = "--x") -> object:
    return kind.convert(value, click.Option([name]), None)


def test_the_parameter_types_parse_once_and_word_their_errors() -> None:
    assert convert(DAY, "2026-03-31") == date(2026, 3, 31)
    assert convert(PERIOD, "2027-q1") == parse_label("2027-Q1")
    assert convert(COMMA_LIST, " 定价, 客户维护,,定价 ") == ("定价", "客户维护")
    assert convert(TODAY, "2026-11-20", "--today") == date(2026, 11, 20)
    with pytest.raises(click.BadParameter) as day:
        convert(DAY, "2026-3-31", "--held-on")
    assert day.value.format_message() == "Invalid value for '--held-on': write a date as YYYY-MM-DD, not '2026-3-31'"
    with pytest.raises(click.BadParameter) as period:
        convert(PERIOD, "2026-Q5", "--period")
    assert "'2026-Q5' is not a period" in period.value.format_message()
    with pytest.raises(click.BadParameter) as today:
        convert(TODAY, "0001-01-01", "--today")
    assert today.value.format_message().startswith("Invalid value for --today (or RETROGEN_TODAY): ")


def test_today_comes_from_the_option_then_the_environment() -> None:
    @click.command()
    @today_option()
    def show(today: date) -> None:
        click.echo(repr(today))

    runner = CliRunner()
    assert runner.invoke(show, [], env={"RETROGEN_TODAY": "2026-02-03"}).output.strip() == repr(date(2026, 2, 3))
    given = runner.invoke(show, ["--today", "2026-04-05"], env={"RETROGEN_TODAY": "2026-02-03"})
    assert given.output.strip() == repr(date(2026, 4, 5))
    bad = runner.invoke(show, [], env={"RETROGEN_TODAY": "soon"})
    assert bad.exit_code == 2 and "--today (or RETROGEN_TODAY)" in bad.output
