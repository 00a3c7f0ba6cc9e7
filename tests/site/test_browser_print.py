"""A review page as printed on A4 from Chromium: numbered pages, the day its figures are as of, and no link
to a file that paper cannot download. Its text is read from the PDF with poppler's pdftotext."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from .conftest import TODAY
from .test_browser import ARTIFACTS, browser  # noqa: F401  (the module's Chromium, shared)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def test_a_printed_review_has_page_numbers_its_as_of_day_and_no_download_link(
    browser: Any, site_url: str, tmp_path: Path
) -> None:
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must read the printed page: apt-get install poppler-utils")
        pytest.skip("pdftotext is missing: apt-get install poppler-utils")
    page = browser.new_page()
    try:
        page.goto(f"{site_url}reviews/2026-q3-east-sales/")
        assert page.locator("a.rg-download").is_visible()  # on screen, the Word report is offered
        pdf = tmp_path / "review.pdf"
        page.pdf(path=str(pdf), format="A4")
    finally:
        page.close()
    ARTIFACTS.mkdir(exist_ok=True)
    shutil.copy(pdf, ARTIFACTS / "printed-review-2026-q3-east-sales.pdf")
    text = subprocess.run([pdftotext, str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    pages = text.rstrip("\f").split("\f")
    assert len(pages) >= 2
    for number, printed in enumerate(pages, 1):
        assert re.search(rf"^{number}\s*/\s*{len(pages)}$", printed, re.MULTILINE), (number, printed[-200:])
    assert f"截至 {TODAY.isoformat()}" in pages[0]
    assert "下载《复盘报告》" not in text
    assert "华东区销售业绩复盘" in pages[0]  # pdftotext sets the title's Latin digits apart from its Chinese
