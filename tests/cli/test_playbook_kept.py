"""`retrogen playbook` keeps the document it wrote (engine/playbook_cache.py, DocumentStore): used again while
nothing it shows changed, made afresh on any edit it shows, the day, the language or the format, and always
what a run without it (--no-cache) prints."""

from __future__ import annotations

import contextlib
import gc
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from retrogen.cli import cli
from retrogen.cli import reports as reports_command
from retrogen.engine import playbook_cache
from retrogen.engine.analysis import Analysis
from retrogen.engine.playbook_cache import DOCUMENT_NAMES
from retrogen.gate.index import INDEX_FOLDER

TODAY = "2026-11-20"
REVIEW = "reviews/2026-q3-east-sales.yaml"


def run(kb: Path, *args: str, today: str = TODAY) -> Result:
    with contextlib.chdir(kb):
        result = CliRunner(env={"RETROGEN_NO_CACHE": None}).invoke(
            cli, [*args, "--today", today, "--no-git"], catch_exceptions=False
        )
    assert result.exit_code == 0, result.output
    return result


def fresh(kb: Path, *args: str, today: str = TODAY) -> Result:
    with contextlib.chdir(kb):
        return CliRunner().invoke(cli, ["--no-cache", *args, "--today", today, "--no-git"], catch_exceptions=False)


@pytest.fixture
def made(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The formats of the documents made (not taken from the store), one entry per document."""
    formats: list[str] = []
    original = reports_command._playbook_document

    def counted(analysis: Analysis, language: str, chosen: str) -> str | bytes:
        formats.append(chosen)
        return original(analysis, language, chosen)

    monkeypatch.setattr(reports_command, "_playbook_document", counted)
    return formats


def edit(kb: Path, old: str, new: str) -> None:
    path = kb / REVIEW
    text = path.read_text(encoding="utf-8")
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new), encoding="utf-8")


def test_an_edit_the_playbook_does_not_show_keeps_the_document(knowledge_base: Path, made: list[str]) -> None:
    first = run(knowledge_base, "playbook").stdout
    assert (knowledge_base / INDEX_FOLDER / DOCUMENT_NAMES["md"]).is_file() and made == ["md"]
    assert run(knowledge_base, "playbook").stdout == first and made == ["md"]
    edit(knowledge_base, "    actual: 380\n", "    actual: 381\n")  # a KPI: no practice shows it
    (knowledge_base / REVIEW).write_text((knowledge_base / REVIEW).read_text("utf-8") + "# a comment\n", "utf-8")
    assert run(knowledge_base, "playbook").stdout == first == fresh(knowledge_base, "playbook").stdout
    assert made == ["md", "md"]  # the --no-cache run made its own; the kept one was used


@pytest.mark.parametrize(
    ("old", "new"),
    [
        ("复购率提升至65%", "复购率提升至66%"),  # a lesson's text
        ("title: 2026年Q3华东区销售业绩复盘", "title: 华东区Q3复盘"),  # a source's title
        ("held_on: 2026-10-12", "held_on: 2026-10-13"),  # a source's day
        ("team: 华东销售部", "team: 华北销售部"),  # a source's team
        ("推广至所有VIP客户", "推广至所有大客户"),  # where a lesson applies
        ("tags: [决策链]", "tags: [决策链, 定价]"),  # a lesson's themes: it moves section
        ("tags: [新客户开发, 需求挖掘, 定价]", "tags: [需求挖掘, 定价]"),  # a review's: a theme's reach
    ],
)
def test_an_edit_the_playbook_shows_makes_it_afresh(knowledge_base: Path, made: list[str], old: str, new: str) -> None:
    before = run(knowledge_base, "playbook").stdout
    edit(knowledge_base, old, new)
    markdown = run(knowledge_base, "playbook").stdout
    assert markdown != before and markdown == fresh(knowledge_base, "playbook").stdout
    assert made == ["md", "md", "md"]


def test_an_action_on_a_lesson_shows_its_state_as_of_the_day(knowledge_base: Path, made: list[str]) -> None:
    before = run(knowledge_base, "playbook").stdout
    path = knowledge_base / REVIEW
    text, count = re.subn(r"^    status: \w+", "    status: cancelled", path.read_text("utf-8"), flags=re.MULTILINE)
    assert count == 3, "each of the review's actions has a status"
    path.write_text(text, "utf-8")
    after = run(knowledge_base, "playbook").stdout
    assert after != before and after == fresh(knowledge_base, "playbook").stdout
    later = run(knowledge_base, "playbook", today="2027-06-01").stdout  # another day: "as of" and the states
    assert later == fresh(knowledge_base, "playbook", today="2027-06-01").stdout and "2027-06-01" in later
    assert made == ["md", "md", "md", "md", "md"]


def test_each_language_and_format_is_kept_apart(knowledge_base: Path, made: list[str]) -> None:
    chinese = run(knowledge_base, "playbook").stdout
    english = run(knowledge_base, "playbook", "--lang", "en").stdout
    assert english != chinese and made == ["md", "md"]
    run(knowledge_base, "playbook", "-o", "a.docx")
    run(knowledge_base, "playbook", "-o", "b.docx")
    assert made == ["md", "md", "docx"]
    assert (knowledge_base / "a.docx").read_bytes() == (knowledge_base / "b.docx").read_bytes()
    assert fresh(knowledge_base, "playbook", "-o", "c.docx").exit_code == 0
    assert (knowledge_base / "c.docx").read_bytes() == (knowledge_base / "a.docx").read_bytes()
    assert run(knowledge_base, "playbook", "--lang", "en").stdout == english and len(made) == 4


@pytest.mark.parametrize(
    ("damage", "problem"),
    [
        (lambda kept: b"\xff" + kept, "not what this retrogen writes"),
        (lambda kept: kept[:-1] + bytes([kept[-1] ^ 1]), "damaged"),  # a flipped bit: the CRC tells
        (lambda kept: kept[:-20], "damaged"),  # torn
    ],
)
def test_a_damaged_document_is_made_again_with_a_notice(
    knowledge_base: Path, made: list[str], damage: Callable[[bytes], bytes], problem: str
) -> None:
    expected = run(knowledge_base, "playbook").stdout
    path = knowledge_base / INDEX_FOLDER / DOCUMENT_NAMES["md"]
    path.write_bytes(damage(path.read_bytes()))
    again = run(knowledge_base, "playbook")
    assert again.stdout == expected and made == ["md", "md"]
    notices = [line for line in again.stderr.splitlines() if path.name in line]
    assert len(notices) == 1 and problem in notices[0] and "rebuilding" in notices[0]
    assert run(knowledge_base, "playbook").stdout == expected and made == ["md", "md"]  # written again whole


def test_no_cache_keeps_nothing(knowledge_base: Path) -> None:
    assert fresh(knowledge_base, "playbook").exit_code == 0
    assert not (knowledge_base / INDEX_FOLDER / DOCUMENT_NAMES["md"]).exists()


def test_the_next_day_makes_it_afresh(knowledge_base: Path, made: list[str]) -> None:
    # No action falls due on either day: only the day the document is "as of" changes
    run(knowledge_base, "playbook", today="2026-11-22")
    next_day = run(knowledge_base, "playbook", today="2026-11-23").stdout
    assert "2026-11-23" in next_day and next_day == fresh(knowledge_base, "playbook", today="2026-11-23").stdout


def test_another_retrogen_makes_it_afresh(
    knowledge_base: Path, made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    run(knowledge_base, "playbook")
    monkeypatch.setattr(playbook_cache, "_document_code", lambda: b"another retrogen's code")
    run(knowledge_base, "playbook")
    assert made == ["md", "md"]


def test_a_kept_document_written_to_a_file_or_printed_as_text(
    knowledge_base: Path, made: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = fresh(knowledge_base, "playbook").stdout
    run(knowledge_base, "playbook")
    run(knowledge_base, "playbook", "-o", "playbook.md")
    assert (knowledge_base / "playbook.md").read_text(encoding="utf-8") == expected
    monkeypatch.setattr(reports_command, "_prints_utf8", lambda: False)  # echo encodes it for the terminal
    assert run(knowledge_base, "playbook").stdout == expected
    assert made == ["md", "md"]  # --no-cache's, and the one kept


def test_the_playbook_made_is_frozen_with_the_collector_off(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The practices live until the command ends: made with the collector off, then frozen (core/bulk.py), so
    its later passes do not walk them; the collector is back on after."""
    made: list[tuple[bool, object]] = []
    original = reports_command._playbook_document

    def watched(analysis: Analysis, language: str, chosen: str) -> str | bytes:
        document = original(analysis, language, chosen)
        made.append((gc.isenabled(), analysis.playbook.practices[0]))
        return document

    monkeypatch.setattr(reports_command, "_playbook_document", watched)
    run(knowledge_base, "playbook")
    [(collecting, practice)] = made
    assert not collecting and gc.isenabled()
    assert all(obj is not practice for obj in gc.get_objects())  # the frozen are in no generation
