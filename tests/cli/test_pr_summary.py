"""`retrogen pr-summary`: the comment CI posts on a review's pull request. The numbers it shows are checked
against the review files themselves, not against retrogen's own tables."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path

import yaml
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.report.pr_summary import MARKER

TODAY = "2026-11-20"
SITE = "https://kb.example.com/sales/"
ROOT = Path(__file__).resolve().parents[2]


def run(kb: Path, *args: str) -> tuple[int, str, str]:
    with contextlib.chdir(kb):
        result = CliRunner().invoke(cli, ["pr-summary", *args, "--today", TODAY, "--no-git"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def section(markdown: str, heading: str) -> str:
    """The text under a `#### heading`, up to the next heading."""
    found = re.search(rf"^#### {re.escape(heading)}\n(.*?)(?=^#{{2,4}} |\Z)", markdown, re.M | re.S)
    assert found, f"no section {heading!r} in:\n{markdown}"
    return found.group(1)


def rows(table: str) -> list[list[str]]:
    """The body rows of the first Markdown table in `table`, cells stripped."""
    lines = [line for line in table.splitlines() if line.startswith("|")]
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in lines[2:]]


def test_golden(knowledge_base: Path, golden: Callable[[str, str], None]) -> None:
    code, out, _ = run(knowledge_base, "reviews/2026-q3-east-sales.yaml", "--site-url", SITE)
    assert code == 0
    golden("pr-summary/2026-q3-east-sales.md", out)


def test_golden_english(knowledge_base: Path, golden: Callable[[str, str], None]) -> None:
    code, out, _ = run(knowledge_base, "2026-q3-emea-enterprise", "--lang", "en")
    assert code == 0
    golden("pr-summary/2026-q3-emea-enterprise.en.md", out)


def test_kpis_show_each_metric_with_its_achievement(knowledge_base: Path) -> None:
    data = yaml.safe_load((knowledge_base / "reviews" / "2026-q3-east-sales.yaml").read_text(encoding="utf-8"))
    code, out, _ = run(knowledge_base, "reviews/2026-q3-east-sales.yaml")
    assert code == 0 and out.startswith(MARKER + "\n")
    table = rows(section(out, "目标与结果"))
    assert [row[0] for row in table] == [m["name"] for m in data["metrics"]]
    for row, metric in zip(table, data["metrics"], strict=True):
        ratio = (
            metric["target"] / metric["actual"]
            if metric.get("better") == "lower"
            else metric["actual"] / metric["target"]
        )
        assert row[4] == f"{round(ratio * 100, 1):g}%"
        assert row[5].endswith("绿" if ratio >= 1 else "红" if ratio < 0.9 else "黄")
    assert table[0][2:5] == ["500", "380", "76%"]  # 销售额: 380 of 500
    assert table[3][4] == "68.2%"  # 平均跟进周期, lower is better: 15 / 22


def test_actions_show_owner_and_due_date(knowledge_base: Path) -> None:
    data = yaml.safe_load((knowledge_base / "reviews" / "2026-q3-east-sales.yaml").read_text(encoding="utf-8"))
    _, out, _ = run(knowledge_base, "2026-q3-east-sales")
    table = rows(section(out, "改进行动"))
    assert [(r[0], r[2], r[3]) for r in table] == [(a["id"], a["owner"], str(a["due"])) for a in data["actions"]]


def test_follow_up_lists_the_previous_reviews_actions(knowledge_base: Path) -> None:
    previous = yaml.safe_load((knowledge_base / "reviews" / "2026-q2-east-sales.yaml").read_text(encoding="utf-8"))
    _, out, _ = run(knowledge_base, "2026-q3-east-sales", "--site-url", SITE)
    follow_up = section(out, "上期行动回顾")
    assert f"上期复盘: [{previous['title']}]({SITE}reviews/2026-q2-east-sales/)" in follow_up
    listed = [(r[2], r[3]) for r in rows(follow_up)]
    for action in previous["actions"]:
        assert (action["action"], action["owner"]) in listed


def test_related_lists_three_items_of_other_reviews(knowledge_base: Path) -> None:
    _, out, _ = run(knowledge_base, "2026-q3-east-sales", "--site-url", SITE)
    items = re.findall(
        r"^- \[.*? · ([PL]\d+)\]\(https://kb\.example\.com/sales/reviews/([^/]+)/#([pl]\d+)\)",
        section(out, "相关的过往经验"),
        re.M,
    )
    assert len(items) == 3
    assert all(review != "2026-q3-east-sales" and item.lower() == anchor for item, review, anchor in items)


def test_links_follow_use_directory_urls_and_are_left_out_without_a_site(knowledge_base: Path) -> None:
    config = knowledge_base / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace("use_directory_urls: true", "use_directory_urls: false")
        + "site_url: https://intranet.example.com/kb\n",
        encoding="utf-8",
    )
    _, out, _ = run(knowledge_base, "2026-q3-east-sales")
    assert "(https://intranet.example.com/kb/reviews/2026-q3-east-sales.html)" in out
    config.write_text(config.read_text(encoding="utf-8").replace("site_url: https://intranet.example.com/kb\n", ""))
    _, out, _ = run(knowledge_base, "2026-q3-east-sales")
    assert "](" not in out and "### 2026年Q3华东区销售业绩复盘\n" in out


def test_review_text_stays_text(knowledge_base: Path) -> None:
    path = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(
        text.replace(
            "title: 2026年Q3华东区销售业绩复盘", 'title: "Q3 <img src=x onerror=alert(1)> [click](javascript:alert(1))"'
        ),
        encoding="utf-8",
    )
    _, out, _ = run(knowledge_base, "2026-q3-east-sales")
    assert "<img" not in out and "&lt;img" in out
    assert r"\[click\](javascript:" in out and not re.search(r"(?<!\\)\]\(javascript:", out)  # no link made


def test_a_file_that_fails_the_gate_is_listed_and_others_still_summarised(knowledge_base: Path) -> None:
    broken = knowledge_base / "reviews" / "2026-12-draft.yaml"
    broken.write_text("schema_version: 1\nid: 2026-12-draft\ntitle: draft\n", encoding="utf-8")
    code, out, _ = run(knowledge_base, "reviews/2026-12-draft.yaml", "reviews/2026-q3-east-sales.yaml")
    assert code == 0
    assert "retrogen check" in out and "- <code>reviews/2026-12-draft.yaml</code>" in out
    assert "### 2026年Q3华东区销售业绩复盘" in out


def test_an_unknown_review_is_refused_with_a_hint(knowledge_base: Path) -> None:
    code, _, err = run(knowledge_base, "2026-q3-east-sale")
    assert code == 1 and "2026-q3-east-sales" in err


def test_output_file_and_no_review_named(knowledge_base: Path, tmp_path: Path) -> None:
    target = tmp_path / "comment.md"
    code, out, _ = run(knowledge_base, "2026-q3-east-sales", "-o", str(target))
    assert code == 0 and out == "" and target.read_text(encoding="utf-8").startswith(MARKER)
    code, _, err = run(knowledge_base)
    assert code == 2 and "REVIEW" in err


def test_workflows_update_the_comment_that_starts_with_the_marker() -> None:
    workflows = [
        ROOT / ".github" / "workflows" / "reviews.yml",
        ROOT / "retrogen" / "templates" / "init" / "workflows" / "reviews.yml.j2",
    ]
    for workflow in workflows:
        text = workflow.read_text(encoding="utf-8")
        assert f'startswith("{MARKER}")' in text and "--method PATCH" in text and "retrogen pr-summary" in text
