"""Have we seen this before? The problems and lessons of other reviews most like a review, or like free text.

Every problem (P1…) and lesson (L1…) of every review is one document, read with its review's title, team and
tags as context; terms come from `retrogen.engine.text.terms` (jieba for Chinese), tags count TAG_WEIGHT times, and
documents are ranked by TF-IDF cosine similarity: scores lie between 0 and 1 whatever the query's length, so
one threshold (RELATED_THRESHOLD) means the same for a whole review and for two words.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any

import numpy as np

from retrogen.core.errors import RetrogenError
from retrogen.engine.model import Review
from retrogen.engine.text import terms_and_concepts
from retrogen.gate.glossary import SEED, Glossary
from retrogen.gate.hints import did_you_mean

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


def _items(review: Review, glossary: Glossary) -> Iterable[tuple[Match, list[str]]]:
    """Each problem and lesson of `review` (scored 0) with the terms of its own words (and a lesson's tags)."""
    for p in review.problems:
        yield (
            Match(review.id, p.id, "problem", p.problem, 0.0),
            terms_and_concepts(" ".join([p.problem, p.root_cause, *p.suspected, *p.whys]), glossary),
        )
    for lesson in review.lessons:
        yield (
            Match(review.id, lesson.id, "lesson", lesson.lesson, 0.0),
            terms_and_concepts(f"{lesson.lesson} {lesson.applies_to}", glossary) + _tag_terms(lesson.tags, glossary),
        )


class RelatedIndex:
    """Every problem and lesson of a knowledge base, indexed once; ask it as often as you like.

    An item is scored by its own words first (OWN_WEIGHT of its score) and by its review's title, team and
    tags after: the context tells a lesson's subject when its words are few, but alone it would rank every
    item of a review like its best one."""

    def __init__(self, reviews: Sequence[Review], glossary: Glossary | None = None) -> None:
        self._glossary = glossary if glossary is not None else SEED
        self._items: list[Match] = []
        self._vocabulary: dict[str, int] = {}
        # A review as a query: its title, tags, problems and lessons. Not its team: a churn review of another
        # region is what a reader wants first, not the same team's review of another topic.
        self._queries: dict[str, list[str]] = {}
        own: list[dict[int, int]] = []
        contexts: list[dict[int, int]] = []
        review_of_item: list[int] = []
        frequency: Counter[int] = Counter()
        for review in reviews:
            context = _context(review, self._glossary)
            contexts.append(self._counts(context, grow=True))
            query = self._queries[review.id] = terms_and_concepts(review.title, self._glossary) + _tag_terms(
                review.tags, self._glossary
            )
            for item, words in _items(review, self._glossary):
                self._items.append(item)
                own.append(self._counts(words, grow=True))
                review_of_item.append(len(contexts) - 1)
                frequency.update(own[-1].keys())
                query += words
        counted = np.zeros(len(self._vocabulary))
        if frequency:
            counted[list(frequency)] = list(frequency.values())
        # Smoothed inverse document frequency over items read with their context: a term in every item still
        # weighs a little, none weighs zero.
        self._idf = np.log((1 + len(own)) / (1 + counted)) + 1
        self._matrix = self._unit_rows(own)
        self._contexts = self._unit_rows(contexts)
        self._review_of_item = np.array(review_of_item, dtype=int)

    def _counts(self, words: list[str], *, grow: bool = False) -> dict[int, int]:
        """Term id -> count; terms outside the vocabulary are added (`grow`) or left out (a query's)."""
        counts: dict[int, int] = {}
        for word in words:
            term = self._vocabulary.setdefault(word, len(self._vocabulary)) if grow else self._vocabulary.get(word)
            if term is not None:
                counts[term] = counts.get(term, 0) + 1
        return counts

    def _weights(self, columns: list[int], counts: list[int]) -> Any:
        """TF-IDF weights of terms counted `counts` times. Term frequency is sublinear: an item that says
        "churn" five times is not five times about churn."""
        return (1 + np.log(np.array(counts, dtype=float))) * self._idf[columns]

    def _unit_rows(self, rows: list[dict[int, int]]) -> Any:
        """Rows of term counts as unit-length TF-IDF vectors: a sparse matrix whose products are cosines."""
        from scipy.sparse import csr_matrix

        columns = [term for counts in rows for term in counts]
        values = self._weights(columns, [count for counts in rows for count in counts.values()])
        matrix = csr_matrix(
            (values, columns, np.cumsum([0, *map(len, rows)])), shape=(len(rows), len(self._vocabulary))
        )
        norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
        norms[norms == 0] = 1
        return csr_matrix(matrix.multiply(1 / norms[:, None]))

    def __len__(self) -> int:
        return len(self._items)

    def like_review(
        self, review_id: str, limit: int = 5, threshold: float = 0.0, per_review: int | None = None
    ) -> list[Match]:
        """The problems and lessons of other reviews most like review `review_id`, best first, at most
        `per_review` of any one review; UnknownReview (with a did-you-mean) when no review has that id."""
        query = self._queries.get(review_id)
        if query is None:
            hint = did_you_mean(review_id, self._queries, "`retrogen actions` and the site list the reviews")
            raise UnknownReview(f"no review has the id {review_id!r}; {hint}")
        return self._search(query, limit, threshold, exclude=review_id, per_review=per_review)

    def like_text(
        self, text: str, limit: int = 5, threshold: float = 0.0, tags: Iterable[str] = (), kind: str | None = None
    ) -> list[Match]:
        """The problems and lessons (or only those of `kind`) most like free text and tags, best first."""
        return self._search(
            terms_and_concepts(text, self._glossary) + _tag_terms(tags, self._glossary), limit, threshold, kind=kind
        )

    def _search(
        self,
        query: list[str],
        limit: int,
        threshold: float,
        exclude: str | None = None,
        kind: str | None = None,
        per_review: int | None = None,
    ) -> list[Match]:
        counts = self._counts(query)
        if not counts or limit <= 0:
            return []
        # The query as one dense TF-IDF vector: a matrix-vector product is the cheapest way through the index.
        vector = np.zeros(len(self._vocabulary))
        columns = list(counts)
        vector[columns] = self._weights(columns, list(counts.values()))
        vector /= np.linalg.norm(vector)
        context_scores = self._contexts @ vector
        scores = OWN_WEIGHT * (self._matrix @ vector) + (1 - OWN_WEIGHT) * context_scores[self._review_of_item]
        candidates = np.flatnonzero(scores > threshold)
        matches: list[Match] = []
        shown: Counter[str] = Counter()
        # Best first; a stable sort breaks ties in index order, so a knowledge base always answers alike.
        for index in candidates[np.argsort(-scores[candidates], kind="stable")]:
            item = self._items[index]
            if item.review == exclude or kind not in (None, item.kind) or shown[item.review] == per_review:
                continue
            shown[item.review] += 1
            matches.append(replace(item, score=round(float(scores[index]), 4)))
            if len(matches) == limit:
                break
        return matches
