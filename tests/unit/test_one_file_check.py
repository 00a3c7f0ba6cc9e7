"""`check` of one file in a knowledge base (the pre-commit hook's case): the warm walk over the other reviews
sees every file the plain walk sees, and a change anywhere in the knowledge base (a nested folder too) still
reaches the checks across files."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

import pytest

from retrogen.gate import heads as gate_heads
from retrogen.gate import index as gate_index
from retrogen.gate.config import Config, load_config
from retrogen.gate.heads import listable, review_entries, stat_walk

from ..conftest import copy_knowledge_base
from .test_index import CHECKED, check_one


@pytest.fixture(autouse=True)
def _index_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETROGEN_NO_CACHE", raising=False)  # conftest turns it off for every other test
    monkeypatch.setattr(gate_index, "RACY_NS", 0)  # heads are kept at once (each edit here is a new tick)


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(copy_knowledge_base(tmp_path) / "mkdocs.yml")


def a_tree(top: Path) -> None:
    """Every kind of entry a reviews folder may hold."""
    (top / "nested" / "deeper").mkdir(parents=True)
    (top / ".hidden").mkdir()
    (top / "folder.yaml").mkdir()  # a folder named like a review: walked, not read
    outside = top.parent / "outside"
    outside.mkdir()
    for path in [
        top / "a.yaml",
        top / "b.yml",
        top / "notes.txt",
        top / ".draft.yaml",
        top / "nested" / "c.yaml",
        top / "nested" / "deeper" / "d.yaml",
        top / ".hidden" / "e.yaml",
        top / "folder.yaml" / "f.yaml",
        outside / "g.yaml",
    ]:
        path.write_text(f"id: {path.stem}\n", encoding="utf-8")
    (top / "link.yaml").symlink_to(top / "a.yaml")
    (top / "dangling.yaml").symlink_to(top / "gone.yaml")
    (top / "to-folder.yaml").symlink_to(top / "nested")
    (top / "linked-folder").symlink_to(outside)  # never walked: it is outside the folder


@pytest.mark.parametrize("at_folder", [True, False])
def test_the_warm_walk_sees_what_the_plain_walk_sees(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, at_folder: bool
) -> None:
    top = tmp_path / "reviews"
    top.mkdir()
    a_tree(top)
    monkeypatch.setattr(gate_heads, "_AT_FOLDER", at_folder and gate_heads._AT_FOLDER)
    plain = {entry.path: (entry.stat(), entry.is_symlink()) for entry in review_entries(str(top))}
    warm = {path: (status, linked) for path, status, linked in stat_walk(str(top))}
    assert sorted(warm) == sorted(plain)
    assert sorted(Path(path).relative_to(top).as_posix() for path in warm) == [
        "a.yaml",
        "b.yml",
        "folder.yaml/f.yaml",
        "link.yaml",
        "nested/c.yaml",
        "nested/deeper/d.yaml",
    ]
    for path, (status, linked) in warm.items():
        assert linked == plain[path][1] == Path(path).is_symlink()
        assert (status.st_ino, status.st_size, status.st_mtime_ns) == (
            plain[path][0].st_ino,
            plain[path][0].st_size,
            plain[path][0].st_mtime_ns,
        )


def clashes(config: Config) -> list[str]:
    """The duplicate-id findings of a warm check of the one file, which are those of a check without the index."""
    result = check_one(config)
    assert result.findings == check_one(config, cache=False).findings and not result.notices
    used_by = [
        f.message.rsplit(" used by ", 1)[1].removesuffix("; choose another id")
        for f in result.findings
        if f.code == "RG111"
    ]
    return sorted(Path(path).relative_to(config.root).as_posix() for path in used_by)


def test_a_file_changed_or_added_in_a_nested_folder_reaches_the_one_file_check(config: Config) -> None:
    reviews = config.reviews_dir
    nested = reviews / "2025" / "archive"
    nested.mkdir(parents=True)
    other = nested / "2026-q2-east-sales.yaml"
    (reviews / other.name).rename(other)
    assert clashes(config) == []  # cold: the index keeps every other file's head
    assert clashes(config) == []  # warm
    text, status = other.read_text(encoding="utf-8"), other.stat()
    other.write_text(text.replace("id: 2026-q2-east-sales", "id: 2026-q3-east-sales"), encoding="utf-8")
    os.utime(other, ns=(status.st_atime_ns, status.st_mtime_ns))  # same size and mtime: only its ctime tells
    assert clashes(config) == ["reviews/2025/archive/2026-q2-east-sales.yaml"]
    other.write_text(text, encoding="utf-8")
    assert clashes(config) == []
    copy = nested / "deeper" / "copy.yaml"
    copy.parent.mkdir()
    copy.write_bytes((reviews / CHECKED).read_bytes())
    assert clashes(config) == ["reviews/2025/archive/deeper/copy.yaml"]
    copy.unlink()
    assert clashes(config) == []


def test_a_link_to_the_checked_file_is_the_checked_file_not_a_clash(config: Config) -> None:
    reviews = config.reviews_dir
    assert clashes(config) == []
    (reviews / "alias.yaml").symlink_to(reviews / CHECKED)
    assert clashes(config) == []  # the same review under a second name, as without the index
    (reviews / "alias.yaml").unlink()
    (reviews / "alias.yaml").write_bytes((reviews / CHECKED).read_bytes())
    assert clashes(config) == ["reviews/alias.yaml"]


def test_a_listing_whose_stats_and_paths_disagree_is_damage_rebuilt_with_a_notice(config: Config) -> None:
    expected = check_one(config, cache=False).findings
    assert check_one(config).findings == expected
    index = config.root / gate_index.INDEX_FOLDER / gate_index.INDEX_NAME
    with sqlite3.connect(index) as connection:
        connection.execute("UPDATE listings SET stats = substr(stats, 1, 40)")  # one file's and a half
    damaged = check_one(config)
    assert damaged.findings == expected
    assert damaged.notices and "rebuilding it" in damaged.notices[0]
    again = check_one(config)
    assert again.findings == expected and not again.notices


def test_a_stat_the_listing_cannot_hold_as_int64_is_not_kept() -> None:
    assert listable((6_000, 1_796_591_933_335_843_726, -1, 2**63 - 1))  # a file dated before 1970 too
    assert not listable((6_000, 1_796_591_933_335_843_726, 1_796_591_933_335_843_726, 2**63))
