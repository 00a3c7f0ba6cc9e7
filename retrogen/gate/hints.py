"""What a fix looks like, in the review's own language and for today's date.

A finding ends with an example of the fix (`owner: 张伟`). An English review gets an English name, and a
due date in the example always lies ahead of the day the check runs, never in a year that has passed.
"""

from __future__ import annotations

import calendar
import difflib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from retrogen.core.periods import LAST_YEAR
from retrogen.core.words import Language, catalogue, language_of

_TEXT_FIELDS = ("title", "objective", "team")


def did_you_mean(word: str, choices: Iterable[str], otherwise: str = "", cutoff: float = 0.5) -> str:
    """ "did you mean 'X'?" naming the choice closest to `word`, or `otherwise` when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=cutoff)
    return f"did you mean {close[0]!r}?" if close else otherwise


def is_placeholder(value: str) -> bool:
    """True for the template's `TODO: …` placeholders, which must be replaced before a review passes."""
    return value.lstrip().upper().startswith("TODO")


@dataclass(frozen=True)
class Hints:
    """The examples a review's findings end with: in its language, with a due date ahead of today."""

    owner: str
    due: str
    checkpoint: str

    @classmethod
    def for_review(cls, data: dict[str, Any], today: date | None) -> Hints:
        words = catalogue(review_language(data))
        return cls(
            f"owner: {words.example_owner}",
            example_due(today) if today else "due: YYYY-MM-DD",
            f"checkpoint: {words.example_checkpoint}",
        )


def review_language(data: dict[str, Any]) -> Language:
    """`lang` when the review states it, else zh when its title, objective or team are mostly Chinese."""
    return language_of(data.get("lang"), " ".join(str(data.get(name, "")) for name in _TEXT_FIELDS))


def example_due(today: date) -> str:
    """`due: ` the last day of next month: a plausible deadline that is never in the past, and never past the
    last day a review may name (in December of the last year, that day itself)."""
    if today.year >= LAST_YEAR and today.month == 12:
        return f"due: {date(LAST_YEAR, 12, 31).isoformat()}"
    year, month = (today.year + 1, 1) if today.month == 12 else (today.year, today.month + 1)
    return f"due: {date(year, month, calendar.monthrange(year, month)[1]).isoformat()}"
