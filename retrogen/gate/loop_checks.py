"""Checks across reviews: the closed loop (闭环) as the gate sees it.

A review's actions continue in the team's next review (`carried_from`), the latest review of a team must
follow up every earlier action that is still open, an action's `expects` names a metric the team reports,
and a `previous` a review states agrees with what the earlier period reported. These checks need other
reviews than the one being edited, so they work on `ReviewFacts`: the few fields of a review they read,
with the positions to point at, small enough to keep for a whole knowledge base.
"""

from __future__ import annotations

import difflib
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date

from retrogen.core.bulk import pickled_plainly
from retrogen.core.periods import Granularity, Period, months_of, quarters_of
from retrogen.core.rates import is_additive, met, missed_in_a_row
from retrogen.core.status import DEFAULT_STATUS, Status, as_status
from retrogen.gate.loader import Document, FieldPath, Position, field_name
from retrogen.gate.loop_rules import (
    ActionKey,
    adjacent_review,
    by_team,
    carried_key,
    carries,
    carry_chains,
    is_open,
    meeting_order,
    overdue_on,
    periodic_reviews,
    previous_review,
)
from retrogen.gate.review_checks import as_date, entries, number, text
from retrogen.gate.settings import DEFAULTS

Carried = dict[ActionKey, tuple["ReviewFacts", ActionKey]]  # see loop_rules.carries

# A stated `previous` may differ from the earlier review's actual by rounding, not by more.
PREVIOUS_TOLERANCE = 0.005


def previous_agrees(stated: float, actual: float) -> bool:
    """A `previous` a review states is the earlier period's actual, up to rounding: what `new` pre-fills."""
    return abs(stated - actual) <= PREVIOUS_TOLERANCE * max(abs(actual), 1e-9)


@dataclass(frozen=True, slots=True)
class ActionFacts:
    id: str
    owner: str
    due: date | None
    status: Status | None  # None: no status of the vocabulary (the schema reports it)
    done_on: date | None
    carried_from: str | None
    expects_metric: str | None
    at: Position
    due_at: Position
    carried_from_at: Position
    expects_at: Position
    addresses: tuple[str, ...] = ()  # the problems (ids) the action is meant to fix

    def __post_init__(self) -> None:
        if self.status is not None:
            object.__setattr__(self, "status", as_status(self.status))


@dataclass(frozen=True, slots=True)
class MetricFacts:
    name: str
    unit: str
    actual: float
    previous: float | None
    previous_at: Position
    target: float | None = None
    better: str = "higher"
    at: Position | None = None  # the metric's name: where a repeated miss is flagged


@dataclass(frozen=True, slots=True)
class ProblemFacts:
    id: str
    factor: str
    tags: frozenset[str]  # of the lessons drawn from the problem: its root cause's theme
    at: Position


@dataclass(frozen=True, slots=True)
class ReviewFacts:
    id: str
    display: str
    team: str
    held_on: date
    period: Period | None  # of a periodic review: what 环比 compares with
    actions: tuple[ActionFacts, ...]
    metrics: tuple[MetricFacts, ...]
    actions_at: Position  # where follow-up warnings go: the `actions` key, else the id
    kind: str | None = None
    problems: tuple[ProblemFacts, ...] = ()

    @property
    def period_of(self) -> Period | None:
        return self.period

    def action(self, action_id: str) -> ActionFacts | None:
        return next((a for a in self.actions if a.id == action_id), None)


# Slotted, and read back by pickle's own path: every review's facts are in the index and the snapshot.
pickled_plainly(ActionFacts, MetricFacts, ProblemFacts, ReviewFacts)


@dataclass(frozen=True)
class CrossIssue:
    display: str
    position: Position
    code: str
    message: str
    field: str


def facts_of(document: Document, display: str) -> ReviewFacts | None:
    """The facts of a review that passed the schema; None when its id, team or meeting date is unusable."""
    data = document.data
    review_id, team, held_on = text(data, "id"), text(data, "team"), as_date(data.get("held_on"))
    if review_id is None or team is None or held_on is None:
        return None
    period_data = data.get("period")
    period = None
    if isinstance(period_data, dict):
        start, end = as_date(period_data.get("start")), as_date(period_data.get("end"))
        periodic = data.get("kind") == "periodic"
        period = Period(start, end) if periodic and start and end and start <= end else None
    actions = []
    for index, action in entries(data, "actions"):
        path: FieldPath = ("actions", index)
        expects = action.get("expects")
        action_id = text(action, "id")
        if action_id is None:
            continue
        actions.append(
            ActionFacts(
                id=action_id,
                owner=text(action, "owner") or "",
                due=as_date(action.get("due")),
                status=Status.parse(text(action, "status") or DEFAULT_STATUS),
                done_on=as_date(action.get("done_on")),
                carried_from=text(action, "carried_from"),
                expects_metric=text(expects, "metric") if isinstance(expects, dict) else None,
                at=document.locate((*path, "id")),
                due_at=document.locate((*path, "due")),
                carried_from_at=document.locate((*path, "carried_from")),
                expects_at=document.locate((*path, "expects", "metric")),
                addresses=tuple(a for a in action.get("addresses") or () if isinstance(a, str)),
            )
        )
    metrics = []
    for index, metric in entries(data, "metrics"):
        name, actual = text(metric, "name"), number(metric.get("actual"))
        if name is None or actual is None:
            continue
        metrics.append(
            MetricFacts(
                name,
                text(metric, "unit") or "",
                actual,
                number(metric.get("previous")),
                document.locate(("metrics", index, "previous")),
                number(metric.get("target")),
                text(metric, "better") or "higher",
                document.locate(("metrics", index, "name")),
            )
        )
    lesson_tags: dict[str, set[str]] = defaultdict(set)
    for _, lesson in entries(data, "lessons"):
        about, tags = text(lesson, "problem"), lesson.get("tags")
        if about is not None and isinstance(tags, list):
            lesson_tags[about] |= {t for t in tags if isinstance(t, str)}
    problems = []
    for index, problem in entries(data, "problems"):
        problem_id, factor = text(problem, "id"), text(problem, "factor")
        if problem_id is not None and factor is not None:
            problems.append(
                ProblemFacts(
                    problem_id,
                    factor,
                    frozenset(lesson_tags[problem_id]),
                    document.locate(("problems", index, "factor")),
                )
            )
    actions_at = document.keys.get(("actions",)) or document.locate(("id",))
    return ReviewFacts(
        review_id,
        display,
        team,
        held_on,
        period,
        tuple(actions),
        tuple(metrics),
        actions_at,
        text(data, "kind"),
        tuple(problems),
    )


def same_cause(factor: str, tags: frozenset[str], other_factor: str, other_tags: frozenset[str]) -> bool:
    """Whether two problems share a root cause's theme: the same fishbone factor, and a tag in common among
    the lessons drawn from them when either has one (a factor alone is too broad once a lesson names more)."""
    return factor == other_factor and (not (tags or other_tags) or bool(tags & other_tags))


@dataclass
class _Team:
    """One team's reviews, oldest first, with what the checks look up in them computed once."""

    reviews: list[ReviewFacts] = field(default_factory=list)
    metric_names: list[str] = field(default_factory=list)
    by_period: dict[Period, ReviewFacts] = field(default_factory=dict)
    # the latest (end, start) of the team's periods of each granularity: asked for each periodic review, it
    # was a walk of all the team's periods each time (0.6 s of a check at 10,000 reviews)
    latest: dict[Granularity, tuple[date, date]] = field(default_factory=dict)


def _teams(reviews: Iterable[ReviewFacts], periodic: dict[tuple[str, Period], ReviewFacts]) -> dict[str, _Team]:
    teams = {name: _Team(held) for name, held in by_team(reviews).items()}
    for (name, period), review in periodic.items():
        team = teams[name]
        team.by_period[period] = review
        granularity, ends = period.granularity, (period.end, period.start)
        team.latest[granularity] = max(team.latest.get(granularity, ends), ends)
    for team in teams.values():
        team.metric_names = sorted({m.name for r in team.reviews for m in r.metrics})
    return teams


def cross_issues(
    reviews: Iterable[ReviewFacts],
    checked: set[str],
    today: date,
    repeated_miss_periods: int = DEFAULTS.repeated_miss_periods,
    *,
    errors_only: bool = False,
) -> Iterator[CrossIssue]:
    """Every closed-loop issue of the reviews whose ids are in `checked`, judged against all `reviews` as of
    `today`. Overdue is judged here too: an action carried into a later review is no longer overdue. A KPI
    missed in `repeated_miss_periods` comparable periods in a row is flagged on the team's latest periodic
    review of that cadence. `errors_only`: only the errors (a wrong carried_from), what decides whether a
    review is left out of the figures, without the cost of the warnings."""
    by_id = {r.id: r for r in reviews}
    if errors_only:
        carried = carries(by_id.values())
        for review_id in sorted(checked & by_id.keys()):
            yield from (i for i in _carry_issues(by_id[review_id], by_id, carried) if i.code in CARRY_ERRORS)
        return
    periodic = periodic_reviews(by_id.values())
    teams = _teams(by_id.values(), periodic)
    carried = carries(by_id.values())
    chains = carry_chains({target: source for source, (_, target) in carried.items()})
    for review_id in sorted(checked & by_id.keys()):
        review = by_id[review_id]
        team = teams[review.team]
        yield from _overdue_issues(review, carried, today)
        yield from _carry_issues(review, by_id, carried)
        yield from _repeated_carry_issues(review, by_id, chains)
        yield from _figure_issues(review, team, periodic, repeated_miss_periods)
        if team.reviews[-1] is review:
            previous = _previous_comparable(review, team)
            yield from _follow_up_issues(review, team.reviews[:-1], previous, carried)
            yield from _recurring_cause_issues(review, previous_review(review, team.reviews), carried)


# The issues that read the reviews' figures (ReviewFacts.metrics), each judged within the review's team alone;
# no other issue reads them. A review's issues come in cross_issues' order: those of FIGURES_FOLLOWED_BY come
# after these, the others before them.
FIGURE_CODES = frozenset({"RG217", "RG218", "RG223", "RG224"})
FIGURES_FOLLOWED_BY = frozenset({"RG216", "RG222"})


def figure_issues(
    reviews: Iterable[ReviewFacts], checked: set[str], repeated_miss_periods: int = DEFAULTS.repeated_miss_periods
) -> Iterator[CrossIssue]:
    """The issues of FIGURE_CODES alone of the reviews whose ids are in `checked`, as cross_issues judges
    them: `reviews` must hold every review of their teams (those of other teams change nothing)."""
    by_id = {r.id: r for r in reviews}
    periodic = periodic_reviews(by_id.values())
    teams = _teams(by_id.values(), periodic)
    for review_id in sorted(checked & by_id.keys()):
        review = by_id[review_id]
        yield from _figure_issues(review, teams[review.team], periodic, repeated_miss_periods)


def _figure_issues(
    review: ReviewFacts, team: _Team, periodic: dict[tuple[str, Period], ReviewFacts], repeated_miss_periods: int
) -> Iterator[CrossIssue]:
    yield from _expects_issues(review, team.metric_names)
    yield from _previous_issues(review, periodic)
    yield from _repeated_miss_issues(review, team, repeated_miss_periods)
    yield from _sum_issues(review, team)


def _overdue_issues(review: ReviewFacts, carried: Carried, today: date) -> Iterator[CrossIssue]:
    for index, action in enumerate(review.actions):
        if overdue_on(action, (review.id, action.id), carried, today):
            yield CrossIssue(
                review.display,
                action.due_at,
                "RG201",
                f"action {action.id} is overdue: due {action.due}, still {action.status}; finish it "
                "or agree a new due date",
                field_name(("actions", index, "due")),
            )


# An action carried this many times is a plan that keeps slipping: time to decide, not to carry it again.
CARRIES_TO_WARN = 3


def _repeated_carry_issues(
    review: ReviewFacts, by_id: dict[str, ReviewFacts], chains: dict[ActionKey, tuple[ActionKey, int]]
) -> Iterator[CrossIssue]:
    for index, action in enumerate(review.actions):
        (origin_review, origin_action), count = chains.get((review.id, action.id), (("", ""), 0))
        if count < CARRIES_TO_WARN:
            continue
        origin = f"{origin_review}:{origin_action}"
        first = by_id[origin_review].action(origin_action)
        first_due = first.due if first else None
        slipped = f", {(action.due - first_due).days} days later" if action.due and first_due else ""
        yield CrossIssue(
            review.display,
            action.carried_from_at,
            "RG221",
            f"action {action.id} is carried forward {count} times: {origin} was first due "
            f"{first_due or 'with no date'}, now {action.due or 'with no date'}{slipped}; rather than "
            "carry it again, re-plan it with its owner, escalate it or cancel it",
            field_name(("actions", index, "carried_from")),
        )


# What _carry_issues finds that is an error (the rest of the cross-file findings are warnings).
CARRY_ERRORS = frozenset({"RG120", "RG121", "RG122"})


def _carry_issues(review: ReviewFacts, by_id: dict[str, ReviewFacts], carried: Carried) -> Iterator[CrossIssue]:
    for index, action in enumerate(review.actions):
        if not action.carried_from:
            continue
        problem = _carry_problem(review, action, by_id)
        first = carried.get(carried_key(action.carried_from))
        if problem is None and first is not None and first[1] != (review.id, action.id):
            problem = (
                "RG122",
                f"{action.carried_from} is already carried forward by {':'.join(first[1])}; one action "
                "continues it, so remove this carried_from or the other",
            )
        if problem:
            code, message = problem
            yield CrossIssue(
                review.display,
                action.carried_from_at,
                code,
                f"action {action.id}: {message}",
                field_name(("actions", index, "carried_from")),
            )


def _carry_problem(review: ReviewFacts, action: ActionFacts, by_id: dict[str, ReviewFacts]) -> tuple[str, str] | None:
    """What is wrong with the action's `carried_from`, as (code, message); None when it is right."""
    source_id, source_action_id = carried_key(action.carried_from or "")
    source = by_id.get(source_id)
    if source is None:
        ids = [r.id for r in by_id.values() if r.team == review.team and r.id != review.id]
        close = difflib.get_close_matches(source_id, ids, n=1)
        hint = f"did you mean {close[0]}?" if close else "write review-id:action-id, e.g. 2026-q3-east-sales:A2"
        return "RG120", f"carried_from names review {source_id!r}, which is not in the knowledge base; {hint}"
    if source is review:
        return "RG121", "carried_from names this same review; name the earlier review the action comes from"
    if source.team != review.team:
        return "RG121", (
            f"carried_from names a review of another team ({source.team}); an action is carried "
            "within its team, name one of its own earlier reviews"
        )
    if meeting_order(source) > meeting_order(review):
        return "RG121", (
            f"carried_from names {source.id}, held {source.held_on}, after this review "
            f"({review.held_on}); an action is carried forward, from an earlier review"
        )
    origin = source.action(source_action_id)
    if origin is None:
        listed = ", ".join(a.id for a in source.actions) or "none"
        return "RG120", f"{source.id} has no action {source_action_id} (its actions: {listed})"
    # Judged on the day of the carrying review: an action done after it was carried was open when carried.
    if origin.status is None or origin.status.is_open:
        return None
    done_later = origin.status is Status.DONE and origin.done_on is not None and origin.done_on >= review.held_on
    if not done_later:
        return "RG215", (
            f"carries {source.id}:{origin.id}, which is already {origin.status}; carry only what "
            "is still open, or start a new action"
        )
    return None


def _expects_issues(review: ReviewFacts, names: list[str]) -> Iterator[CrossIssue]:
    for index, action in enumerate(review.actions):
        if action.expects_metric is None or action.expects_metric in names:
            continue
        close = difflib.get_close_matches(action.expects_metric, names, n=1, cutoff=0.5)
        hint = (
            f"did you mean {close[0]!r}?"
            if close
            else (f"the team reports: {', '.join(names)}" if names else "the team's reviews report no metrics yet")
        )
        yield CrossIssue(
            review.display,
            action.expects_at,
            "RG217",
            f"action {action.id} expects metric {action.expects_metric!r}, which no review of "
            f"{review.team} reports, so it can never be verified; {hint}",
            field_name(("actions", index, "expects", "metric")),
        )


def _previous_issues(review: ReviewFacts, periodic: dict[tuple[str, Period], ReviewFacts]) -> Iterator[CrossIssue]:
    source = adjacent_review(review, periodic)
    if source is None:
        return
    adjacent = source.period
    reported = {(m.name, m.unit): m.actual for m in source.metrics}
    for index, metric in enumerate(review.metrics):
        actual = reported.get((metric.name, metric.unit))
        if metric.previous is None or actual is None:
            continue
        if not previous_agrees(metric.previous, actual):
            yield CrossIssue(
                review.display,
                metric.previous_at,
                "RG218",
                f"metric {metric.name} states previous {metric.previous:g}, but {source.id} "
                f"reported {actual:g} for {adjacent.label if adjacent else 'that period'}; use "
                f"{actual:g} or remove previous",
                field_name(("metrics", index, "previous")),
            )


def _previous_comparable(review: ReviewFacts, team: _Team) -> ReviewFacts | None:
    """The review whose every open action RG216 asks `review` to follow up (stricter than previous_review,
    which also picks up causes across kinds): for a periodic review, the team's review of the adjacent earlier
    period held before it; otherwise the team's latest earlier review of the same kind with no period."""
    earlier = [r for r in team.reviews if meeting_order(r) < meeting_order(review)]
    if review.period is not None:
        return adjacent_review(review, periodic_reviews(earlier))
    alike = [r for r in earlier if r.period is None and r.kind == review.kind]
    return alike[-1] if alike else None


def _follow_up_issues(
    latest: ReviewFacts, earlier: list[ReviewFacts], previous: ReviewFacts | None, carried: Carried
) -> Iterator[CrossIssue]:
    """Every open action not carried that the latest review must follow up: those due by its meeting, and
    every one of the review it follows on from. An action of another review not yet due can wait."""
    for review in earlier:
        if review.held_on >= latest.held_on:
            continue
        for action in review.actions:
            due_by_meeting = action.due is not None and action.due <= latest.held_on
            if is_open(action) and (review.id, action.id) not in carried and (due_by_meeting or review is previous):
                due = f", due {action.due}" if action.due else ""
                yield CrossIssue(
                    latest.display,
                    latest.actions_at,
                    "RG216",
                    f"{action.id} of {review.id} ({action.owner}{due}) is still open and not followed "
                    f"up in this review; carry it (carried_from: {review.id}:{action.id}) or close it "
                    "in its review",
                    "actions",
                )


def _repeated_miss_issues(review: ReviewFacts, team: _Team, least: int) -> Iterator[CrossIssue]:
    """A KPI of the team's latest periodic review of its cadence that missed its target in `least` or more
    comparable periods in a row (the same metric and unit, adjacent periods of the same granularity)."""
    period = review.period
    if period is None or team.by_period.get(period) is not review:
        return
    if team.latest[period.granularity] > (period.end, period.start):
        return

    for index, metric in enumerate(review.metrics):

        def met_in(earlier: Period, metric: MetricFacts = metric) -> bool | None:
            source = team.by_period.get(earlier)
            found = (
                None
                if source is None
                else next((m for m in source.metrics if m.name == metric.name and m.unit == metric.unit), None)
            )
            return None if found is None or found.target is None else met(found.target, found.actual, found.better)

        streak = missed_in_a_row(met_in, period)
        if streak is not None and streak >= least:
            yield CrossIssue(
                review.display,
                metric.at or metric.previous_at,
                "RG223",
                f"metric {metric.name} missed its target {streak} periods in a row (to {period.label}); "
                "name what changes in the actions, or revise the target with whoever set it",
                field_name(("metrics", index, "name")),
            )


# What a period's reviewed parts are called in RG224's message, by granularity.
_PART_WORDS = {Granularity.QUARTER: ("quarterly", "quarter"), Granularity.MONTH: ("monthly", "month")}
_SUMMED = {Granularity.QUARTER: "quarter", Granularity.HALF_YEAR: "half-year", Granularity.YEAR: "year"}


def _summed_parts(period: Period, team: _Team) -> list[ReviewFacts] | None:
    """The team's reviews whose periods add up to `period`: a quarter's three months; a half-year's or a
    year's quarters, each quarter without a review of its own by its three months. None when a part was not
    reviewed."""
    if period.granularity is Granularity.QUARTER:
        months = [team.by_period.get(month) for month in months_of(period)]
        return [source for source in months if source is not None] if None not in months else None
    if period.granularity not in (Granularity.HALF_YEAR, Granularity.YEAR):
        return None
    parts: list[ReviewFacts] = []
    for quarter in quarters_of(period):
        source = team.by_period.get(quarter)
        reviewed = [source] if source is not None else _summed_parts(quarter, team)
        if reviewed is None:
            return None
        parts += reviewed
    return parts


def _sum_issues(review: ReviewFacts, team: _Team) -> Iterator[CrossIssue]:
    """A KPI in amounts or counts (core.rates.is_additive) whose actual for a quarter, a half-year or a year
    differs, by more than rounding, from the sum of the team's reviews of its parts (a quarter's months; a
    half-year's or a year's quarters, or a quarter's months where the quarter has no review): one of the
    figures is wrong, and the year to date (engine/targets.py) counts them. Only when every part was reviewed
    and reports the KPI (same name and unit)."""
    period = review.period
    if period is None or period.granularity not in _SUMMED or team.by_period.get(period) is not review:
        return
    parts = _summed_parts(period, team)
    if not parts:
        return
    present = {source.period.granularity for source in parts if source.period}
    kinds = [kind for kind in _PART_WORDS if kind in present]
    adjective = " and ".join(_PART_WORDS[kind][0] for kind in kinds)  # quarterly and monthly
    noun = " or ".join(_PART_WORDS[kind][1] for kind in kinds)
    for index, metric in enumerate(review.metrics):
        if not is_additive(metric.unit, metric.better):
            continue
        found = [
            (source, part)
            for source in parts
            for part in source.metrics
            if part.name == metric.name and part.unit == metric.unit
        ]
        if len(found) < len(parts):
            continue
        total = sum(part.actual for _, part in found)
        if previous_agrees(metric.actual, total):  # up to rounding, as a stated previous
            continue
        each = ", ".join(
            f"{source.period.label if source.period else source.id} {part.actual:g}" for source, part in found
        )
        yield CrossIssue(
            review.display,
            metric.at or metric.previous_at,
            "RG224",
            f"metric {metric.name} reports {metric.actual:g} {metric.unit} for {period.label}, but the "
            f"team's {adjective} reviews of it add up to {total:g} ({each}); correct the {_SUMMED[period.granularity]} "
            f"or the {noun} that is wrong",
            field_name(("metrics", index, "actual")),
        )


def _recurring_cause_issues(
    latest: ReviewFacts, previous: ReviewFacts | None, carried: Carried
) -> Iterator[CrossIssue]:
    """A root cause of the latest review that the review it follows on from found too (the same fishbone
    factor, and a lesson tag in common when either names one), while the action meant to fix it there is
    still open or was carried: the fix has not landed, and the cause is back."""
    if previous is None:
        return
    for index, problem in enumerate(latest.problems):
        for earlier in previous.problems:
            if not same_cause(problem.factor, problem.tags, earlier.factor, earlier.tags):
                continue
            pending = [
                a
                for a in previous.actions
                if earlier.id in a.addresses and (is_open(a) or (previous.id, a.id) in carried)
            ]
            if not pending:
                continue
            theme = ", ".join(sorted(earlier.tags & problem.tags)) or problem.factor
            names = ", ".join(f"{previous.id}:{a.id}" for a in pending)
            yield CrossIssue(
                latest.display,
                problem.at,
                "RG222",
                f"problem {problem.id} recurs ({theme}, as {earlier.id} of {previous.id}) while the "
                f"action meant to fix it is not done ({names}); finish it first, or say why "
                "it did not work",
                field_name(("problems", index, "factor")),
            )
            break
