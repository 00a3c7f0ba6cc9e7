"""`retrogen new`: a review file to fill in, never written over an existing one."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrogen.core.errors import RetrogenError
from retrogen.core.files import write_file
from retrogen.core.periods import Period
from retrogen.core.words import catalogue
from retrogen.engine.loop import Slip, carries, slips, still_open
from retrogen.engine.model import Action, Metric, Review, load_knowledge_base
from retrogen.formats.render import yaml_environment
from retrogen.gate.check import read_knowledge_base
from retrogen.gate.config import Config
from retrogen.gate.glossary import SEED, Glossary
from retrogen.gate.heads import known_ids
from retrogen.gate.loop_rules import periodic_reviews
from retrogen.gate.schema import inline_definitions, load_schema, schema_path

if TYPE_CHECKING:
    from retrogen.engine.related import Match

_templates = yaml_environment("templates/new")
_templates.filters["number"] = lambda value: json.dumps(int(value) if float(value).is_integer() else float(value))


@dataclass(frozen=True)
class Prefill:
    """What `new --team` copies from the team's reviews: the next period, the metric list of the team's
    latest periodic review of that granularity, `previous` from the review of the adjacent period (only
    that one: never a silent comparison with an older period), and its actions still open, each with its
    slip so far (the new review carries it once more)."""

    period: Period | None = None
    source: Review | None = None
    adjacent: Review | None = None
    carried: tuple[tuple[str, Action], ...] = ()
    lessons: tuple[Match, ...] = ()  # with --tags: the past lessons most like the team and tags
    slips: dict[tuple[str, str], Slip] = field(default_factory=dict)  # of the carried actions that continue one

    def slip(self, review_id: str, action: Action) -> Slip:
        """The carried action's slip so far: its original due date and the carries before this one."""
        return self.slips.get((review_id, action.id)) or Slip(action.due)

    @property
    def metrics(self) -> tuple[Metric, ...]:
        return self.source.metrics if self.source else ()

    def previous(self, metric: Metric) -> float | None:
        """The adjacent period's actual of `metric` (same name and unit), or None."""
        found = [
            m
            for m in (self.adjacent.metrics if self.adjacent else ())
            if (m.name, m.unit) == (metric.name, metric.unit)
        ]
        return found[0].actual if found else None


def prefill_from(reviews: list[Review], team: str, period: Period | None) -> Prefill:
    """The prefill for a new review of `team`; `period` (from --period) fixes the granularity, else the
    team's latest periodic review sets it and the new review covers the period after that one."""
    by_period = {p: r for (t, p), r in periodic_reviews(reviews).items() if t == team}
    latest = sorted(by_period, key=lambda p: (p.end, p.start))
    if period is None and latest:
        period = latest[-1].next()
    same = [p for p in latest if period and p.granularity == period.granularity and p.end < period.start]
    adjacent = period.previous() if period else None
    team_reviews = [r for r in reviews if r.team == team]
    return Prefill(
        period,
        by_period[same[-1]] if same else None,
        by_period.get(adjacent) if adjacent else None,
        tuple(still_open(team_reviews, team)),
        slips=slips(team_reviews, carries(team_reviews)),
    )


@cache
def id_rules() -> dict[str, Any]:
    """The schema's rules for a review id (its pattern and maximum length): `new` refuses what `check` would."""
    schema = load_schema()
    rules: dict[str, Any] = inline_definitions(schema, schema.get("$defs", {}))["properties"]["id"]
    return rules


def id_problem(review_id: str) -> str | None:
    """Why `review_id` cannot be a review id, or None when it can."""
    rules = id_rules()
    if not re.fullmatch(rules["pattern"], review_id):  # fullmatch: a trailing newline is not part of an id
        return "use lowercase letters, digits and hyphens, e.g. 2026-q4-east-sales"
    if len(review_id) > rules["maxLength"]:
        return f"it has {len(review_id)} characters, at most {rules['maxLength']} are allowed"
    return None


def schema_reference(config: Config, folder: Path) -> str:
    """The modeline's schema path, relative to the new file so that it works in every clone."""
    target = config.schema_copy if config.schema_copy.is_file() else schema_path()
    return Path(os.path.relpath(target, folder)).as_posix()


def render_review(
    review_id: str,
    kind: str,
    lang: str,
    team: str,
    held_on: date,
    schema: str,
    prefill: Prefill | None = None,
    tags: tuple[str, ...] = (),
) -> str:
    words = catalogue(lang)
    return _templates.get_template(f"review.{lang}.yaml.j2").render(
        id=review_id,
        kind=kind,
        team=team,
        held_on=held_on.isoformat(),
        schema=schema,
        words=words,
        kind_label=words.review_kinds[kind],
        prefill=prefill or Prefill(),
        tags=tags,
    )


def related_lessons(
    reviews: list[Review], team: str | None, tags: tuple[str, ...], glossary: Glossary = SEED
) -> tuple[Match, ...]:
    """The past lessons most like the team and tags of a new review: what its meeting starts from."""
    from retrogen.engine.related import RelatedIndex  # numpy, scipy and jieba: only when --tags asks for them

    return tuple(RelatedIndex(reviews, glossary).like_text(team or "", tags=tags, kind="lesson"))


def first_working_day_after(day: date) -> date:
    """The first Monday to Friday after `day` (public holidays are not known here)."""
    following = day + timedelta(days=1)
    while following.weekday() >= 5:
        following += timedelta(days=1)
    return following


def meeting_day(today: date, period: Period | None) -> date:
    """The default held_on of a new review: today, unless its period has not ended by then; a period's
    review is held once its results are in, on the first working day after it at the earliest."""
    if period is not None and today <= period.end:
        return first_working_day_after(period.end)
    return today


def new_review(
    config: Config,
    review_id: str,
    kind: str,
    lang: str,
    team: str | None,
    today: date,
    period: Period | None = None,
    tags: tuple[str, ...] = (),
    held_on: date | None = None,
) -> tuple[Path, Prefill]:
    """Write reviews/<id>.yaml from the template, pre-filled from the team's reviews when `team` is given
    (and with the past lessons related to team and `tags` when tags are given); returns its path and what
    was pre-filled. `held_on` defaults to `meeting_day`. Refuses a used id or an existing file."""
    problem = id_problem(review_id)
    if problem:
        raise RetrogenError(f"{review_id!r} is not a review id: {problem}")
    path = config.reviews_dir / f"{review_id}.yaml"
    for used, where in known_ids(config.reviews_dir, set()):
        if used == review_id:
            raise RetrogenError(f"review id {review_id!r} is already used by {where}; choose another id")
    reading = read_knowledge_base(config, today, jobs=1) if team or tags else None
    reviews = load_knowledge_base(reading, config, today).reviews if reading else []
    prefill = prefill_from(reviews, team, period) if team else Prefill(period)
    meeting = held_on or meeting_day(today, prefill.period)
    if team:  # only what was decided before this meeting is carried into it (check orders reviews so: RG121)
        prefill = prefill_from([r for r in reviews if (r.held_on, r.id) < (meeting, review_id)], team, prefill.period)
    if tags:
        prefill = replace(prefill, lessons=related_lessons(reviews, team, tags, config.glossary))
    written_team = team or catalogue(lang).team_placeholder
    write_file(
        path,
        render_review(
            review_id, kind, lang, written_team, meeting, schema_reference(config, path.parent), prefill, tags
        ),
    )
    return path, prefill
