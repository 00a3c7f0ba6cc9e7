"""The playbook's merge kept between runs in .retrogen/playbook-merge.json: which practice each lesson joins,
used again while no lesson's text, themes or place in the merge order changed.

The merge (engine.playbook.assign_practices) compares every lesson with the statements before it, so its
answer depends on all lessons at once: the file holds one answer, kept by a key (sha256) of everything it
depends on: each lesson's text and tags in merge order, the glossary, and the code that finds and compares
the lessons' words. An edit elsewhere in a review (an action's status, a metric) keeps the key; an edited,
added or removed lesson makes a new one, and that run merges afresh. The file is checked on reading (a
corrupt or foreign one is rebuilt with a notice) and replaced in one step; it is kept only where the lasting
index is (gate.index.lasting_folder).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from retrogen.core.files import write_atomic
from retrogen.engine.playbook import Source
from retrogen.engine.related_cache import code_key, glossary_key
from retrogen.gate.glossary import Glossary

MERGE_NAME = "playbook-merge.json"
# The layout of the file; one of another format is merged afresh.
FORMAT = 1


@lru_cache(maxsize=1)
def _merge_code() -> bytes:
    """The source of the merge itself (its thresholds, the terms it compares), beside related_cache.code_key."""
    digest = hashlib.sha256(code_key())
    with contextlib.suppress(OSError):
        digest.update((Path(__file__).parent / "playbook.py").read_bytes())
    return digest.digest()


def merge_key(ordered: Sequence[Source], glossary: Glossary) -> str:
    """What the merge of `ordered` (lessons in engine.playbook.merge_order) is kept by."""
    digest = hashlib.sha256(_merge_code() + glossary_key(glossary))
    lessons = [s.lesson for s in ordered]
    digest.update(json.dumps([lesson.lesson for lesson in lessons], ensure_ascii=False).encode("utf-8"))
    digest.update(json.dumps([lesson.tags for lesson in lessons], ensure_ascii=False).encode("utf-8"))
    return digest.hexdigest()


class MergeStore:
    """One run's use of the kept merge: read once, written again when the lessons changed."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.notices: list[str] = []

    @classmethod
    def open(cls, folder: Path | None) -> MergeStore | None:
        """The store in `folder` (gate.index.lasting_folder: None where nothing may be kept), or None where it
        cannot be written."""
        if folder is None:
            return None
        store = cls(folder / MERGE_NAME)
        return None if store.path.exists() and not os.access(store.path, os.W_OK) else store

    def assignment(self, key: str, lessons: int) -> list[int] | None:
        """The kept merge of `lessons` lessons when it was kept by `key`, else None."""
        try:
            document = json.loads(self.path.read_bytes())
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            self.notices.append(f"{self.path}: unreadable ({exc}); rebuilding it")
            return None
        if type(document) is not dict or document.get("format") != FORMAT or document.get("key") != key:
            return None  # another merge, retrogen or glossary: simply merged afresh
        kept = document.get("practices")
        if not _is_assignment(kept, lessons):
            self.notices.append(f"{self.path}: not what this retrogen writes; rebuilding it")
            return None
        return kept  # checked: a list of practice numbers

    def keep(self, key: str, assignment: list[int]) -> None:
        document = {"format": FORMAT, "key": key, "practices": assignment}
        with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still answers
            write_atomic(self.path, json.dumps(document, separators=(",", ":")))


def _is_assignment(kept: object, lessons: int) -> bool:
    """A practice number per lesson, each an existing practice or the next one (engine.playbook.practices_of)."""
    if type(kept) is not list or len(kept) != lessons:
        return False
    started = 0
    for number in kept:
        if type(number) is not int or not 0 <= number <= started:
            return False
        started += number == started
    return True
