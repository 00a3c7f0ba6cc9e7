"""A reference to another review or an action on it ("2026-10-east-sales:A1") reads as what it names: the
review's title, the action's text, each a link; never the bare id."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from markupsafe import Markup

from retrogen.engine.analysis import analyse
from retrogen.formats.render import md_format
from retrogen.gate.config import load_config
from retrogen.site.pages import build_pages

from .conftest import TODAY


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    from ..conftest import copy_knowledge_base

    root = copy_knowledge_base(tmp_path_factory.mktemp("kb"))
    config = load_config(Path(root) / "mkdocs.yml")
    return build_pages(analyse(config, TODAY, use_git=False), config)


def test_a_carried_action_names_the_review_it_continues_in(pages: dict[str, str]) -> None:
    q3 = pages["reviews/2026-q3-east-sales.md"]
    # The same action carried on in October: the review's title says where, the text would repeat itself.
    assert '<b>结转至:</b> <a href="../2026-10-east-sales/#a1">2026年10月华东区销售月度复盘</a>' in q3
    october = pages["reviews/2026-10-east-sales.md"]
    assert '<b>结转自:</b> <a href="../2026-q3-east-sales/#a2">2026年Q3华东区销售业绩复盘</a>' in october


def test_a_kpis_previous_period_is_its_reviews_period_linked_with_its_title(pages: dict[str, str]) -> None:
    row = next(line for line in pages["reviews/2026-q3-east-sales.md"].splitlines() if line.startswith("| 整体业绩"))
    assert '420 <small>(<a href="../2026-q2-east-sales/" title="2026年Q2华东区销售业绩复盘">2026-Q2</a>)</small>' in row


def test_no_page_shows_a_bare_review_id_as_a_links_words(pages: dict[str, str]) -> None:
    ids = {name.removeprefix("reviews/").removesuffix(".md") for name in pages if name.startswith("reviews/")}
    ids.discard("index")
    for name, text in pages.items():
        words = set(re.findall(r"\[([^\]]+)\]\(", text)) | set(re.findall(r">([^<>]+)</a>", text))
        bare = {w for w in words if w.partition(":")[0] in ids}
        assert not bare, f"{name} links with ids for words: {sorted(bare)}"


def test_a_sentence_with_links_escapes_its_own_words_and_plain_values_but_not_the_links() -> None:
    link = Markup("[Q3 复盘](q3.md)")
    sentence = md_format("{review} 的 {problem} 再次出现 *{theme}*", review=link, problem="P1 [x](y)", theme="a|b")
    assert sentence == "[Q3 复盘](q3.md) 的 P1 \\[x\\](y) 再次出现 \\*a\\|b\\*"
    assert md_format("- {x}", x="y").startswith("\\-")  # the sentence's start cannot start a list
