"""`build`'s MkDocs plugin that drops the theme's indentation from every HTML page as MkDocs writes it.

Material's templates indent every page: a tenth of a review's page, for a browser that reads "\\n        <a"
as it reads "\\n<a" (outside <pre>, a run of white space is one space). The page's <article> is left as
MkDocs wrote it (a review's text could sit in <pre> or a CSS pre context), so what a page shows is unchanged.
Done on each page in memory before MkDocs writes it: reading every page of the site back and writing it
again after the build cost a read and a write per page."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from mkdocs.plugins import BasePlugin, event_priority

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
    from mkdocs.structure.pages import Page

_INDENT = re.compile(r"\n[ \t]+")


def unindented(page: str) -> str:
    """`page` without the indentation of its lines outside its <article>; a page without one, as it is."""
    start, end = page.find("<article"), page.rfind("</article>")
    if start < 0 or end < start:
        return page
    return _INDENT.sub("\n", page[:start]) + page[start:end] + _INDENT.sub("\n", page[end:])


class Unindented(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """See the module's note. Last of the plugins, so that it sees each page as it will be written."""

    @event_priority(-100)
    def on_post_page(self, output: str, *, page: Page, config: MkDocsConfig) -> str:
        return unindented(output)

    @event_priority(-100)  # the theme's own pages (404.html), but not sitemap.xml
    def on_post_template(self, output_content: str, *, template_name: str, config: MkDocsConfig) -> str:
        return unindented(output_content) if template_name.endswith(".html") else output_content
