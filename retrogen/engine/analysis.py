"""Everything the command line and the site compute from a knowledge base, each table computed once."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property, wraps
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar, cast

import pandas as pd

from retrogen.core.bulk import collector_paused
from retrogen.core.status import ACTIVE_STATES, State
from retrogen.engine import actions as action_tables
from retrogen.engine import metrics as metric_tables
from retrogen.engine.history import (
    ActionKey,
    GitHistory,
    StatusEvent,
    read_git_history,
    weekly_series,
    with_carries,
    written_timelines,
)
from retrogen.engine.loop import ClosedLoop, FollowUp, Verdict, closed_loop, follow_up
from retrogen.engine.model import KnowledgeBase, Lesson, Review, ReviewBuilder, load_knowledge_base
from retrogen.engine.targets import ytd_by_kpi, ytd_table
from retrogen.formats.tables import records
from retrogen.gate.check import read_knowledge_base
from retrogen.gate.config import Config
from retrogen.gate.glossary import SEED, Glossary
from retrogen.gate.index import lasting_folder
from retrogen.gate.loop_checks import same_cause
from retrogen.gate.loop_rules import previous_review
from retrogen.gate.settings import DEFAULTS
from retrogen.gate.targets import Target

if TYPE_CHECKING:
    from retrogen.engine.playbook import Playbook
    from retrogen.engine.related import Match, RelatedIndex


@dataclass(frozen=True)
class RecentChanges:
    """What changed in the `days` days up to and including `since`'s today: reviews held, actions done, and
    actions that became overdue (open the day after their due date), whatever became of them since."""

    days: int
    reviews_added: int
    actions_closed: int
    became_overdue: int


@dataclass(frozen=True)
class Headline:
    """The knowledge base's headline figures, shown on the dashboard and the action tracker."""

    reviews: int
    teams: int
    lessons: int
    open: int
    overdue: int
    on_time: float | None
    completion: float | None
    verification: float | None
    verified: int
    achieved: int


@dataclass(frozen=True)
class ReviewRow:
    """A review as lists of reviews show it: its KPIs met (and worst miss) and its open and overdue actions."""

    review: Review
    open: int
    overdue: int
    score: dict[str, Any] | None  # Analysis.review_scores' row; None when it reports no metric


@dataclass(frozen=True)
class ReviewSummary:
    """What a review's page leads with: its KPIs met and worst miss, its headline lesson, its actions and the
    verdicts its meeting decided on earlier actions."""

    metrics: int  # the KPIs it reports (named as Analysis.review_scores names them, for one way to show both)
    met: int
    worst_metric: str | None  # the missed KPI of lowest achievement; None when none was missed
    worst_achievement: float | None
    headline: Lesson | None  # the first lesson the review wrote (authors put the one that matters first)
    actions: int
    open: int  # open on the analysis's today, overdue included
    owners: tuple[str, ...]  # in the order the actions name them
    earliest_due: date | None
    verdicts: int  # decided at this meeting: achieved, missed or met without the action
    achieved: int
    missed: int


# Root-cause examples a summary quotes per fishbone factor.
CAUSE_EXAMPLES = 2
# The related problems and lessons a review page lists, and how many of them one other review may give.
RELATED_ON_A_PAGE = 5
RELATED_PER_REVIEW = 2

UNFIXED_CAUSE_COLUMNS = [
    "team",
    "review",
    "problem",
    "factor",
    "themes",
    "earlier_review",
    "earlier_problem",
    "actions",
]


def _lesson_tags(review: Review, problem_id: str) -> frozenset[str]:
    """The tags of the review's lessons drawn from the problem: its root cause's theme."""
    return frozenset(tag for lesson in review.lessons if lesson.problem == problem_id for tag in lesson.tags)


_Table = TypeVar("_Table")


def _uncollected(compute: Callable[[Analysis], _Table]) -> Callable[[Analysis], _Table]:
    """A table made with the cycle collector paused: it makes an object or more per action (timelines, rows),
    none of them garbage, and the collector's passes as they pile up cost a command at 10,000 reviews a
    third of the time the actions' table takes."""

    @wraps(compute)
    def computed(analysis: Analysis) -> _Table:
        with collector_paused():
            return compute(analysis)

    return computed


@dataclass
class Analysis:
    knowledge_base: KnowledgeBase
    git: GitHistory
    playbook_order: tuple[str, ...] = DEFAULTS.playbook_order  # extra.retrogen.playbook_order
    # extra.retrogen.rag_thresholds: the achievement from which a KPI is green, and amber
    rag_thresholds: tuple[float, float] = DEFAULTS.rag_thresholds
    repeated_miss_periods: int = DEFAULTS.repeated_miss_periods  # extra.retrogen.repeated_miss_periods
    proven_min_verdicts: int = DEFAULTS.proven_min_verdicts  # extra.retrogen.proven_min_verdicts
    targets: tuple[Target, ...] = ()  # extra.retrogen.targets, read
    glossary: Glossary = SEED  # the seed glossary and extra.retrogen.glossary
    # Where the related index and the playbook keep their words between runs (gate.index.lasting_folder);
    # None: nowhere. What they had to rebuild there is said in `cache_notices`, once they were asked for.
    lasting_folder: Path | None = None
    cache_notices: list[str] = field(default_factory=list)

    @property
    def today(self) -> date:
        return self.knowledge_base.today

    @property
    def notices(self) -> list[str]:
        """What the person running a command should know: how complete the figures are, and what retrogen
        kept between runs had to be read again (the lasting index made by another version...)."""
        return self.knowledge_base.notices + self.reading_notices + self.git.notices

    @property
    def reading_notices(self) -> list[str]:
        """The reviews left out, a notice each: what a page shows its readers beside git's, in their words.
        What retrogen keeps between runs (the index rebuilt...) concerns the person running it, not the
        site's readers, and is not among them: it named a folder of the machine that built the site, and under
        `serve` its going away made every page's inputs differ on the next save."""
        return [
            f"{f.path}:{f.line}:{f.column}: {f.code} {f.message} (review left out)" for f in self.knowledge_base.skipped
        ]

    @cached_property
    @_uncollected
    def loop(self) -> ClosedLoop:
        return closed_loop(self.knowledge_base.reviews, self.today)

    @cached_property
    @_uncollected
    def written_histories(self) -> dict[ActionKey, list[StatusEvent]]:
        """Each action's statuses in its own review's file and commits, without later reviews' carries."""
        return written_timelines(self.knowledge_base.reviews, self.git)

    @cached_property
    @_uncollected
    def histories(self) -> dict[ActionKey, list[StatusEvent]]:
        """Each action's statuses, `carried` from the day a later review carried it."""
        return with_carries(self.written_histories, self.loop.carried)

    @cached_property
    @_uncollected
    def metrics(self) -> pd.DataFrame:
        return metric_tables.metrics_table(self.knowledge_base.reviews)

    @cached_property
    def scoreboard(self) -> pd.DataFrame:
        """Each team's KPIs in its latest periodic review held by today, with 红/黄/绿, 环比 and a trend
        (metrics.scoreboard)."""
        held = [r for r in self.knowledge_base.reviews if r.held_on <= self.today]
        return metric_tables.scoreboard(held, self.metrics, *self.rag_thresholds, repeated=self.repeated_miss_periods)

    @cached_property
    def ytd(self) -> pd.DataFrame:
        """Year-to-date achievement against each target of targets.yaml, from the reviews held by today
        (targets.ytd_table)."""
        return ytd_table(self.knowledge_base.reviews, self.targets, self.today)

    @cached_property
    def ytd_by_kpi(self) -> dict[tuple[str, str, str, str], dict[str, Any]]:
        """The year to date beside each KPI of the scoreboard (targets.ytd_by_kpi)."""
        return ytd_by_kpi(self.ytd)

    @cached_property
    def repeated_misses(self) -> pd.DataFrame:
        """KPIs missed in repeated_miss_periods or more comparable periods in a row (metrics.repeated_misses)."""
        held = self.metrics[self.metrics["held_on"] <= self.today]
        return metric_tables.repeated_misses(held, self.repeated_miss_periods)

    @cached_property
    def unfixed_causes(self) -> pd.DataFrame:
        """Root causes of each team's latest review held by today that the review it follows on from found too
        (crosschecks.same_cause) while the action that addresses them there is still open or was carried: what
        `check` warns of as RG222."""
        rows = []
        for team_reviews in self.loop.teams.values():
            held = [r for r in team_reviews if r.held_on <= self.today]
            if not held:
                continue
            latest = max(held, key=lambda r: (r.held_on, r.id))
            previous = previous_review(latest, held)
            if previous is None:
                continue
            for problem in latest.problems:
                for earlier in previous.problems:
                    if not same_cause(
                        problem.factor,
                        _lesson_tags(latest, problem.id),
                        earlier.factor,
                        _lesson_tags(previous, earlier.id),
                    ):
                        continue
                    pending = [
                        f"{previous.id}:{a.id}"
                        for a in previous.actions
                        if earlier.id in a.addresses and (a.status.is_open or (previous.id, a.id) in self.loop.carried)
                    ]
                    if pending:
                        shared = _lesson_tags(latest, problem.id) & _lesson_tags(previous, earlier.id)
                        rows.append(
                            {
                                "team": latest.team,
                                "review": latest.id,
                                "problem": problem.id,
                                "factor": problem.factor,
                                "themes": sorted(shared),
                                "earlier_review": previous.id,
                                "earlier_problem": earlier.id,
                                "actions": pending,
                            }
                        )
                        break
        return pd.DataFrame(rows, columns=UNFIXED_CAUSE_COLUMNS)

    @cached_property
    def review_scores(self) -> dict[str, dict[str, Any]]:
        """Per review id: its metrics, how many met, and its worst miss (metrics.review_scores)."""
        return {str(row["review"]): row for row in records(metric_tables.review_scores(self.metrics))}

    @cached_property
    def funnel(self) -> pd.DataFrame:
        return metric_tables.funnel_table(self.knowledge_base.reviews)

    @cached_property
    def funnel_overall(self) -> pd.DataFrame:
        return metric_tables.funnel_overall(self.funnel)

    @cached_property
    def problems(self) -> pd.DataFrame:
        return metric_tables.problems_table(self.knowledge_base.reviews)

    @cached_property
    def causes(self) -> pd.DataFrame:
        return metric_tables.causes_pareto(self.problems)

    @cached_property
    def lessons(self) -> pd.DataFrame:
        return metric_tables.lessons_table(self.knowledge_base.reviews)

    @cached_property
    def lessons_by_tag(self) -> pd.DataFrame:
        return metric_tables.lessons_by_tag(self.lessons)

    @cached_property
    @_uncollected
    def themes(self) -> pd.DataFrame:
        return metric_tables.recurring_themes(self.knowledge_base.reviews)

    @cached_property
    @_uncollected
    def action_states(self) -> action_tables.ActionStates:
        """Each action's status and state today, without the table (what remind reads)."""
        return self._states_today()

    def _states_today(self) -> action_tables.ActionStates:
        return action_tables.action_states(
            self.knowledge_base.reviews, self.histories, self.today, self.written_histories
        )

    @cached_property
    @_uncollected
    def actions(self) -> pd.DataFrame:
        # The states remind read, or made for the table alone and let go with it (not kept beside the table).
        found = self.__dict__.get("action_states") or self._states_today()
        return action_tables.actions_frame(found, self.loop)

    @cached_property
    def follow_up_list(self) -> pd.DataFrame:
        """Every action, overdue first (longest overdue on top), then open by due date, then the rest."""
        return action_tables.follow_up_order(self.actions)

    @cached_property
    def overdue_actions(self) -> pd.DataFrame:
        return self.follow_up_list[self.follow_up_list["state"] == State.OVERDUE]

    @cached_property
    def slipped_actions(self) -> pd.DataFrame:
        """The latest action of every carry chain, the most days slipped first."""
        return action_tables.slipped_order(self.actions)

    @cached_property
    def open_actions(self) -> pd.DataFrame:
        """Open and not yet overdue, by due date."""
        return self.follow_up_list[self.follow_up_list["state"] == State.OPEN]

    def recently_done(self, days: int = 60) -> pd.DataFrame:
        """Actions done in the last `days` days, latest first."""
        table = self.actions
        # Days between dates, never a date `days` before today: that may not exist (--today 0001-01-01).
        recent = table["done_on"].map(lambda d: d is not None and (self.today - d).days <= days)
        return table[(table["state"] == State.DONE) & recent].sort_values("done_on", ascending=False)

    def since(self, days: int = 7) -> RecentChanges:
        """What changed in the `days` days up to today (see RecentChanges), from each action's timeline."""
        # Days as ordinals: a date `days` before today may not exist (--today 0001-01-01).
        first, last = self.today.toordinal() - days + 1, self.today.toordinal()

        def within(day: date) -> bool:
            return first <= day.toordinal() <= last

        held = sum(1 for r in self.knowledge_base.reviews if within(r.held_on))
        done = self.actions[self.actions["state"] == State.DONE]["done_on"]
        closed = sum(1 for day in done if day is not None and within(day))
        overdue = 0
        for review in self.knowledge_base.reviews:
            for action in review.actions:
                late = action.due.toordinal() + 1  # the first day it can be overdue
                if (
                    first <= late <= last
                    and self.loop.state_on(action, self.histories[(review.id, action.id)], date.fromordinal(late))
                    is State.OVERDUE
                ):
                    overdue += 1
        return RecentChanges(days, held, closed, overdue)

    @cached_property
    def open_counts(self) -> dict[str, int]:
        """Per review, how many of its actions are open (overdue included)."""
        active = self.actions[self.actions["state"].isin(ACTIVE_STATES)]
        return {str(k): int(v) for k, v in active.groupby("review").size().items()}

    @cached_property
    def action_totals(self) -> dict[str, Any]:
        """The knowledge base's action counts and rates (action_summary over every action)."""
        if self.actions.empty:
            return {}
        return cast(dict[str, Any], action_tables.action_summary(self.actions).iloc[0].to_dict())

    @cached_property
    def recurring_themes(self) -> pd.DataFrame:
        return self.themes[self.themes["recurring"]]

    @cached_property
    def achievement_trends(self) -> dict[str, pd.DataFrame]:
        return metric_tables.achievement_trends(self.metrics)

    @cached_property
    def _follow_ups(self) -> dict[str, FollowUp]:
        return {}

    def follow_up(self, review: Review) -> FollowUp:
        """The 上期行动回顾 of a review: its team's earlier actions on the day it was held, and its verdicts.
        Made once per review: its page, its summary, its Word report and pr-summary all show it."""
        if review.id not in self._follow_ups:
            self._follow_ups[review.id] = follow_up(review, self.loop, self.histories)
        return self._follow_ups[review.id]

    def review_summary(self, review: Review) -> ReviewSummary:
        """The summary at the top of `review`'s page (ReviewSummary)."""
        decided = [verdict.verdict for _, _, verdict in self.follow_up(review).decided]
        score = self.review_scores.get(review.id) or {}
        return ReviewSummary(
            metrics=int(score.get("metrics", 0)),
            met=int(score.get("met", 0)),
            worst_metric=score.get("worst_metric"),
            worst_achievement=score.get("worst_achievement"),
            headline=review.lessons[0] if review.lessons else None,
            actions=len(review.actions),
            open=self.open_counts.get(review.id, 0),
            owners=tuple(dict.fromkeys(a.owner for a in review.actions)),
            earliest_due=min((a.due for a in review.actions), default=None),
            verdicts=len(decided),
            achieved=decided.count(Verdict.ACHIEVED),
            missed=decided.count(Verdict.MISSED),
        )

    @cached_property
    @_uncollected
    def weekly(self) -> pd.DataFrame:
        return weekly_series(self.knowledge_base.reviews, self.histories, self.today)

    @cached_property
    @_uncollected
    def playbook(self) -> Playbook:
        # Jinja and the playbook's stores: imported when the playbook is asked for, not by every table's command.
        from retrogen.engine.playbook import build_playbook
        from retrogen.engine.playbook_cache import MergeStore
        from retrogen.engine.related_cache import WordStore

        kept, merged = WordStore.open(self.lasting_folder), MergeStore.open(self.lasting_folder)
        playbook = build_playbook(
            self.knowledge_base.reviews,
            self.actions_on_lessons,
            self.themes,
            self.playbook_order,
            self.proven_min_verdicts,
            glossary=self.glossary,
            kept=kept,
            merged=merged,
        )
        self.cache_notices += (kept.notices if kept is not None else []) + (merged.notices if merged else [])
        return playbook

    @cached_property
    @_uncollected
    def actions_on_lessons(self) -> pd.DataFrame:
        """The action table's rows of the reviews whose actions address a lesson's problem: all the playbook
        tracks. Built for those reviews alone when the whole table was not asked for already (each row
        depends only on its review, its timeline and the closed loop): often none, and no loop or timeline
        to make at all."""
        from retrogen.engine.playbook import tracks_actions

        tracking = [r for r in self.knowledge_base.reviews if tracks_actions(r)]
        # Most of the reviews (or the table built already): the whole table, which the site asks for anyway
        if "actions" in self.__dict__ or 2 * len(tracking) > len(self.knowledge_base.reviews):
            return self.actions
        if not tracking:
            return action_tables.actions_table([], {}, ClosedLoop(), self.today)
        written = written_timelines(tracking, self.git)
        histories = with_carries(written, self.loop.carried)
        return action_tables.actions_table(tracking, histories, self.loop, self.today, written)

    @cached_property
    def headline(self) -> Headline:
        totals = self.action_totals
        return Headline(
            reviews=len(self.knowledge_base.reviews),
            teams=len({r.team for r in self.knowledge_base.reviews}),
            lessons=len(self.lessons),
            open=totals.get("open", 0),
            overdue=totals.get("overdue", 0),
            on_time=totals.get("on_time_rate"),
            completion=totals.get("completion_rate"),
            verification=totals.get("verification_rate"),
            verified=totals.get("verified", 0),
            achieved=totals.get("achieved", 0),
        )

    @cached_property
    def review_rows(self) -> dict[str, ReviewRow]:
        """Every review's row (ReviewRow), by id, in the knowledge base's order (oldest first)."""
        overdue = Counter(self.overdue_actions["review"])
        return {
            r.id: ReviewRow(r, self.open_counts.get(r.id, 0), overdue[r.id], self.review_scores.get(r.id))
            for r in self.knowledge_base.reviews
        }

    @cached_property
    def latest_reviews(self) -> list[ReviewRow]:
        """Every review's row, latest first."""
        return sorted(self.review_rows.values(), key=lambda row: (row.review.held_on, row.review.id), reverse=True)

    @cached_property
    def actions_by_owner(self) -> pd.DataFrame:
        return action_tables.action_summary(self.actions, "owner")

    @cached_property
    def actions_by_team(self) -> pd.DataFrame:
        return action_tables.action_summary(self.actions, "team")

    def summary_of(self, reviews: Sequence[Review], by: str) -> dict[str, dict[str, Any]]:
        """KPI achievement and action counts of `reviews`, per `by`: each review in their order ("review") or
        each of their teams by name ("team"). A row holds metrics, met, mean_achievement (metrics_summary) and
        actions, open, overdue, completion_rate (action_summary): 0, or None for a rate, where there is none."""
        ids = {r.id for r in reviews}
        metrics = self.metrics[self.metrics["review"].isin(ids)]
        actions = self.actions[self.actions["review"].isin(ids)]
        kpis = {row[by]: row for row in records(metric_tables.metrics_summary(metrics, by))}
        acts = {row[by]: row for row in records(action_tables.action_summary(actions, by))}
        keys = [r.id for r in reviews] if by == "review" else sorted({r.team for r in reviews})
        counted = ("metrics", "met", "actions", "open", "overdue")
        return {
            key: {
                column: (kpis.get(key, {}) | acts.get(key, {})).get(column, 0 if column in counted else None)
                for column in (*counted, "mean_achievement", "completion_rate")
            }
            for key in keys
        }

    def causes_of(self, review_ids: Collection[str], examples: int = CAUSE_EXAMPLES) -> pd.DataFrame:
        """The root causes of the reviews `review_ids` by fishbone factor, most frequent first
        (metrics.causes_pareto), each with its `examples` latest root causes."""
        problems = self.problems[self.problems["review"].isin(review_ids)]
        latest = problems.sort_values(["held_on", "review"], ascending=False)
        causes = metric_tables.causes_pareto(problems)
        quoted = [tuple(latest.loc[latest["factor"] == f, "root_cause"][:examples]) for f in causes["factor"]]
        return causes.assign(examples=pd.Series(quoted, index=causes.index, dtype=object))

    def last_update(self, review: Review, action_id: str) -> date:
        """The latest day on or before today that the action's timeline changed or an update was written (an
        update that keeps the status is news too, though the timeline merges it away); of an action that
        existed by today."""
        today = self.today
        action = next(a for a in review.actions if a.id == action_id)
        events = self.histories[(review.id, action_id)]
        return max([e.date for e in events if e.date <= today] + [u.date for u in action.updates if u.date <= today])

    @cached_property
    def related(self) -> RelatedIndex:
        """One index of every problem and lesson, built once (each review page asks it); its notices say
        when what it keeps between runs had to be rebuilt."""
        from retrogen.engine.related import RelatedIndex  # numpy, scipy and jieba: only when asked for
        from retrogen.engine.related_cache import TermStore

        index = RelatedIndex(self.knowledge_base.reviews, self.glossary, TermStore.open(self.lasting_folder))
        self.cache_notices += index.notices
        return index

    def related_to(self, review_id: str, limit: int = RELATED_ON_A_PAGE) -> list[Match]:
        """相关的过往经验 of a review: up to `limit` problems and lessons of other reviews like it, at most
        RELATED_PER_REVIEW of any one review, so that a reader meets more than one past review."""
        from retrogen.engine.related import RELATED_THRESHOLD

        return self.related.like_review(
            review_id, limit=limit, threshold=RELATED_THRESHOLD, per_review=RELATED_PER_REVIEW
        )

    def related_to_each(self, review_ids: Sequence[str]) -> dict[str, list[Match]]:
        """related_to of each of `review_ids`, worked out together (RelatedIndex.like_reviews): a site's pages
        ask for every review's."""
        from retrogen.engine.related import RELATED_THRESHOLD

        return self.related.like_reviews(
            review_ids, limit=RELATED_ON_A_PAGE, threshold=RELATED_THRESHOLD, per_review=RELATED_PER_REVIEW
        )


def analyse(
    config: Config, today: date, *, use_git: bool = True, jobs: int | None = None, cache: bool = True
) -> Analysis:
    """The knowledge base, read by the gate and loaded, and its git history; tables are computed when first
    asked for. `jobs` caps the processes that check the reviews (default: one per core). A command that
    acts on the check itself (build) composes the steps: read_knowledge_base, load_knowledge_base, analysis_of.
    `cache`: keep the unchanged reviews' reading in the lasting index (gate/index.py)."""
    # The figures need no warnings, and each review is built as it is read rather than all its data kept first.
    reading = read_knowledge_base(config, today, jobs=jobs, cache=cache, warnings=False, convert=ReviewBuilder(config))
    return analysis_of(load_knowledge_base(reading, config, today), config, use_git=use_git, cache=cache)


def analysis_of(knowledge_base: KnowledgeBase, config: Config, *, use_git: bool = True, cache: bool = True) -> Analysis:
    """The analysis of a loaded knowledge base, with its git history unless `use_git` is false (read only
    since the last run's commits with `cache`); with `cache` the related index and the playbook keep their
    words in .retrogen/ too."""
    git = (
        GitHistory()
        if not use_git
        else read_git_history(config.root, config.reviews_dir, config.settings.max_file_size, cache=cache)
    )
    return Analysis(
        knowledge_base,
        git,
        config.settings.playbook_order,
        config.settings.rag_thresholds,
        config.settings.repeated_miss_periods,
        config.settings.proven_min_verdicts,
        config.targets,
        config.glossary,
        lasting_folder(config.root, avoid=config.generated_dir) if cache else None,
    )
