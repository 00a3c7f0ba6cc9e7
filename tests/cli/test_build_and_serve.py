"""`build` counts findings as `check` does; `serve` on an address it cannot use is a usage error."""

from __future__ import annotations

import contextlib
import errno
import re
import shutil
import signal
import socket
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.cli import site as site_cli

from ..conftest import EXAMPLES
from .test_check_and_new import run

TODAY = ("--today", "2026-11-20")


def test_build_ends_with_the_summary_line_of_check(knowledge_base: Path) -> None:
    shutil.copy(EXAMPLES / "invalid" / "rg130-no-owner.yaml", knowledge_base / "reviews" / "rg130-no-owner.yaml")
    _, checked = run("check", *TODAY, cwd=knowledge_base)
    summary = checked.strip().splitlines()[-1]
    assert "0 warnings" not in summary  # the fixture knowledge base has overdue actions
    code, built = run("build", "--no-git", *TODAY, cwd=knowledge_base)
    assert code == 1
    assert summary in built.splitlines()
    assert "RG130" in built and "RG201" not in built  # the errors that stop it, not buried under warnings


@pytest.fixture
def keep_sigterm() -> Iterator[None]:
    """`serve` turns SIGTERM into Ctrl-C for itself; in-process, the test runner keeps its own handler."""
    handler = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, handler)


@pytest.fixture
def busy_address() -> Iterator[str]:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        yield f"127.0.0.1:{taken.getsockname()[1]}"


@pytest.mark.parametrize("option", ["-a", "--dev-addr"])
def test_serve_on_a_busy_address_is_a_usage_error(
    knowledge_base: Path, busy_address: str, option: str, keep_sigterm: None
) -> None:
    code, out = run("serve", option, busy_address, "--no-git", *TODAY, cwd=knowledge_base)
    assert code == 2 and "address in use; choose another with -a" in out and "Traceback" not in out
    assert not (knowledge_base / ".retrogen").exists()  # refused before the first build


def test_serve_on_a_malformed_address_is_a_usage_error(knowledge_base: Path, keep_sigterm: None) -> None:
    code, out = run("serve", "-a", "localhost", "--no-git", *TODAY, cwd=knowledge_base)
    assert code == 2 and "IP:PORT" in out


def test_serve_when_the_address_is_taken_after_the_check(
    knowledge_base: Path, keep_sigterm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    def taken(self: object, **kwargs: object) -> None:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr("mkdocs.livereload.LiveReloadServer.serve", taken)
    code, out = run("serve", "--no-git", *TODAY, cwd=knowledge_base)
    assert code == 2 and "address in use; choose another with -a" in out


def test_build_strict_fails_on_warnings_as_check_strict_does(knowledge_base: Path) -> None:
    checked, findings = run("check", "--strict", *TODAY, cwd=knowledge_base)
    code, built = run("build", "--strict", "--no-git", *TODAY, cwd=knowledge_base)
    assert checked == code == 1
    warnings = [line for line in findings.splitlines() if ": RG2" in line]
    assert warnings and all(line in built.splitlines() for line in warnings)  # the warnings that stop it
    assert "fix the warnings (--strict) above" in built
    assert not (knowledge_base / "site").exists()


def run_split(*args: str, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    with contextlib.chdir(cwd):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.stdout, result.stderr


def test_build_shows_a_line_per_phase_on_a_terminal_and_ends_with_what_and_how_long(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(site_cli, "stderr_is_terminal", lambda: True)
    code, out, err = run_split("build", "--no-git", *TODAY, cwd=knowledge_base, env={"CI": ""})
    assert code == 0, err
    phases = [line for line in err.splitlines() if re.match(r"\[ *\d+\.\d s\] ", line)]
    reviews = len(list((knowledge_base / "reviews").glob("*.yaml")))
    assert [line.split("] ", 1)[1] for line in phases] == [
        "checking and analysing the reviews…",
        f"generating the pages of {reviews} reviews…",
        "writing each review's report (.docx)…",
        "building the site with MkDocs…",
    ]
    assert re.fullmatch(
        r"Built \S+site in \d+\.\d s: \d+ pages written, 0 unchanged, 0 removed; search index "
        r"[\d,]+ KiB\.",
        out.strip(),
    ), out
    # quiet with -q, in CI, or when stderr is not a terminal
    assert "[" not in run_split("build", "-q", "--no-git", *TODAY, cwd=knowledge_base, env={"CI": ""})[2]
    assert "[" not in run_split("build", "--no-git", *TODAY, cwd=knowledge_base, env={"CI": "true"})[2]


@pytest.mark.parametrize(
    ("quiet", "ci", "terminal", "shown"),
    [
        (False, "", True, True),
        (True, "", True, False),
        (False, "true", True, False),
        (False, "1", True, False),
        (False, "false", True, True),
        (False, "", False, False),
    ],
)
def test_progress_only_for_a_person_at_a_terminal(
    quiet: bool, ci: str, terminal: bool, shown: bool, capsys: pytest.CaptureFixture[str]
) -> None:
    site_cli.progress_lines({"CI": ci}, quiet=quiet, terminal=terminal)("phase")
    assert ("phase…" in capsys.readouterr().err) is shown


def test_a_build_after_serve_in_the_same_process_searches_only_its_own_site(
    knowledge_base: Path, tmp_path: Path, keep_sigterm: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs keeps Material's search plugin for the whole process, and serve's dirty builds left their index
    in it: the next build merged the served site's pages into its own search."""
    import json

    from retrogen.gate.config import load_config
    from retrogen.site.build import build_site

    def stopped_at_once(self: object, **kwargs: object) -> None:
        raise KeyboardInterrupt  # Ctrl-C as soon as it serves

    monkeypatch.setattr("mkdocs.livereload.LiveReloadServer.serve", stopped_at_once)
    served = tmp_path / "served"
    shutil.copytree(knowledge_base, served)
    shutil.copy(EXAMPLES / "attack" / "attack-review.yaml", served / "reviews" / "attack-review.yaml")
    code, out = run("serve", "--no-git", *TODAY, cwd=served)
    assert code == 0, out
    report = build_site(load_config(knowledge_base / "mkdocs.yml"), date(2026, 11, 20), use_git=False)
    assert report.ok and report.site_dir is not None
    index = json.loads((report.site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))
    locations = [entry["location"] for entry in index["docs"]]
    assert not [location for location in locations if "attack-review" in location]
    assert len(locations) == len(set(locations))  # no page twice
