"""The terms of free text, for telling which texts say the same thing: Chinese is segmented with jieba (the
segmenter Material's search uses), other scripts are split into lower-cased words with plurals folded."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from retrogen.gate.glossary import Glossary

# Words that say nothing about a problem or lesson; leaving them in makes every text look like every other.
_STOPWORDS_TEXT = (
    "a an and are as at be been but by did do does for from had has have how in into is it its no not of on "
    "or our so than that the their them then there they this to too us was we were what when which who why "
    "will with without you your "
    "的 了 和 与 及 或 在 是 对 把 被 给 让 从 向 也 都 就 还 又 而 但 并 等 之 其 这 那 这个 那个 一个 没有 "
    "我们 他们 你们 因为 所以 如果 已经 进行"
)
STOPWORDS = frozenset(_STOPWORDS_TEXT.split())

_WORD = re.compile(r"\w+")
_NUMBER = re.compile(r"[\d.]+")
# Runs of Chinese characters: only these go through jieba. Other text is split into words by the regular
# expression alone, which is what jieba does with it too, only ten times slower.
_CHINESE = re.compile(r"([\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+)")


def terms(text: str) -> list[str]:
    """The text's terms in order, repeats kept (term frequency matters), stopwords, numbers and punctuation
    dropped. Chinese words also yield their shorter words (客户流失率: 客户, 流失, 流失率), so a text about 流失
    finds one about 流失率."""
    return list(_terms(text))


# A build reads each lesson twice, for the related index and for the playbook's near-duplicates; jieba is
# most of the cost of both.
@lru_cache(maxsize=1 << 16)
def _terms(text: str) -> tuple[str, ...]:
    found: list[str] = []
    for index, part in enumerate(_CHINESE.split(text)):
        # split() with a group alternates: other text at even places, Chinese runs at odd ones
        tokens = _segmenter().cut_for_search(part) if index % 2 else _WORD.findall(part.lower())
        for token in tokens:
            if token in STOPWORDS or _NUMBER.fullmatch(token):
                continue
            found.append(_singular(token))
    return tuple(found)


def terms_and_concepts(text: str, glossary: Glossary) -> list[str]:
    """The text's terms, with the words the glossary knows as its terms instead (`≈客户流失` for churn and
    for 客户流失 alike), so that texts of two languages share what they say alike."""
    rest, concepts = glossary.concepts(text)
    return terms(rest) + concepts


def text_words(text: str, glossary: Glossary) -> list[str]:
    """The text's terms and, besides them, the glossary terms it names (`≈客户流失` for churn): the words
    stay, so two texts of one language that share a word are as alike as without the glossary."""
    return terms(text) + glossary.concepts(text)[1]


def _singular(word: str) -> str:
    """deals → deal, discoveries → discovery; not 'process' or 'status'. Enough folding for sales prose
    without a stemmer's surprises (Porter turns 'pricing' into 'price' but 'business' into 'busi')."""
    if not word.isascii() or len(word) < 4 or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies"):
        return word[:-3] + "y"
    return word[:-1] if word.endswith("s") else word


@lru_cache(maxsize=1)
def _segmenter() -> Any:
    """jieba's tokenizer, made once, when a text first has Chinese in it (engine.segmenter: its dictionary
    looked up word by word, unless many words are)."""
    from retrogen.engine.segmenter import segmenter

    return segmenter()
