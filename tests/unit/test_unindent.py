"""The theme's indentation is dropped from every page as it is built (a tenth of a review's page), outside the
page's <article>, whose text is left exactly as MkDocs wrote it."""

from __future__ import annotations

from retrogen.site.unindent import unindented

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


def test_indentation_goes_outside_the_article_and_nothing_else_changes() -> None:
    text = unindented(PAGE)
    assert len(text) < len(PAGE)
    article = PAGE[PAGE.index("<article") : PAGE.rindex("</article>")]
    assert article in text  # the content, <pre> and all, character for character
    outside = text.replace(article, "")
    assert "\n " not in outside and "\n\t" not in outside
    # Only white space went: the same characters otherwise, in the same order.
    assert "".join(PAGE.split()) == "".join(text.split())
    assert unindented("<p>\n    no article</p>") == "<p>\n    no article</p>"  # no article: as it is
    assert unindented(text) == text  # once is enough
