"""Metric tables as DESIGN.md defines them. Missing values and division by zero give empty cells (NaN),
never errors or infinities."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
import pandas as pd

from retrogen.model import Review

METRIC_COLUMNS = ["review", "team", "period", "held_on", "category", "metric", "unit", "target", "actual",
                  "better", "achievement", "met", "previous", "previous_from", "change"]


def ratio(numerator: float | None, denominator: float | None) -> float:
    """numerator / denominator; NaN when either is missing, the denominator is zero, or the result is no
    finite float (an overflow, even of integers past float's range, or an infinite or NaN operand)."""
    if numerator is None or denominator is None or denominator == 0:
        return float("nan")
    try:
        result = numerator / denominator
    except OverflowError:
        return float("nan")
    return result if math.isfinite(result) else float("nan")


def achievement(target: float, actual: float, better: str = "higher") -> float:
    """actual / target where higher is better; target / actual where lower is better (15 vs 22 days: 0.682)."""
    return ratio(actual, target) if better == "higher" else ratio(target, actual)


def change(actual: float, previous: float | None) -> float:
    """Relative change against the previous value: (actual - previous) / previous."""
    return ratio(None if previous is None else actual - previous, previous)


def metrics_table(reviews: Iterable[Review]) -> pd.DataFrame:
    """One row per metric per review, with achievement and the change against the previous period."""
    rows = []
    # Reviews come oldest first, so the latest earlier periodic value of a team's metric is at hand.
    latest: dict[tuple[str, str, str], tuple[float, str]] = {}
    for review in sorted(reviews, key=lambda r: (r.sort_date, r.id)):
        for metric in review.metrics:
            key = (review.team, metric.name, metric.unit)
            previous, source = metric.previous, "previous" if metric.previous is not None else None
            if previous is None and key in latest:
                previous, source = latest[key]
            rate = achievement(metric.target, metric.actual, metric.better)
            rows.append({
                "review": review.id, "team": review.team, "period": review.period, "held_on": review.held_on,
                "category": metric.category, "metric": metric.name, "unit": metric.unit,
                "target": metric.target, "actual": metric.actual, "better": metric.better,
                "achievement": rate, "met": pd.NA if pd.isna(rate) else bool(rate >= 1),
                "previous": previous, "previous_from": source, "change": change(metric.actual, previous),
            })
            if review.kind == "periodic":
                latest[key] = (metric.actual, review.id)
    frame = pd.DataFrame(rows, columns=METRIC_COLUMNS)
    return frame.astype({"target": float, "actual": float, "achievement": float, "previous": float,
                         "change": float, "met": "boolean"})


def metrics_summary(table: pd.DataFrame, by: str) -> pd.DataFrame:
    """Per team or per period: how many metrics, how many met, and the mean and median achievement."""
    if table.empty:
        return pd.DataFrame(columns=[by, "metrics", "met", "met_rate", "mean_achievement", "median_achievement"])
    grouped = table.groupby(by, sort=True)
    # Finite achievements near float's limit can still add up to infinity: a rate that cannot be computed.
    with np.errstate(over="ignore"):
        summary = pd.DataFrame({
            "metrics": grouped.size(),
            "met": grouped["met"].sum().astype(int),
            "mean_achievement": grouped["achievement"].mean(),
            "median_achievement": grouped["achievement"].median(),
        })
    averages = ["mean_achievement", "median_achievement"]
    summary[averages] = summary[averages].where(np.isfinite(summary[averages]))
    summary.insert(2, "met_rate", [ratio(m, n) for m, n in zip(summary["met"], grouped["met"].count(), strict=True)])
    return summary.reset_index()


def funnel_table(reviews: Iterable[Review]) -> pd.DataFrame:
    """One row per funnel stage: conversion from the stage before, and cumulative from the first stage."""
    rows = []
    for review in reviews:
        first = review.funnel[0][1] if review.funnel else None
        before: int | None = None
        for order, (stage, count) in enumerate(review.funnel, start=1):
            rows.append({"review": review.id, "team": review.team, "period": review.period, "order": order,
                         "stage": stage, "count": count, "conversion": ratio(count, before),
                         "cumulative": ratio(count, first)})
            before = count
    columns = ["review", "team", "period", "order", "stage", "count", "conversion", "cumulative"]
    return pd.DataFrame(rows, columns=columns).astype({"conversion": float, "cumulative": float})


def funnel_overall(funnel: pd.DataFrame) -> pd.DataFrame:
    """Per review: first and last stage counts and the overall conversion (last / first)."""
    columns = ["review", "team", "period", "first", "last", "overall"]
    if funnel.empty:
        return pd.DataFrame(columns=columns)
    ends = funnel.sort_values("order").groupby("review", sort=False).agg(
        team=("team", "first"), period=("period", "first"), first=("count", "first"), last=("count", "last"))
    ends["overall"] = [ratio(last, first) for first, last in zip(ends["first"], ends["last"], strict=True)]
    return ends.reset_index()[columns]


def problems_table(reviews: Iterable[Review]) -> pd.DataFrame:
    rows = [{"review": r.id, "team": r.team, "period": r.period, "held_on": r.held_on, "problem_id": p.id,
             "problem": p.problem, "root_cause": p.root_cause, "factor": p.factor, "whys": len(p.whys),
             "has_evidence": bool(p.evidence)} for r in reviews for p in r.problems]
    columns = ["review", "team", "period", "held_on", "problem_id", "problem", "root_cause", "factor", "whys",
               "has_evidence"]
    return pd.DataFrame(rows, columns=columns)


def causes_pareto(problems: pd.DataFrame) -> pd.DataFrame:
    """Root causes by fishbone factor, most frequent first, with share and cumulative share (the 80/20 view)."""
    columns = ["factor", "problems", "reviews", "teams", "share", "cumulative_share"]
    if problems.empty:
        return pd.DataFrame(columns=columns)
    grouped = problems.groupby("factor")
    pareto = pd.DataFrame({"problems": grouped.size(), "reviews": grouped["review"].nunique(),
                           "teams": grouped["team"].nunique()})
    pareto = pareto.reset_index().sort_values(["problems", "factor"], ascending=[False, True], ignore_index=True)
    pareto["share"] = pareto["problems"] / pareto["problems"].sum()
    pareto["cumulative_share"] = pareto["share"].cumsum()
    return pareto[columns]


def lessons_table(reviews: Iterable[Review]) -> pd.DataFrame:
    rows = [{"review": r.id, "title": r.title, "team": r.team, "period": r.period, "held_on": r.held_on,
             "lesson_id": lesson.id, "type": lesson.type, "lesson": lesson.lesson, "applies_to": lesson.applies_to,
             "tags": list(lesson.tags), "problem": lesson.problem}
            for r in reviews for lesson in r.lessons]
    columns = ["review", "title", "team", "period", "held_on", "lesson_id", "type", "lesson", "applies_to",
               "tags", "problem"]
    return pd.DataFrame(rows, columns=columns)


def lessons_by_tag(lessons: pd.DataFrame) -> pd.DataFrame:
    """Lessons counted by tag and type (an untagged lesson counts under the empty tag)."""
    columns = ["tag", "success", "failure", "lessons"]
    if lessons.empty:
        return pd.DataFrame(columns=columns)
    exploded = lessons.assign(tag=lessons["tags"].map(lambda tags: tags or [""])).explode("tag")
    counts = pd.crosstab(exploded["tag"], exploded["type"]).reindex(columns=["success", "failure"], fill_value=0)
    counts["lessons"] = counts.sum(axis=1)
    counts.columns.name = None
    return counts.reset_index().sort_values(["lessons", "tag"], ascending=[False, True], ignore_index=True)[columns]


def recurring_themes(reviews: Iterable[Review]) -> pd.DataFrame:
    """Tags (of reviews and lessons) and root-cause factors, with the reviews, teams and periods they appear
    in; a theme seen in two or more teams or periods is recurring."""
    seen: dict[tuple[str, str], list[Review]] = {}
    for review in reviews:
        themes = {("tag", t) for t in review.tags} | {("tag", t) for lesson in review.lessons for t in lesson.tags}
        themes |= {("factor", p.factor) for p in review.problems}
        for key in themes:
            seen.setdefault(key, []).append(review)
    rows = []
    for (kind, theme), found in seen.items():
        teams, periods = {r.team for r in found}, {r.period for r in found}
        rows.append({"kind": kind, "theme": theme, "reviews": len(found), "teams": len(teams),
                     "periods": len(periods), "last_seen": max(r.held_on for r in found),
                     "recurring": len(teams) >= 2 or len(periods) >= 2})
    columns = ["kind", "theme", "reviews", "teams", "periods", "last_seen", "recurring"]
    frame = pd.DataFrame(rows, columns=columns)
    return frame.sort_values(["recurring", "reviews", "kind", "theme"], ascending=[False, False, True, True],
                             ignore_index=True)
