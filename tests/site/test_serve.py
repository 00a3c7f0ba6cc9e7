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


# How long a step may take before the test gives up. Generous: on a loaded machine (a test run beside CI)
# the first build alone took over a minute; every wait ends as soon as what it waits for is seen.
DEADLINE = 180.0


def fetch(url: str) -> str:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            body: bytes = response.read()
            return body.decode()
    except OSError:
        return ""


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

    def wait_for(self, condition: Callable[[], bool], what: str, seconds: float = DEADLINE) -> None:
        """Poll until `condition` holds; fail naming `what` if the server stops or `seconds` pass first."""
        deadline = time.monotonic() + seconds
        while not condition():
            if self.process.poll() is not None:
                pytest.fail(f"the server stopped (exit {self.process.returncode}) before {what}\n{self.log}")
            if time.monotonic() > deadline:
                pytest.fail(f"not within {seconds:.0f} s: {what}\n{self.log}")
            time.sleep(0.25)

    def wait_until_serving(self) -> None:
        """ "Serving on" is said once the server listens and watches the inputs (retrogen/site/serve.py): a
        save from then on is seen."""
        self.wait_for(lambda: "Serving on" in self.log, "the server says it is serving")

    def epoch(self) -> int:
        """The version of the site the server shows: MkDocs' live-reload endpoint answers at once with it when
        asked about an older one (0), and it changes each time the server has handled a save."""
        answer = fetch(self.url + "livereload/0/0")
        return int(answer) if answer.isdigit() else 0

    def wait_until_handled(self, epoch: int, what: str) -> None:
        """Wait until the server has handled a save made after it showed version `epoch`: its build loop
        finished a round, whatever the round did."""
        self.wait_for(lambda: self.epoch() > epoch, f"the server handles {what}")


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
            server = Server(process, f"http://127.0.0.1:{port}/", log_path)
            server.wait_until_serving()
            yield server
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


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
        server.wait_for(lambda: "春节后新客户开发放缓" in fetch(page), "the review's page is served")
        assert f"Serving on {server.url}" in server.log
        review.write_text(review.read_text().replace("春节后新客户开发放缓", "节后线索断档"))
        server.wait_for(lambda: "节后线索断档" in fetch(page), "the edit is served")
        review.write_text(review.read_text() + "onwer: nobody\n")
        server.wait_for(lambda: "RG101" in server.log, "the broken edit's finding is printed")
        server.wait_for(lambda: "last good site" in server.log, "the last good site is said to stay up")
        assert "节后线索断档" in fetch(page)  # the last good site stays up


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads CPU time from /proc (Linux)")
def test_a_save_regenerates_once_then_the_server_is_idle(knowledge_base: Path, tmp_path: Path) -> None:
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    with serving(knowledge_base, tmp_path) as server:
        page = server.url + "reviews/2026-q3-east-sales/"
        server.wait_for(lambda: "华东" in fetch(page), "the review's page is served")
        before = server.regenerations()
        review.write_text(review.read_text().replace("title: ", "title: 已改 ", 1))
        # A page is served only once the build under way has finished: seen edited, the save's rebuild is over.
        server.wait_for(lambda: "已改" in fetch(page), "the edit is served")
        epoch = server.epoch()
        time.sleep(1)
        start = cpu_seconds(server.process.pid)
        time.sleep(10)
        spent = cpu_seconds(server.process.pid) - start
        after = server.regenerations()
        assert server.epoch() == epoch, f"rebuilt again with nothing saved\n{server.log}"
        assert spent < 0.5, f"{spent:.2f} s of CPU in 10 s after one save\n{server.log}"
        assert len(after) == len(before) + 1, server.log
        assert not [line for line in after if " 0 pages" in line], server.log
        assert "'dirty' build" not in server.log


def test_a_save_that_changes_nothing_says_nothing(knowledge_base: Path, tmp_path: Path) -> None:
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    with serving(knowledge_base, tmp_path) as server:
        before, epoch = server.log, server.epoch()
        review.write_text(review.read_text())  # saved again, unchanged
        review.touch()
        (knowledge_base / "reviews" / "notes.txt").write_text("not a review")  # not an input
        server.wait_until_handled(epoch, "the unchanged save")
        assert server.log == before


def test_a_deleted_review_leaves_the_site_and_a_new_one_joins_it(knowledge_base: Path, tmp_path: Path) -> None:
    reviews = knowledge_base / "reviews"
    with serving(knowledge_base, tmp_path) as server:
        index, added = server.url + "reviews/", server.url + "reviews/2026-contoso-deal/"
        northwind = server.url + "reviews/2026-northwind-fleet-deal/"
        server.wait_for(lambda: "Northwind RFP" in fetch(northwind), "the review's page is served")
        # Saved as editors do: to a temporary name, then renamed onto the review's name.
        text = (reviews / "2026-northwind-fleet-deal.yaml").read_text()
        (reviews / ".copy.tmp").write_text(
            text.replace("id: 2026-northwind-fleet-deal", "id: 2026-contoso-deal").replace(
                "Northwind RFP", "Contoso RFP"
            )
        )
        (reviews / ".copy.tmp").rename(reviews / "2026-contoso-deal.yaml")
        server.wait_for(lambda: "2026-contoso-deal" in fetch(index), "the new review is listed")
        assert "Contoso RFP" in fetch(added)
        (reviews / "2026-contoso-deal.yaml").unlink()
        server.wait_for(lambda: "Contoso RFP" not in fetch(added), "the deleted review's page is gone")
        assert "2026-contoso-deal" not in fetch(index)


def test_an_edited_configuration_regenerates_the_pages(knowledge_base: Path, tmp_path: Path) -> None:
    config = knowledge_base / "mkdocs.yml"
    with serving(knowledge_base, tmp_path) as server:
        epoch = server.epoch()
        config.write_text(config.read_text() + "\n# an edit of a comment changes no page\n")
        server.wait_until_handled(epoch, "the edit of a comment")
        assert "regenerated" not in server.log.split("Serving on")[1], server.log
        config.write_text(config.read_text().replace("extra:\n  retrogen:\n", "extra:\n  retrogen:\n    bogus: 1\n"))
        server.wait_for(lambda: "extra.retrogen.bogus is not a setting" in server.log, "the bad setting is named")
        server.wait_for(lambda: "last good site" in server.log, "the last good site is said to stay up")
