"""The site folder: a build replaces only what an earlier build wrote, in one step, and refuses the rest
before writing anything. MkDocs is replaced by a stand-in except in the one test marked slow."""

from __future__ import annotations

import gc
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

import retrogen.site.build
from retrogen.core.errors import BuildError
from retrogen.engine.analysis import Analysis
from retrogen.engine.model import KnowledgeBase
from retrogen.gate.config import load_config
from retrogen.gate.loop_checks import ReviewFacts
from retrogen.site.output import MARKER

from ..cli.test_check_and_new import run
from ..conftest import copy_knowledge_base

BUILD = ("build", "--no-git", "--today", "2026-11-20")
AS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def snapshot(folder: Path) -> dict[str, bytes | None]:
    """Every path below `folder` with its content: what must not change when a build is refused."""
    return {p.relative_to(folder).as_posix(): p.read_bytes() if p.is_file() else None for p in folder.rglob("*")}


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    """The fixture knowledge base one folder down: its parent, which a refused build must leave as it was, then
    holds this test's files only, not those of every test before it (snapshots read them all)."""
    return copy_knowledge_base(tmp_path / "kb")


@pytest.fixture
def built_into(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """MkDocs stood in for by a function that records where it was asked to build and writes one page."""
    folders: list[Path] = []

    def fake_mkdocs(config: object, site_dir: Path, strict: bool = False) -> None:
        folders.append(site_dir)
        assert sorted(p.name for p in site_dir.iterdir()) == [MARKER]  # new, marked, and empty
        (site_dir / "index.html").write_text(f"build {len(folders)}")

    monkeypatch.setattr(retrogen.site.build, "run_mkdocs", fake_mkdocs)
    return folders


def test_what_the_pages_were_made_from_is_let_go_before_mkdocs_runs(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs' process starts beside this one with the analysis let go (the tree's peak holds this process's
    memory too), and nothing is left frozen for a process that builds again (serve, tests, an API user)."""
    left: list[object] = []

    def made_from() -> list[object]:
        return [o for o in gc.get_objects() if isinstance(o, (Analysis, KnowledgeBase, ReviewFacts))]

    def fake_mkdocs(config: object, site_dir: Path, strict: bool = False) -> None:
        gc.unfreeze()  # frozen objects are not listed
        left.extend(o for o in made_from() if not any(o is e for e in earlier))
        (site_dir / "index.html").write_text("built")

    monkeypatch.setattr(retrogen.site.build, "run_mkdocs", fake_mkdocs)
    gc.unfreeze()  # whatever a command run earlier in this process froze
    # What tests run earlier in this worker still hold is not this build's to let go (held here, so no object
    # of the build can take an earlier one's place)
    earlier = made_from()
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 0, out
    assert gc.get_freeze_count() == 0
    assert left == []  # the analysis, the reviews and what the checks read of them, let go before MkDocs


@pytest.mark.slow
def test_mkdocs_builds_in_a_process_of_its_own_and_its_warnings_and_refusal_reach_the_user(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """MkDocs runs in another process (a process that has just made 10,000 reviews' pages runs it a fifth
    slower); what it warns of is still shown, and under --strict its refusal stops the build with its words."""
    config = knowledge_base / "mkdocs.yml"
    # a page the navigation names and nobody wrote: MkDocs warns of it, and refuses it under --strict
    config.write_text(config.read_text(encoding="utf-8") + "nav:\n  - index.md\n  - nowhere.md\n", encoding="utf-8")

    def in_this_process(*args: object, **kwargs: object) -> None:
        raise AssertionError("MkDocs ran in the process that made the pages")

    monkeypatch.setattr(retrogen.site.build, "build_with_mkdocs", in_this_process)
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 0, out
    assert re.search(r"^warning: .*nowhere\.md", out, re.MULTILINE), out
    assert (knowledge_base / "site" / "index.html").is_file()
    # the fixture's reviews have warnings, which would stop `build --strict` before MkDocs: MkDocs alone
    with pytest.raises(BuildError, match=r"MkDocs could not build the site: .*1 warnings?"):
        retrogen.site.build.run_mkdocs(load_config(config), knowledge_base / "strict", strict=True)


def test_a_mkdocs_process_that_fails_is_a_build_error_with_its_last_words(knowledge_base: Path) -> None:
    """A process of MkDocs that ends with a traceback (here: mkdocs.yml gone once the pages were made) is
    reported as a failed build with the traceback's last line, not taken for a built site."""
    config = load_config(knowledge_base / "mkdocs.yml")
    (knowledge_base / "mkdocs.yml").unlink()
    with pytest.raises(BuildError, match=r"MkDocs could not build the site: .*mkdocs\.yml"):
        retrogen.site.build.run_mkdocs(config, knowledge_base / "site")


@pytest.mark.parametrize(
    ("site_dir", "message"),
    [
        ("reviews", "would overlap the reviews"),
        ("reviews/site", "would overlap the reviews"),
        (".", "would hold the whole knowledge base"),
        ("..", "would hold the whole knowledge base"),
        (".retrogen/docs", "would overlap docs_dir"),
        (".retrogen", "would overlap docs_dir"),
        ("schema", "holds files retrogen did not write"),
    ],
)
def test_build_refuses_a_folder_that_is_not_its_own(
    knowledge_base: Path, built_into: list[Path], site_dir: str, message: str
) -> None:
    before = snapshot(knowledge_base.parent)
    code, out = run(*BUILD, "--site-dir", site_dir, cwd=knowledge_base)
    assert code == 1 and message in out, out
    assert snapshot(knowledge_base.parent) == before and built_into == []


def test_build_refuses_a_site_holding_files_of_the_users(knowledge_base: Path, built_into: list[Path]) -> None:
    (knowledge_base / "site").mkdir()
    (knowledge_base / "site" / "notes.txt").write_text("mine")
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 1 and "holds files retrogen did not write" in out
    assert (knowledge_base / "site" / "notes.txt").read_text() == "mine" and built_into == []


def test_build_outside_the_knowledge_base_only_when_asked(
    knowledge_base: Path, built_into: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "public"
    code, out = run(*BUILD, "--site-dir", str(elsewhere), cwd=knowledge_base)
    assert code == 1 and "outside the knowledge base" in out and "--allow-outside" in out
    assert not elsewhere.exists()
    code, out = run(*BUILD, "--site-dir", str(elsewhere), "--allow-outside", cwd=knowledge_base)
    assert code == 0, out
    assert (elsewhere / "index.html").is_file() and (elsewhere / MARKER).is_file()


def test_a_symlinked_site_is_judged_by_its_target(
    knowledge_base: Path, built_into: list[Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    site = knowledge_base / "site"
    site.symlink_to(knowledge_base / "schema")
    before = snapshot(knowledge_base / "schema")
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 1 and "a link to" in out and "holds files retrogen did not write" in out
    assert snapshot(knowledge_base / "schema") == before
    site.unlink()
    target = tmp_path_factory.mktemp("www") / "site"
    site.symlink_to(target)
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 1 and "outside the knowledge base" in out
    code, out = run(*BUILD, "--allow-outside", cwd=knowledge_base)
    assert code == 0, out
    assert site.is_symlink() and (target / "index.html").read_text() == "build 1"
    assert built_into[0].parent == target.parent  # built beside the target, on its file system


def test_build_happens_beside_the_site_and_replaces_it_whole(knowledge_base: Path, built_into: list[Path]) -> None:
    site = knowledge_base / "site"
    assert run(*BUILD, cwd=knowledge_base)[0] == 0
    (site / "stale.html").write_text("from an earlier build")
    site.chmod(0o750)
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 0, out
    for folder in built_into:
        assert folder.parent == site.parent and folder.name.startswith(".site.retrogen-new-")
    assert sorted(p.name for p in site.iterdir()) == [MARKER, "index.html"]
    assert (site / "index.html").read_text() == "build 2" and stat.S_IMODE(site.stat().st_mode) == 0o750
    assert [p.name for p in knowledge_base.glob(".site.*")] == []


def test_a_failed_build_keeps_the_last_site(
    knowledge_base: Path, built_into: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert run(*BUILD, cwd=knowledge_base)[0] == 0

    def failing_mkdocs(config: object, site_dir: Path, strict: bool = False) -> None:
        (site_dir / "half.html").write_text("half")
        raise BuildError("MkDocs could not build the site: theme missing")

    monkeypatch.setattr(retrogen.site.build, "run_mkdocs", failing_mkdocs)
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 1 and "theme missing" in out
    assert sorted(p.name for p in (knowledge_base / "site").iterdir()) == [MARKER, "index.html"]
    assert [p.name for p in knowledge_base.glob(".site.*")] == []


def test_a_killed_build_keeps_the_last_site_and_the_next_build_clears_its_leftovers(
    knowledge_base: Path, built_into: list[Path]
) -> None:
    assert run(*BUILD, cwd=knowledge_base)[0] == 0
    killed_in_mkdocs = (
        "import os, signal, sys\n"
        "import retrogen.site.build as build\n"
        "def killed(config, site_dir, strict=False):\n"
        "    (site_dir / 'half.html').write_text('half')\n"
        "    os.kill(os.getpid(), signal.SIGKILL)\n"
        "build.run_mkdocs = killed\n"
        "from retrogen.cli import main\n"
        "sys.argv = ['retrogen', *sys.argv[1:]]\n"
        "main()\n"
    )
    result = subprocess.run([sys.executable, "-c", killed_in_mkdocs, *BUILD], cwd=knowledge_base, capture_output=True)
    assert result.returncode == -signal.SIGKILL
    assert (knowledge_base / "site" / "index.html").read_text() == "build 1"
    [leftover] = knowledge_base.glob(".site.retrogen-new-*")
    (knowledge_base / ".site.retrogen-old-0badf00d").mkdir()  # killed between its two renames
    (knowledge_base / ".site.retrogen-old-0badf00d" / MARKER).write_text("")
    (knowledge_base / ".site.retrogen-new-notours").mkdir()  # the same name, but not marked: not ours
    (knowledge_base / ".site.retrogen-new-notours" / "keep.txt").write_text("mine")
    assert run(*BUILD, cwd=knowledge_base)[0] == 0
    assert not leftover.exists() and not (knowledge_base / ".site.retrogen-old-0badf00d").exists()
    assert (knowledge_base / ".site.retrogen-new-notours" / "keep.txt").read_text() == "mine"


def test_the_site_folder_gets_the_usual_mode(knowledge_base: Path, built_into: list[Path]) -> None:
    previous = os.umask(0o022)
    try:
        assert run(*BUILD, cwd=knowledge_base)[0] == 0
    finally:
        os.umask(previous)
    assert stat.S_IMODE((knowledge_base / "site").stat().st_mode) == 0o755  # not mkdtemp's 0700


@pytest.mark.parametrize("setting", ["docs_dir", "site_dir"])
def test_a_file_in_the_way_is_a_clear_error(knowledge_base: Path, built_into: list[Path], setting: str) -> None:
    (knowledge_base / "blocker").write_text("a file, not a folder")
    config = knowledge_base / "mkdocs.yml"
    config.write_text(config.read_text().replace(f"{setting}: ", f"{setting}: blocker/"))
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 1 and "blocker is a file, not a folder" in out and "Traceback" not in out


@pytest.mark.skipif(AS_ROOT, reason="root writes into a read-only folder; the test above covers it as root")
@pytest.mark.parametrize("setting", ["docs_dir", "site_dir"])
def test_a_read_only_folder_is_a_clear_error(knowledge_base: Path, built_into: list[Path], setting: str) -> None:
    (knowledge_base / "locked").mkdir(mode=0o555)
    config = knowledge_base / "mkdocs.yml"
    config.write_text(config.read_text().replace(f"{setting}: ", f"{setting}: locked/"))
    try:
        code, out = run(*BUILD, cwd=knowledge_base)
    finally:
        (knowledge_base / "locked").chmod(0o755)
    assert code == 1 and "Permission denied" in out and "Traceback" not in out


@pytest.mark.slow
def test_real_build_marks_the_site_and_rebuilds_it(knowledge_base: Path) -> None:
    for _ in range(2):
        code, out = run(*BUILD, cwd=knowledge_base)
        assert code == 0, out
    site = knowledge_base / "site"
    assert (site / MARKER).is_file() and (site / "reviews" / "2026-q3-east-sales" / "index.html").is_file()
    assert [p.name for p in knowledge_base.glob(".site.*")] == []


@pytest.mark.slow
def test_a_config_without_docs_dir_builds(knowledge_base: Path) -> None:
    config = knowledge_base / "mkdocs.yml"
    config.write_text(re.sub(r"(?m)^docs_dir:.*\n", "", config.read_text(encoding="utf-8")), encoding="utf-8")
    assert not re.search(r"(?m)^docs_dir:", config.read_text(encoding="utf-8"))
    code, out = run(*BUILD, cwd=knowledge_base)
    assert code == 0, out
    assert (knowledge_base / ".retrogen" / "docs" / "index.md").is_file()
    assert (knowledge_base / "site" / "reviews" / "2026-q3-east-sales" / "index.html").is_file()
