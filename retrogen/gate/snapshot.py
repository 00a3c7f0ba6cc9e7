"""The snapshot: the knowledge base as the read commands last loaded it, kept beside the index and read back
in one go.

A warm run of a read command reads it instead of ten thousand index entries one by one.

It holds, by each file's absolute path, the stamp of the bytes it was read from, its check before the
findings across files (as a plain tuple), and what the read's `convert` made of its data (a Review); apart
from them, each file's facts for the checks across files (only read back when those must be judged again) and
the last findings across files with what they were judged on. The gate decides what may be taken from it
(check.py: the same rules as the index's entries); this module only keeps it.

On disk: a base file and a delta file of what changed since the base was written, so that a run that re-read
one review writes a few kilobytes, not the whole knowledge base again; the base is rewritten when the delta
grows, keeping the bytes of its sections whose files did not change (see _kept_sections). Each file is
sections (two pickles each: see _pickled; a base's records one pickle each, which refers to the base's table
of what many records share: see _table_of), each with its length and CRC, and a trailer that names its key
(the code, settings and folder it was made for) and, for a delta, the base it follows.
Anything unexpected (damage, truncation, another key, a class outside the allow-list) makes it unused: damage
is said in a notice and the files are removed; a new one is written by the same run.
"""

from __future__ import annotations

import contextlib
import copyreg
import functools
import io
import os
import pickle
import random
import struct
import sys
import zlib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Set
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path, PosixPath, PurePath, PurePosixPath, PureWindowsPath, WindowsPath
from typing import Any, BinaryIO

from retrogen.core.files import write_atomic_with
from retrogen.gate.index import GuardedUnpickler, PathlessUnpickler, Stamp

BASE_NAME = "snapshot.pickle"
DELTA_NAME = "snapshot-delta.pickle"
MAGIC = b"retrogen snapshot 1\n"
_TRAILER = struct.Struct("<Q")
# The delta is folded into a new base when it holds more files than this share of the knowledge base (a
# base costs about a second per 10,000 reviews to write; a delta is read back and written again each run).
DELTA_SHARE = 0.05
DELTA_MIN = 50
# A new base keeps the old one's table and the sections of its records that did not change (see
# _kept_sections) until more than this share of its records were pickled since the table was found.
FRESH_SHARE = 0.25

# A file's record: (display, stamp, check, document). The stamp is index.Stamp as a tuple; the check is
# (review id, line and column of the id or None, own findings, days: see check.FileResult); the document is
# what convert made of its data, None when it was not converted (the file has an error of its own).
# The base's records are pickled in sections of this many: pickling one holds every object of it, and the
# state (a dict) of each, until it is done (see _pickled); in one, that was 70 MB more at 10,000 reviews.
RECORDS_PER_SECTION = 500
# The base's table (see _table_of) is found in one record in this many, and kept as the section TABLE.
SAMPLE_EVERY = 10
# The sample's references are counted this many records at a time (see _table_of).
SAMPLE_CHUNK = 100
TABLE = "table"
StampTuple = tuple[int, int, int, int, bytes, int]
Record = tuple[str, StampTuple, tuple[Any, ...], Any]


def plain(stamp: Stamp | StampTuple) -> StampTuple:
    """A stamp as a record keeps it: a plain tuple, which unpickles without calling its class."""
    return (stamp[0], stamp[1], stamp[2], stamp[3], stamp[4], stamp[5])


class SnapshotDamaged(Exception):
    """The snapshot's files are not what this retrogen wrote."""


@dataclass
class Snapshot:
    """What a run took from the snapshot (or will write to it)."""

    records: dict[str, Record] = field(default_factory=dict)
    # each file's check before the findings across files, as the index keeps it (index.dumps): what those
    # are judged on
    facts: dict[str, bytes] = field(default_factory=dict)
    # the findings across files added last time, what they were judged on (see check._kept_across_files),
    # whether a file failed then (had an error), and each file's team then (of those whose facts have one)
    cross: tuple[Any, dict[str, list[Any]], bool, dict[str, str]] | None = None
    token: str = ""  # the base's: a delta follows one base
    in_delta: set[str] = field(default_factory=set)  # the paths whose record the delta holds
    gone: set[str] = field(default_factory=set)  # the paths the delta removes from the base
    # where the base's facts are: the base as it was opened (another run may replace the file) and its
    # section listing where each file's facts stand in it, read when first asked for
    base_facts: tuple[BinaryIO, tuple[int, int, int]] | None = None
    allowed: Set[tuple[str, str]] = frozenset()
    # the base's table (the memo it was read with, see _table) and where it stands, each records section's
    # place and paths, and how many records were pickled since the table was found (see _kept_sections)
    table: Any = None
    table_place: tuple[int, int, int] | None = None
    sections: dict[str, tuple[tuple[int, int, int], tuple[str, ...]]] = field(default_factory=dict)
    fresh: int = 0
    _base_places: dict[str, tuple[int, int, int]] | None = None

    def fact(self, path: str) -> bytes | None:
        """A file's facts (see `facts`), read from the base when not read this run or held by the delta;
        None when none are kept. Damage raises SnapshotDamaged."""
        found = self.facts.get(path)
        if found is not None or path in self.gone:
            return found
        place = self._places().get(path)
        if place is None or self.base_facts is None:
            return None
        handle = self.base_facts[0]
        offset, length, crc = place
        handle.seek(offset)
        blob = handle.read(length)
        if len(blob) != length or zlib.crc32(blob) != crc:
            raise SnapshotDamaged("a file's facts' length or sum differs")
        return blob

    def check_of(self, path: str) -> Any:
        """A file's kept check (see `facts`) unpickled, but for its path (None): only what the checks across
        files read of it is asked for, and making ten thousand Paths again took a third of the time."""
        blob = self.fact(path)
        return None if blob is None else PathlessUnpickler(io.BytesIO(blob), self.allowed).load()

    def kept_facts(self) -> Iterator[tuple[str, bytes]]:
        """Each file's facts, by path, in the order of `records`, read one at a time as a new base writes
        them: the whole knowledge base's at once were 20 MB of a fold's peak at 10,000 reviews (damage
        raises SnapshotDamaged)."""
        for path in self.records:
            blob = self.fact(path)
            if blob is not None:
                yield path, blob

    def _places(self) -> dict[str, tuple[int, int, int]]:
        if self._base_places is None:
            self._base_places = {}
            if self.base_facts is not None:
                places = _section(self.base_facts[0], self.base_facts[1], frozenset(), {})
                if not isinstance(places, dict):
                    raise SnapshotDamaged("facts of the wrong type")
                self._base_places = places
        return self._base_places

    def close(self) -> None:
        if self.base_facts is not None:
            self.base_facts[0].close()
            self.base_facts = None


def _known_path(text: str) -> Path:
    """A Path as the snapshot keeps it: its string (see _Unpickler.find_class)."""
    return Path(text)


def _reduce_path(path: PurePath) -> tuple[Any, tuple[str]]:
    return _known_path, (str(path),)


# How the snapshot pickles: as pickle does, but a Path by its string (copyreg's table is consulted by type in
# C, so only Paths cost a call of Python).
_DISPATCH: dict[type, Callable[[Any], Any]] = {**copyreg.dispatch_table}
_DISPATCH.update(dict.fromkeys((PurePosixPath, PureWindowsPath, PosixPath, WindowsPath), _reduce_path))


class _Unpickler(GuardedUnpickler):
    """Paths (a Review's) are kept as their strings and made again from those the run has made already:
    unpickling a Path parses it, which took a sixth of reading ten thousand reviews back."""

    def __init__(self, file: Any, allowed: Set[tuple[str, str]], paths: dict[str, Path]) -> None:
        super().__init__(file, allowed)
        # Not a method of the unpickler: its memo holds what find_class returns, and a bound method there
        # made a cycle that kept the memo (and every state dict it holds: 80 MB at 10,000 reviews) alive
        # once the collector was off (core/bulk.py).
        self.known_path = functools.partial(_path_among, paths)

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) == (__name__, _known_path.__name__):
            return self.known_path
        return super().find_class(module, name)


def _path_among(paths: dict[str, Path], text: Any) -> Path:
    """A Path kept as its string, the one already made for it when there is one."""
    if type(text) is not str:
        raise SnapshotDamaged("a path that is no string")
    return paths.get(text) or Path(text)


# A kept section is copied in pieces of this many bytes (see _copy).
_COPY_CHUNK = 1 << 20


def _copy(source: BinaryIO, place: tuple[int, int, int], target: BinaryIO) -> None:
    """A section of `source` written to `target` as it stands, a piece at a time, its sum checked on the way:
    a fold that held the old base's kept sections whole until it wrote them peaked 50 MB higher at 10,000
    reviews. Damage raises SnapshotDamaged, which abandons the new file."""
    offset, length, crc = place
    source.seek(offset)
    left, found = length, 0
    while left:
        piece = source.read(min(left, _COPY_CHUNK))
        if not piece:
            raise SnapshotDamaged("a section's length or sum differs")
        found = zlib.crc32(piece, found)
        target.write(piece)
        left -= len(piece)
    if found != crc:
        raise SnapshotDamaged("a section's length or sum differs")


def _bytes(handle: BinaryIO, place: tuple[int, int, int]) -> bytes:
    """A section's bytes, read in one go and their sum checked before any is unpickled."""
    offset, length, crc = place
    handle.seek(offset)
    blob = handle.read(length)
    if len(blob) != length or zlib.crc32(blob) != crc:
        raise SnapshotDamaged("a section's length or sum differs")
    return blob


def _section(
    handle: BinaryIO,
    place: tuple[int, int, int],
    allowed: Set[tuple[str, str]],
    paths: dict[str, Path],
    table: Any = None,
) -> Any:
    """A section as _write wrote it: two pickles (see _pickled), or with `table` (a base's records: the memo
    its table was read with, see _table) one that refers to the table's objects as that memo has them."""
    blob = _bytes(handle, place)
    stream = io.BytesIO(blob)
    unpickler = _Unpickler(stream, allowed, paths)
    if table is None:
        unpickler.load()  # what the value holds more than once: kept in the unpickler's memo for the value's load
    else:
        unpickler.memo = table
    value = unpickler.load()
    if stream.tell() != len(blob):
        raise SnapshotDamaged("a section longer than its pickles")
    return value


def _table(handle: BinaryIO, place: tuple[int, int, int], allowed: Set[tuple[str, str]], paths: dict[str, Path]) -> Any:
    """The memo that reading a base's table left (see _table_of): what its records sections are read with."""
    blob = _bytes(handle, place)
    stream = io.BytesIO(blob)
    unpickler = _Unpickler(stream, allowed, paths)
    if not isinstance(unpickler.load(), list) or stream.tell() != len(blob):
        raise SnapshotDamaged("a table of the wrong shape")
    # handed on as pickle's own proxy, which each section's unpickler copies: an unpickler's memo set from a
    # dict is left empty (Python 3.11)
    return unpickler.memo


class _Discard:
    def write(self, data: Any) -> int:
        return len(data)


# What the pickler writes in full wherever it stands, never remembered in its memo.
_ATOMS = (type(None), bool, int, float)
# What a sample's record may share with the others (see _table_of).
_NAMES = (str, date)


def _references(value: Any) -> list[Any]:
    """Every object that pickling `value` refers to, once for each reference."""
    seen: list[Any] = []
    counting = pickle.Pickler(_Discard(), pickle.HIGHEST_PROTOCOL)
    counting.dispatch_table = _DISPATCH
    # called on every reference the pickle makes, before its memo is looked at: a call of C that returns None
    # (not persistent); `seen` keeps each object alive, so that no two of them share an id
    counting.persistent_id = seen.append  # type: ignore[method-assign]
    counting.dump(value)
    return seen


def _reference_counts(value: Any) -> list[tuple[Any, int]]:
    """Each object that pickling `value` refers to, but for those written in full wherever they stand
    (_ATOMS), with how many times it does."""
    seen = _references(value)
    ids = list(map(id, seen))
    by_id = dict(zip(ids, seen, strict=True))
    del seen
    return [(by_id[key], count) for key, count in Counter(ids).items() if type(by_id[key]) not in _ATOMS]


def _held_more_than_once(value: Any) -> list[Any]:
    """The objects that pickling `value` refers to more than once, but for those written in full wherever
    they stand (_ATOMS)."""
    return [item for item, count in _reference_counts(value) if count > 1]


def _pickled(value: Any) -> bytes:
    """`value` as a section holds it: two pickles, the objects it holds more than once, then the value
    itself pickled with no memo, its references to those objects (remembered by the first) aside.

    A plain pickle remembers every object it makes, and the state pickle makes each of a review's parts from
    (a dict of its fields, in a tuple), until it is done; at 10,000 reviews that was two million entries,
    each made, remembered and then freed together at the end, for a hundred thousand objects that are
    referred to again (the field names, a team's name, a day). Reading a section without them took a third
    less time, and holds less at once."""
    shared = _held_more_than_once(value)
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.dump(shared)
    # No memo from here on: what was remembered above is still referred to (the pickler looks at its memo
    # before it writes an object), the rest is referred to once and written where it stands.
    pickler.fast = True
    pickler.dump(value)
    return stream.getvalue()


def _table_of(records: dict[str, Record]) -> list[Any]:
    """A base's table: the objects that one record in SAMPLE_EVERY, SAMPLE_CHUNK records at a time, refers
    to more than once (a field's name, a class, a status), and the names and days among them that something
    besides is holding (the other reviews of a team, an owner's other actions).

    Finding them in every record, as _pickled does, took three times as long as pickling the records (each
    of the millions of references counted): a sample finds the objects that many records share, which are
    what makes a section smaller and quicker to read, once for the whole base. One it misses is written
    again wherever it stands: records are values (strings, numbers, days, tuples, frozen dataclasses, a
    list of one file's findings), which no code tells apart by identity."""
    values = list(records.values())
    # drawn at random: the files of a knowledge base may follow a pattern that a stride would keep to
    sample = random.Random(len(values)).sample(values, -(-len(values) // SAMPLE_EVERY))
    table: dict[int, Any] = {}
    # a hundred records' references counted at once: a section's worth (five hundred) held some fifty MB at
    # once at 10,000 reviews, the first run's peak; what many records share is shared within a hundred too
    for start in range(0, len(sample), SAMPLE_CHUNK):
        for item, count in _reference_counts(sample[start : start + SAMPLE_CHUNK]):
            # referred to by its pair, `item` and getrefcount's argument: held by three more, it is a name or
            # a day that other records hold too (a text is held by its record and, in a run that read it, by
            # one more)
            if count > 1 or (type(item) in _NAMES and sys.getrefcount(item) > 5):
                table[id(item)] = item
    return list(table.values())


def _tabled(value: Any, table: Any) -> bytes:
    """`value` pickled with no memo but the one its base's table was pickled with (`table`, see _write):
    its references to the table's objects are to their places in that memo, which the reader's is too."""
    stream = io.BytesIO()
    pickler = pickle.Pickler(stream, pickle.HIGHEST_PROTOCOL)
    pickler.dispatch_table = _DISPATCH
    pickler.memo = table
    pickler.fast = True
    pickler.dump(value)
    return stream.getvalue()


def _read_file(
    path: Path, key: str, allowed: Set[tuple[str, str]], paths: dict[str, Path], *, lazy: bool = False
) -> tuple[dict[str, Any], dict[str, tuple[int, int, int]], BinaryIO | None] | None:
    """The trailer and the sections of one file; None when it is not there or was made for another key.
    `lazy`: the facts are left unread, and the file open to read them (the caller closes it)."""
    try:
        handle = open(path, "rb")  # noqa: SIM115 - closed here, or by the caller when lazy
    except FileNotFoundError:
        return None
    try:
        found = _read_open(handle, key, allowed, paths, lazy=lazy)
    except BaseException:
        handle.close()
        raise
    if found is None or not lazy:
        handle.close()
        return None if found is None else (*found, None)
    return (*found, handle)


def _read_open(
    handle: BinaryIO, key: str, allowed: Set[tuple[str, str]], paths: dict[str, Path], *, lazy: bool
) -> tuple[dict[str, Any], dict[str, tuple[int, int, int]]] | None:
    if handle.read(len(MAGIC)) != MAGIC:
        raise SnapshotDamaged("not a snapshot")
    end = handle.seek(0, os.SEEK_END)
    if end < len(MAGIC) + _TRAILER.size:
        raise SnapshotDamaged("truncated")
    handle.seek(end - _TRAILER.size)
    (size,) = _TRAILER.unpack(handle.read(_TRAILER.size))
    if size > end - len(MAGIC) - _TRAILER.size:
        raise SnapshotDamaged("truncated")
    handle.seek(end - _TRAILER.size - size)
    trailer = GuardedUnpickler(handle).load()  # plain values only: dicts, tuples, strings, numbers
    if not isinstance(trailer, dict) or not isinstance(trailer.get("sections"), dict):
        raise SnapshotDamaged("no trailer")
    if trailer.get("key") != key:
        return None
    places: dict[str, tuple[int, int, int]] = trailer["sections"]
    table = None if TABLE not in places else _table(handle, places[TABLE], allowed, paths)
    values = {
        name: _section(handle, place, allowed, paths, table if name.startswith("records") else None)
        for name, place in places.items()
        if name != TABLE and not (lazy and name == "facts")
    }
    if table is not None:
        values[TABLE] = table
    return {**trailer, **values}, places


def read_snapshot(folder: Path, key: str, allowed: Set[tuple[str, str]], paths: dict[str, Path]) -> Snapshot | None:
    """The snapshot kept in `folder` for `key`, the delta applied; None when there is none for this key.
    `paths`: the Paths made already, by their strings (see _Unpickler).
    SnapshotDamaged (or any error an unpickler raises) when it is damaged: the caller removes it."""
    base_path = folder / BASE_NAME
    found = _read_file(base_path, key, allowed, paths, lazy=True)
    if found is None:
        return None
    base, places, handle = found
    assert handle is not None  # read with lazy
    snapshot = Snapshot(allowed=allowed)
    try:
        records, token = base.get("records"), base.get("token")
        if not isinstance(records, dict) or not isinstance(token, str) or "facts" not in places:
            raise SnapshotDamaged("a base of the wrong shape")
        if TABLE in places:
            snapshot.table, snapshot.table_place, snapshot.fresh = base[TABLE], places[TABLE], base.get("fresh", 0)
            snapshot.sections = {
                name: (place, tuple(base[name])) for name, place in places.items() if name.startswith("records")
            }
        for name in places:
            if name.startswith("records."):
                more = base[name]
                if not isinstance(more, dict):
                    raise SnapshotDamaged("a base of the wrong shape")
                records.update(more)
        snapshot.records, snapshot.token, snapshot.cross = records, token, base.get("cross")
        snapshot.base_facts = (handle, places["facts"])
        _apply_delta(snapshot, folder, key, allowed, paths)
    except BaseException:
        handle.close()
        raise
    return snapshot


def _apply_delta(
    snapshot: Snapshot, folder: Path, key: str, allowed: Set[tuple[str, str]], paths: dict[str, Path]
) -> None:
    records, token = snapshot.records, snapshot.token
    delta = _read_file(folder / DELTA_NAME, key, allowed, paths)
    if delta is not None and delta[0].get("base") == token:  # another base's delta is stale: not used
        changed, facts, gone = delta[0]["records"], delta[0]["facts"], delta[0]["gone"]
        if not (isinstance(changed, dict) and isinstance(facts, dict) and isinstance(gone, set)):
            raise SnapshotDamaged("a delta of the wrong shape")
        for path in gone:
            records.pop(path, None)
        records.update(changed)
        snapshot.facts = facts
        snapshot.cross = delta[0]["cross"]
        snapshot.in_delta = set(changed)
        snapshot.gone = gone


def remove_snapshot(folder: Path) -> None:
    for name in (BASE_NAME, DELTA_NAME):
        with contextlib.suppress(OSError):
            (folder / name).unlink()


@dataclass(frozen=True)
class _Kept:
    """A section of the base being replaced, where it stands there: copied into the new one as it is."""

    handle: BinaryIO
    place: tuple[int, int, int]


def _write(
    path: Path,
    trailer: dict[str, Any],
    sections: dict[str, Any],
    blobs: Iterable[tuple[str, bytes]] | None = None,
    table: list[Any] | _Kept | None = None,
    memo: dict[int, tuple[int, Any]] | None = None,
) -> None:
    """One file of the snapshot: MAGIC, the sections pickled (or copied: _Kept), and the trailer. `blobs` (a
    base's facts, by path): each written as it is, as it comes, so that one can be read without the others,
    and where each stands as section "facts". `table` (a base's: see _table_of): written first, and the
    records sections refer to it (see _tabled); a _Kept table comes with the `memo` that pickling it made (by
    id: place and object)."""

    def write(handle: BinaryIO) -> None:
        handle.write(MAGIC)
        places = {}

        def put(name: str, blob: bytes) -> None:
            places[name] = (handle.tell(), len(blob), zlib.crc32(blob))
            handle.write(blob)

        def copy(name: str, kept: _Kept) -> None:
            places[name] = (handle.tell(), *kept.place[1:])
            _copy(kept.handle, kept.place, handle)

        def dump(name: str, value: Any) -> None:
            put(name, _pickled(value))

        pickler_memo: Any = memo
        if isinstance(table, _Kept):
            copy(TABLE, table)
        elif table is not None:  # pickled with a memo, which the records sections are then pickled with
            stream = io.BytesIO()
            pickler = pickle.Pickler(stream, pickle.HIGHEST_PROTOCOL)
            pickler.dispatch_table = _DISPATCH
            pickler.dump(table)
            put(TABLE, stream.getvalue())
            pickler_memo = pickler.memo
        for name, value in sections.items():
            if isinstance(value, _Kept):
                copy(name, value)
            elif pickler_memo is not None and name.startswith("records"):
                put(name, _tabled(value, pickler_memo))
            else:
                dump(name, value)
        if blobs is not None:
            stand = {}
            for name, blob in blobs:
                stand[name] = (handle.tell(), len(blob), zlib.crc32(blob))
                handle.write(blob)
            dump("facts", stand)
        end = pickle.dumps({**trailer, "sections": places}, pickle.HIGHEST_PROTOCOL)
        handle.write(end + _TRAILER.pack(len(end)))

    write_atomic_with(path, write)


def _record_sections(records: dict[str, Record]) -> dict[str, dict[str, Record]]:
    """The records as sections of RECORDS_PER_SECTION: "records", "records.1"…"""
    paths = list(records)
    chunks = [paths[start : start + RECORDS_PER_SECTION] for start in range(0, len(paths), RECORDS_PER_SECTION)]
    return {
        "records" if number == 0 else f"records.{number}": {path: records[path] for path in chunk}
        for number, chunk in enumerate(chunks or [[]])
    }


def _kept_sections(
    snapshot: Snapshot, in_delta: Set[str], removed: Set[str]
) -> tuple[dict[str, Any], _Kept, dict[int, tuple[int, Any]]] | None:
    """The records sections of a new base that keeps the old one's table: the old sections none of whose
    files changed or went, to be copied (_Kept); the others pickled again, against the old table, without
    those that went; the files the old base did not hold in new sections after them. None when the base is
    to be written whole: it has no table, or more than FRESH_SHARE of its records were pickled since its
    table was found (what they share and it does not hold is written where it stands)."""
    records, handle = snapshot.records, snapshot.base_facts
    fresh = snapshot.fresh + len(in_delta)
    if snapshot.table is None or snapshot.table_place is None or handle is None or fresh > FRESH_SHARE * len(records):
        return None
    touched = in_delta | removed
    sections: dict[str, Any] = {}
    placed: set[str] = set()
    for name, (place, paths) in snapshot.sections.items():
        placed.update(paths)
        if touched.isdisjoint(paths):
            sections[name] = _Kept(handle[0], place)
        elif any(path in records for path in paths) or name == "records":
            sections[name] = {path: records[path] for path in paths if path in records}
    new = [path for path in records if path not in placed]
    numbers = [int(name.partition(".")[2] or 0) for name in sections]
    start = max(numbers, default=-1) + 1
    for number, begin in enumerate(range(0, len(new), RECORDS_PER_SECTION), start):
        sections[f"records.{number}" if number else "records"] = {
            path: records[path] for path in new[begin : begin + RECORDS_PER_SECTION]
        }
    if "records" not in sections:
        sections = {"records": {}, **sections}
    return sections, _Kept(handle[0], snapshot.table_place), _pickling_memo(snapshot.table)


def _pickling_memo(table: Any) -> dict[int, tuple[int, Any]]:
    """A pickler's memo (by id: place and object) for the table whose reading left the memo `table`: beside
    each string read back the interpreter's own (the name of a field in a state dict is its class's: without
    it, each would be written again in full), and beside the path maker the function it stands for (see
    _Unpickler)."""
    memo = {}
    for place, item in table.copy().items():
        memo[id(item)] = (place, item)
        if type(item) is str:
            own = sys.intern(item)
            memo.setdefault(id(own), (place, own))
        elif isinstance(item, functools.partial) and item.func is _path_among:
            memo.setdefault(id(_known_path), (place, _known_path))
    return memo


def write_snapshot(folder: Path, key: str, snapshot: Snapshot, changed: Set[str], gone: Set[str]) -> None:
    """Keep `snapshot` (whose `records` are the knowledge base now): the `changed` and `gone` paths in the
    delta, or everything in a new base when there is none or the delta would grow too large. An error
    writing it leaves the files as they were (the next run reads what they hold, or reads afresh)."""
    in_delta = (snapshot.in_delta | changed) - gone
    removed = (snapshot.gone | gone) - in_delta
    limit = max(DELTA_MIN, int(DELTA_SHARE * len(snapshot.records)))
    try:
        if not snapshot.token or len(in_delta) + len(removed) > limit:
            token = os.urandom(8).hex()
            blobs = snapshot.kept_facts()
            kept = _kept_sections(snapshot, in_delta, removed)
            if kept is None:
                _write(
                    folder / BASE_NAME,
                    {"key": key, "token": token},
                    {**_record_sections(snapshot.records), "cross": snapshot.cross},
                    blobs,
                    _table_of(snapshot.records),
                )
            else:
                sections, table, memo = kept
                _write(
                    folder / BASE_NAME,
                    {"key": key, "token": token, "fresh": snapshot.fresh + len(in_delta)},
                    {**sections, "cross": snapshot.cross},
                    blobs,
                    table,
                    memo,
                )
            with contextlib.suppress(OSError):
                (folder / DELTA_NAME).unlink()
            return
        _write(
            folder / DELTA_NAME,
            {"key": key, "base": snapshot.token},
            {
                "records": {path: snapshot.records[path] for path in in_delta},
                "facts": {path: snapshot.facts[path] for path in in_delta if path in snapshot.facts},
                "gone": set(removed),
                "cross": snapshot.cross,
            },
        )
    except OSError:
        pass
