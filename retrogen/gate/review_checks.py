"""Checks beyond the schema: references, owners, dates and the loops a review must close.

They run on data the schema may have rejected in part, so each reads only values of the expected type
and skips the rest (the schema has already reported those).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterator
from datetime import date
from typing import Any

from retrogen.core.rates import met
from retrogen.core.status import DEFAULT_STATUS, Status
from retrogen.gate.hints import Hints, is_placeholder
from retrogen.gate.loader import Document, FieldPath, field_name
from retrogen.gate.owners import normalise, owner_problem
from retrogen.gate.people import suggestion
from retrogen.gate.settings import DEFAULTS

ITEM_LISTS = ("problems", "lessons", "actions")

Issue = tuple[str, FieldPath, str]  # code, path, message


def as_date(value: Any) -> date | None:
    """A YYYY-MM-DD string as a date; None for anything else (the schema reports those)."""
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None
    return None


def entries(data: dict[str, Any], section: str) -> Iterator[tuple[int, dict[str, Any]]]:
    items = data.get(section)
    if isinstance(items, list):
        for index, item in enumerate(items):
            if isinstance(item, dict):
                yield index, item


def text(item: dict[str, Any], key: str) -> str | None:
    value = item.get(key)
    return value if isinstance(value, str) else None


# The roster's known names (normalised) and its names for hints; None: owners need not be in a roster.
KnownOwners = tuple[frozenset[str] | None, tuple[str, ...]]


def review_issues(
    document: Document,
    today: date,
    not_owners: tuple[str, ...],
    min_whys: int = DEFAULTS.min_whys,
    known_owners: KnownOwners = (None, ()),
) -> Iterator[Issue]:
    """Every semantic issue of one review."""
    data = document.data
    yield from _placeholders(data, ())
    yield from _item_ids(data)
    yield from _period(data)
    yield from _actions(data, today, not_owners, Hints.for_review(data, today), known_owners)
    yield from _problems(data, min_whys)
    yield from _timeline(data)
    yield from _metrics_and_funnel(data)


def _placeholders(value: Any, path: FieldPath) -> Iterator[Issue]:
    if isinstance(value, str):
        if is_placeholder(value):
            yield "RG115", path, f"{field_name(path)} still holds the template's placeholder; write the real content"
    elif isinstance(value, dict):
        for key, child in value.items():
            yield from _placeholders(child, (*path, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            yield from _placeholders(child, (*path, index))


def _item_ids(data: dict[str, Any]) -> Iterator[Issue]:
    for section in ITEM_LISTS:
        first_index: dict[str, int] = {}
        for index, item in entries(data, section):
            item_id = text(item, "id")
            if item_id is None:
                continue
            if item_id in first_index:
                yield (
                    "RG112",
                    (section, index, "id"),
                    f"{section} id {item_id} is already used by {section}[{first_index[item_id]}]; "
                    "give each item its own id",
                )
            else:
                first_index[item_id] = index
    problem_ids = {text(item, "id") for _, item in entries(data, "problems")}
    for index, lesson in entries(data, "lessons"):
        ref = text(lesson, "problem")
        if ref is not None and ref not in problem_ids:
            yield "RG113", ("lessons", index, "problem"), _unknown_problem(ref, problem_ids)
    for index, action in entries(data, "actions"):
        refs = action.get("addresses")
        for position, ref in enumerate(refs if isinstance(refs, list) else []):
            if isinstance(ref, str) and ref not in problem_ids:
                yield "RG113", ("actions", index, "addresses", position), _unknown_problem(ref, problem_ids)


def _unknown_problem(ref: str, known: set[str | None]) -> str:
    listed = ", ".join(sorted(k for k in known if k)) or "none"
    return f"there is no problem {ref} in this review (problems: {listed})"


def _period(data: dict[str, Any]) -> Iterator[Issue]:
    period = data.get("period")
    if isinstance(period, dict):
        start, end = as_date(period.get("start")), as_date(period.get("end"))
        if start and end and start > end:
            yield "RG142", ("period", "start"), f"period starts on {start} after it ends on {end}; swap them"
        held_on = as_date(data.get("held_on"))
        # A project may be reviewed halfway; a period's results are only known once it is over.
        if data.get("kind") == "periodic" and held_on and end and held_on <= end:
            yield (
                "RG220",
                ("held_on",),
                f"the review is held on {held_on}, before its period ends on {end}: its "
                "results are not known yet; hold it after the period (held_on), or correct the period",
            )


def _actions(
    data: dict[str, Any], today: date, not_owners: tuple[str, ...], hints: Hints, known_owners: KnownOwners
) -> Iterator[Issue]:
    known, names = known_owners
    held_on = as_date(data.get("held_on"))
    for index, action in entries(data, "actions"):
        path: FieldPath = ("actions", index)
        label = f"action {text(action, 'id') or index}"
        owner = text(action, "owner")
        if owner is not None and owner.strip() and not is_placeholder(owner):
            problem = owner_problem(owner, not_owners)
            if problem:
                yield "RG132", (*path, "owner"), f"{label}: {problem}; name one person ({hints.owner})"
            elif known is not None and normalise(owner).casefold() not in known:
                yield (
                    "RG133",
                    (*path, "owner"),
                    f"{label}: owner {owner!r} is not in the roster "
                    f"(extra.retrogen.people); {suggestion(owner, names)}",
                )
        status = text(action, "status") or DEFAULT_STATUS
        due, done_on = as_date(action.get("due")), as_date(action.get("done_on"))
        if status == Status.DONE and "done_on" not in action:
            yield "RG140", (*path, "status"), f"{label} is done but has no done_on; add the day it was done"
        if done_on and done_on > today:
            yield "RG141", (*path, "done_on"), f"{label}: done_on {done_on} is after today ({today})"
        if "checkpoint" not in action:
            yield (
                "RG202",
                path,
                f"{label} has no checkpoint; name a deliverable that shows it is done ({hints.checkpoint})",
            )
        if due and held_on and due < held_on:
            yield "RG205", (*path, "due"), f"{label} is due {due}, before the review was held ({held_on})"
        updates = [u for _, u in entries(action, "updates")]
        if updates and text(updates[-1], "status") and text(updates[-1], "status") != status:
            yield (
                "RG209",
                (*path, "status"),
                f"{label} has status {status} but its latest update says "
                f"{text(updates[-1], 'status')}; make them agree",
            )


def days_alike(data: dict[str, Any], today: date) -> tuple[date, date]:
    """The days on which a review's own findings are the ones found on `today` (within today's month, whose
    last day the hints' example due date names): every day from its latest done_on on, as no done_on lies
    ahead then (RG141); only `today` itself when one does, since RG141 names the day."""
    done = [day for _, action in entries(data, "actions") if (day := as_date(action.get("done_on")))]
    if any(day > today for day in done):
        return today, today
    return max(done, default=date.min), date.max


def _problems(data: dict[str, Any], min_whys: int) -> Iterator[Issue]:
    addressed: set[str] = set()
    for _, action in entries(data, "actions"):
        refs = action.get("addresses")
        addressed.update(r for r in (refs if isinstance(refs, list) else []) if isinstance(r, str))
    for index, problem in entries(data, "problems"):
        problem_id = text(problem, "id")
        if problem_id and problem_id not in addressed:
            yield (
                "RG203",
                ("problems", index, "id"),
                f"problem {problem_id} is not addressed by any action; add an action with addresses: [{problem_id}]",
            )
        if "evidence" not in problem:
            yield (
                "RG204",
                ("problems", index),
                f"problem {problem_id or index} has no evidence; say which data or facts verify the root cause",
            )
        whys = problem.get("whys")
        count = len(whys) if isinstance(whys, list) else 0
        if count < min_whys:
            asked = f"asks why only {count} time{'' if count == 1 else 's'}" if count else "has no 5-Why chain"
            yield (
                "RG212",
                ("problems", index, "whys") if count else ("problems", index),
                f"problem {problem_id or index} {asked}; ask why at least {min_whys} times (whys:) until the "
                "cause is one the team can act on",
            )
        cause, statement = text(problem, "root_cause"), text(problem, "problem")
        if cause and statement and _same_words(cause, statement):
            yield (
                "RG213",
                ("problems", index, "root_cause"),
                f"the root cause of problem {problem_id or index} only repeats the problem; say why it happened",
            )


def _same_words(one: str, other: str) -> bool:
    """True when two texts say the same once case, spaces and punctuation are set aside."""

    def words(value: str) -> str:
        return "".join(char for char in value.casefold() if char.isalnum())

    first, second = words(one), words(other)
    if first == second:
        return True
    # The quick upper bounds first: most root causes are nothing like their problem, and ratio() is slow.
    matcher = difflib.SequenceMatcher(None, first, second, autojunk=False)
    return matcher.real_quick_ratio() >= 0.9 and matcher.quick_ratio() >= 0.9 and matcher.ratio() >= 0.9


def _timeline(data: dict[str, Any]) -> Iterator[Issue]:
    previous: date | None = None
    held_on = as_date(data.get("held_on"))
    for index, event in entries(data, "timeline"):
        when = as_date(event.get("date"))
        if when and previous and when < previous:
            yield "RG206", ("timeline", index, "date"), f"{when} comes after {previous}; keep the timeline in order"
        if when and held_on and when > held_on:
            yield (
                "RG214",
                ("timeline", index, "date"),
                f"{when} is after the review was held ({held_on}); a "
                "timeline records what happened, plans belong under actions",
            )
        previous = when or previous


def number(value: Any) -> float | None:
    """A number as a float; None for anything else, and for an integer past float's range (the schema
    reports that one)."""
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    try:
        return float(value)
    except OverflowError:
        return None


def _missed(metric: dict[str, Any]) -> bool:
    """The metric did not reach its target, judged in the direction `better` says."""
    better = "lower" if metric.get("better") == "lower" else "higher"
    return met(number(metric.get("target")), number(metric.get("actual")), better) is False


def _metrics_and_funnel(data: dict[str, Any]) -> Iterator[Issue]:
    if data.get("kind") == "periodic" and not data.get("metrics"):
        yield (
            "RG210",
            ("kind",),
            "a periodic review reports no metrics; add the targets and results it is "
            "about (metrics:), so that the review speaks with data",
        )
    for index, metric in entries(data, "metrics"):
        name = text(metric, "name") or index
        if metric.get("target") == 0 and not isinstance(metric.get("target"), bool):
            yield ("RG207", ("metrics", index, "target"), f"metric {name} has target 0, so it has no achievement rate")
        elif _missed(metric) and not text(metric, "analysis"):
            yield (
                "RG211",
                ("metrics", index, "actual"),
                f"metric {name} missed its target "
                f"({metric.get('actual')} against {metric.get('target')}) and has no analysis; say why",
            )
    previous: int | None = None
    counts = []
    for index, stage in entries(data, "funnel"):
        count = stage.get("count")
        counts.append(count)
        if isinstance(count, int) and not isinstance(count, bool):
            if previous is not None and count > previous:
                yield (
                    "RG208",
                    ("funnel", index, "count"),
                    f"stage {text(stage, 'stage') or index} has {count}, more than the {previous} before it",
                )
            previous = count
    if counts and all(count == 0 and not isinstance(count, bool) for count in counts):
        yield (
            "RG219",
            ("funnel", 0, "count"),
            "every funnel count is 0: write the real counts, or remove the funnel if the review has none",
        )
