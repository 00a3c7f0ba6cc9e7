"""Every verdict on an expected result has its words in both languages, a table value and a badge colour."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrogen.core.words import catalogue
from retrogen.engine.loop import Verdict
from retrogen.formats.render import environment

STYLESHEET = Path(__file__).resolve().parents[2] / "site_overrides" / "assets" / "retrogen.css"


@pytest.mark.parametrize("verdict", list(Verdict))
def test_every_verdict_has_words_a_value_and_a_badge_colour(verdict: Verdict) -> None:
    assert catalogue("en").labels[verdict] and catalogue("zh").labels[verdict]
    assert catalogue("zh").values["verification"][verdict]
    assert f".rg-{verdict.value}" in STYLESHEET.read_text(encoding="utf-8")


@pytest.mark.parametrize(("language", "words"), [("en", "met without the action"), ("zh", "达成但行动未完成")])
def test_the_met_without_action_badge(language: str, words: str) -> None:
    macros = (
        environment("templates/site").get_template("_macros.md.j2").make_module({"text": catalogue(language).labels})
    )
    badge = str(macros.verdict_badge("met_without_action"))
    assert 'class="rg-badge rg-met_without_action"' in badge
    assert f": {words}</span>" in badge
    assert catalogue("zh").values["verification"]["met_without_action"] == "达成但行动未完成"
