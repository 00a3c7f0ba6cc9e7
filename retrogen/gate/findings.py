"""Findings: what `retrogen check` reports, and the registry of every code it can report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import StrEnum
from typing import Any


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"


@dataclass(frozen=True)
class Code:
    code: str
    severity: Severity
    summary: str


def _codes(*rows: tuple[str, Severity, str]) -> dict[str, Code]:
    return {code: Code(code, severity, summary) for code, severity, summary in rows}


E, W = Severity.ERROR, Severity.WARNING

# Stable codes: never renumber, only add. The README's table is generated from this registry.
CODES: dict[str, Code] = _codes(
    ("RG001", E, "file is not valid UTF-8"),
    ("RG002", E, "file is not valid YAML"),
    ("RG003", E, "file is empty"),
    ("RG004", E, "the document is not a mapping of fields"),
    ("RG005", E, "a key appears twice in the same mapping"),
    ("RG006", E, "YAML anchor or alias (reviews are data, not programs)"),
    ("RG007", E, "file is larger than the size limit"),
    ("RG008", E, "explicit YAML tag (!!python/..., !custom)"),
    ("RG009", E, "more than one YAML document in the file"),
    ("RG010", E, "file cannot be read"),
    ("RG011", E, "nesting deeper than any review needs"),
    ("RG101", E, "unknown field"),
    ("RG102", E, "required field missing"),
    ("RG103", E, "value of the wrong type"),
    ("RG104", E, "value not among the allowed choices"),
    ("RG105", E, "date that is not a real YYYY-MM-DD date"),
    ("RG106", E, "value does not have the required form (id, tag, empty text)"),
    ("RG107", E, "other schema violation (too few items, duplicates, range)"),
    ("RG110", E, "review id does not match the file name"),
    ("RG111", E, "review id used by another file"),
    ("RG112", E, "item id used twice in the review"),
    ("RG113", E, "reference to a problem id that does not exist"),
    ("RG114", E, "no participant leads the review"),
    ("RG115", E, "unfilled placeholder (TODO) left in the review"),
    ("RG120", E, "carried_from names a review or action that does not exist"),
    ("RG121", E, "carried_from names a later review, this review or another team's"),
    ("RG122", E, "an action is carried forward twice"),
    ("RG130", E, "action has no owner"),
    ("RG131", E, "action has no due date"),
    ("RG132", E, "owner is a placeholder or a group, not one person"),
    ("RG133", E, "owner is not in the roster (with require_known_owners)"),
    ("RG140", E, "action is done but has no done_on date"),
    ("RG141", E, "done_on is in the future"),
    ("RG142", E, "period starts after it ends"),
    ("RG150", E, "team is not in the team list (with extra.retrogen.teams)"),
    ("RG201", W, "action is overdue"),
    ("RG202", W, "action has no checkpoint deliverable"),
    ("RG203", W, "problem is not addressed by any action (open loop)"),
    ("RG204", W, "problem has no evidence"),
    ("RG205", W, "action is due before the review was held"),
    ("RG206", W, "timeline is out of date order"),
    ("RG207", W, "metric has target 0 (no achievement rate)"),
    ("RG208", W, "funnel count rises from one stage to the next"),
    ("RG209", W, "action status disagrees with its latest update"),
    ("RG210", W, "periodic review reports no metrics (data over opinion)"),
    ("RG211", W, "metric missed its target but has no analysis"),
    ("RG212", W, "problem has fewer whys than min_whys (5 Whys)"),
    ("RG213", W, "root cause only repeats the problem"),
    ("RG214", W, "timeline event after the review was held"),
    ("RG215", W, "carried action was already done or cancelled"),
    ("RG216", W, "earlier action still open and not followed up in the team's latest review"),
    ("RG217", W, "expects names a metric the team's reviews do not report"),
    ("RG218", W, "stated previous disagrees with the earlier period's actual"),
    ("RG219", W, "every funnel count is 0 (the template's, not filled in)"),
    ("RG220", W, "periodic review held before its period ended"),
    ("RG221", W, "action carried forward a third time or more"),
    ("RG222", W, "root cause recurs while the action meant to fix it is still open or carried"),
    ("RG223", W, "metric missed its target in repeated_miss_periods or more periods in a row"),
    (
        "RG224",
        W,
        "a quarter's, half-year's or year's actual differs from the sum of its quarters' or months' reviews "
        "(amounts and counts)",
    ),
    ("RG250", W, "tag differs from a known tag only by case, spacing, hyphenation or a typo"),
)


@dataclass(frozen=True, order=True)
class Finding:
    """One problem in one file, at one place."""

    path: str
    line: int
    column: int
    code: str
    message: str
    field: str = ""

    @property
    def severity(self) -> Severity:
        return CODES[self.code].severity

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "severity": self.severity.value}
