"""Files no review should be, and slips a Chinese input method makes: refused on the right line, in bounded
time and memory, never with a traceback."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from retrogen.core.errors import ReviewFileError
from retrogen.gate.check import CheckOptions, check_paths
from retrogen.gate.heads import known_ids
from retrogen.gate.loader import load_review, parse_text

from ..conftest import KB, TODAY

OPTIONS = CheckOptions(TODAY)


def error_of(text: str) -> ReviewFileError:
    with pytest.raises(ReviewFileError) as caught:
        parse_text(Path("x.yaml"), text)
    return caught.value


@pytest.mark.parametrize(
    ("text", "line", "column", "words"),
    [
        (
            "id: x\nactions:\n  - id: A1\n    owner：刘洋\n    due: 2026-12-01\n",
            4,
            10,
            "full-width colon '：' after 'owner'; type an ASCII colon and a space (owner: ...)",
        ),
        ("id: x\ntitle：华东 Q3\nteam: t\n", 2, 6, "full-width colon '：' after 'title'"),
        ("id: x\ntitle：华东 Q3\n", 2, 6, "full-width colon"),
        ("id: x\nactions:\n  - id: A1\n　　owner: 刘洋\n", 4, 1, "full-width space '　' in the indentation"),
        ("id: x\nactions:\n\t- id: A1\n", 3, 1, "tab in the indentation"),
    ],
)
def test_input_method_slips_are_named_on_their_own_line(text: str, line: int, column: int, words: str) -> None:
    error = error_of(text)
    assert (error.code, error.line, error.column) == ("RG002", line, column)
    assert words in error.message


def test_full_width_colon_inside_a_value_is_text() -> None:
    document = parse_text(Path("x.yaml"), "id: x\nobjective: 目标：复购率 65%\n")
    assert document.data["objective"] == "目标：复购率 65%"


def test_a_key_without_colon_is_reported_where_the_key_starts() -> None:
    error = error_of("id: x\ntitle abc\nteam: t\n")
    assert (error.code, error.line) == ("RG002", 2)
    assert "key without a colon" in error.message


def test_an_integer_past_pythons_digit_limit_is_a_value_not_a_crash() -> None:
    document = parse_text(Path("x.yaml"), "id: x\nbig: " + "9" * 4301 + "\n")
    assert document.data["big"] == float("inf")  # the schema's range refuses it on its line


def test_a_fifo_is_refused_without_waiting_for_a_writer(tmp_path: Path) -> None:
    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)
    assert check_paths([tmp_path], OPTIONS).files == []  # a folder's walk takes regular files only
    result = check_paths([fifo], OPTIONS)
    assert [(f.code, f.path.endswith("pipe.yaml")) for f in result.findings] == [("RG010", True)]
    assert "not a regular file" in result.findings[0].message


def test_a_link_to_a_device_is_refused_before_reading(tmp_path: Path) -> None:
    link = tmp_path / "zero.yaml"
    link.symlink_to("/dev/zero")
    result = check_paths([link], CheckOptions(TODAY, root=Path("/")))
    assert [f.code for f in result.findings] == ["RG010"]
    assert result.findings[0].path.endswith("zero.yaml")  # shown as named, not as /dev/zero


def test_a_link_out_of_the_knowledge_base_is_not_followed(tmp_path: Path) -> None:
    secret = tmp_path / "outside" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("root:x:0:0:root:/root:/bin/bash\n")
    kb = tmp_path / "kb"
    (kb / "reviews").mkdir(parents=True)
    (kb / "reviews" / "leak.yaml").symlink_to(secret)
    result = check_paths([kb / "reviews"], CheckOptions(TODAY, root=kb), reviews_dir=kb / "reviews")
    assert [f.code for f in result.findings] == ["RG010"]
    assert "root:x" not in result.findings[0].message
    assert "outside the knowledge base" in result.findings[0].message


def test_a_link_inside_the_knowledge_base_is_followed(tmp_path: Path) -> None:
    (tmp_path / "reviews").mkdir()
    target = tmp_path / "reviews" / "2026-q3-east-sales.yaml"
    target.write_bytes((KB / "reviews" / "2026-q3-east-sales.yaml").read_bytes())
    link = tmp_path / "elsewhere.yaml"
    link.symlink_to(target)
    result = check_paths([link], CheckOptions(TODAY, root=tmp_path))
    assert [f.code for f in result.findings if f.code.startswith("RG0")] == []


def test_the_size_limit_is_applied_to_what_is_read(tmp_path: Path) -> None:
    huge = tmp_path / "huge.yaml"
    with huge.open("wb") as handle:  # sparse: 3 GB that take no disk space
        handle.truncate(3 * 1024**3)
    with pytest.raises(ReviewFileError) as caught:
        load_review(huge, max_size=1_048_576)
    assert caught.value.code == "RG007"
    assert "3,221,225,472 bytes" in caught.value.message


def test_the_id_lookup_reads_only_the_head_of_other_reviews(tmp_path: Path) -> None:
    reviews = tmp_path / "reviews"
    reviews.mkdir()
    with (reviews / "huge.yaml").open("wb") as handle:
        handle.write(b"id: huge\n")
        handle.truncate(3 * 1024**3)
    os.mkfifo(reviews / "pipe.yaml")
    (reviews / "small.yaml").write_text("title: x\nid: small\n")
    assert sorted(review_id for review_id, _ in known_ids(reviews, set())) == ["huge", "small"]
