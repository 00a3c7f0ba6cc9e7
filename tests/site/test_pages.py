"""Generated Markdown (golden files) and a real MkDocs build of the example knowledge base."""

from __future__ import annotations

import datetime
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from retrogen.engine.analysis import analyse
from retrogen.gate.config import load_config
from retrogen.site.output import MARKER, write_pages
from retrogen.site.pages import build_pages

from .conftest import TODAY


@pytest.fixture
def pages(knowledge_base: Path) -> dict[str, str]:
    config = load_config(knowledge_base / "mkdocs.yml")
    return build_pages(analyse(config, TODAY, use_git=False), config)


@pytest.mark.parametrize(
    "name",
    [
        "reviews/2026-q3-east-sales.md",
        "reviews/2026-northwind-fleet-deal.md",
        "index.md",
        "actions.md",
        "reviews/index.md",
    ],
)
def test_generated_markdown_matches_golden(
    pages: dict[str, str], golden: Callable[[str, str], None], name: str
) -> None:
    golden("site/" + name.replace("/", "__"), pages[name])


def test_every_review_has_a_page(pages: dict[str, str], knowledge_base: Path) -> None:
    reviews = {p.stem for p in (knowledge_base / "reviews").glob("*.yaml")}
    assert {name[8:-3] for name in pages if name.startswith("reviews/") and name != "reviews/index.md"} == reviews


def test_site_pages_follow_theme_language_and_review_pages_their_review(knowledge_base: Path) -> None:
    config_file = knowledge_base / "mkdocs.yml"
    config_file.write_text(config_file.read_text().replace("language: zh", "language: en"))
    config = load_config(config_file)
    pages = build_pages(analyse(config, TODAY, use_git=False), config)
    assert "# Action tracker" in pages["actions.md"]
    assert "## 目标与结果 { #kpis }" in pages["reviews/2026-q3-east-sales.md"]  # a Chinese review stays Chinese
    assert "## Targets and results { #kpis }" in pages["reviews/2026-northwind-fleet-deal.md"]


def test_an_english_review_has_english_headings_on_a_chinese_site(pages: dict[str, str]) -> None:
    northwind = pages["reviews/2026-northwind-fleet-deal.md"]
    assert "## Targets and results { #kpis }" in northwind and "## Action plan { #actions" in northwind
    assert "目标与结果" not in northwind


def test_submit_page_documents_every_field_and_code(pages: dict[str, str]) -> None:
    submit = pages["submit.md"]
    for field in ("`actions[].owner`", "`metrics[].better`", "`period.start`", "RG130", "RG201"):
        assert field in submit


def test_writes_only_changed_files_and_removes_stale_ones(tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    first = write_pages(folder, {"a.md": "A", "sub/b.md": "B"})
    assert first.written == ["a.md", "sub/b.md"]
    stamp = (folder / "a.md").stat().st_mtime_ns
    second = write_pages(folder, {"a.md": "A", "c.md": "C"})
    assert second.written == ["c.md"] and second.unchanged == 1 and second.removed == ["sub/b.md"]
    assert (folder / "a.md").stat().st_mtime_ns == stamp
    assert not (folder / "sub").exists() and (folder / MARKER).is_file()


def test_refuses_a_docs_dir_it_did_not_generate(tmp_path: Path) -> None:
    from retrogen.core.errors import BuildError

    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "mine.md").write_text("precious")
    with pytest.raises(BuildError):
        write_pages(tmp_path / "docs", {"index.md": "x"})
    assert (tmp_path / "docs" / "mine.md").read_text() == "precious"


@pytest.mark.slow
def test_real_build_is_offline_compact_and_complete(built_site: Path) -> None:
    for page in (
        "index.html",
        "reviews/index.html",
        "reviews/2026-q3-east-sales/index.html",
        "lessons/index.html",
        "playbook/index.html",
        "actions/index.html",
        "metrics/index.html",
        "tags/index.html",
        "submit/index.html",
    ):
        assert (built_site / page).is_file(), page
    html = (built_site / "reviews" / "2026-q3-east-sales" / "index.html").read_text()
    # sections only in the navigation: no page lists every review
    assert html.count("2026-q1-east-sales") == 0
    for path in built_site.rglob("*.html"):
        text = path.read_text()
        external = re.findall(r'(?:src|href)="(https?://[^"]+)"', text)
        assert [u for u in external if re.search(r"\.(js|css|woff2?)(\?|$)", u)] == [], path
        assert "fonts.googleapis" not in text
    index = json.loads((built_site / "search" / "search_index.json").read_text())
    locations = {doc["location"].split("#")[0] for doc in index["docs"]}
    assert "reviews/2026-q3-east-sales/" in locations
    assert "lessons/" not in locations and "actions/" not in locations  # summaries are not indexed twice
    raw = (built_site / "search" / "search_index.json").read_text()
    assert not re.search(r"\\u[3-9][0-9a-f]{3}", raw)  # Chinese written as UTF-8, not \uXXXX escapes


def test_a_reviews_actions_are_found_by_search(built_site: Path) -> None:
    # The action plan is one table: its rows are indexed under the section's anchor, their badges are not.
    index = json.loads((built_site / "search" / "search_index.json").read_text())
    plan = [doc["text"] for doc in index["docs"] if doc["location"] == "reviews/2026-northwind-fleet-deal/#actions"]
    assert len(plan) == 1
    text = plan[0].replace("\u200b", "")
    assert "Add an economic-buyer field to the opportunity stage gate in CRM" in text and "Priya Raman" in text
    assert "carried" not in text.split("Priya Raman", 1)[1]  # the state badge is for the eye, not for search


def test_the_home_page_is_titled_with_the_site_name_once(built_site: Path) -> None:
    # the document's title, in its head (charts' SVG titles are in the body)
    titles = {
        page: re.findall(r"<title>(.*?)</title>", (built_site / page).read_text().split("</head>")[0])
        for page in ("index.html", "lessons/index.html")
    }
    assert titles == {"index.html": ["销售复盘知识库"], "lessons/index.html": ["经验库 - 销售复盘知识库"]}


@pytest.mark.slow
def test_attack_review_is_inert_in_the_html(built_site: Path) -> None:
    html = (built_site / "reviews" / "attack-review" / "index.html").read_text()
    assert "<script>alert" not in html
    assert not re.search(r"<[a-z]+[^>]*\son[a-z]+\s*=", html, re.IGNORECASE)
    assert not re.search(r'<[a-z]+[^>]*href="\s*javascript:', html, re.IGNORECASE)
    assert "&lt;script&gt;alert(&#39;title&#39;)" in html or "&lt;script&gt;alert('title')" in html


def test_a_quarter_follows_up_the_months_since_the_previous_quarter_by_review(knowledge_base: Path) -> None:
    q3 = (knowledge_base / "reviews" / "2026-q3-east-sales.yaml").read_text(encoding="utf-8")
    q4 = (
        q3.replace("id: 2026-q3-east-sales", "id: 2026-q4-east-sales")
        .replace("label: 2026-Q3", "label: 2026-Q4")
        .replace("start: 2026-07-01", "start: 2026-10-01")
        .replace("end: 2026-09-30", "end: 2026-12-31")
        .replace("held_on: 2026-10-12", "held_on: 2026-11-19")
    )
    (knowledge_base / "reviews" / "2026-q4-east-sales.yaml").write_text(q4, encoding="utf-8")
    config = load_config(knowledge_base / "mkdocs.yml")
    page = build_pages(analyse(config, TODAY, use_git=False), config)["reviews/2026-q4-east-sales.md"]
    section = page.split("{ #follow-up", 1)[1].split("</div>", 1)[0]
    # Q3 (the previous quarter), then the October review held since: every action of both, grouped by review.
    groups = re.findall(r"^\*\*\[[^]]+\]\(([^)]+)\.md\)\*\*", section, re.MULTILINE)
    assert groups[-2:] == ["2026-q3-east-sales", "2026-10-east-sales"]
    october = section.split("(2026-10-east-sales.md)**", 1)[1]
    listed = re.findall(r"^\| \[(A\d)\]\(2026-10-east-sales\.md#a\d\) \|", october, re.MULTILINE)
    assert listed == ["A1", "A2", "A3", "A4"]


def _action_row(page: str, anchor: str) -> str:
    """The row of the action plan that the anchor (#a3) points to."""
    return page.split(f'<tr id="{anchor}"', 1)[1].split("</tr>", 1)[0]


def test_a_carried_action_shows_its_slip_and_the_tracker_lists_the_most_slipped_first(pages: dict[str, str]) -> None:
    # 2025-q4:A2 due 2026-03-31 -> 2026-q1:A3 -> 2026-q2:A3 due 2026-08-15: twice, 137 days.
    twice = _action_row(pages["reviews/2026-q2-east-sales.md"], "a3")
    assert "原定 <time>2026-03-31</time> · 第2次结转 · 推迟 137 天" in twice
    english = _action_row(pages["reviews/2026-q3-emea-enterprise.md"], "a4")
    assert "originally due <time>2026-11-30</time> · carried once · slipped 0 days" in english
    never = _action_row(pages["reviews/2026-10-east-sales.md"], "a4")
    assert "rg-slip" not in never  # never carried: nothing to say
    slipped = pages["actions.md"].split('<table id="rg-slipped"')[1].split("</table>")[0]
    assert re.findall(r'data-slip_days="(-?\d+)"', slipped) == ["137", "76", "19", "10", "0"]


def test_an_empty_overdue_list_is_a_sentence_not_a_bare_table(knowledge_base: Path) -> None:
    config = load_config(knowledge_base / "mkdocs.yml")
    before_any_due = datetime.date(2026, 1, 2)
    tracker = build_pages(analyse(config, before_any_due, use_git=False), config)["actions.md"]
    assert '<table id="rg-overdue"' not in tracker
    assert '<p class="rg-none-text" data-empty-for="rg-overdue">无。</p>' in tracker  # shown: no `hidden`
