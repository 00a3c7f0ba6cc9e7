"""The related index's term table, kept between runs in .retrogen/related.npz: jieba and the glossary read a
review again only when its words, the glossary or the code that reads them changed.

Each review's rows of the table are found by a key, a digest of what the index reads of the review
(related.indexed_fields); the file as a whole is kept for the glossary's entries and the code (retrogen's
version, the modules that segment and match words, jieba's code and dictionary). A review edited, a glossary or a
retrogen changed is a new key, so a stale row can be missed but never used. A run that read reviews again
writes their rows to a delta file beside the table (related-delta.npz), not the whole table again; the delta
is folded into a new table when it grows. The files hold plain arrays and JSON (numpy's npz, read without
pickle) and are checked on reading: a corrupt, truncated or foreign one is rebuilt with a notice, and the
reviews it held are segmented afresh. Each is replaced in one step, so two runs at once never tear it, and
a review's rows are the same in whichever file holds them. Like the lasting index (gate/index.py) they are kept
only where that may be kept: not with --no-cache or RETROGEN_NO_CACHE, not in a read-only checkout.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import os
import sys
import zipfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

import retrogen
from retrogen.core.digests import digests
from retrogen.core.files import write_atomic, write_atomic_with
from retrogen.engine.model import Review
from retrogen.engine.related import Heads, Rows, TermTable, indexed_fields, review_terms, spans
from retrogen.engine.segmenter import jieba_key
from retrogen.engine.text import text_words
from retrogen.gate.glossary import Glossary

STORE_NAME = "related.npz"
DELTA_NAME = "related-delta.npz"
# The layout of the files; one of another format is rebuilt.
FORMAT = 2
KEY_SIZE = 16  # bytes of a review's key (core.digests)
# The delta is folded into a new base when it holds more reviews (with the base's reviews no longer there)
# than this share of the knowledge base, as the snapshot's is (gate/snapshot.py).
DELTA_SHARE = 0.05
DELTA_MIN = 50
# The code a review's terms depend on: a change to any of these files is a new key for every review.
_CODE = ("engine/related.py", "engine/text.py", "engine/segmenter.py", "gate/glossary.py", "gate/owners.py")


@lru_cache(maxsize=1)
def code_key() -> bytes:
    """retrogen's version, the source of what segments and matches words, and jieba (segmenter.jieba_key)."""
    digest = hashlib.sha256(f"{FORMAT} {retrogen.__version__} {sys.version_info[:2]}".encode())
    digest.update(jieba_key())
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


def review_keys(reviews: Iterable[Review]) -> list[bytes]:
    """What each review's rows are kept by: a digest of what the index reads of it (related.indexed_fields),
    by content alone (core.digests: a review read back from the snapshot keys as one read afresh)."""
    return digests(map(indexed_fields, reviews))


def setting_key(glossary: Glossary) -> str:
    """What every review's rows depend on besides the review: the code and the glossary. A file of another
    is not used."""
    return (code_key() + glossary_key(glossary)).hex()


def delta_fits(apart: int, entries: int) -> bool:
    """Whether a delta that keeps `apart` entries from the base (its own, and the base's no longer there) is
    small enough beside `entries` in all, or is folded into a new base."""
    return apart <= max(DELTA_MIN, int(DELTA_SHARE * entries))


def kept_path(folder: Path | None, name: str) -> Path | None:
    """Where a store keeps its file `name` in `folder` (gate.index.lasting_folder: None where nothing may be
    kept), or None where that file cannot be written."""
    if folder is None:
        return None
    path = folder / name
    return None if path.exists() and not os.access(path, os.W_OK) else path


class StoreDamaged(Exception):
    """A file that cannot be read, or holds what this retrogen does not write."""


@dataclass(frozen=True)
class _Part:
    """Reviews' rows as one file keeps them: each review's key and number of rows (its context's, then one
    per problem and lesson), and their table."""

    keys: list[bytes]
    rows: Any  # numpy int64, per review
    table: TermTable

    @classmethod
    def of(cls, reviews: Sequence[Review], keys: list[bytes], glossary: Glossary) -> _Part:
        table = TermTable.of(review_terms(review, glossary) for review in reviews)
        return cls(keys, _sizes(reviews), table)


def _sizes(reviews: Sequence[Review]) -> Any:
    return np.array([1 + len(review.problems) + len(review.lessons) for review in reviews], dtype=np.int64)


_ARRAYS = ("data", "indices", "indptr", "rows", "keys", "heads", "head_ends", "meta")


def _need(condition: Any) -> None:
    if not condition:
        raise StoreDamaged("not what this retrogen writes")


def _checked(arrays: Any, setting: str) -> _Part | None:
    """The arrays of a file as reviews' rows, if they are what this retrogen writes (else StoreDamaged); None
    when they were made for another glossary or code."""
    try:
        meta = json.loads(arrays["meta"].tobytes())
        if type(meta) is not dict or meta.get("format") != FORMAT:
            raise StoreDamaged("made by another version of retrogen")
        if meta.get("key") != setting:
            return None
        vocabulary = meta["vocabulary"]
        data, indices, indptr, rows, keys, heads, ends = (arrays[name] for name in _ARRAYS[:7])
        _need(type(vocabulary) is list and all(type(term) is str for term in vocabulary))
        _need(all(earlier < later for earlier, later in itertools.pairwise(vocabulary)))
        _need((data.dtype, indices.dtype, indptr.dtype, rows.dtype) == (np.int32, np.int32, np.int64, np.int64))
        _need((keys.dtype, heads.dtype, ends.dtype) == (np.uint8, np.uint8, np.int64))
        _need(data.ndim == indices.ndim == indptr.ndim == rows.ndim == heads.ndim == ends.ndim == 1)
        _need(keys.shape == (len(rows), KEY_SIZE) and len(ends) == len(rows) and len(data) == len(indices))
        _need(len(indptr) == int(rows.sum()) + 1 and (rows >= 1).all() and (data >= 1).all())
        _need(indptr[0] == 0 and indptr[-1] == len(indices) and (np.diff(indptr) >= 0).all())
        # each row's terms in increasing order (a step down only where a row ends), every term of the
        # vocabulary in some row and none beyond it (bincount refuses a negative one)
        steps = np.diff(indices)
        ends_of_rows = indptr[1:-1] - 1
        steps[ends_of_rows[(ends_of_rows >= 0) & (ends_of_rows < len(steps))]] = 1
        _need((steps > 0).all())
        used = np.bincount(indices, minlength=len(vocabulary))
        _need(len(used) == len(vocabulary) and (used > 0).all())
        # each head's place in their text (a head itself is checked when a query reads it)
        text = heads.tobytes().decode("utf-8")
        _need((np.diff(ends) >= 0).all() and (not len(ends) or (ends[0] >= 0 and ends[-1] == len(text))))
        blob = keys.tobytes()
    except StoreDamaged:
        raise
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        raise StoreDamaged(f"not what this retrogen writes ({type(exc).__name__})") from None
    counts = Rows(data, indices, indptr, len(vocabulary))
    starts_of_heads = np.concatenate([np.zeros(min(1, len(ends)), dtype=np.int64), ends[:-1]])
    table = TermTable(vocabulary, counts, Heads(text, starts_of_heads, ends))
    return _Part([blob[at : at + KEY_SIZE] for at in range(0, len(blob), KEY_SIZE)], rows, table)


class TermStore:
    """One run's use of the kept table: the reviews' rows kept in a base file (related.npz) and, for the
    reviews read since it was written, a delta file beside it (a few kilobytes instead of the whole table
    written again at each edit); the delta is folded into a new base when it grows."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.delta_path = path.with_name(DELTA_NAME)
        self.notices: list[str] = []

    @classmethod
    def open(cls, folder: Path | None) -> TermStore | None:
        """The store in `folder`, or None where it cannot be kept (`kept_path`)."""
        path = kept_path(folder, STORE_NAME)
        return None if path is None else cls(path)

    def table(self, reviews: Sequence[Review], glossary: Glossary) -> TermTable:
        """The reviews' term table: their kept rows, the rows of reviews not kept made (and kept)."""
        setting = setting_key(glossary)
        keys = review_keys(reviews)
        sizes = _sizes(reviews)
        base = self._read(self.path, setting)
        delta = self._read(self.delta_path, setting) if base is not None else None
        damaged = bool(self.notices)
        if base is not None and delta is None and base.keys == keys and np.array_equal(base.rows, sizes):
            if damaged:
                _remove(self.delta_path)
            return base.table
        parts, sources, missing = _gathered(
            [part for part in (base, delta) if part is not None], reviews, keys, glossary
        )
        if not np.array_equal(_rows_of(parts, sources), sizes):
            self._damaged(self.path, "its rows are not its reviews'")
            base = None
            parts, sources, missing = _gathered([], reviews, keys, glossary)
        # every review segmented now, in order: their part is the table
        table = parts[-1].table if missing and len(missing) == len(keys) else _picked(parts, sources)
        if base is None:
            self._write(self.path, keys, sizes, table, setting)
            _remove(self.delta_path)
        elif missing or damaged:
            self._keep(keys, sizes, table, sources, setting, len(base.keys))
        return table

    def _keep(self, keys: list[bytes], sizes: Any, table: TermTable, sources: Any, setting: str, kept: int) -> None:
        """Keep the table: the rows not taken from the base (`sources` says where each review's came from)
        in the delta, or all of them in a new base when the delta would grow too large (with the `kept`
        reviews of the base that no review is now)."""
        in_delta = np.flatnonzero(sources[:, 0] != 0)
        stale = kept - len(np.unique(sources[sources[:, 0] == 0, 1]))
        if delta_fits(len(in_delta) + stale, len(keys)):
            delta = _picked([_Part(keys, sizes, table)], np.column_stack([np.zeros_like(in_delta), in_delta]))
            self._write(self.delta_path, [keys[at] for at in in_delta], sizes[in_delta], delta, setting)
        else:
            self._write(self.path, keys, sizes, table, setting)
            _remove(self.delta_path)

    def _read(self, path: Path, setting: str) -> _Part | None:
        try:
            with open(path, "rb") as handle, np.load(handle, allow_pickle=False) as arrays:
                return _checked(arrays, setting)
        except FileNotFoundError:
            return None
        except StoreDamaged as exc:
            self._damaged(path, str(exc))
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
            self._damaged(path, f"unreadable ({exc})")
        return None

    def _damaged(self, path: Path, problem: str) -> None:
        self.notices.append(f"{path}: {problem}; rebuilding it")

    def _write(self, path: Path, keys: list[bytes], rows: Any, table: TermTable, setting: str) -> None:
        meta = {"format": FORMAT, "key": setting, "vocabulary": table.vocabulary}
        counts, heads = table.counts, Heads.of(list(table.heads))
        arrays = {
            "data": counts.data.astype(np.int32),
            "indices": counts.indices.astype(np.int32),
            "indptr": counts.indptr.astype(np.int64),
            "rows": np.asarray(rows, dtype=np.int64),
            "keys": np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(-1, KEY_SIZE),
            "heads": np.frombuffer(heads.text.encode("utf-8"), dtype=np.uint8),
            "head_ends": np.asarray(heads.ends, dtype=np.int64),
            "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
        }
        with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still answers
            write_atomic_with(path, lambda handle: np.savez(handle, **arrays))


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):
        path.unlink()


def _gathered(
    parts: list[_Part], reviews: Sequence[Review], keys: list[bytes], glossary: Glossary
) -> tuple[list[_Part], Any, list[int]]:
    """The kept `parts` and a part of the reviews none of them has (segmented now); per review where its rows
    are (its part's number, its place there); the reviews that were segmented."""
    place: dict[bytes, tuple[int, int]] = {}
    for number, part in enumerate(parts):
        for index, key in enumerate(part.keys):
            place.setdefault(key, (number, index))
    missing = [position for position, key in enumerate(keys) if key not in place]
    if missing:
        added = _Part.of([reviews[at] for at in missing], [keys[at] for at in missing], glossary)
        place.update((key, (len(parts), index)) for index, key in enumerate(added.keys))
        parts = [*parts, added]
    return parts, np.array([place[key] for key in keys], dtype=np.int64).reshape(-1, 2), missing


def _rows_of(parts: Sequence[_Part], sources: Any) -> Any:
    """How many rows each review has in the part its rows are taken from."""
    found = np.zeros(len(sources), dtype=np.int64)
    for number, part in enumerate(parts):
        taken = sources[:, 0] == number
        found[taken] = part.rows[sources[taken, 1]]
    return found


def _picked(parts: Sequence[_Part], sources: Any) -> TermTable:
    """The table of the reviews whose rows `sources` names (per review: its part's number in `parts`, and its
    place there), its vocabulary the terms they use: the very table made afresh from those reviews. Copied
    in runs of reviews that follow each other in a part (the kept table's, but for the reviews edited): no
    second copy of the whole table is made on the way."""
    if not parts:  # no review
        return TermTable.of([])
    terms = parts[0].table.vocabulary
    known = set(terms)
    extra = {term for part in parts[1:] for term in part.table.vocabulary if term not in known}
    if extra:
        terms = sorted(known | extra)
    column = {term: index for index, term in enumerate(terms)}
    part_of, place = sources[:, 0], sources[:, 1]
    rows = _rows_of(parts, sources)
    first_entry, last_entry = np.zeros(len(sources), dtype=np.int64), np.zeros(len(sources), dtype=np.int64)
    lengths = np.zeros(int(rows.sum()), dtype=np.int64)  # each picked row's number of terms
    head_starts, head_ends = np.zeros(len(sources), dtype=np.int64), np.zeros(len(sources), dtype=np.int64)
    out_rows = np.cumsum(rows) - rows  # each review's first row in the table
    text_offset = 0
    for number, part in enumerate(parts):
        taken = np.flatnonzero(part_of == number)
        first_row = (np.cumsum(part.rows) - part.rows)[place[taken]]
        indptr = part.table.counts.indptr
        first_entry[taken] = indptr[first_row]
        last_entry[taken] = indptr[first_row + rows[taken]]
        lengths[spans(out_rows[taken], rows[taken])] = np.diff(indptr)[spans(first_row, rows[taken])]
        head_starts[taken] = part.table.heads.starts[place[taken]] + text_offset
        head_ends[taken] = part.table.heads.ends[place[taken]] + text_offset
        text_offset += len(part.table.heads.text)
    # runs: reviews whose entries follow the previous review's in the same part
    breaks = np.flatnonzero((part_of[1:] != part_of[:-1]) | (first_entry[1:] != last_entry[:-1])) + 1
    run_starts = np.concatenate([np.zeros(min(1, len(sources)), dtype=np.int64), breaks])
    run_ends = np.append(breaks, len(sources))[: len(run_starts)]
    mapped = [
        part.table.counts.indices
        if part.table.vocabulary == terms
        else _mapped(part.table.counts.indices, part.table.vocabulary, column)
        for part in parts
    ]
    data, indices = [np.zeros(0, dtype=np.int32)], [np.zeros(0, dtype=np.int32)]
    for start, end in zip(run_starts.tolist(), run_ends.tolist(), strict=True):
        number, low, high = int(part_of[start]), int(first_entry[start]), int(last_entry[end - 1])
        data.append(parts[number].table.counts.data[low:high])
        indices.append(mapped[number][low:high])
    picked_indices = np.concatenate(indices).astype(np.int32, copy=False)
    # Terms only reviews not picked use go: a query that says one must not be weighed by it
    used = np.bincount(picked_indices, minlength=len(terms)) > 0
    if not used.all():
        picked_indices = (np.cumsum(used) - 1).astype(np.int32)[picked_indices]
        terms = [terms[index] for index in np.flatnonzero(used)]
    indptr = np.concatenate([np.zeros(1, dtype=np.int64), np.cumsum(lengths)])
    counts = Rows(np.concatenate(data).astype(np.int32, copy=False), picked_indices, indptr, len(terms))
    texts = "".join(part.table.heads.text for part in parts)
    return TermTable(terms, counts, Heads(texts, head_starts, head_ends))


def _mapped(indices: Any, vocabulary: list[str], column: dict[str, int]) -> Any:
    return np.array([column[term] for term in vocabulary], dtype=np.int32)[indices] if len(vocabulary) else indices


WORDS_NAME = "lesson-words.json"
WORDS_DELTA_NAME = "lesson-words-delta.json"


class WordStore:
    """Texts' words and glossary concepts (text.terms and Glossary.concepts: what the playbook compares
    lessons by), kept between runs in one JSON file by text, for one glossary and code. Texts found since it
    was written go to a small delta file beside it (not the whole file, 10 MB at 10,000 reviews, written again
    at each edit), folded into it when it grows, as related.npz's delta is. A text's words depend on the text,
    the glossary and the code alone (the key both files hold), so either file of the same key may answer for
    any text. A file of another glossary or retrogen is simply not used (and replaced); one that is not what
    this retrogen writes is replaced with a notice."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.delta_path = path.with_name(WORDS_DELTA_NAME)
        self.notices: list[str] = []

    @classmethod
    def open(cls, folder: Path | None) -> WordStore | None:
        """The store in `folder` (gate.index.lasting_folder), or None where it cannot be written."""
        if folder is None:
            return None
        store = cls(folder / WORDS_NAME)
        writable = all(not path.exists() or os.access(path, os.W_OK) for path in (store.path, store.delta_path))
        return store if writable else None

    def words(self, texts: Iterable[str], glossary: Glossary) -> dict[str, list[str]]:
        """Each text's words, from the files where they have them, else found (and kept)."""
        key = (code_key() + glossary_key(glossary)).hex()
        notices = len(self.notices)
        base = self._read(self.path, key)
        delta = self._read(self.delta_path, key) if base else {}
        found: dict[str, list[str]] = {}
        fresh = 0
        for text in dict.fromkeys(texts):
            kept = base.get(text)
            if kept is None:
                kept = delta.get(text)
            if kept is None:
                kept, fresh = text_words(text, glossary), fresh + 1
            found[text] = kept
        in_delta = {text: words for text, words in found.items() if text not in base}
        stale = sum(text not in found for text in base)  # texts of the base no lesson has now
        small = bool(base) and delta_fits(len(in_delta) + stale, len(found))
        if not fresh and small and in_delta.keys() == delta.keys() and len(self.notices) == notices:
            return found  # the files hold what they would be written with (and neither is damaged)
        with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still answers
            if small:
                _write_words(self.delta_path, key, in_delta)
            else:
                _write_words(self.path, key, found)
                _remove(self.delta_path)
        return found

    def _read(self, path: Path, key: str) -> dict[str, list[str]]:
        try:
            document = json.loads(path.read_bytes())
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            self.notices.append(f"{path}: unreadable ({exc}); rebuilding it")
            return {}
        words = document.get("words") if type(document) is dict else None
        # Types checked in C (set of map): 700,000 words at 10,000 reviews
        if type(words) is not dict or not (
            set(map(type, words.values())) <= {list}
            and set(map(type, itertools.chain.from_iterable(words.values()))) <= {str}
        ):
            self.notices.append(f"{path}: not what this retrogen writes; rebuilding it")
            return {}
        return words if document.get("key") == key and document.get("format") == FORMAT else {}


def _write_words(path: Path, key: str, words: dict[str, list[str]]) -> None:
    document = {"format": FORMAT, "key": key, "words": words}
    write_atomic(path, json.dumps(document, ensure_ascii=False, separators=(",", ":")))
