"""The summary a review's page leads with (Analysis.review_summary), its figures counted by hand from the fixture
knowledge base's YAML."""

from __future__ import annotations

import copy
from datetime import date
from pathlib import Path

import pytest

from retrogen.engine.analysis import Analysis, ReviewSummary, analyse
from retrogen.engine.history import GitHistory
from retrogen.engine.model import KnowledgeBase, review_from_data
from retrogen.gate.config import load_config
from retrogen.gate.loader import parse_text

from ..conftest import KB, TODAY


@pytest.fixture(scope="module")
def analysis() -> Analysis:
    return analyse(load_config(KB / "mkdocs.yml"), TODAY, use_git=False)


def summary_of(analysis: Analysis, review_id: str) -> ReviewSummary:
    review = next(r for r in analysis.knowledge_base.reviews if r.id == review_id)
    return analysis.review_summary(review)


def test_a_quarter_that_met_one_kpi_of_four_names_its_worst_miss_and_the_verdict_it_decided(
    analysis: Analysis,
) -> None:
    summary = summary_of(analysis, "2026-q3-east-sales")
    # 销售额 380/500 76%, 新客户数量 12/20 60%, 老客户复购率 65/60 met, 平均跟进周期 15/22 68.2% (lower is better)
    assert (summary.metrics, summary.met) == (4, 1)
    assert summary.worst_metric == "新客户数量"
    assert summary.worst_achievement == pytest.approx(0.6)
    assert summary.headline is not None and summary.headline.id == "L1"
    assert summary.headline.lesson.startswith("针对制造业客户")
    # A1 done; A2 and A3 carried into 2026-10-east-sales: none open here
    assert (summary.actions, summary.open) == (3, 0)
    assert summary.owners == ("张伟", "刘洋", "王芳")
    assert summary.earliest_due == date(2026, 10, 20)
    # 2026-q2-east-sales's A2 expected 平均跟进周期 15 by 2026-09-30; this review found 22: missed
    assert (summary.verdicts, summary.achieved, summary.missed) == (1, 0, 1)


def test_a_quarter_with_open_actions_counts_them_and_its_achieved_verdict(analysis: Analysis) -> None:
    summary = summary_of(analysis, "2026-q3-emea-enterprise")
    assert (summary.metrics, summary.met, summary.worst_metric) == (4, 1, "Sales cycle")
    assert summary.worst_achievement == pytest.approx(0.9375)
    assert (summary.actions, summary.open) == (4, 2)
    assert summary.owners == ("Jonas Berg", "Lena Fischer", "Tom Okafor", "Priya Raman")
    assert summary.earliest_due == date(2026, 10, 31)
    assert (summary.verdicts, summary.achieved, summary.missed) == (1, 1, 0)


def test_a_review_that_met_every_kpi_and_wrote_no_lesson_has_no_worst_miss_nor_headline(tmp_path: Path) -> None:
    path = KB / "reviews" / "2026-q3-east-sales.yaml"
    data = copy.deepcopy(parse_text(path, path.read_text(encoding="utf-8")).data)
    for metric in data["metrics"]:
        metric.update(target=1, actual=1)  # met whichever way is better
    data["lessons"] = []
    review = review_from_data(data, path)
    summary = Analysis(KnowledgeBase([review], TODAY), GitHistory()).review_summary(review)
    assert (summary.metrics, summary.met, summary.worst_metric, summary.worst_achievement) == (4, 4, None, None)
    assert summary.headline is None
    # alone in its knowledge base, it decides no earlier action's verdict
    assert (summary.verdicts, summary.achieved, summary.missed) == (0, 0, 0)
