"""The gate stays within what its readers accept: GitHub's summary size, one process start per hook run."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from ..conftest import KB
from .test_check_and_new import run


def test_step_summary_stays_under_githubs_limit(tmp_path: Path) -> None:
    review = tmp_path / "many-errors.yaml"
    review.write_text("id: many-errors\n" + "".join(f"f{n}: 1\n" for n in range(40_000)))
    assert review.stat().st_size < 1_048_576
    summary = tmp_path / "summary.md"
    code, _ = run(
        "check", str(review), "--format", "github", "--today", "2026-11-20", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert code == 1
    text = summary.read_text(encoding="utf-8")
    assert len(text.encode()) <= 1_048_576
    last = text.strip().splitlines()[-1]
    assert "more findings not shown" in last
    errors = int(text.splitlines()[2].split()[0])  # the summary line: "N errors, 0 warnings in 1 review file."
    shown = text.count("| ❌ |")
    assert errors > 40_000 and shown > 1000
    assert int(last.split()[0]) == errors - shown


def test_check_does_not_import_the_engine() -> None:
    """`retrogen check` runs on every commit through pre-commit: pandas, Jinja and MkDocs cost it a second,
    jsonschema is needed only to explain an invalid review, and the process pool (multiprocessing) only for
    many files."""
    review = KB / "reviews" / "2026-q3-east-sales.yaml"
    code = (
        "import sys, retrogen.cli as c\n"
        "try:\n"
        f"    c.cli.main(['check', {str(review)!r}, '--today', '2026-11-20'], standalone_mode=False)\n"
        "finally:\n"
        "    engine = ('pandas', 'numpy', 'jinja2', 'mkdocs', 'openpyxl', 'jieba', 'jsonschema', 'multiprocessing',\n"
        "              'concurrent.futures', 'secrets')\n"
        "    heavy = sorted(m for m in engine if m in sys.modules)\n"
        "    print('heavy:', ','.join(heavy), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert "pass" in result.stdout or "warning" in result.stdout
    assert result.stderr.strip().splitlines()[-1] == "heavy:"
