"""What a 《复盘报告》 says, computed from an Analysis and never formatted here: the writers decide how it reads.

A review's report: its header (title, period, team, participants), the KPI table with achievement and a
red/amber/green mark, the largest gaps with their analysis, root causes (5-Why and fishbone factor),
lessons, and the action plan with each action's state in the tracker. A period's report: a one-page summary
(KPI achievement per team or per review, overdue actions, the most frequent root causes) and, for one team,
each of its reviews' reports after it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import date
from functools import cached_property
from typing import Any

from retrogen.core.errors import RetrogenError
from retrogen.core.periods import Period, parse_label
from retrogen.engine.analysis import Analysis
from retrogen.engine.loop import FollowUp, Slip
from retrogen.engine.metrics import Rag, rag
from retrogen.engine.model import Lesson, Problem, Review
from retrogen.formats import urls
from retrogen.formats.tables import grouped, records
from retrogen.formats.urls import SiteUrls
from retrogen.gate.hints import did_you_mean

# The gaps a report discusses: the few largest (80/20), not every missed metric again.
TOP_GAPS = 3


class ReportError(RetrogenError):
    """A report names a review, team or period the knowledge base does not have."""


@dataclass(frozen=True)
class KpiRow:
    category: str
    name: str
    unit: str
    target: float | None
    actual: float | None
    achievement: float | None
    met: bool | None
    previous: float | None
    change: float | None
    change_unit: str | None  # pp or ratio
    change_good: bool | None
    analysis: str

    @property
    def rag(self) -> Rag | None:
        return rag(self.achievement)


@dataclass(frozen=True)
class ActionRow:
    id: str
    action: str
    owner: str
    due: date
    checkpoint: str
    status: str  # as the review states it (not_started, in_progress, …)
    state: str  # the tracker's: open, overdue, done, cancelled, carried
    days_late: int | None
    review: str = ""  # title of the review the action belongs to (summaries list actions of many reviews)
    team: str = ""
    slip: Slip | None = None  # of an action that continues another: how far it is from its original due date


@dataclass(frozen=True)
class FunnelRow:
    stage: str
    count: int
    conversion: float | None  # from the stage before; None for the first stage
    cumulative: float | None  # from the first stage
    target_rate: float | None
    target_met: bool | None


@dataclass(frozen=True)
class ReviewReport:
    review: Review
    kpis: tuple[KpiRow, ...]
    actions: tuple[ActionRow, ...]
    today: date  # the day the actions' states are as of
    follow_up: FollowUp  # the team's earlier actions as they stood at this meeting
    funnel: tuple[FunnelRow, ...] = ()
    link: str | None = None  # the review's page on the site, when mkdocs.yml has site_url

    @property
    def language(self) -> str:
        return self.review.language

    @property
    def gaps(self) -> tuple[KpiRow, ...]:
        """The missed metrics furthest from their targets, worst first."""
        missed = [k for k in self.kpis if k.met is False]
        return tuple(sorted(missed, key=lambda k: k.achievement or 0.0)[:TOP_GAPS])

    @property
    def problems(self) -> tuple[Problem, ...]:
        return self.review.problems

    @property
    def lessons(self) -> tuple[Lesson, ...]:
        return self.review.lessons


@dataclass(frozen=True)
class SummaryRow:
    """KPI achievement and action counts of one team (all teams' summary) or one review (a team's)."""

    name: str
    metrics: int
    met: int
    mean_achievement: float | None
    actions: int
    open: int
    overdue: int
    completion_rate: float | None

    @property
    def rag(self) -> Rag | None:
        return rag(self.mean_achievement)


@dataclass(frozen=True)
class CauseRow:
    factor: str
    problems: int
    teams: int
    share: float
    examples: tuple[str, ...]  # root causes of this factor, latest first


@dataclass(frozen=True)
class Summary:
    period: Period
    team: str | None  # None: every team
    reviews: int
    rows: tuple[SummaryRow, ...]
    overdue: tuple[ActionRow, ...]
    causes: tuple[CauseRow, ...]
    today: date


@dataclass(frozen=True)
class Report:
    """One document: a summary first (for a period), then the reports of reviews (none for all teams)."""

    language: str
    reviews: tuple[ReviewReport, ...] = ()
    summary: Summary | None = None


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _kpi(row: dict[str, Any], analysis: str) -> KpiRow:
    return KpiRow(
        category=row["category"],
        name=row["metric"],
        unit=row["unit"],
        target=_number(row["target"]),
        actual=_number(row["actual"]),
        achievement=_number(row["achievement"]),
        met=None if row["met"] is None else bool(row["met"]),
        previous=_number(row["previous"]),
        change=_number(row["change"]),
        change_unit=row["change_unit"],
        change_good=row["change_good"],
        analysis=analysis,
    )


def _action(row: dict[str, Any], review: Review | None = None) -> ActionRow:
    return ActionRow(
        id=row["id"],
        action=row["action"],
        owner=row["owner"],
        due=row["due"],
        checkpoint=row["checkpoint"],
        status=row["status"],
        state=row["state"],
        days_late=row["days_late"],
        review=review.title if review else "",
        team=review.team if review else "",
        slip=Slip(row["original_due"], row["carries"], row["slip_days"]) if row["carries"] else None,
    )


def in_period(review: Review, period: Period) -> bool:
    """A review speaks of `period` when its own period lies within it; a review without one, when it was
    held within it."""
    own = review.period_of
    if own is None:
        return period.start <= review.held_on <= period.end
    return period.start <= own.start and own.end <= period.end


def _nameable(review: Review) -> str | None:
    """The label of the review's period when `--period` can name it (2026-Q3, not 2026-05-04–2026-08-28)."""
    if review.period_of is None:
        return None
    try:
        return review.period_of.label if parse_label(review.period_of.label) == review.period_of else None
    except RetrogenError:
        return None


def _hint(word: str, known: Iterable[str]) -> str:
    hint = did_you_mean(word, known)
    return f"; {hint}" if hint else ""


_METRIC_COLUMNS = (
    "review",
    "category",
    "metric",
    "unit",
    "target",
    "actual",
    "achievement",
    "met",
    "previous",
    "change",
    "change_unit",
    "change_good",
)
_ACTION_COLUMNS = (
    "review",
    "id",
    "action",
    "owner",
    "due",
    "checkpoint",
    "status",
    "state",
    "days_late",
    "original_due",
    "carries",
    "slip_days",
)


_FUNNEL_COLUMNS = ("review", "stage", "count", "conversion", "cumulative", "target_rate", "target_met")


class ReportBuilder:
    """Builds reports from one Analysis; the tables are grouped by review once, so a build that writes every
    review's report stays linear in the number of reviews."""

    def __init__(self, analysis: Analysis, site: SiteUrls | None = None) -> None:
        self.analysis = analysis
        self.site = site  # with a site_url: each review's report links to its page
        self.reviews = {r.id: r for r in analysis.knowledge_base.reviews}

    # Only the columns a report shows: turning every cell of the tables into rows cost a second per 1,000
    # reviews, four times what these do.
    @cached_property
    def _metrics(self) -> dict[str, list[dict[str, Any]]]:
        return grouped(records(self.analysis.metrics[list(_METRIC_COLUMNS)]), "review")

    @cached_property
    def _funnel(self) -> dict[str, list[dict[str, Any]]]:
        return grouped(records(self.analysis.funnel[list(_FUNNEL_COLUMNS)]), "review")

    @cached_property
    def _actions(self) -> dict[str, list[dict[str, Any]]]:
        return grouped(records(self.analysis.actions[list(_ACTION_COLUMNS)]), "review")

    def review(self, review_id: str) -> ReviewReport:
        """The report of the review `review_id`; ReportError, with a did-you-mean, when there is none."""
        if review_id not in self.reviews:
            raise ReportError(f"no review {review_id!r} in the knowledge base{_hint(review_id, self.reviews)}")
        review = self.reviews[review_id]
        return self.of_team(review.team).of(review)

    def of_team(self, team: str) -> ReportBuilder:
        """A builder over `team`'s reviews alone. Everything a report of one of them shows comes from its team's
        reviews (环比 and 同比, carries and slips, verdicts, the follow-up, the team's figures), so it reads the
        same as from the whole knowledge base, without computing the tables of every other team."""
        analysis = self.analysis
        mine = [r for r in analysis.knowledge_base.reviews if r.team == team]
        if len(mine) == len(self.reviews):
            return self
        reviews = replace(analysis.knowledge_base, reviews=mine)
        return ReportBuilder(replace(analysis, knowledge_base=reviews, cache_notices=[]), self.site)

    def of(self, review: Review) -> ReviewReport:
        analyses = [m.analysis for m in review.metrics]
        # Rows come in the review's own order, so the metric at the same position holds the analysis.
        kpis = tuple(_kpi(row, text) for row, text in zip(self._metrics.get(review.id, []), analyses, strict=True))
        actions = tuple(_action(row) for row in self._actions.get(review.id, []))
        funnel = tuple(
            FunnelRow(
                row["stage"],
                int(row["count"]),
                _number(row["conversion"]),
                _number(row["cumulative"]),
                _number(row["target_rate"]),
                row["target_met"],
            )
            for row in self._funnel.get(review.id, [])
        )
        link = self.site.absolute(urls.review(review.id)) if self.site else None
        return ReviewReport(
            review, kpis, actions, self.analysis.today, self.analysis.follow_up(review), funnel, link=link
        )

    def period(self, period: Period, team: str | None, language: str) -> Report:
        """A period's report: the summary of every team (team None) or of one team followed by each of its
        reviews in the period. ReportError for an unknown team or a period without reviews."""
        everyone = list(self.reviews.values())
        if team is not None:
            teams = sorted({r.team for r in everyone})
            if team not in teams:
                raise ReportError(f"no team {team!r} in the knowledge base{_hint(team, teams)}")
            everyone = [r for r in everyone if r.team == team]
        chosen = [r for r in everyone if in_period(r, period)]
        if not chosen:
            whose = f"team {team!r}" if team else "the knowledge base"
            periods = sorted({label for label in (_nameable(r) for r in everyone) if label})
            known = f"; its reviews' periods: {', '.join(periods)}" if periods else ""
            raise ReportError(f"{whose} has no review in {period.label}{known}")
        if team is None:
            return Report(language, (), self._summary(chosen, period, team))
        builder = self.of_team(team)
        return Report(language, tuple(builder.of(r) for r in chosen), builder._summary(chosen, period, team))

    def _summary(self, chosen: list[Review], period: Period, team: str | None) -> Summary:
        a = self.analysis
        ids = {r.id for r in chosen}
        names = {r.id: r.title for r in chosen} if team is not None else {}
        summary = a.summary_of(chosen, "review" if team is not None else "team")
        overdue = a.overdue_actions[a.overdue_actions["review"].isin(ids)]
        return Summary(
            period=period,
            team=team,
            reviews=len(chosen),
            rows=tuple(SummaryRow(name=names.get(key, key), **row) for key, row in summary.items()),
            overdue=tuple(_action(row, self.reviews[row["review"]]) for row in records(overdue)),
            causes=tuple(
                CauseRow(
                    factor=row["factor"],
                    problems=int(row["problems"]),
                    teams=int(row["teams"]),
                    share=row["share"],
                    examples=tuple(row["examples"]),
                )
                for row in records(a.causes_of(ids))
            ),
            today=a.today,
        )
