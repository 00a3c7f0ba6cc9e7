"""Every link and resource of the built site leads somewhere: relative hrefs and srcs name a file of the site,
and an anchor names an id on its page. MkDocs rewrites Markdown links but not raw HTML ones, so a template
that writes `<a href="other.md">` breaks on the built site; this walks the HTML a reader gets."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if name in ("href", "src") and value and tag in ("a", "img", "script", "link"):
                self.links.append(value)


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _target(site: Path, page: Path, link: str) -> tuple[Path, str] | None:
    parts = urlsplit(link)
    if parts.scheme or parts.netloc or link.startswith(("mailto:", "data:")):
        return None  # not the site's own (test_pages asserts there are no remote resources)
    path = unquote(parts.path)
    target = page if not path else (page.parent / path).resolve()
    if target.is_dir():
        target = target / "index.html"
    return target, unquote(parts.fragment)


def broken_links(site: Path) -> list[str]:
    """Every relative link of the site's pages that names no file of the site, or no id on its page."""
    site = site.resolve()
    parsed: dict[Path, _Links] = {}
    broken = []
    for page in sorted(site.rglob("*.html")):
        if page.name == "404.html":
            continue  # served at any depth: its links are absolute to the site's URL
        for link in _parse(page).links:
            found = _target(site, page, link)
            if found is None:
                continue
            target, anchor = found
            if not target.is_file() or site not in target.parents:
                broken.append(f"{page.relative_to(site)}: {link}")
            elif anchor and target.suffix == ".html" and re.fullmatch(r"[\w-]+", anchor):
                ids = parsed.setdefault(target, _parse(target)).ids
                if anchor not in ids:
                    broken.append(f"{page.relative_to(site)}: {link} (no #{anchor})")
    return broken


def test_every_relative_link_and_anchor_of_the_built_site_resolves(built_site: Path) -> None:
    broken = broken_links(built_site)
    assert not broken, "\n".join(broken[:40])
