"""Word documents the house way: A4, compact margins, Chinese in an East Asian font with a Latin one beside
it, plain headings and grid tables. Shared by every .docx retrogen writes (the 《复盘报告》, the playbook).

Fonts: Word picks a run's font by script, from the `w:rFonts` attributes `ascii`/`hAnsi` (Latin) and
`eastAsia` (CJK). The default template sets them through theme attributes (`asciiTheme`…), which win over
named fonts, so they are removed and the names set instead: 微软雅黑 (Microsoft YaHei) for CJK in the styles,
宋体 (SimSun, on every Chinese Windows) as the document default beneath them, Arial for Latin text.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from functools import cache

from docx import Document as open_document
from docx.document import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_BREAK
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.oxml.xmlchemy import BaseOxmlElement
from docx.shared import Cm, Pt, RGBColor
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph

LATIN_FONT = "Arial"
EAST_ASIAN_FONT = "微软雅黑"
EAST_ASIAN_FALLBACK = "宋体"
BODY_SIZE = Pt(9.5)
TABLE_SIZE = Pt(8.5)
HEADING_SIZES = {0: Pt(16), 1: Pt(12), 2: Pt(10.5)}
HEADER_FILL = "E7ECF2"
_THEME_FONTS = ("w:asciiTheme", "w:hAnsiTheme", "w:eastAsiaTheme", "w:cstheme")


def _set_fonts(r_pr: BaseOxmlElement, east_asian: str) -> None:
    """Name the Latin and East Asian fonts of a run-properties element, dropping theme fonts that would win."""
    fonts = r_pr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        r_pr.insert(0, fonts)
    for name in _THEME_FONTS:
        fonts.attrib.pop(qn(name), None)
    for name, value in (("w:ascii", LATIN_FONT), ("w:hAnsi", LATIN_FONT), ("w:cs", LATIN_FONT),
                        ("w:eastAsia", east_asian)):
        fonts.set(qn(name), value)


@cache
def _template(language: str) -> bytes:
    """The house template for `language`: built once per process, then every document starts as a copy of
    it (a fresh python-docx Document costs more than reading these bytes back)."""
    document = open_document()
    section = document.sections[0]
    section.orientation = WD_ORIENT.PORTRAIT
    section.page_width, section.page_height = Cm(21), Cm(29.7)
    section.top_margin = section.bottom_margin = Cm(1.8)
    section.left_margin = section.right_margin = Cm(1.9)
    section.header_distance = section.footer_distance = Cm(1)
    styles = document.styles
    defaults = styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    _set_fonts(defaults, EAST_ASIAN_FALLBACK)
    defaults.find(qn("w:lang")).set(qn("w:eastAsia"), "zh-CN" if language == "zh" else "en-US")
    normal = styles["Normal"]
    _set_fonts(normal.element.get_or_add_rPr(), EAST_ASIAN_FONT)
    normal.font.size = BODY_SIZE
    normal.paragraph_format.space_after = Pt(3)
    normal.paragraph_format.line_spacing = 1.15
    for level, size in HEADING_SIZES.items():
        style = styles["Title" if level == 0 else f"Heading {level}"]
        _set_fonts(style.element.get_or_add_rPr(), EAST_ASIAN_FONT)
        style.font.size, style.font.bold = size, True
        style.font.color.rgb = RGBColor(0x1F, 0x3A, 0x5F)
        style.paragraph_format.space_before = Pt(0 if level == 0 else 9)
        style.paragraph_format.space_after = Pt(4 if level == 0 else 3)
        style.paragraph_format.keep_with_next = True  # no heading stranded at the bottom of a page
    title = styles["Title"].element.get_or_add_pPr()
    border = title.find(qn("w:pBdr"))
    if border is not None:  # the default Title underlines itself with a thick accent rule
        title.remove(border)
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


def new_document(language: str) -> Document:
    """An empty A4 document in the house style; `language` (zh, en) sets the language Word checks East
    Asian text in."""
    return open_document(io.BytesIO(_template("zh" if language.startswith("zh") else "en")))


def heading(document: Document, text: str, level: int) -> Paragraph:
    """A heading: level 0 is the document's title, 1 a section, 2 a sub-section."""
    return document.add_paragraph(text, style="Title" if level == 0 else f"Heading {level}")


def paragraph(document: Document, text: str = "", label: str = "", size: Pt | None = None) -> Paragraph:
    """A body paragraph, optionally led by a bold label ("复盘目标: …")."""
    block = document.add_paragraph()
    if label:
        block.add_run(label).bold = True
    block.add_run(text)
    if size is not None:
        for run in block.runs:
            run.font.size = size
    return block


def page_break(document: Document) -> None:
    document.add_paragraph().add_run().add_break(WD_BREAK.PAGE)


def _shade(cell: _Cell, fill: str) -> None:
    shading = OxmlElement("w:shd")
    shading.set(qn("w:val"), "clear")
    shading.set(qn("w:color"), "auto")
    shading.set(qn("w:fill"), fill)
    cell._tc.get_or_add_tcPr().append(shading)


def _write(cell: _Cell, text: str, bold: bool = False, right: bool = False) -> None:
    block = cell.paragraphs[0]
    block.paragraph_format.space_after = Pt(0)
    block.paragraph_format.line_spacing = 1.0
    if right:
        block.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    run = block.add_run(text)
    run.font.size = TABLE_SIZE
    run.bold = bold


def table(document: Document, headers: Sequence[str], rows: Sequence[Sequence[str]], widths: Sequence[float],
          right: frozenset[int] = frozenset(), fills: dict[tuple[int, int], str] | None = None) -> Table:
    """A grid table with a shaded header row repeated on every page. `widths` are in centimetres (they should
    add up to the text width, 17.2 cm on A4), `right` the columns aligned right (numbers), `fills` the
    background of some body cells, by (row, column), as RRGGBB."""
    grid: Table = document.add_table(rows=1 + len(rows), cols=len(headers))
    grid.style = document.styles["Table Grid"]
    grid.alignment = WD_TABLE_ALIGNMENT.CENTER
    grid.autofit = False
    fills = fills or {}
    for column, width in zip(grid.columns, widths, strict=True):
        column.width = Cm(width)  # the grid's widths, which LibreOffice follows; Word follows each cell's
    for index, row in enumerate(grid.rows):  # row.cells once per row: cell(r, c) walks the table each time
        cells = row.cells
        values = headers if index == 0 else rows[index - 1]
        for column, (cell, value) in enumerate(zip(cells, values, strict=True)):
            cell.width = Cm(widths[column])
            _write(cell, value, bold=index == 0, right=column in right and index > 0)
            fill = HEADER_FILL if index == 0 else fills.get((index - 1, column))
            if fill:
                _shade(cell, fill)
        if index == 0:
            header = OxmlElement("w:tblHeader")
            row._tr.get_or_add_trPr().append(header)
        row._tr.get_or_add_trPr().append(OxmlElement("w:cantSplit"))
    return grid


def to_bytes(document: Document) -> bytes:
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
