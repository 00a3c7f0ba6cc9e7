"""`retrogen playbook -o playbook.docx`: the playbook as a Word document, laid out from the same Playbook as the
Markdown."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable
from pathlib import Path

import docx
import pytest
import yaml
from click.testing import CliRunner, Result

from retrogen.cli import cli

TODAY = "2026-11-20"


def run(kb: Path, *args: str) -> Result:
    with contextlib.chdir(kb):
        return CliRunner().invoke(cli, [*args, "--today", TODAY, "--no-git"], catch_exceptions=False)


def paragraphs(path: Path) -> list[tuple[str, str]]:
    return [(p.style.name if p.style else "", p.text) for p in docx.Document(str(path)).paragraphs]


def lesson_texts(kb: Path) -> list[str]:
    reviews = [yaml.safe_load(path.read_text(encoding="utf-8")) for path in sorted((kb / "reviews").glob("*.yaml"))]
    return [lesson["lesson"] for review in reviews for lesson in review.get("lessons") or ()]


def test_docx_has_the_sections_of_the_markdown_and_every_lesson_once(knowledge_base: Path) -> None:
    result = run(knowledge_base, "playbook", "-o", "playbook.docx")
    assert result.exit_code == 0, result.output
    written = paragraphs(knowledge_base / "playbook.docx")
    markdown = run(knowledge_base, "playbook").stdout.splitlines()
    headings = [(style, text) for style, text in written if style in {"Title", "Heading 1", "Heading 2"}]
    assert headings == [
        ({"# ": "Title", "## ": "Heading 1", "### ": "Heading 2"}[line[: line.index(" ") + 1]], line.split(" ", 1)[1])
        for line in markdown
        if line.startswith("#")
    ]
    body = "\n".join(text for _, text in written)
    lessons = lesson_texts(knowledge_base)
    assert len(lessons) > 10
    assert {lesson: body.count(lesson) for lesson in lessons} == {lesson: 1 for lesson in lessons}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_docx_paragraphs_match_golden(knowledge_base: Path, golden: Callable[[str, str], None], lang: str) -> None:
    assert run(knowledge_base, "playbook", "--lang", lang, "-o", "playbook.docx").exit_code == 0
    golden(
        f"playbook.{lang}.docx.txt",
        "".join(f"[{style}] {text}\n" for style, text in paragraphs(knowledge_base / "playbook.docx")),
    )


def test_format_option_wins_over_the_suffix(knowledge_base: Path) -> None:
    assert run(knowledge_base, "playbook", "--format", "docx", "-o", "playbook.word").exit_code == 0
    assert paragraphs(knowledge_base / "playbook.word")[0] == ("Title", "打法手册")
    assert run(knowledge_base, "playbook", "--format", "md", "-o", "playbook.txt").exit_code == 0
    assert (knowledge_base / "playbook.txt").read_text(encoding="utf-8").startswith("# 打法手册")


def test_docx_refuses_to_overwrite_without_force(knowledge_base: Path) -> None:
    target = knowledge_base / "playbook.docx"
    target.write_bytes(b"mine")
    result = run(knowledge_base, "playbook", "-o", "playbook.docx")
    assert result.exit_code == 1 and "--force" in result.stderr and target.read_bytes() == b"mine"
    assert run(knowledge_base, "playbook", "-o", "playbook.docx", "--force").exit_code == 0
    assert paragraphs(target)[0] == ("Title", "打法手册")
    assert [p.name for p in knowledge_base.iterdir() if p.name.startswith(".playbook")] == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--format", "pdf", "-o", "playbook.pdf"], "'pdf' is not one of"),
        (["-o", "playbook.pdf"], "name a .md or .docx file"),
        (["--format", "docx"], "add -o FILE"),
    ],
)
def test_an_unknown_or_unprintable_format_is_a_usage_error(knowledge_base: Path, args: list[str], message: str) -> None:
    result = run(knowledge_base, "playbook", *args)
    assert result.exit_code == 2 and message in result.stderr
    assert not (knowledge_base / "playbook.pdf").exists()


def test_english_counts_are_singular_for_one(knowledge_base: Path) -> None:
    result = run(knowledge_base, "playbook", "--lang", "en")
    out = result.output
    assert result.exit_code == 0
    assert not re.search(r"\b1 (reviews|teams)\b", out)
    assert "1 team · " in out and "1 review · " in out and "2 reviews · " in out
