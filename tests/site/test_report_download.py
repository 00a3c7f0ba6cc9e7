"""Every review page offers its 《复盘报告》 as a .docx written at build time, beside the page."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import urljoin

import docx
import pytest

from retrogen.gate.config import load_config
from retrogen.site.build import generate

from .conftest import TODAY

pytestmark = pytest.mark.slow


def test_each_review_page_links_to_its_docx_in_the_built_site(built_site: Path) -> None:
    pages = sorted(p for p in (built_site / "reviews").glob("*/index.html"))
    assert len(pages) >= 10
    for page in pages:
        review_id = page.parent.name
        html = page.read_text(encoding="utf-8")
        href = f"../{review_id}.docx"
        assert f'href="{href}"' in html, review_id
        target = urljoin(f"http://site/reviews/{review_id}/", href).removeprefix("http://site/")
        assert (built_site / target).is_file(), target


def test_the_built_docx_is_the_reviews_report(built_site: Path) -> None:
    document = docx.Document(str(built_site / "reviews" / "2026-q3-east-sales.docx"))
    assert document.paragraphs[0].text == "2026年Q3华东区销售业绩复盘"
    kpis = next(t for t in document.tables if t.rows[0].cells[0].text == "指标")
    assert [c.text for c in kpis.rows[1].cells] == ["销售额", "万元", "500", "380", "76%", "未达成", "-9.5%"]


def test_hostile_review_text_is_only_text_in_its_docx(built_site: Path) -> None:
    document = docx.Document(str(built_site / "reviews" / "attack-review.docx"))  # well-formed XML, or it fails
    assert document.paragraphs[0].text == (
        "<script>alert('title')</script> [t](javascript:alert('tlink')) {: onclick=alert('attr') }"
    )


def test_a_second_generation_rewrites_no_report(knowledge_base: Path) -> None:
    config = load_config(knowledge_base / "mkdocs.yml")
    first = generate(config, TODAY, use_git=False).pages
    second = generate(config, TODAY, use_git=False).pages
    assert first is not None and second is not None
    assert "reviews/2026-q3-east-sales.docx" in first.written
    assert not [name for name in second.written if name.endswith(".docx")]  # the same report, the same bytes
