"""The 《复盘报告》's content: rates, marks, gaps, action states and period summaries, from the fixture KB."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import markdown
import pytest

from retrogen.core.periods import parse_label
from retrogen.engine.analysis import Analysis, analyse
from retrogen.formats.documents import markdown_text
from retrogen.gate.config import load_config
from retrogen.report.content import Rag, Report, ReportBuilder, ReportError, in_period, rag
from retrogen.report.writers import write_report
from tests.conftest import TODAY


@pytest.fixture
def analysis(knowledge_base: Path) -> Analysis:
    return analyse(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)


@pytest.fixture
def builder(analysis: Analysis) -> ReportBuilder:
    return ReportBuilder(analysis)


@pytest.mark.parametrize(
    ("achievement", "mark"),
    [
        (1.0, Rag.GREEN),
        (1.5, Rag.GREEN),
        (0.9999, Rag.AMBER),
        (0.9, Rag.AMBER),
        (0.8999, Rag.RED),
        (0.0, Rag.RED),
        (None, None),
    ],
)
def test_rag_marks_met_green_within_ten_percent_amber_below_red(achievement: float | None, mark: Rag | None) -> None:
    assert rag(achievement) is mark


def test_kpi_rates_and_marks_of_the_q3_review(builder: ReportBuilder) -> None:
    report = builder.review("2026-q3-east-sales")
    kpis = {k.name: (k.target, k.actual, round(k.achievement or 0, 6), k.rag) for k in report.kpis}
    assert kpis == {
        "销售额": (500, 380, 0.76, Rag.RED),
        "新客户数量": (20, 12, 0.6, Rag.RED),
        "老客户复购率": (60, 65, 1.083333, Rag.GREEN),
        "平均跟进周期": (15, 22, 0.681818, Rag.RED),  # better: lower, so 15 / 22
    }
    assert report.kpis[0].analysis == "新客户开发量不足,老客户客单价下降"


def test_amber_marks_in_the_emea_review(builder: ReportBuilder) -> None:
    report = builder.review("2026-q3-emea-enterprise")
    marks = {k.name: (round(k.achievement or 0, 4), k.rag) for k in report.kpis}
    assert marks["New bookings"] == (0.9531, Rag.AMBER)
    assert marks["Sales cycle"] == (0.9375, Rag.AMBER)
    assert marks["Forecast accuracy"] == (1.0333, Rag.GREEN)
    assert report.language == "en"


def test_gaps_are_the_missed_metrics_worst_first_at_most_three(builder: ReportBuilder) -> None:
    report = builder.review("2026-q3-east-sales")
    assert [k.name for k in report.gaps] == ["新客户数量", "平均跟进周期", "销售额"]
    assert all(k.rag is not Rag.GREEN for k in report.gaps)


def test_actions_carry_the_trackers_state(builder: ReportBuilder) -> None:
    q3 = {a.id: (a.owner, a.status, a.state, a.days_late) for a in builder.review("2026-q3-east-sales").actions}
    # status as the file says it, state what it is now: A2 and A3 were carried into 2026-10-east-sales
    assert q3 == {
        "A1": ("张伟", "done", "done", 0),
        "A2": ("刘洋", "in_progress", "carried", None),
        "A3": ("王芳", "not_started", "carried", None),
    }
    october = {a.id: (a.state, a.days_late) for a in builder.review("2026-10-east-sales").actions}
    assert october["A2"] == ("overdue", 5)


def test_unknown_review_is_refused_with_did_you_mean(builder: ReportBuilder) -> None:
    with pytest.raises(ReportError, match="did you mean '2026-q3-east-sales'"):
        builder.review("2026-q3-east-sale")


def test_all_teams_summary_of_a_year(builder: ReportBuilder) -> None:
    report = builder.period(parse_label("2026"), None, "zh")
    summary = report.summary
    assert summary is not None and report.reviews == ()
    assert summary.reviews == 9  # 2025-Q4 lies outside 2026
    rows = {
        r.name: (r.met, r.metrics, round(r.mean_achievement or 0, 6), r.actions, r.open, r.overdue, r.rag)
        for r in summary.rows
    }
    assert rows["华东销售部"] == (4, 15, 0.846736, 14, 4, 1, Rag.RED)
    assert rows["Enterprise Sales EMEA"] == (1, 9, 0.765917, 8, 2, 0, Rag.RED)
    assert [(a.team, a.id, a.days_late) for a in summary.overdue] == [
        ("华南客户成功部", "A2", 20),
        ("华东销售部", "A2", 5),
    ]
    top = summary.causes[0]
    assert (top.factor, top.problems, top.teams) == ("process", 9, 4)
    assert round(summary.causes[0].share, 2) == 0.5 and len(summary.causes[0].examples) == 2


def test_team_summary_has_a_row_per_review_then_each_report(builder: ReportBuilder) -> None:
    report = builder.period(parse_label("2026-Q3"), "华东销售部", "zh")
    assert report.summary is not None
    assert [r.name for r in report.summary.rows] == ["2026年Q3华东区销售业绩复盘"]
    row = report.summary.rows[0]
    assert (row.met, row.metrics, round(row.mean_achievement or 0, 4), row.completion_rate) == (1, 4, 0.7813, 1.0)
    assert [r.review.id for r in report.reviews] == ["2026-q3-east-sales"]


def test_a_monthly_review_belongs_to_its_quarter_and_a_project_review_to_the_day_it_was_held(
    builder: ReportBuilder,
) -> None:
    october = builder.reviews["2026-10-east-sales"]
    assert in_period(october, builder.period(parse_label("2026-Q4"), None, "zh").summary.period)  # type: ignore[union-attr]
    q4 = builder.period(parse_label("2026-Q4"), "华东销售部", "zh")
    assert [r.review.id for r in q4.reviews] == ["2026-10-east-sales"]
    deal = builder.reviews["2026-northwind-fleet-deal"]
    assert deal.period_of is None or in_period(deal, deal.period_of)
    undated = replace(deal, period_start=None, period_end=None, held_on=date(2026, 8, 3))
    assert in_period(undated, builder.period(parse_label("2026-Q3"), None, "zh").summary.period)  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("team", "label", "message"),
    [
        ("华东销售", "2026-Q3", "no team '华东销售' in the knowledge base; did you mean '华东销售部'?"),
        ("华东销售部", "2027-Q1", "team '华东销售部' has no review in 2027-Q1; its reviews' periods: 2025-Q4, "),
        (
            None,
            "2030",
            "the knowledge base has no review in 2030; its reviews' periods: 2025-Q4, 2026-08, 2026-10, "
            "2026-Q1, 2026-Q2, 2026-Q3",
        ),  # not the custom 2026-05-04–2026-08-28: --period cannot name it
    ],
)
def test_unknown_team_or_empty_period_is_refused(
    builder: ReportBuilder, team: str | None, label: str, message: str
) -> None:
    with pytest.raises(ReportError) as raised:
        builder.period(parse_label(label), team, "zh")
    assert str(raised.value).startswith(message)
    assert "–" not in str(raised.value)


HOSTILE = "<script>alert(1)</script> [x](javascript:alert(1)) ![i](http://evil/) *b* `c` | d &amp; <img onerror=x>"


def test_review_text_cannot_make_markup_in_markdown_or_html(builder: ReportBuilder) -> None:
    one = builder.review("2026-q3-east-sales")
    hostile = replace(
        one,
        review=replace(one.review, title=HOSTILE, objective="- 1. " + HOSTILE),
        kpis=(replace(one.kpis[0], name=HOSTILE), *one.kpis[1:]),
    )
    report = Report("zh", (hostile,))
    html = str(write_report(report, "html"))
    assert "<script>alert" not in html and "<img" not in html and "&lt;script&gt;" in html
    rendered = markdown.markdown(str(write_report(report, "md")), extensions=["tables"])
    before_gaps = rendered.split("<h3", 1)[0]  # title, meta line, objective and the KPI table
    for made in ("<a ", "<img", "<script", "<em>b", "<code>"):
        assert made not in before_gaps, made
    before_kpis = before_gaps.split("<table", 1)[0]  # the achievement chart below the table is a list
    assert "<li>" not in before_kpis and "<ol" not in before_kpis
    assert "&lt;script&gt;alert(1)&lt;/script&gt; [x](javascript:alert(1))" in before_gaps  # the chart's label
    kpi_table = before_gaps.split("<tbody>")[1]
    assert kpi_table.count("<tr>") == 4 and kpi_table.count("<td") == 4 * 7  # no cell broken by the `|`


@pytest.mark.parametrize(
    ("text", "starts_line", "expected"),
    [
        ("2026-10-20 -9.5% (a)", False, "2026-10-20 -9.5% (a)"),  # plain punctuation stays readable
        ("- not a list", True, "\\- not a list"),
        ("1. not a list", True, "1\\. not a list"),
        ("# not a heading", True, "\\# not a heading"),
        ("a\nb  c", False, "a b c"),
        ("[l](u) *e* _e_ `c` a|b <h> &x", False, "\\[l\\](u) \\*e\\* \\_e\\_ \\`c\\` a\\|b &lt;h&gt; &amp;x"),
    ],
)
def test_markdown_text_escapes_only_what_makes_markup(text: str, starts_line: bool, expected: str) -> None:
    assert markdown_text(text, starts_line=starts_line) == expected


def test_a_report_carries_the_funnel_the_follow_up_and_its_day(builder: ReportBuilder) -> None:
    q3 = builder.review("2026-q3-east-sales")
    # 240 leads, 48 opportunities (48/240 = 20%), 12 orders (12/48 = 25%), as the review states them.
    assert [(f.stage, f.count, f.conversion) for f in q3.funnel] == [
        ("线索", 240, None),
        ("商机", 48, 0.2),
        ("订单", 12, 0.25),
    ]
    assert q3.today == TODAY
    assert q3.follow_up is not None and q3.follow_up.previous is not None
    assert q3.follow_up.previous.id == "2026-q2-east-sales"
    assert [(row.review, row.action.id, row.state) for row in q3.follow_up.rows][:2] == [
        ("2026-q2-east-sales", "A1", "done"),
        ("2026-q2-east-sales", "A2", "overdue"),  # blocked, due 2026-09-30, on the Q3 meeting's day (10-12)
    ]
    emea = builder.review("2026-q3-emea-enterprise")
    assert emea.follow_up is not None
    assert [(action.id, verdict.verdict, verdict.actual) for _, action, verdict in emea.follow_up.decided] == [
        ("A1", "achieved", 29)
    ]


def test_a_report_made_from_its_team_alone_is_the_whole_knowledge_bases(analysis: Analysis) -> None:
    """`report <id>` and a team's period report compute only the team's tables (ReportBuilder.of_team): every
    review's report, and each team's summary, read as they do from the tables of the whole knowledge base."""
    builder = ReportBuilder(analysis)
    reviews = analysis.knowledge_base.reviews
    teams = sorted({r.team for r in reviews})
    year = parse_label("2026")
    alone = [builder.review(r.id) for r in reviews]
    periods = [builder.period(year, team, "en") for team in teams]
    assert len(teams) > 1 and "actions" not in analysis.__dict__ and "metrics" not in analysis.__dict__
    assert any(report.follow_up.decided for report in alone) and any(report.kpis for report in alone)
    assert alone == [builder.of(r) for r in reviews]  # of: from the whole knowledge base's tables
    for team, scoped in zip(teams, periods, strict=True):
        chosen = [r for r in reviews if r.team == team and in_period(r, year)]
        assert scoped.reviews == tuple(builder.of(r) for r in chosen)
        assert scoped.summary == builder._summary(chosen, year, team)
