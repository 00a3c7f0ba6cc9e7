"""One build at a time per site, and a site that survives a build killed anywhere (issue 22): two builds
at once once left a third of a site that every later build refused, and a build killed between the swap's
two renames left no site and the next build deleted both complete copies."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import retrogen.site.build
import retrogen.site.output
from retrogen.core.errors import BuildBusyError
from retrogen.gate.check import CheckResult
from retrogen.gate.config import load_config
from retrogen.site.build import BuildReport, build_site
from retrogen.site.output import MARKER, WriteReport, exclusive, recover

from ..cli.test_check_and_new import run
from ..minimal import review, write_knowledge_base
from .conftest import TODAY

BUILD = ("build", "--no-git", "--today", TODAY.isoformat())
PAGES = 30  # what the stand-in for MkDocs writes: enough files that a build takes a moment


def mkdocs_stand_in(config: object, site_dir: Path, strict: bool = False) -> None:
    """Writes its pages as MkDocs does: the folders of each page made as needed (so a build whose folder
    was removed from under it writes a part of a site again), with a pause that lets another build in."""
    for index in range(PAGES):
        page = site_dir / f"page{index}" / "index.html"
        page.parent.mkdir(parents=True, exist_ok=True)
        page.write_text(f"page {index}")
        time.sleep(0.001)
    (site_dir / "index.html").write_text("home")


def is_whole(site: Path) -> bool:
    names = {p.relative_to(site).as_posix() for p in site.rglob("*") if p.is_file()}
    return names == {MARKER, "index.html", *(f"page{i}/index.html" for i in range(PAGES))}


def leftovers(root: Path) -> list[str]:
    """What builds left beside the site: folders, and the lock of a build that was killed."""
    return sorted(p.name for p in root.glob(".site.*"))


@pytest.fixture
def tiny(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    write_knowledge_base(tmp_path, [review("a-q1", "Team A")])
    monkeypatch.setattr(retrogen.site.build, "run_mkdocs", mkdocs_stand_in)
    return tmp_path


def test_two_builds_at_once_leave_a_whole_site_twenty_times_over(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The lock and the swap, with the pages' generation left out: 40 builds in a few seconds."""
    config = load_config(tiny / "mkdocs.yml")
    monkeypatch.setattr(retrogen.site.build, "generate", lambda *_, **__: BuildReport(CheckResult(), WriteReport()))
    failures: list[BaseException] = []

    def build() -> None:
        try:
            assert build_site(config, TODAY, use_git=False).ok
        except BaseException as exc:  # reported by the main thread
            failures.append(exc)

    for round_ in range(20):
        threads = [threading.Thread(target=build) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert failures == [], (round_, failures)
        assert is_whole(tiny / "site"), round_
        assert leftovers(tiny) == [], round_
    assert build_site(config, TODAY, use_git=False).ok  # and the next build is not refused


def test_a_build_waits_for_the_one_writing_its_site_then_gives_up_naming_it(
    tiny: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrogen.site.output, "LOCK_WAIT_SECONDS", 0.3)
    with exclusive(tiny / "site"):
        assert (tiny / ".site.retrogen-lock").read_text() == f"{os.getpid()}\n"
        started = time.monotonic()
        code, out = run(*BUILD, cwd=tiny)
        assert time.monotonic() - started >= 0.3
    assert code == 2, out
    assert f"another build (pid {os.getpid()}) is writing" in out and "try again once it has finished" in out
    assert not (tiny / "site").exists()
    assert run(*BUILD, cwd=tiny)[0] == 0 and is_whole(tiny / "site")
    assert not (tiny / ".site.retrogen-lock").exists()


def test_the_lock_of_a_build_that_died_is_taken_over(tiny: Path) -> None:
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    (tiny / ".site.retrogen-lock").write_text(f"{int(dead.stdout)}\n")  # its pid, and no one holds the lock
    code, out = run(*BUILD, cwd=tiny)
    assert code == 0, out
    assert is_whole(tiny / "site") and not (tiny / ".site.retrogen-lock").exists()


KILLED_IN_SWAP = """
import os, pathlib, signal, sys
import retrogen.site.build as build
from tests.site.test_concurrent_builds import mkdocs_stand_in
build.run_mkdocs = mkdocs_stand_in
rename = pathlib.Path.rename
def killed_before_the_second_rename(self, target):
    if ".retrogen-done-" in self.name:  # the old site is already renamed away: kill, as a power cut would
        os.kill(os.getpid(), signal.SIGKILL)
    return rename(self, target)
pathlib.Path.rename = killed_before_the_second_rename
from retrogen.cli import main
sys.argv = ["retrogen", *sys.argv[1:]]
main()
"""


def killed_in_swap(root: Path) -> None:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), *sys.path])}
    result = subprocess.run([sys.executable, "-c", KILLED_IN_SWAP, *BUILD], cwd=root, capture_output=True, env=env)
    assert result.returncode == -9, result.stderr


def test_a_build_killed_between_the_swaps_renames_leaves_a_site_the_next_build_restores(tiny: Path) -> None:
    assert run(*BUILD, cwd=tiny)[0] == 0
    (tiny / "site" / "index.html").write_text("the old site")
    killed_in_swap(tiny)
    assert not (tiny / "site").exists()
    [done, lock, old] = leftovers(tiny)  # the new site and the old one, both complete; the lock of the dead
    assert ".retrogen-done-" in done and lock == ".site.retrogen-lock" and ".retrogen-old-" in old
    review_file = tiny / "reviews" / "a-q1.yaml"
    review_file.write_text(review_file.read_text().replace("owner: Ann Lee", "owner: TBD"))  # an error
    code, out = run(*BUILD, cwd=tiny)
    assert code == 1 and "the site was not built" in out
    assert is_whole(tiny / "site") and (tiny / "site" / "index.html").read_text() == "home"  # the newer one
    assert leftovers(tiny) == []


def test_with_only_the_old_site_left_it_is_the_one_restored(tiny: Path) -> None:
    assert run(*BUILD, cwd=tiny)[0] == 0
    (tiny / "site").rename(tiny / ".site.retrogen-old-0badf00d")
    (tiny / ".site.retrogen-new-1badf00d").mkdir()  # half built: never restored
    (tiny / ".site.retrogen-new-1badf00d" / MARKER).write_text("")
    with exclusive(tiny / "site"):
        recover(tiny / "site")
    assert is_whole(tiny / "site") and leftovers(tiny) == []


def test_a_build_never_swaps_in_a_folder_someone_else_emptied(tiny: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert run(*BUILD, cwd=tiny)[0] == 0

    def emptied_midway(config: object, site_dir: Path, strict: bool = False) -> None:
        mkdocs_stand_in(config, site_dir)
        (site_dir / MARKER).unlink()

    monkeypatch.setattr(retrogen.site.build, "run_mkdocs", emptied_midway)
    code, out = run(*BUILD, cwd=tiny)
    assert code == 1 and "was changed by someone else while MkDocs wrote it" in out
    assert is_whole(tiny / "site") and leftovers(tiny) == []


@pytest.mark.slow
def test_two_real_builds_at_once_both_succeed_and_leave_a_whole_site(tmp_path: Path) -> None:
    write_knowledge_base(tmp_path, [review("a-q1", "Team A"), review("b-q1", "Team B")])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(Path(__file__).parents[2]), *sys.path])}
    for _ in range(2):
        builds = [
            subprocess.Popen(
                [sys.executable, "-m", "retrogen", *BUILD],
                cwd=tmp_path,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
            for _ in range(2)
        ]
        outputs = [build.communicate(timeout=300)[0] for build in builds]
        assert [build.returncode for build in builds] == [0, 0], outputs
        site = tmp_path / "site"
        assert (site / MARKER).is_file() and (site / "reviews" / "a-q1" / "index.html").is_file()
        assert (site / "search" / "search_index.json").is_file() and leftovers(tmp_path) == []
    with pytest.raises(BuildBusyError, match="another build"), exclusive(tmp_path / "site"):
        build_site(load_config(tmp_path / "mkdocs.yml"), TODAY, use_git=False, wait=0)
