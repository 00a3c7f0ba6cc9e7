from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from datetime import date
from pathlib import Path

import pytest
from hypothesis import settings

# Hypothesis's default deadline (200 ms an example, by the wall clock) failed test_metrics on a loaded machine
# (an example took 434 ms while other jobs ran): a flaky failure that says nothing of the code. Tests that set
# their own settings keep them.
settings.register_profile("retrogen", deadline=None)
settings.load_profile("retrogen")

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"
# The fixture knowledge base: a team's own reviews/ and mkdocs.yml grow and change, so no test reads them.
KB = Path(__file__).resolve().parent / "kb"
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"
# Every test judges dates as of this day, never the real one.
TODAY = date(2026, 11, 20)
# The lasting index is tested on its own (tests/unit/test_index.py, tests/cli/test_properties_index.py, which
# turn it back on); elsewhere it would write .retrogen/ into the fixture folders the tests read in place. Set
# here, at import, so that module- and session-scoped fixtures run without it too.
os.environ["RETROGEN_NO_CACHE"] = "1"
# The compiled schema is kept in the user's cache (core/files.user_cache_dir) where the index is on: in a
# folder of the test run's own, never the real home's.
os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="retrogen-test-cache-")
atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], ignore_errors=True)


@pytest.fixture(autouse=True)
def _fixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETROGEN_TODAY", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    monkeypatch.setenv("RETROGEN_NO_CACHE", "1")  # see above: a test that turned it on leaves it off


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    """A copy of the fixture knowledge base, with the product's schema and theme overrides, in a temporary
    folder."""
    return copy_knowledge_base(tmp_path)


def copy_knowledge_base(target: Path) -> Path:
    shutil.copytree(KB / "reviews", target / "reviews")
    shutil.copy(KB / "mkdocs.yml", target / "mkdocs.yml")
    for name in ("schema", "site_overrides"):
        shutil.copytree(ROOT / name, target / name)
    return target


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """`-n auto` (pyproject's addopts): xdist's worker per core for the suite or a folder, but one process for
    named test files or tests, where starting the workers would cost more than they save."""
    files = [arg for arg in config.args if Path(arg.split("::")[0]).suffix == ".py"]
    if config.args and len(files) == len(config.args):
        return 0
    return None


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--update-golden", action="store_true", help="rewrite golden files from the current output")


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> object:
    """Compare text with tests/golden/NAME; with --update-golden, rewrite the file instead."""
    update = request.config.getoption("--update-golden")

    def check(name: str, text: str) -> None:
        path = Path(__file__).resolve().parent / "golden" / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        assert path.is_file(), f"no golden file {name}; run pytest --update-golden and review the diff"
        assert text == path.read_text(encoding="utf-8"), f"{name} changed; if intended: pytest --update-golden"

    return check


def check_readme_block(request: pytest.FixtureRequest, start_mark: str, end_mark: str, generated: str) -> None:
    """The README's text between two marks (included) is `generated`; with --update-golden, rewrite it."""
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    start, end = text.index(start_mark), text.index(end_mark) + len(end_mark)
    if request.config.getoption("--update-golden"):
        readme.write_text(text[:start] + generated + text[end:], encoding="utf-8")
    assert text[start:end] == generated, f"README is stale from {start_mark}: pytest --update-golden"
