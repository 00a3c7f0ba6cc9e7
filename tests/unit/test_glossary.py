"""The bilingual glossary (extra.retrogen.glossary, issue 19): which terms a text names, in either language,
and how a knowledge base's own entries extend or replace the seed."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrogen.core.errors import ConfigError
from retrogen.gate.config import load_config
from retrogen.gate.glossary import SEED, SEED_GLOSSARY, Glossary


def named(text: str, glossary: Glossary = SEED) -> list[str]:
    return glossary.concepts(text)[1]


def test_a_term_is_named_alike_in_chinese_and_in_english() -> None:
    assert named("老客户流失") == ["≈老客户", "≈客户流失"]
    assert named("churn") == named("流失率") == ["≈客户流失"]
    assert named("折扣审批") == named("Deep discounts") == ["≈折扣"]
    assert named("the decision-chain") == named("decision chain") == named("决策链") == ["≈决策链"]


def test_english_spellings_match_whole_words_and_their_plurals_only() -> None:
    assert named("economic buyers") == ["≈经济决策人"]
    assert named("leadership and misleading") == []  # no "lead" inside other words
    assert named("two leads") == ["≈线索"]


def test_an_abbreviation_in_capitals_is_not_the_word() -> None:
    assert named("features to IT") == ["≈技术决策人"]
    assert named("it was late") == []


def test_the_longest_spelling_wins_and_the_words_it_names_leave_the_text() -> None:
    rest, concepts = SEED.concepts("the total cost of ownership was high")
    assert concepts == ["≈总拥有成本"]
    assert "cost" not in rest and "high" in rest


def with_glossary(folder: Path, entries: str) -> Path:
    config = folder / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    config.write_text(text.replace("    reviews_dir: reviews\n", f"    reviews_dir: reviews\n{entries}"), "utf-8")
    return config


def test_a_knowledge_bases_entries_extend_and_replace_the_seed(knowledge_base: Path) -> None:
    config = load_config(
        with_glossary(knowledge_base, "    glossary:\n      回款: [collection]\n      折扣: [rebate]\n")
    )
    assert named("late collections", config.glossary) == ["≈回款"]
    assert named("rebate", config.glossary) == ["≈折扣"]
    assert named("discount", config.glossary) == []  # the seed's 折扣 entry is replaced, not merged
    assert named("churn", config.glossary) == ["≈客户流失"]  # the rest of the seed stays
    assert named("churn", load_config(knowledge_base / "mkdocs.yml").glossary) == ["≈客户流失"]  # unset: the seed


def test_a_glossary_that_is_not_a_mapping_of_lists_is_refused(knowledge_base: Path) -> None:
    with pytest.raises(ConfigError, match=r"extra\.retrogen\.glossary must be a mapping"):
        load_config(with_glossary(knowledge_base, "    glossary: [churn]\n"))


def test_the_seed_names_the_sales_terms_of_the_template() -> None:
    for chinese, english in [("客户流失", "churn"), ("折扣", "discount"), ("决策链", "decision chain"),
                             ("复购率", "repurchase rate"), ("线索", "lead"), ("商机", "opportunity"),
                             ("报价", "quote"), ("报价", "pricing"), ("竞争对手", "competitor")]:  # fmt: skip
        assert english in SEED_GLOSSARY[chinese]
        assert named(english) == named(chinese) == [f"≈{chinese}"]


def test_a_knowledge_bases_spelling_names_its_own_term_before_the_seeds(knowledge_base: Path) -> None:
    config = load_config(with_glossary(knowledge_base, "    glossary:\n      客户维护: [churn, retention]\n"))
    assert named("churn", config.glossary) == ["≈客户维护"]  # the seed lists churn under 客户流失


def test_a_spelling_two_entries_claim_is_refused_with_both_named(knowledge_base: Path) -> None:
    settings = "    glossary:\n      回款: [collection]\n      收款: [Collection]\n"
    with pytest.raises(
        ConfigError,
        match=r"mkdocs\.yml: extra\.retrogen\.glossary: 'Collection' is listed under both '回款' and '收款'",
    ):
        load_config(with_glossary(knowledge_base, settings))
