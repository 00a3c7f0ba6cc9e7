"""The strict review loader.

Reviews are data, so the loader accepts a deliberately small YAML: one document, a mapping at the top,
no anchors, aliases or tags, no duplicate keys. Scalars are resolved by the YAML 1.2 core schema (what
editors speak), not PyYAML's YAML 1.1: `no` stays a string, `12:39` stays a string, and dates stay
strings so that the schema's `format: date` judges them; an impossible date is a finding, never a crash.
Every value keeps its line and column so that any finding can point at it.
"""

from __future__ import annotations

import math
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import yaml

from retrogen.core.errors import ReviewFileError
from retrogen.gate.settings import DEFAULTS

try:  # libyaml is about eight times faster than the pure-Python parser
    from yaml import CSafeLoader as _Parser
except ImportError:  # pragma: no cover - depends on how PyYAML was built
    from yaml import SafeLoader as _Parser  # type: ignore[assignment]

FieldPath = tuple[str | int, ...]
MAX_DEPTH = 32
# The size limit of a review file (extra.retrogen.max_file_size): a review is text, not an attachment.

_INT = re.compile(r"[-+]?[0-9]+")
_OCT = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_NULLS = {"", "~", "null", "Null", "NULL"}
_TRUE = {"true", "True", "TRUE"}
_FALSE = {"false", "False", "FALSE"}


class Position(NamedTuple):
    line: int
    column: int


@dataclass
class Document:
    """A parsed review: plain data plus where each value and each key stands in the file."""

    path: Path
    data: dict[str, Any]
    values: dict[FieldPath, Position] = field(default_factory=dict)
    keys: dict[FieldPath, Position] = field(default_factory=dict)

    def locate(self, path: FieldPath, *, key: bool = False) -> Position:
        """The position of the value (or key) at `path`, else of its nearest ancestor that exists."""
        if key and path in self.keys:
            return self.keys[path]
        while path not in self.values and path:
            path = path[:-1]
        return self.values.get(path, Position(1, 1))


def field_name(path: FieldPath) -> str:
    """`actions[1].owner` for ('actions', 1, 'owner')."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def resolve_plain(text: str) -> Any:
    """A plain (unquoted) scalar as the YAML 1.2 core schema reads it."""
    first = text[:1]
    if first and not (first.isdigit() or first in "-+.~nNtTfF"):
        return text  # cannot be a number, null or boolean: most scalars end here
    if text in _NULLS:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    if _INT.fullmatch(text):
        try:
            return int(text)
        except ValueError:  # past Python's int-string limit (4,300 digits): a number too large to be data
            return float(text)  # inf, which the schema's range refuses with the value's line
    if _OCT.fullmatch(text):
        return int(text[2:], 8)
    if _HEX.fullmatch(text):
        return int(text[2:], 16)
    if _FLOAT.fullmatch(text):
        return float(text)
    lowered = text.lower()
    if lowered in {".inf", "+.inf", "-.inf"}:
        return -math.inf if lowered.startswith("-") else math.inf
    if lowered == ".nan":
        return math.nan
    return text


def _position(mark: Any) -> Position:
    return Position(mark.line + 1, mark.column + 1)


class _Builder:
    def __init__(self, path: Path, events: Iterator[Any]) -> None:
        self.path = path
        self.events = events
        self.values: dict[FieldPath, Position] = {}
        self.keys: dict[FieldPath, Position] = {}

    def fail(self, code: str, message: str, mark: Any) -> ReviewFileError:
        pos = _position(mark)
        return ReviewFileError(code, message, pos.line, pos.column)

    def refuse_anchor_or_tag(self, event: Any) -> None:
        if getattr(event, "anchor", None):
            raise self.fail(
                "RG006",
                f"anchor &{event.anchor} is not allowed; reviews are plain data, write the value out in full",
                event.start_mark,
            )
        if getattr(event, "tag", None) and event.tag != "!":
            tag = event.tag.replace("tag:yaml.org,2002:", "!!")
            raise self.fail("RG008", f"tag {tag} is not allowed; remove it and write a plain value", event.start_mark)

    def node(self, event: Any, path: FieldPath, depth: int) -> Any:
        # The hot loop of every command: attribute reads are kept to the minimum on purpose.
        if depth > MAX_DEPTH:
            raise self.fail(
                "RG011", f"nesting deeper than {MAX_DEPTH} levels; a review never needs this", event.start_mark
            )
        kind = type(event)
        if kind is yaml.AliasEvent:
            raise self.fail(
                "RG006",
                f"alias *{event.anchor} is not allowed; reviews are plain data, write the value out in full",
                event.start_mark,
            )
        if event.anchor is not None or event.tag is not None:
            self.refuse_anchor_or_tag(event)
        mark: Any = event.start_mark
        self.values[path] = Position(mark.line + 1, mark.column + 1)
        if kind is yaml.ScalarEvent:
            return resolve_plain(event.value) if event.implicit[0] and not event.style else event.value
        events = self.events
        if kind is yaml.SequenceStartEvent:
            items: list[Any] = []
            for event in events:
                if type(event) is yaml.SequenceEndEvent:
                    return items
                items.append(self.node(event, (*path, len(items)), depth + 1))
        if kind is yaml.MappingStartEvent:
            mapping: dict[str, Any] = {}
            keys = self.keys
            for event in events:
                if type(event) is not yaml.ScalarEvent:
                    if type(event) is yaml.MappingEndEvent:
                        return mapping
                    raise self.fail("RG002", "a key must be a plain word, not a list or mapping", event.start_mark)
                if event.anchor is not None or event.tag is not None:
                    self.refuse_anchor_or_tag(event)
                key = event.value
                if key[:1] == "\u3000" or "：" in key:  # it parsed, but only because of a typing slip
                    message, _ = _typing_slip(key) or ("a key with full-width characters", 0)
                    raise self.fail("RG002", f"not valid YAML: {message}", event.start_mark)
                child = (*path, key)
                if key in mapping:
                    raise self.fail(
                        "RG005",
                        f"key {key!r} appears twice in this mapping (first at line {keys[child].line}); keep one",
                        event.start_mark,
                    )
                mark = event.start_mark
                keys[child] = Position(mark.line + 1, mark.column + 1)
                mapping[key] = self.node(next(events), child, depth + 1)
        raise self.fail("RG002", "unexpected YAML structure", event.start_mark)  # pragma: no cover

    def document(self) -> Any:
        root: Any = None
        documents = 0
        for event in self.events:
            kind = type(event)
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise self.fail(
                        "RG009",
                        "a review file holds one document; move this one to a file of its own",
                        event.start_mark,
                    )
                root = self.node(next(self.events), (), 0)
        return root


def _line_of_offset(text: str | bytes, offset: int) -> Position:
    before = text[:offset]
    newline = b"\n" if isinstance(before, bytes) else "\n"
    line = before.count(newline) + 1  # type: ignore[arg-type]
    column = offset - (before.rfind(newline) + 1)  # type: ignore[arg-type]
    return Position(line, column + 1)


def _typing_slip(line: str) -> tuple[str, int] | None:
    """What a Chinese input method put into a YAML line ('：' for ':', '　' or a tab for spaces), and the
    0-based column where it stands; None when the line has no such slip."""
    indent = len(line) - len(line.lstrip(" "))
    if line[indent : indent + 1] in ("\u3000", "\t"):
        what = "full-width space '　'" if line[indent] == "\u3000" else "tab"
        return f"{what} in the indentation; indent with ordinary spaces", indent
    column = line.find("：")
    if column >= 0 and ":" not in line[:column]:
        word = line[:column].strip(" -\u3000")
        return f"full-width colon '：' after {word!r}; type an ASCII colon and a space ({word}: ...)", column
    return None


def _syntax_error(text: str, exc: yaml.MarkedYAMLError) -> ReviewFileError:
    """The parser's error, pointed at the line that causes it.

    libyaml reports a key without its colon on the line after it; the context mark is where the key
    began. Chinese input methods type '：' and '　', which YAML takes for text: say so, on that line.
    """
    marks = [m.line for m in (exc.context_mark, exc.problem_mark) if m is not None] or [0]
    lines = text.splitlines()
    for number in range(min(marks), min(max(marks), len(lines) - 1) + 1):
        slip = _typing_slip(lines[number])
        if slip:
            return ReviewFileError("RG002", f"not valid YAML: {slip[0]}", number + 1, slip[1] + 1)
    problem = " ".join(str(part) for part in (exc.context, exc.problem) if part)
    simple_key = exc.context == "while scanning a simple key" and exc.context_mark is not None
    mark = exc.context_mark if simple_key else exc.problem_mark or exc.context_mark
    pos = _position(mark) if mark else Position(1, 1)
    if "nesting depth" in str(exc.problem):  # libyaml >= 0.2.6 (PyYAML 6.0.4) stops deep nesting itself
        return ReviewFileError(
            "RG011", f"nesting deeper than {MAX_DEPTH} levels; a review never needs this", pos.line, pos.column
        )
    if simple_key:
        problem += "; a line here has a key without a colon (key: value)"
    return ReviewFileError("RG002", f"not valid YAML: {problem}", pos.line, pos.column)


def parse_text(path: Path, text: str) -> Document:
    """Parse review text; raises ReviewFileError with a code and position for anything unacceptable."""
    if not text.strip():
        raise ReviewFileError("RG003", "the file is empty; start from `retrogen new ID`")
    builder = _Builder(path, yaml.parse(text, Loader=_Parser))
    try:
        root = builder.document()
    except yaml.MarkedYAMLError as exc:
        raise _syntax_error(text, exc) from None
    except yaml.reader.ReaderError as exc:
        pos = _line_of_offset(text, exc.position)
        char = exc.character if isinstance(exc.character, int) else ord(exc.character)
        raise ReviewFileError(
            "RG002", f"not valid YAML: character U+{char:04X} is not allowed ({exc.reason})", pos.line, pos.column
        ) from None
    except yaml.YAMLError as exc:
        raise ReviewFileError("RG002", f"not valid YAML: {exc}") from None
    if root is None:
        raise ReviewFileError("RG003", "the file has no content; start from `retrogen new ID`")
    if not isinstance(root, dict):
        where = builder.values.get((), Position(1, 1))
        raise ReviewFileError(
            "RG004",
            f"a review is a mapping of fields (id: ..., title: ...), not a {type(root).__name__}",
            where.line,
            where.column,
        )
    return Document(path, root, builder.values, builder.keys)


def read_bounded(path: Path, limit: int) -> bytes:
    """At most `limit` + 1 bytes of a regular file. A FIFO, a device (/dev/zero) or a folder is refused
    before anything is read; O_NONBLOCK keeps the open of a FIFO from waiting for a writer. Raises OSError."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path.name} is not a regular file")
        with os.fdopen(fd, "rb", closefd=False) as handle:
            return handle.read(limit + 1)
    finally:
        os.close(fd)


def read_text(path: Path, max_size: int, raw: bytes | None = None) -> str:
    """The file's text, refusing what is not a regular file, too large or not UTF-8. `raw`: its bytes as
    read_bounded(path, max_size) read them already (the index hashes the very bytes that are parsed)."""
    try:
        raw = read_bounded(path, max_size) if raw is None else raw
    except OSError as exc:
        raise ReviewFileError("RG010", f"cannot read the file: {exc.strerror or exc}") from None
    if len(raw) > max_size:
        size = _size_of(path, len(raw))
        raise ReviewFileError(
            "RG007",
            f"the file is {size} bytes, over the {max_size:,}-byte limit; "
            "split it or move attachments out of the review",
        )
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        pos = _line_of_offset(raw, exc.start)
        raise ReviewFileError(
            "RG001", f"byte 0x{raw[exc.start]:02x} is not UTF-8; save the file as UTF-8", pos.line, pos.column
        ) from None


def _size_of(path: Path, at_least: int) -> str:
    try:
        return f"{path.stat().st_size:,}"
    except OSError:
        return f"more than {at_least - 1:,}"


def load_review(path: Path, max_size: int = DEFAULTS.max_file_size, raw: bytes | None = None) -> Document:
    """Read and parse one review file (`raw`: its bytes, read already)."""
    return parse_text(path, read_text(path, max_size, raw))
