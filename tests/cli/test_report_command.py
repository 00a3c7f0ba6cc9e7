"""`retrogen report`: each mode through the command line, the .docx read back with python-docx, golden
texts, and what it refuses."""

from __future__ import annotations

import contextlib
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from docx.document import Document
from docx.oxml.ns import qn
from docx.shared import Cm
from docx.table import Table
from docx.text.paragraph import Paragraph

from retrogen.cli import cli

TODAY = "2026-11-20"


def run(kb: Path, *args: str) -> tuple[int, str, str]:
    with contextlib.chdir(kb):
        result = CliRunner().invoke(cli, ["report", *args, "--today", TODAY, "--no-git"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def docx_text(document: Document) -> str:
    """The document's paragraphs and tables in order, a table as one line per row with ` | ` between cells."""
    lines = []
    for block in document.iter_inner_content():
        if isinstance(block, Paragraph):
            if block.text:
                lines.append(block.text)
        elif isinstance(block, Table):
            lines += [" | ".join(cell.text for cell in row.cells) for row in block.rows]
    return "\n".join(lines) + "\n"


def table_rows(document: Document, first_header: str, nth: int = 0) -> list[list[str]]:
    """The `nth` table whose first heading is `first_header` (-1: the last; the action plan follows the
    follow-up's tables, which also start with #)."""
    table = [t for t in document.tables if t.rows[0].cells[0].text == first_header][nth]
    return [[cell.text for cell in row.cells] for row in table.rows]


def test_review_docx_holds_the_kpi_and_action_tables(
    knowledge_base: Path, tmp_path: Path, golden: Callable[[str, str], None]
) -> None:
    target = tmp_path / "out" / "q3.docx"
    code, _, err = run(knowledge_base, "2026-q3-east-sales", "-o", str(target))
    assert code == 0 and f"Wrote {target}" in err
    document = docx.Document(str(target))
    assert table_rows(document, "指标") == [
        ["指标", "单位", "目标值", "实际值", "达成率", "标识", "环比"],
        ["销售额", "万元", "500", "380", "76%", "未达成", "-9.5%"],
        ["新客户数量", "个", "20", "12", "60%", "未达成", "-14.3%"],
        ["老客户复购率", "%", "60", "65", "108.3%", "达成", "+4 pp"],
        ["平均跟进周期", "天", "15", "22", "68.2%", "未达成", "+15.8%"],
    ]
    actions = table_rows(document, "#", -1)
    assert actions[0] == ["#", "措施", "负责人", "截止", "检查点", "状态"]
    assert [row[0:4] + row[5:] for row in actions[1:]] == [
        ["A1", "开展SPIN提问技巧培训,11月起每周1次销售案例模拟演练", "张伟", "2026-10-20", "已完成"],
        ["A2", "修订《新客户开发SOP》,增加“客户决策链摸排”必填项", "刘洋", "2026-11-01", "已结转"],
        ["A3", "编制“产品行业痛点手册”,提供给销售团队", "王芳", "2026-11-05", "已结转"],
    ]
    golden("report/2026-q3-east-sales.docx.txt", docx_text(document))


def test_docx_tables_keep_their_column_widths(knowledge_base: Path, tmp_path: Path) -> None:
    """LibreOffice lays a table out by its grid (w:gridCol), Word by each cell's width: both are set, or
    every column comes out equally wide."""
    target = tmp_path / "q3.docx"
    assert run(knowledge_base, "2026-q3-east-sales", "-o", str(target))[0] == 0
    actions = [t for t in docx.Document(str(target)).tables if t.rows[0].cells[0].text == "#"][-1]
    grid = [round(column.width / Cm(1), 1) for column in actions.columns]
    assert grid == [0.9, 5.3, 1.8, 3.2, 3.5, 2.5]
    assert [round(cell.width / Cm(1), 1) for cell in actions.rows[1].cells] == grid


def test_docx_is_a4_with_east_asian_fonts(knowledge_base: Path, tmp_path: Path) -> None:
    target = tmp_path / "q3.docx"
    assert run(knowledge_base, "2026-q3-east-sales", "-o", str(target))[0] == 0
    document = docx.Document(str(target))
    section = document.sections[0]
    assert (round(section.page_width / Cm(1), 1), round(section.page_height / Cm(1), 1)) == (21.0, 29.7)
    for style in ("Normal", "Title", "Heading 1", "Heading 2"):
        fonts = document.styles[style].element.rPr.rFonts
        assert fonts.get(qn("w:eastAsia")) == "微软雅黑", style
        assert fonts.get(qn("w:ascii")) == "Arial", style
        assert fonts.get(qn("w:eastAsiaTheme")) is None, style  # a theme font would win
    defaults = document.styles.element.find(
        "/".join(qn(f"w:{tag}") for tag in ("docDefaults", "rPrDefault", "rPr", "rFonts"))
    )
    assert defaults.get(qn("w:eastAsia")) == "宋体"  # beneath the styles: what a run outside them gets


def test_english_review_report_is_in_english(
    knowledge_base: Path, tmp_path: Path, golden: Callable[[str, str], None]
) -> None:
    code, out, _ = run(knowledge_base, "2026-q3-emea-enterprise")
    assert code == 0
    golden("report/2026-q3-emea-enterprise.md", out)
    target = tmp_path / "emea.docx"
    assert run(knowledge_base, "2026-q3-emea-enterprise", "-o", str(target))[0] == 0
    text = docx_text(docx.Document(str(target)))
    assert "Targets and results" in text and "Action plan" in text and "目标与结果" not in text


def test_review_markdown_matches_golden(
    knowledge_base: Path, tmp_path: Path, golden: Callable[[str, str], None]
) -> None:
    target = tmp_path / "q3.md"
    assert run(knowledge_base, "2026-q3-east-sales", "-o", str(target))[0] == 0
    golden("report/2026-q3-east-sales.md", target.read_text(encoding="utf-8"))


def test_team_period_report_is_a_summary_then_each_review(
    knowledge_base: Path, tmp_path: Path, golden: Callable[[str, str], None]
) -> None:
    target = tmp_path / "华东-2026-H2.md"
    assert run(knowledge_base, "--team", "华东销售部", "--period", "2026-H2", "-o", str(target))[0] == 0
    text = target.read_text(encoding="utf-8")
    golden("report/team-2026-H2.md", text)
    titles = [line for line in text.splitlines() if line.startswith("# ")]
    assert titles == ["# 华东销售部 2026-H2 复盘汇总", "# 2026年Q3华东区销售业绩复盘", "# 2026年10月华东区销售月度复盘"]
    docx_target = tmp_path / "team.docx"
    assert run(knowledge_base, "--team", "华东销售部", "--period", "2026-H2", "-o", str(docx_target))[0] == 0
    rows = table_rows(docx.Document(str(docx_target)), "复盘")
    assert rows[1] == ["2026年Q3华东区销售业绩复盘", "1/4", "78.1%", "未达成", "3", "0", "0", "100%"]


def test_all_teams_summary(knowledge_base: Path, tmp_path: Path, golden: Callable[[str, str], None]) -> None:
    code, out, _ = run(knowledge_base, "--period", "2026", "--lang", "en")
    assert code == 0
    golden("report/all-teams-2026.en.md", out)
    target = tmp_path / "2026.docx"
    assert run(knowledge_base, "--period", "2026", "-o", str(target))[0] == 0
    document = docx.Document(str(target))
    assert table_rows(document, "团队")[1:] == [
        ["Enterprise Sales EMEA", "1/9", "76.6%", "未达成", "8", "2", "0", "66.7%"],
        ["Inside Sales APAC", "0/2", "57.5%", "未达成", "2", "2", "0", "0%"],
        ["华东销售部", "4/15", "84.7%", "未达成", "14", "4", "1", "55.6%"],
        ["华南客户成功部", "0/2", "56.7%", "未达成", "3", "2", "1", "33.3%"],
    ]
    assert document.paragraphs[0].text == "全部团队 2026 复盘汇总"


def test_html_report_is_a_standalone_page(knowledge_base: Path, tmp_path: Path) -> None:
    target = tmp_path / "q3.html"
    assert run(knowledge_base, "2026-q3-east-sales", "-o", str(target))[0] == 0
    page = target.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and "@page { size: A4" in page
    assert '<td class="num rag-red">' not in page and '<td class=" rag-red">未达成</td>' in page
    assert "http" not in page and "<script" not in page


def test_format_option_wins_over_the_suffix(knowledge_base: Path, tmp_path: Path) -> None:
    target = tmp_path / "report.txt"
    assert run(knowledge_base, "2026-q3-east-sales", "-o", str(target), "--format", "html")[0] == 0
    assert target.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_existing_file_is_kept_without_force_and_replaced_with_it(knowledge_base: Path, tmp_path: Path) -> None:
    target = tmp_path / "out" / "q3.md"
    target.parent.mkdir()
    target.write_text("mine", encoding="utf-8")
    code, _, err = run(knowledge_base, "2026-q3-east-sales", "-o", str(target))
    assert code == 1 and "already exists; add --force" in err
    assert target.read_text(encoding="utf-8") == "mine"
    assert run(knowledge_base, "2026-q3-east-sales", "-o", str(target), "--force")[0] == 0
    assert target.read_text(encoding="utf-8").startswith("# 2026年Q3华东区销售业绩复盘")
    assert [p.name for p in target.parent.iterdir()] == ["q3.md"]  # no temporary file left beside it


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (
            ["2026-q3-east-sale"],
            1,
            "no review '2026-q3-east-sale' in the knowledge base; did you mean '2026-q3-east-sales'?",
        ),
        (["--period", "2026-Q3", "--team", "华东"], 1, "no team '华东' in the knowledge base"),
        (["--period", "2030-Q1"], 1, "the knowledge base has no review in 2030-Q1; its reviews' periods: 2025-Q4"),
        (["--period", "2026-Q5"], 2, "'2026-Q5' is not a period"),
        (["2026-q3-east-sales", "--period", "2026-Q3"], 2, "not both"),
        (["--team", "华东销售部"], 2, "--team needs a --period"),
        ([], 2, "name a review"),
        (["2026-q3-east-sales", "--format", "docx"], 2, "add -o FILE"),
        (["2026-q3-east-sales", "-o", "report.pdf"], 2, "name a .docx, .md or .html file"),
    ],
)
def test_refusals_are_clear_messages(knowledge_base: Path, args: list[str], code: int, message: str) -> None:
    exit_code, out, err = run(knowledge_base, *args)
    assert exit_code == code
    assert message in " ".join(err.split()) and "Traceback" not in err + out
    assert not (knowledge_base / "report.pdf").exists()


@pytest.mark.parametrize(
    ("command", "imports_docx"),
    [
        (["metrics", "--format", "json"], False),
        (["actions"], False),
        (["playbook"], False),
        (["report", "2026-q3-east-sales", "-o", "x.docx"], True),
    ],
)
def test_only_a_command_that_writes_word_imports_python_docx(
    knowledge_base: Path, command: list[str], imports_docx: bool
) -> None:
    """python-docx and lxml are 7.6 MB and 50 ms of a run (issue 21): the commands that write no Word
    document never import them."""
    code = (
        "import sys, retrogen.cli as c\n"
        f"c.cli.main({[*command, '--today', '2026-11-20']!r}, standalone_mode=False)\n"
        "print('docx:', 'docx' in sys.modules, file=sys.stderr)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=knowledge_base, capture_output=True, text=True, check=True
    )
    assert result.stderr.strip().splitlines()[-1] == f"docx: {imports_docx}"
