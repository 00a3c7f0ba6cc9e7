"""`retrogen new --lang` records the review's language, so its page speaks it before any text is written."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from retrogen.cli import cli


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_new_writes_the_language_it_was_asked_for(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch, lang: str
) -> None:
    monkeypatch.chdir(knowledge_base)
    result = CliRunner().invoke(cli, ["new", f"x-{lang}", "--lang", lang, "--today", "2026-12-01"])
    assert result.exit_code == 0, result.output
    document = yaml.safe_load((knowledge_base / "reviews" / f"x-{lang}.yaml").read_text(encoding="utf-8"))
    assert document["lang"] == lang
