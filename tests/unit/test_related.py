"""The related-lessons index on reviews built in memory: what it returns, never the review itself."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from retrogen.engine.model import Lesson, Problem, Review
from retrogen.engine.related import Match, RelatedIndex, UnknownReview
from retrogen.gate.glossary import Glossary


def review(
    review_id: str,
    title: str,
    problems: list[str],
    lessons: list[tuple[str, tuple[str, ...]]],
    tags: tuple[str, ...] = (),
    team: str = "华东销售部",
) -> Review:
    return Review(
        id=review_id,
        title=title,
        kind="anomaly",
        team=team,
        held_on=date(2026, 10, 1),
        objective="-",
        path=Path(f"{review_id}.yaml"),
        tags=tags,
        problems=tuple(Problem(f"P{i}", text, root_cause="-", factor="process") for i, text in enumerate(problems, 1)),
        lessons=tuple(
            Lesson(f"L{i}", "failure", text, tags=lesson_tags) for i, (text, lesson_tags) in enumerate(lessons, 1)
        ),
    )


REVIEWS = [
    review("east-churn", "华东老客户流失", ["老客户流失,复购率下降"], [("交接后要当面回访老客户", ("客户维护",))]),
    review(
        "south-churn",
        "华南老客户流失",
        ["老客户流失增加"],
        [("离职交接要回访老客户", ("客户维护",))],
        team="华南销售部",
    ),
    review(
        "pricing",
        "Deals lost on price",
        ["Discounts were too deep"],
        [("Never discount first", ("pricing",))],
        tags=("pricing",),
        team="EMEA",
    ),
]


def test_a_review_finds_the_other_reviews_items_best_first_and_never_its_own() -> None:
    matches = RelatedIndex(REVIEWS).like_review("east-churn", limit=10)
    assert [m.review for m in matches] == ["south-churn", "south-churn"]
    assert {m.item for m in matches} == {"P1", "L1"}  # each item once
    assert matches[0].score >= matches[1].score > 0
    assert matches[0] == Match("south-churn", matches[0].item, matches[0].kind, matches[0].text, matches[0].score)


def test_per_review_caps_the_items_of_any_one_review() -> None:
    matches = RelatedIndex(REVIEWS).like_review("east-churn", limit=10, per_review=1)
    assert [m.review for m in matches] == ["south-churn"]


def test_free_text_and_tags_find_items_and_kind_keeps_lessons_only() -> None:
    index = RelatedIndex(REVIEWS)
    assert [m.review for m in index.like_text("discount")] == ["pricing", "pricing"]
    found = index.like_text("", tags=["pricing"], kind="lesson")
    assert [(m.review, m.item, m.kind) for m in found] == [("pricing", "L1", "lesson")]
    assert found[0].text == "Never discount first"


def test_limit_and_threshold_cut_the_list() -> None:
    index = RelatedIndex(REVIEWS)
    assert len(index.like_text("老客户流失", limit=1)) == 1
    assert index.like_text("老客户流失", threshold=0.999) == []


def test_words_the_index_never_saw_and_an_empty_knowledge_base_find_nothing() -> None:
    assert RelatedIndex(REVIEWS).like_text("quantum entanglement") == []
    assert RelatedIndex(REVIEWS).like_text("的 the") == []  # stopwords only
    assert RelatedIndex([]).like_text("churn") == []


def test_unknown_review_id_says_did_you_mean() -> None:
    with pytest.raises(UnknownReview, match="did you mean 'east-churn'"):
        RelatedIndex(REVIEWS).like_review("east-chrun")


def test_an_item_is_scored_by_its_own_words_before_its_reviews_title_and_tags() -> None:
    """Issue 19: an off-topic problem of a churn review (the office printer) came before another review's
    churn problem, carried by its review's title and tags alone."""
    reviews = [
        review("query", "老客户流失", ["老客户流失,没有回访"], [], tags=("客户维护",)),
        review(
            "churn-with-printer",
            "华南老客户流失复盘",
            ["老客户流失,复购率下降", "办公室打印机经常卡纸"],
            [],
            tags=("客户维护",),
        ),
        review("plain", "Q3 销售复盘", ["老客户流失增加,回访不及时"], [], team="华北销售部"),
    ]
    found = [(m.review, m.item) for m in RelatedIndex(reviews).like_review("query", limit=3)]
    assert found[:2] == [("churn-with-printer", "P1"), ("plain", "P1")]


def test_the_glossary_joins_a_chinese_and_an_english_item_that_share_no_word() -> None:
    reviews = [
        review("query", "客户流失", ["老客户流失"], []),
        review("english", "Q3 review", ["Churn doubled among small accounts"], [], team="EMEA"),
        review("other", "Q3 review", ["Printers jam in the office"], [], team="EMEA"),
    ]
    assert [m.review for m in RelatedIndex(reviews).like_review("query")] == ["english"]
    no_glossary = RelatedIndex(reviews, Glossary())
    assert no_glossary.like_review("query") == []


def _many_alike() -> list[Review]:
    """Forty reviews whose items say much the same, many word for word: a query ties many of them, and a page's
    matches come from past its own items and the reviews already shown twice."""
    texts = ["老客户流失,复购率下降", "Discounts were too deep", "老客户流失增加", "Never discount first on price"]
    return [
        review(
            f"r{number:02}",
            ["华东老客户流失", "Deals lost on price"][number % 2],
            [texts[number % 4], texts[(number + 1) % 4], texts[number % 4]],
            [(texts[(number + 2) % 4], ("客户维护",) if number % 3 else ("pricing",))],
            tags=("pricing",) if number % 5 == 0 else (),
            team=["华东销售部", "EMEA"][number % 2],
        )
        for number in range(40)
    ]


@pytest.mark.parametrize("ranked_first", [1, 2, 5, 9])
def test_reviews_asked_together_and_ranked_from_their_best_match_one_by_one(
    ranked_first: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A site asks every review's matches together (like_reviews), and each query sorts its best candidates
    first (RANKED_FIRST): the same matches in the same order, ties included, as each review asked alone with
    every candidate sorted."""
    import retrogen.engine.related as related

    reviews = _many_alike()
    ids = [r.id for r in reviews]
    monkeypatch.setattr(related, "RANKED_FIRST", 10**6)
    alone = {i: RelatedIndex(reviews).like_review(i, limit=7, threshold=0.05, per_review=2) for i in ids}
    monkeypatch.setattr(related, "RANKED_FIRST", ranked_first)
    monkeypatch.setattr(related, "QUERIES_AT_ONCE", 3)
    together = RelatedIndex(reviews).like_reviews(ids, limit=7, threshold=0.05, per_review=2)
    assert together == alone
    assert all(len(matches) == 7 for matches in alone.values())
    assert RelatedIndex(reviews).like_review("r07", limit=7, threshold=0.05, per_review=2) == alone["r07"]
    with pytest.raises(UnknownReview, match="no review has the id 'r0x'"):
        RelatedIndex(reviews).like_reviews(["r07", "r0x"])
