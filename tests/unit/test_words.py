"""One concept, one wording per language: the catalogue's sections and the templates agree."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from retrogen.core.words import CATALOGUES, catalogue, language_of
from retrogen.gate.vocabulary import FACTORS, KINDS, LANGUAGES, STATUSES
from retrogen.kb.new import render_review


def test_a_fishbone_factor_has_one_chinese_word_in_pages_tables_and_the_template() -> None:
    words = catalogue("zh")
    for code in FACTORS:
        assert words.values["factor"][code] == words.values["theme"][code] == words.labels[code], code
    assert words.headers["factor"] == words.values["kind"]["factor"] == words.labels["factor"]
    template = render_review("2027-q1-east", "periodic", "zh", "华东销售部", date(2027, 4, 2), "schema.json")
    written = f"# {words.labels['factor']}:" + " | ".join(f"{code} {words.labels[code]}" for code in FACTORS)
    assert written in template


def test_both_languages_have_the_same_words() -> None:
    english, chinese = CATALOGUES["en"], CATALOGUES["zh"]
    assert set(english.labels) == set(chinese.labels)
    assert set(english.reminders) == set(chinese.reminders)
    assert set(english.review_kinds) == set(chinese.review_kinds)


def test_the_catalogue_has_words_for_every_language_and_code_of_the_schema() -> None:
    assert set(CATALOGUES) == set(LANGUAGES)
    for language, words in CATALOGUES.items():
        for code in (*KINDS, *FACTORS, *STATUSES):
            assert words.labels[code], (language, code)
        assert set(words.review_kinds) == set(KINDS)


@settings(max_examples=300, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("aZé1 _字中ÅßΩ,")), max_size=16))
def test_a_texts_language_counts_its_ascii_letters_as_latin(sample: str) -> None:
    latin = sum(char.isascii() and char.isalpha() for char in sample)
    chinese = sum("\u3400" <= char <= "\u9fff" for char in sample)
    assert language_of(None, sample) == ("zh" if chinese and chinese * 2 >= latin else "en")
