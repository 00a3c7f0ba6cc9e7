"""The playbook merges near-duplicate lessons into practices, keeps every lesson text in one place, and orders
its sections as configured."""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import markdown
import pytest

from retrogen.engine.analysis import Analysis, analyse
from retrogen.engine.history import GitHistory
from retrogen.engine.model import Action, KnowledgeBase, Lesson, Review, review_from_data
from retrogen.engine.playbook import (
    NEAR_DUPLICATE,
    Playbook,
    Practice,
    Source,
    TrackedAction,
    by_evidence,
    lesson_terms,
    merge_lessons,
    playbook_markdown,
    similarity,
)
from retrogen.formats import urls
from retrogen.formats.render import md
from retrogen.gate.config import load_config
from retrogen.gate.loader import parse_text

from ..conftest import EXAMPLES, TODAY


def fixture_analysis(kb: Path, order: tuple[str, ...] | None = None) -> Analysis:
    analysis = analyse(load_config(kb / "mkdocs.yml"), TODAY, use_git=False)
    if order is not None:
        analysis.playbook_order = order
    return analysis


def practice_of(playbook: Playbook, text: str) -> Practice:
    return next(p for p in playbook.practices if any(s.lesson.lesson == text for s in p.sources))


def lesson_texts(reviews: list[Review]) -> list[str]:
    return [lesson.lesson for review in reviews for lesson in review.lessons]


def similar(a: str, b: str) -> float:
    return similarity(lesson_terms(a), lesson_terms(b))


# Rewordings of the fixture's lessons, as a second team would write them.
REWORDINGS = [
    ("未提前调研客户内部决策流程,导致项目停滞2周", "没有提前调研客户的内部决策流程,项目停滞了两周"),
    ("未提前了解客户预算上限,报价超出预期30%,进入谈判阶段后丢单", "报价前没摸清客户预算上限,报价超出预期,谈判阶段丢单"),
    (
        "团队重组时只交接客户名单,换人的客户流失率是未换人的近十倍",
        "团队重组时只交接了客户名单,换了负责人的客户流失率高出近十倍",
    ),
    (
        "Deals without a known economic buyer slip at signature even with strong technical wins",
        "Deals where we never met the economic buyer slipped at signature despite strong technical wins",
    ),
    (
        "Mutual action plans agreed with the customer kept three mid-size deals on schedule",
        "A mutual action plan agreed with the customer kept two large deals on schedule",
    ),
    (
        "Per-unit pricing loses to a competitor's multi-year price lock when we do not show total cost",
        "Per-unit pricing lost against a multi-year price lock because we did not show the total cost",
    ),
]

# Lessons of one theme that share words (客户, 报价, 预算, economic buyer) but give different advice.
DIFFERENT = [
    (
        "首次报价只给一个总价,客户拿去和竞品最低档比较,3个大单丢在报价阶段",
        "未提前了解客户预算上限,报价超出预期30%,进入谈判阶段后丢单",
    ),
    (
        "客户做年度预算的10-11月没有回访,12家老客户把全年预算给了竞品",
        "对高风险客户由主管亲自上门沟通,挽回了6家准备流失的客户",
    ),
    (
        "团队重组时只交接客户名单,换人的客户流失率是未换人的近十倍",
        "对高风险客户由主管亲自上门沟通,挽回了6家准备流失的客户",
    ),
    (
        "Reps who asked about the economic buyer and the cost of the problem converted twice as often",
        "Meeting the economic buyer with a business case in the customer's own numbers closed Baltic Freight",
    ),
    (
        "Deals without a known economic buyer slip at signature even with strong technical wins",
        "Meeting the economic buyer with a business case in the customer's own numbers closed Baltic Freight",
    ),
    (
        "Reps who asked about the economic buyer and the cost of the problem converted twice as often",
        "Deals without a known economic buyer slip at signature even with strong technical wins",
    ),
]


@pytest.mark.parametrize(("a", "b"), REWORDINGS)
def test_rewordings_are_near_duplicates(a: str, b: str) -> None:
    assert similar(a, b) >= NEAR_DUPLICATE


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_shared_words_alone_do_not_make_a_duplicate(a: str, b: str) -> None:
    assert similar(a, b) < NEAR_DUPLICATE


def test_single_chinese_characters_do_not_count() -> None:
    # 家 and 月 are in nearly every lesson; they once made unrelated lessons look alike.
    assert "家" not in lesson_terms("12家老客户把全年预算给了竞品")
    assert {"老客户", "预算"} <= lesson_terms("12家老客户把全年预算给了竞品")


def source(
    review_id: str, lesson_id: str, kind: str, text: str, tags: tuple[str, ...], held_on: date, team: str = "华东销售部"
) -> Source:
    review = Review(
        id=review_id,
        title=f"Review {review_id}",
        kind="periodic",
        team=team,
        lang=None,
        held_on=held_on,
        objective="o",
        path=Path(f"{review_id}.yaml"),
    )
    return Source(Lesson(lesson_id, kind, text, tags=tags), review)


def test_a_rewording_in_another_theme_is_not_merged() -> None:
    a, b = REWORDINGS[0]
    practices = merge_lessons(
        [
            source("r1", "L1", "failure", a, ("决策链",), date(2026, 1, 1)),
            source("r2", "L1", "failure", b, ("定价",), date(2026, 2, 1)),
        ]
    )
    assert len(practices) == 2


def test_the_statement_is_the_latest_success_and_the_rest_is_do_or_avoid() -> None:
    failure = source(
        "r1", "L1", "failure", "节前没有储备线索,节后三周新客户开发几乎停滞", ("新客户开发",), date(2026, 4, 1)
    )
    older = source("r0", "L2", "success", "节前整理线索储备清单,节后新增线索翻倍", ("新客户开发",), date(2026, 1, 1))
    latest = source(
        "r2", "L1", "success", "节前线索储备清单让5月新增线索比2月翻了一倍", ("新客户开发",), date(2026, 7, 1)
    )
    [practice] = merge_lessons([failure, older, latest])
    assert practice.statement is latest
    assert practice.also == [older, failure]
    assert not practice.is_pitfall


def test_fixture_near_duplicates_merge_into_practices(knowledge_base: Path) -> None:
    playbook = fixture_analysis(knowledge_base).playbook
    # the same practice, once as a success and once as a failure
    holidays = practice_of(playbook, "节前线索储备清单让5月新增线索比2月翻了一倍")
    assert [s.lesson.lesson for s in holidays.sources] == [
        "节前线索储备清单让5月新增线索比2月翻了一倍",
        "节前没有储备线索,节后三周新客户开发几乎停滞",
    ]
    revisits = practice_of(playbook, "对老客户执行“定期回访+增值服务”,复购率提升至65%")
    assert {(s.review.id, s.lesson.id) for s in revisits.sources} == {
        ("2026-q3-east-sales", "L2"),
        ("2026-q1-east-sales", "L1"),
        ("2025-q4-east-sales", "L2"),
    }
    # 主管上门挽回 is also 客户维护 and also 客户, but says something else
    rescue = practice_of(playbook, "对高风险客户由主管亲自上门沟通,挽回了6家准备流失的客户")
    assert len(rescue.sources) == 1


def test_evidence_counts_the_practice_own_reviews_teams_and_last_day(knowledge_base: Path) -> None:
    playbook = fixture_analysis(knowledge_base).playbook
    # Read off the fixture files: 2025-q4 (held 2026-01-09), 2026-q1 (2026-04-10), 2026-q3 (2026-10-12), all
    # 华东销售部; the Q4 failure's action A1 was verified as achieved by the Q1 review.
    revisits = practice_of(playbook, "对老客户执行“定期回访+增值服务”,复购率提升至65%")
    assert [r.id for r in revisits.reviews] == ["2026-q3-east-sales", "2026-q1-east-sales", "2025-q4-east-sales"]
    assert (revisits.teams, revisits.last_seen) == (1, date(2026, 10, 12))
    assert [(t.action.id, t.state, t.verification) for t in revisits.actions] == [("A1", "done", "achieved")]
    assert not revisits.proven  # one achieved verdict is not two (extra.retrogen.proven_min_verdicts)
    churn = practice_of(playbook, "团队重组时只交接客户名单,换人的客户流失率是未换人的近十倍")
    assert (len(churn.reviews), churn.teams, churn.last_seen) == (1, 1, date(2026, 9, 18))
    assert [(t.action.id, t.state) for t in churn.actions] == [("A1", "done"), ("A3", "open")]
    assert not churn.proven


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("linked", [False, True])
def test_no_lesson_text_appears_twice_in_the_fixture_playbook(
    knowledge_base: Path, language: str, linked: bool
) -> None:
    analysis = fixture_analysis(knowledge_base)
    text = playbook_markdown(analysis.playbook, language, TODAY, review_link=_site_link if linked else None)
    for lesson in lesson_texts(analysis.knowledge_base.reviews):
        assert text.count(str(md(lesson))) == 1, lesson


def _site_link(review_id: str) -> str:
    return urls.source_link(urls.review(review_id), urls.PLAYBOOK)


def test_every_lesson_lives_in_exactly_one_practice(knowledge_base: Path) -> None:
    analysis = fixture_analysis(knowledge_base)
    placed = [(s.review.id, s.lesson.id) for p in analysis.playbook.practices for s in p.sources]
    expected = [(r.id, lesson.id) for r in analysis.knowledge_base.reviews for lesson in r.lessons]
    assert sorted(placed) == sorted(expected)


def crafted_review(review_id: str, team: str, held_on: str, lessons: list[dict[str, Any]]) -> Review:
    data = {
        "id": review_id,
        "title": f"Review {review_id}",
        "kind": "project",
        "team": team,
        "held_on": held_on,
        "objective": "o",
        "participants": [{"name": "张伟", "role": "lead"}],
        "lessons": lessons,
    }
    return review_from_data(data, Path(f"{review_id}.yaml"))


def lesson(lesson_id: str, kind: str, text: str, *tags: str) -> dict[str, Any]:
    return {"id": lesson_id, "type": kind, "lesson": text, "applies_to": "", "tags": list(tags)}


# Lessons with two or three tags each, across themes that do and do not get sections.
CRAFTED = [
    crafted_review(
        "a",
        "华东销售部",
        "2026-03-01",
        [
            lesson("L1", "failure", "未提前了解客户预算上限,报价超出预期30%,进入谈判阶段后丢单", "需求挖掘", "定价"),
            lesson("L2", "success", "SPIN提问训练让需求确认更完整", "需求挖掘", "销售技能", "coaching"),
            lesson("L3", "failure", "Pricing per unit lost to a price lock", "pricing", "定价"),
        ],
    ),
    crafted_review(
        "b",
        "华南销售部",
        "2026-05-01",
        [
            lesson("L1", "failure", "报价前没摸清客户预算上限,报价超出预期,谈判阶段丢单", "定价", "需求挖掘"),
            lesson("L2", "success", "Coaching calls weekly doubled discovery depth", "coaching", "discovery"),
            lesson("L3", "success", "试点项目带来了两个转介绍", "试点"),
        ],
    ),
    crafted_review(
        "c",
        "华北销售部",
        "2026-04-01",
        [lesson("L1", "success", "First calls that named the decision's owner moved faster", "需求挖掘")],
    ),
]


def crafted_playbook(order: tuple[str, ...] = ()) -> Playbook:
    return Analysis(KnowledgeBase(CRAFTED, TODAY), GitHistory(), order).playbook


def test_no_lesson_text_appears_twice_with_many_tags() -> None:
    playbook = crafted_playbook(("需求挖掘", "定价"))
    text = playbook_markdown(playbook, "en", TODAY)
    for lesson_text in lesson_texts(CRAFTED):
        assert text.count(str(md(lesson_text))) == 1, lesson_text


def test_a_practice_lives_under_its_first_theme_and_is_referred_to_elsewhere() -> None:
    playbook = crafted_playbook(("需求挖掘", "定价"))
    budget = practice_of(playbook, "未提前了解客户预算上限,报价超出预期30%,进入谈判阶段后丢单")
    assert len(budget.sources) == 2  # the two budget lessons, across two teams
    assert budget.statement.review.id == "b"  # the latest
    assert budget.theme == "定价"  # the statement's first tag, though the order puts 需求挖掘 first
    sections = {s.theme: s for s in playbook.sections}
    assert budget in sections["需求挖掘"].see_also
    text = playbook_markdown(playbook, "en", TODAY)
    assert f"See also: No. {budget.number} (定价)" in text


def test_sections_follow_the_configured_order_then_the_rest_then_other() -> None:
    assert [s.theme for s in crafted_playbook(("需求挖掘", "定价")).sections] == ["需求挖掘", "定价", "coaching", ""]
    assert [s.theme for s in crafted_playbook(("定价", "需求挖掘")).sections] == ["定价", "需求挖掘", "coaching", ""]
    # tags of the order that no lesson carries are skipped; unordered themes follow by evidence (需求挖掘: three
    # reviews; coaching and 定价: two reviews of two teams, last seen on the same day, so by name)
    assert [s.theme for s in crafted_playbook(("成交",)).sections] == ["需求挖掘", "coaching", "定价", ""]


def test_themes_of_a_single_lesson_are_gathered_in_other_practices() -> None:
    playbook = crafted_playbook()
    other = playbook.sections[-1]
    assert other.theme == ""
    assert {s.lesson.lesson for p in other.entries for s in p.sources} == {"试点项目带来了两个转介绍"}
    assert all(
        len([s for p in section.entries for s in p.sources]) + len(section.see_also) >= 2
        for section in playbook.sections
        if section.theme
    )
    assert "#试点" in playbook_markdown(playbook, "zh", TODAY)


def test_practices_are_numbered_in_reading_order() -> None:
    playbook = crafted_playbook()
    assert [p.number for p in playbook.practices] == list(range(1, len(playbook.practices) + 1))


def test_fixture_playbook_is_not_a_dump(knowledge_base: Path) -> None:
    playbook = fixture_analysis(knowledge_base).playbook
    lessons = sum(len(r.lessons) for r in fixture_analysis(knowledge_base).knowledge_base.reviews)
    assert len(playbook.practices) < lessons
    singles = [
        s
        for s in playbook.sections
        if s.theme and len([x for p in s.entries for x in p.sources]) < 2 and not s.see_also
    ]
    assert singles == []
    assert [s.theme for s in playbook.sections][:3] == ["新客户开发", "需求挖掘", "决策链"]


def test_pairs_are_compared_once_per_statement() -> None:
    # a chain of loosely similar lessons does not drift into one practice: each is compared with statements
    texts = ["客户 预算 报价 模板", "预算 报价 模板 审批", "报价 模板 审批 折扣", "模板 审批 折扣 权限"]
    chained = [similar(a, b) >= NEAR_DUPLICATE for a, b in itertools.pairwise(texts)]
    assert all(chained) and similar(texts[0], texts[-1]) < NEAR_DUPLICATE
    sources = [source(f"r{i}", "L1", "failure", t, ("定价",), date(2026, 1, 1 + i)) for i, t in enumerate(texts)]
    assert len(merge_lessons(sources)) > 1


def test_attack_lessons_stay_text_in_the_playbook() -> None:
    path = EXAMPLES / "attack" / "attack-review.yaml"
    attack = review_from_data(parse_text(path, path.read_text(encoding="utf-8")).data, path)
    playbook = Analysis(KnowledgeBase([attack, *CRAFTED], TODAY), GitHistory()).playbook
    page = markdown.markdown(
        playbook_markdown(playbook, "en", TODAY, review_link=_site_link),
        extensions=["tables", "attr_list", "md_in_html", "admonition", "toc"],
    )
    assert "<script" not in page and "<img" not in page and "<svg" not in page
    assert "javascript:" not in "".join(re.findall(r'href="[^"]*"', page))
    assert not re.search(r"<[^>]+\son\w+=", page)
    assert "&lt;script&gt;alert('lesson')&lt;/script&gt; javascript:alert('lesson2')" in page


def practice_with(*verdicts: tuple[str, str | None], least: int = 2) -> Practice:
    """A practice of one lesson whose problem P1 was addressed by actions with these (id, verdict)."""
    lesson = source("2026-q2-x", "L1", "success", "回访老客户", ("客户维护",), date(2026, 7, 8))
    review = lesson.review
    tracked = tuple(
        TrackedAction(review, Action(action_id, "回访", "王芳", date(2026, 8, 31)), "done", verdict)
        for action_id, verdict in verdicts
    )
    return Practice([Source(lesson.lesson, review, tracked)], proven_min_verdicts=least)


@pytest.mark.parametrize(
    ("verdicts", "proven"),
    [
        ((("A1", "achieved"),), False),  # one achieved verdict is an anecdote
        ((("A1", "achieved"), ("A2", "achieved")), True),
        ((("A1", "achieved"), ("A2", "achieved"), ("A3", "missed")), False),  # a miss among them
        ((("A1", "achieved"), ("A2", "achieved"), ("A3", "met_without_action")), False),  # decided, not achieved
        ((("A1", "achieved"), ("A2", "missed")), False),  # the fixture's case before: one achieved, one missed
        ((("A1", "achieved"), ("A2", "achieved"), ("A3", "pending"), ("A4", "no_data"), ("A5", None)), True),
        ((("A1", "met_without_action"), ("A2", "met_without_action")), False),
    ],
)
def test_a_practice_is_proven_by_two_achieved_verdicts_and_no_other_decided_one(
    verdicts: tuple[tuple[str, str | None], ...], proven: bool
) -> None:
    assert practice_with(*verdicts).proven is proven


def test_an_action_two_lessons_name_counts_once() -> None:
    once = practice_with(("A1", "achieved"))
    twice = Practice([*once.sources, *once.sources])  # two lessons of one review on the same problem
    assert len(twice.actions) == 2 and not twice.proven


def test_the_least_number_of_achieved_verdicts_is_configurable(knowledge_base: Path) -> None:
    assert practice_with(("A1", "achieved"), least=1).proven
    assert not practice_with(("A1", "achieved"), ("A2", "achieved"), least=3).proven
    # In the fixture, 2025-q4-east-sales:A1 (done 2026-01-20, 复购率 by 2026-03-31, achieved in 2026-q1) is
    # the one verdict of the 复购率 practice: proven with proven_min_verdicts 1, not with the default 2.
    analysis = fixture_analysis(knowledge_base)
    revisits = "对老客户执行“定期回访+增值服务”,复购率提升至65%"
    assert not practice_of(analysis.playbook, revisits).proven
    # No practice of the fixture has two achieved verdicts: the economic-buyer pitfall (2026-q2-emea-enterprise:A1)
    # rests on one as well, so nothing is proven by default.
    buyer = practice_of(
        analysis.playbook, "Deals without a known economic buyer slip at signature even with strong technical wins"
    )
    # Northwind's pitfall joined it (issue 19): its action has no expectation, so still one verdict.
    assert [t.verification for t in buyer.actions] == [None, "achieved"]
    assert not any(p.proven for p in analysis.playbook.practices)
    analysis = fixture_analysis(knowledge_base)
    analysis.proven_min_verdicts = 1
    assert practice_of(analysis.playbook, revisits).proven


def test_practices_are_ordered_by_evidence_reviews_then_achieved_verdicts_then_recency() -> None:
    """Issue 19: a practice proven on one review came before one seen in two; reviews count first now."""
    proven_once = practice_with(("A1", "achieved"), ("A2", "achieved"))
    achieved_once = practice_with(("A1", "achieved"))
    later = source("2026-q3-x", "L1", "success", "续约前回访", ("客户维护",), date(2026, 10, 1))
    recent = Practice([later])
    twice = Practice(
        [
            source("r1", "L1", "success", "节前线索储备清单", ("新客户开发",), date(2026, 4, 1)),
            source("r2", "L1", "success", "节前储备线索清单", ("新客户开发",), date(2026, 1, 1)),
        ]
    )
    ordered = sorted([recent, achieved_once, proven_once, twice], key=by_evidence)
    assert ordered == [twice, proven_once, achieved_once, recent]
    assert [p.single_source for p in ordered] == [False, True, True, True]
    assert [p.achieved for p in ordered] == [0, 2, 1, 0]


def test_the_two_economic_buyer_pitfalls_are_one_practice(knowledge_base: Path) -> None:
    """Issue 19: Northwind's "features to IT while finance decides" and the Q2 review's "no known economic
    buyer despite technical wins" share no word; the glossary names the technical and the economic buyer in
    both."""
    playbook = fixture_analysis(knowledge_base).playbook
    practice = practice_of(playbook, "Arguing features to IT while finance decides loses final rounds")
    assert [(s.review.id, s.lesson.id) for s in practice.sources] == [
        ("2026-northwind-fleet-deal", "L1"),
        ("2026-q2-emea-enterprise", "L1"),
    ]
    assert practice.is_pitfall and not practice.single_source


@pytest.mark.parametrize(
    ("language", "do", "avoid", "single"),
    [("en", "Do", "Avoid", "one source only"), ("zh", "要做", "避免", "仅一个来源")],
)
def test_each_headline_is_an_instruction_and_a_single_source_says_so(
    knowledge_base: Path, language: str, do: str, avoid: str, single: str
) -> None:
    playbook = fixture_analysis(knowledge_base).playbook
    text = playbook_markdown(playbook, language, TODAY)
    headlines = re.findall(r"^- \*\*\d+\.\*\* (?:✅ \*\*[^*]+\*\* · )?\*\*(.+?)\*\*$", text, re.MULTILINE)
    assert len(headlines) == len(playbook.practices)
    for practice, headline in zip(playbook.practices, headlines, strict=True):
        assert headline == f"{avoid if practice.is_pitfall else do}: {md(practice.statement.lesson.lesson)}"
    single_sources = sum(p.single_source for p in playbook.practices)
    assert 0 < single_sources < len(playbook.practices)
    assert text.count(f"**{single}**") == single_sources


def test_the_playbook_tracks_actions_without_the_whole_action_table(knowledge_base: Path) -> None:
    """With few reviews whose actions address a lesson's problem, the playbook reads the action table's rows of
    those alone: the same states and verdicts (carries and later reviews' verdicts included) as the whole
    table's."""
    fixture = fixture_analysis(knowledge_base).knowledge_base.reviews
    # As many reviews again whose lessons name no problem, of a team of their own
    untracked = [
        replace(r, id=f"{r.id}-elsewhere", team="Elsewhere", lessons=tuple(replace(x, problem=None) for x in r.lessons))
        for r in fixture
    ]
    reviews = [*fixture, *untracked]  # half of them: not most
    alone = Analysis(KnowledgeBase(reviews, TODAY), GitHistory())
    text = playbook_markdown(alone.playbook, "en", TODAY)
    assert "actions" not in alone.__dict__  # the whole table was never built
    whole = Analysis(KnowledgeBase(reviews, TODAY), GitHistory())
    assert not whole.actions.empty
    assert playbook_markdown(whole.playbook, "en", TODAY) == text
    tracked = [t for p in alone.playbook.practices for t in p.actions]
    assert {t.state for t in tracked} >= {"done", "carried"} and any(t.verification for t in tracked)


def test_a_playbook_without_a_lesson_problem_tracks_nothing() -> None:
    reviews = [replace(r, lessons=tuple(replace(lesson, problem=None) for lesson in r.lessons)) for r in CRAFTED]
    analysis = Analysis(KnowledgeBase(reviews, TODAY), GitHistory())
    assert analysis.playbook.practices and not any(p.actions for p in analysis.playbook.practices)
    assert "loop" not in analysis.__dict__ and "actions" not in analysis.__dict__


def test_the_lines_a_practice_repeats_are_escaped_as_md_escapes(tmp_path: Path) -> None:
    """The lessons merged into a practice, where it applies and its sources are escaped in Python, once per value
    (playbook_markdown): each reads exactly as the `md` filter writes it, a link as autoescape writes it."""
    path = EXAMPLES / "attack" / "attack-review.yaml"
    attack = review_from_data(parse_text(path, path.read_text(encoding="utf-8")).data, path)
    [lesson] = [lesson for lesson in attack.lessons if lesson.lesson.startswith("<script>")]
    twins = [
        replace(attack, id=f"attack-{n}", lessons=(replace(lesson, type=kind),))
        for n, kind in enumerate(("success", "failure", "success"))
    ]
    playbook = Analysis(KnowledgeBase(twins, TODAY), GitHistory()).playbook
    [practice] = playbook.practices
    text = playbook_markdown(playbook, "en", TODAY, review_link=lambda review: f"<{review}>&")
    assert f"    - Do: {md(lesson.lesson)}\n    - Avoid: {md(lesson.lesson)}\n" in text
    assert f"    - Applies to: {md(lesson.applies_to)}\n" in text
    named = f"[{md(attack.title)}](&lt;attack-2&gt;&amp;) · {md(attack.team)} · {attack.held_on.isoformat()}"
    assert f"    - Sources: {named}; " in text and len(practice.reviews) == 3
