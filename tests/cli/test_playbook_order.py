"""`extra.retrogen.playbook_order`: the playbook's sections follow it, and a value of the wrong shape is a clear
usage error naming mkdocs.yml and the key."""

from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.core.errors import ConfigError
from retrogen.gate.config import load_config
from retrogen.gate.settings import DEFAULTS

TODAY = "2026-11-20"


def set_order(kb: Path, value: str) -> None:
    config = kb / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8") + f"    playbook_order: {value}\n", encoding="utf-8")


def playbook(kb: Path, *args: str) -> tuple[int, str]:
    with contextlib.chdir(kb):
        result = CliRunner().invoke(cli, ["playbook", "--no-git", "--today", TODAY, *args], catch_exceptions=False)
    return result.exit_code, result.output


def sections(text: str) -> list[str]:
    return re.findall(r"^## (.+)$", text, flags=re.MULTILINE)


def test_the_default_order_is_the_sales_cycle(knowledge_base: Path) -> None:
    assert load_config(knowledge_base / "mkdocs.yml").settings.playbook_order == DEFAULTS.playbook_order
    code, text = playbook(knowledge_base)
    assert code == 0
    assert sections(text) == [
        "新客户开发",
        "需求挖掘",
        "决策链",
        "decision-chain",
        "定价",
        "客户维护",
        "rfp",
        "其他做法",
    ]


def test_the_configured_order_comes_first_and_the_rest_follows(knowledge_base: Path) -> None:
    set_order(knowledge_base, "[客户维护, rfp, 没有这个标签]")
    code, text = playbook(knowledge_base, "--lang", "en")
    assert code == 0
    assert sections(text) == [
        "客户维护",
        "rfp",
        "decision-chain",
        "新客户开发",
        "决策链",
        "需求挖掘",
        "定价",
        "Other practices",
    ]


def test_the_file_and_the_stdout_are_the_same_markdown(knowledge_base: Path) -> None:
    _, printed = playbook(knowledge_base)
    code, _ = playbook(knowledge_base, "-o", str(knowledge_base / "playbook.md"))
    assert code == 0
    written = (knowledge_base / "playbook.md").read_text(encoding="utf-8")
    assert written == printed.replace(f"Wrote {knowledge_base / 'playbook.md'}\n", "")
    assert "decision-chain" in written and "decision\\-chain" not in written


@pytest.mark.parametrize("value", ["定价", "[定价, 3]", "['']", "{定价: 1}"])
def test_a_wrong_shape_names_the_file_and_the_key(knowledge_base: Path, value: str) -> None:
    set_order(knowledge_base, value)
    with pytest.raises(ConfigError, match=r"mkdocs\.yml:\d+: extra\.retrogen\.playbook_order must be a list of tags"):
        load_config(knowledge_base / "mkdocs.yml")
    code, output = playbook(knowledge_base)
    assert code == 2
    assert re.search(r"mkdocs\.yml:\d+: extra\.retrogen\.playbook_order must be a list of tags", output)
