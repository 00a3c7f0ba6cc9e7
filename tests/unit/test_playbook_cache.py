"""The playbook's merge kept between runs (engine/playbook_cache.py): used while the lessons are the same,
made afresh when one changed, and never a different playbook from the one made without it."""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from retrogen.engine import playbook as playbook_module
from retrogen.engine.analysis import Analysis, analyse
from retrogen.engine.history import GitHistory
from retrogen.engine.model import KnowledgeBase, Review
from retrogen.engine.playbook import (
    Source,
    assign_practices,
    merge_order,
    playbook_markdown,
    reassign_practices,
    tracks_actions,
)
from retrogen.engine.playbook_cache import (
    FORMAT,
    MERGE_NAME,
    PRACTICES_NAME,
    PracticeStore,
    document_key,
    lesson_keys,
)
from retrogen.engine.related_cache import WordStore
from retrogen.gate.config import load_config
from retrogen.gate.glossary import Glossary

from ..conftest import TODAY

FIXTURE = Path(__file__).resolve().parent.parent / "kb"


def fixture_reviews() -> list[Review]:
    return analyse(load_config(FIXTURE / "mkdocs.yml"), TODAY, use_git=False, cache=False).knowledge_base.reviews


def playbook_of(
    reviews: Sequence[Review], folder: Path | None, glossary: Glossary | None = None
) -> tuple[str, list[str]]:
    analysis = Analysis(KnowledgeBase(list(reviews), TODAY), GitHistory(), lasting_folder=folder)
    if glossary is not None:
        analysis.glossary = glossary
    return playbook_markdown(analysis.playbook, "en", TODAY), analysis.cache_notices


@pytest.fixture
def merges(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many lessons each merge run compared (one entry per merge made)."""
    made: list[int] = []
    original = playbook_module.assign_practices

    def counted(ordered: Any, *args: Any) -> list[int]:
        made.append(len(ordered))
        return original(ordered, *args)

    monkeypatch.setattr(playbook_module, "assign_practices", counted)
    return made


def test_the_kept_merge_is_used_while_the_lessons_are_the_same(tmp_path: Path, merges: list[int]) -> None:
    reviews = fixture_reviews()
    expected, _ = playbook_of(reviews, None)
    assert playbook_of(reviews, tmp_path) == (expected, [])
    assert len(merges) == 2 and (tmp_path / MERGE_NAME).exists()
    assert playbook_of(reviews, tmp_path) == (expected, [])
    assert len(merges) == 2  # kept: no merge made
    # an edit that is no lesson's (an action's owner) keeps the merge, and shows
    edited = [
        dataclasses.replace(r, actions=tuple(dataclasses.replace(a, owner="Zhao Lei") for a in r.actions))
        for r in reviews
    ]
    markdown, notices = playbook_of(edited, tmp_path)
    assert len(merges) == 2 and "Zhao Lei" in markdown and not notices


def test_an_edited_lesson_or_glossary_merges_afresh(tmp_path: Path, merges: list[int]) -> None:
    reviews = fixture_reviews()
    playbook_of(reviews, tmp_path)
    first = next(i for i, r in enumerate(reviews) if r.lessons)
    lesson = reviews[first].lessons[0]
    # Another lesson's words and tags: it joins that lesson's practice, which only a new merge can find
    other = next(o for r in reviews[first + 1 :] for o in r.lessons if o.tags and o.lesson != lesson.lesson)
    changed = list(reviews)
    changed[first] = dataclasses.replace(
        reviews[first],
        lessons=(dataclasses.replace(lesson, lesson=other.lesson, tags=other.tags), *reviews[first].lessons[1:]),
    )
    expected, _ = playbook_of(changed, None)
    assert playbook_of(changed, tmp_path) == (expected, [])
    assert expected != playbook_of(reviews, None)[0]
    retagged = list(reviews)
    retagged[first] = dataclasses.replace(
        reviews[first], lessons=(dataclasses.replace(lesson, tags=("新标签",)), *reviews[first].lessons[1:])
    )
    expected_retagged, _ = playbook_of(retagged, None)
    assert playbook_of(retagged, tmp_path) == (expected_retagged, [])
    plain, _ = playbook_of(reviews, None, Glossary({}))
    assert playbook_of(reviews, tmp_path, Glossary({})) == (plain, [])
    assert len(merges) == 1 + 2 * 3 + 1  # each change merged twice: without the store, and with it


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff{", "unreadable"),
        (b'{"format": FORMAT, "key": "KEY", "practices": [0, 2]}', "not what this retrogen writes"),
        (b'{"format": FORMAT, "key": "KEY", "practices": "0"}', "not what this retrogen writes"),
        (b'{"format": FORMAT, "key": "KEY", "practices": [0, true]}', "not what this retrogen writes"),
    ],
)
def test_a_damaged_merge_is_made_again_with_a_notice(tmp_path: Path, content: bytes, problem: str) -> None:
    reviews = fixture_reviews()
    expected, _ = playbook_of(reviews, None)
    playbook_of(reviews, tmp_path)
    kept = json.loads((tmp_path / MERGE_NAME).read_text(encoding="utf-8"))
    lessons = len(kept["practices"])
    damaged = content.replace(b"KEY", kept["key"].encode()).replace(b"FORMAT", str(FORMAT).encode())
    if b"[0, 2]" in damaged:  # a practice number that skips one, as long as the real merge
        damaged = damaged.replace(b"[0, 2]", json.dumps([0, 2] + [0] * (lessons - 2)).encode())
    (tmp_path / MERGE_NAME).write_bytes(damaged)
    markdown, notices = playbook_of(reviews, tmp_path)
    assert markdown == expected
    assert len(notices) == 1 and MERGE_NAME in notices[0] and problem in notices[0] and "rebuilding" in notices[0]
    assert playbook_of(reviews, tmp_path) == (expected, [])  # written again whole


def test_a_merge_kept_for_other_lessons_is_not_used(tmp_path: Path) -> None:
    reviews = fixture_reviews()
    expected, _ = playbook_of(reviews, None)
    playbook_of(reviews[:3], tmp_path)
    assert playbook_of(reviews, tmp_path) == (expected, [])


def document_key_of(reviews: Sequence[Review], **changed: Any) -> str:
    analysis = Analysis(KnowledgeBase(list(reviews), TODAY), GitHistory())
    inputs: dict[str, Any] = {
        "reviews": reviews,
        "tracked": analysis.actions_on_lessons,
        "settings": (analysis.playbook_order, analysis.proven_min_verdicts, "zh", "md"),
        "glossary": analysis.glossary,
        "today": TODAY,
    }
    return document_key(**{**inputs, **changed})


# Edits of one review that the playbook shows (where it has a lesson that an action addresses)
SHOWN_CHANGES: list[Callable[[Review], Review]] = [
    lambda r: dataclasses.replace(r, title=r.title + "!"),
    lambda r: dataclasses.replace(r, team=r.team + "!"),
    lambda r: dataclasses.replace(r, id=r.id + "x"),
    lambda r: dataclasses.replace(r, held_on=r.held_on.replace(day=1)),
    lambda r: dataclasses.replace(r, period_start=None),
    lambda r: dataclasses.replace(r, tags=(*r.tags, "新主题")),
    lambda r: dataclasses.replace(r, lessons=r.lessons[1:]),
    lambda r: dataclasses.replace(r, lessons=(dataclasses.replace(r.lessons[0], type="failure"), *r.lessons[1:])),
    lambda r: dataclasses.replace(r, lessons=(dataclasses.replace(r.lessons[0], problem="P9"), *r.lessons[1:])),
    lambda r: dataclasses.replace(r, lessons=(dataclasses.replace(r.lessons[0], id="L9"), *r.lessons[1:])),
    # an action a lesson's problem names: what the playbook shows of it
    lambda r: dataclasses.replace(r, actions=(dataclasses.replace(r.actions[0], owner="Zhao Lei"), *r.actions[1:])),
    lambda r: dataclasses.replace(r, actions=(dataclasses.replace(r.actions[0], action="x"), *r.actions[1:])),
    lambda r: dataclasses.replace(r, actions=(dataclasses.replace(r.actions[0], addresses=()), *r.actions[1:])),
    lambda r: dataclasses.replace(
        r, actions=(dataclasses.replace(r.actions[0], due=r.actions[0].due.replace(day=2)), *r.actions[1:])
    ),
]


@pytest.mark.parametrize("change", SHOWN_CHANGES)
def test_the_document_key_holds_what_the_playbook_shows(change: Any) -> None:
    reviews = fixture_reviews()
    place = next(i for i, r in enumerate(reviews) if tracks_actions(r) and r.actions[0].addresses)
    changed = [*reviews[:place], change(reviews[place]), *reviews[place + 1 :]]
    # The action table of the reviews as they were: each change counts in the key by itself
    tracked = Analysis(KnowledgeBase(reviews, TODAY), GitHistory()).actions_on_lessons
    assert document_key_of(changed, tracked=tracked) != document_key_of(reviews)


def test_the_document_key_holds_the_day_settings_and_glossary() -> None:
    reviews = fixture_reviews()
    key = document_key_of(reviews)
    assert document_key_of(reviews) == key  # made twice alike
    assert document_key_of(reviews, today=TODAY.replace(day=1)) != key
    assert document_key_of(reviews, settings=((), 2, "zh", "md")) != key
    assert document_key_of(reviews, settings=((), 1, "en", "md")) != document_key_of(
        reviews, settings=((), 1, "zh", "md")
    )
    assert document_key_of(reviews, glossary=Glossary({})) != key
    assert document_key_of(list(reversed(reviews))) != key


def test_the_document_key_leaves_out_what_the_playbook_does_not_show() -> None:
    reviews = fixture_reviews()
    unshown = [dataclasses.replace(r, objective="x", problems=(), participants=(), materials=()) for r in reviews]
    assert document_key_of(unshown) == document_key_of(reviews)


def merge_inputs(reviews: Sequence[Review]) -> list[Source]:
    return merge_order(build_sources(reviews))


def build_sources(reviews: Sequence[Review]) -> list[Source]:
    return [Source(lesson, review) for review in reviews for lesson in review.lessons]


def test_an_earlier_merge_gives_the_same_practices_as_merging_afresh() -> None:
    """Every lesson of the fixture edited in turn (another lesson's words, its themes, taken away, one added
    beside it): the practices found from the earlier merge, when it can find them, are the fresh merge's."""
    reviews = fixture_reviews()
    ordered = merge_inputs(reviews)
    earlier = (lesson_keys(ordered), assign_practices(ordered))
    texts = [s.lesson.lesson for s in ordered]
    found, afresh = 0, 0
    for index, source in enumerate(ordered):
        lesson = source.lesson

        def replaced(**fields: Any) -> list[Source]:
            edited = dataclasses.replace(source, lesson=dataclasses.replace(lesson, **fields))  # noqa: B023
            return [*ordered[:index], edited, *ordered[index + 1 :]]  # noqa: B023

        variants = [
            [*ordered[:index], *ordered[index + 1 :]],  # taken away
            [*ordered, dataclasses.replace(source, lesson=dataclasses.replace(lesson, id="L99"))],  # once more
            replaced(tags=("新标签",)),
            replaced(tags=()),
            *(replaced(lesson=text) for text in texts[:: max(1, len(texts) // 6)]),
            replaced(lesson=lesson.lesson + " 再次"),
        ]
        for variant in variants:
            changed = merge_order(variant)  # as a run orders them
            again = reassign_practices(changed, lesson_keys(changed), earlier)
            if again is None:
                afresh += 1
            else:
                found += 1
                assert again == assign_practices(changed), (index, [s.lesson for s in variant])
    assert found > 20 and afresh > 20  # both: found from the earlier merge, and merged afresh


def test_an_edited_lesson_that_starts_no_practice_is_merged_alone(tmp_path: Path, merges: list[int]) -> None:
    reviews = fixture_reviews()
    playbook_of(reviews, tmp_path)
    ordered = merge_inputs(reviews)
    assignment = assign_practices(ordered)
    merges.clear()
    # a lesson that joined a practice, worded again by a word: it joins it again
    joined = next(s for i, s in enumerate(ordered) if assignment[i] < max(assignment[:i], default=-1) + 1)
    place = next(i for i, r in enumerate(reviews) if joined.lesson in r.lessons)
    lessons = tuple(
        dataclasses.replace(lesson, lesson=lesson.lesson + " ") if lesson is joined.lesson else lesson
        for lesson in reviews[place].lessons
    )
    changed = [*reviews[:place], dataclasses.replace(reviews[place], lessons=lessons), *reviews[place + 1 :]]
    expected, _ = playbook_of(changed, None)
    kept = json.loads((tmp_path / MERGE_NAME).read_text(encoding="utf-8"))
    # the statements' words from the merge's file, the edited lesson's found afresh: no lesson's read from the
    # word store
    found: list[str] = []
    original = playbook_module.text_words
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(
            playbook_module, "text_words", lambda text, glossary: found.append(text) or original(text, glossary)
        )
        patched.setattr(WordStore, "words", lambda *args: pytest.fail("all lessons' words read"))
        assert playbook_of(changed, tmp_path) == (expected, [])
    assert found == [joined.lesson.lesson + " "]
    assert merges == [len(ordered)]  # the run without the store; the one with it merged from the earlier
    # statements' words not what this retrogen writes: said, and found afresh
    (tmp_path / MERGE_NAME).write_text(json.dumps({**kept, "statements": {"x": [1]}}), encoding="utf-8")
    markdown, notices = playbook_of(changed, tmp_path)
    assert markdown == expected and notices and "not what this retrogen writes" in notices[0]
    assert merges == [len(ordered)]


def kept_blocks(
    reviews: Sequence[Review], folder: Path | None, language: str = "en", link: Callable[[str], str] | None = None
) -> tuple[str, list[str]]:
    """The playbook's Markdown with its practices' blocks kept in `folder`, and which blocks were rendered."""
    rendered: list[str] = []

    class Counted(PracticeStore):
        def block(self, key: str, render: Callable[[], str]) -> str:
            return super().block(key, lambda: rendered.append(key) or render())

    store = Counted(folder / PRACTICES_NAME) if folder is not None else None
    analysis = Analysis(KnowledgeBase(list(reviews), TODAY), GitHistory())
    markdown = playbook_markdown(analysis.playbook, language, TODAY, link, kept=store)
    if store is not None:
        store.keep()
        assert store.notices == []
    return markdown, rendered


def edited_where_shown(reviews: list[Review], change: Callable[[Review], Review]) -> list[Review]:
    place = next(i for i, r in enumerate(reviews) if tracks_actions(r) and r.actions[0].addresses)
    return [*reviews[:place], change(reviews[place]), *reviews[place + 1 :]]


@pytest.mark.parametrize("change", SHOWN_CHANGES)
def test_a_kept_practice_is_rendered_again_when_what_it_shows_changed(tmp_path: Path, change: Any) -> None:
    reviews = fixture_reviews()
    kept_blocks(reviews, tmp_path)
    changed = edited_where_shown(reviews, change)
    assert kept_blocks(changed, tmp_path)[0] == kept_blocks(changed, None)[0]


def test_only_the_practices_an_edit_touched_are_rendered_again(tmp_path: Path) -> None:
    reviews = fixture_reviews()
    expected, rendered = kept_blocks(reviews, tmp_path)
    practices = len(rendered)
    assert practices > 3 and kept_blocks(reviews, tmp_path) == (expected, [])
    # an action's owner: shown by the practices of its review's lessons alone
    changed = edited_where_shown(
        reviews,
        lambda r: dataclasses.replace(r, actions=(dataclasses.replace(r.actions[0], owner="Zhao Lei"), *r.actions[1:])),
    )
    markdown, rendered = kept_blocks(changed, tmp_path)
    assert "Zhao Lei" in markdown and markdown == kept_blocks(changed, None)[0]
    assert 1 <= len(rendered) < practices
    # another language, links to the review pages: other blocks
    chinese, rendered = kept_blocks(changed, tmp_path, "zh")
    assert chinese == kept_blocks(changed, None, "zh")[0] and len(rendered) == practices
    linked, rendered = kept_blocks(changed, tmp_path, "zh", lambda review: f"reviews/{review}.md")
    assert linked == kept_blocks(changed, None, "zh", lambda review: f"reviews/{review}.md")[0]
    assert linked != chinese and len(rendered) == practices


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff{", "unreadable"),
        (b'{"format": 1, "code": "x", "blocks": {"k": 1}}', "not what this retrogen writes"),
        (b"[]", "not what this retrogen writes"),
    ],
)
def test_damaged_kept_practices_are_rendered_again_with_a_notice(tmp_path: Path, content: bytes, problem: str) -> None:
    reviews = fixture_reviews()
    expected, _ = kept_blocks(reviews, None)
    (tmp_path / PRACTICES_NAME).write_bytes(content)
    store = PracticeStore.open(tmp_path)
    assert store is not None
    analysis = Analysis(KnowledgeBase(list(reviews), TODAY), GitHistory())
    assert playbook_markdown(analysis.playbook, "en", TODAY, kept=store) == expected
    assert store.notices and problem in store.notices[0]
    store.keep()
    assert kept_blocks(reviews, tmp_path) == (expected, [])  # written again whole
