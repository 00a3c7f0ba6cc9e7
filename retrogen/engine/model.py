"""Typed reviews, built from data that passed `check`, and the knowledge base that holds them."""

from __future__ import annotations

import functools
import hashlib
import math
import sys
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path
from typing import Any

from retrogen.core.bulk import pickled_plainly
from retrogen.core.periods import Period
from retrogen.core.status import DEFAULT_STATUS, Status, as_status
from retrogen.gate.check import Reading
from retrogen.gate.config import Config
from retrogen.gate.findings import Finding
from retrogen.gate.hints import review_language
from retrogen.gate.index import settings_key


@dataclass(frozen=True, slots=True)
class Participant:
    name: str
    role: str
    department: str = ""


@dataclass(frozen=True, slots=True)
class Metric:
    category: str
    name: str
    unit: str
    target: float
    actual: float
    better: str = "higher"
    previous: float | None = None
    analysis: str = ""


@dataclass(frozen=True, slots=True)
class FunnelStage:
    stage: str
    count: int
    target_rate: float | None = None  # the target conversion from the stage before, in percent


@dataclass(frozen=True, slots=True)
class Problem:
    id: str
    problem: str
    root_cause: str
    factor: str
    suspected: tuple[str, ...] = ()
    whys: tuple[str, ...] = ()
    evidence: str = ""


@dataclass(frozen=True, slots=True)
class Lesson:
    id: str
    type: str
    lesson: str
    applies_to: str = ""
    tags: tuple[str, ...] = ()
    problem: str | None = None


@dataclass(frozen=True, slots=True)
class Update:
    date: date
    status: Status
    note: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", as_status(self.status))  # a word that is no status is an error here


@dataclass(frozen=True, slots=True)
class Expectation:
    """The result an action should produce: `metric` reaches `target` in the first review held on or after `by`."""

    metric: str
    target: float
    by: date


@dataclass(frozen=True, slots=True)
class Action:
    id: str
    action: str
    owner: str
    due: date
    type: str = ""
    status: Status = DEFAULT_STATUS
    done_on: date | None = None
    checkpoint: str = ""
    resources: tuple[str, ...] = ()
    addresses: tuple[str, ...] = ()
    updates: tuple[Update, ...] = ()
    carried_from: str | None = None  # review-id:action-id of the earlier action this one continues
    expects: Expectation | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "status", as_status(self.status))  # a word that is no status is an error here


# A review's parts are slotted: 330,000 of them at 10,000 reviews, each with a dict of its fields was 40 MB of
# the loaded knowledge base. The snapshot reads them back by pickle's own path.
_PARTS = (Participant, Metric, FunnelStage, Problem, Lesson, Update, Expectation, Action)
pickled_plainly(*_PARTS)


@dataclass(frozen=True)
class Review:
    id: str
    title: str
    kind: str
    team: str
    held_on: date
    objective: str
    path: Path
    period_label: str | None = None
    period_start: date | None = None
    period_end: date | None = None
    participants: tuple[Participant, ...] = ()
    materials: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()
    metrics: tuple[Metric, ...] = ()
    funnel: tuple[FunnelStage, ...] = ()
    timeline: tuple[tuple[date, str], ...] = ()
    feedback: tuple[tuple[str, str], ...] = ()
    problems: tuple[Problem, ...] = ()
    lessons: tuple[Lesson, ...] = ()
    actions: tuple[Action, ...] = ()
    lang: str | None = None  # as the review states it; `language` infers it when absent

    @functools.cached_property
    def language(self) -> str:
        """zh or en: the review's own language, for its page's headings and labels (asked of each action
        of a digest: worked out once)."""
        return review_language({"lang": self.lang, "title": self.title, "objective": self.objective, "team": self.team})

    @property
    def period(self) -> str:
        """The period's label; a review without a period has none (never an invented quarter)."""
        if self.period_label:
            return self.period_label
        return self.period_of.label if self.period_of else ""

    @property
    def period_of(self) -> Period | None:
        """The review's period with its granularity, or None when it states none."""
        if self.period_start is None or self.period_end is None:
            return None
        return Period(self.period_start, self.period_end)

    @property
    def sort_date(self) -> date:
        return self.period_end or self.held_on


def _number(value: Any) -> float:
    """A metric value as a float; NaN (cannot be computed) for one past float's range, infinite or NaN."""
    try:
        number = float(value)
    except OverflowError:
        return math.nan
    return number if math.isfinite(number) else math.nan


# One date object per day written: ten thousand reviews name a few thousand days, not two hundred thousand.
@functools.cache
def _date(value: Any) -> date:
    return date.fromisoformat(value)


def _optional_date(value: Any) -> date | None:
    return _date(value) if value else None


def _shared(value: Any) -> Any:
    """One string object for a name that many reviews write (a team, an owner, a unit, a tag): ten thousand
    reviews hold a million strings, more than half of them repeats, and the snapshot keeps each once."""
    return sys.intern(value) if type(value) is str else value


def _shared_all(values: Any) -> tuple[Any, ...]:
    return tuple(_shared(value) for value in values)


def review_from_data(data: dict[str, Any], path: Path) -> Review:
    """A Review from data that the schema accepted (so keys and types are as the schema says)."""
    period = data.get("period") or {}
    return Review(
        id=_shared(data["id"]),
        title=data["title"],
        kind=_shared(data["kind"]),
        team=_shared(data["team"]),
        lang=_shared(data.get("lang")),
        held_on=_date(data["held_on"]),
        objective=data["objective"],
        path=path,
        period_label=_shared(period.get("label")),
        period_start=_optional_date(period.get("start")),
        period_end=_optional_date(period.get("end")),
        participants=tuple(
            Participant(_shared(p["name"]), _shared(p["role"]), _shared(p.get("department", "")))
            for p in data.get("participants", ())
        ),
        materials=tuple(data.get("materials", ())),
        tags=_shared_all(data.get("tags", ())),
        metrics=tuple(
            Metric(
                category=_shared(m.get("category", "")),
                name=_shared(m["name"]),
                unit=_shared(m["unit"]),
                target=_number(m["target"]),
                actual=_number(m["actual"]),
                better=_shared(m.get("better", "higher")),
                previous=None if m.get("previous") is None else _number(m["previous"]),
                analysis=m.get("analysis", ""),
            )
            for m in data.get("metrics", ())
        ),
        funnel=tuple(
            FunnelStage(_shared(s["stage"]), s["count"], s.get("target_rate")) for s in data.get("funnel", ())
        ),
        timeline=tuple((_date(e["date"]), e["event"]) for e in data.get("timeline", ())),
        feedback=tuple((_shared(f["source"]), f["content"]) for f in data.get("feedback", ())),
        problems=tuple(
            Problem(
                id=_shared(p["id"]),
                problem=p["problem"],
                root_cause=p["root_cause"],
                factor=_shared(p["factor"]),
                suspected=tuple(p.get("suspected", ())),
                whys=tuple(p.get("whys", ())),
                evidence=p.get("evidence", ""),
            )
            for p in data.get("problems", ())
        ),
        lessons=tuple(
            Lesson(
                id=_shared(lesson["id"]),
                type=_shared(lesson["type"]),
                lesson=lesson["lesson"],
                applies_to=_shared(lesson.get("applies_to", "")),
                tags=_shared_all(lesson.get("tags", ())),
                problem=_shared(lesson.get("problem")),
            )
            for lesson in data.get("lessons", ())
        ),
        actions=tuple(
            Action(
                id=_shared(a["id"]),
                action=a["action"],
                owner=_shared(a["owner"]),
                due=_date(a["due"]),
                type=_shared(a.get("type", "")),
                status=as_status(a.get("status", DEFAULT_STATUS)),
                done_on=_optional_date(a.get("done_on")),
                checkpoint=a.get("checkpoint", ""),
                resources=tuple(a.get("resources", ())),
                addresses=_shared_all(a.get("addresses", ())),
                updates=tuple(
                    Update(_date(u["date"]), as_status(u["status"]), u.get("note", "")) for u in a.get("updates", ())
                ),
                carried_from=_shared(a.get("carried_from")),
                expects=Expectation(_shared(a["expects"]["metric"]), a["expects"]["target"], _date(a["expects"]["by"]))
                if "expects" in a
                else None,
            )
            for a in data.get("actions", ())
        ),
    )


# What a Review is made of: the classes the snapshot may make when it reads reviews back (gate/snapshot.py).
MODEL_CLASSES = frozenset((__name__, kind.__name__) for kind in (Review, *_PARTS))


@functools.cache
def _model_key() -> str:
    """This module's source: a change to how a Review is made or what it holds makes kept reviews stale."""
    return hashlib.sha256(Path(__file__).read_bytes()).hexdigest()


class _Aliases:
    """The roster's and the tag vocabulary's aliases, resolved in a review: an alias counts as its person or
    canonical tag in every table, page, filter, digest and export."""

    def __init__(self, config: Config) -> None:
        # a few hundred owners and tag lists over thousands of actions and lessons: each resolved once
        self.owner = functools.cache(config.roster.canonical) if config.roster.people else None
        self.tags = functools.cache(config.tags.canonical_tags) if config.tags.aliases else None

    def resolve(self, review: Review) -> Review:
        owner, tags = self.owner, self.tags
        if owner is not None and any(owner(a.owner) != a.owner for a in review.actions):
            review = replace(review, actions=tuple(replace(a, owner=owner(a.owner)) for a in review.actions))
        if tags is not None and (
            tags(review.tags) != review.tags or any(tags(lesson.tags) != lesson.tags for lesson in review.lessons)
        ):
            lessons = tuple(replace(lesson, tags=tags(lesson.tags)) for lesson in review.lessons)
            review = replace(review, tags=tags(review.tags), lessons=lessons)
        return review


class ReviewBuilder:
    """Each review as the knowledge base holds it (review_from_data, the aliases of `config` resolved), as the
    gate's `convert` (gate.check.read_paths), with what lets the snapshot keep the reviews it builds between
    runs (gate.check.Conversion)."""

    snapshot_classes = MODEL_CLASSES

    def __init__(self, config: Config) -> None:
        self._aliases = _Aliases(config)
        self._key = f"{_model_key()} {settings_key((config.roster.people, config.tags.aliases))}"

    @property
    def snapshot_key(self) -> str:
        return self._key

    def __call__(self, data: dict[str, Any], path: Path, /) -> Review:
        return self._aliases.resolve(review_from_data(data, path))


@dataclass
class KnowledgeBase:
    """Every valid review, plus the findings of the files that were left out."""

    reviews: list[Review]
    today: date
    skipped: list[Finding] = field(default_factory=list)  # errors of the files left out (warnings skip none)
    notices: list[str] = field(default_factory=list)  # about how it was read (the lasting index rebuilt…)


def load_knowledge_base(reading: Reading, config: Config, today: date) -> KnowledgeBase:
    """The typed reviews of the files the gate read without an error (`reading`: see gate.check.read_paths),
    with the roster's and the tag vocabulary's aliases resolved (by ReviewBuilder already, when the reading
    was made with it as its convert). Nothing is checked here: a file with an error, and the later of two
    files with one id, were left out by the reading."""
    left_out = {r.display for r in reading.check.files if r.has_errors}
    skipped = [f for f in reading.check.findings if f.path in left_out]
    aliases = _Aliases(config)
    reviews = [
        data if isinstance(data, Review) else aliases.resolve(review_from_data(data, path))
        for path, data in reading.documents
    ]
    reviews.sort(key=lambda r: (r.sort_date, r.id))
    return KnowledgeBase(reviews, today, skipped, list(reading.check.notices))
