"""The theme's indentation is dropped from every built page (a tenth of a review's page), outside the page's
<article>, whose text is left exactly as MkDocs wrote it."""

from __future__ import annotations

from pathlib import Path

from retrogen.site.build import unindent_pages

PAGE = """<!doctype html>
<html>
  <head>
    <script>var a = 1;
      var b = 2;</script>
  </head>
  <body>
    <nav>
      <a href="x">
        <span>x</span>
      </a>
    </nav>
    <article class="md-content__inner">
<pre>
    indented code
        stays</pre>
<p>text
   as written</p>
    </article>
    <footer>
      <small>f</small>
    </footer>
  </body>
</html>
"""


def test_indentation_goes_outside_the_article_and_nothing_else_changes(tmp_path: Path) -> None:
    (tmp_path / "reviews" / "r").mkdir(parents=True)
    page = tmp_path / "reviews" / "r" / "index.html"
    page.write_text(PAGE, encoding="utf-8")
    (tmp_path / "plain.html").write_text("<p>\n    no article</p>", encoding="utf-8")
    saved = unindent_pages(tmp_path)
    text = page.read_text(encoding="utf-8")
    assert saved == len(PAGE.encode()) - len(text.encode()) > 0
    article = PAGE[PAGE.index("<article") : PAGE.rindex("</article>")]
    assert article in text  # the content, <pre> and all, byte for byte
    outside = text.replace(article, "")
    assert "\n " not in outside and "\n\t" not in outside
    # Only white space went: the same characters otherwise, in the same order.
    assert "".join(PAGE.split()) == "".join(text.split())
    assert (tmp_path / "plain.html").read_text(encoding="utf-8") == "<p>\n    no article</p>"  # no article: as it is
    assert unindent_pages(tmp_path) == 0  # once is enough
