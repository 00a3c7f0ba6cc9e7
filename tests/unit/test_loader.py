from __future__ import annotations

import math
import time
from pathlib import Path

import pytest

from retrogen.core.errors import ReviewFileError
from retrogen.gate.loader import Position, load_review, parse_text, resolve_plain

from ..conftest import KB


def error_of(text: str) -> ReviewFileError:
    with pytest.raises(ReviewFileError) as caught:
        parse_text(Path("x.yaml"), text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("no", "no"),
        ("yes", "yes"),
        ("on", "on"),  # YAML 1.1 booleans stay words
        ("12:39", "12:39"),  # YAML 1.1 read this as 759
        ("2026-02-30", "2026-02-30"),
        ("2026-10-01", "2026-10-01"),  # dates stay text for the schema
        ("true", True),
        ("False", False),
        ("~", None),
        ("null", None),
        ("", None),
        ("42", 42),
        ("-7", -7),
        ("0o17", 15),
        ("0x1f", 31),
        ("3.5", 3.5),
        ("1e3", 1000.0),
        ("010", 10),
        ("1_000", "1_000"),
        ("+.inf", math.inf),
        ("张伟", "张伟"),
    ],
)
def test_plain_scalars_follow_yaml_1_2_core_schema(text: str, value: object) -> None:
    assert resolve_plain(text) == value


def test_quoted_scalars_stay_text() -> None:
    doc = parse_text(Path("x.yaml"), "a: '42'\nb: \"true\"\nc: 'null'\n")
    assert doc.data == {"a": "42", "b": "true", "c": "null"}


def test_every_value_and_key_keeps_its_position() -> None:
    doc = load_review(KB / "reviews" / "2026-q3-east-sales.yaml")
    assert doc.data["actions"][1]["owner"] == "刘洋"
    assert doc.values[("actions", 1, "owner")] == Position(157, 12)
    assert doc.keys[("actions", 1, "owner")] == Position(157, 5)
    assert doc.locate(("actions", 1, "no-such-field")) == doc.values[("actions", 1)]


@pytest.mark.parametrize(
    ("text", "code", "line"),
    [
        ("a: 1\na: 2\n", "RG005", 2),
        ("a: &x 1\n", "RG006", 1),
        ("a: 1\nb: *x\n", "RG006", 2),
        ("a: !!python/object:os.system x\n", "RG008", 1),
        ("a: !custom x\n", "RG008", 1),
        ("a: 1\n---\nb: 2\n", "RG009", 2),
        ("- a\n", "RG004", 1),
        ("just text\n", "RG004", 1),
        ("", "RG003", 1),
        ("   \n\n", "RG003", 1),
        ("---\n...\n", "RG003", 1),
        ("a: [1\n", "RG002", 2),
        ("a:\n\tb: 1\n", "RG002", 2),
        ("a: b: c\n", "RG002", 1),
        ("? [a]\n: 1\n", "RG002", 1),
        ("a: \x07\n", "RG002", 1),
        ("[" * 5000, "RG011", 1),
    ],
)
def test_unacceptable_yaml_is_refused_with_code_and_line(text: str, code: str, line: int) -> None:
    error = error_of(text)
    assert (error.code, error.line) == (code, line)


def test_billion_laughs_is_refused_at_once() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, 10):
        prev, cur = chr(96 + i), chr(97 + i)
        lines.append(f"{cur}: &{cur} [{','.join(['*' + prev] * 9)}]")
    started = time.perf_counter()
    error = error_of("\n".join(lines) + "\n")
    assert error.code == "RG006"
    assert time.perf_counter() - started < 1.0


def test_non_utf8_bytes_are_located(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes(b"a: 1\nb: caf\xe9\n")
    with pytest.raises(ReviewFileError) as caught:
        load_review(path)
    assert (caught.value.code, caught.value.line, caught.value.column) == ("RG001", 2, 7)


def test_utf8_bom_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_bytes("\ufeffa: 张伟\n".encode())
    assert load_review(path).data == {"a": "张伟"}


def test_files_over_the_size_limit_are_not_read(tmp_path: Path) -> None:
    path = tmp_path / "r.yaml"
    path.write_text("a: " + "x" * 2000 + "\n")
    with pytest.raises(ReviewFileError) as caught:
        load_review(path, max_size=1000)
    assert caught.value.code == "RG007"


def test_unreadable_file_is_a_finding(tmp_path: Path) -> None:
    folder = tmp_path / "r.yaml"
    folder.mkdir()
    with pytest.raises(ReviewFileError) as caught:
        load_review(folder)
    assert caught.value.code == "RG010"
