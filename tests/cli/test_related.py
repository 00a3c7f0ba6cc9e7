"""`retrogen related` through the command line, on the labelled knowledge base of tests/related."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from .test_check_and_new import run

LABELLED = Path(__file__).resolve().parent.parent / "related"
CONFIG = str(LABELLED / "mkdocs.yml")


def test_related_by_review_lists_the_other_regions_churn_review_first() -> None:
    code, out = run("-c", CONFIG, "related", "2026-10-south-churn", "--lang", "en")
    assert code == 0, out
    lines = out.splitlines()
    assert lines[0].split() == ["review", "title", "item", "kind", "text", "score"]
    assert len(lines) == 2 + 5  # header, rule, --limit's default of 5 rows
    assert lines[2].startswith("2026-08-east-churn")
    assert "2026-10-south-churn" not in out


def test_related_json_rows_and_limit() -> None:
    code, out = run("-c", CONFIG, "related", "--text", "economic buyer", "--limit", "3", "--format", "json")
    assert code == 0, out
    rows = json.loads(out)
    assert len(rows) == 3 and all(set(row) == {"review", "item", "kind", "text", "score"} for row in rows)
    assert rows[0]["review"] in {"2026-11-bank-deal", "2026-08-fleet-deal-lost"}
    assert rows[0]["kind"] in {"problem", "lesson"} and rows[0]["item"][0] in "PL"
    assert [row["score"] for row in rows] == sorted((row["score"] for row in rows), reverse=True)


def test_related_csv() -> None:
    code, out = run("-c", CONFIG, "related", "--text", "定价", "--format", "csv", "--limit", "2")
    assert code == 0, out
    assert out.splitlines()[0] == "复盘,标题,条目,类型,内容,相似度" and len(out.splitlines()) == 3


def test_unknown_review_is_a_clear_error_with_did_you_mean() -> None:
    code, out = run("-c", CONFIG, "related", "2026-10-south-chrn")
    assert code == 1
    assert "did you mean '2026-10-south-churn'?" in out and "Traceback" not in out


def test_review_and_text_together_or_neither_is_a_usage_error() -> None:
    assert run("-c", CONFIG, "related", "2026-10-south-churn", "--text", "churn")[0] == 2
    code, out = run("-c", CONFIG, "related")
    assert code == 2
    # with neither, it says what to give, not what not to do
    assert "not both" not in out and "a review id (retrogen related" in out and "--text" in out


def copy_labelled(target: Path) -> Path:
    shutil.copytree(LABELLED / "reviews", target / "reviews")
    shutil.copy(LABELLED / "mkdocs.yml", target / "mkdocs.yml")
    return target


def test_new_with_tags_writes_them_and_prints_the_related_past_lessons(tmp_path: Path) -> None:
    root = copy_labelled(tmp_path)
    code, out = run(
        "new",
        "2027-q1-east",
        "--team",
        "华东销售部",
        "--tags",
        "客户维护, 交接,,客户维护",
        "--today",
        "2026-12-01",
        cwd=root,
    )
    assert code == 0, out
    assert 'tags: ["客户维护", "交接"]' in (root / "reviews" / "2027-q1-east.yaml").read_text(encoding="utf-8")
    listed = out.split("Related past lessons, to start the meeting from:\n")[1].splitlines()
    assert len(listed) == 5 and listed[0].split()[0] == "2026-08-east-churn:L1"
    assert all(":L" in line for line in listed)  # lessons only


def test_new_with_tags_that_nothing_shares_says_so(tmp_path: Path) -> None:
    code, out = run("new", "2027-q1-x", "--tags", "quantum", "--today", "2026-12-01", cwd=copy_labelled(tmp_path))
    assert code == 0, out
    assert "No past lesson relates to this team and these tags yet." in out


def test_new_without_tags_does_not_load_the_index() -> None:
    """The index needs jieba, numpy and scipy; `new` pays for them only when --tags asks for related lessons."""
    code = (
        "import sys, tempfile, shutil, contextlib, pathlib, retrogen.cli as c\n"
        "root = pathlib.Path(tempfile.mkdtemp())\n"
        f"shutil.copytree({str(LABELLED / 'reviews')!r}, root / 'reviews')\n"
        f"shutil.copy({str(LABELLED / 'mkdocs.yml')!r}, root)\n"
        "with contextlib.chdir(root):\n"
        "    c.cli.main(['new', 'x', '--team', '华东销售部', '--today', '2026-12-01'], standalone_mode=False)\n"
        "print('heavy:', ','.join(sorted(m for m in ('jieba', 'scipy') if m in sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stderr.strip().splitlines()[-1] == "heavy:"


def test_related_keeps_its_terms_between_runs_unless_told_not_to(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = copy_labelled(tmp_path)
    store = root / ".retrogen" / "related.npz"
    code, without = run("--no-cache", "related", "2026-10-south-churn", "--format", "json", cwd=root)
    assert code == 0 and not store.exists(), without
    monkeypatch.delenv("RETROGEN_NO_CACHE")
    cold = run("related", "2026-10-south-churn", "--format", "json", cwd=root)
    assert store.exists()
    warm = run("related", "2026-10-south-churn", "--format", "json", cwd=root)
    assert cold == warm == (0, without)
    store.write_bytes(b"garbage" * 1000)
    code, out = run("related", "2026-10-south-churn", "--format", "json", cwd=root)
    assert code == 0 and "notice:" in out and "related.npz: unreadable" in out
    assert "".join(line for line in out.splitlines(keepends=True) if not line.startswith("notice:")) == without
