"""The playbook's merge kept between runs (engine/playbook_cache.py): used while the lessons are the same,
made afresh when one changed, and never a different playbook from the one made without it."""

from __future__ import annotations

import dataclasses
import gc
import hashlib
import json
import random
import weakref
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from retrogen.core import digests as digests_module
from retrogen.engine import playbook as playbook_module
from retrogen.engine.analysis import Analysis, analyse
from retrogen.engine.history import GitHistory
from retrogen.engine.model import KnowledgeBase, Lesson, Review
from retrogen.engine.playbook import (
    Merge,
    Source,
    assign_practices,
    matched,
    merge_afresh,
    merge_order,
    playbook_markdown,
    practice_key_by_reviews,
    reassign_practices,
    tracks_actions,
)
from retrogen.engine.playbook_cache import (
    MERGE_NAME,
    PRACTICES_NAME,
    PracticeStore,
    document_key,
    review_digests,
)
from retrogen.engine.related_cache import WordStore
from retrogen.gate.config import load_config
from retrogen.gate.glossary import SEED, Glossary
from retrogen.gate.vocabulary import LESSON_TYPES

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
    original = playbook_module.assign_terms

    def counted(read: Any) -> list[int]:
        made.append(len(read))
        return original(read)

    monkeypatch.setattr(playbook_module, "assign_terms", counted)
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


def test_an_edited_lesson_is_merged_from_the_earlier_merge_and_a_glossary_afresh(
    tmp_path: Path, merges: list[int]
) -> None:
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
    # merged afresh: the first run; the reviews and each change without the store; with it, the other
    # glossary alone (every lesson's terms are another's), the lessons edited found from the earlier merge
    assert len(merges) == 1 + 4 + 1


def damaged_arrays(arrays: dict[str, Any], kind: str) -> dict[str, Any]:
    """The kept merge's arrays damaged as `kind` says."""
    practices, ids = arrays["practices"].copy(), arrays["term_ids"].copy()
    if kind == "a practice skipped":
        practices[-1] = practices.max() + 2
    elif kind == "a term beyond the vocabulary":
        ids[-1] = len(json.loads(arrays["meta"].tobytes())["vocabulary"])
    elif kind == "rows that end before their start":
        return {**arrays, "term_ends": arrays["term_ends"][::-1].copy()}
    elif kind == "numbers of another type":
        return {**arrays, "practices": practices.astype(np.float64)}
    elif kind == "an array missing":
        return {name: value for name, value in arrays.items() if name != "theme_ids"}
    elif kind == "one lesson fewer":
        return {**arrays, "keys": arrays["keys"][1:], "practices": practices[1:]}
    return {**arrays, "practices": practices, "term_ids": ids}


@pytest.mark.parametrize(
    "kind",
    [
        "unreadable",
        "a practice skipped",
        "a term beyond the vocabulary",
        "rows that end before their start",
        "numbers of another type",
        "an array missing",
        "one lesson fewer",
    ],
)
def test_a_damaged_merge_is_made_again_with_a_notice(tmp_path: Path, kind: str) -> None:
    reviews = fixture_reviews()
    expected, _ = playbook_of(reviews, None)
    playbook_of(reviews, tmp_path)
    path = tmp_path / MERGE_NAME
    if kind == "unreadable":
        path.write_bytes(b"\xff{")
    else:
        with np.load(path) as kept:
            arrays = damaged_arrays(dict(kept), kind)
        with path.open("wb") as handle:
            np.savez(handle, **arrays)
    # the same lessons (the merge kept is read), and one lesson's edit (the earlier merge is read)
    markdown, notices = playbook_of(reviews, tmp_path)
    assert markdown == expected
    problem = "unreadable" if kind in ("unreadable", "an array missing") else "not what this retrogen writes"
    assert len(notices) == 1 and MERGE_NAME in notices[0] and problem in notices[0] and "rebuilding" in notices[0]
    assert playbook_of(reviews, tmp_path) == (expected, [])  # written again whole
    edited = edited_lesson(reviews, " 再次")
    path.write_bytes(b"\xff{") if kind == "unreadable" else _write(path, arrays)
    markdown, notices = playbook_of(edited, tmp_path)
    assert markdown == playbook_of(edited, None)[0] and len(notices) == 1 and problem in notices[0]


def _write(path: Path, arrays: dict[str, Any]) -> None:
    with path.open("wb") as handle:
        np.savez(handle, **arrays)


def edited_lesson(reviews: Sequence[Review], words: str, which: Callable[[Lesson], bool] = bool) -> list[Review]:
    """`reviews` with the first lesson `which` accepts given `words` more (or, for words starting with "=",
    those words instead)."""
    place = next(i for i, r in enumerate(reviews) if any(which(lesson) for lesson in r.lessons))
    lesson = next(lesson for lesson in reviews[place].lessons if which(lesson))
    lessons = tuple(
        dataclasses.replace(other, lesson=words[1:] if words.startswith("=") else other.lesson + words)
        if other is lesson
        else other
        for other in reviews[place].lessons
    )
    return [*reviews[:place], dataclasses.replace(reviews[place], lessons=lessons), *reviews[place + 1 :]]


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


def lesson_keys(ordered: Sequence[Source]) -> list[bytes]:
    """Keys alike for lessons alike (what reassign_practices asks of them), of lessons without their reviews:
    a digest of each one's text and tags."""
    return [hashlib.blake2b(repr((s.lesson.lesson, s.lesson.tags)).encode(), digest_size=16).digest() for s in ordered]


def fresh_merge(ordered: Sequence[Source]) -> Merge:
    return merge_afresh(ordered, lesson_keys(ordered), SEED, None)


def assert_same_merge(found: Merge, ordered: Sequence[Source], note: object) -> None:
    """`found` is the merge made afresh: its choices, and each lesson's terms and themes as ids."""
    fresh = fresh_merge(ordered)
    assert found.keys == fresh.keys, note
    assert found.assignment == fresh.assignment == assign_practices(ordered), note
    for at in range(len(ordered)):
        assert found.terms.terms(at) == fresh.terms.terms(at), (note, at)
        themes = found.terms.theme_ids[found.terms.theme_ends[at] : found.terms.theme_ends[at + 1]]
        assert tuple(found.terms.themes[i] for i in themes) == (ordered[at].lesson.tags or ("",)), (note, at)


def test_an_earlier_merge_gives_the_same_practices_as_merging_afresh() -> None:
    """Every lesson of the fixture edited in turn (another lesson's words, its themes, taken away, one added
    beside it): the practices found from the earlier merge are the fresh merge's."""
    reviews = fixture_reviews()
    ordered = merge_inputs(reviews)
    earlier = fresh_merge(ordered)
    texts = [s.lesson.lesson for s in ordered]
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
            assert_same_merge(again, changed, (index, [s.lesson for s in variant]))


# Few words and themes: lessons of one theme share words, practices hold many lessons, and a statement
# added or taken away changes the choice of lessons after it, which change others' in turn
WORDS = [
    *["budget", "champion", "pricing", "pilot", "legal", "renewal", "discovery", "signature", "forecast", "churn"],
    "决策链",
    "报价",
    "续约",
]
THEMES = ("pricing", "renewal", "新客户开发", "")


def random_lesson(rng: random.Random, number: int) -> Lesson:
    words = rng.sample(WORDS, rng.randint(1, 6))
    if rng.random() < 0.2:
        words.append(f"unique{number}")  # a word no other lesson has: often a practice of its own
    tags = tuple(t for t in rng.sample(THEMES, rng.randint(1, 2)) if t)
    return Lesson(f"L{number}", rng.choice(("success", "failure")), " ".join(words), tags=tags)


def random_review(rng: random.Random, number: int) -> Review:
    return Review(
        id=f"r{rng.randint(0, 10**6):07d}",
        title="t",
        kind="deal",
        team="a",
        held_on=date(2026, 1, 1) + timedelta(days=rng.randint(0, 60)),
        objective="o",
        path=Path("r.yaml"),
    )


def edited(rng: random.Random, sources: list[Source], number: int) -> list[Source]:
    """`sources` after one random edit: a lesson reworded (to another lesson's words, one word more or less,
    or new words), retagged, made a success or a failure, moved (its review's date), added (new, or another's
    near-duplicate) or taken away."""
    place = rng.randrange(len(sources))
    source, lesson = sources[place], sources[place].lesson
    kinds = (
        "another's words",
        "a word more",
        "a word less",
        "new words",
        "tags",
        "add",
        "copy",
        "remove",
        "type",
        "date",
    )
    kind = rng.choice(kinds)
    if kind == "remove" and len(sources) > 1:
        return sources[:place] + sources[place + 1 :]
    if kind == "add":
        return [*sources, Source(random_lesson(rng, number), random_review(rng, number))]
    if kind == "copy":  # another lesson of another review, word for word or nearly
        text = lesson.lesson + rng.choice(("", " pilot", f" unique{number}"))
        copy = dataclasses.replace(lesson, id=f"L{number}", lesson=text)
        return [*sources, Source(copy, random_review(rng, number))]
    if kind == "another's words":
        other = rng.choice(sources).lesson
        lesson = dataclasses.replace(lesson, lesson=other.lesson, tags=rng.choice((other.tags, lesson.tags)))
    elif kind == "a word more":
        lesson = dataclasses.replace(lesson, lesson=f"{lesson.lesson} {rng.choice(WORDS)}")
    elif kind == "a word less":
        lesson = dataclasses.replace(lesson, lesson=" ".join(lesson.lesson.split()[1:]) or "budget")
    elif kind == "new words":
        lesson = dataclasses.replace(lesson, lesson=random_lesson(rng, number).lesson)
    elif kind == "type":  # to the other end of the merge order
        lesson = dataclasses.replace(lesson, type="failure" if lesson.type == "success" else "success")
    elif kind == "date":  # elsewhere in the merge order, the lesson as it was
        moved = dataclasses.replace(source.review, held_on=random_review(rng, number).held_on)
        return [*sources[:place], Source(lesson, moved), *sources[place + 1 :]]
    else:
        lesson = dataclasses.replace(lesson, tags=random_lesson(rng, number).tags)
    return [*sources[:place], dataclasses.replace(source, lesson=lesson), *sources[place + 1 :]]


@pytest.mark.parametrize("seed", range(12))
def test_merges_found_from_earlier_ones_are_merges_made_afresh_over_random_edits(seed: int) -> None:
    """Random edit sequences, each merge found from the one found before it (not from a fresh one): the
    choices, terms and themes are always those of a merge made afresh."""
    rng = random.Random(seed)
    sources = [Source(random_lesson(rng, n), random_review(rng, n)) for n in range(rng.randint(20, 120))]
    ordered = merge_order(sources)
    merge = fresh_merge(ordered)
    statements_changed = cascades = 0
    for step in range(40):
        for _ in range(rng.choice((1, 1, 1, 2, 5))):  # often one edit between runs, sometimes several
            sources = edited(rng, sources, 1000 * (step + 1) + len(sources))
        ordered = merge_order(sources)
        found = reassign_practices(ordered, lesson_keys(ordered), merge)
        assert_same_merge(found, ordered, (seed, step))
        before, after = statements(merge), statements(found)
        statements_changed += before != after
        # lessons not edited that start a practice now and did not, or the other way round
        cascades += bool((before ^ after) & set(merge.keys) & set(found.keys))
        merge = found
    # the cases that matter: statements added, taken away and changed, and others' choices changed in turn
    assert statements_changed >= 10 and cascades >= 1, (statements_changed, cascades)


def test_the_lessons_two_merges_share_are_found_around_lessons_moved() -> None:
    """A lesson moved to the front or the back of the merge order (its date or type changed), one added and
    one taken away: all the others are found in both, in order, each with its own key."""
    before = [bytes([n]) * 16 for n in range(10)]
    cases = {
        "moved to the front": [before[7], *before[:7], *before[8:]],
        "moved to the back": [*before[:2], *before[3:], before[2]],
        "added and taken away": [*before[:3], b"x" * 16, *before[4:8], b"y" * 16, *before[8:]],
        "two moved": [before[9], *before[1:9], before[0]],
    }
    shared = {"moved to the front": 9, "moved to the back": 9, "added and taken away": 9, "two moved": 8}
    for case, lessons in cases.items():
        old_rows, places = matched(before, lessons)
        assert len(old_rows) == shared[case], case
        assert [before[at] for at in old_rows] == [lessons[at] for at in places], case
        assert (np.diff(old_rows) > 0).all() and (np.diff(places) > 0).all(), case


def test_the_lessons_two_merges_share_in_order_are_found_as_the_walk_finds_them() -> None:
    """matched()'s answer found in C where no lesson moved is the walk's, also with keys met twice; where one
    moved it is left to the walk."""
    rng = random.Random(21)
    found_in_order = 0
    for _ in range(400):
        before = [bytes([rng.randrange(40)]) * 16 for _ in range(rng.randrange(0, 30))]
        lessons = list(before)
        for _ in range(rng.randrange(1, 4)):
            kind = rng.choice(["add", "remove", "change", "move"])
            at = rng.randrange(len(lessons) + 1)
            if kind == "add":
                lessons.insert(at, bytes([40 + rng.randrange(20)]) * 16)
            elif lessons and kind == "remove":
                del lessons[at % len(lessons)]
            elif lessons and kind == "change":
                lessons[at % len(lessons)] = bytes([rng.randrange(60)]) * 16
            elif lessons:
                lessons.insert(at % len(lessons), lessons.pop(rng.randrange(len(lessons))))
        in_order = playbook_module._matched_in_order(before, lessons)
        walked = playbook_module._matched_walking(before, lessons)
        if in_order is not None:
            found_in_order += 1
            assert [a.tolist() for a in in_order] == [a.tolist() for a in walked], (before, lessons)
        assert [a.tolist() for a in matched(before, lessons)] == [a.tolist() for a in walked]
    assert 100 < found_in_order < 400


def test_the_merge_order_sorted_in_c_is_sorted_s() -> None:
    """build_playbook's merge order (numpy's lexsort of ranks) is merge_order's, ties and all: reviews of one
    day, ids met twice, lessons of one id and type, Chinese ids."""
    rng = random.Random(6)
    reviews = fixture_reviews()
    for _ in range(30):
        varied = [
            dataclasses.replace(
                r,
                id=rng.choice([r.id, "2026-x", "复盘-1", "a"]),
                held_on=rng.choice([r.held_on, TODAY]),
                lessons=tuple(
                    dataclasses.replace(lesson, id=rng.choice([lesson.id, "L1", "甲"]), type=rng.choice(LESSON_TYPES))
                    for lesson in r.lessons
                ),
            )
            for r in rng.sample(reviews, rng.randrange(len(reviews) + 1))
        ]
        sources = build_sources(varied)
        counts = [len(r.lessons) for r in varied]
        lesson_reviews = np.repeat(np.arange(len(varied)), counts).astype(np.int64)
        held = np.array([r.held_on.toordinal() for r in varied], dtype=np.int64)
        id_ranks = playbook_module._ranks([r.id for r in varied])
        places = playbook_module._merge_places(varied, lesson_reviews, held, id_ranks)
        assert places == playbook_module._merge_permutation(sources)


@pytest.mark.parametrize("unique", [True, False])
def test_each_practice_s_reviews_gathered_in_c_are_those_its_sources_name(unique: bool) -> None:
    """Practice.reviews as build_playbook gathers them (latest first, each once), of reviews of one day too;
    with an id met twice (which the checks refuse), as the property finds them."""
    rng = random.Random(7)
    reviews = fixture_reviews()
    for _ in range(10):
        varied = [dataclasses.replace(r, held_on=rng.choice([r.held_on, TODAY])) for r in reviews]
        if not unique:
            varied[1] = dataclasses.replace(varied[1], id=varied[0].id)
        playbook = Analysis(KnowledgeBase(varied, TODAY), GitHistory()).playbook
        assert playbook.practices
        for practice in playbook.practices:
            assert practice.reviews == playbook_module.Practice(list(practice.sources)).reviews


def test_each_practice_s_tags_and_actions_gathered_are_those_its_sources_name() -> None:
    """Practice.tags (in its lessons' order, each once) and Practice.actions as build_playbook gathers them, and
    the theme each practice lives under (its first tag carried by MIN_SECTION_LESSONS lessons), as the
    properties find them from the sources, with the lessons' tags shuffled, cut and repeated."""
    rng = random.Random(11)
    reviews = fixture_reviews()
    every_tag = sorted({tag for r in reviews for lesson in r.lessons for tag in lesson.tags})
    assert any(a.addresses for r in reviews for a in r.actions)  # some practices have actions
    for _ in range(10):
        varied = [
            dataclasses.replace(
                r,
                lessons=tuple(
                    dataclasses.replace(
                        lesson, tags=tuple(rng.sample(every_tag, rng.randrange(3))) * rng.randrange(1, 3)
                    )
                    for lesson in r.lessons
                ),
            )
            for r in reviews
        ]
        playbook = Analysis(KnowledgeBase(varied, TODAY), GitHistory()).playbook
        lessons = Counter(tag for r in varied for lesson in r.lessons for tag in lesson.tags)
        with_section = {tag for tag, count in lessons.items() if count >= playbook_module.MIN_SECTION_LESSONS}
        assert any(practice.actions for practice in playbook.practices)
        for practice in playbook.practices:
            walked = playbook_module.Practice(list(practice.sources))
            assert (practice.tags, practice.actions) == (walked.tags, walked.actions)
            assert practice.theme == next((tag for tag in walked.tags if tag in with_section), "")


def statements(merge: Merge) -> set[bytes]:
    """The keys of the lessons that start a practice."""
    started, found = 0, set()
    for key, number in zip(merge.keys, merge.assignment, strict=True):
        if number == started:
            started, found = started + 1, found | {key}
    return found


@pytest.mark.parametrize("starts", [False, True])
def test_an_edited_lesson_is_merged_without_reading_the_other_lessons_words(
    tmp_path: Path, merges: list[int], starts: bool
) -> None:
    """A lesson that joined a practice worded again: by a word (it joins it again), or by words no lesson has
    (it starts a practice, which the lessons after it may join): only its review's lessons' words are found,
    the others' are the earlier merge's, and no merge is made afresh."""
    reviews = fixture_reviews()
    playbook_of(reviews, tmp_path)
    ordered = merge_inputs(reviews)
    assignment = assign_practices(ordered)
    merges.clear()
    joined = next(s for i, s in enumerate(ordered) if assignment[i] < max(assignment[:i], default=-1) + 1)
    words = "=zephyr quokka marzipan" if starts else " "
    changed = edited_lesson(reviews, words, lambda lesson: lesson is joined.lesson)
    expected, _ = playbook_of(changed, None)
    found: list[str] = []
    original = playbook_module.text_words
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(
            playbook_module, "text_words", lambda text, glossary: found.append(text) or original(text, glossary)
        )
        patched.setattr(WordStore, "words", lambda *args: pytest.fail("all lessons' words read"))
        assert playbook_of(changed, tmp_path) == (expected, [])
    # the edited lesson's words, and those of its review's other lessons (known by the review's digest)
    edited = next(r for r in changed if r.id == joined.review.id)
    assert (words[1:] if starts else joined.lesson.lesson + words) in found
    assert sorted(found) == sorted(lesson.lesson for lesson in edited.lessons)
    assert merges == [len(ordered)]  # the run without the store; the one with it merged from the earlier
    edited_merge = merge_inputs(changed)
    assert (max(assign_practices(edited_merge)) > max(assignment)) == starts


def kept_blocks(
    reviews: Sequence[Review],
    folder: Path | None,
    language: str = "en",
    link: Callable[[str], str] | None = None,
    today: date = TODAY,
) -> tuple[str, list[str]]:
    """The playbook's Markdown with its practices' blocks kept in `folder`, and which blocks were rendered."""
    rendered: list[str] = []

    class Counted(PracticeStore):
        def block(self, key: str, render: Callable[[], str]) -> str:
            return super().block(key, lambda: rendered.append(key) or render())

    store = Counted(folder / PRACTICES_NAME) if folder is not None else None
    analysis = Analysis(KnowledgeBase(list(reviews), today), GitHistory())
    markdown = playbook_markdown(analysis.playbook, language, today, link, kept=store)
    if store is not None:
        store.keep()
        assert store.notices == []
    return markdown, rendered


def edited_where_shown(reviews: list[Review], change: Callable[[Review], Review]) -> list[Review]:
    place = next(i for i, r in enumerate(reviews) if tracks_actions(r) and r.actions[0].addresses)
    return [*reviews[:place], change(reviews[place]), *reviews[place + 1 :]]


def first_lesson(r: Review, **changed: Any) -> Review:
    return dataclasses.replace(r, lessons=(dataclasses.replace(r.lessons[0], **changed), *r.lessons[1:]))


# What a practice's block shows of a lesson besides what the document key holds of it (SHOWN_CHANGES)
LESSON_CHANGES: list[Callable[[Review], Review]] = [
    lambda r: first_lesson(r, lesson=r.lessons[0].lesson + " again"),
    lambda r: first_lesson(r, applies_to="Key accounts only"),
    lambda r: first_lesson(r, tags=(*r.lessons[0].tags, "新主题")),
    lambda r: first_lesson(r, tags=()),
    lambda r: dataclasses.replace(r, lessons=(*r.lessons[1:], r.lessons[0])),  # the same lessons, reordered
]


@pytest.mark.parametrize("change", SHOWN_CHANGES + LESSON_CHANGES)
def test_a_kept_practice_is_rendered_again_when_what_it_shows_changed(tmp_path: Path, change: Any) -> None:
    reviews = fixture_reviews()
    kept_blocks(reviews, tmp_path)
    changed = edited_where_shown(reviews, change)
    assert kept_blocks(changed, tmp_path)[0] == kept_blocks(changed, None)[0]


def test_a_kept_practice_is_rendered_again_when_its_actions_state_changed_with_the_day(tmp_path: Path) -> None:
    reviews = fixture_reviews()
    kept_blocks(reviews, tmp_path)
    later = TODAY + timedelta(days=400)  # open actions overdue, pending verdicts decided
    markdown, rendered = kept_blocks(reviews, tmp_path, today=later)
    assert markdown == kept_blocks(reviews, None, today=later)[0] != kept_blocks(reviews, None)[0]
    assert rendered


def test_the_practices_keys_are_made_of_the_reviews_digests_not_their_sources(tmp_path: Path) -> None:
    """A kept playbook's practices are keyed by their reviews' digests (the document key's) and rows: their
    thousands of sources are not read for a key (practice_key)."""
    reviews = fixture_reviews()
    expected, _ = kept_blocks(reviews, tmp_path)
    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(playbook_module, "practice_key", lambda *args, **kwargs: pytest.fail("sources read"))
        assert kept_blocks(reviews, tmp_path) == (expected, [])
        changed = edited_where_shown(reviews, LESSON_CHANGES[0])
        assert kept_blocks(changed, tmp_path)[0] == kept_blocks(changed, None)[0]


def test_a_practice_key_names_which_lessons_of_its_reviews_it_holds() -> None:
    reviews = fixture_reviews()
    analysis = Analysis(KnowledgeBase(reviews, TODAY), GitHistory())
    playbook = analysis.playbook
    reviewed = review_digests(reviews, analysis.actions_on_lessons)
    keys = {
        practice_key_by_reviews(p, playbook, reviewed, "en", None, themed=bool(p.theme)) for p in playbook.practices
    }
    assert len(keys) == len(playbook.practices)
    practice = next(p for p in playbook.practices if len(p.statement.review.lessons) > 1)
    # its statement swapped for another lesson of the same review: the same reviews' digests, another block
    rows = practice.rows.copy()
    same_review = np.flatnonzero(playbook.lesson_reviews == playbook.lesson_reviews[rows[0]])
    rows[0] = next(int(at) for at in same_review if at != rows[0])
    key = practice_key_by_reviews(practice, playbook, reviewed, "en", None, themed=bool(practice.theme))
    practice.rows = rows
    assert practice_key_by_reviews(practice, playbook, reviewed, "en", None, themed=bool(practice.theme)) != key


def test_review_digests_are_made_again_for_other_reviews_or_rows() -> None:
    reviews = fixture_reviews()
    tracked = Analysis(KnowledgeBase(reviews, TODAY), GitHistory()).actions_on_lessons
    place = next(i for i, r in enumerate(reviews) if tracks_actions(r) and r.actions[0].addresses)
    found = review_digests(reviews, tracked).copy()
    assert (review_digests(list(reviews), tracked) == found).all()  # the same reviews: alike
    edited = list(reviews)
    edited[place] = LESSON_CHANGES[0](edited[place])
    again = review_digests(edited, tracked)
    assert (again[place] != found[place]).any() and (np.delete(again, place, 0) == np.delete(found, place, 0)).all()
    reviews[place] = edited[place]  # a list changed in place: its reviews are digested again
    assert (review_digests(reviews, tracked) == again).all()
    untracked = tracked.iloc[0:0]  # other rows: no action of any review shown
    assert (review_digests(reviews, untracked)[place] != again[place]).any()


def test_review_digests_keep_no_review_alive() -> None:
    """A long `serve` keeps no knowledge base in memory for the digests of its last playbook."""
    reviews = [dataclasses.replace(r) for r in fixture_reviews()]
    tracked = Analysis(KnowledgeBase(reviews, TODAY), GitHistory()).actions_on_lessons
    review_digests(reviews, tracked)
    reference = weakref.ref(reviews[0])
    del reviews
    gc.collect()
    assert reference() is None


def test_review_digests_are_made_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    """The reviews' tuples are no garbage: the collector's passes over them are spared, and it is back on after."""
    reviews = fixture_reviews()
    tracked = Analysis(KnowledgeBase(reviews, TODAY), GitHistory()).actions_on_lessons
    collecting: list[bool] = []
    made = digests_module.digests

    def digests(values: Any, dispatch: Any = None) -> list[bytes]:
        collecting.append(gc.isenabled())
        return made(values, dispatch)

    monkeypatch.setattr(digests_module, "digests", digests)
    assert gc.isenabled()
    review_digests(reviews, tracked)
    assert collecting == [False] and gc.isenabled()


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


def test_practices_renumbered_by_an_edit_are_not_rendered_again(tmp_path: Path) -> None:
    """A practice gone (or started) before others renumbers them all; their blocks are kept without their
    numbers, so only the practices of the edited review are rendered again, each under its new number."""
    reviews = fixture_reviews()
    expected, rendered = kept_blocks(reviews, tmp_path)
    practices = Analysis(KnowledgeBase(list(reviews), TODAY), GitHistory()).playbook.practices
    gone = next(p for p in practices if len(p.sources) == 1 and len(p.statement.review.lessons) > 1)
    assert gone.number < len(practices) - 3  # most practices come after it
    review = gone.statement.review
    changed = [
        dataclasses.replace(r, lessons=tuple(lesson for lesson in r.lessons if lesson is not gone.statement.lesson))
        if r is review
        else r
        for r in reviews
    ]
    markdown, rendered = kept_blocks(changed, tmp_path)
    assert markdown == kept_blocks(changed, None)[0] != expected
    assert 1 <= len(rendered) < len(review.lessons)  # the review's other lessons' practices alone


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"\xff{", "unreadable"),
        (b'{"format": 2, "code": "x", "blocks": {"k": 1}}\nabc', "not what this retrogen writes"),
        (b'{"format": 2, "code": "x", "blocks": [["k", 4]], "crc": 0}\nabc', "not what this retrogen writes"),
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


def test_kept_practices_damaged_or_of_another_retrogen_are_rendered_again(tmp_path: Path) -> None:
    reviews = fixture_reviews()
    expected, rendered = kept_blocks(reviews, tmp_path)
    path = tmp_path / PRACTICES_NAME
    header, _, payload = path.read_bytes().partition(b"\n")
    # a byte of a block changed: the CRC tells, and every block is rendered again
    path.write_bytes(header + b"\n" + payload[:-1] + bytes([payload[-1] ^ 1]))
    store = PracticeStore.open(tmp_path)
    assert store is not None
    analysis = Analysis(KnowledgeBase(list(reviews), TODAY), GitHistory())
    assert playbook_markdown(analysis.playbook, "en", TODAY, kept=store) == expected
    assert len(store.notices) == 1 and "damaged" in store.notices[0]
    store.keep()
    assert kept_blocks(reviews, tmp_path) == (expected, [])
    # another retrogen's blocks: not used, without a notice
    kept = json.loads(header)
    path.write_bytes(json.dumps({**kept, "code": "another"}).encode() + b"\n" + payload)
    assert kept_blocks(reviews, tmp_path) == (expected, rendered)
