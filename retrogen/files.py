"""Writing files so that nothing is ever half-written or silently replaced."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from retrogen.errors import RetrogenError


def _temporary_copy(path: Path, content: str | bytes) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    with os.fdopen(fd, "wb") as handle:
        handle.write(content.encode("utf-8") if isinstance(content, str) else content)
    return Path(name)


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace `path` in one step: readers see the old file or the new one, never a torn one."""
    temporary = _temporary_copy(path, content)
    try:
        os.replace(temporary, path)
    except OSError:
        temporary.unlink(missing_ok=True)
        raise


def write_new(path: Path, content: str) -> None:
    """Create `path`, refusing to touch a file that already exists (even one created a moment ago)."""
    temporary = _temporary_copy(path, content)
    try:
        os.link(temporary, path)
    except FileExistsError:
        raise RetrogenError(f"{path} already exists; it was left untouched") from None
    finally:
        temporary.unlink(missing_ok=True)


def write_if_changed(path: Path, content: str | bytes) -> bool:
    """Write only when the content differs, so that watchers and mtimes see real changes only."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    try:
        if path.read_bytes() == data:
            return False
    except OSError:
        pass
    write_atomic(path, data)
    return True
