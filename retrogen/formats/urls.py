"""Where every page of the site lives and how to link to it: a review, an action or a lesson on it, a team page,
the lessons library and the action tracker, in both of MkDocs' URL styles (`use_directory_urls`), relative
inside the site or absolute with `site_url`, for the links that leave it (reminders, reports, pull requests' summaries).

A place is named by its source page (inside docs_dir) and an anchor; the URL is derived from the source the
way MkDocs derives it, so that the site, its raw-HTML links and every link that leaves the site agree.
"""

from __future__ import annotations

import posixpath
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

DASHBOARD = "index.md"
REVIEWS = "reviews/index.md"
LESSONS = "lessons.md"
PLAYBOOK = "playbook.md"
TRACKER = "actions.md"
METRICS = "metrics.md"
TAGS = "tags.md"
SUBMIT = "submit.md"
TEAMS = "teams/index.md"


@dataclass(frozen=True)
class Place:
    """A page of the site (its Markdown source inside docs_dir) and, optionally, an anchor on it."""

    page: str
    anchor: str = ""


def review_page(review_id: str) -> str:
    return f"reviews/{review_id}.md"


def report_file(review_id: str) -> str:
    """The review's 《复盘报告》 as a Word document, beside its page."""
    return f"reviews/{review_id}.docx"


def team_page(slug: str) -> str:
    return f"teams/{slug}.md"


def review(review_id: str) -> Place:
    return Place(review_page(review_id))


def item(review_id: str, item_id: str) -> Place:
    """An action (A1) or a lesson (L1) on its review's page: the page gives each an anchor, its id lower-cased."""
    return Place(review_page(review_id), item_id.lower())


def reference(text: str) -> Place:
    """The place of "2026-10-east-sales:A3" (how a carried action names the action that continues it)."""
    review_id, _, item_id = text.partition(":")
    return item(review_id, item_id) if item_id else review(review_id)


def report(review_id: str) -> Place:
    return Place(report_file(review_id))


def team(slug: str) -> Place:
    return Place(team_page(slug))


def tracker(anchor: str = "") -> Place:
    """The action tracker, or a section of it (#overdue)."""
    return Place(TRACKER, anchor)


@dataclass(frozen=True)
class SiteUrls:
    """The site's URL style, from mkdocs.yml: folders (reviews/x/) or files (reviews/x.html), and its address."""

    directory_urls: bool = True
    site_url: str | None = None

    @classmethod
    def of(cls, mkdocs: Mapping[str, Any]) -> SiteUrls:
        site_url = mkdocs.get("site_url")
        return cls(mkdocs.get("use_directory_urls", True) is not False, str(site_url) if site_url else None)

    def path(self, page: str) -> str:
        """The page's URL from the site's root, as MkDocs writes it: reviews/x.md is reviews/x/ or reviews/x.html,
        an index.md its folder (or its index.html); any other file (a .docx) is where it is."""
        if not page.endswith(".md"):
            return page
        stem = page.removesuffix(".md")
        if not self.directory_urls:
            return f"{stem}.html"
        if stem == "index" or stem.endswith("/index"):
            return stem.removesuffix("index")
        return f"{stem}/"

    def href(self, place: Place, from_page: str) -> str:
        """A link to `place` from the page `from_page`, relative, for raw HTML (which MkDocs does not rewrite)."""
        target, here = self.path(place.page), self.path(from_page)
        relative = _relative(target or ".", posixpath.dirname(here) or ".")
        if not target or target.endswith("/"):
            relative = "./" if relative == "." else f"{relative}/"
        return relative + _fragment(place)

    def absolute(self, place: Place) -> str | None:
        """The place's full address with site_url; None when mkdocs.yml names no site_url."""
        if not self.site_url:
            return None
        return f"{self.site_url.rstrip('/')}/{self.path(place.page)}{_fragment(place)}"


def source_link(place: Place, from_page: str) -> str:
    """A Markdown link to `place` from `from_page`: the relative source path, which MkDocs checks (strict) and
    turns into the URL of either style."""
    relative = _relative(place.page, posixpath.dirname(from_page) or ".")
    return relative + _fragment(place)


@lru_cache(maxsize=65536)
def _relative(target: str, folder: str) -> str:
    """posixpath.relpath, once per target and folder: the tracker alone links thousands of rows to the same
    few pages, and relpath was a twentieth of generating the site."""
    return posixpath.relpath(target, folder)


def _fragment(place: Place) -> str:
    return f"#{place.anchor}" if place.anchor else ""
