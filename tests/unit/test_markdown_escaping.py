"""The `md` filter: review text stays text wherever a template puts it (no HTML, link, image, attribute or
formatting), and it is escaped only where a character would mean something, so the Markdown reads well raw."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser

import markdown
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrogen.formats import render
from retrogen.formats.render import md

# The site's Markdown extensions (tests/kb/mkdocs.yml, as `init` writes them).
EXTENSIONS = ["tables", "attr_list", "md_in_html", "admonition", "toc"]

# Where the templates put review text: a line of its own, a list item, bold, link text, a table cell, a heading.
CONTEXTS = {
    "paragraph": "{}",
    "list item": "- {}",
    "bold": "- **{}** — x",
    "link text": "[{}](reviews/x.md)",
    "table cell": "| a | b |\n|---|---|\n| {} | z |",
    "heading": "### P1 · {} {{ #p1 }}",
    "nested": "- a\n\n    1. {}",
}

HOSTILE = [
    "<script>alert('x')</script>",
    "[t](javascript:alert('tlink'))",
    "![img](javascript:alert('img'))",
    "[ref]: javascript:alert('refdef')",
    "*[abbr]: javascript:alert('abbr')",
    "{: onclick=alert('attr') }",
    "lesson {: onclick=x }",
    "lesson { .danger onclick=x }",
    "## fake heading { #x onclick=alert('heading') }",
    "| broken | table |",
    "&lt;script&gt;alert('entity')&lt;/script&gt; &#60;img src=x onerror=alert(1)&#62;",
    "<a href='javascript:alert(1)'>root</a>",
    "```mermaid graph TD; A-->B; click A callback ```",
    "**bold** *em* __strong__ _em_ `code`",
    "- not a list",
    "+ not a list",
    "1. not a list",
    "2026. not a list either",
    "# not a heading",
    "> not a quote",
    "!!! warning not an admonition",
    "--- not a rule",
    "=== not an underline",
    "~~~ not a fence",
    "back\\slash \\*not em\\* end\\",
    "C#",
    "<http://example.com> http://example.com",
    "<div markdown>**x**</div>",
]

PLAIN = [
    "decision-chain",
    "Per-unit pricing loses to a competitor's multi-year price lock",
    "Northwind Logistics fleet telematics deal (lost)",
    "设计三档报价模板(基础/标准/旗舰),每档附价值说明",
    "对老客户执行“定期回访+增值服务”,复购率提升至65%",
    "2026-Q3",
    "新SOP文件(版本号V2.0)",
    "snake_case names",
    "R&D budget 3.5亿 a -> b 5% 10-11月",
    "Q3. results",
    "e-mail: a@b.com!",
]


class _Text(HTMLParser):
    """The text and the tags of an HTML fragment."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.text: list[str] = []
        self.tags: list[tuple[str, list[tuple[str, str | None]]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, attrs))

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def rendered(context: str, value: str) -> _Text:
    source = CONTEXTS[context].format(md(value))
    parser = _Text()
    parser.feed(markdown.markdown(source, extensions=EXTENSIONS))
    return parser


def template_tags(context: str) -> list[str]:
    return [tag for tag, _ in rendered(context, "x").tags]


@pytest.mark.parametrize("context", CONTEXTS)
@pytest.mark.parametrize("value", HOSTILE + PLAIN)
def test_review_text_stays_text_in_every_position(context: str, value: str) -> None:
    page = rendered(context, value)
    # the template's own tags, nothing more: no link, image, emphasis, code, script or attribute from the text
    assert [tag for tag, _ in page.tags] == template_tags(context), page.tags
    assert all(name in ("id", "href") for _, attrs in page.tags for name, _ in attrs)
    assert all(
        value != "javascript" and not (v or "").startswith("javascript") for _, attrs in page.tags for _, v in attrs
    )
    # and the reader sees exactly what the review says
    shown = re.sub(r"\s+", " ", "".join(page.text)).strip()
    assert " ".join(value.split()) in shown


@pytest.mark.parametrize("value", PLAIN)
def test_plain_text_is_not_escaped(value: str) -> None:
    assert str(md(value)) == value


@pytest.mark.parametrize(
    ("value", "escaped"),
    [
        ("- a", "\\- a"),
        ("1. a", "1\\. a"),
        ("# a", "\\# a"),
        ("C#", "C\\#"),
        ("a*b*", "a\\*b\\*"),
        ("_a_ snake_case", "\\_a\\_ snake_case"),
        ("[x](y)", "\\[x\\](y)"),
        ("a | b", "a \\| b"),
        ("`x`", "\\`x\\`"),
        ("<b>", "&lt;b>"),
        ("&lt;", "&amp;lt;"),
        ("{: .x}", "\\{: .x}"),
        ("a\\*", "a\\\\\\*"),
        ("a\\b", "a\\b"),
        ("multi\nline   text", "multi line text"),
    ],
)
def test_escapes_only_what_would_change_meaning(value: str, escaped: str) -> None:
    assert str(md(value)) == escaped


def test_output_is_markup_so_autoescape_leaves_it_alone() -> None:
    assert html.escape(str(md("a < b")), quote=False) != str(md("a < b"))
    assert md(None) == ""


def _md_every_pass(value: str) -> str:
    """md as it was before it skipped text without a character to escape: every pass on every text."""
    text = " ".join(value.split())
    text = render._ENTITY.sub("&amp;", text).replace("<", "&lt;")
    text = render._INLINE.sub(lambda m: "\\" + m.group(), text)
    return render._LEADING.sub(render._escape_leading, text)


@settings(max_examples=500, derandomize=True)
@given(st.text(alphabet=st.sampled_from(list("&<>`*[]{}|_\\#-+!~=1.) a字;")), max_size=12))
def test_text_without_a_character_to_escape_skips_the_passes_alike(value: str) -> None:
    assert str(md(value)) == _md_every_pass(value)
