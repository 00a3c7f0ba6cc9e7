from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = Path(__file__).resolve().parent / "examples"
SHARED_EXAMPLES = ROOT.parent / "shared" / "examples"
# Every test judges dates as of this day, never the real one.
TODAY = date(2026, 11, 20)


@pytest.fixture(autouse=True)
def _fixed_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETROGEN_TODAY", raising=False)
    monkeypatch.delenv("GITHUB_STEP_SUMMARY", raising=False)
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    """A copy of the repository's knowledge base (reviews, schema, mkdocs.yml) in a temporary folder."""
    for name in ("reviews", "schema", "site_overrides"):
        shutil.copytree(ROOT / name, tmp_path / name)
    shutil.copy(ROOT / "mkdocs.yml", tmp_path / "mkdocs.yml")
    return tmp_path
