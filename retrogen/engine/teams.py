"""One team's part of the knowledge base: its reviews over time, KPI trends, funnel, actions, verdicts and
recurring root causes. Data only; the site's team pages render it."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import Counter
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from retrogen.core.status import ACTIVE_STATES
from retrogen.engine.actions import action_summary
from retrogen.engine.analysis import Analysis
from retrogen.engine.metrics import causes_pareto, recurring_themes
from retrogen.engine.model import Review
from retrogen.formats.tables import grouped, records

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
# What a hashed slug ends with: a readable slug ending so is hashed too, so the two kinds never meet.
_HASH_TAIL = re.compile(r"-[0-9a-f]{8,}$")
_RESERVED = frozenset({"index"})  # teams/index.md is the teams' own index page
_DIGITS = 8


def team_slug(name: str) -> str:
    """A team's URL segment, ASCII and the same in every build: the name's words lower-cased with hyphens, a
    Chinese character by its pinyin syllable ('Enterprise Sales EMEA' -> 'enterprise-sales-emea',
    '华东销售部' -> 'hua-dong-xiao-shou-bu', 'APAC 华东' -> 'apac-hua-dong', 'Équipe' -> 'equipe'). A name
    without a word to read ('🙂'), or whose slug would read like a hashed one ('sales-emea-669eca45') or name
    a page of the site ('index'), gets its words (or 'team') and 8 hex digits of its SHA-1 instead."""
    readable = _readable(name)
    if readable and not _HASH_TAIL.search(readable) and readable not in _RESERVED:
        return readable
    return _hashed(name)


def _readable(name: str) -> str:
    """The name in ASCII words: pinyin for Chinese characters, one syllable a word (syllables run together
    are ambiguous, xian or xi-an, and words would need a segmenter's dictionary, which a glossary can change),
    accents dropped from Latin letters, anything else a separator."""
    from pypinyin import lazy_pinyin  # its dictionaries take a while to load: only the site's team pages need it

    # lazy_pinyin reads the name as a whole, so a polyphonic character takes its reading in a phrase
    # (重庆 chong-qing, 银行 yin-hang); it hands back any run of other characters untouched.
    words = "-".join(lazy_pinyin(name))
    ascii_words = unicodedata.normalize("NFKD", words).encode("ascii", "ignore").decode("ascii")
    return _NOT_SLUG.sub("-", ascii_words.lower()).strip("-")


def _hashed(name: str, digits: int = _DIGITS) -> str:
    return f"{_readable(name) or 'team'}-{hashlib.sha1(name.encode('utf-8')).hexdigest()[:digits]}"


def team_slugs(teams: Iterable[str]) -> dict[str, str]:
    """Each team's slug, distinct by construction and independent of the order of the teams:
    - readable slugs never end like hashed ones (see team_slug), so the two kinds never collide;
    - names that differ only in case, separators, accents or by homophones ('Sales EMEA' and 'sales-emea',
      华东 and 化东) would share a readable slug, so each of those is hashed instead;
    - two hashed slugs are equal only when the names share their readable words and the first 8 hex digits
      of their SHA-1: those take as many more digits as tell them apart (distinct names, distinct SHA-1s)."""
    names = sorted(set(teams))
    readable = Counter(team_slug(name) for name in names)
    slugs = {name: team_slug(name) if readable[team_slug(name)] == 1 else _hashed(name) for name in names}
    for slug, count in Counter(slugs.values()).items():
        if count > 1:
            group = [name for name in names if slugs[name] == slug]
            digits = next(n for n in range(_DIGITS, 41) if len({_hashed(name, n) for name in group}) == count)
            slugs.update((name, _hashed(name, digits)) for name in group)
    return slugs


OTHER = "other"  # the cadence of a review that does not recur: a project, a deal, an incident


def occasion(review: Review) -> str:
    """How a review is named on a time axis: its period's label, else the day it was held."""
    return review.period or review.held_on.isoformat()


def cadence(review: Review) -> str:
    """How often the review recurs (month, quarter…), OTHER for one that is not periodic."""
    period = review.period_of if review.kind == "periodic" else None
    return str(period.granularity) if period else OTHER


@dataclass(frozen=True)
class KpiTrend:
    """One metric of a team over its reviews of one cadence: its rows (TeamView.kpi_rows), oldest first."""

    metric: str
    unit: str
    cadence: str
    several_cadences: bool  # the team reports this metric at more than one cadence: the cadence must be named
    rows: tuple[dict[str, Any], ...]


@dataclass(frozen=True)
class AchievementTrend:
    """A team's achievement per metric over its reviews of one cadence."""

    cadence: str
    occasions: tuple[str, ...]  # the x axis: each review's occasion, oldest first
    by_metric: pd.DataFrame  # one row per metric, one column per review (in the occasions' order)


@dataclass(frozen=True)
class FunnelTrend:
    """A team's funnel conversions over its reviews of one cadence."""

    cadence: str
    occasions: tuple[str, ...]  # the x axis: each review's occasion, oldest first
    by_stage: pd.DataFrame  # one row per stage after the first, one column per review: conversion from the last
    rows: pd.DataFrame  # the cadence's rows of TeamView.funnel


@dataclass
class TeamView:
    name: str
    slug: str
    reviews: list[Review]  # oldest first
    metrics: pd.DataFrame  # the team's rows of Analysis.metrics, oldest review first, with `occasion`, `cadence`
    funnel: pd.DataFrame  # the team's rows of Analysis.funnel, oldest review first, with `occasion`, `cadence`
    actions: pd.DataFrame  # the team's actions in follow-up order (overdue first)
    summary: dict[str, Any]  # action_summary of the team's actions
    causes: pd.DataFrame  # the team's root causes by factor (80/20)
    themes: pd.DataFrame  # tags and factors recurring in the team's own reviews
    # KPIs missed in repeated_miss_periods or more periods in a row (Analysis.repeated_misses), and root
    # causes back while their fix is still open (Analysis.unfixed_causes): the team's rows
    repeated_misses: list[dict[str, Any]] = field(default_factory=list)
    unfixed_causes: list[dict[str, Any]] = field(default_factory=list)
    latest_held: Review | None = None  # its latest review held by today
    ytd: list[dict[str, Any]] = field(default_factory=list)  # the team's rows of Analysis.ytd

    @cached_property
    def kpi_rows(self) -> list[dict[str, Any]]:
        """The team's metric rows, oldest review first, each with its review's occasion and cadence."""
        return records(self.metrics)

    @cached_property
    def kpi_trends(self) -> list[KpiTrend]:
        """One trend per metric and cadence of the team's periodic reviews, in the order the metrics first
        appear: a monthly figure beside quarterly ones would read as a collapse, and a deal or an incident
        review is not a point in time of anything (one_off_kpis holds its figures)."""
        by_metric: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        for row in self.kpi_rows:
            if row["cadence"] != OTHER:
                by_metric.setdefault((row["metric"], row["unit"], row["cadence"]), []).append(row)
        cadences = Counter((name, unit) for name, unit, _ in by_metric)
        return [
            KpiTrend(name, unit, each, cadences[(name, unit)] > 1, tuple(rows))
            for (name, unit, each), rows in by_metric.items()
        ]

    @cached_property
    def one_off_kpis(self) -> list[dict[str, Any]]:
        """The metric rows of the team's reviews that do not recur (a project, a deal, an incident), oldest
        first: figures to read in a table, not points on a time axis."""
        return [row for row in self.kpi_rows if row["cadence"] == OTHER]

    @property
    def open_actions(self) -> pd.DataFrame:
        """Open actions, overdue first."""
        return self.actions[self.actions["state"].isin(ACTIVE_STATES)]

    @cached_property
    def achievement_trends(self) -> list[AchievementTrend]:
        """One trend per cadence of the team's periodic reviews, in the order the cadences first appear: a
        month between two quarters would read as a collapse, and a deal or an incident review is not a point
        in time of anything (its figures stay in the team's table)."""
        periodic = self.metrics[self.metrics["cadence"] != OTHER]
        trends = []
        for each, part in periodic.groupby("cadence", sort=False):
            reviews = part.drop_duplicates("review")
            pivot = part.pivot_table(
                index="metric", columns="review", values="achievement", aggfunc="last", sort=False
            ).reindex(columns=list(reviews["review"]))
            trends.append(AchievementTrend(str(each), tuple(map(str, reviews["occasion"])), pivot))
        return trends

    @cached_property
    def funnel_trends(self) -> list[FunnelTrend]:
        """The conversion of each funnel stage, one trend per cadence of the team's periodic reviews (as
        achievement_trends, for the same reasons): a project's or an incident's funnel stays on its page."""
        periodic = self.funnel[self.funnel["cadence"] != OTHER]
        trends = []
        for each, part in periodic.groupby("cadence", sort=False):
            reviews = part.drop_duplicates("review")
            later = part[part["order"] > 1]
            by_stage = later.pivot_table(
                index="stage", columns="review", values="conversion", aggfunc="last", sort=False
            ).reindex(columns=list(reviews["review"]))
            trends.append(FunnelTrend(str(each), tuple(map(str, reviews["occasion"])), by_stage, part))
        return trends


def team_views(analysis: Analysis, only: Collection[str] | None = None) -> list[TeamView]:
    """Every team's view (the views of the teams named in `only`), by team name. A team's view is made from
    its own reviews alone, besides the day and the configuration; its slug, from every team's name."""
    reviews: dict[str, list[Review]] = {}
    for review in analysis.knowledge_base.reviews:  # already oldest first
        reviews.setdefault(review.team, []).append(review)
    slugs = team_slugs(reviews)
    if only is not None:
        reviews = {name: held for name, held in reviews.items() if name in only}
    shown = [r for held in reviews.values() for r in held]
    occasions = {r.id: occasion(r) for r in shown}
    cadences = {r.id: cadence(r) for r in shown}
    order = {r.id: index for index, r in enumerate(analysis.knowledge_base.reviews)}

    def of_teams(frame: pd.DataFrame) -> pd.DataFrame:
        return frame if only is None else frame[frame["team"].isin(reviews.keys())]

    def of_team(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
        frame = of_teams(frame)
        frame = frame.assign(
            occasion=frame["review"].map(occasions),
            cadence=frame["review"].map(cadences),
            _order=frame["review"].map(order),
        )
        frame = frame.sort_values("_order", kind="stable").drop(columns="_order")
        return {str(team): part for team, part in frame.groupby("team", sort=False)}

    metrics, funnel = of_team(analysis.metrics), of_team(analysis.funnel)
    # follow_up_list is in follow-up order, and grouping keeps each team's rows in it
    actions = {str(team): part for team, part in of_teams(analysis.follow_up_list).groupby("team", sort=False)}
    problems = {str(team): part for team, part in of_teams(analysis.problems).groupby("team", sort=False)}
    misses = grouped(records(of_teams(analysis.repeated_misses)), "team")
    unfixed = grouped(records(of_teams(analysis.unfixed_causes)), "team")
    ytd = grouped(records(of_teams(analysis.ytd)), "team")
    views = []
    for name in sorted(reviews):
        team_actions = actions.get(name, analysis.actions.iloc[0:0])
        summary = action_summary(team_actions)
        held = [r for r in reviews[name] if r.held_on <= analysis.today]
        views.append(
            TeamView(
                name=name,
                slug=slugs[name],
                reviews=reviews[name],
                metrics=metrics.get(name, analysis.metrics.iloc[0:0].assign(occasion=None, cadence=None)),
                funnel=funnel.get(name, analysis.funnel.iloc[0:0].assign(occasion=None, cadence=None)),
                actions=team_actions,
                # A team without actions has no summary row: its figures are empty, not missing.
                summary={str(k): v for k, v in summary.iloc[0].items()}
                if len(summary)
                else dict.fromkeys(map(str, summary.columns)),
                causes=causes_pareto(problems.get(name, analysis.problems.iloc[0:0])),
                themes=(themes := recurring_themes(reviews[name]))[themes["recurring"]],
                repeated_misses=misses.get(name, []),
                unfixed_causes=unfixed.get(name, []),
                latest_held=held[-1] if held else None,
                ytd=ytd.get(name, []),
            )
        )
    return views


def metrics_across_teams(metrics: pd.DataFrame, reviews: Iterable[Review]) -> list[tuple[str, str, str, pd.DataFrame]]:
    """Each metric (name and unit) two or more teams report at one cadence: (name, unit, cadence, one row per
    team and one column per occasion in time order, holding the actual value). One axis per cadence, and none
    for reviews that do not recur: see TeamView.achievement_trends."""
    reviews = list(reviews)
    labels = {r.id: occasion(r) for r in reviews}
    cadences = {r.id: cadence(r) for r in reviews}
    columns = list(dict.fromkeys(labels[review] for review in metrics["review"] if review in labels))
    known = metrics[metrics["review"].isin(labels)]
    known = known.assign(occasion=known["review"].map(labels), cadence=known["review"].map(cadences))
    shared = []
    for (name, unit, each), part in known[known["cadence"] != OTHER].groupby(["metric", "unit", "cadence"], sort=False):
        if part["team"].nunique() < 2:
            continue
        pivot = part.pivot_table(index="team", columns="occasion", values="actual", aggfunc="last", sort=True)
        in_order = pivot.reindex(columns=[c for c in columns if c in pivot.columns])
        shared.append((str(name), str(unit), str(each), in_order))
    return shared
