"""Year-to-date achievement against the targets of targets.yaml (gate/targets.py), per team and KPI.

For a KPI whose periods add up (core.rates.is_additive: amounts and counts such as 万元 and 个), the actual to
date is the sum of the team's periodic reviews of the target's year or half-year, held by today, taken so
that no month counts twice (core.periods.tiling: three quarters and the month after them). For a rate (%) or
a KPI where lower is better (a duration, an average), sums mean nothing: the latest period's actual stands
against the target instead.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

import pandas as pd

from retrogen.core.periods import tiling
from retrogen.core.rates import achievement, is_additive, met, ratio
from retrogen.engine.model import Metric, Review
from retrogen.formats.tables import records
from retrogen.gate.loop_rules import periodic_reviews
from retrogen.gate.targets import Target

SUM, LATEST = "sum", "latest"  # how the actual to date is made: the basis column
YTD_COLUMNS = [
    "team",
    "target_period",
    "metric",
    "unit",
    "better",
    "target",
    "actual",
    "achievement",
    "met",
    "basis",
    "through",
    "counted",
    "elapsed",
]


def _metric(review: Review, target: Target) -> Metric | None:
    return next((m for m in review.metrics if m.name == target.metric and m.unit == target.unit), None)


def ytd_table(reviews: Iterable[Review], targets: Iterable[Target], today: date) -> pd.DataFrame:
    """One row per target, in the file's order: the actual to date (`basis` says how it was made), its
    achievement against the year's target (core.rates.achievement) and whether the target is already met,
    `through` the label of the latest period counted, `counted` the labels of the periods counted, and
    `elapsed` the share of the target's months those periods cover (against which to read a sum's
    achievement). A target no review reports yet has empty figures."""
    periodic = periodic_reviews(r for r in reviews if r.held_on <= today)
    rows = []
    for target in targets:
        reported = {
            period: (review, found)
            for (team, period), review in periodic.items()
            if team == target.team and (found := _metric(review, target)) is not None
        }
        taken = tiling(reported, target.period)
        latest = max(taken, key=lambda p: (p.end, p.start), default=None)
        better = reported[latest][1].better if latest else "higher"
        basis = SUM if is_additive(target.unit, better) else LATEST
        counted = taken if basis == SUM else taken[-1:]
        actual = sum(reported[p][1].actual for p in counted) if counted else None
        covered = sum((p.months or 0) for p in taken)
        rows.append(
            {
                "team": target.team,
                "target_period": target.period.label,
                "metric": target.metric,
                "unit": target.unit,
                "better": better,
                "target": target.target,
                "actual": actual,
                "achievement": float("nan") if actual is None else achievement(target.target, actual, better),
                "met": pd.NA if (reached := met(target.target, actual, better)) is None else reached,
                "basis": basis if counted else None,
                "through": latest.label if latest else None,
                "counted": ", ".join(p.label for p in counted),
                "elapsed": ratio(covered, target.period.months) if basis == SUM and taken else float("nan"),
            }
        )
    frame = pd.DataFrame(rows, columns=YTD_COLUMNS)
    return frame.astype({"target": float, "actual": float, "achievement": float, "met": "boolean", "elapsed": float})


def ytd_by_kpi(ytd: pd.DataFrame) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """The rows of `ytd` by (team, metric, unit, latest period counted): what the scoreboard shows beside a
    KPI of the review of that period. Of a year's and a half-year's target, the year's."""
    found: dict[tuple[str, str, str, str], dict[str, Any]] = {}
    for row in sorted(records(ytd), key=lambda r: len(str(r["target_period"])), reverse=True):
        if row["through"] is not None:
            found.setdefault((row["team"], row["metric"], row["unit"], row["through"]), row)
    return found
