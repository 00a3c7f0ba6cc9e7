"""Everything the command line and the site compute from a knowledge base, each table computed once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import cached_property

import pandas as pd

from retrogen import actions as action_tables
from retrogen import metrics as metric_tables
from retrogen.config import Config
from retrogen.history import ActionKey, GitHistory, StatusEvent, read_git_history, timelines, weekly_series
from retrogen.model import KnowledgeBase, load_knowledge_base
from retrogen.playbook import Theme, build_playbook


@dataclass
class Analysis:
    knowledge_base: KnowledgeBase
    git: GitHistory

    @property
    def today(self) -> date:
        return self.knowledge_base.today

    @property
    def notices(self) -> list[str]:
        """What a person should know about how complete the figures are."""
        notes = [f"{f.path}:{f.line}:{f.column}: {f.code} {f.message} (review left out)"
                 for f in self.knowledge_base.skipped]
        return notes + ([self.git.notice] if self.git.notice else [])

    @cached_property
    def histories(self) -> dict[ActionKey, list[StatusEvent]]:
        return timelines(self.knowledge_base.reviews, self.git)

    @cached_property
    def metrics(self) -> pd.DataFrame:
        return metric_tables.metrics_table(self.knowledge_base.reviews)

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
    def themes(self) -> pd.DataFrame:
        return metric_tables.recurring_themes(self.knowledge_base.reviews)

    @cached_property
    def actions(self) -> pd.DataFrame:
        return action_tables.actions_table(self.knowledge_base.reviews, self.histories, self.today)

    @cached_property
    def weekly(self) -> pd.DataFrame:
        return weekly_series(self.knowledge_base.reviews, self.histories, self.today)

    @cached_property
    def playbook(self) -> list[Theme]:
        return build_playbook(self.knowledge_base.reviews, self.actions)


def analyse(config: Config, today: date, use_git: bool = True, jobs: int | None = None) -> Analysis:
    """Load the knowledge base and its git history; tables are computed when first asked for.
    `jobs` caps the processes that check the reviews (default: one per core)."""
    knowledge_base = load_knowledge_base(config, today, jobs=jobs)
    git = GitHistory() if not use_git else read_git_history(config.root, config.reviews_dir, config.max_file_size)
    return Analysis(knowledge_base, git)
