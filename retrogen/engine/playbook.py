"""The playbook: lessons from every review merged into practices and grouped by theme, in the order a
salesperson meets the themes. Each lesson text lives in exactly one practice, and each practice in exactly one
section; other sections that share its theme point to it."""

from __future__ import annotations

import hashlib
import heapq
import itertools
import math
import re
from collections import Counter, defaultdict, deque
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Any, cast

import numpy as np
import pandas as pd
from markupsafe import Markup, escape

from retrogen.core.bulk import collector_paused
from retrogen.core.digests import digest
from retrogen.core.words import catalogue
from retrogen.engine.loop import DECIDED, Verdict
from retrogen.engine.metrics import is_recurring
from retrogen.engine.model import Action, Lesson, Review
from retrogen.engine.text import text_words
from retrogen.formats.labels import counted
from retrogen.formats.render import day, environment, iso, md
from retrogen.gate.glossary import CONCEPT, SEED, Glossary
from retrogen.gate.settings import DEFAULTS

if TYPE_CHECKING:
    from retrogen.engine.playbook_cache import MergeStore, PracticeStore
    from retrogen.engine.related_cache import WordStore

# Two lessons of a theme say the same thing when their term sets overlap at least this much (Ochiai: shared
# terms / geometric mean of the two sets' sizes, so a short lesson can match a longer one). Measured on the
# fixture knowledge base and on rewordings of its lessons (tests/unit/test_playbook_merge.py):
# - rewordings of one lesson score 0.64-0.89 in both languages;
# - lessons a reader files under one practice score 0.41-0.51 (节前储备线索 as success and as failure;
#   回访老客户 → 复购率 three times);
# - lessons of one theme that say different things score at most 0.29 (两条报价教训: one total price vs
#   not knowing the budget), the economic-buyer lessons 0.18-0.20.
# 0.35 sits between the two groups. Below about 0.3 a shared subject and one common word merge different
# advice; above about 0.45 the success/failure pairs of one practice stay apart. Three shared terms out of
# six and ten (0.39) is where bag-of-words similarity cannot tell "the same" from "about the same thing".
NEAR_DUPLICATE = 0.35

# Two lessons of a theme that name the same glossary terms, at least this many and no other, give one advice
# in other words, however few words they share: "Arguing features to IT while finance decides loses final
# rounds" and "Deals without a known economic buyer slip at signature even with strong technical wins" (the
# technical and the economic buyer; words in common: none, 0.24 with the glossary). One shared term is not
# enough: 线索 and 新客户 alone name two lessons of 新客户开发 that give different advice.
SAME_CONCEPTS = 2

# A theme carried by fewer lessons than this gets no section of its own; its practices join "other practices"
# (a section per single lesson turns the playbook back into a list).
MIN_SECTION_LESSONS = 2

# A merge that compares again at most this many lessons finds their words afresh (jieba, about a millisecond
# each) rather than reading every lesson's from the store (a quarter second at 10,000 reviews)
FEW_BETWEEN = 100
# What stands for a practice's number in the block kept of it (playbook_markdown): no lesson holds a NUL.
NUMBER_PLACE = "\x00"

_SINGLE_HAN = re.compile(r"[\u3400-\u9fff]")
_LESSON_TAGS = attrgetter("lesson.tags")


def lesson_terms(text: str, glossary: Glossary = SEED, words: list[str] | None = None) -> frozenset[str]:
    """The terms that say what a lesson is about, and the glossary terms it names (churn and 客户流失 are
    both `≈客户流失`): text.text_words, or `words` when they were found before. Single Chinese characters
    go: after jieba they are mostly measure words and particles (家, 月, 做, 比) that every lesson shares."""
    found = text_words(text, glossary) if words is None else words
    return frozenset(t for t in found if not (len(t) == 1 and _SINGLE_HAN.match(t)))


def concepts_of(terms: frozenset[str]) -> frozenset[str]:
    """The glossary terms among a lesson's terms."""
    return frozenset(t for t in terms if t.startswith(CONCEPT))


def same_concepts(a: frozenset[str], b: frozenset[str]) -> bool:
    """True when two lessons' terms name the same glossary terms, at least SAME_CONCEPTS of them."""
    concepts = concepts_of(a)
    return len(concepts) >= SAME_CONCEPTS and concepts == concepts_of(b)


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """How much two term sets overlap, from 0 (nothing shared) to 1 (the same terms)."""
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


@dataclass(frozen=True)
class TrackedAction:
    review: Review
    action: Action
    state: str  # open, overdue, done, cancelled or carried: the action tracker's state today
    verification: str | None  # achieved, missed, met_without_action, pending, no_data; None without `expects`


@dataclass(frozen=True)
class Source:
    """One lesson of one review, with the actions taken on its problem."""

    lesson: Lesson
    review: Review
    actions: tuple[TrackedAction, ...] = ()

    @property
    def success(self) -> bool:
        return self.lesson.type == "success"


@dataclass
class Practice:
    """Lessons that say the same thing. The first is the statement: the latest success when there is one (a
    practice says what to do), else the latest failure; the others are further ways to do or to avoid it.
    What it gathers from its lessons (tags, where it applies, reviews, actions) is kept once asked for, and
    asked only of a practice whose lessons are all merged: the sections and the document ask it many times."""

    sources: list[Source]
    theme: str = ""  # the section it lives in; "" for the other practices
    number: int = 0  # its place in the playbook, counted from 1, for cross-references
    proven_min_verdicts: int = DEFAULTS.proven_min_verdicts  # extra.retrogen.proven_min_verdicts
    # Its sources' places among the playbook's lessons (Playbook.lesson_reviews), in merge order (numpy int64):
    # set by build_playbook, for a key of its block made without reading its thousands of sources
    rows: Any = None

    @property
    def statement(self) -> Source:
        return self.sources[0]

    @property
    def also(self) -> list[Source]:
        return self.sources[1:]

    @property
    def is_pitfall(self) -> bool:
        return not self.statement.success

    # What it gathers from its lessons, in map()s of attrgetters: a practice's sources run to thousands

    @cached_property
    def tags(self) -> list[str]:
        return list(dict.fromkeys(itertools.chain.from_iterable(map(_LESSON_TAGS, self.sources))))

    @cached_property
    def applies_to(self) -> list[str]:
        return list(dict.fromkeys(filter(None, map(attrgetter("lesson.applies_to"), self.sources))))

    @cached_property
    def reviews(self) -> list[Review]:
        """The reviews it comes from, latest first, each once."""
        reviews = list(map(attrgetter("review"), self.sources))
        unique = dict(zip(map(attrgetter("id"), reviews), reviews, strict=True))
        return sorted(unique.values(), key=attrgetter("held_on", "id"), reverse=True)

    @property
    def teams(self) -> int:
        return len(set(map(attrgetter("team"), self.reviews)))

    @property
    def last_seen(self) -> date:
        return self.reviews[0].held_on  # the latest first

    @cached_property
    def actions(self) -> list[TrackedAction]:
        return list(itertools.chain.from_iterable(map(attrgetter("actions"), self.sources)))

    @property
    def single_source(self) -> bool:
        """It rests on one review: worth trying, not yet shown to hold elsewhere."""
        return len(self.reviews) == 1

    @property
    def achieved(self) -> int:
        """How many of the actions taken on its problems were verified as achieved, each action once."""
        return len({(t.review.id, t.action.id) for t in self.actions if t.verification == Verdict.ACHIEVED})

    @property
    def needs_action(self) -> bool:
        """A failure with nothing done about it: the playbook says so rather than staying silent."""
        return not self.actions and bool(set(map(attrgetter("lesson.type"), self.sources)) - {"success"})

    @property
    def proven(self) -> bool:
        """The actions taken on its problems were verified: every decided verdict among them is achieved (the
        metric reached its target and the action was done by then), and at least `proven_min_verdicts` are.
        Each action counts once, also when two of the practice's lessons name its problem."""
        decided = {(t.review.id, t.action.id): t.verification for t in self.actions if t.verification in DECIDED}
        return len(decided) >= self.proven_min_verdicts and all(
            verdict == Verdict.ACHIEVED for verdict in decided.values()
        )


@dataclass
class Section:
    """A theme's practices, or (theme "") the practices of themes too small for a section of their own."""

    theme: str
    practices: list[Practice] = field(default_factory=list)  # the statement is a success: do this
    pitfalls: list[Practice] = field(default_factory=list)  # the statement is a failure: avoid this
    see_also: list[Practice] = field(default_factory=list)  # of this theme too, but living in another section
    # Where the theme was seen, counted as `metrics --themes` counts it (tags of reviews and of lessons).
    reviews: int = 0
    teams: int = 0
    last_seen: date = date.min
    recurring: bool = False

    @property
    def entries(self) -> list[Practice]:
        return self.practices + self.pitfalls


@dataclass
class Playbook:
    sections: list[Section]
    # What build_playbook made it of (for practice_key_by_reviews): the reviews, the action table's rows it
    # read, and for each lesson of the reviews in order (each review's lessons in order) its review's place
    # among the reviews and its own place among that review's lessons (numpy int64)
    reviews: Sequence[Review] = ()
    tracked: pd.DataFrame | None = None
    lesson_reviews: Any = None
    lesson_numbers: Any = None

    @property
    def practices(self) -> list[Practice]:
        """Every practice in the order the playbook shows them (and numbers them)."""
        return [p for section in self.sections for p in section.entries]


def build_playbook(
    reviews: Sequence[Review],
    actions: pd.DataFrame,
    themes: pd.DataFrame,
    order: Sequence[str] = (),
    proven_min_verdicts: int = DEFAULTS.proven_min_verdicts,
    *,
    glossary: Glossary = SEED,
    kept: WordStore | None = None,
    merged: MergeStore | None = None,
) -> Playbook:
    """Near-duplicate lessons merged into practices, grouped into sections: the themes of `order` first, in
    that order, then the others by how widely they were seen, then the practices of themes too small for a
    section. `actions` (the action table's rows, at least those of the reviews that `tracks_actions`) gives
    each lesson the actions on its problem with their state and verdict; `themes` is the recurring-themes
    table, so both count a theme the same way. A practice is proven with `proven_min_verdicts` achieved
    verdicts and no other decided one (Practice.proven). `kept` keeps the lessons' words between runs (jieba
    is most of the cost), `merged` the merge of lessons that did not change."""
    sources = _sources(reviews, actions)
    counts = np.fromiter(map(len, map(attrgetter("lessons"), reviews)), dtype=np.int64, count=len(reviews))
    lesson_reviews = np.repeat(np.arange(len(reviews), dtype=np.int64), counts)
    lesson_numbers = np.arange(len(lesson_reviews), dtype=np.int64) - np.repeat(np.cumsum(counts) - counts, counts)
    ids = list(map(attrgetter("id"), reviews))
    id_ranks = _ranks(ids)
    held = np.fromiter(map(date.toordinal, map(attrgetter("held_on"), reviews)), dtype=np.int64, count=len(reviews))
    merged_places = _merge_places(reviews, lesson_reviews, held, id_ranks)
    ordered = list(map(sources.__getitem__, merged_places))

    def keys() -> list[bytes]:
        from retrogen.engine.playbook_cache import lesson_keys, review_digests  # it reads this module

        places = np.asarray(merged_places, dtype=np.int64)
        return lesson_keys(review_digests(reviews, actions), lesson_reviews[places], lesson_numbers[places])

    assignment = _assignment(ordered, keys, glossary, kept, merged)
    practices = _grouped(ordered, merged_places, assignment)
    if len(set(ids)) == len(ids):  # as the checks ask; else each practice finds its reviews by their ids
        _gather_reviews(practices, reviews, lesson_reviews, np.lexsort((id_ranks, held)))
    for practice in practices:
        practice.proven_min_verdicts = proven_min_verdicts
    tagged = _gather_tags(practices, list(map(attrgetter("tags"), _lessons(reviews))))
    _gather_actions(practices, sources)
    with_section = {tag for tag, lessons in tagged.items() if lessons >= MIN_SECTION_LESSONS}
    # Each practice's tags, gathered once: a practice of thousands of lessons is asked for them per section
    tags_of = {id(practice): practice.tags for practice in practices}
    for practice in practices:  # a practice lives under its first theme that has a section, as its author put it
        practice.theme = next((tag for tag in tags_of[id(practice)] if tag in with_section), "")
    reach = {str(row["theme"]): row for row in _rows(themes[themes["kind"] == "tag"])}
    position: dict[str, int] = {}
    for tag in order:
        position.setdefault(tag, len(position))

    def rank(section: Section) -> tuple[Any, ...]:
        if section.theme in position:
            return (0, position[section.theme])
        return (1, -section.reviews, -section.teams, -section.last_seen.toordinal(), section.theme)

    sections = sorted((_section(theme, reach.get(theme), practices, tags_of) for theme in with_section), key=rank)
    playbook = Playbook(
        [s for s in (*sections, _section("", None, practices, tags_of)) if s.entries],
        reviews,
        actions,
        lesson_reviews,
        lesson_numbers,
    )
    for number, practice in enumerate(playbook.practices, start=1):
        practice.number = number
    for section in playbook.sections:
        section.see_also = [
            p for p in playbook.practices if section.theme in tags_of[id(p)] and p.theme != section.theme
        ]
    return playbook


def merge_lessons(
    sources: Iterable[Source], glossary: Glossary = SEED, words: Mapping[str, list[str]] | None = None
) -> list[Practice]:
    """Each lesson joins the practice of its theme whose statement it is most similar to (at least
    NEAR_DUPLICATE), or starts a practice of its own. Successes come first and the latest first, so a
    statement is the latest success; comparing with statements only keeps a chain of loosely similar
    lessons from drifting into one practice. `words`: each lesson text's text_words, found before."""
    ordered = merge_order(sources)
    return practices_of(ordered, assign_practices(ordered, glossary, words))


def _assignment(
    ordered: Sequence[Source],
    lesson_keys: Callable[[], list[bytes]],
    glossary: Glossary,
    kept: WordStore | None,
    merged: MergeStore | None,
) -> Sequence[int]:
    """assign_practices of lessons in merge order, or the merge `merged` kept of the same lessons (each lesson
    known by its key, `lesson_keys()`, in merge order), or one found from the merge it kept of earlier lessons
    (reassign_practices)."""
    from retrogen.engine.playbook_cache import merge_key  # the stores' module reads this one

    def all_words() -> dict[str, list[str]] | None:
        return kept.words((s.lesson.lesson for s in ordered), glossary) if kept is not None else None

    if merged is None:
        return assign_practices(ordered, glossary, all_words())
    keys = lesson_keys()
    key = merge_key(keys, glossary)
    assignment = merged.assignment(key, len(ordered))
    if assignment is None:
        earlier = merged.earlier(glossary)
        if earlier is None:
            merge = merge_afresh(ordered, keys, glossary, all_words())
        else:
            # The lessons the earlier merge has not are read afresh (jieba, about a millisecond each) when they
            # are few; the others' terms are the earlier merge's
            shared = matched(earlier.keys, keys)
            few = len(keys) - len(shared[0]) <= FEW_BETWEEN
            merge = reassign_practices(ordered, keys, earlier, glossary, None if few else all_words(), shared)
        merged.keep(key, merge, glossary)
        assignment = merge.assignment
    return assignment


def merge_order(sources: Iterable[Source]) -> list[Source]:
    """The order lessons are merged in: successes first, the latest first (see merge_lessons)."""
    listed = list(sources)
    return [listed[at] for at in _merge_permutation(listed)]


def _merge_permutation(sources: Sequence[Source]) -> list[int]:
    """merge_order as the sources' places: sorted stably (sorted's reverse keeps equal ones in order)."""
    keys = list(map(attrgetter("success", "review.held_on", "review.id", "lesson.id"), sources))
    return sorted(range(len(keys)), key=keys.__getitem__, reverse=True)


def _ranks(values: list[str]) -> Any:
    """Each value's place among the distinct values sorted as Python compares them (numpy int64)."""
    rank = {value: at for at, value in enumerate(sorted(set(values)))}
    return np.fromiter(map(rank.__getitem__, values), dtype=np.int64, count=len(values))


def _merge_places(reviews: Sequence[Review], lesson_reviews: Any, held: Any, id_ranks: Any) -> list[int]:
    """_merge_permutation of the reviews' lessons (in order, each review's in order; `lesson_reviews`: each
    one's review's place), sorted in C: numpy's lexsort is stable, and sorts the keys negated as sorted's
    reverse does (successes first, the latest first, ties kept in order). `held`: each review's day (an
    ordinal), `id_ranks`: its id's _ranks; ids are sorted as ranks of their distinct values."""
    lessons = _lessons(reviews)
    if not lessons:
        return []
    success = np.fromiter(map("success".__eq__, map(attrgetter("type"), lessons)), dtype=np.int64, count=len(lessons))
    keys = (-_ranks(list(map(attrgetter("id"), lessons))), -id_ranks[lesson_reviews], -held[lesson_reviews], -success)
    return cast(list[int], np.lexsort(keys).tolist())


def _gather_reviews(practices: Sequence[Practice], reviews: Sequence[Review], lesson_reviews: Any, by_day: Any) -> None:
    """Each practice's reviews (Practice.reviews: latest first, each once) found in C from its rows, where each
    review's id is its own: `by_day`, the reviews' places sorted by their day and id. Kept as the property
    keeps what it finds (in the practice's __dict__): the sections and the document ask for them."""
    place = np.empty(len(reviews), dtype=np.int64)
    place[by_day] = np.arange(len(reviews), dtype=np.int64)
    for practice in practices:
        latest_first = np.unique(place[lesson_reviews[practice.rows]])[::-1]
        practice.__dict__["reviews"] = list(map(reviews.__getitem__, by_day[latest_first].tolist()))


def _lessons(reviews: Sequence[Review]) -> list[Lesson]:
    """The reviews' lessons, in order (each review's in order): as `_sources` holds them."""
    return list(itertools.chain.from_iterable(map(attrgetter("lessons"), reviews)))


def _gather_tags(practices: Sequence[Practice], lesson_tags: Sequence[tuple[str, ...]]) -> Counter[str]:
    """How many lessons carry each tag, and each practice's tags (Practice.tags: in its lessons' order, each
    once), found from its rows (`lesson_tags`: each lesson's tags, in the rows' order) by the few distinct tag
    lists its lessons have, each met first where its first lesson is: a practice's thousands of lessons are
    not walked tag by tag. Kept as the property keeps what it finds: each section asks for them."""
    numbers = dict(zip(dict.fromkeys(lesson_tags), itertools.count()))
    distinct = list(numbers)
    codes = np.fromiter(map(numbers.__getitem__, lesson_tags), dtype=np.int64, count=len(lesson_tags))
    for practice in practices:
        mine = codes[practice.rows]
        firsts = np.sort(np.unique(mine, return_index=True)[1])
        in_order = map(distinct.__getitem__, mine[firsts].tolist())
        practice.__dict__["tags"] = list(dict.fromkeys(itertools.chain.from_iterable(in_order)))
    tagged: Counter[str] = Counter()
    for tags, lessons in zip(distinct, np.bincount(codes, minlength=len(distinct)).tolist(), strict=True):
        for tag in tags:
            tagged[tag] += lessons
    return tagged


def _gather_actions(practices: Sequence[Practice], sources: Sequence[Source]) -> None:
    """Each practice's actions (Practice.actions), from the few of its sources (its rows among `sources`)
    that have any: every section's order asks for them. Kept as the property keeps what it finds."""
    acting = np.fromiter(map(bool, map(attrgetter("actions"), sources)), dtype=bool, count=len(sources))
    for practice in practices:
        with_actions = map(sources.__getitem__, practice.rows[acting[practice.rows]].tolist())
        practice.__dict__["actions"] = list(itertools.chain.from_iterable(map(attrgetter("actions"), with_actions)))


def _grouped(ordered: Sequence[Source], places: Sequence[int], assignment: Sequence[int]) -> list[Practice]:
    """practices_of(ordered, assignment), grouped in C (a stable sort by practice keeps each practice's lessons
    in merge order), each practice with its rows: its sources' places (`places`: each lesson's, in merge
    order)."""
    if not ordered:
        return []
    numbers = np.asarray(assignment, dtype=np.int64)
    by_practice = np.argsort(numbers, kind="stable")
    ends = np.cumsum(np.bincount(numbers)).tolist()
    grouped = list(map(ordered.__getitem__, by_practice.tolist()))
    rows = np.asarray(places, dtype=np.int64)[by_practice]
    return [
        Practice(grouped[start:end], rows=rows[start:end]) for start, end in zip([0, *ends[:-1]], ends, strict=True)
    ]


def practices_of(ordered: Sequence[Source], assignment: Sequence[int]) -> list[Practice]:
    """The practices of lessons in merge order, each lesson's practice numbered by when it started."""
    practices: list[Practice] = []
    for source, number in zip(ordered, assignment, strict=True):
        if number == len(practices):
            practices.append(Practice([source]))
        else:
            practices[number].sources.append(source)
    return practices


def assign_practices(
    ordered: Sequence[Source], glossary: Glossary = SEED, words: Mapping[str, list[str]] | None = None
) -> list[int]:
    """merge_lessons' choice for each lesson of `ordered` (in merge_order): the number of the practice it
    joins, or the next number when it starts one."""
    return assign_terms([_read(source, glossary, words) for source in ordered])


def assign_terms(read: Sequence[tuple[frozenset[str], tuple[str, ...]]]) -> list[int]:
    """assign_practices of lessons given by their terms and themes (`_read`)."""
    merge = _Statements()
    return [merge.choose(terms, themes) for terms, themes in read]


@dataclass(frozen=True)
class LessonTerms:
    """Each lesson's terms (lesson_terms) and themes, in merge order, as numbers into their vocabularies: the
    lessons' rows of two sparse tables (each row's entries from `ends[i]` to `ends[i + 1]`), which a later
    merge reads for the lessons it shares with this one instead of finding their words again, and searches
    at once for the lessons a changed statement may concern."""

    vocabulary: list[str]
    term_ends: Any  # numpy int64, one more than lessons
    term_ids: Any  # numpy int32
    themes: list[str]
    theme_ends: Any
    theme_ids: Any

    @classmethod
    def of(cls, terms: Sequence[frozenset[str]], themes: Sequence[tuple[str, ...]]) -> LessonTerms:
        vocabulary: dict[str, int] = {}
        theme_numbers: dict[str, int] = {}
        term_ends, term_ids = _sparse(terms, vocabulary)
        theme_ends, theme_ids = _sparse(themes, theme_numbers)
        return cls(list(vocabulary), term_ends, term_ids, list(theme_numbers), theme_ends, theme_ids)

    def terms(self, lesson: int) -> frozenset[str]:
        vocabulary = self.vocabulary
        return frozenset(
            [vocabulary[i] for i in self.term_ids[self.term_ends[lesson] : self.term_ends[lesson + 1]].tolist()]
        )

    def gathered(
        self,
        kept: tuple[Any, Any],
        count: int,
        terms: Sequence[frozenset[str]],
        themes: Sequence[tuple[str, ...]],
    ) -> LessonTerms:
        """The rows of `count` lessons: those of `kept` (its rows here, and their places there: matched()) as
        they are, the others' made of `terms` and `themes` in order (new terms and themes join the
        vocabularies)."""
        vocabulary = dict(zip(self.vocabulary, itertools.count()))
        theme_numbers = dict(zip(self.themes, itertools.count()))
        term_ends, term_ids = _gathered(self.term_ends, self.term_ids, kept, count, _sparse(terms, vocabulary))
        theme_ends, theme_ids = _gathered(self.theme_ends, self.theme_ids, kept, count, _sparse(themes, theme_numbers))
        return LessonTerms(list(vocabulary), term_ends, term_ids, list(theme_numbers), theme_ends, theme_ids)

    def sharing(self, lesson: int, after: int) -> Any:
        """The lessons from `after` on that share a theme and a term with `lesson`: those whose candidates
        (_Statements.choose) it is among when it is a statement."""
        return (
            np.flatnonzero(
                _any_of(self.term_ends, self.term_ids, lesson, after)
                & _any_of(self.theme_ends, self.theme_ids, lesson, after)
            )
            + after
        )


def _sparse(rows: Sequence[Collection[str]], numbers: dict[str, int]) -> tuple[Any, Any]:
    """Sparse rows of `rows`' words, each numbered by `numbers` (new words added to it, in the order met):
    their ends, their ids. Numbered in C, word by word: 400,000 of them at 10,000 reviews."""
    for word in dict.fromkeys(itertools.chain.from_iterable(rows)):
        if word not in numbers:
            numbers[word] = len(numbers)
    ends = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(np.fromiter(map(len, rows), dtype=np.int64, count=len(rows)), out=ends[1:])
    ids = np.fromiter(
        map(numbers.__getitem__, itertools.chain.from_iterable(rows)), dtype=np.int32, count=int(ends[-1])
    )
    return ends, ids


def _gathered(ends: Any, ids: Any, kept: tuple[Any, Any], count: int, added: tuple[Any, Any]) -> tuple[Any, Any]:
    """Sparse rows of `count` rows: the rows `kept` names (its rows of `ends` and `ids`, and their places
    among the `count`), and in the other places, in order, the rows of `added` (its ends and ids)."""
    old_rows, places = kept
    added_ends, added_ids = added
    from_old = np.zeros(count, dtype=bool)
    from_old[places] = True
    lengths = np.zeros(count, dtype=np.int64)
    lengths[places] = np.diff(ends)[old_rows]
    lengths[~from_old] = np.diff(added_ends)
    new_ends = np.zeros(count + 1, dtype=np.int64)
    np.cumsum(lengths, out=new_ends[1:])
    # each entry's row, and where that row's entries start in the table it is copied from
    row = np.repeat(np.arange(count), lengths)
    source_start = np.zeros(count, dtype=np.int64)
    source_start[places] = ends[old_rows]
    source_start[~from_old] = added_ends[:-1]
    source = source_start[row] + np.arange(len(row)) - new_ends[row]
    entry_from_old = from_old[row]
    new_ids = np.empty(len(row), dtype=np.int32)
    new_ids[entry_from_old] = ids[source[entry_from_old]]
    new_ids[~entry_from_old] = added_ids[source[~entry_from_old]]
    return new_ends, new_ids


def _any_of(ends: Any, ids: Any, row: int, after: int) -> Any:
    """Per row from `after` on: whether it holds any of row `row`'s ids."""
    low = int(ends[after])
    hit = np.isin(ids[low:], ids[ends[row] : ends[row + 1]])
    counted = np.zeros(len(hit) + 1, dtype=np.int64)
    np.cumsum(hit, out=counted[1:])
    return counted[ends[after + 1 :] - low] > counted[ends[after:-1] - low]


@dataclass(frozen=True)
class Merge:
    """A merge as it is kept between runs: each lesson's key (playbook_cache.lesson_keys), the practice each
    lesson joins (assign_practices) and the lessons' terms, all in merge order."""

    keys: list[bytes]
    assignment: list[int]
    terms: LessonTerms


def merge_afresh(
    ordered: Sequence[Source], keys: list[bytes], glossary: Glossary, words: Mapping[str, list[str]] | None
) -> Merge:
    """assign_practices' merge, with what a later merge reads of it."""
    read = [_read(source, glossary, words) for source in ordered]
    return Merge(keys, assign_terms(read), LessonTerms.of([terms for terms, _ in read], [themes for _, themes in read]))


def reassign_practices(
    ordered: Sequence[Source],
    keys: list[bytes],
    earlier: Merge,
    glossary: Glossary = SEED,
    words: Mapping[str, list[str]] | None = None,
    shared: tuple[Any, Any] | None = None,
) -> Merge:
    """assign_practices' answer found from an earlier merge. `keys`: each lesson's key in merge order (alike
    only for lessons alike in text and themes, what the merge reads of them); `words`: text_words of the
    lessons between the prefix and the suffix the two merges share, where found before (else found now);
    `shared`: matched(earlier.keys, keys), where found before.

    A lesson's choice depends only on its terms and themes and on the statements before it that share a theme
    and a term with it (its candidates): it joins the most similar one. So a lesson the edit did not touch
    chooses as before (the same statement, its number counted again) unless a statement was added among its
    candidates, or the statement it joined is one no longer. The lessons between are chosen afresh, as are
    those; a lesson that then starts a practice or stops starting one changes the statements for the
    lessons after it in turn. Every statement's and every lesson's terms chosen again are the earlier
    merge's, kept as ids: no other lesson's words are read."""
    old_rows, places = kept = matched(earlier.keys, keys) if shared is None else shared
    count = len(keys)
    new = np.ones(count, dtype=bool)  # the lessons the earlier merge has not
    new[places] = False
    read = [_read(ordered[at], glossary, words) for at in np.flatnonzero(new).tolist()]
    terms = earlier.terms.gathered(kept, count, [t for t, _ in read], [t for _, t in read])
    old = np.asarray(earlier.assignment, dtype=np.int64)
    was_statement = old > np.concatenate([[-1], np.maximum.accumulate(old)[:-1]])
    # where each kept lesson's statement is in the new order (-1: a lesson edited or removed)
    moved = np.full(len(old), -1, dtype=np.int64)
    moved[old_rows] = places
    statement_of = np.full(count, -1, dtype=np.int64)
    statement_of[places] = moved[np.flatnonzero(was_statement)[old[old_rows]]]
    is_statement = np.zeros(count, dtype=bool)
    is_statement[places] = was_statement[old_rows]
    again = statement_of < 0  # the new lessons, and those whose statement was edited or removed
    chosen: dict[int, int] = {}
    merge = _Statements()
    added = 0  # the lessons before this one whose statements `merge` holds
    pending = np.flatnonzero(again).tolist()  # in order: a heap
    while pending:
        lesson = heapq.heappop(pending)
        for statement in (np.flatnonzero(is_statement[added:lesson]) + added).tolist():
            merge.start(terms.terms(statement), _themes(ordered[statement]))
        added = lesson + 1
        started = len(merge.terms)
        number = chosen[lesson] = merge.choose(terms.terms(lesson), _themes(ordered[lesson]))
        starts, was = number == started, bool(is_statement[lesson])  # the new lessons were none
        if starts and not was:  # a statement more: the lessons after it whose candidate it is choose again
            marked = terms.sharing(lesson, lesson + 1)
        elif was and not starts:  # a statement less: the lessons that joined it choose again
            marked = np.flatnonzero(statement_of[lesson + 1 :] == lesson) + lesson + 1
        else:
            continue
        is_statement[lesson] = starts
        for later in marked[~again[marked]].tolist():
            heapq.heappush(pending, later)
        again[marked] = True
    numbers = np.cumsum(is_statement) - 1
    assignment = numbers[np.maximum(statement_of, 0)]
    for lesson, number in chosen.items():
        assignment[lesson] = number
    return Merge(keys, assignment.tolist(), terms)


def matched(before: Sequence[bytes], lessons: Sequence[bytes]) -> tuple[Any, Any]:
    """The lessons (their keys) two merges share, in the same order in both: their places in `before` and
    in `lessons` (numpy arrays, increasing). All that the two share at the start and at the end; between,
    where the two differ, the one lesson of the two that the other has not is new or gone, and where the other
    has both further on, the one it has sooner is kept for it (the other moved in the merge order: its date
    or type changed)."""
    in_order = _matched_in_order(before, lessons)
    return in_order if in_order is not None else _matched_walking(before, lessons)


def _matched_walking(before: Sequence[bytes], lessons: Sequence[bytes]) -> tuple[Any, Any]:
    """matched(), walking the two merges' lessons between what they share at the start and at the end."""
    head = 0
    for old, new in zip(before, lessons, strict=False):
        if old != new:
            break
        head += 1
    tail = 0
    while tail < min(len(before), len(lessons)) - head and before[-1 - tail] == lessons[-1 - tail]:
        tail += 1
    old_rows, places = list(range(head)), list(range(head))
    end, new_end = len(before) - tail, len(lessons) - tail
    # each key's places yet to come, in each
    ahead: dict[bytes, deque[int]] = defaultdict(deque)
    new_ahead: dict[bytes, deque[int]] = defaultdict(deque)
    for at in range(head, end):
        ahead[before[at]].append(at)
    for at in range(head, new_end):
        new_ahead[lessons[at]].append(at)
    at, new_at = head, head
    while at < end and new_at < new_end:
        old, new = before[at], lessons[new_at]
        if old == new:
            old_rows.append(at)
            places.append(new_at)
            past_old = past_new = True
        elif not new_ahead[old]:
            past_old, past_new = True, False  # `old` is gone
        elif not ahead[new]:
            past_old, past_new = False, True  # `new` is new
        else:  # both further on in the other: the one met sooner there is kept, the other passed
            past_new = new_ahead[old][0] - new_at < ahead[new][0] - at
            past_old = not past_new
        if past_old:
            ahead[old].popleft()
            at += 1
        if past_new:
            new_ahead[new].popleft()
            new_at += 1
    old_rows += range(end, len(before))
    places += range(new_end, len(lessons))
    return np.array(old_rows, dtype=np.int64), np.array(places, dtype=np.int64)


def _matched_in_order(before: Sequence[bytes], lessons: Sequence[bytes]) -> tuple[Any, Any] | None:
    """matched()'s answer where it is simple, found in C: when the lessons each has that the other has too
    come in the same order in both (none moved: an edit's review's lessons changed, added or removed in
    place, wherever they are in the merge order), they are all shared; else None."""
    in_before, in_lessons = set(before).__contains__, set(lessons).__contains__
    kept = np.fromiter(map(in_lessons, before), dtype=bool, count=len(before))
    found = np.fromiter(map(in_before, lessons), dtype=bool, count=len(lessons))
    if list(itertools.compress(before, kept)) != list(itertools.compress(lessons, found)):
        return None
    return np.flatnonzero(kept).astype(np.int64), np.flatnonzero(found).astype(np.int64)


class _Statements:
    """The statements of the practices a merge started so far, and an index that finds a lesson's candidates:
    the statements it shares a theme and a term with (a large knowledge base is not compared pair by pair)."""

    def __init__(self) -> None:
        self.terms: list[frozenset[str]] = []
        self.sizes: list[int] = []  # len(terms[i]), for the similarity of each candidate
        self.concepts: list[frozenset[str]] = []  # same_concepts, its sets made once per statement
        # (theme, term) -> the practices whose statement has both
        self.postings: dict[tuple[str, str], list[int]] = defaultdict(list)

    def choose(self, terms: frozenset[str], themes: tuple[str, ...]) -> int:
        """The number of the practice a lesson of `terms` and `themes` joins: the one whose statement it is most
        similar to (at least NEAR_DUPLICATE), or the next number when it starts one (and is its statement from
        now on)."""
        concepts = concepts_of(terms)
        alike = len(concepts) >= SAME_CONCEPTS
        size = len(terms)
        statements, sizes, statement_concepts, postings = self.terms, self.sizes, self.concepts, self.postings
        # similarity() and max((score, -i)) written out: this loop scores every lesson against its candidates
        best, chosen = -1.0, -1
        for i in {i for theme in themes for term in terms for i in postings.get((theme, term), ())}:
            if alike and statement_concepts[i] == concepts:
                score = 1.0
            else:
                score = len(terms & statements[i]) / math.sqrt(size * sizes[i])
            if score > best or (score == best and i < chosen):
                best, chosen = score, i
        if best >= NEAR_DUPLICATE:
            return chosen
        self._add(terms, concepts, themes)
        return len(statements) - 1

    def start(self, terms: frozenset[str], themes: tuple[str, ...]) -> None:
        """A lesson of `terms` and `themes` as the statement of the next practice, as an earlier merge found it."""
        self._add(terms, concepts_of(terms), themes)

    def _add(self, terms: frozenset[str], concepts: frozenset[str], themes: tuple[str, ...]) -> None:
        for theme in themes:
            for term in terms:
                self.postings[(theme, term)].append(len(self.terms))
        self.terms.append(terms)
        self.sizes.append(len(terms))
        self.concepts.append(concepts)


def _read(
    source: Source, glossary: Glossary, words: Mapping[str, list[str]] | None
) -> tuple[frozenset[str], tuple[str, ...]]:
    """What the merge reads of a lesson: its terms (from `words` where they have its text) and its themes."""
    text = source.lesson.lesson
    return lesson_terms(text, glossary, words.get(text) if words is not None else None), _themes(source)


def _themes(source: Source) -> tuple[str, ...]:
    return source.lesson.tags or ("",)  # lessons without a tag are one theme


def tracks_actions(review: Review) -> bool:
    """Whether some action of the review addresses one of its lessons' problems: the actions a playbook shows."""
    problems = {lesson.problem for lesson in review.lessons if lesson.problem}
    return any(problem in problems for action in review.actions for problem in action.addresses)


def _sources(reviews: Sequence[Review], actions: pd.DataFrame) -> list[Source]:
    # Four columns of the action table, not its rows as dicts: at 50,000 actions that is seconds
    columns = [actions[name].tolist() for name in ("review", "id", "state", "verification")]
    tracked: dict[tuple[str, str], tuple[str, str | None]] = {
        (review, action): (state, text_or_none(verification))
        for review, action, state, verification in zip(*columns, strict=True)
    }
    return [
        Source(
            lesson,
            review,
            tuple(
                TrackedAction(review, a, *tracked[(review.id, a.id)])
                for a in review.actions
                if lesson.problem in a.addresses and (review.id, a.id) in tracked
            )
            if lesson.problem and review.actions
            else (),
        )
        for review in reviews
        for lesson in review.lessons
    ]


def by_evidence(practice: Practice) -> tuple[Any, ...]:
    """The order of a section's practices: seen in more reviews first, then more achieved verdicts, then
    seen more recently; a practice's first lesson breaks ties, so a knowledge base always reads alike."""
    return (
        -len(practice.reviews),
        -practice.achieved,
        -practice.last_seen.toordinal(),
        practice.statement.review.id,
        practice.statement.lesson.id,
    )


def _section(
    theme: str, row: dict[str, Any] | None, practices: list[Practice], tags_of: dict[int, list[str]]
) -> Section:
    mine = [p for p in practices if p.theme == theme]
    mine.sort(key=by_evidence)
    section = Section(theme, [p for p in mine if not p.is_pitfall], [p for p in mine if p.is_pitfall])
    if theme and row:
        section.reviews, section.teams = int(row["reviews"]), int(row["teams"])
        section.last_seen, section.recurring = row["last_seen"], bool(row["recurring"])
    elif theme:
        seen = [s.review for p in practices if theme in tags_of[id(p)] for s in p.sources]
        section.reviews = len({r.id for r in seen})
        section.teams = len({r.team for r in seen})
        section.last_seen = max(r.held_on for r in seen)
        section.recurring = is_recurring(seen)
    return section


def text_or_none(value: Any) -> str | None:
    """A text of the action table, None for a missing one."""
    return value if isinstance(value, str) else None  # pandas gives NaN for a missing text


def _rows(frame: pd.DataFrame) -> list[dict[str, Any]]:
    return cast(list[dict[str, Any]], frame.to_dict("records"))


def reach(reviews: int, teams: int, last_seen: date, text: dict[str, str], day: Callable[[date], str] = iso) -> str:
    """How far a theme or practice reaches: `4 reviews · 1 team · last seen 2026-10-12`, the date as `day`
    writes it."""
    return (
        f"{counted(reviews, 'from_reviews', text)} · {counted(teams, 'from_teams', text)} · "
        f"{text['last_seen']} {day(last_seen)}"
    )


def practice_key(
    practice: Practice,
    language: str,
    review_link: Callable[[str], str] | None,
    *,
    themed: bool,
    html: bool = False,
) -> str:
    """A digest of all that a practice's block of the document (playbook_practice.md.j2) shows but its number
    (put in as the block is used), in `language`, in a section with a theme or not (`themed`), with the site's
    HTML or not (`html`): what the block is kept by (playbook_cache.PracticeStore)."""
    reviews, also = practice.reviews, practice.also
    # Columns of plain strings, numbers and booleans, made and pickled in C: a practice's sources run to
    # thousands. What the block shows made of these (its teams, when last seen, whether it rests on one
    # review or needs an action) is not asked for again.
    shown = (
        language,
        themed,
        html,
        practice.proven,
        practice.is_pitfall,
        practice.statement.lesson.lesson,
        list(map(attrgetter("lesson.type"), also)),
        list(map(attrgetter("lesson.lesson"), also)),
        practice.applies_to,
        None if themed else practice.tags,
        list(map(attrgetter("title"), reviews)),
        list(map(attrgetter("team"), reviews)),
        list(map(date.toordinal, map(attrgetter("held_on"), reviews))),
        [review_link(r.id) for r in reviews] if review_link else None,
        [(t.action.action, t.action.owner, iso(t.action.due), t.state, t.verification) for t in practice.actions],
    )
    return digest(shown).hex()


def practice_key_by_reviews(
    practice: Practice,
    playbook: Playbook,
    reviewed: Any,
    language: str,
    review_link: Callable[[str], str] | None,
    *,
    themed: bool,
    html: bool = False,
) -> str:
    """practice_key made of `reviewed` (playbook_cache.review_digests of the playbook's reviews: all it shows of
    each) and which lessons of which reviews the practice holds, in order (its rows): numpy's gathers in C, not
    a pass over its thousands of sources. What its block shows besides (the actions on its problems with
    their state and verdict) is digested as it is; its number is not (put in as the block is used)."""
    shown = (
        language,
        themed,
        html,
        practice.proven,
        [review_link(r.id) for r in practice.reviews] if review_link else None,
        [
            (t.review.id, t.action.id, t.action.action, t.action.owner, iso(t.action.due), t.state, t.verification)
            for t in practice.actions
        ],
    )
    rows = practice.rows
    found = hashlib.blake2b(b"reviews" + digest(shown), digest_size=16)
    found.update(reviewed[playbook.lesson_reviews[rows]].tobytes())
    found.update(playbook.lesson_numbers[rows].tobytes())
    return found.hexdigest()


def playbook_markdown(
    playbook: Playbook,
    language: str,
    today: date,
    review_link: Callable[[str], str] | None = None,
    *,
    kept: PracticeStore | None = None,
    html: bool = False,
) -> str:
    """The playbook as one Markdown document; with `review_link` (a review's id to its link), sources link to
    review pages (the site). `kept`: the practices' blocks kept between runs, used again where nothing of a
    practice changed. `html` (the site's page) says in HTML what Markdown cannot: each date kept whole on a
    line (a phone broke 2026-11-|30), and a practice's number as its item's only marker, not after a bullet."""
    templates = environment("templates")
    dated: Callable[[date | None], str] = day if html else iso

    def reached(reviews: int, teams: int, last_seen: date, text: dict[str, str]) -> Markup:
        # its words are the catalogue's, written as they are; only its date is markup
        return Markup(reach(reviews, teams, last_seen, text, day=dated))

    template, practice_template = (
        templates.get_template("playbook.md.j2"),
        templates.get_template("playbook_practice.md.j2"),
    )
    text = catalogue(language).labels
    # The lines a practice repeats per lesson and per review, escaped here once per value: at 10,000 reviews
    # they are most of the document, and a team or a title is named by many practices.
    inert = cache(md)
    reviewed = None
    if kept is not None and playbook.tracked is not None:
        from retrogen.engine.playbook_cache import review_digests  # the stores' module reads this one

        reviewed = review_digests(playbook.reviews, playbook.tracked)
    said = {True: escape(text["do"]), False: escape(text["avoid"])}

    def also(practice: Practice) -> list[Markup]:
        # The template's lines ("    - " and each) made here as one: a loop of Jinja's per lesson was a third
        # of the render
        lessons = practice.also
        if not lessons:
            return []
        lines = [f"{said[s.lesson.type == 'success']}: {inert(s.lesson.lesson)}" for s in lessons]
        return [Markup("\n    - ".join(lines))]

    def applies_to(practice: Practice) -> Markup:
        return Markup("; ".join(inert(where) for where in practice.applies_to))

    def sources(practice: Practice) -> Markup:
        def named(review: Review) -> str:
            title = inert(review.title)
            return f"[{title}]({escape(review_link(review.id))})" if review_link else title

        return Markup("; ".join([f"{named(r)} · {inert(r.team)} · {dated(r.held_on)}" for r in practice.reviews]))

    def block(practice: Practice, theme: str) -> Markup:
        def render(number: str) -> str:
            return practice_template.render(
                practice=practice,
                number=number,
                themed=bool(theme),
                text=text,
                reach=reached,
                day=dated,
                html=html,
                also=also,
                applies_to=applies_to,
                sources=sources,
            )

        if kept is None:
            return Markup(render(str(practice.number)))
        # the block as rendered before: its text escaped then
        if reviewed is None or practice.rows is None:
            key = practice_key(practice, language, review_link, themed=bool(theme), html=html)
        else:
            key = practice_key_by_reviews(
                practice, playbook, reviewed, language, review_link, themed=bool(theme), html=html
            )
        # Kept without its number: a practice started before it renumbers every practice after, whose blocks
        # are otherwise as they were. The number is the block's first field, so the first NUMBER_PLACE is it.
        kept_block = kept.block(key, lambda: render(NUMBER_PLACE))
        return Markup(kept_block.replace(NUMBER_PLACE, str(practice.number), 1))

    with collector_paused():  # 90,000 escaped texts and Jinja's loops over them: no garbage, 0.1 s of passes
        return template.render(playbook=playbook, text=text, today=today, reach=reached, day=dated, block=block)
