"""Annual or half-year targets per team and KPI: the file `extra.retrogen.targets` names (targets.yaml).

It is checked against its own JSON Schema (schema/targets.schema.json, shipped in the wheel beside the
review schema); anything unusable is a ConfigError naming the file, line and field. Year-to-date achievement
against these targets is computed in engine/targets.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrogen.core.errors import ConfigError, ReviewFileError
from retrogen.core.periods import Granularity, Period, parse_label
from retrogen.gate.loader import Document, FieldPath, field_name, load_review
from retrogen.gate.schema import data_path, describe

if TYPE_CHECKING:
    from jsonschema import Draft202012Validator, ValidationError

TARGETS_SCHEMA_NAME = "targets.schema.json"


@dataclass(frozen=True)
class Target:
    """What one team means to reach in one KPI (name and unit, as its reviews write them) over a year or
    a half-year."""

    team: str
    period: Period
    metric: str
    unit: str
    target: float


def targets_schema_path() -> Path:
    """The targets file's schema: the copy inside an installed wheel, else the checkout's schema/ folder."""
    return data_path(TARGETS_SCHEMA_NAME, f"schema/{TARGETS_SCHEMA_NAME}")


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(targets_schema_path().read_text(encoding="utf-8")))


def _message(error: ValidationError) -> tuple[FieldPath, str]:
    """Where an error is and what it means to the person editing targets.yaml."""
    path: FieldPath = tuple(error.absolute_path)
    name = field_name(path) or "the file"
    keyword, instance = error.validator, error.instance
    if keyword == "additionalProperties":
        extra = sorted(set(instance) - set(error.schema.get("properties", {})))[0]
        known = ", ".join(error.schema.get("properties", {}))
        return (*path, extra), f"{field_name((*path, extra))} is not a field; use {known}"
    if keyword == "not":  # the NaN guard: no other number is both at least 1 and at most 0
        return path, f"{name} must be a number, not .nan; write the number"
    if keyword == "required":
        missing = next(m for m in error.validator_value if m not in instance)
        return path, f"{name} needs the field {missing!r}"
    if path and path[-1] == "period":
        return path, f"{name} is {describe(instance)}; write a year (2026) or a half-year (2026-H1)"
    if keyword in {"minimum", "maximum"}:
        return path, f"{name} is {describe(instance)}, out of range; check the number"
    if keyword in {"minLength", "pattern"}:
        return path, f"{name} is empty; fill it in"
    if keyword == "type":
        wanted = {"string": "text", "number": "a number", "array": "a list", "object": "a mapping of fields"}
        expected = error.validator_value
        return path, f"{name} must be {wanted.get(expected, expected)}, not {describe(instance)}"
    return path, f"{name}: {error.message}"


def _period(value: int | str) -> Period:
    period = parse_label(str(value))
    if period.granularity not in (Granularity.YEAR, Granularity.HALF_YEAR):  # the schema's pattern holds it
        raise ValueError(value)
    return period


def load_targets(path: Path) -> tuple[Target, ...]:
    """The targets in `path`, in file order; a ConfigError names the file, line and field of anything
    unusable, and of a team's KPI given two targets for one period."""
    try:
        document = load_review(path)
    except ReviewFileError as exc:
        raise ConfigError(f"{path}:{exc.line}:{exc.column}: {exc.message}") from None
    errors = sorted(_validator().iter_errors(document.data), key=lambda e: document.locate(tuple(e.absolute_path)))
    if errors:
        field_path, message = _message(errors[0])
        raise _refused(document, field_path, message, key=errors[0].validator == "additionalProperties")
    targets: list[Target] = []
    seen: dict[tuple[str, Period, str, str], int] = {}
    for index, entry in enumerate(document.data["targets"]):
        target = _target(entry)
        key = (target.team, target.period, target.metric, target.unit)
        if key in seen:
            raise _refused(
                document,
                ("targets", index),
                f"targets[{index}] repeats the target of targets[{seen[key]}] ({target.team}, "
                f"{target.period.label}, {target.metric}); keep one",
            )
        seen[key] = index
        targets.append(target)
    return tuple(targets)


def _target(entry: dict[str, Any]) -> Target:
    return Target(
        team=entry["team"].strip(),
        period=_period(entry["period"]),
        metric=entry["metric"].strip(),
        unit=entry["unit"].strip(),
        target=float(entry["target"]),
    )


def _refused(document: Document, field_path: FieldPath, message: str, *, key: bool = False) -> ConfigError:
    at = document.locate(field_path, key=key)
    return ConfigError(f"{document.path}:{at.line}:{at.column}: {message}")
