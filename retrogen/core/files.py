"""Writing files so that nothing is ever half-written, silently replaced or left behind."""

from __future__ import annotations

import contextlib
import os
import stat
import time
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from retrogen.core.errors import RetrogenError

TEMPORARY = "retrogen-tmp"
# A temporary file is renamed into place a moment after it is written: one untouched this long belongs to
# a process that was killed (the next write in its folder removes it). A live writer whose file went
# missing fails cleanly; it never leaves a torn file.
ABANDONED_AFTER_SECONDS = 60
# Turns off what retrogen keeps between runs (the index, the compiled schema), as --no-cache does.
NO_CACHE_ENV = "RETROGEN_NO_CACHE"


def cache_off() -> bool:
    """Whether RETROGEN_NO_CACHE turns off what retrogen keeps between runs."""
    return os.environ.get(NO_CACHE_ENV, "").strip() not in ("", "0")


def user_cache_dir() -> Path | None:
    """Where retrogen keeps what it can rebuild and that belongs to no knowledge base (the compiled schema):
    $XDG_CACHE_HOME/retrogen, else ~/.cache/retrogen; None with RETROGEN_NO_CACHE, or without a home. Never
    inside a checkout: what it holds is run as code."""
    if cache_off():
        return None
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    try:
        return (Path(base) if base else Path.home() / ".cache") / "retrogen"
    except RuntimeError:  # no home to be found
        return None


def hidden_sibling(path: Path, role: str) -> Path:
    """A fresh hidden name beside `path` (`.site.retrogen-new-1a2b3c4d`): no check or build reads hidden
    files, and the name stays short enough for any file system."""
    # os.urandom is what secrets.token_hex reads, without importing secrets (and hmac) into every command
    return path.with_name(f".{path.name[:100]}.{role}-{os.urandom(4).hex()}")


def _temporary_copy(path: Path, content: str | bytes) -> Path:
    """The content in a new hidden file beside `path` (see _temporary_file)."""
    data = content.encode("utf-8") if isinstance(content, str) else content
    return _temporary_file(path, lambda handle: handle.write(data))


def _temporary_file(path: Path, write: Callable[[BinaryIO], object]) -> Path:
    """What `write` writes, in a new hidden file beside `path`. It gets the mode `path` has, or else the mode
    any new file gets (0666 less the umask): `tempfile.mkstemp` would make it 0600."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = hidden_sibling(path, TEMPORARY)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0), 0o666)
    try:
        with os.fdopen(descriptor, "wb") as handle:
            write(handle)
        with contextlib.suppress(FileNotFoundError):
            os.chmod(temporary, stat.S_IMODE(path.stat().st_mode))
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return temporary


def _remove_abandoned_temporaries(folder: Path) -> None:
    """Remove the temporary files that killed writes left in `folder`: ours by name, abandoned by age."""
    cutoff = time.time() - ABANDONED_AFTER_SECONDS
    for leftover in folder.glob(f".*.{TEMPORARY}-*"):
        with contextlib.suppress(OSError):
            if leftover.is_file() and not leftover.is_symlink() and leftover.stat().st_mtime < cutoff:
                leftover.unlink()


def write_atomic(path: Path, content: str | bytes) -> None:
    """Replace `path` in one step: readers see the old file or the new one, never a torn one."""
    _replace(_temporary_copy(path, content), path)


def write_atomic_with(path: Path, write: Callable[[BinaryIO], object]) -> None:
    """Replace `path` in one step with what `write` writes to the handle it is given: a file too large to
    hold in memory first is never seen torn either."""
    _remove_abandoned_temporaries(path.parent)
    _replace(_temporary_file(path, write), path)


def _replace(temporary: Path, path: Path) -> None:
    try:
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise


def _create(path: Path, content: str | bytes) -> None:
    temporary = _temporary_copy(path, content)
    try:
        os.link(temporary, path)  # unlike a rename, a link never replaces a file created a moment ago
    except FileExistsError:
        raise RetrogenError(f"{path} already exists; it was left untouched") from None
    finally:
        temporary.unlink(missing_ok=True)


def write_file(path: Path, content: str | bytes, *, replace: bool = False) -> None:
    """Write a file the user keeps: complete or not at all, an existing file replaced only when `replace`
    (keeping its mode, and its symlink: the link's target is what gets replaced). OS failures become a
    RetrogenError that names the file and the reason."""
    target = Path(os.path.realpath(path)) if replace else path
    try:
        _remove_abandoned_temporaries(target.parent)
        if replace:
            write_atomic(target, content)
        else:
            _create(target, content)
    except OSError as exc:
        raise RetrogenError(cannot_write(path, exc)) from None


def cannot_write(path: Path, exc: OSError) -> str:
    """`cannot write PATH: reason`; when a file stands where a folder should be, the reason names it."""
    if isinstance(exc, (FileExistsError, NotADirectoryError)):
        blocking = next((folder for folder in path.absolute().parents if folder.exists()), None)
        if blocking is not None and not blocking.is_dir():
            return f"cannot write {path}: {blocking} is a file, not a folder"
    return f"cannot write {path}: {exc.strerror or exc}"


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
