"""`serve`'s MkDocs plugins (retrogen/site/blocks.py, dirty.py): the site serve builds, clean and after a
save, is the site MkDocs builds from the same pages in one clean build (byte for byte, the search index's
entries in any order), and a save converts again only the raw HTML blocks that changed. Before dirty.py a
save that rewrote several pages left the old entries of all but one in the search index, the tags page and
tags.json with the rewritten pages alone, and the rewritten pages' tags without their links."""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from mkdocs.plugins import event_priority

from retrogen.gate.config import load_config
from retrogen.site import blocks, dirty
from retrogen.site.blocks import KeptBlocks, raw_blocks
from retrogen.site.build import generate, load_mkdocs_config
from retrogen.site.serve import Regenerator, SiteServer

from .test_serve_regeneration import FIGURE_SAVES, edit

TODAY = date(2026, 11, 20)
SERVE_URL = "http://127.0.0.1:8000/"


def plain_site(regenerator: Regenerator, site: Path) -> dict[str, bytes]:
    """The site MkDocs builds from the generated pages, as serve's first build does but without the plugin."""
    from mkdocs.commands.build import build

    mkdocs_config = load_mkdocs_config(regenerator.config, site)
    mkdocs_config.site_url = SERVE_URL
    mkdocs_config.plugins.on_startup(command="serve", dirty=False)
    try:
        build(mkdocs_config, serve_url=SERVE_URL)
    finally:
        mkdocs_config.plugins.on_shutdown()
    return files_of(site)


def searched(index: bytes) -> tuple[object, list[str]]:
    data = json.loads(index)
    return data["config"], sorted(json.dumps(entry, sort_keys=True) for entry in data["docs"])


def files_of(site: Path) -> dict[str, bytes]:
    return {str(path.relative_to(site)): path.read_bytes() for path in site.rglob("*") if path.is_file()}


def served(regenerator: Regenerator, site: Path) -> SiteServer:
    server = SiteServer(regenerator, str(site), "127.0.0.1:8000", lambda regeneration: None)
    server.mkdocs_config.site_url = server.url
    server.mkdocs_config.plugins.on_startup(command="serve", dirty=True)
    return server


def assert_same_site(server: SiteServer, regenerator: Regenerator, plain: Path) -> None:
    expected, got = plain_site(regenerator, plain), files_of(Path(server.site_dir))
    assert sorted(got) == sorted(expected)
    index = "search/search_index.json"
    # A dirty build appends the entries of the pages it built: the same entries, in another order.
    assert searched(got.pop(index)) == searched(expected.pop(index))
    assert [name for name in expected if got[name] != expected[name]] == [], [
        (name, len(got[name]), len(expected[name])) for name in expected if got[name] != expected[name]
    ]


@pytest.fixture
def every_block(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every block set aside, however small: the fixture's pages are a few, and small."""
    monkeypatch.setattr(blocks, "SMALLEST_BLOCK", 0)


@pytest.mark.usefixtures("every_block")
def test_the_served_site_is_the_site_mkdocs_builds(knowledge_base: Path, tmp_path: Path) -> None:
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    server = served(regenerator, tmp_path / "served")
    server.build(clean=True)
    server.mkdocs_config.plugins.on_shutdown()
    # Built last: MkDocs keeps one instance of Material's plugins per process, and a build on its own would
    # reset the server's (its search index of the pages not built again).
    assert_same_site(server, regenerator, tmp_path / "plain")


@pytest.mark.usefixtures("every_block")
def test_after_a_save_the_site_is_whole_and_only_changed_blocks_were_converted(
    knowledge_base: Path, tmp_path: Path
) -> None:
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    server = served(regenerator, tmp_path / "served")
    converted: list[str] = []
    alone = KeptBlocks._alone

    def counted(plugin: KeptBlocks, block: str) -> object:
        if block not in plugin._converted_now and block not in plugin._converted:
            converted.append(block)
        return alone(plugin, block)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(KeptBlocks, "_alone", counted)
        server.build(clean=True)
        first = list(converted)
        assert len(first) > 10  # the charts and tables of the metrics page, the team pages, the dashboard...
        # A KPI's actual: on the metrics page, its team's page and the review's page; the rest as they were.
        review = knowledge_base / "reviews/2026-q2-emea-enterprise.yaml"
        review.write_text(review.read_text(encoding="utf-8").replace("actual: 2460", "actual: 2470"), "utf-8")
        converted.clear()
        server.rebuild()
        assert converted and len(converted) < len(first) / 3, (len(converted), len(first))
        assert any("2,470" in block for block in converted)
    # What no page holds any more is let go: the tables with the old figure.
    assert server.blocks._converted and not [block for block in server.blocks._converted if "2,460" in block]
    server.mkdocs_config.plugins.on_shutdown()
    expected, got = plain_site(regenerator, tmp_path / "plain"), files_of(Path(server.site_dir))
    for page in ("metrics/index.html", "teams/enterprise-sales-emea/index.html"):
        assert b"2,470" in got[page] and got[page] == expected[page], page
    assert_same_site(server, regenerator, tmp_path / "plain-again")


@pytest.mark.usefixtures("every_block")
def test_a_block_that_is_not_raw_html_is_left_to_markdown(knowledge_base: Path, tmp_path: Path) -> None:
    """A block that Markdown does not keep as it is (a <div> with Markdown inside, one it reads on past, an
    unclosed one) is not set aside: the page converts as MkDocs converts it."""
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    extra = regenerator.config.generated_dir / "extra.md"
    extra.write_text(
        '# Extra\n\n<div class="a">\n<p>kept</p>\n</div>\n\n<div class="b">\n\n*emphasis*\n\n</div>\n\n'
        # closed by a count of tags, where Markdown reads on: the attribute's </div> is no tag
        '<div class="d">\n<span title="</div>">closed?</span>\n\nread on\n\n'
        '<div class="c">\n<div>\n\nunclosed\n\n',
        encoding="utf-8",
    )
    server = served(regenerator, tmp_path / "served")
    server.build(clean=True)
    server.mkdocs_config.plugins.on_shutdown()
    assert_same_site(server, regenerator, tmp_path / "plain")


def test_raw_blocks_stand_between_blank_lines() -> None:
    text = "# T\n\n<div a>\n<div>x</div>\n</div>\n\nprose\n<div b>\n</div>\n\n<div c>\n</div>\ntail\n\n<div d></div>"
    lines = text.split("\n")
    assert [lines[first:end] for first, end in raw_blocks(text)] == [
        ["<div a>", "<div>x</div>", "</div>"],
        ["<div d></div>"],
    ]


def test_a_page_whose_stand_ins_went_astray_is_converted_whole(knowledge_base: Path, tmp_path: Path) -> None:
    """Should Markdown put a block's stand-in anywhere but on a line of its own, the page is converted whole,
    as MkDocs converts it: never a page with a stand-in in it."""
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocks, "SMALLEST_BLOCK", 0)
        on_page_markdown = KeptBlocks.on_page_markdown

        def astray(plugin: KeptBlocks, markdown_text: str, **kwargs: Any) -> str:
            text = on_page_markdown(plugin, markdown_text, **kwargs)
            return re.sub(r'^(<div data-rg-block="[^"]*"></div>)$', r"> \1", text, flags=re.MULTILINE)

        patch.setattr(KeptBlocks, "on_page_markdown", event_priority(-100)(astray))
        server = served(regenerator, tmp_path / "served")  # its plugin's events are taken as it is added
        server.build(clean=True)
    site = files_of(Path(server.site_dir))
    assert not [name for name, content in site.items() if b"data-rg-block" in content]
    server.mkdocs_config.plugins.on_shutdown()
    assert_same_site(server, regenerator, tmp_path / "plain")


def test_after_figures_saves_the_served_site_is_the_site_mkdocs_builds(knowledge_base: Path, tmp_path: Path) -> None:
    """Each save changes figures that pages other than the saved review's show (a verdict, the team's page),
    which `serve` keeps or builds again by what they are made from: the site stays whole."""
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    server = served(regenerator, tmp_path / "served")
    server.build(clean=True)
    # Compared once, at the end (a plain build would reset the server's plugins): the saves that do not
    # undo each other, so that a page wrongly kept after one is still wrong at the end.
    for saved, old, new, _ in FIGURE_SAVES[:2]:
        edit(knowledge_base / f"reviews/{saved}.yaml", old, new)
        server.rebuild()
    server.mkdocs_config.plugins.on_shutdown()
    # The plain site from a full generation's pages (no memo): a page kept wrongly differs from it.
    assert generate(regenerator.config, TODAY, use_git=False, cache=False).ok
    assert_same_site(server, regenerator, tmp_path / "plain")


def test_a_dirty_build_writes_the_search_index_as_material_does_from_the_entries_of_the_pages_it_built(
    knowledge_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A save's build writes the JSON of the entries of the pages it built alone, the others' kept from the
    last build; the index is what Material writes (json.dumps of the whole, compact)."""
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    server = served(regenerator, tmp_path / "served")
    server.build(clean=True)
    written: list[Any] = []
    to_json = dirty._json
    monkeypatch.setattr(dirty, "_json", lambda value: written.append(value) or to_json(value))
    saved, old, new, _ = FIGURE_SAVES[0]
    edit(knowledge_base / f"reviews/{saved}.yaml", old, new)
    server.rebuild()
    text = (tmp_path / "served" / "search" / "search_index.json").read_text(encoding="utf-8")
    data = json.loads(text)
    assert text == json.dumps(data, separators=(",", ":"))
    entries = [value for value in written if "location" in value]
    assert entries and len(entries) < len(data["docs"]) / 2, (len(entries), len(data["docs"]))
    # the pages the save rewrote: its own, and those of its team's reviews that show its figures
    assert all("east-sales" in entry["location"] for entry in entries), entries
    monkeypatch.undo()
    server.mkdocs_config.plugins.on_shutdown()
    assert generate(regenerator.config, TODAY, use_git=False, cache=False).ok
    assert_same_site(server, regenerator, tmp_path / "plain")
