"""`retrogen serve` for real: a review edit reaches the served page; a broken edit keeps the last good one."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            body: bytes = response.read()
            return body.decode()
    except OSError:
        return ""


def wait_for(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.25)
    return False


def test_edit_is_served_and_broken_edit_keeps_last_good_site(knowledge_base: Path, tmp_path: Path) -> None:
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "retrogen", "serve", "--dev-addr", f"127.0.0.1:{port}", "--today", "2026-11-20"],
        cwd=knowledge_base, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    page = f"http://127.0.0.1:{port}/reviews/2026-q1-east-sales/"
    review = knowledge_base / "reviews" / "2026-q1-east-sales.yaml"
    try:
        assert wait_for(lambda: "春节后新客户开发放缓" in fetch(page), 90), (tmp_path / "serve.log").read_text()
        review.write_text(review.read_text().replace("春节后新客户开发放缓", "节后线索断档"))
        assert wait_for(lambda: "节后线索断档" in fetch(page), 60), (tmp_path / "serve.log").read_text()
        review.write_text(review.read_text() + "onwer: nobody\n")
        time.sleep(3)
        assert "节后线索断档" in fetch(page)  # the last good site stays up
        assert wait_for(lambda: "RG101" in (tmp_path / "serve.log").read_text(), 30)
        assert "last good site" in (tmp_path / "serve.log").read_text()
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
