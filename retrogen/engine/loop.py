"""The closed loop (发现 → 解决 → 验证) over typed reviews: where each action was carried, what state it was
in on a given day, and whether the result it expected came.

- Carry: an action with `carried_from: R:A` continues action A of the earlier review R of the same team.
  From the day R's successor was held, A is `carried`: neither open nor overdue in R any more.
- Slip: along a chain of carries (A carried into B, B into C, ...), each action's original due date is the
  due date of the chain's first action, its carries are the carries that led to it, and its slip is its own
  due date minus the original one, in days: a new due date never hides the one first agreed.
- Verify: an action with `expects: {metric, target, by}` is decided by the first review of its team held on
  or after `by` (and by today) that reports the metric: `achieved` or `missed`, judged with that metric's
  `better`. Before any such review is held it is `pending`; when later reviews exist but none reports the
  metric, `no_data`. A met expectation is credit for the action only when the action was done by `by` (its
  `done_on` on or before `by`; done without a `done_on`, which check refuses, counts as done): otherwise
  (cancelled, carried, still open, or done after `by`) it is `met_without_action`, decided but not achieved.

Nothing here formats anything: the tables, reports and pages say it in their own words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from retrogen.core.rates import met
from retrogen.core.status import ACTIVE_STATES, State, Status, state_of
from retrogen.engine.history import ActionKey, StatusEvent, status_on
from retrogen.engine.model import Action, Metric, Review
from retrogen.gate.loop_rules import by_team, carry_chains, meeting_order, previous_review
from retrogen.gate.loop_rules import carries as carried_by


class Verdict(StrEnum):
    ACHIEVED = "achieved"
    MISSED = "missed"
    PENDING = "pending"
    NO_DATA = "no_data"
    MET_WITHOUT_ACTION = "met_without_action"  # the metric reached its target, the action was not done by `by`


DECIDED = (Verdict.ACHIEVED, Verdict.MISSED, Verdict.MET_WITHOUT_ACTION)


@dataclass(frozen=True)
class Verification:
    verdict: Verdict
    metric: str
    target: float
    by: date
    review: str | None = None  # the review that decided it
    actual: float | None = None
    better: str | None = None


Carries = dict[ActionKey, tuple[date, ActionKey]]  # action -> (day it was carried, the action it became)


@dataclass(frozen=True)
class Slip:
    """Where an action stands on its carry chain: an action never carried into is its own original."""

    original_due: date
    carries: int = 0
    slip_days: int = 0


@dataclass
class ClosedLoop:
    carried: Carries = field(default_factory=dict)
    verifications: dict[ActionKey, Verification] = field(default_factory=dict)
    # Each team's reviews in meeting order, and the actions whose verdict each review decided: indexes built
    # once, so that a page per review does not scan the whole knowledge base.
    teams: dict[str, list[Review]] = field(default_factory=dict)
    decided_by: dict[str, list[tuple[Review, Action]]] = field(default_factory=dict)
    deciders: dict[str, list[Review]] = field(default_factory=dict)  # by review id, as asked: see deciders_of()
    slips: dict[ActionKey, Slip] = field(default_factory=dict)  # the actions that continue another: see slips()

    def slip_of(self, key: ActionKey, action: Action) -> Slip:
        """The action's slip; an action that continues none is its own original, never carried."""
        return self.slips.get(key) or Slip(action.due)

    def deciders_of(self, review: Review) -> list[Review]:
        """The reviews that may decide the verdicts of `review`'s actions (deciders()), found the first time
        they are asked for: only actions that expect a result need them, and a team's reviews each scan the
        team's."""
        found = self.deciders.get(review.id)
        if found is None:
            found = self.deciders[review.id] = deciders(review, self.teams.get(review.team, []))
        return found

    def state_on(self, action: Action, timeline: list[StatusEvent], day: date) -> State | None:
        """The action's state on `day`, or None when its review had not been held yet."""
        status = status_on(timeline, day)
        return None if status is None else state_of(status, action.due, day)


def done_by(action: Action, day: date) -> bool:
    """Whether the action was done on or before `day`, as its file says: status done with a `done_on` no later
    than `day`, or done without a `done_on` (check refuses that, RG140; its file is all there is to go on)."""
    return action.status is Status.DONE and (action.done_on is None or action.done_on <= day)


def verify(action: Action, later: list[Review], today: date) -> Verification | None:
    """The verdict on the action's expected result as of `today`; `later` are the reviews that may decide it
    (its team's, held after its own, oldest first)."""
    expects = action.expects
    if expects is None:
        return None
    held = [r for r in later if expects.by <= r.held_on <= today]
    for review in held:
        metric: Metric | None = next((m for m in review.metrics if m.name == expects.metric), None)
        reached = None if metric is None else met(expects.target, metric.actual, metric.better)
        if metric is not None and reached is not None:  # None: NaN, a value past any sane range
            if not reached:
                verdict = Verdict.MISSED
            else:  # a target met while the action was never done is no credit for the action
                verdict = Verdict.ACHIEVED if done_by(action, expects.by) else Verdict.MET_WITHOUT_ACTION
            return Verification(
                verdict, expects.metric, expects.target, expects.by, review.id, metric.actual, metric.better
            )
    return Verification(Verdict.NO_DATA if held else Verdict.PENDING, expects.metric, expects.target, expects.by)


def deciders(review: Review, team: list[Review]) -> list[Review]:
    """The reviews that may decide the verdicts of `review`'s actions: the team's later ones, and for a
    periodic review only those of the same granularity (a monthly figure does not judge a quarterly goal)."""
    later = [r for r in team if meeting_order(r) > meeting_order(review)]
    period = review.period_of if review.kind == "periodic" else None
    if period is None:
        return later
    return [
        r
        for r in later
        if r.kind == "periodic" and r.period_of is not None and r.period_of.granularity == period.granularity
    ]


def carries(reviews: Iterable[Review]) -> Carries:
    """Every carried action (the rule: loop_rules.carries, as the gate judges it): the day the review that
    carries it was held, and the action it became."""
    return {source: (review.held_on, target) for source, (review, target) in carried_by(reviews).items()}


def slips(reviews: Iterable[Review], carried: Carries) -> dict[ActionKey, Slip]:
    """The slip of every action that continues another (`carried`: see carries()): the original due date of
    its chain, the carries that led to it and how many days its due date is past the original one."""
    dues = {(r.id, a.id): a.due for r in reviews for a in r.actions}
    chains = carry_chains({target: source for source, (_, target) in carried.items()})
    return {
        key: Slip(dues[origin], count, (dues[key] - dues[origin]).days)
        for key, (origin, count) in chains.items()
        if key in dues and origin in dues
    }


def closed_loop(reviews: Iterable[Review], today: date) -> ClosedLoop:
    """Carries, slips and verdicts of every action of the knowledge base, as of `today`."""
    teams = by_team(reviews)
    everything = [r for team in teams.values() for r in team]
    loop = ClosedLoop(carries(everything), teams=teams)
    loop.slips = slips(everything, loop.carried)
    for team in teams.values():
        for review in team:
            for action in review.actions:
                if action.expects is None:
                    continue  # no result to verify
                verification = verify(action, loop.deciders_of(review), today)
                if verification is not None:
                    loop.verifications[(review.id, action.id)] = verification
                    if verification.review:
                        loop.decided_by.setdefault(verification.review, []).append((review, action))
    return loop


@dataclass(frozen=True)
class FollowUpRow:
    review: str
    action: Action
    state: State
    verification: Verification | None


@dataclass(frozen=True)
class FollowUp:
    """What a review meeting starts with (上期行动回顾): every action of the team decided since the previous
    comparable review (that review and any held since, such as the months between two quarters), and every
    older one still open, in their state on the day of the meeting, grouped by review; and the verdicts this
    review decides."""

    previous: Review | None
    groups: tuple[tuple[Review, tuple[FollowUpRow, ...]], ...]  # by review, in meeting order
    decided: tuple[tuple[str, Action, Verification], ...]  # (review id, action, verdict) decided by this review

    @property
    def rows(self) -> tuple[FollowUpRow, ...]:
        return tuple(row for _, rows in self.groups for row in rows)


def follow_up(review: Review, loop: ClosedLoop, histories: dict[ActionKey, list[StatusEvent]]) -> FollowUp:
    """The follow-up section of `review`'s page (`loop` is the closed loop of the reviews it belongs to)."""
    team = loop.teams.get(review.team, [])
    previous = previous_review(review, team)
    since = meeting_order(previous or review)
    groups = []
    for earlier in team:
        if meeting_order(earlier) >= meeting_order(review):
            break
        rows = []
        for action in earlier.actions:
            key = (earlier.id, action.id)
            state = loop.state_on(action, histories[key], review.held_on)
            if state is None:
                continue
            if meeting_order(earlier) >= since or state in ACTIVE_STATES:
                # The verdict as it stood at this meeting, not today's: the page records the meeting.
                verdict = verify(action, loop.deciders_of(earlier), review.held_on) if action.expects else None
                rows.append(FollowUpRow(earlier.id, action, state, verdict))
        if rows:
            groups.append((earlier, tuple(rows)))
    decided = tuple(
        (source.id, action, loop.verifications[(source.id, action.id)])
        for source, action in loop.decided_by.get(review.id, [])
    )
    return FollowUp(previous, tuple(groups), decided)


def still_open(reviews: Iterable[Review], team: str) -> list[tuple[str, Action]]:
    """The team's actions open in their reviews and not carried into a later review, oldest review first:
    what its next review carries forward."""
    team_reviews = sorted((r for r in reviews if r.team == team), key=meeting_order)
    carried = carries(team_reviews)
    return [(r.id, a) for r in team_reviews for a in r.actions if a.status.is_open and (r.id, a.id) not in carried]
