"""Documents for people outside the site (the 《复盘报告》 and the playbook): laid out once as blocks
(headings, text, lists, tables, page breaks) and written as Word, Markdown or HTML, so that every format shows
the same sections, columns and numbers.

Word: the house template (A4, compact margins, fonts, heading and table styles) is made once per process with
python-docx; each document is that package with its body, rendered from `templates/documents/word.xml.j2`,
appended. Building the body through python-docx's objects costs about 200 ms a report, too much for a site
that offers every review's report; this costs about 2 ms (benchmarks/bench_build.py --reports).

Fonts: Word picks a run's font by script, from the `w:rFonts` attributes `ascii`/`hAnsi` (Latin) and
`eastAsia` (CJK). The default template sets them through theme attributes (`asciiTheme`…), which win over
named fonts, so they are removed and names set instead: 微软雅黑 (Microsoft YaHei) for CJK in the styles,
宋体 (SimSun, on every Chinese Windows) as the document default beneath them, Arial for Latin text.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, ClassVar

import jinja2
import markupsafe

from retrogen.core.words import language_of
from retrogen.formats.render import environment, escaped

# python-docx (with lxml) is imported where a Word document is made, not with the blocks: every command
# lays out or imports them, and most write no Word document (7.6 MB and 50 ms of each of their runs).
if TYPE_CHECKING:
    from docx.document import Document as DocumentObject
    from docx.oxml.xmlchemy import BaseOxmlElement

# --- blocks ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Heading:
    kind: ClassVar[str] = "heading"
    text: str
    level: int  # 0: the title of a document (or of a part of one), 1: a section, 2: a sub-section


@dataclass(frozen=True)
class Text:
    kind: ClassVar[str] = "text"
    text: str
    label: str = ""  # shown in bold before the text, with a colon
    note: bool = False  # a secondary line, smaller (a report's period, team and date under its title)
    link: bool = False  # the text is an address: a link in the formats that have links (Markdown, HTML)


@dataclass(frozen=True)
class Items:
    """A bulleted list of (label, text); a label is shown in bold before its text, with a colon."""

    kind: ClassVar[str] = "items"
    items: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Grid:
    """A table with a header row. `marks` give some cells a traffic-light tone (green, amber, red)."""

    kind: ClassVar[str] = "grid"
    headers: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    widths: tuple[float, ...]  # centimetres; they add up to TEXT_WIDTH_CM
    right: frozenset[int] = frozenset()  # columns of numbers, aligned right
    marks: Mapping[tuple[int, int], str] = field(default_factory=dict)  # (row, column) -> green, amber or red


@dataclass(frozen=True)
class Bar:
    label: str
    length: float  # the bar's length as a fraction of the chart's width, 0 to 1
    figure: str  # what the bar stands for, written after it (76.0%, 120 → 42)
    mark: str | None = None  # green, amber or red; None: the one neutral colour of a series


@dataclass(frozen=True)
class Bars:
    """A horizontal bar chart, drawn by the document itself (shaded table cells in Word, boxes in HTML, block
    characters in Markdown) so that it prints and needs no image. `reference` draws a line across the bars at
    that fraction of the width (a target)."""

    kind: ClassVar[str] = "bars"
    bars: tuple[Bar, ...]
    reference: float | None = None
    reference_label: str = ""


@dataclass(frozen=True)
class PageBreak:
    kind: ClassVar[str] = "page_break"


Block = Heading | Text | Items | Grid | Bars | PageBreak

# --- the house style ------------------------------------------------------------------------------------

PAGE_CM = (21.0, 29.7)  # A4
MARGINS_CM = (1.8, 1.9)  # top and bottom, left and right
TEXT_WIDTH_CM = PAGE_CM[0] - 2 * MARGINS_CM[1]
LATIN_FONT = "Arial"
EAST_ASIAN_FONT = "微软雅黑"
EAST_ASIAN_FALLBACK = "宋体"
BODY_POINTS, NOTE_POINTS, TABLE_POINTS = 9.5, 8.5, 8.5
HEADINGS = {0: ("Title", 16), 1: ("Heading 1", 12), 2: ("Heading 2", 10.5)}  # style, points
HEADING_COLOR = "1F3A5F"
HEADER_FILL = "E7ECF2"
FOOTER_COLOR = "595959"
# Tones of marked cells: light enough to print and to read black text on.
FILLS = {"green": "C6EFCE", "amber": "FFEB9C", "red": "FFC7CE"}
SYMBOLS = {"green": "🟢", "amber": "🟡", "red": "🔴"}  # Markdown has no cell colours
# Bars: met, nearly and missed in the site's tones (retrogen.css), a neutral blue for a series.
BAR_FILLS = {"green": "2E9E57", "amber": "E0A526", "red": "D64545", None: "4A78B5"}
BAR_CELLS = 40  # a Word bar is drawn in steps of 1/40 of its width
BAR_LABEL_CM, BAR_FIGURE_CM = 3.8, 4.4
BAR_EIGHTHS = " ▏▎▍▌▋▊▉"  # Markdown bars: a full block per step, the last one in eighths
BAR_MARKDOWN_STEPS = 20
TWIPS_PER_CM = 567

# --- Markdown -------------------------------------------------------------------------------------------

# What can make markup inside a Markdown line: emphasis, code, links and images, table cells, HTML and
# entities; and, at the start of a paragraph, a heading, list item, quote or rule. Nothing else is escaped,
# so the file reads plainly (2026-10-20, -9.5%) where the site's `md` filter escapes all punctuation.
_INLINE_MARKUP = re.compile(r"([\\`*_\[\]|~])")
_BLOCK_START = re.compile(r"^([#+=-]|\d+(?=[.)]))")


def markdown_text(value: object, *, starts_line: bool = False) -> markupsafe.Markup:
    """Text as inert Markdown on one line: no markup, link, HTML or table break can come from it.
    `starts_line`: the text begins a paragraph, where `- ` or `1. ` would start a list."""
    text = _INLINE_MARKUP.sub(r"\\\1", " ".join(str(value).split()))
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    if starts_line:
        text = _BLOCK_START.sub(lambda m: m[1] + "\\" if m[1][0].isdigit() else "\\" + m[1], text)
    return markupsafe.Markup(text)


def bar_segments(bars: Bars) -> list[list[tuple[int, bool, bool]]]:
    """Each Word bar as cells of the chart's BAR_CELLS steps: (steps spanned, shaded, starts at the reference
    line). A cell starts wherever the bar or the reference line ends, so the line is a cell's left border."""
    reference = None if bars.reference is None else round(min(max(bars.reference, 0.0), 1.0) * BAR_CELLS)
    rows = []
    for bar in bars.bars:
        filled = round(min(max(bar.length, 0.0), 1.0) * BAR_CELLS)
        edges = sorted({0, filled, BAR_CELLS} | ({reference} if reference else set()))
        rows.append([(end - start, end <= filled, start == reference) for start, end in pairwise(edges)])
    return rows


def markdown_bar(length: float) -> str:
    """A bar of block characters, BAR_MARKDOWN_STEPS wide at full length, to an eighth of a step."""
    eighths = round(min(max(length, 0.0), 1.0) * BAR_MARKDOWN_STEPS * 8)
    return "█" * (eighths // 8) + BAR_EIGHTHS[eighths % 8].strip()


# Runs of a Word table's cells: small text, and paragraphs with no space after them.
_SMALL = f'<w:sz w:val="{int(TABLE_POINTS * 2)}"/><w:szCs w:val="{int(TABLE_POINTS * 2)}"/>'
_TIGHT = '<w:spacing w:after="0" w:line="240" w:lineRule="auto"/>'


def word_table(grid: Grid) -> markupsafe.Markup:
    """A Word table with its header row, which repeats on every page, and its body rows (word_grid_rows).
    Written here rather than in the template, where a report's table headers were a fifth of writing it."""
    widths = [round(cm * TWIPS_PER_CM) for cm in grid.widths]
    header = "".join(
        f'<w:tc><w:tcPr><w:tcW w:w="{widths[c]}" w:type="dxa"/><w:shd w:val="clear" w:color="auto" '
        f'w:fill="{HEADER_FILL}"/></w:tcPr><w:p><w:pPr><w:keepNext/>{_TIGHT}</w:pPr><w:r><w:rPr><w:b/>{_SMALL}'
        f'</w:rPr><w:t xml:space="preserve">{escaped(name)}</w:t></w:r></w:p></w:tc>'
        for c, name in enumerate(grid.headers)
    )
    columns = "".join(f'<w:gridCol w:w="{width}"/>' for width in widths)
    return markupsafe.Markup(
        f'<w:tbl><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="{sum(widths)}" w:type="dxa"/>'
        '<w:jc w:val="center"/><w:tblLayout w:type="fixed"/><w:tblLook w:val="04A0" w:firstRow="1" '
        'w:lastRow="0" w:firstColumn="1" w:lastColumn="0" w:noHBand="0" w:noVBand="1"/></w:tblPr>\n'
        f"<w:tblGrid>{columns}</w:tblGrid><w:tr><w:trPr><w:cantSplit/><w:tblHeader/></w:trPr>{header}</w:tr>\n"
        f"{word_grid_rows(grid, widths)}</w:tbl>"
    )


def word_grid_rows(grid: Grid, widths: Sequence[int]) -> markupsafe.Markup:
    """The body rows of a Word table (word.xml.j2 writes the rest): written here rather than in the template,
    where the cells of every report's tables were a fifth of building a site. No row splits across pages, and
    rows keep with the next one (keepNext) so that no page holds the header and one row alone: a short table
    stays whole, a long one starts with at least two rows and ends with at least three."""
    count, rows = len(grid.rows), []
    for r, row in enumerate(grid.rows):
        keep = "<w:keepNext/>" if r < count - 1 and (count <= 8 or r == 0 or r >= count - 3) else ""
        cells = []
        for c, value in enumerate(row):
            mark = grid.marks.get((r, c))
            shade = f'<w:shd w:val="clear" w:color="auto" w:fill="{FILLS[mark]}"/>' if mark else ""
            right = '<w:jc w:val="right"/>' if c in grid.right else ""
            cells.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{widths[c]}" w:type="dxa"/>{shade}</w:tcPr><w:p><w:pPr>{keep}{_TIGHT}'
                f'{right}</w:pPr><w:r><w:rPr>{_SMALL}</w:rPr><w:t xml:space="preserve">{escaped(value)}'
                "</w:t></w:r></w:p></w:tc>"
            )
        rows.append(f"<w:tr><w:trPr><w:cantSplit/></w:trPr>{''.join(cells)}</w:tr>\n")
    return markupsafe.Markup("".join(rows))


# The parts of a Word bar chart's row that are the same in every row of every chart (word.xml.j2 says why).
_BAR_KEEP = f"<w:p><w:pPr><w:keepNext/>{_TIGHT}"
_BAR_GAP = (
    '<w:top w:val="single" w:sz="24" w:space="0" w:color="FFFFFF"/>'
    '<w:bottom w:val="single" w:sz="24" w:space="0" w:color="FFFFFF"/>'
)
_BAR_REFERENCE = '<w:left w:val="dashed" w:sz="8" w:space="0" w:color="1B1B1B"/>'


def word_bar_rows(bars: Bars, widths: Sequence[int]) -> markupsafe.Markup:
    """The rows of a Word bar chart (word.xml.j2 writes the table around them): the label, the cells of
    `bar_segments`, the figure. `widths`: the label's, a step's and the figure's, in twips. Written here rather
    than in the template, where a chart's cells were a third of writing a report."""
    label_width, step, figure_width = widths
    rows = []
    for bar, segments in zip(bars.bars, bar_segments(bars), strict=True):
        cells = []
        for span, shaded, at_reference in segments:
            merged = f'<w:gridSpan w:val="{span}"/>' if span > 1 else ""
            line = _BAR_REFERENCE if at_reference else ""
            fill = f'<w:shd w:val="clear" w:color="auto" w:fill="{BAR_FILLS[bar.mark]}"/>' if shaded else ""
            cells.append(
                f'<w:tc><w:tcPr><w:tcW w:w="{span * step}" w:type="dxa"/>{merged}<w:tcBorders>{_BAR_GAP}{line}'
                f"</w:tcBorders>{fill}</w:tcPr>{_BAR_KEEP}</w:pPr></w:p></w:tc>"
            )
        rows.append(
            '<w:tr><w:trPr><w:cantSplit/><w:trHeight w:val="300" w:hRule="exact"/></w:trPr><w:tc><w:tcPr>'
            f'<w:tcW w:w="{label_width}" w:type="dxa"/><w:tcMar><w:right w:w="113" w:type="dxa"/></w:tcMar>'
            f'<w:vAlign w:val="center"/></w:tcPr>{_BAR_KEEP}<w:jc w:val="right"/></w:pPr><w:r><w:rPr>{_SMALL}'
            f'</w:rPr><w:t xml:space="preserve">{escaped(bar.label)}</w:t></w:r></w:p></w:tc>'
            f"{''.join(cells)}"
            f'<w:tc><w:tcPr><w:tcW w:w="{figure_width}" w:type="dxa"/><w:tcMar><w:left w:w="113" w:type="dxa"/>'
            f'</w:tcMar><w:vAlign w:val="center"/></w:tcPr>{_BAR_KEEP}</w:pPr><w:r><w:rPr>{_SMALL}</w:rPr>'
            f'<w:t xml:space="preserve">{escaped(bar.figure)}</w:t></w:r></w:p></w:tc></w:tr>\n'
        )
    return markupsafe.Markup("".join(rows))


@cache
def _templates() -> jinja2.Environment:
    """Autoescaping escapes &, <, >, and quotes: right for HTML and for WordprocessingML alike."""
    env = environment("templates/documents")
    env.filters.update(text=markdown_text, twips=lambda cm: round(cm * TWIPS_PER_CM))
    env.globals.update(
        grid_table=word_table,
        bar_rows=word_bar_rows,
        markdown_bar=markdown_bar,
        bar_fills=BAR_FILLS,
        bar_cells=BAR_CELLS,
        bar_widths=(BAR_LABEL_CM, (TEXT_WIDTH_CM - BAR_LABEL_CM - BAR_FIGURE_CM) / BAR_CELLS, BAR_FIGURE_CM),
        fills=FILLS,
        symbols=SYMBOLS,
        note_points=NOTE_POINTS,
        table_points=TABLE_POINTS,
        heading_styles={level: name.replace(" ", "") for level, (name, _) in HEADINGS.items()},
    )
    return env


def _render(template: str, blocks: Sequence[Block], language: str) -> str:
    return _templates().get_template(template).render(blocks=blocks, language=language)


def to_markdown(blocks: Sequence[Block], language: str) -> str:
    return _render("blocks.md.j2", blocks, language)


def to_html(blocks: Sequence[Block], language: str) -> str:
    """A standalone page (no script, no request to any other host) that prints on A4."""
    return _render("blocks.html.j2", blocks, language)


# --- Word -----------------------------------------------------------------------------------------------

_BODY = "word/document.xml"
_FOOTER = "word/footer1.xml"
# Stands in the house template's footer for each document's own line (its scope, period and date).
_FOOTER_TEXT = "RETROGEN-FOOTER-TEXT"
# The footer's page number, in each language: (before, between, after) the PAGE and NUMPAGES fields.
_PAGE_WORDS = {"zh": ("第 ", " 页，共 ", " 页"), "en": ("Page ", " of ", "")}
_STYLES_WITH_EFFECTS = "http://schemas.microsoft.com/office/2007/relationships/stylesWithEffects"
# The styles the body and footer use (by id), besides the headings. The blank template defines 164, most of
# them table designs no report uses, and they were half of every report's bytes; Word still offers all of
# its built-in styles to whoever edits the document (the template's latent styles stay).
_USED_STYLES = {"Normal", "DefaultParagraphFont", "TableNormal", "NoList", "TableGrid", "ListBullet"}
# A fixed timestamp for every part: the same document gives the same bytes, so a build rewrites only the
# reports that changed.
_STAMP = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class _Package:
    parts: bytes  # a zip of every part but the body and the footer
    footer: str  # the footer part, with _FOOTER_TEXT where each document's footer line goes
    body_start: str  # the body part up to and including <w:body>
    body_end: str  # the page settings (w:sectPr) and the closing tags


def to_docx(blocks: Sequence[Block], language: str, footer: str = "") -> bytes:
    """A Word document: the house template with `blocks` as its body. Every page's footer holds `footer` (what
    the document is about and as of when, for a page that was printed and separated) and the page number."""
    package = _house_package(language_of(language))
    body = _render("word.xml.j2", blocks, language)
    buffer = io.BytesIO(package.parts)
    with zipfile.ZipFile(buffer, "a", zipfile.ZIP_DEFLATED) as archive:  # the other parts stay compressed
        archive.writestr(
            zipfile.ZipInfo(_BODY, _STAMP), package.body_start + body + package.body_end, zipfile.ZIP_DEFLATED
        )
        footer_part = package.footer.replace(_FOOTER_TEXT, str(markupsafe.escape(footer)))
        archive.writestr(zipfile.ZipInfo(_FOOTER, _STAMP), footer_part, zipfile.ZIP_DEFLATED)
    return buffer.getvalue()


@cache
def _house_package(language: str) -> _Package:
    """The house template for `language` (zh, en), made once per process."""
    from docx import Document
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.shared import Cm, Pt, RGBColor

    document = Document()
    # Parts no one needs: a second copy of the styles for Word 2010, a thumbnail of an empty page, the blank
    # template's web settings, its custom XML (a bibliography store) and its application properties (Word
    # writes its own on saving). A part costs its zip entry too: these were an eighth of each report.
    for rels, unwanted in (
        (document.part.rels, _STYLES_WITH_EFFECTS),
        (document.part.rels, RELATIONSHIP_TYPE.WEB_SETTINGS),
        (document.part.rels, RELATIONSHIP_TYPE.CUSTOM_XML),
        (document.part.package.rels, RELATIONSHIP_TYPE.THUMBNAIL),
        (document.part.package.rels, RELATIONSHIP_TYPE.EXTENDED_PROPERTIES),
    ):
        for key in [key for key, rel in rels.items() if rel.reltype == unwanted]:
            del rels[key]
    document.core_properties.author = "retrogen"
    document.core_properties.comments = ""
    section = document.sections[0]
    section.page_width, section.page_height = Cm(PAGE_CM[0]), Cm(PAGE_CM[1])
    section.top_margin = section.bottom_margin = Cm(MARGINS_CM[0])
    section.left_margin = section.right_margin = Cm(MARGINS_CM[1])
    section.header_distance = section.footer_distance = Cm(1)
    styles = document.styles
    defaults = styles.element.find(_w("docDefaults")).find(_w("rPrDefault")).find(_w("rPr"))
    _set_fonts(defaults, EAST_ASIAN_FALLBACK)
    defaults.find(_w("lang")).set(_w("eastAsia"), "zh-CN" if language == "zh" else "en-US")
    normal = styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), EAST_ASIAN_FONT)
    normal.font.size = Pt(BODY_POINTS)
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.15
    for level, (name, points) in HEADINGS.items():
        style = styles[name]
        _set_fonts(style.element.get_or_add_rPr(), EAST_ASIAN_FONT)
        style.font.size, style.font.bold = Pt(points), True
        style.font.color.rgb = RGBColor.from_string(HEADING_COLOR)
        style.paragraph_format.space_before = Pt(0 if level == 0 else 9)
        style.paragraph_format.space_after = Pt(4 if level == 0 else 3)
        style.paragraph_format.keep_with_next = True  # no heading stranded at the bottom of a page
    _add_footer(document, language)
    title = styles["Title"].element.get_or_add_pPr()
    border = title.find(_w("pBdr"))
    if border is not None:  # the default Title underlines itself with a thick accent rule
        title.remove(border)
    _keep_only(styles.element, _USED_STYLES | {name.replace(" ", "") for name, _ in HEADINGS.values()})
    saved = io.BytesIO()
    document.save(saved)
    parts = io.BytesIO()
    with zipfile.ZipFile(saved) as source, zipfile.ZipFile(parts, "w", zipfile.ZIP_DEFLATED) as target:
        for name in source.namelist():
            if name not in (_BODY, _FOOTER):
                target.writestr(zipfile.ZipInfo(name, _STAMP), source.read(name), zipfile.ZIP_DEFLATED)
        body = source.read(_BODY).decode("utf-8")
        footer = source.read(_FOOTER).decode("utf-8")
    start = body.index("<w:body>") + len("<w:body>")
    return _Package(parts.getvalue(), footer, body[:start], body[body.index("<w:sectPr", start) :])


def _keep_only(styles: BaseOxmlElement, used: set[str]) -> None:
    """Remove the style definitions that neither `used` nor any style they build on, link to or are followed
    by needs."""
    by_id = {style.get(_w("styleId")): style for style in styles.findall(_w("style"))}
    needed, pending = set(), [name for name in used if name in by_id]
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        for relation in ("basedOn", "link", "next"):
            found = by_id[name].find(_w(relation))
            if found is not None and found.get(_w("val")) in by_id:
                pending.append(found.get(_w("val")))
    for name, style in by_id.items():
        if name not in needed:
            styles.remove(style)


def _add_footer(document: DocumentObject, language: str) -> None:
    """The footer of every page: the document's own line on the left, "第 2 页，共 3 页" on the right (Word
    fills in the PAGE and NUMPAGES fields, so the count is right however the document is edited)."""
    from docx.enum.text import WD_TAB_ALIGNMENT
    from docx.oxml import OxmlElement
    from docx.shared import Cm, Pt, RGBColor

    paragraph = document.sections[0].footer.paragraphs[0]
    paragraph.style = document.styles["Normal"]  # the Footer style's tab stops are for US Letter
    paragraph.paragraph_format.tab_stops.add_tab_stop(Cm(TEXT_WIDTH_CM), WD_TAB_ALIGNMENT.RIGHT)
    before, between, after = _PAGE_WORDS[language]

    def run(text: str) -> BaseOxmlElement:
        added = paragraph.add_run(text)  # a tab ("\t") becomes Word's tab, to the right-aligned stop
        added.font.size, added.font.color.rgb = Pt(NOTE_POINTS), RGBColor.from_string(FOOTER_COLOR)
        element: BaseOxmlElement = added._r
        return element

    for text, code in ((f"{_FOOTER_TEXT}\t{before}", "PAGE"), (between, "NUMPAGES"), (after, "")):
        if text:
            run(text)
        if code:
            simple = OxmlElement("w:fldSimple")
            simple.set(_w("instr"), code)
            simple.append(run("1"))  # shown until Word or LibreOffice computes the field
            paragraph._p.append(simple)


def _w(tag: str) -> str:
    from docx.oxml.ns import qn

    return qn(f"w:{tag}")


def _set_fonts(r_pr: BaseOxmlElement, east_asian: str) -> None:
    """Name the Latin and East Asian fonts of a run-properties element, dropping theme fonts that would win."""
    from docx.oxml import OxmlElement

    fonts = r_pr.find(_w("rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for name in ("asciiTheme", "hAnsiTheme", "eastAsiaTheme", "cstheme"):
        fonts.attrib.pop(_w(name), None)
    for name, value in (("ascii", LATIN_FONT), ("hAnsi", LATIN_FONT), ("cs", LATIN_FONT), ("eastAsia", east_asian)):
        fonts.set(_w(name), value)
