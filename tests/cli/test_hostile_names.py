"""A file named with ESC sequences (`\\e]0;PWNED\\a\\e[2J.yaml`) must not retitle or clear the terminal of
whoever runs a command on it, piped or not: every path and value a message prints is escaped."""

from __future__ import annotations

import contextlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrogen.cli import cli

HOSTILE = "\x1b]0;PWNED\x07\x1b[2J"
SHOWN = "\\x1b]0;PWNED\\x07\\x1b[2J"
# What a terminal acts on: C0 but the line break, DEL, C1, bidirectional controls.
ACTS_ON_TERMINAL = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _run(kb: Path, *args: str) -> tuple[int, str]:
    with contextlib.chdir(kb):
        result = CliRunner().invoke(cli, [*args, "--today", "2026-11-20"], catch_exceptions=False)
    return result.exit_code, result.output


@pytest.fixture
def hostile_review(knowledge_base: Path) -> Path:
    path = knowledge_base / "reviews" / f"{HOSTILE}.yaml"
    shutil.copy(knowledge_base / "reviews" / "2026-10-east-sales.yaml", path)
    return path


@pytest.mark.parametrize("fmt", ["text", "github"])
def test_check_prints_a_hostile_file_name_escaped(knowledge_base: Path, hostile_review: Path, fmt: str) -> None:
    code, out = _run(knowledge_base, "check", "--format", fmt)
    assert code == 1
    assert not ACTS_ON_TERMINAL.search(out)
    assert f"reviews/{SHOWN}.yaml" in out  # still names the file, so it can be found and renamed


def test_check_json_stays_valid_with_the_real_path_and_an_escaped_message(
    knowledge_base: Path, hostile_review: Path
) -> None:
    code, out = _run(knowledge_base, "check", "--format", "json")
    assert code == 1 and not ACTS_ON_TERMINAL.search(out)
    findings = json.loads(out)
    mine = [f for f in findings if f["path"] == f"reviews/{HOSTILE}.yaml"]
    assert mine and all(SHOWN in f["message"] or HOSTILE not in f["message"] for f in mine)
    assert not any(HOSTILE in f["message"] for f in findings)


def test_errors_and_notes_that_name_a_file_escape_it(knowledge_base: Path) -> None:
    name = f"{HOSTILE}.csv"
    code, wrote = _run(knowledge_base, "actions", "-o", name)
    assert code == 0 and f"Wrote {SHOWN}.csv" in wrote
    code, refused = _run(knowledge_base, "actions", "-o", name)  # exists: refused, the name in the error
    assert code == 1 and f"{SHOWN}.csv already exists" in refused
    code, new = _run(knowledge_base, "new", f"2027-q1-{HOSTILE}")  # a usage error quoting the value
    assert code in {1, 2}
    assert not any(ACTS_ON_TERMINAL.search(out) for out in (wrote, refused, new))
