"""Pool workers end with their parent: a SIGKILLed `build` must not leave processes waiting forever."""

from __future__ import annotations

import multiprocessing
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads process states from /proc")

PARENT = """
import multiprocessing, os, sys, time
from concurrent.futures import ProcessPoolExecutor
from retrogen.core.workers import exit_with_parent

pool = ProcessPoolExecutor(2, mp_context=multiprocessing.get_context(sys.argv[1]), initializer=exit_with_parent)
list(pool.map(time.sleep, [0.5, 0.5]))  # both workers start and are waiting for work
print(*(child.pid for child in multiprocessing.active_children()), flush=True)
time.sleep(600)
"""


def running(pid: int) -> bool:
    """True while `pid` runs; a zombie (ended, not yet reaped by its new parent) has ended."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state not in {"Z", "X"}


@pytest.mark.parametrize("method", multiprocessing.get_all_start_methods())
def test_workers_exit_when_their_parent_is_killed(method: str) -> None:
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, method], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    )  # the killed pool's tracker complains
    assert parent.stdout is not None
    with parent.stdout:
        workers = [int(pid) for pid in parent.stdout.readline().split()]
    try:
        assert workers and all(running(pid) for pid in workers)
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        deadline = time.monotonic() + 30  # a generous bound: they end as soon as they notice
        while any(running(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in workers if running(pid)], f"workers outlived their parent ({method})"
    finally:
        for pid in workers:
            if running(pid):
                os.kill(pid, signal.SIGKILL)
        parent.kill()
        parent.wait()
