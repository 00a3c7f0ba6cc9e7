"""jieba, loaded quietly, with its dictionary looked up word by word in a file of the user's cache: segmenting one
edited lesson reads a few hundred of its words instead of loading all half a million (0.65 s, 90 MB).

The file holds the very table jieba loads (each word and word beginning with its frequency), made from that
table once it is loaded, and is named by jieba's version and dictionary file: it answers as jieba's table does,
so a text is segmented alike whichever is read. A run that looks up many words (a knowledge base read for the
first time) loads jieba's table after all, which is quicker then. A damaged or foreign file is made again,
as the compiled schema is (gate/schema.py); RETROGEN_NO_CACHE keeps none.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import logging
import sys
import zlib
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

from retrogen.core.files import user_cache_dir, write_atomic_with

MAGIC = b"retrogen jieba words\n"
# The layout of the file; one of another is made again.
FORMAT = 1
# Past this many different words looked up, loading jieba's table costs less than looking up the rest.
LOOKUP_LIMIT = 200_000
_UNSEEN = object()


@lru_cache(maxsize=1)
def jieba_module() -> Any:
    """jieba, imported quietly (it announces its dictionary loading on stderr otherwise) and without
    pkg_resources, whose import was 0.08 s: jieba only opens its own files with it, and opens them directly
    where it is missing."""
    absent = "pkg_resources" not in sys.modules
    if absent:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import pkg_resources fails
    try:
        import jieba
    finally:
        if absent and sys.modules.get("pkg_resources", jieba_module) is None:
            del sys.modules["pkg_resources"]
    jieba.setLogLevel(logging.WARNING)
    return jieba


@lru_cache(maxsize=1)
def jieba_key() -> bytes:
    """What jieba segments by, without importing it (nor importlib.metadata, 0.03 s): its code (whose
    `__version__` it states) and its dictionary file's size and time."""
    digest = hashlib.sha256()
    spec = importlib.util.find_spec("jieba")
    if spec is None or spec.origin is None:  # pragma: no cover - a dependency
        return digest.digest()
    package = Path(spec.origin).parent
    for name in ("__init__.py", "finalseg/__init__.py", "dict.txt"):
        digest.update(name.encode("utf-8"))
        with contextlib.suppress(OSError):
            stat = (package / name).stat()
            digest.update(f"{stat.st_size} {stat.st_mtime_ns}".encode())
            if name.endswith(".py"):
                digest.update((package / name).read_bytes())
    return digest.digest()


def segmenter() -> Any:
    """A jieba Tokenizer: jieba's own once its table is loaded; else one that looks words up in the kept file,
    where there is one (else jieba's own, its table loaded and the file made for the next run)."""
    jieba = jieba_module()
    default = jieba.dt
    if default.initialized or default.dictionary is not None:  # loaded, or not jieba's own dictionary
        return default
    path = kept_path(jieba)
    words = read_words(path, _load_all) if path is not None else None
    if words is None:
        default.initialize()
        if path is not None:
            with contextlib.suppress(OSError):  # a cache: a run that cannot keep it still segments
                write_words(path, default.FREQ, default.total)
        return default
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = words, words.total, True
    return tokenizer


def _load_all() -> dict[str, int]:
    default = jieba_module().dt
    default.initialize()
    frequencies: dict[str, int] = default.FREQ
    return frequencies


def kept_path(jieba: Any) -> Path | None:
    """The kept file of this jieba and dictionary in the user's cache (core.files.user_cache_dir), or None."""
    folder = user_cache_dir()
    if folder is None:
        return None
    dictionary = Path(jieba.__file__).parent / jieba.DEFAULT_DICT_NAME
    try:
        stat = dictionary.stat()
    except OSError:
        return None
    made_of = f"{FORMAT} {jieba.__version__} {dictionary} {stat.st_size} {stat.st_mtime_ns} {sys.byteorder}"
    return folder / f"jieba-words-{hashlib.sha256(made_of.encode('utf-8')).hexdigest()[:32]}.bin"


class KeptWords:
    """jieba's table as the kept file holds it, answering what jieba asks of its table (`in`, `[]`, `get`)
    by looking each word up once: a hash table of its words' UTF-8 bytes (CRC-32 buckets), with each word's
    frequency. Past LOOKUP_LIMIT words it asks the table itself (`load_all`)."""

    def __init__(self, body: memoryview, header: dict[str, int], load_all: Callable[[], dict[str, int]]) -> None:
        entries, buckets = header["entries"], header["buckets"]
        view = body
        at = 8 * entries
        self._frequencies = view[:at].cast("q")
        self._starts = view[at : at + 4 * (buckets + 1)].cast("I")
        at += 4 * (buckets + 1)
        self._offsets = view[at : at + 4 * (entries + 1)].cast("I")
        self._blob = view[at + 4 * (entries + 1) :]
        self._mask = buckets - 1
        # the last bucket ends at the last entry, whose word ends where the words do
        if self._starts[buckets] != entries or self._offsets[entries] != len(self._blob):
            raise ValueError("not what write_words writes")
        self.total = header["total"]
        self._seen: dict[str, int | None] = {}
        self._all: dict[str, int] | None = None
        self._load_all = load_all

    def _find(self, word: str) -> int | None:
        if self._all is not None:
            return self._all.get(word)
        found = self._seen.get(word, _UNSEEN)
        if found is _UNSEEN:
            if len(self._seen) >= LOOKUP_LIMIT:
                self._all = self._load_all()
                return self._all.get(word)
            found = self._seen[word] = self._look_up(word)
        return found  # type: ignore[return-value]  # not _UNSEEN

    def _look_up(self, word: str) -> int | None:
        key = word.encode("utf-8", "surrogatepass")
        bucket = zlib.crc32(key) & self._mask
        offsets, blob = self._offsets, self._blob
        for entry in range(self._starts[bucket], self._starts[bucket + 1]):
            if blob[offsets[entry] : offsets[entry + 1]] == key:
                frequency: int = self._frequencies[entry]
                return frequency
        return None

    def __contains__(self, word: object) -> bool:
        return isinstance(word, str) and self._find(word) is not None

    def __getitem__(self, word: str) -> int:
        found = self._find(word)
        if found is None:
            raise KeyError(word)
        return found

    def get(self, word: str, default: int | None = None) -> int | None:
        found = self._find(word)
        return default if found is None else found


def _header_size(header: bytes) -> int:
    """Where the body starts: after the magic, the header's length and the header, at a multiple of 8."""
    return -(-(len(MAGIC) + 4 + len(header)) // 8) * 8


def read_words(path: Path, load_all: Callable[[], dict[str, int]]) -> KeptWords | None:
    """The kept table at `path`, or None when there is none or it is not what write_words wrote (damaged,
    truncated, of another format)."""
    try:
        content = path.read_bytes()
    except OSError:
        return None
    try:
        if not content.startswith(MAGIC):
            return None
        length = int.from_bytes(content[len(MAGIC) : len(MAGIC) + 4], "little")
        header_bytes = content[len(MAGIC) + 4 : len(MAGIC) + 4 + length]
        header = json.loads(header_bytes)
        body = memoryview(content)[_header_size(header_bytes) :]  # not a copy of its 12 MB
        numbers = ("entries", "buckets", "total", "blob", "crc")
        if type(header) is not dict or header.get("format") != FORMAT:
            return None
        if not all(type(header.get(name)) is int and header[name] >= 0 for name in numbers):
            return None
        entries, buckets = header["entries"], header["buckets"]
        if buckets < 1 or buckets & (buckets - 1) or zlib.crc32(body) != header["crc"]:
            return None
        if len(body) != 8 * entries + 4 * (buckets + 1) + 4 * (entries + 1) + header["blob"]:
            return None
        return KeptWords(body, header, load_all)
    except (ValueError, TypeError):
        return None


def write_words(path: Path, frequencies: dict[str, int], total: int) -> None:
    """Keep jieba's table `frequencies` (and the sum of its frequencies, `total`) at `path` for read_words."""
    import numpy as np  # only a run that loaded jieba's table writes: numpy is loaded by then

    if not all(type(frequency) is int for frequency in frequencies.values()):
        return  # not a table jieba loads
    encoded = [word.encode("utf-8", "surrogatepass") for word in frequencies]
    entries = len(encoded)
    buckets = 1 << max(1, entries.bit_length())  # about one word a bucket
    hashes = np.fromiter(map(zlib.crc32, encoded), dtype=np.int64, count=entries) & (buckets - 1)
    order = np.argsort(hashes, kind="stable")
    ordered = [encoded[entry] for entry in order.tolist()]
    offsets = np.zeros(entries + 1, dtype=np.uint32)
    offsets[1:] = np.cumsum(np.fromiter(map(len, ordered), dtype=np.int64, count=entries))
    starts = np.searchsorted(hashes[order], np.arange(buckets + 1), side="left").astype(np.uint32)
    body = b"".join(
        [
            np.fromiter(frequencies.values(), dtype=np.int64, count=entries)[order].tobytes(),
            starts.tobytes(),
            offsets.tobytes(),
            *ordered,
        ]
    )
    blob = int(offsets[-1])
    header = {"format": FORMAT, "entries": entries, "buckets": buckets, "total": total, "blob": blob}
    header_bytes = json.dumps({**header, "crc": zlib.crc32(body)}).encode("ascii")
    start = MAGIC + len(header_bytes).to_bytes(4, "little") + header_bytes
    padding = b"\0" * (_header_size(header_bytes) - len(start))

    def write(handle: Any) -> None:
        handle.write(start + padding)
        handle.write(body)

    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic_with(path, write)
