"""The playbook: lessons from every review grouped by theme (tag), practices to repeat and pitfalls to avoid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, cast

import pandas as pd

from retrogen.labels import labels
from retrogen.loop import Verdict
from retrogen.metrics import is_recurring
from retrogen.model import Action, Lesson, Review
from retrogen.render import environment


@dataclass(frozen=True)
class TrackedAction:
    review: Review
    action: Action
    state: str  # open, overdue, done, cancelled or carried: the action tracker's state today
    verification: str | None  # achieved, missed, pending, no_data; None without `expects`


@dataclass(frozen=True)
class Entry:
    lesson: Lesson
    review: Review
    actions: tuple[TrackedAction, ...] = ()

    @property
    def proven(self) -> bool:
        """An action taken on the lesson's problem was verified: the metric it named reached its target."""
        return any(tracked.verification == Verdict.ACHIEVED for tracked in self.actions)


@dataclass
class Theme:
    name: str  # the tag; "" for lessons without one
    practices: list[Entry] = field(default_factory=list)
    pitfalls: list[Entry] = field(default_factory=list)
    # Where the theme was seen, counted as `metrics --themes` counts it (tags of reviews and of lessons).
    reviews: int = 0
    teams: int = 0
    last_seen: date = date.min
    recurring: bool = False

    @property
    def entries(self) -> list[Entry]:
        return self.practices + self.pitfalls

    @property
    def proven(self) -> int:
        return sum(entry.proven for entry in self.entries)


def build_playbook(reviews: list[Review], actions: pd.DataFrame, themes: pd.DataFrame) -> list[Theme]:
    """Themes, proven and most widely seen first; each lesson carries the actions taken on its problem, with
    their state and verdict. `themes` is the recurring-themes table, so both count a theme the same way."""
    tracked: dict[tuple[str, str], tuple[str, str | None]] = {
        (row["review"], row["id"]): (row["state"], _text_or_none(row["verification"])) for row in _rows(actions)}
    found: dict[str, Theme] = {}
    for review in reviews:
        for lesson in review.lessons:
            addressing = tuple(
                TrackedAction(review, a, *tracked[(review.id, a.id)]) for a in review.actions
                if lesson.problem and lesson.problem in a.addresses and (review.id, a.id) in tracked
            )
            entry = Entry(lesson, review, addressing)
            for tag in lesson.tags or ("",):
                theme = found.setdefault(tag, Theme(tag))
                (theme.practices if lesson.type == "success" else theme.pitfalls).append(entry)
    reach = {str(row["theme"]): row for row in _rows(themes[themes["kind"] == "tag"])}
    for theme in found.values():
        for entries in (theme.practices, theme.pitfalls):
            entries.sort(key=lambda e: (e.proven, e.review.held_on, e.review.id, e.lesson.id), reverse=True)
        row = reach.get(theme.name)
        seen = [e.review for e in theme.entries]
        theme.reviews = int(row["reviews"]) if row else len({r.id for r in seen})
        theme.teams = int(row["teams"]) if row else len({r.team for r in seen})
        theme.last_seen = row["last_seen"] if row else max(r.held_on for r in seen)
        theme.recurring = bool(row["recurring"]) if row else is_recurring(seen)
    return sorted(found.values(), key=lambda t: (t.name == "", -t.proven, -t.reviews, -t.teams,
                                                 -t.last_seen.toordinal(), t.name))


def _text_or_none(value: Any) -> str | None:
    return value if isinstance(value, str) else None  # pandas gives NaN for a missing text


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def playbook_markdown(themes: list[Theme], language: str, today: date, review_link: str = "",
                      link_suffix: str = "/") -> str:
    """The playbook as one Markdown document; with `review_link`, sources link to review pages (the site)."""
    template = environment("templates").get_template("playbook.md.j2")
    return template.render(themes=themes, text=labels(language), today=today, review_link=review_link,
                           link_suffix=link_suffix)
