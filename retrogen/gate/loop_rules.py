"""The closed loop's rules, each written once for the gate's cross-checks and the engine's tracker: meeting
order, which action carries which, the previous comparable review and what is overdue on a day.

They read a review through `LoopReview`, the few fields both shapes of a review have (the gate's
`ReviewFacts`, read cheaply with positions to point at, and the engine's typed `Review`), so that the gate
judges a file with the same rule the site and the reports then show."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from typing import Protocol, TypeVar

from retrogen.core.periods import Period
from retrogen.core.status import Status, is_overdue

ActionKey = tuple[str, str]  # review id, action id


class LoopAction(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def status(self) -> Status | None: ...
    @property
    def due(self) -> date | None: ...
    @property
    def carried_from(self) -> str | None: ...


class LoopReview(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def team(self) -> str: ...
    @property
    def held_on(self) -> date: ...
    @property
    def kind(self) -> str | None: ...
    @property
    def period_of(self) -> Period | None: ...
    @property
    def actions(self) -> Sequence[LoopAction]: ...


R = TypeVar("R", bound=LoopReview)
Key = TypeVar("Key")


def meeting_order(review: LoopReview) -> tuple[date, str]:
    """The order reviews were held in: by meeting day, then id (two meetings on one day)."""
    return review.held_on, review.id


def by_team(reviews: Iterable[R]) -> dict[str, list[R]]:
    """Each team's reviews in meeting order."""
    teams: dict[str, list[R]] = defaultdict(list)
    for review in sorted(reviews, key=meeting_order):
        teams[review.team].append(review)
    return dict(teams)


def periodic_reviews(reviews: Iterable[R]) -> dict[tuple[str, Period], R]:
    """Each team's periodic review of each period: what "the previous period" means in 环比, in the
    follow-up section, in `new` and in the gate. Of two reviews of one period, the one held later speaks for it."""
    found: dict[tuple[str, Period], R] = {}
    for review in sorted(reviews, key=meeting_order):
        period = review.period_of
        if review.kind == "periodic" and period is not None:
            found[(review.team, period)] = review
    return found


def adjacent_review(review: LoopReview, periodic: Mapping[tuple[str, Period], R]) -> R | None:
    """The team's review of the period just before `review`'s, of the same granularity (`periodic`: see
    periodic_reviews); None for a review without a period, or when the team has no review of that period."""
    period = review.period_of if review.kind == "periodic" else None
    adjacent = period.previous() if period else None
    return periodic.get((review.team, adjacent)) if adjacent else None


def previous_review(review: R, team: Sequence[R]) -> R | None:
    """The review `review` follows on from: for a periodic review, the team's review of the adjacent earlier
    period held before it; otherwise (or when there is none) the team's latest review held before it (a month
    after a quarter follows the quarter). `team`: the team's reviews in meeting order."""
    earlier = [r for r in team if meeting_order(r) < meeting_order(review)]
    found = adjacent_review(review, periodic_reviews(earlier))
    if found is not None:
        return found
    return earlier[-1] if earlier else None


def carried_key(reference: str) -> ActionKey:
    """`review-id:action-id` of a carried_from as (review id, action id)."""
    review_id, _, action_id = reference.rpartition(":")
    return review_id, action_id


def carries(reviews: Iterable[R]) -> dict[ActionKey, tuple[R, ActionKey]]:
    """Which action carries which: each action some later action continues, the review of the action that
    continues it and that action. An action carries the one its `carried_from` names when that action exists
    in an earlier review of its team; of two that name one action, the first in meeting order carries it
    (the gate refuses the other, RG122). Anything else a `carried_from` names carries nothing (RG120, RG121)."""
    found: dict[ActionKey, tuple[R, ActionKey]] = {}
    for team in by_team(reviews).values():
        held = {r.id: r for r in team}
        for review in team:
            for action in review.actions:
                if not action.carried_from:
                    continue
                source_id, source_action = carried_key(action.carried_from)
                source = held.get(source_id)
                if (
                    source is not None
                    and meeting_order(source) < meeting_order(review)
                    and any(a.id == source_action for a in source.actions)
                ):
                    found.setdefault((source_id, source_action), (review, (review.id, action.id)))
    return found


def carry_chains(carried_from: Mapping[Key, Key]) -> dict[Key, tuple[Key, int]]:
    """For each action that continues another (`carried_from`: action -> the action it continues), the first
    action of its carry chain and the number of carries that led to it (1: it continues an action that was
    not itself carried). The gate (RG221) and the closed loop (slips) both count carries with it. A loop of
    references, which the gate refuses (RG121), stops where it would come round again."""
    chains: dict[Key, tuple[Key, int]] = {}
    for start in carried_from:
        path = [start]
        while path[-1] in carried_from and path[-1] not in chains and carried_from[path[-1]] not in path:
            path.append(carried_from[path[-1]])
        origin, count = chains.get(path[-1], (path[-1], 0))
        for key in reversed(path[:-1]):
            count += 1
            chains[key] = (origin, count)
    return chains


def is_open(action: LoopAction) -> bool:
    """Whether its review still owes work on the action: a status neither done nor cancelled."""
    return action.status is not None and action.status.is_open


def overdue_on(action: LoopAction, key: ActionKey, carried: Mapping[ActionKey, object], day: date) -> bool:
    """Whether the action is overdue on `day`: open in its review past its due date, and not carried into a
    later review (`carried`: see carries(); it lives on in the action it became)."""
    return action.status is not None and is_overdue(action.status, action.due, day) and key not in carried
