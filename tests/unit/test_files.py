"""Files retrogen writes: the usual mode (umask) or the replaced file's mode, nothing left behind, clear errors."""

from __future__ import annotations

import os
import stat
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from retrogen.core.errors import RetrogenError
from retrogen.core.files import ABANDONED_AFTER_SECONDS, TEMPORARY, write_file, write_if_changed


@pytest.fixture(params=[0o022, 0o002])
def umask(request: pytest.FixtureRequest) -> Iterator[int]:
    mask: int = request.param
    previous = os.umask(mask)
    yield mask
    os.umask(previous)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_new_files_get_the_mode_the_umask_gives(tmp_path: Path, umask: int) -> None:
    write_file(tmp_path / "new.yaml", "a: 1\n")
    write_file(tmp_path / "out.csv", "x\n", replace=True)
    write_if_changed(tmp_path / "docs" / "page.md", "# page\n")
    for name in ("new.yaml", "out.csv", "docs/page.md"):
        assert mode(tmp_path / name) == 0o666 & ~umask, name
    assert mode(tmp_path / "docs") == 0o777 & ~umask


@pytest.mark.parametrize("existing", [0o644, 0o600, 0o664])
def test_replacing_a_file_keeps_its_mode(tmp_path: Path, existing: int) -> None:
    path = tmp_path / "playbook.md"
    path.write_text("old")
    path.chmod(existing)
    write_file(path, "new", replace=True)
    write_if_changed(path, "newer")
    assert path.read_text() == "newer" and mode(path) == existing


def test_replacing_through_a_symlink_keeps_the_link(tmp_path: Path) -> None:
    (tmp_path / "real.md").write_text("old")
    (tmp_path / "link.md").symlink_to("real.md")
    write_file(tmp_path / "link.md", "new", replace=True)
    assert (tmp_path / "link.md").is_symlink() and (tmp_path / "real.md").read_text() == "new"


def test_create_never_replaces_and_leaves_nothing_behind(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("mine")
    with pytest.raises(RetrogenError, match="already exists"):
        write_file(tmp_path / "x.yaml", "theirs")
    assert (tmp_path / "x.yaml").read_text() == "mine"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["x.yaml"]


def test_a_file_in_the_way_of_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    (tmp_path / "reviews").write_text("not a folder")
    with pytest.raises(RetrogenError, match=r"reviews is a file, not a folder"):
        write_file(tmp_path / "reviews" / "sub" / "x.yaml", "x")


def test_abandoned_temporaries_are_removed_by_the_next_write(tmp_path: Path) -> None:
    abandoned = tmp_path / f".old.yaml.{TEMPORARY}-0badf00d"
    in_flight = tmp_path / f".other.yaml.{TEMPORARY}-1badf00d"
    users = tmp_path / ".notes.tmp"
    for path in (abandoned, in_flight, users):
        path.write_text("partial")
    long_ago = time.time() - ABANDONED_AFTER_SECONDS - 60
    os.utime(abandoned, (long_ago, long_ago))
    os.utime(users, (long_ago, long_ago))
    write_file(tmp_path / "new.yaml", "a: 1\n")
    assert not abandoned.exists()
    assert in_flight.exists() and users.exists()  # a live writer's file, and a file that is not ours
