"""Bar charts that documents draw themselves: the steps a Word bar shades, the reference line, the Markdown
and HTML bars, and the report's achievement and funnel charts."""

from __future__ import annotations

import io
import re
import zipfile

from retrogen.formats.documents import BAR_CELLS, Bar, Bars, Heading, bar_segments, markdown_bar, to_docx, to_html


def test_a_bar_shades_its_share_of_the_steps_and_the_target_line_starts_a_cell() -> None:
    # 76% on a 125% scale: 0.608 of 40 steps is 24; the target (100%) is step 32.
    chart = Bars((Bar("销售额", 0.76 / 1.25, "76%", "red"), Bar("复购率", 1.083 / 1.25, "108.3%", "green")), 0.8)
    assert bar_segments(chart) == [
        [(24, True, False), (8, False, False), (8, False, True)],
        [(32, True, False), (3, True, True), (5, False, False)],
    ]
    assert all(sum(span for span, _, _ in row) == BAR_CELLS for row in bar_segments(chart))


def test_lengths_outside_the_chart_are_clipped_and_no_reference_means_no_line() -> None:
    chart = Bars((Bar("a", 1.7, ""), Bar("b", -0.2, ""), Bar("c", 0.0, "")))
    assert bar_segments(chart) == [[(40, True, False)], [(40, False, False)], [(40, False, False)]]


def test_markdown_bars_are_block_characters_to_an_eighth() -> None:
    assert markdown_bar(1.0) == "█" * 20
    assert markdown_bar(0.5) == "█" * 10
    assert markdown_bar(0.51) == "█" * 10 + "▎"  # 0.51 × 160 eighths = 81.6, rounded to 82: ten blocks and 2/8
    assert markdown_bar(0.0) == ""


def test_word_draws_the_bars_as_shaded_cells_in_their_colours() -> None:
    chart = Bars((Bar("销售额", 0.608, "76% 未达成", "red"), Bar("线索", 1.0, "240")), 0.8, "虚线为目标")
    with zipfile.ZipFile(io.BytesIO(to_docx([chart], "zh", "页脚"))) as docx:
        body = docx.read("word/document.xml").decode()
        footer = docx.read("word/footer1.xml").decode()
    # The red bar is one shaded cell; the full blue one is two, split where the target line crosses it.
    assert body.count('w:fill="D64545"') == 1 and body.count('w:fill="4A78B5"') == 2
    assert re.findall(r'<w:gridSpan w:val="(\d+)"/>', body) == ["24", "8", "8", "32", "8"]
    assert body.count('<w:left w:val="dashed"') == 2  # the target line through both bars
    assert "76% 未达成" in body and "虚线为目标" in body
    assert "页脚" in footer and 'w:instr="PAGE"' in footer and 'w:instr="NUMPAGES"' in footer


def test_html_bars_have_their_width_and_the_target_line() -> None:
    page = to_html([Heading("Review", 0), Bars((Bar("Win rate", 0.5, "62.5%", "amber"),), 0.8)], "en")
    assert 'class="bar bar-amber" style="width: 50.0%"' in page
    assert 'class="bar-reference" style="left: 80.0%"' in page
