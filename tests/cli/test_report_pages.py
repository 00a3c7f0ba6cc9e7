"""A typical review's report fits on two A4 pages, counted in the PDF LibreOffice makes of the .docx.
Skipped where LibreOffice Writer is not installed (it is a judge of the layout, not a dependency), except under CI."""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrogen.cli import cli

pytestmark = pytest.mark.slow
# Every review of the fixture knowledge base: the longest (2026-q3-east-sales: 4 KPIs, 3 problems with their
# whys, 4 lessons, 3 actions) is the template's own example of a full review.
REVIEWS = sorted(p.stem for p in (Path(__file__).resolve().parent.parent / "kb" / "reviews").glob("*.yaml"))


def test_each_review_fits_on_two_a4_pages_and_a_summary_on_one(knowledge_base: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    with contextlib.chdir(knowledge_base):
        for name, args in [*((review, [review]) for review in REVIEWS), ("summary", ["--period", "2026"])]:
            result = CliRunner().invoke(
                cli,
                ["report", *args, "-o", str(out / f"{name}.docx"), "--today", "2026-11-20", "--no-git"],
                catch_exceptions=False,
            )
            assert result.exit_code == 0, result.output
    soffice = shutil.which("soffice")
    if soffice is None:
        _unavailable("LibreOffice is not installed (apt-get install libreoffice-writer-nogui)")
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={(tmp_path / 'profile').as_uri()}",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(out),
            *map(str, sorted(out.glob("*.docx"))),
        ],
        capture_output=True,
        timeout=600,
        check=False,
    )
    pages = {}
    for review in [*REVIEWS, "summary"]:
        pdf = out / f"{review}.pdf"
        if not pdf.is_file():
            _unavailable("LibreOffice could not convert the documents (is its Writer component installed?)")
        pages[review] = len(re.findall(rb"/Type\s*/Page\b(?!s)", pdf.read_bytes()))
    assert pages.pop("summary") == 1
    assert all(1 <= count <= 2 for count in pages.values()), pages


def _unavailable(reason: str) -> None:
    """Skip where LibreOffice is missing; under CI, which installs it (.ci/run), a skip would hide a failure."""
    if os.environ.get("CI") == "true":
        pytest.fail(reason)
    pytest.skip(reason)
