"""The playbook: lessons from every review grouped by theme (tag), practices to repeat and pitfalls to avoid."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from retrogen.labels import labels
from retrogen.model import Action, Lesson, Review
from retrogen.render import environment


@dataclass(frozen=True)
class TrackedAction:
    review: Review
    action: Action
    status: str
    overdue: bool


@dataclass(frozen=True)
class Entry:
    lesson: Lesson
    review: Review
    actions: tuple[TrackedAction, ...] = ()


@dataclass
class Theme:
    name: str  # the tag; "" for lessons without one
    practices: list[Entry] = field(default_factory=list)
    pitfalls: list[Entry] = field(default_factory=list)

    @property
    def entries(self) -> list[Entry]:
        return self.practices + self.pitfalls

    @property
    def reviews(self) -> int:
        return len({e.review.id for e in self.entries})

    @property
    def teams(self) -> int:
        return len({e.review.team for e in self.entries})

    @property
    def last_seen(self) -> date:
        return max(e.review.held_on for e in self.entries)

    @property
    def recurring(self) -> bool:
        return self.teams >= 2 or len({e.review.period for e in self.entries}) >= 2


def build_playbook(reviews: list[Review], actions: pd.DataFrame) -> list[Theme]:
    """Themes, most widely seen first; each failure carries the actions that address its problem."""
    status: dict[tuple[str, str], tuple[str, bool]] = {
        (str(row.review), str(row.id)): (str(row.status), bool(row.overdue)) for row in actions.itertuples()}
    themes: dict[str, Theme] = {}
    for review in reviews:
        for lesson in review.lessons:
            addressing = tuple(
                TrackedAction(review, a, *status[(review.id, a.id)]) for a in review.actions
                if lesson.problem and lesson.problem in a.addresses and (review.id, a.id) in status
            )
            entry = Entry(lesson, review, addressing if lesson.type == "failure" else ())
            for tag in lesson.tags or ("",):
                theme = themes.setdefault(tag, Theme(tag))
                (theme.practices if lesson.type == "success" else theme.pitfalls).append(entry)
    for theme in themes.values():
        for entries in (theme.practices, theme.pitfalls):
            entries.sort(key=lambda e: (e.review.held_on, e.review.id, e.lesson.id), reverse=True)
    return sorted(themes.values(), key=lambda t: (t.name == "", -t.reviews, -t.teams, -t.last_seen.toordinal(),
                                                  t.name))


def playbook_markdown(themes: list[Theme], language: str, today: date, review_link: str = "",
                      link_suffix: str = "/") -> str:
    """The playbook as one Markdown document; with `review_link`, sources link to review pages (the site)."""
    template = environment("templates").get_template("playbook.md.j2")
    return template.render(themes=themes, text=labels(language), today=today, review_link=review_link,
                           link_suffix=link_suffix)
