"""Who has what to follow up as of a day: per owner, the actions overdue, due soon and gone quiet.

The digest reads the same action table as `retrogen actions` (one state per action), so its counts are
that command's counts: a carried action is `carried` in its old review and is reminded, if still open, as
the action of the review that carries it.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from functools import cached_property
from typing import Any, NamedTuple

from retrogen.core.status import ACTIVE_STATES, State
from retrogen.engine.analysis import Analysis
from retrogen.formats.urls import SiteUrls, item

DEFAULT_WITHIN = 7
DEFAULT_STALE = 30


class Reason(StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"
    STALE = "stale"


class Item(NamedTuple):  # a named tuple: made in a fraction of a frozen dataclass's time, 17,000 at 10,000 reviews
    review: str
    id: str
    action: str
    due: date
    days_late: int | None  # days past due so far; None when not overdue
    state: str
    last_update: date  # the latest day its status changed or an update was written
    reasons: tuple[Reason, ...]
    link: str | None  # its place on its review's page of the site, when mkdocs.yml has site_url

    def as_dict(self) -> dict[str, Any]:
        return {
            "review": self.review,
            "id": self.id,
            "action": self.action,
            "due": self.due.isoformat(),
            "days_late": self.days_late,
            "state": self.state,
            "last_update": self.last_update.isoformat(),
            "reasons": [str(r) for r in self.reasons],
            "link": self.link,
        }


@dataclass(frozen=True)
class OwnerDigest:
    owner: str
    items: tuple[Item, ...]

    def count(self, reason: Reason) -> int:
        return self._counts[reason]

    @cached_property
    def _counts(self) -> Counter[Reason]:
        """The items of each reason, counted once: the digest's title and the owner's section both ask (at
        10,000 reviews, 100,000 passes over items)."""
        return Counter(reason for item in self.items for reason in set(item.reasons))

    def as_dict(self) -> dict[str, Any]:
        return {
            "owner": self.owner,
            **{str(r): self.count(r) for r in Reason},
            "items": [item.as_dict() for item in self.items],
        }


def build_digest(
    analysis: Analysis,
    within: int = DEFAULT_WITHIN,
    stale: int = DEFAULT_STALE,
    team: str | None = None,
    owner: str | None = None,
    urls: SiteUrls | None = None,
) -> list[OwnerDigest]:
    """Per owner (by name), the open actions to remind: overdue, due within `within` days, or with no update
    for `stale` days or more. An action can have several reasons; it is listed once, in order of severity
    (`by_severity`). With `urls` (and a site_url in them) each action links to its place on the site."""
    today = analysis.today
    # The open ones only, read from the actions' states, not the action table: its 25 columns for every
    # action cost a command at 10,000 reviews a tenth of a second. Their order is by_severity's.
    found = analysis.action_states
    reviews = {r.id: r for r in analysis.knowledge_base.reviews}
    owners: dict[str, list[Item]] = {}
    linked = urls if urls is not None and urls.site_url else None  # no site_url: no item has a link
    for at in found.chosen(ACTIVE_STATES, team=team, owners={owner} if owner else None):
        action = found.actions[at]
        key, state, due = found.keys[at], found.states[at], action.due
        last = analysis.last_update(reviews[key[0]], key[1])
        reasons = []
        if state == State.OVERDUE:
            reasons.append(Reason.OVERDUE)
        elif (due - today).days <= within:  # days apart, never today + within: that may not be a date
            reasons.append(Reason.DUE_SOON)
        if (today - last).days >= stale:
            reasons.append(Reason.STALE)
        if reasons:
            owners.setdefault(action.owner, []).append(
                Item(
                    *key,
                    action=action.action,
                    due=due,
                    days_late=found.days_late[at],
                    state=str(state),
                    last_update=last,
                    reasons=tuple(reasons),
                    link=linked.absolute(item(*key)) if linked else None,
                )
            )
    return [OwnerDigest(name, by_severity(items)) for name, items in sorted(owners.items())]


def by_severity(items: list[Item]) -> tuple[Item, ...]:
    """An owner's items, the most pressing first: overdue (the most days late first), then due soon (the
    soonest first), then the ones only gone quiet (the longest quiet first)."""

    def severity(item: Item) -> tuple[int, int, str, str]:
        if Reason.OVERDUE in item.reasons:
            return 0, -(item.days_late or 0), item.review, item.id
        if Reason.DUE_SOON in item.reasons:
            return 1, item.due.toordinal(), item.review, item.id
        return 2, item.last_update.toordinal(), item.review, item.id

    return tuple(sorted(items, key=severity))
