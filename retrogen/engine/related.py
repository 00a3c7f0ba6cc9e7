"""Have we seen this before? The problems and lessons of other reviews most like a review, or like free text.

Every problem (P1…) and lesson (L1…) of every review is one document, read with its review's title, team and
tags as context; terms come from `retrogen.engine.text.terms` (jieba for Chinese), tags count TAG_WEIGHT times, and
documents are ranked by TF-IDF cosine similarity: scores lie between 0 and 1 whatever the query's length, so
one threshold (RELATED_THRESHOLD) means the same for a whole review and for two words.
"""

from __future__ import annotations

import itertools
import json
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from operator import attrgetter
from typing import TYPE_CHECKING, Any

import numpy as np

from retrogen.core.bulk import collector_paused
from retrogen.core.errors import RetrogenError
from retrogen.engine.model import Review
from retrogen.engine.text import terms_and_concepts
from retrogen.gate.glossary import SEED, Glossary
from retrogen.gate.hints import did_you_mean

if TYPE_CHECKING:
    from retrogen.engine.related_cache import TermStore

# A tag is a person's own summary of what an item is about: it says more than any one word of the text.
TAG_WEIGHT = 3
# How much of an item's score its own words give; the rest comes from its review's title, team and tags.
OWN_WEIGHT = 0.75
# Below this cosine an item shares little more than common words or a team with the query (measured on the
# labelled set in tests/related: each review's best match scores 0.29 and above, nine in ten unrelated items
# below 0.07; at 0.15 its review pages show 70 items, 65 of them from related reviews).
RELATED_THRESHOLD = 0.15


class UnknownReview(RetrogenError):
    """A review id that no review of the knowledge base has."""


@dataclass(frozen=True)
class Match:
    """One related problem or lesson: its review, its id (P1, L2), problem or lesson, its text, and how
    similar it is to the query (cosine, 0 to 1)."""

    review: str
    item: str
    kind: str
    text: str
    score: float


def _context(review: Review, glossary: Glossary) -> list[str]:
    return terms_and_concepts(f"{review.title} {review.team}", glossary) + _tag_terms(review.tags, glossary)


def _tag_terms(tags: Iterable[str], glossary: Glossary) -> list[str]:
    """A tag as a term of its own (决策链 stays whole) plus its words and glossary terms, each TAG_WEIGHT times:
    a tag churn meets a tag 客户流失 in `≈客户流失`."""
    return [term for tag in tags for term in _one_tag(tag, glossary)]


@lru_cache(maxsize=1 << 12)  # bounded: `serve` reads a new glossary on each reload
def _one_tag(tag: str, glossary: Glossary) -> tuple[str, ...]:  # few tags, used on thousands of items
    return (f"#{tag.casefold()}", *terms_and_concepts(tag, glossary)) * TAG_WEIGHT


def _item(review: Review, offset: int) -> Match:
    """The problem or lesson at `offset` of the review's problems and then lessons, scored 0."""
    if offset < len(review.problems):
        problem = review.problems[offset]
        return Match(review.id, problem.id, "problem", problem.problem, 0.0)
    lesson = review.lessons[offset - len(review.problems)]
    return Match(review.id, lesson.id, "lesson", lesson.lesson, 0.0)


# A text's terms and how often it says each.
Counts = dict[str, int]


@dataclass(frozen=True)
class ReviewTerms:
    """A review as the index reads it, segmented (the costly part): the terms of its context (title, team,
    tags), of its title and tags as a query, and of each problem and lesson, problems first (its own words,
    and a lesson's tags)."""

    context: Counts
    head: Counts
    items: tuple[Counts, ...]


# What review_terms reads of a problem and of a lesson (each field's value in a tuple)
_PROBLEM_FIELDS = attrgetter("problem", "root_cause", "suspected", "whys")
_LESSON_FIELDS = attrgetter("lesson", "applies_to", "tags")


def indexed_fields(review: Review) -> tuple[Any, ...]:
    """Every word of `review` that review_terms reads: what its terms are kept on disk by."""
    problems = tuple(map(_PROBLEM_FIELDS, review.problems))
    return (review.title, review.team, review.tags, problems, tuple(map(_LESSON_FIELDS, review.lessons)))


def review_terms(review: Review, glossary: Glossary) -> ReviewTerms:
    """What the index reads of `review`: jieba and the glossary at work."""
    problems = [
        terms_and_concepts(" ".join([p.problem, p.root_cause, *p.suspected, *p.whys]), glossary)
        for p in review.problems
    ]
    lessons = [
        terms_and_concepts(f"{lesson.lesson} {lesson.applies_to}", glossary) + _tag_terms(lesson.tags, glossary)
        for lesson in review.lessons
    ]
    # Not its team in the query: a churn review of another region is what a reader wants first, not the same
    # team's review of another topic.
    head = terms_and_concepts(review.title, glossary) + _tag_terms(review.tags, glossary)
    return ReviewTerms(
        dict(Counter(_context(review, glossary))),
        dict(Counter(head)),
        tuple(dict(Counter(w)) for w in problems + lessons),
    )


class Heads:
    """Reviews' titles and tags as queries (JSON counts, see ReviewTerms.head), kept as one text and where each
    starts and ends in it: a kept table's ten thousand are read in one piece, and each made a string only when
    a query asks for it."""

    def __init__(self, text: str, starts: Any, ends: Any) -> None:
        self.text = text
        self.starts = starts  # numpy int64, per review
        self.ends = ends

    @classmethod
    def of(cls, heads: Sequence[str]) -> Heads:
        ends = np.cumsum([len(head) for head in heads], dtype=np.int64)
        return cls("".join(heads), ends - [len(head) for head in heads], ends)

    def __len__(self) -> int:
        return len(self.ends)

    def __getitem__(self, index: int) -> str:
        return self.text[int(self.starts[index]) : int(self.ends[index])]

    def __iter__(self) -> Iterator[str]:
        return (self[index] for index in range(len(self)))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Heads) and list(self) == list(other)

    __hash__ = None  # type: ignore[assignment]  # compared by value, and mutable arrays inside


@dataclass(frozen=True)
class Rows:
    """Rows of a sparse matrix as scipy's csr_matrix keeps them: row r's entries are data[indptr[r]:indptr[r+1]]
    in the columns indices[…] of `columns`. numpy alone: importing scipy.sparse (and the numpy.testing and
    f2py it brings in) was a twentieth of a warm `related`, which asks one query (see _Products)."""

    data: Any  # numpy, per entry
    indices: Any  # numpy int32, per entry: its column
    indptr: Any  # numpy int64, per row and one more: where its entries start
    columns: int

    @classmethod
    def of(cls, data: Any, indices: Any, lengths: Any, columns: int) -> Rows:
        """Rows of `lengths` entries each, their entries put in column order (as csr_matrix.sort_indices)."""
        indptr = np.zeros(len(lengths) + 1, dtype=np.int64)
        np.cumsum(lengths, out=indptr[1:])
        order = np.lexsort((indices, np.repeat(np.arange(len(lengths)), lengths)))
        return cls(np.asarray(data)[order], np.asarray(indices, dtype=np.int32)[order], indptr, columns)

    def __len__(self) -> int:
        return len(self.indptr) - 1

    def lengths(self) -> Any:
        return np.diff(self.indptr)

    def kept(self, rows: Any) -> Rows:
        """The rows where `rows` (a boolean per row) is true, in their order."""
        lengths = self.lengths()
        entries = np.repeat(rows, lengths)  # a boolean per entry: no array of their places
        indptr = np.zeros(int(rows.sum()) + 1, dtype=np.int64)
        np.cumsum(lengths[rows], out=indptr[1:])
        return Rows(self.data[entries], self.indices[entries], indptr, self.columns)

    def column_sums(self, start: int, end: int) -> Any:
        """Per column, the sum of rows start…end-1's counts (int64)."""
        low, high = int(self.indptr[start]), int(self.indptr[end])
        sums = np.zeros(self.columns, dtype=np.int64)
        np.add.at(sums, self.indices[low:high], self.data[low:high])
        return sums


def spans(starts: Any, lengths: Any) -> Any:
    """The numbers starts[0] … starts[0]+lengths[0]-1, then those of the next start, and so on."""
    ends = np.cumsum(lengths)
    return np.repeat(starts - (ends - lengths), lengths) + np.arange(int(ends[-1]) if len(ends) else 0)


# Past this many queries scipy's products are the cheaper (a site build asks one per review page): its import,
# a tenth of a second, is then soon paid back.
FEW_QUERIES = 8
# Queries whose products are worked out in one pass over the index (RelatedIndex.like_reviews): the pass costs
# little more for 32 vectors than for one, and their scores (items x 32) stay some 25 MB at 10,000 reviews.
QUERIES_AT_ONCE = 32
# The best candidates of a query sorted first (RelatedIndex._ranked): enough for a page's five matches, past
# the query review's own items and those of reviews already shown twice, nearly always.
RANKED_FIRST = 64


class _Products:
    """Rows of weights laid out for products with a vector that equal scipy's to the last bit: scipy sums each
    row's products in its entries' order, from 0.0. Here the rows are sorted longest first and their entries
    kept position by position (every row's first, then the second of those that have one…), so that the
    sums run over contiguous slices, each row's in its own order. A command asks once or twice; past
    FEW_QUERIES the rows go back into scipy's layout, whose products (in C) cost less than half."""

    def __init__(self, rows: Rows) -> None:
        lengths = rows.lengths()
        self._order = np.argsort(-lengths, kind="stable")
        longest_first = lengths[self._order]
        # how many rows have more than j entries, for each position j
        self._counts = np.searchsorted(
            -longest_first, -np.arange(int(longest_first[0]) if len(lengths) else 0)
        ).tolist()
        self._slices = [0, *itertools.accumulate(self._counts)]
        self._starts = rows.indptr[:-1][self._order]  # of each row, longest first
        self._indptr, self._columns = rows.indptr, rows.columns
        self._data = np.empty(len(rows.data))
        self._indices = np.empty(len(rows.indices), dtype=np.int32)
        for laid, part in self._laid():  # no array of every entry's place: the peak is lower
            np.take(rows.data, laid, out=self._data[part])
            np.take(rows.indices, laid, out=self._indices[part])
        self._asked = 0
        self._scipy: Any = None

    def _laid(self) -> Iterator[tuple[Any, slice]]:
        """For each position j: where the rows' j-th entries are in scipy's layout, and the slice of this one
        that holds them."""
        for position, count in enumerate(self._counts):
            start = self._slices[position]
            yield self._starts[:count] + position, slice(start, start + count)

    def times(self, vector: Any) -> Any:
        """The rows times `vector`: each row's sum of its weights times the vector's entries in their columns."""
        self._asked += 1
        if self._asked > FEW_QUERIES:
            return self._scipys() @ vector
        products = self._data * vector[self._indices]
        sums = np.zeros(len(self._order))
        for position, count in enumerate(self._counts):
            start = self._slices[position]
            sums[:count] += products[start : start + count]
        found = np.empty(len(self._order))
        found[self._order] = sums
        return found

    def times_each(self, vectors: Any) -> Any:
        """The rows times each column of `vectors`: column j is times(vectors[:, j]) to the last bit (scipy
        sums each row's products in its entries' order for one vector as for many), in one pass over the rows.
        """
        self._asked += vectors.shape[1]
        return self._scipys() @ vectors

    def _scipys(self) -> Any:
        """The rows as scipy's csr_matrix, made once (and this layout's arrays let go)."""
        if self._scipy is None:
            from scipy.sparse import csr_matrix

            data, indices = np.empty(len(self._data)), np.empty(len(self._indices), dtype=np.int32)
            for laid, part in self._laid():
                data[laid], indices[laid] = self._data[part], self._indices[part]
            shape = (len(self._order), self._columns)
            self._scipy = csr_matrix((data, indices, self._indptr), shape=shape)
            self._data, self._indices = data[:0], indices[:0]
        return self._scipy


@dataclass(frozen=True)
class TermTable:
    """Reviews' terms as the index counts them: per review a row of its context's term counts, then one per
    problem and lesson, in a sparse matrix whose columns are the terms of `vocabulary` (sorted, each in some
    row; a row's entries in column order), and per review its title and tags as a query (`heads`, JSON).
    One knowledge base has one table whatever order its reviews were read or edited in, so a table kept on
    disk and patched (related_cache) is the very table made afresh, and scores the same to the last bit."""

    vocabulary: list[str]
    counts: Rows  # of int32
    heads: Heads

    @classmethod
    def of(cls, segmented: Iterable[ReviewTerms]) -> TermTable:
        """The table of reviews' terms, each review's let go of once counted in: a first run's ten thousand
        held at once, and every word of them, were some 150 MB (its peak)."""
        # each term by the order it was first met in, then by its column once the vocabulary is sorted
        met: dict[str, int] = {}
        terms_met, counts, lengths = array("i"), array("i"), array("q")
        heads: list[str] = []
        for terms in segmented:
            for row in (terms.context, *terms.items):
                terms_met.extend(met.setdefault(term, len(met)) for term in row)
                counts.extend(row.values())
                lengths.append(len(row))
            heads.append(json.dumps(terms.head, ensure_ascii=False))
        vocabulary = sorted(met)
        column = np.empty(len(met), dtype=np.int32)  # by the order first met in
        column[[met[term] for term in vocabulary]] = np.arange(len(vocabulary))
        table = Rows.of(
            np.array(counts, dtype=np.int32),
            column[np.array(terms_met, dtype=np.intp)],
            np.array(lengths, dtype=np.int64),
            len(vocabulary),
        )
        return cls(vocabulary, table, Heads.of(heads))


class RelatedIndex:
    """Every problem and lesson of a knowledge base, indexed once; ask it as often as you like.

    An item is scored by its own words first (OWN_WEIGHT of its score) and by its review's title, team and
    tags after: the context tells a lesson's subject when its words are few, but alone it would rank every
    item of a review like its best one. `store` (related_cache.TermStore) keeps the reviews' term table
    between runs; its notices say when it had to be rebuilt."""

    def __init__(
        self, reviews: Sequence[Review], glossary: Glossary | None = None, store: TermStore | None = None
    ) -> None:
        self._glossary = glossary if glossary is not None else SEED
        # The collector off: ten thousand reviews' keys and terms are many small objects and no garbage, and
        # its passes over them were a third of a warm index's making
        with collector_paused():
            self._build(reviews, store)

    def _build(self, reviews: Sequence[Review], store: TermStore | None) -> None:
        if store is None:
            table = TermTable.of(review_terms(review, self._glossary) for review in reviews)
        else:
            table = store.table(reviews, self._glossary)
        self.notices: list[str] = store.notices if store is not None else []
        self._reviews = list(reviews)
        sizes = np.array([len(review.problems) + len(review.lessons) for review in reviews], dtype=np.int64)
        ends = np.cumsum(sizes)
        self._first_item = ends - sizes  # an item is its review's (index - first item)th problem or lesson
        self._item_ends = ends
        # A review as a query: its title and tags (JSON until asked for) and the words of its items
        self._heads = table.heads
        self._review_ids = {review.id: index for index, review in enumerate(reviews)}
        self._vocabulary = {term: index for index, term in enumerate(table.vocabulary)}
        of_item = np.ones(len(sizes) + int(sizes.sum()), dtype=bool)
        of_item[np.cumsum(sizes + 1) - sizes - 1] = False  # each review's first row is its context
        item_rows = np.flatnonzero(of_item)
        contexts = table.counts.kept(~of_item)
        self._frequencies = table.counts.kept(of_item)  # a review's query sums its items' rows
        # The table's rows are copied: let it go before the weights are worked out, the peak of a warm run
        del table
        # Smoothed inverse document frequency over the items (each term once per item it is in): a term in
        # every item still weighs a little, none weighs zero.
        counted = np.bincount(self._frequencies.indices, minlength=len(self._vocabulary))
        self._idf = np.log((1 + len(item_rows)) / (1 + counted.astype(float))) + 1
        # Each row weighed on its own: the items' share their terms' arrays with their counts
        self._matrix = _Products(self._unit_rows(self._frequencies))
        self._contexts = _Products(self._unit_rows(contexts))
        self._review_of_item = np.repeat(np.arange(len(sizes)), sizes)

    def _counts(self, words: Iterable[str]) -> dict[int, int]:
        """Term id -> count of the words the vocabulary has (a query's others can match nothing)."""
        counts: dict[int, int] = {}
        for word in words:
            term = self._vocabulary.get(word)
            if term is not None:
                counts[term] = counts.get(term, 0) + 1
        return counts

    def _weights(self, columns: Any, counts: Any) -> Any:
        """TF-IDF weights of terms counted `counts` times. Term frequency is sublinear: an item that says
        "churn" five times is not five times about churn. Worked in one new array (1 + log(count), then times
        the idf): a million and a half entries at 10,000 reviews, each temporary array 12 MB."""
        weights = np.array(counts, dtype=float)
        np.log(weights, out=weights)
        weights += 1
        weights *= self._idf[columns]
        return weights

    def _unit_rows(self, frequencies: Rows) -> Rows:
        """Rows of term counts as unit-length TF-IDF vectors: a sparse matrix whose products are cosines.
        Worked on the arrays in place: scipy's element-wise products made three copies of ten thousand
        reviews' rows. The same sums in the same order as scipy's (a row's squares summed by reduceat, as its
        row sums are), so the same floats to the last bit."""
        indptr = frequencies.indptr
        weights = self._weights(frequencies.indices, frequencies.data)
        lengths = np.diff(indptr)
        filled = np.flatnonzero(lengths)
        norms = np.zeros(len(frequencies))
        if len(filled):
            norms[filled] = np.add.reduceat(weights * weights, indptr[filled])
        norms = np.sqrt(norms)
        norms[norms == 0] = 1
        weights *= np.repeat(1 / norms, lengths)
        return Rows(weights, frequencies.indices, indptr, frequencies.columns)

    def __len__(self) -> int:
        return len(self._review_of_item)

    def like_review(
        self, review_id: str, limit: int = 5, threshold: float = 0.0, per_review: int | None = None
    ) -> list[Match]:
        """The problems and lessons of other reviews most like review `review_id`, best first, at most
        `per_review` of any one review; UnknownReview (with a did-you-mean) when no review has that id."""
        columns, counts = self._review_query(self._at(review_id))
        return self._search(columns, counts, limit, threshold, exclude=review_id, per_review=per_review)

    def like_reviews(
        self, review_ids: Sequence[str], limit: int = 5, threshold: float = 0.0, per_review: int | None = None
    ) -> dict[str, list[Match]]:
        """like_review of each of `review_ids`, the same matches, with the products for QUERIES_AT_ONCE reviews
        worked out in one pass over the index: one pass per review grew with the square of the reviews (a
        site asks one per review page)."""
        found: dict[str, list[Match]] = {}
        for start in range(0, len(review_ids), QUERIES_AT_ONCE):
            batch = review_ids[start : start + QUERIES_AT_ONCE]
            queries = []
            for review_id in batch:
                columns, counts = self._review_query(self._at(review_id))
                if not len(columns) or limit <= 0:
                    found[review_id] = []
                else:
                    queries.append((review_id, self._query_vector(columns, counts)))
            if not queries:
                continue
            vectors = np.stack([vector for _, vector in queries], axis=1)
            own, contexts = self._matrix.times_each(vectors), self._contexts.times_each(vectors)
            del vectors
            for column, (review_id, _) in enumerate(queries):
                scores = OWN_WEIGHT * own[:, column] + (1 - OWN_WEIGHT) * contexts[:, column][self._review_of_item]
                found[review_id] = self._ranked(scores, limit, threshold, review_id, None, per_review)
        return found

    def _at(self, review_id: str) -> int:
        """The index of review `review_id`; UnknownReview (with a did-you-mean) when no review has that id."""
        at = self._review_ids.get(review_id)
        if at is None:
            hint = did_you_mean(review_id, self._review_ids, "`retrogen actions` and the site list the reviews")
            raise UnknownReview(f"no review has the id {review_id!r}; {hint}")
        return at

    def _review_query(self, at: int) -> tuple[Any, Any]:
        """The terms (columns) of review `at` as a query and how often each occurs: its title and tags, and the
        words of its problems and lessons (the sum of their rows' counts)."""
        counts = self._frequencies.column_sums(int(self._first_item[at]), int(self._item_ends[at]))
        for word, count in self._head(at).items():
            term = self._vocabulary.get(word)
            if term is not None:
                counts[term] += count
        columns = np.flatnonzero(counts)
        return columns, counts[columns]

    def _head(self, at: int) -> Counts:
        """A review's title and tags as a query: as kept, unless what is kept is not counts (a foreign file)."""
        try:
            head = json.loads(self._heads[at])
        except ValueError:
            head = None
        if type(head) is dict and all(type(count) is int and count > 0 for count in head.values()):
            return head
        return review_terms(self._reviews[at], self._glossary).head

    def like_text(
        self, text: str, limit: int = 5, threshold: float = 0.0, tags: Iterable[str] = (), kind: str | None = None
    ) -> list[Match]:
        """The problems and lessons (or only those of `kind`) most like free text and tags, best first."""
        counts = self._counts(terms_and_concepts(text, self._glossary) + _tag_terms(tags, self._glossary))
        return self._search(list(counts), list(counts.values()), limit, threshold, kind=kind)

    def _search(
        self,
        columns: Any,
        counts: Any,
        limit: int,
        threshold: float,
        exclude: str | None = None,
        kind: str | None = None,
        per_review: int | None = None,
    ) -> list[Match]:
        """The items most like the query whose terms `columns` occur `counts` times."""
        if not len(columns) or limit <= 0:
            return []
        vector = self._query_vector(columns, counts)
        context_scores = self._contexts.times(vector)
        scores = OWN_WEIGHT * self._matrix.times(vector) + (1 - OWN_WEIGHT) * context_scores[self._review_of_item]
        return self._ranked(scores, limit, threshold, exclude, kind, per_review)

    def _query_vector(self, columns: Any, counts: Any) -> Any:
        """The query as one dense unit TF-IDF vector: a matrix-vector product is the cheapest way through the
        index."""
        vector = np.zeros(len(self._vocabulary))
        vector[columns] = self._weights(columns, counts)
        vector /= np.linalg.norm(vector)
        return vector

    def _ranked(
        self, scores: Any, limit: int, threshold: float, exclude: str | None, kind: str | None, per_review: int | None
    ) -> list[Match]:
        """The items scored above `threshold`, best first, but those of `exclude`, of another kind than `kind`
        (unless None) and those past `per_review` of one review; at most `limit`.

        Best first in a stable sort, which breaks ties in index order, so that a knowledge base always answers
        alike. Sorting every candidate was most of a query, and the candidates grow with the knowledge base (a
        site asks once per review: the square of the reviews). The best RANKED_FIRST (with any tied with the
        last of them) are the head of that very order: they are sorted alone, and all only when the head does
        not fill the list."""
        candidates = np.flatnonzero(scores > threshold)
        if len(candidates) > RANKED_FIRST:
            values = scores[candidates]
            least = np.partition(values, len(values) - RANKED_FIRST)[len(values) - RANKED_FIRST]
            matches = self._taken(candidates[values >= least], scores, limit, exclude, kind, per_review)
            if len(matches) == limit:
                return matches
        return self._taken(candidates, scores, limit, exclude, kind, per_review)

    def _taken(
        self, candidates: Any, scores: Any, limit: int, exclude: str | None, kind: str | None, per_review: int | None
    ) -> list[Match]:
        """The first `limit` of `candidates` (in index order), best first, that _ranked keeps."""
        matches: list[Match] = []
        shown: Counter[str] = Counter()
        for index in candidates[np.argsort(-scores[candidates], kind="stable")]:
            review = int(self._review_of_item[index])
            item = _item(self._reviews[review], int(index - self._first_item[review]))
            if item.review == exclude or kind not in (None, item.kind) or shown[item.review] == per_review:
                continue
            shown[item.review] += 1
            matches.append(replace(item, score=round(float(scores[index]), 4)))
            if len(matches) == limit:
                break
        return matches
