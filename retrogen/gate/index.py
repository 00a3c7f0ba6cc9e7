"""The index that lasts between runs: each review's check and data, kept in SQLite under .retrogen/ so that
a run re-reads only the files that changed.

An entry is used only when everything its result depends on is the same: the file's content (sha256 of the
bytes that were parsed; its size, mtime, ctime and inode only spare re-reading a file that has not been
touched), the name it is shown by, the check's settings (with the month of today: a check that depends on the
day says on which days it stands, check.FileResult.days), and retrogen's own code and
schema. Anything else is a miss, read as if there were no index. The index is a cache: a corrupt,
truncated or foreign one is removed and rebuilt with a notice; one that cannot be written (a read-only
checkout) is not used; a write another process holds is skipped rather than waited for.

For the check of a few files (pre-commit) it also keeps what the checks across reviews read of the others,
whatever the settings: each review's head (gate/heads.py) with one listing per reviews folder (every file's
stat and path, and how often the heads write each tag), and each review's closed-loop facts with the stamp of
its bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import pickle
import sqlite3
import sys
import time
from array import array
from collections.abc import Callable, Iterable, Sequence, Set
from dataclasses import dataclass, fields, is_dataclass
from datetime import date
from pathlib import Path
from typing import Any, NamedTuple

import retrogen
from retrogen.core.files import cache_off
from retrogen.gate.schema import schema_path

INDEX_FOLDER = ".retrogen"
INDEX_NAME = "index.sqlite"
# The layout of the tables and of the entries; an index of another format is rebuilt.
FORMAT = 2
# A file changed this close to the moment it was read may change again within the file system's clock
# tick without its stat changing (git's "racy" entries): such an entry is trusted only after its bytes are
# hashed again.
RACY_NS = 2_000_000_000
# How long a write waits for another process's before it leaves the index as it is.
BUSY_MS = 200
_SELECT_CHUNK = 500

# What an entry may hold: unpickling anything else (an index planted in a checkout) is refused.
_ALLOWED = {
    ("datetime", "date"),
    ("pathlib", "PosixPath"),
    ("pathlib", "WindowsPath"),
    ("retrogen.core.periods", "Period"),
    ("retrogen.core.status", "Status"),
    ("retrogen.gate.check", "FileResult"),
    ("retrogen.gate.check", "TagUse"),
    ("retrogen.gate.findings", "Finding"),
    ("retrogen.gate.findings", "Severity"),
    ("retrogen.gate.loader", "Position"),
    ("retrogen.gate.loop_checks", "ActionFacts"),
    ("retrogen.gate.loop_checks", "MetricFacts"),
    ("retrogen.gate.loop_checks", "ProblemFacts"),
    ("retrogen.gate.loop_checks", "ReviewFacts"),
}


class IndexBusy(Exception):
    """The index could not be read to the end this run (busy or damaged): the caller reads without it."""


class IndexFormatError(Exception):
    """An entry that is not what this retrogen writes."""


class GuardedUnpickler(pickle.Unpickler):
    """An unpickler that makes nothing but the classes allowed (by default what an index entry may hold):
    a planted file cannot run code."""

    def __init__(self, file: Any, allowed: Set[tuple[str, str]] = frozenset()) -> None:
        super().__init__(file)
        self.allowed = allowed

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED and (module, name) not in self.allowed:
            raise IndexFormatError(f"an entry holds {module}.{name}")
        return super().find_class(module, name)


def _no_path(*parts: str) -> None:
    return None


class PathlessUnpickler(GuardedUnpickler):
    """A GuardedUnpickler that makes every Path None: for a check whose path the caller sets (making ten
    thousand Paths again took a sixth of loading their checks)."""

    def find_class(self, module: str, name: str) -> Any:
        if module == "pathlib" and name in ("PosixPath", "WindowsPath"):
            return _no_path
        return super().find_class(module, name)


def dumps(value: Any) -> bytes:
    """A file's check or data as an entry holds it."""
    return pickle.dumps(value, pickle.HIGHEST_PROTOCOL)


def guarded_loads(blob: bytes, allowed: Set[tuple[str, str]] = frozenset()) -> Any:
    """`blob` unpickled by a GuardedUnpickler."""
    return GuardedUnpickler(io.BytesIO(blob), allowed).load()


def lasting_folder(root: Path, *, avoid: Path | None = None) -> Path | None:
    """The folder of what lasts between runs of the knowledge base at `root` (created if need be), or None
    where nothing may be kept: turned off by RETROGEN_NO_CACHE, a folder that cannot be written (a read-only
    checkout), or `avoid` (the generated pages' folder, which a build replaces whole) around it."""
    if cache_off():  # RETROGEN_NO_CACHE (CI runs on fresh checkouts anyway)
        return None
    folder = root / INDEX_FOLDER
    if avoid is not None and folder.resolve().is_relative_to(avoid.resolve()):
        return None
    try:
        folder.mkdir(exist_ok=True)
    except OSError:
        return None
    return folder if os.access(folder, os.W_OK) else None


class Stamp(NamedTuple):
    """What identifies the bytes a result was read from."""

    size: int
    mtime_ns: int
    ctime_ns: int
    inode: int
    sha256: bytes
    read_ns: int  # when the bytes were read (taken before reading)


def stat_of(path: Path) -> os.stat_result | None:
    try:
        return os.stat(path)
    except OSError:
        return None


def stamp_of(status: os.stat_result, raw: bytes, read_ns: int) -> Stamp:
    return Stamp(
        status.st_size, status.st_mtime_ns, status.st_ctime_ns, status.st_ino, hashlib.sha256(raw).digest(), read_ns
    )


def _canonical(value: Any) -> Any:
    """A value as plain, ordered data: the same settings give the same key in every process."""
    if is_dataclass(value) and not isinstance(value, type):
        return [type(value).__name__, *([f.name, _canonical(getattr(value, f.name))] for f in fields(value))]
    if isinstance(value, dict):
        return sorted([repr(k), _canonical(v)] for k, v in value.items())
    if isinstance(value, set | frozenset):
        return sorted(repr(_canonical(item)) for item in value)
    if isinstance(value, list | tuple):
        return [_canonical(item) for item in value]
    if isinstance(value, Path | date):
        return str(value)
    return repr(value)


def settings_key(options: Any) -> str:
    """The check's settings as one key (a CheckOptions: a dataclass of plain values)."""
    return hashlib.sha256(repr(_canonical(options)).encode("utf-8")).hexdigest()


def code_key() -> str:
    """retrogen's version, its gate's code and the schema: a change to any of them can change a result."""
    digest = hashlib.sha256(f"{FORMAT} {retrogen.__version__} {sys.version_info[:2]}".encode())
    gate = Path(__file__).parent
    for source in [*sorted(gate.glob("*.py")), *sorted((gate.parent / "core").glob("*.py")), schema_path()]:
        digest.update(source.name.encode("utf-8"))
        with contextlib.suppress(OSError):
            digest.update(source.read_bytes())
    return digest.hexdigest()


@dataclass
class Entry:
    display: str
    stamp: Stamp
    result: bytes  # the file's FileResult, see dumps
    data: bytes  # its data (empty when not asked for)

    def fresh(self, status: os.stat_result) -> bool | None:
        """True: the file is untouched since it was read; False: it changed; None: only its bytes can tell."""
        return fresh(self.stamp, status)


def fresh(stamp: Stamp | tuple[int, int, int, int, bytes, int], status: os.stat_result) -> bool | None:
    """Whether a file's `status` says it is untouched since `stamp` was taken: True; False: it changed;
    None: only its bytes can tell (touched, or changed within the clock tick it was read in)."""
    if status.st_size != stamp[0]:
        return False
    same = status.st_mtime_ns == stamp[1] and status.st_ctime_ns == stamp[2] and status.st_ino == stamp[3]
    return True if same and status.st_ctime_ns < stamp[5] - RACY_NS else None


# A file as a listing knows it: its size, mtime, ctime and inode; a head read from it stands while they do.
ListedStamp = tuple[int, int, int, int]


class Listing(NamedTuple):
    """What the index keeps of a reviews folder for the one-file check (gate/heads.py): the stat of each file
    whose head it holds, by path, how often those heads write each tag, and a generation that each write
    moves on, so that a write made from an older listing is not kept."""

    folder: str
    files: dict[str, ListedStamp]
    tags: dict[str, int]
    generation: int


class KeptHead(NamedTuple):
    """A review's head as the index keeps it (see gate/heads.py)."""

    file: str
    review_id: str | None
    team: str | None
    tags: str  # one per line

    def tag_tuple(self) -> tuple[str, ...]:
        return tuple(self.tags.split("\n")) if self.tags else ()


class KeptFacts(NamedTuple):
    """What the checks across reviews read of a file (see check.facts_of_file), kept with its bytes' stamp."""

    display: str
    limit: int  # the size limit it was read with: a file over it has no facts
    stamp: Stamp
    facts: bytes  # pickled ReviewFacts, or None for a file that does not load

    def fresh(self, status: os.stat_result) -> bool | None:
        return Entry("", self.stamp, b"", b"").fresh(status)


_META = "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
_REVIEWS = """CREATE TABLE IF NOT EXISTS reviews (
    path TEXT PRIMARY KEY, display TEXT NOT NULL, settings TEXT NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    sha256 BLOB NOT NULL, read_ns INTEGER NOT NULL, result BLOB NOT NULL, data BLOB NOT NULL
)"""


# The heads and facts of the reviews around a checked file (gate/heads.py): kept whatever the check's
# settings, since neither depends on them (facts only on the size limit, kept with them).
_HEADS = """CREATE TABLE heads (
    folder TEXT NOT NULL, path TEXT NOT NULL, review_id TEXT, team TEXT, team_key TEXT, tags TEXT NOT NULL,
    PRIMARY KEY (folder, path)
)"""
# A listing's files: their paths joined by NUL, and their stats as four int64 each, in the same order: read
# back in a few milliseconds at ten thousand files, where a row or a string key per file took several times that.
_LISTINGS = """CREATE TABLE listings (
    folder TEXT PRIMARY KEY, paths BLOB NOT NULL, stats BLOB NOT NULL, tags TEXT NOT NULL,
    generation INTEGER NOT NULL
)"""
_FACTS = """CREATE TABLE facts (
    path TEXT PRIMARY KEY, display TEXT NOT NULL, size_limit INTEGER NOT NULL,
    size INTEGER NOT NULL, mtime_ns INTEGER NOT NULL, ctime_ns INTEGER NOT NULL, inode INTEGER NOT NULL,
    sha256 BLOB NOT NULL, read_ns INTEGER NOT NULL, facts BLOB NOT NULL
)"""
_HEADS_CODE = "heads_code"


class ReviewIndex:
    """One run's use of the index: entries read at the start, the new ones written in a transaction per `store`
    (a first run stores a thousand files at a time, each entry valid on its own)."""

    def __init__(self, path: Path, settings: str) -> None:
        self.path = path
        self.settings = settings
        self.notices: list[str] = []
        self._connection: sqlite3.Connection | None = None
        self.broken = False  # damage was found this run: nothing more is read from it or written to it
        self._side_ready = False  # the heads and facts tables are checked (see _side_tables)
        self.code = ""  # code_key() of this run, once connected

    @classmethod
    def open(cls, root: Path, settings: str, *, avoid: Path | None = None) -> ReviewIndex | None:
        """The index of the knowledge base at `root`, or None where it cannot be kept: turned off by
        RETROGEN_NO_CACHE, a folder that cannot be written (a read-only checkout), or `avoid` (the generated
        pages' folder, which a build replaces whole) around it."""
        folder = lasting_folder(root, avoid=avoid)
        index = cls((folder or root) / INDEX_NAME, settings)
        if folder is None or (index.path.exists() and not os.access(index.path, os.W_OK)):
            return None
        index._connect()
        return index  # without a connection when it could not be rebuilt: its notices still say why

    def _connect(self, *, again: bool = True) -> bool:
        try:
            connection = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        except sqlite3.Error:
            return False
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            connection.execute(_META)
            found = dict(connection.execute("SELECT key, value FROM meta").fetchall())
            code = self.code = code_key()
            if found.get("code") != code:
                if found:
                    self.notices.append(f"{self.path}: made by another version of retrogen; rebuilding it")
                connection.execute("BEGIN IMMEDIATE")
                connection.execute("DROP TABLE IF EXISTS reviews")  # its columns may differ too
                connection.execute(_REVIEWS)
                connection.execute("INSERT OR REPLACE INTO meta VALUES ('code', ?)", (code,))
                connection.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            connection.close()
            if _busy(exc):
                return False  # another process is rebuilding it: this run reads without it
            return self._rebuild(exc) if again else False
        except sqlite3.DatabaseError as exc:
            connection.close()
            return self._rebuild(exc) if again else False
        self._connection = connection
        return True

    def _rebuild(self, problem: Exception) -> bool:
        self.notices.append(f"{self.path}: unreadable ({problem}); rebuilding it")
        self._remove()
        return self._connect(again=False)

    def _remove(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.close()
            self._connection = None
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(f"{self.path}{suffix}").unlink()

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def entries(self, paths: Sequence[Path], *, with_data: bool = True) -> dict[str, Entry]:
        """The stored entries of `paths` made with this run's settings, by absolute path; their data only
        `with_data` (`check` needs none)."""
        if self._connection is None:
            return {}
        keys = [os.path.abspath(path) for path in paths]
        found: dict[str, Entry] = {}
        try:
            for start in range(0, len(keys), _SELECT_CHUNK):
                chunk = keys[start : start + _SELECT_CHUNK]
                rows = self._connection.execute(
                    "SELECT path, display, size, mtime_ns, ctime_ns, inode, sha256, read_ns, result, "
                    "CASE WHEN ? THEN data ELSE X'' END FROM reviews "
                    f"WHERE settings = ? AND path IN ({','.join('?' * len(chunk))})",
                    (with_data, self.settings, *chunk),
                ).fetchall()
                for path, display, *stamp, result, data in rows:
                    found[path] = Entry(display, Stamp(*stamp), result, data)
        except sqlite3.DatabaseError as exc:
            self._broken(exc)
            return {}
        return found

    def load(self, blob: bytes, *, pathless: bool = False) -> Any:
        """An entry's result or data (`pathless`: its Paths None, see PathlessUnpickler); None (and the index
        rebuilt) when it cannot be read back."""
        if self.broken:
            return None
        try:
            return PathlessUnpickler(io.BytesIO(blob)).load() if pathless else guarded_loads(blob)
        except Exception as exc:  # any damage to an entry (whatever unpickling raises) is a miss and a rebuild
            self._broken(exc)
            return None

    def _broken(self, problem: Exception) -> None:
        """Damage found while reading: this run reads without the index, and the next one starts afresh."""
        if not self.broken:
            self.broken = True
            self.notices.append(f"{self.path}: unreadable ({problem}); rebuilding it")
            self._remove()

    def store(
        self,
        items: Iterable[tuple[Path, str, Stamp, bytes, bytes]],
        restamped: Iterable[tuple[Path, Stamp]] = (),
        *,
        keep: Sequence[Path] | None = None,
    ) -> None:
        """Write new entries (path, display, stamp, result and data: see `dumps`) and the new stamps of files
        whose bytes are unchanged, in one transaction; with `keep` (a read of the whole knowledge base),
        entries of files no longer there go. Skipped if another process is writing."""
        if self._connection is None:
            return
        rows = [
            (os.path.abspath(path), display, self.settings, *stamp, result, data)
            for path, display, stamp, result, data in items
        ]
        try:
            self._connection.execute("BEGIN IMMEDIATE")
            self._connection.executemany("INSERT OR REPLACE INTO reviews VALUES (?,?,?,?,?,?,?,?,?,?,?)", rows)
            self._connection.executemany(
                "UPDATE reviews SET size = ?, mtime_ns = ?, ctime_ns = ?, inode = ?, sha256 = ?, read_ns = ? "
                "WHERE path = ?",
                [(*stamp, os.path.abspath(path)) for path, stamp in restamped],
            )
            if keep is not None:
                self._connection.execute("CREATE TEMP TABLE IF NOT EXISTS kept (path TEXT PRIMARY KEY)")
                self._connection.execute("DELETE FROM kept")
                self._connection.executemany(
                    "INSERT OR IGNORE INTO kept VALUES (?)", ((os.path.abspath(p),) for p in keep)
                )
                self._connection.execute("DELETE FROM reviews WHERE path NOT IN (SELECT path FROM kept)")
            self._connection.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            with contextlib.suppress(sqlite3.Error):
                self._connection.execute("ROLLBACK")
            if not _busy(exc):
                self._broken(exc)
        except sqlite3.DatabaseError as exc:
            self._broken(exc)

    # The heads and facts tables: the one-file check's view of the rest of the knowledge base.

    def _side_tables(self) -> sqlite3.Connection | None:
        """The connection, once the heads and facts tables are there and were made by this retrogen (they
        are dropped with the reviews' entries when another version's index is rebuilt); None when they
        cannot be used this run."""
        connection = self._connection
        if connection is None or self.broken:
            return None
        if self._side_ready:
            return connection
        try:
            found = dict(connection.execute("SELECT key, value FROM meta").fetchall())
        except sqlite3.DatabaseError as exc:
            self._broken(exc)
            return None

        def create(connection: sqlite3.Connection) -> None:
            made = connection.execute("SELECT value FROM meta WHERE key = ?", (_HEADS_CODE,)).fetchone()
            if made is not None and made[0] == found.get("code"):
                return  # another run made them meanwhile: theirs stand
            for table, statement in (("heads", _HEADS), ("listings", _LISTINGS), ("facts", _FACTS)):
                connection.execute(f"DROP TABLE IF EXISTS {table}")
                connection.execute(statement)
            # what `candidates` looks heads up by, without reading ten thousand rows
            connection.execute("CREATE INDEX heads_by_team ON heads (folder, team_key)")
            connection.execute("CREATE INDEX heads_by_id ON heads (folder, review_id)")
            connection.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (_HEADS_CODE, found.get("code")))

        if found.get(_HEADS_CODE) != found.get("code") and not self._transaction(connection, create):
            return None
        self._side_ready = True
        return self._connection

    def read_listing(self, folder: str) -> Listing | None:
        """The listing kept for `folder` (an absolute path; empty when none is), read in a transaction that
        `heads_of` and `candidates` read in too, until `end_read`: what they return agrees with it, whatever
        another process writes meanwhile. None when the index cannot be used this run."""
        connection = self._side_tables()
        if connection is None:
            return None
        try:
            connection.execute("BEGIN")
            row = connection.execute(
                "SELECT paths, stats, tags, generation FROM listings WHERE folder = ?", (folder,)
            ).fetchone()
            if row is None:
                return Listing(folder, {}, {}, 0)
            paths, stats, tags, generation = row
            text = bytes(paths).decode("utf-8", errors="surrogateescape")
            numbers = array("q", bytes(stats))
            four = [iter(numbers)] * 4
            files = dict(zip(text.split("\0") if text else [], zip(*four, strict=True), strict=True))
            return Listing(folder, files, json.loads(tags), generation)
        except sqlite3.OperationalError as exc:
            self.end_read()
            if not _busy(exc):
                self._broken(exc)
            return None  # busy: another process holds it (rare in WAL mode); this run reads without it
        except (sqlite3.DatabaseError, ValueError) as exc:  # ValueError: damaged JSON, paths and stats apart
            self._broken(exc)
            return None

    def heads_of(self, folder: str, paths: Sequence[str]) -> list[KeptHead]:
        """The kept heads of `paths` below `folder` (within the listing's transaction)."""
        return self._heads_where(folder, "path IN", paths)

    def candidates(self, folder: str, ids: Sequence[str], teams: Sequence[str]) -> list[KeptHead]:
        """The kept heads below `folder` of no readable team, of a team in `teams` (stripped) or with a review
        id in `ids`, each once (within the listing's transaction)."""
        found = {
            head.file: head
            for head in [
                *self._heads_where(folder, "team_key IS NULL", ()),
                *self._heads_where(folder, "team_key IN", teams),
                *self._heads_where(folder, "review_id IN", ids),
            ]
        }
        return list(found.values())

    def _heads_where(self, folder: str, condition: str, values: Sequence[str]) -> list[KeptHead]:
        """The kept heads below `folder` that meet `condition`, which ends in IN when it takes `values`."""
        connection = self._connection
        if condition.endswith(" IN") and not values:
            return []
        if connection is None or self.broken:
            raise IndexBusy("the index went during this run")
        chunks = [list(values[i : i + _SELECT_CHUNK]) for i in range(0, len(values), _SELECT_CHUNK)] or [[]]
        found: list[KeptHead] = []
        try:
            for chunk in chunks:
                marks = f" ({','.join('?' * len(chunk))})" if chunk else ""
                rows = connection.execute(
                    f"SELECT path, review_id, team, tags FROM heads WHERE folder = ? AND {condition}{marks}",
                    (folder, *chunk),
                ).fetchall()
                found += [KeptHead(*row) for row in rows]
        except sqlite3.DatabaseError as exc:
            if not (isinstance(exc, sqlite3.OperationalError) and _busy(exc)):
                self._broken(exc)
            raise IndexBusy from exc  # an answer from part of the heads would be wrong: none is given
        return found

    def end_read(self) -> None:
        if self._connection is not None:
            with contextlib.suppress(sqlite3.Error):
                self._connection.execute("COMMIT")

    def store_listing(
        self,
        listing: Listing,
        files: dict[str, ListedStamp],
        tags: dict[str, int],
        gone: Sequence[str],
        new: Sequence[Any],
    ) -> None:
        """Keep the folder's new listing: its files' stats and tag counts, the heads `new` read this run (Heads,
        see gate/heads.py) and none of the files `gone` (paths); not when another run wrote since `listing`."""
        rows = [
            (listing.folder, head.file, head.review_id, head.team, None if head.team is None else head.team.strip(),
             "\n".join(head.tags))
            for head in new
        ]  # fmt: skip
        paths = "\0".join(files).encode("utf-8", errors="surrogateescape")
        stats = array("q", [number for stamp in files.values() for number in stamp]).tobytes()

        def write(connection: sqlite3.Connection) -> None:
            found = connection.execute("SELECT generation FROM listings WHERE folder = ?", (listing.folder,)).fetchone()
            if (found[0] if found else 0) != listing.generation:
                connection.execute("ROLLBACK")  # another run kept a newer listing: this one is stale
                return
            connection.executemany(
                "DELETE FROM heads WHERE folder = ? AND path = ?", ((listing.folder, path) for path in gone)
            )
            connection.executemany("INSERT OR REPLACE INTO heads VALUES (?, ?, ?, ?, ?, ?)", rows)
            connection.execute(
                "INSERT OR REPLACE INTO listings VALUES (?, ?, ?, ?, ?)",
                (listing.folder, paths, stats, json.dumps(tags, ensure_ascii=False), listing.generation + 1),
            )

        self._write_side(write)

    def stored_facts(self, paths: Sequence[str]) -> dict[str, KeptFacts]:
        """The kept facts of `paths` (absolute), by path."""
        connection = self._side_tables()
        if connection is None:
            return {}
        found: dict[str, KeptFacts] = {}
        try:
            for start in range(0, len(paths), _SELECT_CHUNK):
                chunk = paths[start : start + _SELECT_CHUNK]
                rows = connection.execute(
                    "SELECT path, display, size_limit, size, mtime_ns, ctime_ns, inode, sha256, read_ns, facts "
                    f"FROM facts WHERE path IN ({','.join('?' * len(chunk))})",
                    chunk,
                ).fetchall()
                for path, display, limit, *stamp, facts in rows:
                    found[path] = KeptFacts(display, limit, Stamp(*stamp), facts)
        except sqlite3.DatabaseError as exc:
            self._broken(exc)
            return {}
        return found

    def store_facts(self, items: Iterable[tuple[str, KeptFacts]]) -> None:
        """Keep the facts read (or found unchanged and stamped again) this run, by absolute path."""
        rows = [(path, kept.display, kept.limit, *kept.stamp, kept.facts) for path, kept in items if storable(path)]
        if rows:
            self._write_side(
                lambda connection: connection.executemany(
                    "INSERT OR REPLACE INTO facts VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", rows
                )
            )

    def _write_side(self, write: Callable[[sqlite3.Connection], object]) -> None:
        """`write` to the heads, listings and facts tables in one transaction (which it may roll back);
        skipped if another process is writing."""
        connection = self._side_tables()
        if connection is not None:
            self._transaction(connection, write)

    def _transaction(self, connection: sqlite3.Connection, write: Callable[[sqlite3.Connection], object]) -> bool:
        """`write` in one transaction, committed unless it rolled back itself; False when another process
        was writing (nothing done) or the index is damaged (rebuilt by the next run)."""
        try:
            connection.execute("BEGIN IMMEDIATE")
            write(connection)
            if connection.in_transaction:
                connection.execute("COMMIT")
        except sqlite3.OperationalError as exc:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            if not _busy(exc):
                self._broken(exc)
            return False
        except sqlite3.DatabaseError as exc:
            self._broken(exc)
            return False
        return True


def settled(status: os.stat_result, read_ns: int) -> bool:
    """Whether a file read at `read_ns` had last changed at least a clock tick before: if it changes again,
    its stat will show it (see RACY_NS)."""
    return status.st_ctime_ns < read_ns - RACY_NS


def storable(path: str) -> bool:
    """Whether a path can be kept: one whose name is not UTF-8 (read with surrogates) is read every time."""
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _busy(exc: sqlite3.OperationalError) -> bool:
    return getattr(exc, "sqlite_errorcode", None) in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED) or "locked" in str(
        exc
    )


def now_ns() -> int:
    return time.time_ns()
