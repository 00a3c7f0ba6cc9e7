"""The related index's term table, kept between runs in .retrogen/related.npz: jieba and the glossary read a
review again only when its words, the glossary or the code that reads them changed.

Each review's rows of the table are found by a key, the sha256 of everything its terms depend on: what the
index reads of the review (related.indexed_fields), the glossary's entries, and the code (retrogen's version,
the modules that segment and match words, jieba's version). A review edited, a glossary or a retrogen
changed is a new key, so a stale row can be missed but never used. The file holds plain arrays and JSON
(numpy's npz, read without pickle) and is checked on reading: a corrupt, truncated or foreign one is
rebuilt with a notice, and that run segments every review afresh. It is replaced in one step, so two runs at
once never tear it (the last one's stays). Like the lasting index (gate/index.py) it is kept only where that
may be kept: not with --no-cache or RETROGEN_NO_CACHE, not in a read-only checkout.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import itertools
import json
import os
import pickle
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

import retrogen
from retrogen.core.files import write_atomic
from retrogen.engine.model import Review
from retrogen.engine.related import TermTable, indexed_fields, review_terms
from retrogen.engine.text import text_words
from retrogen.gate.glossary import Glossary

STORE_NAME = "related.npz"
# The layout of the file; one of another format is rebuilt.
FORMAT = 1
# The code a review's terms depend on: a change to any of these files is a new key for every review.
_CODE = ("engine/related.py", "engine/text.py", "gate/glossary.py", "gate/owners.py")


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
    """What a review's rows are kept by. Pickled rather than written as JSON: a third of the time, and its
    bytes are as faithful (a string the loader shares between two fields may pickle otherwise than two equal
    ones would: a miss then, never a wrong match)."""
    digest = hashlib.sha256(code_key() + glossary_key(glossary))
    digest.update(pickle.dumps(indexed_fields(review), protocol=5))
    return digest.hexdigest()


class StoreDamaged(Exception):
    """A file that cannot be read, or holds what this retrogen does not write."""


@dataclass(frozen=True)
class _Kept:
    """The table as the last run left it: its reviews' keys and how many rows each has."""

    keys: list[str]
    rows: Any  # numpy int64, per review
    table: TermTable


_ARRAYS = ("data", "indices", "indptr", "rows", "meta")


def _need(condition: Any) -> None:
    if not condition:
        raise StoreDamaged("not what this retrogen writes")


def _checked(arrays: dict[str, Any]) -> _Kept:
    """The arrays of the file as a table, if they are one that this retrogen writes; else StoreDamaged."""
    from scipy.sparse import csr_matrix

    try:
        meta = json.loads(arrays["meta"].tobytes())
        if type(meta) is not dict or meta.get("format") != FORMAT:
            raise StoreDamaged("made by another version of retrogen")
        keys, vocabulary, heads = meta["keys"], meta["vocabulary"], meta["heads"]
        data, indices, indptr, rows = (arrays[name] for name in _ARRAYS[:4])
        texts = [keys, vocabulary, heads]
        _need(all(type(t) is list and all(type(item) is str for item in t) for t in texts))
        _need(len(heads) == len(keys) == len(rows))  # each head is checked when a query reads it
        _need(all(earlier < later for earlier, later in itertools.pairwise(vocabulary)))
        _need((data.dtype, indices.dtype, indptr.dtype, rows.dtype) == (np.int32, np.int32, np.int64, np.int64))
        _need(data.ndim == indices.ndim == indptr.ndim == rows.ndim == 1 and len(data) == len(indices))
        _need(len(indptr) == int(rows.sum()) + 1 and (rows >= 1).all() and (data >= 1).all())
        _need(indptr[0] == 0 and indptr[-1] == len(indices) and (np.diff(indptr) >= 0).all())
        _need(not len(indices) or (indices.min() >= 0 and indices.max() < len(vocabulary)))
        # each row's terms in increasing order, and every term of the vocabulary in some row
        starts = np.zeros(len(indices), dtype=bool)
        starts[indptr[:-1][indptr[:-1] < len(indices)]] = True
        _need((np.diff(indices)[~starts[1:]] > 0).all())
        _need((np.bincount(indices, minlength=len(vocabulary)) > 0).all())
    except StoreDamaged:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise StoreDamaged(f"not what this retrogen writes ({type(exc).__name__})") from None
    counts = csr_matrix((data, indices, indptr), shape=(len(indptr) - 1, len(vocabulary)))
    return _Kept(keys, rows, TermTable(vocabulary, counts, heads))


class TermStore:
    """One run's use of the kept table: read at once, written again (whole, in one step) when a review's
    terms changed."""

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

    def table(self, reviews: Sequence[Review], glossary: Glossary) -> TermTable:
        """The reviews' term table: the kept one, its rows of changed reviews made again, or made afresh."""
        keys = [review_key(review, glossary) for review in reviews]
        rows = np.array([1 + len(review.problems) + len(review.lessons) for review in reviews], dtype=np.int64)
        kept = self._read()
        if kept is not None and kept.keys == keys:
            if (kept.rows == rows).all():
                return kept.table
            self._damaged("its rows are not its reviews'")
            kept = None
        table = _patched(kept, reviews, keys, glossary)
        self._write(keys, rows, table)
        return table

    def _read(self) -> _Kept | None:
        try:
            with np.load(io.BytesIO(self.path.read_bytes()), allow_pickle=False) as arrays:
                return _checked({name: arrays[name] for name in _ARRAYS})
        except FileNotFoundError:
            return None
        except StoreDamaged as exc:
            self._damaged(str(exc))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            self._damaged(f"unreadable ({exc})")
        return None

    def _damaged(self, problem: str) -> None:
        self.notices.append(f"{self.path}: {problem}; rebuilding it")

    def _write(self, keys: list[str], rows: Any, table: TermTable) -> None:
        meta = {"format": FORMAT, "keys": keys, "vocabulary": table.vocabulary, "heads": table.heads}
        buffer = io.BytesIO()
        counts = table.counts
        np.savez(
            buffer,
            data=counts.data.astype(np.int32),
            indices=counts.indices.astype(np.int32),
            indptr=counts.indptr.astype(np.int64),
            rows=rows,
            meta=np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        )
        with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still answers
            write_atomic(self.path, buffer.getvalue())


def _patched(kept: _Kept | None, reviews: Sequence[Review], keys: list[str], glossary: Glossary) -> TermTable:
    """The table of `reviews`: the kept rows of the reviews whose keys it has, the others' made afresh."""
    from scipy.sparse import csr_matrix, vstack

    old = kept.table if kept is not None else TermTable([], csr_matrix((0, 0), dtype=np.int32), [])
    old_place = {key: index for index, key in enumerate(kept.keys)} if kept is not None else {}
    old_starts = np.cumsum(kept.rows) - kept.rows if kept is not None else np.zeros(0, dtype=np.int64)
    new_reviews = {key: review for key, review in zip(keys, reviews, strict=True) if key not in old_place}
    new = TermTable.of([review_terms(review, glossary) for review in new_reviews.values()])
    if not old_place and len(new_reviews) == len(keys):
        return new  # nothing kept, each review once: the fresh table is the table
    new_place = {key: index for index, key in enumerate(new_reviews)}
    new_sizes = np.array([1 + len(r.problems) + len(r.lessons) for r in new_reviews.values()], dtype=np.int64)
    new_starts = old.counts.shape[0] + np.cumsum(new_sizes) - new_sizes
    # Both tables' columns as columns of all their terms, sorted: a map that keeps each row's order
    terms = sorted(set(old.vocabulary).union(new.vocabulary))
    column = {term: index for index, term in enumerate(terms)}
    both = vstack(
        [
            csr_matrix(
                (part.counts.data, _mapped(part.counts.indices, part.vocabulary, column), part.counts.indptr),
                shape=(part.counts.shape[0], len(terms)),
            )
            for part in (old, new)
        ],
        format="csr",
    )
    spans = [
        (int(old_starts[old_place[key]]), int(kept.rows[old_place[key]]))  # type: ignore[union-attr]
        if key in old_place
        else (int(new_starts[new_place[key]]), int(new_sizes[new_place[key]]))
        for key in keys
    ]
    picked = both[np.concatenate([np.arange(start, start + size) for start, size in spans] or [np.zeros(0, int)])]
    # Terms only the reviews no longer there used go: a query that says one must not be weighed by it
    used = np.bincount(picked.indices, minlength=len(terms)) > 0
    renumbered = (np.cumsum(used) - 1)[picked.indices].astype(np.int32)
    counts = csr_matrix(
        (picked.data.astype(np.int32), renumbered, picked.indptr), shape=(picked.shape[0], int(used.sum()))
    )
    heads = [old.heads[old_place[key]] if key in old_place else new.heads[new_place[key]] for key in keys]
    return TermTable([terms[index] for index in np.flatnonzero(used)], counts, heads)


def _mapped(indices: Any, vocabulary: list[str], column: dict[str, int]) -> Any:
    return np.array([column[term] for term in vocabulary], dtype=np.int32)[indices] if len(vocabulary) else indices


WORDS_NAME = "lesson-words.json"


class WordStore:
    """Texts' words and glossary concepts (text.terms and Glossary.concepts: what the playbook compares
    lessons by), kept between runs in one JSON file by text, for one glossary and code. A file of another
    glossary or retrogen is simply not used (and replaced); one that is not what this retrogen writes is
    replaced with a notice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []

    @classmethod
    def open(cls, folder: Path | None) -> WordStore | None:
        """The store in `folder` (gate.index.lasting_folder), or None where it cannot be written."""
        if folder is None:
            return None
        store = cls(folder / WORDS_NAME)
        return None if store.path.exists() and not os.access(store.path, os.W_OK) else store

    def words(self, texts: Iterable[str], glossary: Glossary) -> dict[str, list[str]]:
        """Each text's words, from the file where it has them, else found (and kept)."""
        key = (code_key() + glossary_key(glossary)).hex()
        kept = self._read(key)
        found = {text: kept[text] if text in kept else text_words(text, glossary) for text in dict.fromkeys(texts)}
        if found.keys() != kept.keys():
            document = {"format": FORMAT, "key": key, "words": found}
            with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still answers
                write_atomic(self.path, json.dumps(document, ensure_ascii=False, separators=(",", ":")))
        return found

    def _read(self, key: str) -> dict[str, list[str]]:
        try:
            document = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            self.notices.append(f"{self.path}: unreadable ({exc}); rebuilding it")
            return {}
        words = document.get("words") if type(document) is dict else None
        if type(words) is not dict or not all(
            type(found) is list and all(type(word) is str for word in found) for found in words.values()
        ):
            self.notices.append(f"{self.path}: not what this retrogen writes; rebuilding it")
            return {}
        return words if document.get("key") == key and document.get("format") == FORMAT else {}
