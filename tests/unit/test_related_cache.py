"""The related index's terms and the playbook's lesson words kept between runs (engine/related_cache.py): the
same answers with and without them, a review re-read only when its words change, everything re-read when the
glossary changes, and a damaged file rebuilt with a notice, never read into an answer."""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from retrogen.engine import related_cache
from retrogen.engine.analysis import analyse, analysis_of
from retrogen.engine.model import Review, load_knowledge_base
from retrogen.engine.playbook import playbook_markdown
from retrogen.engine.playbook_cache import MERGE_NAME
from retrogen.engine.related import Match, RelatedIndex, ReviewTerms, TermTable, review_terms
from retrogen.engine.related_cache import DELTA_NAME, STORE_NAME, WORDS_DELTA_NAME, WORDS_NAME, TermStore, WordStore
from retrogen.gate.check import read_knowledge_base
from retrogen.gate.config import load_config
from retrogen.gate.glossary import Glossary
from retrogen.gate.index import lasting_folder
from retrogen.site.build import generate
from retrogen.site.pages import build_pages

from ..conftest import TODAY

LABELLED = Path(__file__).resolve().parent.parent / "related"
ROOT = Path(__file__).resolve().parents[2]
TEXTS = ["customer churn after competitor price cut", "折扣", "决策链 报价", "economic buyer"]


@cache
def labelled() -> tuple[tuple[Review, ...], Glossary]:
    config = load_config(LABELLED / "mkdocs.yml")
    knowledge_base = load_knowledge_base(read_knowledge_base(config, TODAY, jobs=1), config, TODAY)
    return tuple(knowledge_base.reviews), config.glossary


def answers(index: RelatedIndex, reviews: Sequence[Review]) -> list[list[Match]]:
    """Every review's related items and a few free texts', scores included."""
    by_review = [index.like_review(review.id, limit=8) for review in reviews]
    return by_review + [index.like_text(text, limit=8) for text in TEXTS]


class Counting:
    """review_terms, counting the reviews it segments."""

    def __init__(self) -> None:
        self.segmented: list[str] = []

    def __call__(self, review: Review, glossary: Glossary) -> ReviewTerms:
        self.segmented.append(review.id)
        return review_terms(review, glossary)


@pytest.fixture
def counting(monkeypatch: pytest.MonkeyPatch) -> Counting:
    counter = Counting()
    monkeypatch.setattr(related_cache, "review_terms", counter)
    return counter


def stored(folder: Path, reviews: Sequence[Review], glossary: Glossary) -> RelatedIndex:
    store = TermStore.open(folder)
    assert store is not None
    return RelatedIndex(reviews, glossary, store)


def test_the_same_answers_cold_warm_and_without_the_store(tmp_path: Path, counting: Counting) -> None:
    reviews, glossary = labelled()
    expected = answers(RelatedIndex(reviews, glossary), reviews)
    cold = stored(tmp_path, reviews, glossary)
    assert len(counting.segmented) == len(reviews) and not cold.notices
    warm = stored(tmp_path, reviews, glossary)
    assert len(counting.segmented) == len(reviews), "a warm index segments nothing"
    assert answers(cold, reviews) == answers(warm, reviews) == expected


def test_an_edited_lesson_is_read_again_and_changes_its_scores(tmp_path: Path, counting: Counting) -> None:
    reviews, glossary = labelled()
    stored(tmp_path, reviews, glossary)
    target = reviews[3]
    lesson = dataclasses.replace(target.lessons[0], lesson="Never discount before the economic buyer agrees")
    edited = [*reviews[:3], dataclasses.replace(target, lessons=(lesson, *target.lessons[1:])), *reviews[4:]]
    counting.segmented.clear()
    index = stored(tmp_path, edited, glossary)
    assert counting.segmented == [target.id]
    assert answers(index, edited) == answers(RelatedIndex(edited, glossary), edited)
    assert answers(index, edited) != answers(RelatedIndex(reviews, glossary), reviews)
    # the edit is kept: the next run reads nothing again
    counting.segmented.clear()
    stored(tmp_path, edited, glossary)
    assert counting.segmented == []


def stored_with_a_wider_glossary(
    folder: Path, reviews: Sequence[Review], glossary: Glossary, counting: Counting
) -> tuple[RelatedIndex, Glossary]:
    """The index kept in `folder` read with `glossary` and one entry more: every review is segmented again, and
    it answers as an index made afresh with that glossary."""
    wider = Glossary({**glossary.entries, "审批": ("approval", "approvals", "sign-off")})
    counting.segmented.clear()
    index = stored(folder, reviews, wider)
    assert sorted(counting.segmented) == sorted(review.id for review in reviews)
    assert answers(index, reviews) == answers(RelatedIndex(reviews, wider), reviews)
    return index, wider


def test_another_glossary_reads_every_review_again(tmp_path: Path, counting: Counting) -> None:
    reviews, glossary = labelled()
    stored(tmp_path, reviews, glossary)
    index, wider = stored_with_a_wider_glossary(tmp_path, reviews, glossary, counting)
    assert answers(index, reviews) != answers(RelatedIndex(reviews, glossary), reviews)
    # an equal glossary of another configuration reading is the same key
    counting.segmented.clear()
    stored(tmp_path, reviews, Glossary(dict(wider.entries)))
    assert counting.segmented == []


def _rewrite(folder: Path, change: Callable[[dict[str, Any], dict[str, Any]], None], name: str = STORE_NAME) -> None:
    """The kept file with `change` made to its arrays and its JSON part."""
    with np.load(folder / name) as kept:
        arrays = {name: kept[name] for name in kept.files}
    meta = json.loads(arrays["meta"].tobytes())
    change(arrays, meta)
    arrays["meta"] = np.frombuffer(json.dumps(meta).encode(), dtype=np.uint8)
    np.savez(folder / name, **arrays)


def _heads(arrays: dict[str, Any]) -> list[str]:
    text, ends = arrays["heads"].tobytes().decode("utf-8"), arrays["head_ends"].tolist()
    return [text[start:end] for start, end in zip([0, *ends], ends, strict=False)]


def _set_heads(arrays: dict[str, Any], heads: list[str]) -> None:
    arrays["heads"] = np.frombuffer("".join(heads).encode("utf-8"), dtype=np.uint8)
    arrays["head_ends"] = np.cumsum([len(head) for head in heads], dtype=np.int64)


def _swap_two_terms(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    meta["vocabulary"][:2] = meta["vocabulary"][1::-1]


def _unsorted_row(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    start, end = arrays["indptr"][:2]
    arrays["indices"][start:end] = arrays["indices"][start:end][::-1].copy()


def _unused_term(arrays: dict[str, Any], meta: dict[str, Any]) -> None:
    meta["vocabulary"].append("\uffffunused")  # sorts last: only its being in no row is wrong


DAMAGES: dict[str, tuple[Callable[[Path], object], str]] = {
    "garbage": (lambda folder: (folder / STORE_NAME).write_bytes(b"not a file of arrays" * 100), "unreadable"),
    "truncated": (
        lambda folder: (folder / STORE_NAME).write_bytes((folder / STORE_NAME).read_bytes()[:3000]),
        "unreadable",
    ),
    "another-format": (lambda folder: _rewrite(folder, lambda a, m: m.update(format=0)), "another version"),
    "terms-out-of-order": (lambda folder: _rewrite(folder, _swap_two_terms), "not what this retrogen writes"),
    "row-out-of-order": (lambda folder: _rewrite(folder, _unsorted_row), "not what this retrogen writes"),
    "unused-term": (lambda folder: _rewrite(folder, _unused_term), "not what this retrogen writes"),
    "zero-count": (lambda folder: _rewrite(folder, lambda a, m: a["data"].__setitem__(0, 0)), "not what"),
    "rows-of-another": (lambda folder: _rewrite(folder, lambda a, m: a["rows"].__setitem__(0, 99)), "not what"),
    "float-counts": (lambda folder: _rewrite(folder, lambda a, m: a.update(data=a["data"] * 1.0)), "not what"),
    "pickled-object": (
        lambda folder: _rewrite(folder, lambda a, m: a.update(rows=np.array([object()] * len(a["rows"])))),
        "not what this retrogen writes",
    ),
}


@pytest.mark.parametrize("damage", list(DAMAGES))
def test_a_damaged_store_is_rebuilt_with_a_notice_and_never_answers_wrong(tmp_path: Path, damage: str) -> None:
    reviews, glossary = labelled()
    expected = answers(RelatedIndex(reviews, glossary), reviews)
    stored(tmp_path, reviews, glossary)
    make, notice = DAMAGES[damage]
    make(tmp_path)
    index = stored(tmp_path, reviews, glossary)
    assert any(notice in line for line in index.notices), index.notices
    assert answers(index, reviews) == expected
    again = stored(tmp_path, reviews, glossary)  # rebuilt: the next run reads it quietly
    assert not again.notices and answers(again, reviews) == expected


def test_a_head_that_is_not_counts_is_read_from_the_review(tmp_path: Path) -> None:
    """Heads are checked when a query reads them (checking 10,000 at every start would cost more than
    they save): one that is not counts is made again from the review, and the answer stays right."""
    reviews, glossary = labelled()
    expected = answers(RelatedIndex(reviews, glossary), reviews)
    stored(tmp_path, reviews, glossary)
    _rewrite(tmp_path, lambda a, m: _set_heads(a, ["[1]", '{"x": "1"}', "{", *_heads(a)[3:]]))
    assert answers(stored(tmp_path, reviews, glossary), reviews) == expected


def test_no_store_where_nothing_may_be_kept(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RETROGEN_NO_CACHE", "1")
    assert lasting_folder(tmp_path) is None and TermStore.open(lasting_folder(tmp_path)) is None
    monkeypatch.delenv("RETROGEN_NO_CACHE")
    folder = lasting_folder(tmp_path)
    assert folder == tmp_path / ".retrogen"
    assert folder is not None and TermStore.open(folder) is not None
    (folder / STORE_NAME).write_bytes(b"")
    # a read-only checkout (faked: the tests may run as root, who may write anything) is read without it
    monkeypatch.setattr(os, "access", lambda path, mode: Path(path) != folder / STORE_NAME)
    assert TermStore.open(folder) is None


def test_a_warm_english_query_never_loads_jiebas_dictionary(tmp_path: Path) -> None:
    reviews, glossary = labelled()
    stored(tmp_path, reviews, glossary)
    script = f"""
import sys
from pathlib import Path
from retrogen.engine.model import load_knowledge_base
from retrogen.engine.related import RelatedIndex
from retrogen.engine.related_cache import TermStore
from retrogen.engine.text import _segmenter
from retrogen.gate.check import read_knowledge_base
from retrogen.gate.config import load_config
from tests.conftest import TODAY
config = load_config(Path({str(LABELLED / "mkdocs.yml")!r}))
reviews = load_knowledge_base(read_knowledge_base(config, TODAY, jobs=1), config, TODAY).reviews
index = RelatedIndex(reviews, config.glossary, TermStore.open(Path({str(tmp_path)!r})))
assert index.like_text("economic buyer") and index.like_review(reviews[0].id)
print(_segmenter.cache_info().currsize, "jieba" in sys.modules)
"""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split() == ["0", "False"]


@settings(max_examples=25, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_patched_table_is_the_table_made_afresh(tmp_path_factory: pytest.TempPathFactory, data: Any) -> None:
    """Reviews dropped, reordered, edited and added after a run: the kept table, patched, is array for array
    the one made from the texts (and so scores alike to the last bit)."""
    reviews, glossary = labelled()
    folder = tmp_path_factory.mktemp("kept")
    before = data.draw(st.permutations(reviews))[: data.draw(st.integers(1, len(reviews)))]
    stored(folder, before, glossary)
    after = list(data.draw(st.permutations(reviews)))[: data.draw(st.integers(1, len(reviews)))]
    for position in data.draw(st.lists(st.integers(0, len(after) - 1), max_size=3)):
        review = after[position]
        words = data.draw(st.sampled_from(["churn after a price cut", "新客户 续约", "决策链", ""]))
        lesson = dataclasses.replace(review.lessons[0], lesson=f"{review.lessons[0].lesson} {words}")
        after[position] = dataclasses.replace(review, id=f"{review.id}-{position}", lessons=(lesson,))
    store = TermStore.open(folder)
    assert store is not None
    patched = store.table(after, glossary)
    afresh = TermTable.of([review_terms(review, glossary) for review in after])
    assert patched.vocabulary == afresh.vocabulary and patched.heads == afresh.heads
    for name in ("data", "indices", "indptr"):
        assert getattr(patched.counts, name).tolist() == getattr(afresh.counts, name).tolist()


def test_a_table_is_made_from_reviews_given_one_at_a_time() -> None:
    """A first run gives each review's terms as it segments it, and lets them go once counted in (held at
    once, ten thousand were some 150 MB): the table is the one made from all of them held in a list."""
    reviews, glossary = labelled()
    held = TermTable.of([review_terms(review, glossary) for review in reviews])
    one_at_a_time = TermTable.of(review_terms(review, glossary) for review in reviews)
    assert one_at_a_time.vocabulary == held.vocabulary == sorted(set(held.vocabulary))
    assert one_at_a_time.heads == held.heads and len(held.heads) == len(reviews)
    for name in ("data", "indices", "indptr"):
        assert getattr(one_at_a_time.counts, name).tolist() == getattr(held.counts, name).tolist()
    assert held.counts.data.dtype == np.int32 and held.counts.indices.dtype == np.int32
    # each row is its review's own counts, its terms in the sorted vocabulary's columns, in column order
    rows: list[dict[str, int]] = []
    for review in reviews:
        terms = review_terms(review, glossary)
        rows += [terms.context, *terms.items]
    counts, vocabulary = one_at_a_time.counts, one_at_a_time.vocabulary
    assert len(rows) == len(counts.indptr) - 1 and any(len(row) > 1 for row in rows)
    for number, row in enumerate(rows):
        start, end = counts.indptr[number], counts.indptr[number + 1]
        columns = counts.indices[start:end].tolist()
        assert columns == sorted(columns)
        assert {vocabulary[c]: n for c, n in zip(columns, counts.data[start:end].tolist(), strict=True)} == row
    assert len(TermTable.of(iter([])).vocabulary) == 0


def playbook_kept_in(folder: Path | None, glossary: Glossary | None = None) -> tuple[str, list[str]]:
    """The labelled knowledge base's playbook, its lessons' words kept in `folder`, and the notices."""
    config = load_config(LABELLED / "mkdocs.yml")
    knowledge_base = load_knowledge_base(read_knowledge_base(config, TODAY, jobs=1), config, TODAY)
    analysis = analysis_of(knowledge_base, config, use_git=False, cache=False)
    analysis = dataclasses.replace(analysis, lasting_folder=folder, glossary=glossary or analysis.glossary)
    return playbook_markdown(analysis.playbook, "en", TODAY), analysis.cache_notices


def test_the_playbook_keeps_its_lessons_words_and_reads_alike(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    expected, _ = playbook_kept_in(None)
    assert playbook_kept_in(tmp_path) == (expected, [])  # cold: the words found and kept
    kept = json.loads((tmp_path / WORDS_NAME).read_text(encoding="utf-8"))
    assert len(kept["words"]) == sum(len(r.lessons) for r in labelled()[0])
    found: list[str] = []
    monkeypatch.setattr(related_cache, "text_words", lambda text, glossary: found.append(text) or [])
    assert playbook_kept_in(tmp_path) == (expected, [])  # warm: no lesson read again
    assert found == []
    monkeypatch.undo()
    # another glossary (here none): every lesson read again, as without the file
    plain, _ = playbook_kept_in(None, Glossary({}))
    assert plain != expected and playbook_kept_in(tmp_path, Glossary({})) == (plain, [])
    (tmp_path / WORDS_NAME).write_text('{"format": 1, "key": "x", "words": {"a": [1]}}', encoding="utf-8")
    markdown, notices = playbook_kept_in(tmp_path)
    assert markdown == expected and notices and "not what this retrogen writes" in notices[0]
    (tmp_path / WORDS_NAME).write_bytes(b"\xff{")
    # the words are read (and a damaged file said) when the lessons are merged, not while their merge is kept
    assert playbook_kept_in(tmp_path) == (expected, [])
    (tmp_path / MERGE_NAME).unlink()
    markdown, notices = playbook_kept_in(tmp_path)
    assert markdown == expected and notices and "unreadable" in notices[0]
    assert playbook_kept_in(tmp_path) == (expected, [])


def test_new_lesson_words_go_to_a_delta_folded_in_when_it_grows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    glossary = Glossary({"churn": ("attrition",)})
    found: list[str] = []
    monkeypatch.setattr(
        related_cache,
        "text_words",
        lambda text, glossary: found.append(text) or [*text.split(), str(len(glossary.entries))],
    )

    def words(texts: list[str], glossary: Glossary = glossary) -> dict[str, list[str]]:
        store = WordStore.open(tmp_path)
        assert store is not None
        answer = store.words(texts, glossary)
        assert store.notices == []
        return answer

    texts = [f"lesson {n} churn" for n in range(200)]
    expected = {text: [*text.split(), "1"] for text in texts}
    assert words(texts) == expected and len(found) == 200  # cold: the base written
    base = (tmp_path / WORDS_NAME).read_bytes()
    assert not (tmp_path / WORDS_DELTA_NAME).exists()
    found.clear()
    edited = [*texts[:-1], "a lesson reworded"]
    assert words(edited) == {text: [*text.split(), "1"] for text in edited} and found == ["a lesson reworded"]
    # the new text in the delta, the base left as it was
    assert (tmp_path / WORDS_NAME).read_bytes() == base
    delta = json.loads((tmp_path / WORDS_DELTA_NAME).read_text(encoding="utf-8"))
    assert delta["words"] == {"a lesson reworded": ["a", "lesson", "reworded", "1"]}
    found.clear()
    assert words(edited)["a lesson reworded"] == ["a", "lesson", "reworded", "1"] and found == []  # warm
    # another glossary: neither file's words are used, a delta of the other beside its base neither
    kept_delta = (tmp_path / WORDS_DELTA_NAME).read_bytes()
    assert words(texts[:-1], Glossary({})) == {text: [*text.split(), "0"] for text in texts[:-1]}
    (tmp_path / WORDS_DELTA_NAME).write_bytes(kept_delta)
    assert words(edited, Glossary({}))["a lesson reworded"] == ["a", "lesson", "reworded", "0"]
    assert len(found) == 200
    found.clear()
    assert words(edited)["a lesson reworded"] == ["a", "lesson", "reworded", "1"] and len(found) == 200
    # many new texts: folded into the base, the delta gone
    found.clear()
    many = [f"another lesson {n}" for n in range(100)] + texts[:100]
    assert words(many) == {text: [*text.split(), "1"] for text in many} and len(found) == 100
    assert not (tmp_path / WORDS_DELTA_NAME).exists()
    assert set(json.loads((tmp_path / WORDS_NAME).read_text(encoding="utf-8"))["words"]) == set(many)
    # a damaged delta: said, and the texts it held found again
    words([*many, "one more"])
    (tmp_path / WORDS_DELTA_NAME).write_text('{"format": 1, "key": "x", "words": {"a": [1]}}', encoding="utf-8")
    store = WordStore.open(tmp_path)
    assert store is not None and store.words([*many, "one more"], glossary)["one more"] == ["one", "more", "1"]
    assert store.notices and "not what this retrogen writes" in store.notices[0]
    found.clear()
    assert words([*many, "one more"])["one more"] == ["one", "more", "1"] and found == []  # rewritten


def test_the_site_says_when_the_related_index_was_rebuilt_and_builds_the_same_pages(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shutil.copytree(LABELLED / "reviews", tmp_path / "reviews")
    shutil.copy(LABELLED / "mkdocs.yml", tmp_path / "mkdocs.yml")
    config = load_config(tmp_path / "mkdocs.yml")
    without = build_pages(analyse(config, TODAY, use_git=False, cache=False), config)
    monkeypatch.delenv("RETROGEN_NO_CACHE")
    first = generate(config, TODAY, use_git=False)
    assert (tmp_path / ".retrogen" / STORE_NAME).exists() and not first.notices
    (tmp_path / ".retrogen" / STORE_NAME).write_bytes(b"PK\x03\x04 torn")
    again = generate(config, TODAY, use_git=False)
    assert [notice for notice in again.notices if STORE_NAME in notice and "rebuilding it" in notice]
    written = {page: (config.generated_dir / page).read_text(encoding="utf-8") for page in without}
    assert written == without


def test_two_runs_at_once_leave_a_table_that_reads_cleanly(tmp_path: Path) -> None:
    """Each run replaces the file in one step: whichever finishes last, the next run finds a whole table."""
    reviews, glossary = labelled()
    script = f"""
from pathlib import Path
from retrogen.engine.model import load_knowledge_base
from retrogen.engine.related import RelatedIndex
from retrogen.engine.related_cache import TermStore
from retrogen.gate.check import read_knowledge_base
from retrogen.gate.config import load_config
from tests.conftest import TODAY
config = load_config(Path({str(LABELLED / "mkdocs.yml")!r}))
reviews = load_knowledge_base(read_knowledge_base(config, TODAY, jobs=1), config, TODAY).reviews
for _ in range(3):
    index = RelatedIndex(reviews, config.glossary, TermStore.open(Path({str(tmp_path)!r})))
    assert not index.notices, index.notices
"""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    runs = [
        subprocess.Popen([sys.executable, "-c", script], env=environment, cwd=ROOT, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    errors = [run.communicate()[1] for run in runs]
    assert [run.returncode for run in runs] == [0, 0], errors
    index = stored(tmp_path, reviews, glossary)
    assert not index.notices and answers(index, reviews) == answers(RelatedIndex(reviews, glossary), reviews)


def _reworded(review: Review, words: str) -> Review:
    lesson = dataclasses.replace(review.lessons[0], lesson=f"{review.lessons[0].lesson} {words}")
    return dataclasses.replace(review, lessons=(lesson, *review.lessons[1:]))


def _kept_keys(path: Path) -> int:
    with np.load(path) as arrays:
        return len(arrays["keys"])


def test_an_edit_is_kept_in_the_delta_and_the_table_is_not_written_again(tmp_path: Path, counting: Counting) -> None:
    reviews, glossary = labelled()
    stored(tmp_path, reviews, glossary)
    base = (tmp_path / STORE_NAME).read_bytes()
    assert not (tmp_path / DELTA_NAME).exists()
    edited = [*reviews[:2], _reworded(reviews[2], "renewal 续约"), *reviews[3:]]
    counting.segmented.clear()
    index = stored(tmp_path, edited, glossary)
    assert counting.segmented == [reviews[2].id] and not index.notices
    assert (tmp_path / STORE_NAME).read_bytes() == base and _kept_keys(tmp_path / DELTA_NAME) == 1
    assert answers(index, edited) == answers(RelatedIndex(edited, glossary), edited)
    # a run with nothing new reads both and writes neither
    delta = (tmp_path / DELTA_NAME).read_bytes()
    counting.segmented.clear()
    again = stored(tmp_path, edited, glossary)
    assert counting.segmented == [] and answers(again, edited) == answers(index, edited)
    assert (tmp_path / STORE_NAME).read_bytes() == base and (tmp_path / DELTA_NAME).read_bytes() == delta
    # another review edited: the delta holds both; the first edited again: the delta holds its new words only
    twice = [*edited[:5], _reworded(edited[5], "pricing"), *edited[6:]]
    stored(tmp_path, twice, glossary)
    assert _kept_keys(tmp_path / DELTA_NAME) == 2
    thrice = [*twice[:2], _reworded(twice[2], "again"), *twice[3:]]
    counting.segmented.clear()
    index = stored(tmp_path, thrice, glossary)
    assert counting.segmented == [reviews[2].id] and _kept_keys(tmp_path / DELTA_NAME) == 2
    assert answers(index, thrice) == answers(RelatedIndex(thrice, glossary), thrice)


def test_a_deleted_and_a_renamed_review_after_an_edit(tmp_path: Path, counting: Counting) -> None:
    reviews, glossary = labelled()
    stored(tmp_path, reviews, glossary)
    edited = [*reviews[:2], _reworded(reviews[2], "renewal 续约"), *reviews[3:]]
    stored(tmp_path, edited, glossary)
    # deleted: the edited review and another; renamed: same words under another id (its rows are its words')
    after = [*edited[:2], *edited[4:7], dataclasses.replace(edited[7], id="renamed-review"), *edited[8:]]
    counting.segmented.clear()
    index = stored(tmp_path, after, glossary)
    assert counting.segmented == []
    assert answers(index, after) == answers(RelatedIndex(after, glossary), after)
    assert index.like_review("renamed-review", limit=8) == RelatedIndex(after, glossary).like_review(
        "renamed-review", 8
    )


def test_the_delta_is_folded_into_a_new_table_when_it_grows(
    tmp_path: Path, counting: Counting, monkeypatch: pytest.MonkeyPatch
) -> None:
    reviews, glossary = labelled()
    monkeypatch.setattr(related_cache, "DELTA_MIN", 4)  # the delta's reviews and the table's no review is now
    monkeypatch.setattr(related_cache, "DELTA_SHARE", 0.0)
    stored(tmp_path, reviews, glossary)
    edited = list(reviews)
    for position in (1, 4):
        edited[position] = _reworded(edited[position], "churn")
        stored(tmp_path, edited, glossary)
    assert _kept_keys(tmp_path / DELTA_NAME) == 2 and _kept_keys(tmp_path / STORE_NAME) == len(reviews)
    edited[6] = _reworded(edited[6], "churn")  # a third: 3 in the delta, 3 of the table's stale
    index = stored(tmp_path, edited, glossary)
    assert not (tmp_path / DELTA_NAME).exists() and _kept_keys(tmp_path / STORE_NAME) == len(reviews)
    counting.segmented.clear()
    again = stored(tmp_path, edited, glossary)
    assert counting.segmented == [] and not again.notices
    assert answers(index, edited) == answers(again, edited) == answers(RelatedIndex(edited, glossary), edited)


@pytest.mark.parametrize(
    "damage", ["garbage", "truncated", "another-format", "unsorted-row", "keys-of-another-shape", "rows-of-another"]
)
def test_a_damaged_delta_is_rebuilt_with_a_notice_and_never_answers_wrong(
    tmp_path: Path, counting: Counting, damage: str
) -> None:
    reviews, glossary = labelled()
    edited = [*reviews[:2], _reworded(reviews[2], "renewal 续约"), *reviews[3:]]
    expected = answers(RelatedIndex(edited, glossary), edited)
    stored(tmp_path, reviews, glossary)
    stored(tmp_path, edited, glossary)
    delta = tmp_path / DELTA_NAME
    if damage in ("garbage", "truncated"):
        delta.write_bytes(b"not a file of arrays" * 100 if damage == "garbage" else delta.read_bytes()[:900])
    else:
        changes: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {
            "another-format": lambda a, m: m.update(format=1),
            "unsorted-row": _unsorted_row,
            "keys-of-another-shape": lambda a, m: a.update(keys=a["keys"][:, :8].copy()),
            "rows-of-another": lambda a, m: a["rows"].__setitem__(0, 99),
        }
        _rewrite(tmp_path, changes[damage], DELTA_NAME)
    counting.segmented.clear()
    index = stored(tmp_path, edited, glossary)
    assert [line for line in index.notices if DELTA_NAME in line and "rebuilding it" in line], index.notices
    assert counting.segmented == [reviews[2].id]  # the delta's review read again, the table's kept
    assert answers(index, edited) == expected
    counting.segmented.clear()
    again = stored(tmp_path, edited, glossary)  # rebuilt: the next run reads it quietly
    assert not again.notices and counting.segmented == [] and answers(again, edited) == expected


def test_another_glossary_after_an_edit_reads_every_review_again(tmp_path: Path, counting: Counting) -> None:
    reviews, glossary = labelled()
    stored(tmp_path, reviews, glossary)
    edited = [*reviews[:2], _reworded(reviews[2], "sign-off"), *reviews[3:]]
    stored(tmp_path, edited, glossary)
    stored_with_a_wider_glossary(tmp_path, edited, glossary, counting)
    assert not (tmp_path / DELTA_NAME).exists()


def test_a_review_keys_alike_however_its_strings_are_shared() -> None:
    """A review read back from the snapshot shares strings a review read afresh holds twice: the same key
    (pickled with the memo, the first would be a back-reference and the key another: every review a miss)."""
    reviews, _ = labelled()
    review = reviews[0]
    shared = dataclasses.replace(review, team=review.title)
    apart = dataclasses.replace(review, team="".join(list(review.title)))
    assert shared.team is not apart.team and shared.team == apart.team
    assert related_cache.review_keys([shared]) == related_cache.review_keys([apart])
    assert related_cache.review_keys([shared]) != related_cache.review_keys([review])


def test_no_review_left_and_none_at_all(tmp_path: Path) -> None:
    reviews, glossary = labelled()
    stored(tmp_path, reviews, glossary)
    for folder in (tmp_path, tmp_path / "empty"):  # every review deleted since the last run; none ever
        folder.mkdir(exist_ok=True)
        index = stored(folder, [], glossary)
        assert len(index) == 0 and index.like_text("economic buyer") == [] and not index.notices
        assert stored(folder, reviews[:2], glossary).like_text("churn") == RelatedIndex(
            reviews[:2], glossary
        ).like_text("churn")
