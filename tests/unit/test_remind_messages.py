"""Long digests become several messages, each within a platform's limit, cut only where they must be."""

from __future__ import annotations

from retrogen.notify.messages import pack


def test_parts_stay_whole_when_they_fit() -> None:
    assert pack(["aaa", "bbb", "ccc"], 8) == ["aaa\n\nbbb", "ccc"]


def test_a_part_too_long_is_split_at_its_lines() -> None:
    assert pack(["head", "1234\n5678\n9"], 9) == ["head", "1234\n5678", "9"]


def test_a_line_too_long_is_cut_on_a_character_boundary() -> None:
    (message,) = pack(["负责人" * 10], 20)
    assert len(message.encode()) <= 20
    assert message == "负责人负责…"  # 15 bytes of characters and the 3-byte mark; never half a character


def test_nothing_to_pack() -> None:
    assert pack([], 10) == []
