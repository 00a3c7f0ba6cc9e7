"""The related index's segmented terms, kept between runs in .retrogen/related.sqlite: jieba and the glossary
read a review again only when its words, the glossary or the code that reads them changed.

A review's entry is found by a key, the sha256 of everything its terms depend on: what the index reads of the
review (related.indexed_text), the glossary's entries, and the code (retrogen's version, the modules that
segment and match words, jieba's version). A review edited, a glossary or a retrogen changed is a new key, so
a stale entry can be missed but never used. Values are plain JSON (terms and counts), checked on reading: a
corrupt, truncated or foreign store is removed and rebuilt with a notice, and that run segments every review
afresh. Like the lasting index (gate/index.py) it is kept only where that may be kept (not with --no-cache or
RETROGEN_NO_CACHE, not in a read-only checkout), and a write another process holds is skipped, not waited for.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import sqlite3
import sys
from collections.abc import Sequence
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import retrogen
from retrogen.engine.model import Review
from retrogen.engine.related import ReviewTerms, indexed_text, review_terms
from retrogen.gate.glossary import Glossary
from retrogen.gate.index import _busy

STORE_NAME = "related.sqlite"
# The layout of the tables and of a value; a store of another format is rebuilt.
FORMAT = 1
# How long a write waits for another process's before it leaves the store as it is.
BUSY_MS = 200
_SELECT_CHUNK = 500
# The code a review's terms depend on: a change to any of these files is a new key for every review.
_CODE = ("engine/related.py", "engine/text.py", "gate/glossary.py", "gate/owners.py")

_TABLES = (
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS terms (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
)


@lru_cache(maxsize=1)
def code_key() -> bytes:
    """retrogen's version, the source of what segments and matches words, and jieba's version."""
    try:
        jieba = metadata.version("jieba")
    except metadata.PackageNotFoundError:  # pragma: no cover - a dependency
        jieba = "?"
    digest = hashlib.sha256(f"{FORMAT} {retrogen.__version__} {sys.version_info[:2]} {jieba}".encode())
    package = Path(retrogen.__file__).parent
    for name in _CODE:
        digest.update(name.encode("utf-8"))
        with contextlib.suppress(OSError):
            digest.update((package / name).read_bytes())
    return digest.digest()


@lru_cache(maxsize=8)  # a Glossary is hashed by identity: one per configuration read
def glossary_key(glossary: Glossary) -> bytes:
    """The glossary's entries in their order (a spelling two terms list belongs to the first)."""
    entries = [[term, list(others)] for term, others in glossary.entries.items()]
    return hashlib.sha256(json.dumps(entries, ensure_ascii=False).encode("utf-8")).digest()


def review_key(review: Review, glossary: Glossary) -> str:
    digest = hashlib.sha256(code_key() + glossary_key(glossary))
    digest.update(indexed_text(review).encode("utf-8"))
    return digest.hexdigest()


def _encode(terms: ReviewTerms) -> str:
    return json.dumps([terms.context, terms.head, list(terms.items)], ensure_ascii=False, separators=(",", ":"))


def _is_counts(value: Any) -> bool:
    return type(value) is dict and all(type(count) is int and count > 0 for count in value.values())


def _decode(value: str, items: int) -> ReviewTerms | None:
    """A stored value as the terms of a review of `items` problems and lessons; None if it is not one."""
    try:
        context, head, rows = json.loads(value)
    except (ValueError, TypeError):
        return None
    if type(rows) is not list or len(rows) != items or not all(map(_is_counts, [context, head, *rows])):
        return None
    return ReviewTerms(context, head, tuple(rows))


class StoreDamaged(Exception):
    """A store that cannot be read, or holds what this retrogen does not write."""


class TermStore:
    """One run's use of the store: the entries of the reviews read at once, the new ones written in one
    transaction (and those of reviews no longer there removed)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []

    @classmethod
    def open(cls, folder: Path | None) -> TermStore | None:
        """The store in `folder` (gate.index.lasting_folder: None where nothing may be kept), or None where
        it cannot be written."""
        if folder is None:
            return None
        store = cls(folder / STORE_NAME)
        return None if store.path.exists() and not os.access(store.path, os.W_OK) else store

    def terms(self, reviews: Sequence[Review], glossary: Glossary) -> list[ReviewTerms]:
        """Each review's terms, from the store where it has them, else segmented (and stored)."""
        keys = [review_key(review, glossary) for review in reviews]
        try:
            with self._connection() as connection:
                found = self._read(connection, keys)
                segmented: list[ReviewTerms] = []
                new: dict[str, ReviewTerms] = {}
                for review, key in zip(reviews, keys, strict=True):
                    terms = new.get(key)
                    if terms is None and key in found:
                        terms = _decode(found[key], len(review.problems) + len(review.lessons))
                        if terms is None:
                            raise StoreDamaged(f"the entry of {review.id} is not what this retrogen writes")
                    if terms is None:
                        terms = new[key] = review_terms(review, glossary)
                    segmented.append(terms)
                if new:
                    self._write(connection, new, keys)
                return segmented
        except sqlite3.OperationalError as exc:
            if not _busy(exc):
                self._damaged(exc)
            else:  # another process is making it: this run reads without it
                return [review_terms(review, glossary) for review in reviews]
        except (sqlite3.DatabaseError, StoreDamaged) as exc:
            self._damaged(exc)
        # Damaged: every review segmented afresh, and stored in a new store when it can be made
        segmented = [review_terms(review, glossary) for review in reviews]
        with contextlib.suppress(sqlite3.DatabaseError), self._connection() as connection:
            self._write(connection, dict(zip(keys, segmented, strict=True)), keys)
        return segmented

    @contextlib.contextmanager
    def _connection(self) -> Any:
        connection = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
        try:
            connection.execute("PRAGMA journal_mode=WAL")
            connection.execute("PRAGMA synchronous=NORMAL")
            for table in _TABLES:
                connection.execute(table)
            found = dict(connection.execute("SELECT key, value FROM meta").fetchall())
            if found.get("format") != str(FORMAT):
                if found:
                    self.notices.append(f"{self.path}: made by another version of retrogen; rebuilding it")
                connection.execute("DROP TABLE terms")
                connection.execute(_TABLES[1])
                connection.execute("INSERT OR REPLACE INTO meta VALUES ('format', ?)", (str(FORMAT),))
            yield connection
        finally:
            connection.close()

    @staticmethod
    def _read(connection: sqlite3.Connection, keys: Sequence[str]) -> dict[str, str]:
        found: dict[str, str] = {}
        for start in range(0, len(keys), _SELECT_CHUNK):
            chunk = keys[start : start + _SELECT_CHUNK]
            query = f"SELECT key, value FROM terms WHERE key IN ({','.join('?' * len(chunk))})"
            found.update(connection.execute(query, chunk).fetchall())
        return found

    @staticmethod
    def _write(connection: sqlite3.Connection, new: dict[str, ReviewTerms], keep: Sequence[str]) -> None:
        """Store `new` and forget the entries of reviews not among `keep`; skipped while another process
        writes (its entries are as good)."""
        try:
            connection.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if _busy(exc):
                return
            raise
        try:
            connection.executemany(
                "INSERT OR REPLACE INTO terms VALUES (?, ?)", [(key, _encode(terms)) for key, terms in new.items()]
            )
            connection.execute("CREATE TEMP TABLE IF NOT EXISTS kept (key TEXT PRIMARY KEY)")
            connection.execute("DELETE FROM kept")
            connection.executemany("INSERT OR IGNORE INTO kept VALUES (?)", ((key,) for key in keep))
            connection.execute("DELETE FROM terms WHERE key NOT IN (SELECT key FROM kept)")
            connection.execute("COMMIT")
        except sqlite3.DatabaseError:
            with contextlib.suppress(sqlite3.Error):
                connection.execute("ROLLBACK")
            raise

    def _damaged(self, problem: Exception) -> None:
        self.notices.append(f"{self.path}: unreadable ({problem}); rebuilding it")
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                Path(f"{self.path}{suffix}").unlink()
