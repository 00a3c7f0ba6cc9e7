"""What a message prints of a path or a value cannot act on the reader's terminal, and still reads."""

from __future__ import annotations

import json

import pytest

from retrogen.core.printable import printable, printable_json, printable_lines

HOSTILE = "\x1b]0;PWNED\x07\x1b[2J"


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        (HOSTILE + ".yaml", "\\x1b]0;PWNED\\x07\\x1b[2J.yaml"),
        ("a\rb\nc\td\x00\x7f", "a\\x0db\\x0ac\\x09d\\x00\\x7f"),
        ("\x9b31m", "\\x9b31m"),  # C1: CSI in one byte
        ("abc\u202egpj.yaml", "abc\\u202egpj.yaml"),  # Trojan Source: shows as abcmaml.jpg
        ("caf\udce9.yaml", "caf\\udce9.yaml"),  # an undecodable byte of a file name: no terminal encodes it
        ("reviews/2026-q3-华东销售.yaml", "reviews/2026-q3-华东销售.yaml"),  # everything else as it is
    ],
)
def test_control_characters_are_written_as_escapes(text: str, shown: str) -> None:
    assert printable(text) == shown
    shown.encode("utf-8")  # prints in any UTF-8 terminal


def test_a_message_of_several_lines_keeps_its_line_breaks() -> None:
    assert printable_lines(f"first {HOSTILE}\nsecond") == "first \\x1b]0;PWNED\\x07\\x1b[2J\nsecond"


def test_json_keeps_its_values_and_prints_nothing_a_terminal_acts_on() -> None:
    value = {"path": HOSTILE + "\x9b\u202e\x7f.yaml"}
    document = printable_json(json.dumps(value, ensure_ascii=False, indent=2))
    assert json.loads(document) == value
    assert printable(document) == document.replace("\n", "\\x0a")  # nothing left to escape but its layout
