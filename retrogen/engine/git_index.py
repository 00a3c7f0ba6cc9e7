"""The git history's reading kept between runs: what the commits said of each action, up to the last commit
read, so that a run reads only the commits made since.

The history is read oldest first, so a later run resumes where the last one stopped only when the commits it
read are still the oldest ones, in the same order: a rebase, an amend, a reset or a merge of older commits
changes that sequence, and the history is read again in full. The reading is plain JSON (no code runs on
loading a planted file), replaced in one step; a damaged or foreign one is read again with a notice.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from retrogen.core.files import write_atomic
from retrogen.gate.index import code_key, lasting_folder

STORE_NAME = "git-history.json"
# The layout of the stored reading; a reading of another format is read again.
FORMAT = 1


def commits_digest(commits: Sequence[str]) -> str:
    """One key for a sequence of commits, oldest first."""
    return hashlib.sha256("\n".join(commits).encode("ascii")).hexdigest()


def reading_key(reviews_dir: str, max_file_size: int) -> str:
    """What the reading depends on besides the commits: retrogen's code, the folder read and the size limit."""
    history_code = Path(__file__).with_name("history.py")
    digest = hashlib.sha256(f"{FORMAT} {code_key()} {reviews_dir} {max_file_size}".encode())
    with contextlib.suppress(OSError):
        digest.update(history_code.read_bytes())
    return digest.hexdigest()


@dataclass
class StoredReading:
    head: str  # the commit HEAD named when the reading was made
    commits: list[str]  # the commits read, oldest first (those that touched the reviews)
    state: dict[str, Any]  # the reader's state after them (see history._Reader.state)


@dataclass
class GitIndex:
    """The stored reading of one knowledge base's history: `load` it, resume, `save` the new one."""

    path: Path
    key: str
    notices: list[str]

    @classmethod
    def open(cls, root: Path, reviews_dir: str, max_file_size: int) -> GitIndex | None:
        """The store beside the lasting index, or None where it is not kept: turned off by RETROGEN_NO_CACHE
        (or --no-cache), or a folder that cannot be written (a read-only checkout)."""
        folder = lasting_folder(root)
        if folder is None:
            return None
        return cls(folder / STORE_NAME, reading_key(reviews_dir, max_file_size), [])

    def load(self) -> StoredReading | None:
        """The stored reading made by this code for this folder, or None (with a notice when it is damaged)."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            self.notices.append(f"{self.path}: unreadable ({exc.strerror}); reading the git history again")
            return None
        try:
            stored = json.loads(raw)
            if stored.get("key") != self.key:
                return None  # another version of retrogen or other settings: simply read again
            commits = stored["commits"]
            if not (isinstance(commits, list) and all(isinstance(sha, str) for sha in commits)):
                raise ValueError("commits is not a list of commits")
            if stored["digest"] != commits_digest(commits):
                raise ValueError("its commits do not match their digest")
            reading = StoredReading(str(stored["head"]), commits, stored["state"])
            if not isinstance(reading.state, dict):
                raise ValueError("state is not a mapping")
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            self.notices.append(f"{self.path}: unreadable ({exc}); reading the git history again")
            return None
        return reading

    def save(self, reading: StoredReading) -> None:
        """Replace the stored reading in one step; a store that cannot be written is left as it is."""
        content = json.dumps(
            {
                "key": self.key,
                "head": reading.head,
                "commits": reading.commits,
                "digest": commits_digest(reading.commits),
                "state": reading.state,
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )
        with contextlib.suppress(OSError):
            write_atomic(self.path, content)
