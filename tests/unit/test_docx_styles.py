"""A Word report carries the styles it uses, not the blank template's 164 table designs: they were half of
every report's bytes, and a site ships one report per review."""

from __future__ import annotations

import io
import re
import zipfile

import pytest

from retrogen.formats.documents import Grid, Heading, Items, Text, to_docx

BLOCKS = [
    Heading("2026年Q3华东区销售业绩复盘", 0),
    Text("华东销售部 · 2026-Q3", note=True),
    Heading("目标与结果", 1),
    Grid(("指标", "达成率"), (("销售额", "76%"),), (8.6, 8.6), marks={(0, 1): "red"}),
    Heading("根因", 2),
    Items((("P1", "新客户线索转化率低"),)),
]


@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_style_a_report_uses_is_defined_and_no_other(language: str) -> None:
    with zipfile.ZipFile(io.BytesIO(to_docx(BLOCKS, language, "页脚"))) as docx:
        styles = docx.read("word/styles.xml").decode()
        used = {
            name
            for part in ("word/document.xml", "word/footer1.xml")
            for name in re.findall(r'<w:(?:pStyle|rStyle|tblStyle) w:val="([^"]+)"', docx.read(part).decode())
        }
        styles_size = docx.getinfo("word/styles.xml").compress_size
    defined = set(re.findall(r'w:styleId="([^"]+)"', styles))
    assert used <= defined, f"used but not defined: {used - defined}"
    assert {"Title", "Heading1", "Heading2", "ListBullet", "TableGrid"} <= used
    # Only what the used ones build on (Normal, the headings' linked character styles) besides Word's defaults.
    assert len(defined) <= 15, sorted(defined)
    assert "LightGrid-Accent1" not in defined
    assert styles_size < 4000
    # Whoever edits the report in Word still finds every built-in style.
    assert "<w:latentStyles" in styles


def test_a_report_carries_no_part_it_does_not_use_and_opens_again() -> None:
    from docx import Document

    data = to_docx(BLOCKS, "zh", "页脚")
    with zipfile.ZipFile(io.BytesIO(data)) as docx:
        names = set(docx.namelist())
    assert not {name for name in names if name.startswith(("customXml/", "docProps/app", "docProps/thumbnail"))}
    assert "word/webSettings.xml" not in names and "word/stylesWithEffects.xml" not in names
    assert Document(io.BytesIO(data)).paragraphs[0].text == "2026年Q3华东区销售业绩复盘"
