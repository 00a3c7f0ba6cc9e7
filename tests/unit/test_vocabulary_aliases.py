"""One tag vocabulary (extra.retrogen.tag_aliases): an alias counts as its canonical tag in every table,
page, filter, export and search result, and the user's files are never changed."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import openpyxl
import pytest

from retrogen.core.errors import ConfigError
from retrogen.engine.analysis import analyse
from retrogen.engine.model import Review
from retrogen.gate.config import load_config
from retrogen.gate.glossary import TagVocabulary, tag_key, tag_vocabulary
from retrogen.site.build import build_site

from ..cli.test_check_and_new import run
from ..conftest import TODAY, copy_knowledge_base

# The fixture reviews write the same themes in two languages: these pairs are one tag.
ALIASES = """    tag_aliases:
      决策链: [decision-chain, decision chain]
      定价: [pricing]
      需求挖掘: [discovery]
"""
ALIAS_NAMES = {"decision-chain", "decision chain", "pricing", "Pricing", "discovery"}


def with_settings(folder: Path, settings: str) -> Path:
    config = folder / "mkdocs.yml"
    text = config.read_text(encoding="utf-8").replace(
        "    reviews_dir: reviews\n", "    reviews_dir: reviews\n" + settings
    )
    config.write_text(text, encoding="utf-8")
    return folder


@pytest.fixture
def aliased(knowledge_base: Path) -> Path:
    return with_settings(knowledge_base, ALIASES)


def test_aliases_match_whatever_the_case_spacing_hyphens_or_underscores() -> None:
    vocabulary = tag_vocabulary({"决策链": ["decision-chain"], "定价": None}, "mkdocs.yml")
    for written in ("decision-chain", "Decision Chain", "decision_chain", "DECISION  CHAIN", "ｄｅｃｉｓｉｏｎ-chain"):
        assert vocabulary.canonical(written) == "决策链", written
    assert vocabulary.canonical("pricing") == "pricing"  # not an alias: kept as written
    assert vocabulary.canonical_tags(["decision-chain", "决策链", "rfp"]) == ("决策链", "rfp")
    assert tag_key("Decision-Chain") == tag_key("decision chain")


@pytest.mark.parametrize(
    ("value", "complaint"),
    [
        ("决策链", "must be a mapping of each canonical tag to the list of its aliases"),
        ("[decision-chain]", "must be a mapping of each canonical tag"),
        ("{决策链: decision-chain}", "must be a mapping of each canonical tag"),
        ("{决策链: [1]}", "must be a mapping of each canonical tag"),
        (
            "{决策链: [decision-chain], 流程: [Decision Chain]}",
            "'Decision Chain' is listed under both '决策链' and '流程'",
        ),
        ("{决策链: [定价], 定价: [pricing]}", "'定价', an alias of '决策链', is itself a canonical tag"),
        ("{Pricing: [], pricing: []}", "'pricing' and 'Pricing' are one tag"),
    ],
)
def test_a_vocabulary_that_cannot_be_one_is_refused_naming_the_file_and_key(
    knowledge_base: Path, value: str, complaint: str
) -> None:
    with_settings(knowledge_base, f"    tag_aliases: {value}\n")
    with pytest.raises(ConfigError) as error:
        load_config(knowledge_base / "mkdocs.yml")
    assert str(knowledge_base / "mkdocs.yml") in str(error.value)
    assert "extra.retrogen.tag_aliases" in str(error.value)
    assert complaint in str(error.value)
    code, out = run("check", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 2 and complaint in out and "Traceback" not in out


def test_no_setting_leaves_every_tag_as_written(knowledge_base: Path) -> None:
    assert load_config(knowledge_base / "mkdocs.yml").tags == TagVocabulary()
    lessons = analyse(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False).lessons
    assert "decision-chain" in {tag for tags in lessons["tags"] for tag in tags}


def test_aliases_count_as_their_canonical_tag_in_every_table(aliased: Path) -> None:
    before = {path.name: path.read_bytes() for path in (aliased / "reviews").iterdir()}
    plain = analyse(load_config(copy_knowledge_base(aliased.parent / "plain") / "mkdocs.yml"), TODAY, use_git=False)
    analysis = analyse(load_config(aliased / "mkdocs.yml"), TODAY, use_git=False)
    reviews = analysis.knowledge_base.reviews
    assert not ALIAS_NAMES & {t for r in reviews for t in (*r.tags, *(t for x in r.lessons for t in x.tags))}
    # themes: one row per canonical tag, seen in the reviews of both spellings
    themes = analysis.themes[analysis.themes["kind"] == "tag"].set_index("theme")
    plain_themes = plain.themes[plain.themes["kind"] == "tag"].set_index("theme")
    assert not ALIAS_NAMES & set(themes.index)
    assert (
        themes.loc["决策链", "reviews"]
        == len({r.id for r in reviews if _mentions(r, "决策链")})
        == (
            len(
                {r.id for r in plain.knowledge_base.reviews if _mentions(r, "决策链") or _mentions(r, "decision-chain")}
            )
        )
    )
    assert themes.loc["决策链", "reviews"] > plain_themes.loc["决策链", "reviews"]
    # lessons by tag: the canonical row counts the lessons of both spellings
    by_tag = analysis.lessons_by_tag.set_index("tag")["lessons"]
    plain_by_tag = plain.lessons_by_tag.set_index("tag")["lessons"]
    assert not ALIAS_NAMES & set(by_tag.index)
    assert by_tag["决策链"] == plain_by_tag["决策链"] + plain_by_tag["decision-chain"]
    assert by_tag["定价"] == plain_by_tag["定价"] + plain_by_tag["pricing"]
    # the lessons table (the lessons page's filter reads it) and the playbook's themes
    assert not ALIAS_NAMES & {t for tags in analysis.lessons["tags"] for t in tags}
    names = [section.theme for section in analysis.playbook.sections]
    assert not ALIAS_NAMES & set(names) and len(names) == len(set(names))
    assert "决策链" in names
    assert {path.name: path.read_bytes() for path in (aliased / "reviews").iterdir()} == before


def _mentions(review: Review, tag: str) -> bool:
    return tag in review.tags or any(tag in lesson.tags for lesson in review.lessons)


def test_exports_and_the_playbook_show_only_canonical_tags(aliased: Path) -> None:
    code, out = run("metrics", "--themes", "--format", "csv", "--lang", "en", "--today", "2026-11-20", cwd=aliased)
    assert code == 0
    themes = [row["theme"] for row in csv.DictReader(io.StringIO(out))]
    assert "决策链" in themes and not ALIAS_NAMES & set(themes)
    code, out = run("metrics", "--lessons", "--format", "json", "--today", "2026-11-20", cwd=aliased)
    assert code == 0
    tags = [row["tag"] for row in json.loads(out)]
    assert "定价" in tags and not ALIAS_NAMES & set(tags)
    code, _ = run("metrics", "-o", "m.xlsx", "--today", "2026-11-20", cwd=aliased)
    assert code == 0
    book = openpyxl.load_workbook(aliased / "m.xlsx")
    for sheet in ("themes", "lessons by tag"):
        cells = {str(cell.value) for row in book[sheet].iter_rows() for cell in row}
        assert "决策链" in cells and not ALIAS_NAMES & cells, sheet
    code, out = run("playbook", "--today", "2026-11-20", cwd=aliased)
    assert code == 0
    headings = [line for line in out.splitlines() if line.startswith("## ")]
    assert any("决策链" in h for h in headings)
    assert not any(alias in h.lower() for h in headings for alias in ("decision", "pricing", "discovery"))


def test_search_finds_a_canonical_tag_by_its_aliases_and_the_reverse(aliased: Path) -> None:
    report = build_site(load_config(aliased / "mkdocs.yml"), TODAY, use_git=False, strict=True)
    assert report.ok and report.site_dir is not None
    docs = json.loads((report.site_dir / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    pages = {entry["location"]: entry for entry in docs if "#" not in entry["location"]}
    # Every review written with decision-chain is tagged 决策链, and its page says decision-chain too.
    tagged = {loc for loc, entry in pages.items() if "决策链" in entry.get("tags", [])}
    assert {
        "reviews/2026-q2-emea-enterprise/",
        "reviews/2026-northwind-fleet-deal/",
        "reviews/2026-10-east-sales/",
    } <= tagged
    assert all("decision-chain" in pages[loc]["text"] for loc in tagged)
    assert not ALIAS_NAMES & {tag for entry in pages.values() for tag in entry.get("tags", [])}
    # The tags page lists each canonical tag with its aliases, as text search finds.
    tags_page = pages["tags/"]["text"].replace("\u200b", "")
    for tag, aliases in (("决策链", "decision-chain, decision chain"), ("定价", "pricing"), ("需求挖掘", "discovery")):
        assert tag in tags_page and aliases in tags_page
    # The listing of pages per tag stays out of the results: no section without text.
    assert all(entry["text"] for entry in docs if "#" in entry["location"])
    html = (report.site_dir / "tags" / "index.html").read_text(encoding="utf-8")
    assert 'href="#tag:%E5%86%B3%E7%AD%96%E9%93%BE"' in html and 'id="tag:决策链"' in html
    # The lessons page filters by canonical tags only, and each lesson carries its canonical tags.
    lessons = (report.site_dir / "lessons" / "index.html").read_text(encoding="utf-8")
    options = set(re.findall(r'<option value="([^"]*)">', lessons))
    row_tags = {tag for found in re.findall(r'data-tags="([^"]*)"', lessons) for tag in found.split("\n")}
    assert {"决策链", "定价", "需求挖掘"} <= options and not ALIAS_NAMES & (options | row_tags)
    assert "决策链" in row_tags
    playbook = (report.site_dir / "playbook" / "index.html").read_text(encoding="utf-8")
    headings = re.findall(r"<h2[^>]*>(.*?)</h2>", playbook)
    assert any("决策链" in h for h in headings) and not any(a in h for h in headings for a in ALIAS_NAMES)
