"""RG250: a tag that differs from a known tag only by case, spacing, hyphenation or a small typo is a slip,
and `check` says which tag was meant, naming file, line and field."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from retrogen.gate.glossary import TagSpeller, tag_vocabulary

from ..cli.test_check_and_new import run
from .test_vocabulary_aliases import ALIASES, with_settings

VOCABULARY = tag_vocabulary({"决策链": ["decision-chain", "decision chain"], "定价": ["pricing"]}, "mkdocs.yml")


@pytest.mark.parametrize(
    ("tag", "meant"),
    [
        ("Decision Chain", "decision chain"),
        ("decision_chain", "decision chain"),
        ("decision-chian", "decision chain"),
        ("Pricing", "pricing"),
        ("prcing", "pricing"),
        ("决策链 ", "决策链"),
    ],
)
def test_a_slip_for_a_vocabulary_tag_is_named(tag: str, meant: str) -> None:
    assert TagSpeller(VOCABULARY, {}).suggestion(tag) == meant


@pytest.mark.parametrize("tag", ["决策链", "decision-chain", "decision chain", "pricing", "rfp", "定价策略"])
def test_known_and_unrelated_tags_are_fine(tag: str) -> None:
    assert TagSpeller(VOCABULARY, {"rfp": 1}).suggestion(tag) is None


def test_among_tags_the_reviews_use_the_rarer_spelling_is_the_slip() -> None:
    speller = TagSpeller(
        tag_vocabulary({}, "mkdocs.yml"),
        {"forecasting": 3, "Forecasting": 1, "pilot": 1, "pilots": 1, "rfp": 2, "rfi": 1},
    )
    assert speller.suggestion("Forecasting") == "forecasting"
    assert speller.suggestion("forecasting") is None
    assert speller.suggestion("pilot") == "pilots" and speller.suggestion("pilots") == "pilot"  # a tie: both told
    assert speller.suggestion("rfi") is None  # one letter in a short word is another word, not a slip


def _write(review: Path, old: str, new: str) -> int:
    """Replace `old` by `new` in the review; the line it is on."""
    text = review.read_text(encoding="utf-8")
    assert old in text
    review.write_text(text.replace(old, new, 1), encoding="utf-8")
    return text[: text.index(old)].count("\n") + 1


def test_check_warns_of_a_slip_against_the_vocabulary_with_file_line_and_field(knowledge_base: Path) -> None:
    with_settings(knowledge_base, ALIASES)
    review = knowledge_base / "reviews" / "2026-q2-emea-enterprise.yaml"
    line = _write(review, "tags: [forecasting, decision-chain]", "tags: [forecasting, Decision_Chain]")
    code, out = run("check", "--format", "json", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 0  # a warning
    slips = [f for f in json.loads(out) if f["code"] == "RG250"]
    assert [(s["path"], s["line"], s["field"]) for s in slips] == [
        ("reviews/2026-q2-emea-enterprise.yaml", line, "tags[1]")
    ]
    assert "did you mean 'decision-chain'?" in slips[0]["message"] and slips[0]["severity"] == "warning"
    code, _ = run("check", "--strict", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 1


def test_check_of_one_file_knows_the_tags_of_the_other_reviews(knowledge_base: Path) -> None:
    """The pre-commit hook names only the changed file: the rest of the knowledge base still counts."""
    review = knowledge_base / "reviews" / "2026-q3-emea-enterprise.yaml"
    text = review.read_text(encoding="utf-8")
    written = next(row for row in text.splitlines() if "tags:" in row and "forecasting" in row)
    line = _write(review, written, written.replace("forecasting", "forcasting"))
    code, out = run("check", "reviews/2026-q3-emea-enterprise.yaml", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 0
    assert f"reviews/2026-q3-emea-enterprise.yaml:{line}:" in out
    assert "tag 'forcasting' differs from the known tag 'forecasting'" in out and "did you mean 'forecasting'?" in out


def test_block_lists_of_other_reviews_count_too(knowledge_base: Path) -> None:
    other = knowledge_base / "reviews" / "2026-q2-emea-enterprise.yaml"
    _write(
        other,
        "tags: [forecasting, decision-chain]",
        'tags:\n  - forecasting  # the quarter\'s theme\n  - "decision-chain"',
    )
    review = knowledge_base / "reviews" / "2026-q3-emea-enterprise.yaml"
    text = review.read_text(encoding="utf-8")
    written = next(row for row in text.splitlines() if "tags:" in row and "decision-chain" in row)
    _write(review, written, written.replace("decision-chain", "Decision-Chain"))
    code, out = run("check", "reviews/2026-q3-emea-enterprise.yaml", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 0 and "did you mean 'decision-chain'?" in out


def test_the_fixture_knowledge_base_has_no_slips(knowledge_base: Path) -> None:
    with_settings(knowledge_base, ALIASES)
    _, out = run("check", "--today", "2026-11-20", cwd=knowledge_base)
    assert "RG250" not in out


def test_check_with_a_vocabulary_and_teams_stays_light(knowledge_base: Path) -> None:
    with_settings(knowledge_base, ALIASES + "    teams: [华东销售部, 华南客户成功部]\n")
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    code = (
        "import sys, retrogen.cli as c\n"
        "try:\n"
        f"    c.cli.main(['check', {str(review)!r}, '--today', '2026-11-20'], standalone_mode=False)\n"
        "finally:\n"
        "    engine = ('pandas', 'jinja2', 'mkdocs', 'openpyxl', 'jieba', 'jsonschema')\n"
        "    print('heavy:', ','.join(sorted(m for m in engine if m in sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=knowledge_base
    )
    assert "warning" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "heavy:"
