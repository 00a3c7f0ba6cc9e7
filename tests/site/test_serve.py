"""`retrogen serve` for real: a review edit reaches the served page; a broken edit keeps the last good one; a
save costs one regeneration and then nothing (no loop of empty regenerations)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
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


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def regenerations(self) -> list[str]:
        return [line for line in self.log.splitlines() if "regenerated" in line]


@contextmanager
def serving(knowledge_base: Path, tmp_path: Path) -> Iterator[Server]:
    port = free_port()
    log_path = tmp_path / "serve.log"
    with log_path.open("w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "retrogen", "serve", "--dev-addr", f"127.0.0.1:{port}", "--today", "2026-11-20"],
            cwd=knowledge_base,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        )
        try:
            yield Server(process, f"http://127.0.0.1:{port}/", log_path)
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()


def cpu_seconds(pid: int) -> float:
    """CPU time of a process and every process below it, from /proc (user and system, children reaped
    included)."""
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0.0
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except OSError:
            continue
        ppid, own = int(fields[1]), [int(value) for value in fields[11:15]]
        if stat.parent.name == str(pid) or ppid == pid:
            total += sum(own) / ticks
    return total


def test_edit_is_served_and_broken_edit_keeps_last_good_site(knowledge_base: Path, tmp_path: Path) -> None:
    review = knowledge_base / "reviews" / "2026-q1-east-sales.yaml"
    with serving(knowledge_base, tmp_path) as server:
        page = server.url + "reviews/2026-q1-east-sales/"
        assert wait_for(lambda: "春节后新客户开发放缓" in fetch(page), 90), server.log
        assert f"Serving on {server.url}" in server.log
        review.write_text(review.read_text().replace("春节后新客户开发放缓", "节后线索断档"))
        assert wait_for(lambda: "节后线索断档" in fetch(page), 60), server.log
        review.write_text(review.read_text() + "onwer: nobody\n")
        time.sleep(3)
        assert "节后线索断档" in fetch(page)  # the last good site stays up
        assert wait_for(lambda: "RG101" in server.log, 30)
        assert "last good site" in server.log


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc (Linux)")
def test_a_save_regenerates_once_then_the_server_is_idle(knowledge_base: Path, tmp_path: Path) -> None:
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    with serving(knowledge_base, tmp_path) as server:
        page = server.url + "reviews/2026-q3-east-sales/"
        assert wait_for(lambda: "华东" in fetch(page), 90), server.log
        time.sleep(3)  # idle: the first build is done
        before = server.regenerations()
        review.write_text(review.read_text().replace("title: ", "title: 已改 ", 1))
        assert wait_for(lambda: "已改" in fetch(page), 60), server.log
        time.sleep(1)  # the save's one rebuild has finished once its page is served
        start = cpu_seconds(server.process.pid)
        time.sleep(10)
        spent = cpu_seconds(server.process.pid) - start
        after = server.regenerations()
        assert spent < 0.5, f"{spent:.2f} s of CPU in 10 s after one save\n{server.log}"
        assert len(after) == len(before) + 1, server.log
        assert not [line for line in after if " 0 pages" in line], server.log
        assert "'dirty' build" not in server.log


def test_a_save_that_changes_nothing_says_nothing(knowledge_base: Path, tmp_path: Path) -> None:
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    with serving(knowledge_base, tmp_path) as server:
        assert wait_for(lambda: "Serving on" in server.log, 90), server.log
        before = server.log
        review.write_text(review.read_text())  # saved again, unchanged
        review.touch()
        (knowledge_base / "reviews" / "notes.txt").write_text("not a review")  # not an input
        time.sleep(4)
        assert server.log == before


def test_a_deleted_review_leaves_the_site_and_a_new_one_joins_it(knowledge_base: Path, tmp_path: Path) -> None:
    reviews = knowledge_base / "reviews"
    with serving(knowledge_base, tmp_path) as server:
        index, added = server.url + "reviews/", server.url + "reviews/2026-contoso-deal/"
        assert wait_for(lambda: "Northwind RFP" in fetch(server.url + "reviews/2026-northwind-fleet-deal/"), 90)
        # Saved as editors do: to a temporary name, then renamed onto the review's name.
        text = (reviews / "2026-northwind-fleet-deal.yaml").read_text()
        (reviews / ".copy.tmp").write_text(
            text.replace("id: 2026-northwind-fleet-deal", "id: 2026-contoso-deal").replace(
                "Northwind RFP", "Contoso RFP"
            )
        )
        (reviews / ".copy.tmp").rename(reviews / "2026-contoso-deal.yaml")
        assert wait_for(lambda: "2026-contoso-deal" in fetch(index), 60), server.log
        assert "Contoso RFP" in fetch(added)
        (reviews / "2026-contoso-deal.yaml").unlink()
        assert wait_for(lambda: "Contoso RFP" not in fetch(added), 60), server.log
        assert "2026-contoso-deal" not in fetch(index)


def test_an_edited_configuration_regenerates_the_pages(knowledge_base: Path, tmp_path: Path) -> None:
    config = knowledge_base / "mkdocs.yml"
    with serving(knowledge_base, tmp_path) as server:
        assert wait_for(lambda: "Serving on" in server.log, 90), server.log
        config.write_text(config.read_text() + "\n# an edit of a comment changes no page\n")
        time.sleep(3)
        assert "regenerated" not in server.log.split("Serving on")[1], server.log
        config.write_text(config.read_text().replace("extra:\n  retrogen:\n", "extra:\n  retrogen:\n    bogus: 1\n"))
        assert wait_for(lambda: "extra.retrogen.bogus is not a setting" in server.log, 30), server.log
        assert "last good site" in server.log
