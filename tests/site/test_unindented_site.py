"""`build` writes every HTML page of the site, the theme's own (404.html) too, without the theme's indentation
outside its <article> (site/unindent.py)."""

from __future__ import annotations

from pathlib import Path


def test_every_page_of_the_built_site_is_unindented_outside_its_article(built_site: Path) -> None:
    pages = {
        path.relative_to(built_site).as_posix(): path.read_text(encoding="utf-8") for path in built_site.rglob("*.html")
    }
    with_article = {name: page for name, page in pages.items() if "<article" in page}
    assert "404.html" in with_article and any(name.startswith("reviews/") for name in with_article)
    for name, page in with_article.items():
        outside = page[: page.find("<article")] + page[page.rfind("</article>") :]
        assert "\n " not in outside and "\n\t" not in outside, name
