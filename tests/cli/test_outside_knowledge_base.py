"""Every command run outside a knowledge base, or in one without its reviews folder: one line, exit 2, the
missing part named and `retrogen init` pointed to; nothing written, never a traceback."""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrogen.cli import cli

from ..conftest import KB, ROOT

COMMANDS = [
    ["check"],
    ["new", "2026-q4-east-sales"],
    ["metrics"],
    ["metrics", "--by", "team"],
    ["actions"],
    ["actions", "--overdue"],
    ["playbook"],
    ["related", "--text", "续约"],
    ["related", "2026-q3-east-sales"],
    ["report", "2026-q3-east-sales"],
    ["report", "--period", "2026-Q3"],
    ["remind"],
    ["metrics", "-o", "x.xlsx"],
    ["actions", "-o", "x.xlsx"],
    ["playbook", "-o", "x.docx"],
    ["build"],
    ["serve"],
    ["schema", "--check"],
]
NEED_REVIEWS = [command for command in COMMANDS if command[0] not in {"new", "schema"}]


def run(cwd: Path, args: list[str]) -> tuple[int, str]:
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(
            cli,
            [*args, "--today", "2026-11-20"] if args[0] not in {"schema", "related"} else args,
            catch_exceptions=False,
        )
    return result.exit_code, result.output


@pytest.mark.parametrize("args", COMMANDS, ids=" ".join)
def test_outside_a_knowledge_base_every_command_says_so_in_one_line(tmp_path: Path, args: list[str]) -> None:
    code, out = run(tmp_path, args)
    assert code == 2, out
    assert out.strip().splitlines() == [out.strip()], out  # one line, no usage banner, no traceback
    assert f"no mkdocs.yml in {tmp_path}" in out and "retrogen init" in out
    assert list(tmp_path.iterdir()) == []  # nothing written: no reviews/, no x.xlsx


@pytest.mark.parametrize("args", NEED_REVIEWS, ids=" ".join)
def test_without_its_reviews_folder_every_command_names_it(tmp_path: Path, args: list[str]) -> None:
    shutil.copy(KB / "mkdocs.yml", tmp_path / "mkdocs.yml")
    code, out = run(tmp_path, args)
    assert code == 2, out
    assert out.strip().splitlines() == [out.strip()], out
    assert f"the reviews folder {tmp_path / 'reviews'}" in out and f"retrogen init --force {tmp_path}" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mkdocs.yml"]


def test_the_installed_command_exits_2_without_a_traceback(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    result = subprocess.run(
        [sys.executable, "-m", "retrogen", "metrics", "-o", "x.xlsx"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr and "unexpected" not in result.stderr
    assert result.stderr.count("\n") == 1 and "retrogen init" in result.stderr


def test_check_of_named_files_still_works_outside_a_knowledge_base(tmp_path: Path) -> None:
    shutil.copy(KB / "reviews" / sorted(os.listdir(KB / "reviews"))[0], tmp_path / "draft.yaml")
    code, out = run(tmp_path, ["check", str(tmp_path / "draft.yaml")])
    assert code in {0, 1} and "review file" in out
