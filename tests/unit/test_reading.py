"""Checking and loading are two steps: the gate reads and checks the files, the engine builds typed reviews
from what the gate read, and checks nothing itself; no flag changes what a function returns."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from retrogen.engine.model import load_knowledge_base
from retrogen.gate.check import CheckOptions, CheckResult, FileResult, Reading, check_paths, read_paths
from retrogen.gate.config import load_config

from ..conftest import KB, TODAY

OPTIONS = CheckOptions(TODAY)


@pytest.fixture
def knowledge_base(tmp_path: Path) -> Path:
    """The fixture knowledge base, with one review broken (an error: it is left out) ."""
    shutil.copytree(KB, tmp_path / "kb")
    broken = tmp_path / "kb" / "reviews" / "2026-11-apac-discovery-skills.yaml"
    broken.write_text(
        broken.read_text(encoding="utf-8").replace("held_on:", "held_on: not-a-date\nx_held:", 1), "utf-8"
    )
    return tmp_path / "kb"


def test_reading_checks_as_check_does_and_keeps_the_data_of_the_files_without_errors(knowledge_base: Path) -> None:
    reviews = knowledge_base / "reviews"
    checked = check_paths([reviews], OPTIONS, reviews_dir=reviews)
    reading = read_paths([reviews], OPTIONS, reviews_dir=reviews)
    assert reading.check.findings == checked.findings and checked.errors > 0
    failed = {r.path for r in checked.files if r.has_errors}
    assert failed == {reviews / "2026-11-apac-discovery-skills.yaml"}
    assert [path for path, _ in reading.documents] == [r.path for r in checked.files if r.path not in failed]
    assert all(data["id"] == path.stem for path, data in reading.documents)


def test_a_check_result_holds_no_review_data(knowledge_base: Path) -> None:
    # Before, check_file(keep=True) returned the data in the result and load_knowledge_base emptied it again.
    result = check_paths([knowledge_base / "reviews"], OPTIONS)
    assert not hasattr(result.files[0], "data")
    assert "data" not in FileResult.__dataclass_fields__


def test_loading_checks_nothing(knowledge_base: Path) -> None:
    config = load_config(knowledge_base / "mkdocs.yml")
    reviews = knowledge_base / "reviews"
    reading = read_paths([reviews], CheckOptions.of(config, TODAY), reviews_dir=reviews)
    loaded = load_knowledge_base(reading, config, TODAY)
    broken = [f for f in reading.check.findings if f.path.endswith("2026-11-apac-discovery-skills.yaml")]
    assert broken and loaded.skipped == broken
    assert len(loaded.reviews) == len(reading.documents)
    # The engine builds what it is given: one document, one review, and no file is read or checked again.
    shutil.rmtree(reviews)
    one = Reading(CheckResult(), reading.documents[:1])
    assert [r.id for r in load_knowledge_base(one, config, TODAY).reviews] == [reading.documents[0][1]["id"]]


def test_flags_are_keyword_only() -> None:
    with pytest.raises(TypeError):
        CheckResult().failed(True)  # type: ignore[misc]
    with pytest.raises(TypeError):
        check_paths([KB / "reviews"], OPTIONS, KB / "reviews")  # type: ignore[misc]
    assert CheckResult().failed(strict=True) is False
