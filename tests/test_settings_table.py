"""The README's table of settings is the declaration's own (retrogen/gate/settings.py), generated like the
code layout: `pytest --update-golden tests/test_settings_table.py` rewrites it."""

from __future__ import annotations

import json
from typing import Any

import pytest

from retrogen.gate.settings import rules

from .conftest import check_readme_block

README_START = "<!-- settings: generated from retrogen/gate/settings.py by tests/test_settings_table.py -->"
README_END = "<!-- end of settings -->"
SHOWN_WORDS = 4  # a long default list is shown by its first words and its length


def shown(default: Any) -> str:
    if isinstance(default, list) and len(default) > SHOWN_WORDS:
        first = json.dumps(default[:SHOWN_WORDS], ensure_ascii=False)[:-1]
        return f"`{first}, …]` ({len(default)} words)"
    return f"`{json.dumps(default, ensure_ascii=False)}`"


def settings_table() -> str:
    lines = [README_START, "", "| setting | default | what it does | a valid value |", "|---|---|---|---|"]
    for name, rule in rules():
        cells = [f"`{name}`", shown(rule.default), rule.help, rule.expected]
        lines.append("| " + " | ".join(cell.replace("|", r"\|") for cell in cells) + " |")
    lines += ["", README_END]
    return "\n".join(lines)


def test_readme_settings_table_is_the_declaration(request: pytest.FixtureRequest) -> None:
    check_readme_block(request, README_START, README_END, settings_table())
