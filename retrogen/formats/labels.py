"""Words that are more than a lookup: how far a carried action slipped, and a count with its noun. The
words themselves are in the catalogue (core/words.py)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Protocol

from retrogen.core.words import language_of


class Slipped(Protocol):
    """How far an action moved along its carry chain (the engine's `Slip`)."""

    @property
    def original_due(self) -> date: ...
    @property
    def carries(self) -> int: ...
    @property
    def slip_days(self) -> int: ...


def slip_note(slip: Slipped, language: str, day: Callable[[date], str] = date.isoformat) -> str:
    """How far a carried action has moved from its first due date, as its review's page says it:
    "原定 2026-09-30 · 第2次结转 · 推迟 45 天", "originally due 2026-09-30 · carried twice · slipped 45 days";
    the date as `day` writes it."""
    days, due = abs(slip.slip_days), day(slip.original_due)
    if language_of(language) == "zh":
        moved = f"推迟 {days} 天" if slip.slip_days >= 0 else f"提前 {days} 天"
        return f"原定 {due} · 第{slip.carries}次结转 · {moved}"
    times = {1: "once", 2: "twice"}.get(slip.carries, f"{slip.carries} times")
    moved = f"{'slipped' if slip.slip_days >= 0 else 'brought forward'} {days} day{'' if days == 1 else 's'}"
    return f"originally due {due} · carried {times} · {moved}"


def counted(count: int, noun: str, text: dict[str, str]) -> str:
    """`1 review`, `4 reviews`: the label `noun` (the plural) or `noun_one` for one, in `text`'s language."""
    return f"{count} {text[f'{noun}_one'] if count == 1 else text[noun]}"
