"""`build` counts findings as `check` does; `serve` on an address it cannot use is a usage error."""

from __future__ import annotations

import errno
import shutil
import signal
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

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
def test_serve_on_a_busy_address_is_a_usage_error(knowledge_base: Path, busy_address: str, option: str,
                                                  keep_sigterm: None) -> None:
    code, out = run("serve", option, busy_address, "--no-git", *TODAY, cwd=knowledge_base)
    assert code == 2 and "address in use; choose another with -a" in out and "Traceback" not in out
    assert not (knowledge_base / ".retrogen").exists()  # refused before the first build


def test_serve_on_a_malformed_address_is_a_usage_error(knowledge_base: Path, keep_sigterm: None) -> None:
    code, out = run("serve", "-a", "localhost", "--no-git", *TODAY, cwd=knowledge_base)
    assert code == 2 and "IP:PORT" in out


def test_serve_when_the_address_is_taken_after_the_check(knowledge_base: Path, keep_sigterm: None,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    def taken(self: object, **kwargs: object) -> None:
        raise OSError(errno.EADDRINUSE, "Address already in use")

    monkeypatch.setattr("mkdocs.livereload.LiveReloadServer.serve", taken)
    code, out = run("serve", "--no-git", *TODAY, cwd=knowledge_base)
    assert code == 2 and "address in use; choose another with -a" in out
