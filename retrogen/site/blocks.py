"""`serve`'s MkDocs plugin that converts each raw HTML block of a page (a chart with its table) once: a save
that changes one team's figure converts that team's blocks again, not the whole metrics page.

Python-Markdown reads every tag of a raw HTML block twice (MkDocs looks for anchors, md_in_html for the
block's end) and puts the block into the page as it read it: at 1,000 reviews the metrics page is 5 MB of
charts and tables and took 2.3 s of each save's MkDocs pass. A top-level block converts to the same HTML
wherever it stands, so the plugin converts each block alone (once per distinct text, kept between builds),
hands Markdown the page with a short block of its own in each one's place, and puts the converted blocks back
into the HTML before any other plugin sees it. A block converts alone to anything but itself as one raw
block (it was not one), or its stand-in is not in the page's HTML once (the page put it elsewhere), and the
page is converted whole, as MkDocs would."""

from __future__ import annotations

import re
import secrets
from html.parser import HTMLParser
from typing import TYPE_CHECKING, Any

from mkdocs.plugins import BasePlugin, event_priority

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.pages import Page

# A block starts at a line's start with a <div> after a blank line, and ends at the line that closes it,
# before a blank line; Markdown's own rule for a raw block, narrowed to what retrogen's pages write.
_OPENS = re.compile(r"<div[\s>]")
_CLOSES = re.compile(r"</div\s*>")
# md_in_html converts the inside of an element with this attribute: such a block is no raw block, and a
# page that has one may hold the others inside it.
_MARKDOWN_INSIDE = re.compile(r"<[a-zA-Z][^>]*\smarkdown(?:[\s=>/])")
# The paragraph a block is converted with (see KeptBlocks._alone).
_AFTER = "rgblockend"
# Smaller blocks cost less to convert than to set aside.
SMALLEST_BLOCK = 2000


class _Anchors(HTMLParser):
    """The anchors a block holds, as MkDocs collects them from raw HTML (for its link validation)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if value is not None and (name == "id" or (name == "name" and tag == "a")):
                self.found.add(value)


def raw_blocks(text: str) -> list[tuple[int, int]]:
    """The line spans (first, past the last) of the <div> blocks of `text` that stand alone between blank
    lines; none when the page has an element whose inside Markdown converts."""
    lines = text.split("\n")
    spans: list[tuple[int, int]] = []
    number = 0
    while number < len(lines):
        line = lines[number]
        if line.startswith("<div") and _OPENS.match(line) and (number == 0 or not lines[number - 1].strip()):
            depth, end = 0, number
            while end < len(lines):
                depth += len(_OPENS.findall(lines[end])) - len(_CLOSES.findall(lines[end]))
                end += 1
                if depth <= 0:
                    break
            if depth == 0 and (end == len(lines) or not lines[end].strip()):
                spans.append((number, end))
                number = end
                continue
        number += 1
    return spans


class KeptBlocks(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """Converts each raw HTML block once (see the module's note); one instance per serve."""

    def __init__(self) -> None:
        self._nonce = secrets.token_hex(8)
        # A block's text -> its HTML and anchors, as Markdown converts it alone: the last build's and this one's.
        self._converted: dict[str, tuple[str, frozenset[str]] | None] = {}
        self._converted_now: dict[str, tuple[str, frozenset[str]] | None] = {}
        # The blocks of each page as last converted, by source path: what is kept is what the pages hold.
        self._blocks_of: dict[str, list[str]] = {}
        self._markdown: Any = None  # a markdown.Markdown (which has no type hints) during a build
        # Per page being converted: its Markdown as written, and its blocks' stand-ins with their HTML.
        self._pages: dict[str, tuple[str, list[tuple[str, str, frozenset[str]]]]] = {}

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        import markdown  # type: ignore[import-untyped]

        # One converter per build: the configuration (its extensions) may have been read again.
        self._markdown = markdown.Markdown(
            extensions=config["markdown_extensions"], extension_configs=config["mdx_configs"] or {}
        )
        self._converted_now = {}

    def on_post_build(self, *, config: MkDocsConfig) -> None:
        # A dirty build converts the changed pages alone: what the others hold is kept for the next save, and
        # what no page holds any more is let go (a long serve would otherwise keep every table it ever drew).
        held = {block for blocks in self._blocks_of.values() for block in blocks}
        converted = {**self._converted, **self._converted_now}
        self._converted = {block: known for block, known in converted.items() if block in held}
        self._converted_now = {}
        self._markdown = None

    def _alone(self, block: str) -> tuple[str, frozenset[str]] | None:
        """The block's HTML and anchors, converted alone; None when it is not one raw block."""
        if block in self._converted_now:
            return self._converted_now[block]
        if block in self._converted:
            known = self._converted[block]
        else:
            assert self._markdown is not None, "on_pre_build first"
            converter = self._markdown.reset()
            # Followed by a paragraph, as in the page: a block that Markdown reads on past its last line takes
            # the paragraph in, one it ends earlier is more than one raw block.
            html: str = converter.convert(f"{block}\n\n{_AFTER}")
            stash = converter.htmlStash
            known = None
            if stash.html_counter == 1 and html == f"{stash.rawHtmlBlocks[0]}\n<p>{_AFTER}</p>":
                anchors = _Anchors()
                anchors.feed(block)
                anchors.close()
                known = (html[: -len(f"\n\n<p>{_AFTER}</p>")], frozenset(anchors.found))
        self._converted_now[block] = known
        return known

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        pages = {file.src_uri for file in files.documentation_pages()}
        self._blocks_of = {page: blocks for page, blocks in self._blocks_of.items() if page in pages}
        return files

    @event_priority(-100)  # after every other plugin's: they read the page as written
    def on_page_markdown(self, markdown_text: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        self._blocks_of[page.file.src_uri] = []
        if len(markdown_text) < SMALLEST_BLOCK or self._markdown is None or _MARKDOWN_INSIDE.search(markdown_text):
            return markdown_text
        lines = markdown_text.split("\n")
        kept: list[tuple[str, str, frozenset[str]]] = []
        last = 0
        parts: list[str] = []
        for first, end in raw_blocks(markdown_text):
            block = "\n".join(lines[first:end])
            self._blocks_of[page.file.src_uri].append(block)
            converted = self._alone(block) if len(block) >= SMALLEST_BLOCK else None
            if converted is None:
                continue
            stand_in = f'<div data-rg-block="{self._nonce}-{len(kept)}"></div>'
            kept.append((stand_in, *converted))
            parts += [*lines[last:first], stand_in]
            last = end
        if not kept:
            return markdown_text
        self._pages[page.file.src_uri] = (markdown_text, kept)
        return "\n".join([*parts, *lines[last:]])

    @event_priority(100)  # before every other plugin's: they read the page's HTML as MkDocs made it
    def on_page_content(self, html: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        pending = self._pages.pop(page.file.src_uri, None)
        if pending is None:
            return html
        written, kept = pending
        page.markdown = written
        pieces = html.split("\n")  # a stand-in is a line of its own, as its block's lines were
        mark = f'<div data-rg-block="{self._nonce}-'
        found = [(line, number) for number, line in enumerate(pieces) if line.startswith(mark)]
        where = dict(found)
        if len(found) != len(kept) or set(where) != {stand_in for stand_in, _, _ in kept}:
            page.render(config, files)  # not as expected: the page as MkDocs converts it
            return str(page.content)
        for stand_in, block_html, _ in kept:
            pieces[where[stand_in]] = block_html
        anchors: set[str] = set(page.present_anchor_ids or ())
        for _, _, block_anchors in kept:
            anchors |= block_anchors
        page.present_anchor_ids = anchors
        return "\n".join(pieces)

    def on_shutdown(self) -> Any:
        self._converted.clear()
        self._blocks_of.clear()
