"""The reviews around the ones being checked, read cheaply: each file's id, team and tags from its first
lines, kept in the lasting index.

Checking one file of ten thousand reads that file, the stat of the others and their kept heads. A head is
kept with the stat of the file it was read from and used again only while that stat is the same (a file
changed within the clock tick of its reading is read again, as the index's entries are). Links are never
kept: what they say depends on where they point.
"""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from stat import S_ISDIR, S_ISLNK, S_ISREG
from typing import NamedTuple

from retrogen.gate.index import IndexBusy, ListedStamp, Listing, ReviewIndex, now_ns, settled, storable
from retrogen.gate.loader import read_bounded

REVIEW_SUFFIXES = (".yaml", ".yml")
# The id is near the top of a review; a file that hides it further down is checked when it is named.
ID_SEARCH_BYTES = 65_536
# The `tags:` line of a review or lesson in a head: a flow list `tags: [a, b]`, or a block list of plain
# items. Each is matched only at the start of a line that holds "tags:" (found with str.find): a pattern
# tried at every character of ten thousand heads costs a second.
_TAGS_KEY = "tags:"


@cache
def _patterns() -> tuple[re.Pattern[str], ...]:
    """The id, team and tags patterns, compiled on first use: a warm check of one file needs none of them."""
    return (
        re.compile(r"^id:[ \t]*['\"]?([^'\"\s#]+)", re.MULTILINE),
        re.compile(r"^team:[ \t]*(?:\"([^\"\\\n]*)\"|'([^'\n]*)'|([^#\n]*?))[ \t]*(?:#.*)?$", re.MULTILINE),
        re.compile(r"^[ \t-]*tags:[ \t]*\[([^\]\n]*)\]", re.MULTILINE),
        re.compile(r"^[ \t-]*tags:[ \t]*(?:#[^\n]*)?\n((?:[ \t]*-[ \t]+[^:#\n]+(?:#[^\n]*)?\n)+)", re.MULTILINE),
    )


class Head(NamedTuple):
    """What the first lines of a review say: its id, team and tags, read without parsing the file."""

    file: str  # the path, as a string: ten thousand Path objects cost more than the rest of a warm check
    review_id: str | None
    team: str | None
    tags: tuple[str, ...] = ()

    @property
    def path(self) -> Path:
        return Path(self.file)


def link_leaves(path: Path, root: Path) -> bool:
    """True when `path` is a symbolic link whose target lies outside `root`."""
    return path.is_symlink() and not path.resolve().is_relative_to(root.resolve())


def review_files(folder: Path, *, ordered: bool = True) -> Iterator[tuple[tuple[str, ...], os.DirEntry[str]]]:
    """Each review file below `folder` (not hidden, not below a hidden folder or a linked one), as its path's
    parts below `folder` and its directory entry, `ordered` as sorted Paths are (unordered, the parts are
    left empty: a warm check of one file lists ten thousand and needs neither)."""
    top = os.path.abspath(folder)
    found = review_entries(top)
    if not ordered:
        return (((), entry) for entry in found)
    start = len(top) + 1
    return iter(sorted(((tuple(entry.path[start:].split(os.sep)), entry) for entry in found), key=lambda x: x[0]))


def review_entries(top: str) -> list[os.DirEntry[str]]:
    """The directory entries of review_files, in no order."""
    found: list[os.DirEntry[str]] = []
    _walk(top, found)
    return found


def _walk(folder: str, found: list[os.DirEntry[str]]) -> None:
    try:
        with os.scandir(folder) as listing:
            entries = list(listing)
    except PermissionError:  # as Path.rglob: a folder that cannot be listed has nothing to check
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        try:
            if entry.name.endswith(REVIEW_SUFFIXES) and entry.is_file():
                found.append(entry)
            elif entry.is_dir() and not entry.is_symlink():
                _walk(entry.path, found)
        except OSError:
            continue


def review_heads(folder: Path, exclude: set[Path]) -> list[Head]:
    """The other reviews of the knowledge base (all but the resolved paths in `exclude`), read cheaply from
    their `id:`, `team:` and `tags:` lines: only the head of each file is read, so a huge or endless file
    costs no more than a small one."""
    if not folder.is_dir():
        return []
    excluded = _Excluded(exclude)
    heads: list[Head] = []
    for _, entry in review_files(folder):
        try:
            status = entry.stat()
        except OSError:
            continue
        if excluded(entry.path, status) or (entry.is_symlink() and link_leaves(Path(entry.path), folder)):
            continue
        if (head := read_head(entry.path)) is not None:
            heads.append(head)
    return heads


class _Excluded:
    """Whether a file is one of `exclude` (resolved paths): by its path, else by its inode and then its
    resolved path (a link or a second name of it), without resolving the paths of ten thousand others."""

    def __init__(self, exclude: set[Path]) -> None:
        self.exclude = exclude
        self.paths = {str(path) for path in exclude}
        self.inodes = {(status.st_dev, status.st_ino) for path in exclude if (status := _stat(path)) is not None}

    def __call__(self, path: str, status: os.stat_result) -> bool:
        if path in self.paths:
            return True
        return (status.st_dev, status.st_ino) in self.inodes and Path(path).resolve() in self.exclude


class Around(NamedTuple):
    """What the files being checked are judged with, from the rest of the knowledge base."""

    heads: list[Head]  # in the knowledge base's order: every other review's, or at least those asked for
    tags: Counter[str]  # how often the other reviews' heads write each tag


def heads_around(
    folder: Path, exclude: set[Path], index: ReviewIndex | None, *, ids: set[str], teams: set[str]
) -> Around:
    """The heads of the other reviews in `folder` (all but `exclude`) that have an id in `ids`, a team in
    `teams` (stripped) or no readable team, at least, and how often all of them write each tag. With
    `index`, the heads it keeps for files unchanged since (by stat) are not read again."""
    listing = index.read_listing(os.path.abspath(folder)) if index is not None and folder.is_dir() else None
    if index is None or listing is None:
        return _plain_around(folder, exclude)
    try:
        return _indexed_around(folder, exclude, index, listing, ids, teams)
    except IndexBusy:
        return _plain_around(folder, exclude)
    finally:
        index.end_read()


def _plain_around(folder: Path, exclude: set[Path]) -> Around:
    heads = review_heads(folder, exclude)
    return Around(heads, Counter(tag for head in heads for tag in head.tags))


def _indexed_around(
    folder: Path, exclude: set[Path], index: ReviewIndex, listing: Listing, ids: set[str], teams: set[str]
) -> Around:
    """heads_around with the index: a file whose stat the listing holds for its path keeps its head; the
    others are read, and kept unless changed within the clock tick of their reading (or linked)."""
    excluded = _Excluded(exclude)
    kept: list[str] = []  # the files whose kept heads stand, the excluded ones among them
    excluded_kept: list[str] = []
    new: list[tuple[str, ListedStamp, Head]] = []  # read this run, to keep
    unkept: list[Head] = []  # read this run, not to keep
    listed = listing.files
    inodes = {inode for _, inode in excluded.inodes}
    for path, status, linked in stat_walk(os.path.abspath(folder)):  # the loop of a warm check: 10,000 times
        if linked:
            if not excluded(path, status) and not link_leaves(Path(path), folder) and (head := read_head(path)):
                unkept.append(head)
            continue
        stamp = (status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino)  # see ListedStamp
        if listed.get(path) == stamp:
            kept.append(path)
            if path in excluded.paths or (status.st_ino in inodes and excluded(path, status)):
                excluded_kept.append(path)
            continue
        if excluded(path, status):
            continue
        read_ns = now_ns()
        head = read_head(path)
        if head is not None:
            trusted = settled(status, read_ns) and storable(path) and listable(stamp)
            (new.append((path, stamp, head)) if trusted else unkept.append(head))
    # kept holds listed paths only, each once: as many means every listed file is still there unchanged
    gone = [] if len(kept) == len(listed) else sorted(listed.keys() - set(kept))
    tags = Counter(listing.tags)
    tags.subtract(tag for head in index.heads_of(listing.folder, gone) for tag in head.tag_tuple())
    tags.update(tag for _, _, head in new for tag in head.tags)
    tags = +tags  # without the tags no file writes any more
    if len(excluded_kept) < len(kept):
        others = Counter(tags)
        others.subtract(tag for head in index.heads_of(listing.folder, excluded_kept) for tag in head.tag_tuple())
        unread = {*gone, *excluded_kept}
        heads = [
            Head(head.file, head.review_id, head.team, head.tag_tuple())
            for head in index.candidates(listing.folder, sorted(ids), sorted(teams))
            if head.file not in unread
        ]
    else:  # every kept head is of a file being checked (`check` of the whole folder): none of them counts
        others, heads = Counter(tag for _, _, head in new for tag in head.tags), []
    others.update(tag for head in unkept for tag in head.tags)
    index.end_read()
    if new or gone:
        files = {path: listed[path] for path in kept} | {path: stamp for path, stamp, _ in new}
        index.store_listing(listing, files, dict(tags), gone, [head for _, _, head in new])
    heads += [head for _, _, head in new] + unkept
    start = len(os.path.abspath(folder)) + 1  # every head's file is below it, as the walk named it
    heads.sort(key=lambda head: tuple(head.file[start:].split(os.sep)))
    return Around(heads, +others)


def listable(stamp: ListedStamp) -> bool:
    """Whether the listing can keep a file's stat: as int64s (an inode number of 2**63 or more, which some file
    systems give, cannot be; such a file's head is read every time)."""
    return all(-(2**63) <= number < 2**63 for number in stamp)


# Where the platform can stat a name relative to an open folder, the warm loop does: the kernel then looks up
# one name instead of every folder of an absolute path: about a quarter of the stat's cost.
_AT_FOLDER = os.stat in os.supports_dir_fd and os.listdir in os.supports_fd and hasattr(os, "O_DIRECTORY")


def stat_walk(top: str) -> Iterator[tuple[str, os.stat_result, bool]]:
    """The files of review_entries below `top` (an absolute path), in no order, each as its path, its stat
    (of what a link points at) and whether it is a link: one stat per file, and nothing else."""
    if not _AT_FOLDER:
        for entry in review_entries(top):
            try:
                status = entry.stat()
            except OSError:
                continue
            yield entry.path, status, entry.is_symlink()
        return
    folders = [top]
    while folders:
        folder = folders.pop()
        try:
            fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
        except OSError:  # as _walk: a folder that cannot be listed has nothing to check
            continue
        try:
            names = os.listdir(fd)
            prefix = folder + os.sep
            for name in names:
                if name.startswith("."):
                    continue
                try:
                    status = os.stat(name, dir_fd=fd, follow_symlinks=False)
                except OSError:
                    continue
                mode = status.st_mode
                if S_ISREG(mode):
                    if name.endswith(REVIEW_SUFFIXES):
                        yield prefix + name, status, False
                elif S_ISDIR(mode):
                    folders.append(prefix + name)
                elif S_ISLNK(mode) and name.endswith(REVIEW_SUFFIXES) and (target := _target(name, fd)):
                    yield prefix + name, target, True
        except OSError:
            continue
        finally:
            os.close(fd)


def _target(name: str, folder_fd: int) -> os.stat_result | None:
    """The stat of what a link in the folder open as `folder_fd` points at, when that is a regular file (a
    review, as DirEntry.is_file says)."""
    try:
        status = os.stat(name, dir_fd=folder_fd)
    except OSError:
        return None
    return status if S_ISREG(status.st_mode) else None


def _stat(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def read_head(file: str) -> Head | None:
    """A file's head as its first ID_SEARCH_BYTES say; None when it cannot be read."""
    try:
        head = read_bounded(Path(file), ID_SEARCH_BYTES)[:ID_SEARCH_BYTES].decode("utf-8", errors="replace")
    except OSError:
        return None
    id_line, team_line, _, _ = _patterns()
    review_id, team = id_line.search(head), team_line.search(head)
    return Head(
        file,
        review_id.group(1) if review_id else None,
        next((g for g in team.groups() if g is not None), None) if team else None,
        head_tags(head),
    )


def head_tags(head: str) -> tuple[str, ...]:
    """The tags a head writes in the usual forms; a tag written otherwise is only missed as a known spelling."""
    _, _, flow, block = _patterns()
    starts: list[int] = []
    found = head.find(_TAGS_KEY)
    while found >= 0:
        start = head.rfind("\n", 0, found) + 1
        if not starts or starts[-1] != start:
            starts.append(start)
        found = head.find(_TAGS_KEY, found + len(_TAGS_KEY))
    items = [item for start in starts if (match := flow.match(head, start)) for item in match.group(1).split(",")]
    items += [
        line.split("#")[0].strip().removeprefix("-")
        for start in starts
        if (match := block.match(head, start))
        for line in match.group(1).splitlines()
    ]
    return tuple(tag for item in items if (tag := item.strip().strip("'\"").strip()))


def known_ids(folder: Path, exclude: set[Path]) -> Iterator[tuple[str, Path]]:
    """Ids of the other reviews in the knowledge base, from their heads."""
    return ((head.review_id, head.path) for head in review_heads(folder, exclude) if head.review_id)
