"""`serve`'s MkDocs plugin that keeps a dirty build's site-wide files whole: the search index and the tags.

A dirty build reads and builds only the pages written since the last build, and Material's plugins then see
only those. Its search merges the last index with this build's entries on the assumption that one page
changed: after a save that rewrote several pages (a figure's: the metrics page, a team's, some reviews'), the
old entries of all but the first stayed searchable beside the new ones. Its tags saw only the rewritten
pages: the tags page (not rewritten) lost every other page, and the rewritten pages' tags lost their links.
Here the search index drops the last entries of every page built again, the tags plugin is told every
page's tags, and the pages that list tags are built again on every dirty build. The index is written as
Material writes it, each entry's JSON kept while the entry is (a dirty build keeps every page's but the
built ones'): written whole, a thousand reviews' index took a tenth of a second of every save."""

from __future__ import annotations

import json
import os
from functools import partial
from typing import TYPE_CHECKING, Any

from mkdocs.plugins import BasePlugin, event_priority

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.files import Files
    from mkdocs.structure.nav import Navigation
    from mkdocs.structure.pages import Page

# What marks a page that lists the tags (Material's default listings_directive).
TAGS_LISTING = "<!-- material/tags"


def _always() -> bool:
    return True


class WholeDirtyBuilds(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """See the module's note; `dirty` is set by the server before each build."""

    def __init__(self) -> None:
        self.dirty = False
        self._built: set[str] = set()  # the URLs of the pages this build built
        self._listing: set[str] = set()  # the pages that list the tags, by source path
        # Each page's source as last read, by its path, with the file's stamp: (stamp, markdown, meta).
        self._sources: dict[str, tuple[tuple[int, int], str, dict[str, Any]]] = {}
        # The search index's entries as JSON, by the entry's id() (with the entry, which keeps the id its own).
        self._entries: dict[int, tuple[dict[str, Any], str]] = {}

    def on_pre_build(self, *, config: MkDocsConfig) -> None:
        self._built = set()

    def on_files(self, files: Files, *, config: MkDocsConfig) -> Files:
        if self.dirty:
            for file in files.documentation_pages():
                if file.src_uri in self._listing:
                    file.is_modified = _always  # type: ignore[method-assign]
        return files

    @event_priority(100)  # before the pages are read: the tags plugin collects them in file order
    def on_nav(self, nav: Navigation, *, config: MkDocsConfig, files: Files) -> Navigation:
        tags = [plugin for plugin in config.plugins.values() if hasattr(plugin, "mappings")]
        if not self.dirty or not tags:
            return nav
        for file in files.documentation_pages():
            page = file.page
            if page is None:
                continue
            self._read(page, config)
            for plugin in tags:
                if plugin.config.enabled and plugin.filter(file):
                    plugin.mappings.add(page, page.markdown)
        return nav

    def _read(self, page: Page, config: MkDocsConfig) -> None:
        """page.read_source, kept while the file is unchanged."""
        path = page.file.abs_src_path
        assert path is not None
        stat = os.stat(path)
        stamp = (stat.st_mtime_ns, stat.st_size)
        known = self._sources.get(path)
        if known is not None and known[0] == stamp:
            page.markdown, page.meta = known[1], dict(known[2])
            return
        page.read_source(config)
        assert page.markdown is not None
        self._sources[path] = (stamp, page.markdown, dict(page.meta))

    @event_priority(100)
    def on_page_markdown(self, markdown_text: str, *, page: Page, config: MkDocsConfig, files: Files) -> str:
        if TAGS_LISTING in markdown_text:
            self._listing.add(page.file.src_uri)
        else:
            self._listing.discard(page.file.src_uri)
        return markdown_text

    def on_page_context(self, context: Any, *, page: Page, config: MkDocsConfig, nav: Navigation) -> Any:
        self._built.add(page.url)
        return context

    @event_priority(100)  # before the search plugin writes its index
    def on_post_build(self, *, config: MkDocsConfig) -> None:
        for plugin in config.plugins.values():
            if not hasattr(plugin, "search_index"):
                continue
            index = plugin.search_index
            material = partial(type(index).generate_search_index, index)
            index.generate_search_index = partial(self._search_index, index, material)
            last = getattr(plugin, "search_index_prev", None)
            if last is None:
                continue
            kept = [entry for entry in last.entries if entry["location"].split("#")[0] not in self._built]
            index.entries = kept + index.entries
            plugin.search_index_prev = None  # merged: Material's own merge would drop or keep the wrong ones

    def _search_index(self, index: Any, material: Any, last: Any) -> str:
        """The index's JSON, as Material's generate_search_index (`material`) writes it (json.dumps of its
        configuration and entries), each entry's kept from the last build while the entry is the same."""
        if last is not None:  # not merged here
            return str(material(last))
        settings = {key: index.config[key] for key in ["lang", "separator", "pipeline", "fields"]}
        written: dict[int, tuple[dict[str, Any], str]] = {}
        texts = []
        for entry in index.entries:
            known = self._entries.get(id(entry))
            if known is None or known[0] is not entry:
                known = (entry, _json(entry))
            written[id(entry)] = known
            texts.append(known[1])
        self._entries = written
        return f'{{"config":{_json(settings)},"docs":[{",".join(texts)}]}}'

    def on_shutdown(self) -> None:
        self._sources.clear()
        self._entries.clear()


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), default=str)  # as Material writes its index
