from __future__ import annotations

from retrogen.engine.text import terms


def test_chinese_is_segmented_with_the_shorter_words_of_long_ones() -> None:
    assert terms("客户流失率上升") == ["客户", "流失", "流失率", "上升"]


def test_english_is_lower_cased_with_plurals_folded_and_stopwords_numbers_punctuation_dropped() -> None:
    assert terms("The Deals were missed in 3 discoveries; 12.5% process!") == ["deal", "missed", "discovery", "process"]


def test_mixed_text_keeps_both_scripts() -> None:
    assert terms("决策链 decision-chain") == ["决策", "链", "decision", "chain"]
