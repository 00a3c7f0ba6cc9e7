"""Text that cannot attack its reader: what a message prints of a path or a value someone else wrote.

A file named `\\e]0;PWNED\\a\\e[2J.yaml` would set a terminal's title and clear its screen if its name were
printed as it is, and it still would through a pipe into `less -R`, a CI log or a colouring pager.
"""

from __future__ import annotations

import re

# C0 controls (ESC, BEL, CR, LF, TAB…) are escaped by json.dumps itself; DEL and C1 (a lone 0x9b is CSI in
# some terminals), the bidirectional controls that reorder what a line shows (Trojan Source), the line and
# paragraph separators, and lone surrogates (a file name's undecodable bytes, which no terminal encoding
# takes) are not.
_BEYOND_C0 = "\x7f-\x9f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff"
_UNSAFE = re.compile(f"[\x00-\x1f{_BEYOND_C0}]")
_UNSAFE_IN_JSON = re.compile(f"[{_BEYOND_C0}]")


def printable(value: object) -> str:
    """`value` as text with every control character, bidirectional control and lone surrogate written as an
    escape (ESC as \\x1b, U+202E as \\u202e), as Python writes them in a repr; everything else, Chinese
    included, as it is."""
    return _UNSAFE.sub(_escape, str(value))


def printable_lines(text: str) -> str:
    """`printable` line by line, keeping the line breaks of a message of several lines."""
    return "\n".join(printable(line) for line in text.split("\n"))


def printable_json(document: str) -> str:
    """A JSON document from json.dumps(ensure_ascii=False) with the characters it leaves raw written as
    \\u escapes: the same JSON, with the same values, that no terminal acts on."""
    return _UNSAFE_IN_JSON.sub(lambda match: f"\\u{ord(match.group()):04x}", document)


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"
