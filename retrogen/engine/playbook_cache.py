"""The playbook kept between runs in .retrogen/: its merge in playbook-merge.npz (which practice each lesson
joins, used again while no lesson's text, themes or place in the merge order changed), and the document a
command last wrote in playbook-md.kept and playbook-docx.kept (used again while nothing it shows changed).

The merge (engine.playbook.assign_practices) compares every lesson with the statements before it, so its
answer depends on all lessons at once: the file holds one answer, kept by a key (sha256) of everything it
depends on: each lesson's key (lesson_keys: its review's digest, of all the playbook shows of the review,
and its place there) in merge order, the glossary, and the code that finds and compares the lessons' words.
An edit that the playbook does not show (an action's status, a metric) keeps the key. An edited, added or
removed lesson makes a new one (its review's other lessons new ones too); that run finds the merge from the
kept one (engine.playbook.reassign_practices), which the file holds with each lesson's key, terms and themes
(as numbers into two vocabularies), all valid while the glossary and that code are the same (its `base`
key): another glossary or retrogen merges afresh. The file holds plain arrays and JSON (numpy's npz, read
without pickle) and is checked on reading (a corrupt or foreign one is rebuilt with a notice) and replaced
in one step; it is kept only where the lasting index is (gate.index.lasting_folder).

The document is kept by a key (document_key) of all the playbook is made from: of each review, in the
knowledge base's order, what the practices, the sections and the themes' reach read (its id, title, team,
dates, period, tags and lessons), the actions the playbook tracks with their state and verdict as of today,
the settings, glossary, language and day, and every source and template of retrogen with the versions of
what renders and merges. An edit that shows nowhere in the playbook (a comment, a KPI, an action no lesson's
problem names) keeps it: neither merged, nor rendered, nor written again. Its header holds the key, size and
CRC of the document: a torn or foreign file is made again with a notice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import weakref
import zipfile
import zlib
from collections.abc import Callable, Sequence
from datetime import date
from functools import lru_cache
from importlib import metadata
from operator import attrgetter, is_
from pathlib import Path
from typing import Any, BinaryIO, cast

import numpy as np
import pandas as pd

import retrogen
from retrogen.core import digests
from retrogen.core.bulk import collector_paused
from retrogen.core.files import write_atomic_with
from retrogen.engine.model import Review
from retrogen.engine.playbook import LessonTerms, Merge, text_or_none
from retrogen.engine.related_cache import KEY_SIZE, StoreDamaged, code_key, glossary_key, kept_path
from retrogen.gate.glossary import Glossary

MERGE_NAME = "playbook-merge.npz"
FORMER_MERGE_NAME = "playbook-merge.json"  # the merge as retrogen kept it before its terms: removed when kept
# The layout of the file; one of another format is merged afresh.
FORMAT = 5
# The kept document of each format (playbook --format); its layout: a JSON header line, then the document.
DOCUMENT_NAMES = {"md": "playbook-md.kept", "docx": "playbook-docx.kept"}
DOCUMENT_FORMAT = 1
# What renders the document and merges its lessons besides retrogen: another version may write it otherwise.
_RENDERERS = ("jinja2", "markupsafe", "python-docx", "jieba")
# The practices' Markdown (PracticeStore) and its layout
PRACTICES_NAME = "playbook-practices.kept"
FORMER_PRACTICES_NAME = "playbook-practices.json"  # its former layout: removed when kept
PRACTICES_FORMAT = 2
_HEADER_LIMIT = 4096  # a header line is about 150 bytes: a file without one this soon is none of ours
_CHUNK = 1 << 20
_DIGEST_SIZE = 16  # core.digests.digest's


@lru_cache(maxsize=1)
def _merge_code() -> bytes:
    """The source of the merge itself (its thresholds, the terms it compares), beside related_cache.code_key."""
    digest = hashlib.sha256(code_key())
    with contextlib.suppress(OSError):
        digest.update((Path(__file__).parent / "playbook.py").read_bytes())
    return digest.digest()


def merge_key(lessons: Sequence[bytes], glossary: Glossary) -> str:
    """What the merge of lessons is kept by; `lessons`: their keys (lesson_keys) in engine.playbook.merge_order,
    made once for this key and for a merge from the earlier one."""
    digest = hashlib.sha256(_merge_code() + glossary_key(glossary))
    digest.update(b"".join(lessons))
    return digest.hexdigest()


def lesson_keys(reviewed: Any, reviews: Any, places: Any) -> list[bytes]:
    """Each lesson's key, in merge order, so that a later merge finds the lessons it shares with this one
    (engine.playbook.reassign_practices): its review's digest (`reviewed`: review_digests, of all the playbook
    shows of a review, its lessons' text and tags among it) and its place among that review's lessons;
    `reviews` and `places`: per lesson in merge order, its review's row in `reviewed` and its place. Made in C
    of the document key's digests, not a digest per lesson: another review's edit keeps them, an edit of its
    review changes them all (its lessons are chosen again, as new ones)."""
    blob = np.concatenate(
        [reviewed[reviews, : KEY_SIZE - 4], places.astype("<u4").view(np.uint8).reshape(-1, 4)], axis=1
    ).tobytes()
    return [blob[at : at + KEY_SIZE] for at in range(0, len(blob), KEY_SIZE)]


def _base_key(glossary: Glossary) -> str:
    """What every lesson's terms depend on: the merge's code and the glossary."""
    return hashlib.sha256(_merge_code() + glossary_key(glossary)).hexdigest()


class MergeStore:
    """One run's use of the kept merge: read once, written again when the lessons changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        self._arrays: dict[str, Any] | None = None

    @classmethod
    def open(cls, folder: Path | None) -> MergeStore | None:
        """The store in `folder`, or None where it cannot be kept (`kept_path`)."""
        path = kept_path(folder, MERGE_NAME)
        return None if path is None else cls(path)

    def assignment(self, key: str, lessons: int) -> list[int] | None:
        """The kept merge of `lessons` lessons when it was kept by `key`, else None."""
        arrays = self._read()
        if arrays.get("key") != key:
            return None  # another merge, retrogen or glossary: merged afresh, or from the earlier merge
        merge = self._merge(arrays)
        if merge is None or len(merge.assignment) != lessons:
            self._damaged("not what this retrogen writes")
            return None
        return merge.assignment

    def earlier(self, glossary: Glossary) -> Merge | None:
        """The kept merge (its lessons' keys, assignment and terms) when its lessons' terms were found with the
        same glossary and code, else None."""
        arrays = self._read()
        if arrays.get("base") != _base_key(glossary):
            return None
        merge = self._merge(arrays)
        if merge is None:
            self._damaged("not what this retrogen writes")
        return merge

    def keep(self, key: str, merge: Merge, glossary: Glossary) -> None:
        """Keep the merge, by `key`."""
        terms = merge.terms
        meta = {
            "format": FORMAT,
            "key": key,
            "base": _base_key(glossary),
            "vocabulary": terms.vocabulary,
            "themes": terms.themes,
        }
        arrays = {
            "meta": np.frombuffer(json.dumps(meta, ensure_ascii=False).encode("utf-8"), dtype=np.uint8),
            "keys": np.frombuffer(b"".join(merge.keys), dtype=np.uint8).reshape(-1, KEY_SIZE),
            "practices": np.asarray(merge.assignment, dtype=np.int32),
            "term_ends": terms.term_ends,
            "term_ids": terms.term_ids,
            "theme_ends": terms.theme_ends,
            "theme_ids": terms.theme_ids,
        }
        with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still answers
            write_atomic_with(self.path, lambda handle: np.savez(handle, **arrays))
            self.path.with_name(FORMER_MERGE_NAME).unlink(missing_ok=True)

    def _read(self) -> dict[str, Any]:
        """The file's meta (format, key, base, vocabularies) and `file` (its arrays, read when asked for), read
        once; {} when there is none, or none of this format."""
        if self._arrays is None:
            self._arrays = {}
            try:
                with open(self.path, "rb") as handle, np.load(handle, allow_pickle=False) as arrays:
                    meta = json.loads(arrays["meta"].tobytes())
                    if type(meta) is dict and meta.get("format") == FORMAT:
                        self._arrays = {**meta, "file": {name: arrays[name] for name in _MERGE_ARRAYS}}
            except FileNotFoundError:
                pass
            except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile) as exc:
                self._damaged(f"unreadable ({exc})")
        return self._arrays

    def _merge(self, document: dict[str, Any]) -> Merge | None:
        """The merge `document` holds, or None when it is not what this retrogen writes."""
        try:
            arrays = document["file"]
            keys, practices = arrays["keys"], arrays["practices"]
            vocabulary, themes = document["vocabulary"], document["themes"]
            _need(keys.dtype == np.uint8 and keys.ndim == 2 and keys.shape[1] == KEY_SIZE)
            _need(practices.dtype == np.int32 and practices.shape == (len(keys),))
            _need(_is_assignment(practices))
            for words, ends, ids in ((vocabulary, "term_ends", "term_ids"), (themes, "theme_ends", "theme_ids")):
                _need(type(words) is list and all(type(word) is str for word in words))
                _need(_is_sparse(arrays[ends], arrays[ids], len(keys), len(words)))
        except (StoreDamaged, KeyError, TypeError, AttributeError):
            return None
        blob = keys.tobytes()
        terms = LessonTerms(
            vocabulary, arrays["term_ends"], arrays["term_ids"], themes, arrays["theme_ends"], arrays["theme_ids"]
        )
        return Merge([blob[at : at + KEY_SIZE] for at in range(0, len(blob), KEY_SIZE)], practices.tolist(), terms)

    def _damaged(self, problem: str) -> None:
        self.notices.append(f"{self.path}: {problem}; rebuilding it")
        self._arrays = {}


def _need(condition: object) -> None:
    if not condition:
        raise StoreDamaged("not what this retrogen writes")


_MERGE_ARRAYS = ("keys", "practices", "term_ends", "term_ids", "theme_ends", "theme_ids")


def _is_assignment(practices: Any) -> bool:
    """A practice number per lesson, each an existing practice or the next one (engine.playbook.practices_of)."""
    started = np.maximum.accumulate(np.concatenate([[-1], practices]))[:-1] + 1  # practices before each lesson
    return bool(((practices >= 0) & (practices <= started)).all())


def _is_sparse(ends: Any, ids: Any, rows: int, words: int) -> bool:
    """Rows of ids as LessonTerms keeps them: `rows` rows of ids of `words` words."""
    return bool(
        ends.dtype == np.int64
        and ids.dtype == np.int32
        and ends.shape == (rows + 1,)
        and ids.ndim == 1
        and ends[0] == 0
        and ends[-1] == len(ids)
        and (np.diff(ends) >= 0).all()
        and (not len(ids) or (ids.min() >= 0 and ids.max() < words))
    )


@lru_cache(maxsize=1)
def _document_code() -> bytes:
    """Every source and template of retrogen (the words, the layout, the merge, the tables) and the versions of
    what renders and merges: any of them may change the document."""
    digest = hashlib.sha256(f"{DOCUMENT_FORMAT} {retrogen.__version__}".encode())
    digest.update(code_key())
    for name in _RENDERERS:
        with contextlib.suppress(metadata.PackageNotFoundError):
            digest.update(f"{name} {metadata.version(name)}".encode())
    package = Path(retrogen.__file__).parent
    for path in sorted(p for p in package.rglob("*") if p.suffix in (".py", ".j2")):
        digest.update(path.relative_to(package).as_posix().encode("utf-8"))
        with contextlib.suppress(OSError):
            digest.update(path.read_bytes())
    return digest.digest()


# What the playbook shows of a lesson
_LESSON_SHOWN = attrgetter("id", "type", "lesson", "applies_to", "tags", "problem")


def document_key(
    reviews: Sequence[Review],
    tracked: pd.DataFrame,
    settings: object,
    glossary: Glossary,
    today: date,
) -> str:
    """What the playbook document of `reviews` is kept by. `tracked`: the action table's rows the playbook
    reads (Analysis.actions_on_lessons); `settings`: the rest it depends on (its order, proven_min_verdicts,
    language and format), plain values, digested by their content alone (core.digests): a key can only miss."""
    digest = hashlib.sha256(_document_code() + glossary_key(glossary))
    digest.update(digests.digest((today.toordinal(), settings, _tracked_rows(tracked))))
    digest.update(review_digests(reviews, tracked).tobytes())  # in the knowledge base's order
    return digest.hexdigest()


def _tracked_rows(tracked: pd.DataFrame) -> list[tuple[str, str, str, str | None]]:
    """The action table's rows the playbook reads: each action's review, id, state and verdict."""
    columns = [tracked[name].tolist() for name in ("review", "id", "state", "verification")]
    return [(r, a, s, text_or_none(v)) for r, a, s, v in zip(*columns, strict=True)]


# The reviews review_digests last digested, the rows it was given (weak references: a long `serve` keeps no
# knowledge base alive for them) and their digests: the document key, the merge and the practices' keys of
# one run ask for them.
_digested: list[tuple[list[weakref.ref[Review]], weakref.ref[pd.DataFrame], Any]] = []


def review_digests(reviews: Sequence[Review], tracked: pd.DataFrame) -> Any:
    """Per review, 16 bytes (a numpy uint8 array, a row per review) of all the playbook shows of it: its id,
    title, team, dates, period, tags and lessons, and the actions of it that `tracked` has (the action table's
    rows the playbook reads). Reviews are frozen: the digests of the same review objects and rows, asked for
    again (by the merge's lesson keys and engine.playbook.practice_key_by_reviews after document_key), are
    those made before."""
    for before, rows, found in _digested:
        if (
            rows() is tracked
            and len(before) == len(reviews)
            and all(map(is_, map(weakref.ref.__call__, before), reviews))
        ):
            return found
    with collector_paused():  # 100,000 tuples and lists, no garbage: the collector's passes were a third more
        found = _review_digests(reviews, tracked)
    _digested[:] = [(list(map(weakref.ref, reviews)), weakref.ref(tracked), found)]
    return found


def _review_digests(reviews: Sequence[Review], tracked: pd.DataFrame) -> Any:
    actions = {(review, action) for review, action, _, _ in _tracked_rows(tracked)}
    tracking = {review for review, _ in actions}
    shown = [
        (
            r.id,
            r.title,
            r.team,
            r.held_on.toordinal(),
            r.period_start.toordinal() if r.period_start else None,
            r.period_end.toordinal() if r.period_end else None,
            r.tags,
            list(map(_LESSON_SHOWN, r.lessons)),
            [(a.id, a.action, a.owner, a.due.toordinal(), a.addresses) for a in r.actions if (r.id, a.id) in actions]
            if r.id in tracking
            else [],
        )
        for r in reviews
    ]
    return np.frombuffer(b"".join(digests.digests(shown)), dtype=np.uint8).reshape(-1, _DIGEST_SIZE)


class DocumentStore:
    """One run's use of the kept document of one format: read once, written again when it was made afresh."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        self.escapes = False  # whether the document opened holds an ESC byte (an ANSI escape's first)

    @classmethod
    def open(cls, folder: Path | None, fmt: str) -> DocumentStore | None:
        """The store of `fmt`'s document in `folder`, or None where it cannot be kept (`kept_path`)."""
        path = kept_path(folder, DOCUMENT_NAMES[fmt])
        return None if path is None else cls(path)

    def opened(self, key: str) -> BinaryIO | None:
        """The kept document when it was kept by `key`, checked whole and open at its first byte (read in
        chunks: a playbook of 10,000 reviews is 10 MB, printed without a copy in memory), else None."""
        try:
            handle = self.path.open("rb")
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.notices.append(f"{self.path}: unreadable ({exc}); rebuilding it")
            return None
        try:
            checked = self._checked(handle, key)
        except OSError as exc:
            self.notices.append(f"{self.path}: unreadable ({exc}); rebuilding it")
            checked = False
        if not checked:
            handle.close()
            return None
        return handle

    def _checked(self, handle: BinaryIO, key: str) -> bool:
        """Whether `handle` holds the document kept by `key`, whole; it is left at the document's first byte."""
        try:
            header = json.loads(handle.readline(_HEADER_LIMIT))
        except ValueError:
            header = None
        if type(header) is not dict:
            self.notices.append(f"{self.path}: not what this retrogen writes; rebuilding it")
            return False
        if header.get("format") != DOCUMENT_FORMAT or header.get("key") != key:
            return False  # another knowledge base's, day's or retrogen's document: simply made afresh
        start, size, crc = handle.tell(), 0, 0
        while chunk := handle.read(_CHUNK):
            size, crc = size + len(chunk), zlib.crc32(chunk, crc)
            self.escapes = self.escapes or b"\x1b" in chunk
        if header.get("size") != size or header.get("crc") != crc:
            self.notices.append(f"{self.path}: damaged; rebuilding it")
            return False
        handle.seek(start)
        return True

    def keep(self, key: str, document: bytes) -> None:
        header = {"format": DOCUMENT_FORMAT, "key": key, "size": len(document), "crc": zlib.crc32(document)}

        def write(handle: BinaryIO) -> None:
            handle.write(json.dumps(header).encode("utf-8") + b"\n")
            handle.write(document)

        with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still answers
            write_atomic_with(self.path, write)


class PracticeStore:
    """One run's use of the kept Markdown of each practice (playbook-practices.kept): a practice whose key
    (engine.playbook.practice_key: a digest of all its block shows) was rendered by the same retrogen is used
    again as it was, so a lesson's edit renders again only the practices it touched, not 10 MB of document.
    The file holds the blocks this run used, written again when one was rendered afresh or one went unused:
    a JSON header line (the format, the code, each block's key and size in bytes, and the CRC of what
    follows), then the blocks' UTF-8 one after the other, each decoded only when used."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []
        # the file's blocks: views of its bytes (read once, not copied: 10 MB at 10,000 reviews)
        self._kept: dict[str, memoryview] | None = None
        self._used: dict[str, str | memoryview] = {}  # what this run used: a block rendered, or one kept
        self._rendered = False

    @classmethod
    def open(cls, folder: Path | None) -> PracticeStore | None:
        """The store in `folder`, or None where it cannot be kept (`kept_path`)."""
        path = kept_path(folder, PRACTICES_NAME)
        return None if path is None else cls(path)

    def block(self, key: str, render: Callable[[], str]) -> str:
        """The practice's block kept by `key`, else `render()` (kept from now on)."""
        kept = self._read().get(key)
        if kept is not None:
            self._used[key] = kept
            return str(kept, "utf-8")  # checked by the file's CRC
        self._used[key], self._rendered = render(), True
        return cast(str, self._used[key])

    def keep(self) -> None:
        """Write the blocks this run used, where they are not what the file holds."""
        if not self._rendered and self._used.keys() == self._read().keys():
            return
        # the blocks kept written as they were read, those rendered encoded: no copy of the whole made
        blocks = [block.encode("utf-8") if isinstance(block, str) else block for block in self._used.values()]
        crc = 0
        for block in blocks:
            crc = zlib.crc32(block, crc)
        header = {
            "format": PRACTICES_FORMAT,
            "code": _document_code().hex(),
            "blocks": [[key, len(block)] for key, block in zip(self._used, blocks, strict=True)],
            "crc": crc,
        }

        def write(handle: BinaryIO) -> None:
            handle.write(json.dumps(header).encode("utf-8") + b"\n")
            for block in blocks:
                handle.write(block)

        with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still answers
            write_atomic_with(self.path, write)
            self.path.with_name(FORMER_PRACTICES_NAME).unlink(missing_ok=True)

    def _read(self) -> dict[str, memoryview]:
        """The file's blocks, read once; {} when there is none, or none of this format and code."""
        if self._kept is None:
            self._kept = {}
            try:
                content = self.path.read_bytes()
            except FileNotFoundError:
                return self._kept
            except OSError as exc:
                self.notices.append(f"{self.path}: unreadable ({exc}); rebuilding it")
                return self._kept
            end = content.find(b"\n")
            end = len(content) if end < 0 else end
            payload = memoryview(content)[end + 1 :]
            try:
                header = json.loads(content[:end])
            except ValueError as exc:
                self.notices.append(f"{self.path}: unreadable ({exc}); rebuilding it")
                return self._kept
            blocks = header.get("blocks") if type(header) is dict else None
            if not _are_blocks(blocks, len(payload)):
                self.notices.append(f"{self.path}: not what this retrogen writes; rebuilding it")
                return self._kept
            if header.get("format") != PRACTICES_FORMAT or header.get("code") != _document_code().hex():
                return self._kept  # another retrogen's: simply made afresh
            if header.get("crc") != zlib.crc32(payload):
                self.notices.append(f"{self.path}: damaged; rebuilding it")
                return self._kept
            start = 0
            for key, size in cast(list[tuple[str, int]], blocks):  # checked
                self._kept[key] = payload[start : start + size]
                start += size
        return self._kept


def _are_blocks(blocks: object, size: int) -> bool:
    """Whether `blocks` is a header's list of blocks (each a key and a size) of `size` bytes in all."""
    if type(blocks) is not list or not all(
        type(block) is list and len(block) == 2 and type(block[0]) is str and type(block[1]) is int and block[1] >= 0
        for block in blocks
    ):
        return False
    return bool(sum(block[1] for block in blocks) == size)
