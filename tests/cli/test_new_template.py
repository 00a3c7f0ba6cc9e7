"""`new`'s template: the numbers the writer must supply are TODO (the gate refuses them untouched, passes
them filled), the meeting day is after the period, and a pre-filled `previous` is labelled with its review."""

from __future__ import annotations

import itertools
import json
import re
from datetime import date
from pathlib import Path

import pytest

from retrogen.core.periods import parse_label
from retrogen.kb.new import first_working_day_after, meeting_day

from .test_check_and_new import run
from .test_closed_loop import review, team  # noqa: F401  (the fixture)


def fill(text: str) -> str:
    """Every TODO and YYYY-MM-DD of a template replaced as a writer would: texts, numbers, dates."""
    counts = iter(["50", "20", "5"])
    texts = (f"filled in, point {n}" for n in itertools.count(1))
    text = re.sub(r'owner: "TODO: (one person|一位负责人)"', "owner: Ann Lee", text)
    text = re.sub(
        r'label: "TODO[^"]*"\n  start: YYYY-MM-DD\n  end: YYYY-MM-DD',
        "label: 2026-Q3\n  start: 2026-07-01\n  end: 2026-09-30",
        text,
    )
    text = text.replace("target: TODO", "target: 100").replace("actual: TODO", "actual: 90")
    text = re.sub(r"count: TODO", lambda _: f"count: {next(counts)}", text)
    text = text.replace("date: YYYY-MM-DD", "date: 2026-09-01").replace("due: YYYY-MM-DD", "due: 2026-12-31")
    return re.sub(r'"TODO[^"]*"', lambda _: f'"{next(texts)}"', text)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_untouched_template_is_refused_and_the_filled_one_passes(knowledge_base: Path, lang: str) -> None:
    code, out = run("new", "2026-q3-north", "--lang", lang, "--today", "2026-10-12", cwd=knowledge_base)
    assert code == 0, out
    path = knowledge_base / "reviews" / "2026-q3-north.yaml"
    text = path.read_text(encoding="utf-8")
    assert not re.search(r"(target|actual|count): 0\b", text)  # no number pretends to be filled in
    _, out = run("check", str(path), "--format", "json", "--today", "2026-10-12", cwd=knowledge_base)
    placeholders = {f["field"] for f in json.loads(out) if f["code"] == "RG115"}
    assert {"metrics[0].target", "metrics[0].actual", "funnel[0].count", "funnel[2].count"} <= placeholders
    filled = fill(text)
    values = "\n".join(line.split(" #")[0] for line in filled.splitlines() if not line.lstrip().startswith("#"))
    assert "TODO" not in values and "YYYY" not in values
    path.write_text(filled, encoding="utf-8")
    code, out = run("check", str(path), "--today", "2026-10-12", cwd=knowledge_base)
    assert out.strip().splitlines()[-1].startswith("0 errors,"), out
    assert code == 0


def test_a_funnel_left_at_zero_is_a_warning(knowledge_base: Path) -> None:
    run("new", "2026-q3-north", "--lang", "en", "--today", "2026-10-12", cwd=knowledge_base)
    path = knowledge_base / "reviews" / "2026-q3-north.yaml"
    path.write_text(
        fill(path.read_text(encoding="utf-8"))
        .replace("count: 50", "count: 0")
        .replace("count: 20", "count: 0")
        .replace("count: 5", "count: 0"),
        encoding="utf-8",
    )
    code, out = run("check", str(path), "--today", "2026-10-12", cwd=knowledge_base)
    assert code == 0 and "RG219 every funnel count is 0" in out


@pytest.mark.parametrize(
    ("day", "after"),
    [
        (date(2026, 12, 31), date(2027, 1, 1)),  # Thursday -> Friday
        (date(2026, 10, 30), date(2026, 11, 2)),  # Friday -> Monday
        (date(2026, 10, 31), date(2026, 11, 2)),  # Saturday -> Monday
    ],
)
def test_first_working_day_after(day: date, after: date) -> None:
    assert first_working_day_after(day) == after


def test_the_meeting_day_is_after_the_period() -> None:
    q4 = parse_label("2026-Q4")
    assert meeting_day(date(2026, 12, 1), q4) == date(2027, 1, 1)  # the quarter is not over yet
    assert meeting_day(date(2026, 12, 31), q4) == date(2027, 1, 1)  # nor on its last day
    assert meeting_day(date(2027, 1, 12), q4) == date(2027, 1, 12)  # afterwards: the day it is written
    assert meeting_day(date(2026, 12, 1), None) == date(2026, 12, 1)


def test_new_before_the_period_ends_writes_a_meeting_day_after_it(knowledge_base: Path) -> None:
    code, out = run(
        "new", "2026-q4-north", "--period", "2026-Q4", "--lang", "en", "--today", "2026-11-20", cwd=knowledge_base
    )
    assert code == 0, out
    assert "held_on is 2027-01-01, the first working day after 2026-Q4" in out
    path = knowledge_base / "reviews" / "2026-q4-north.yaml"
    assert "held_on: 2027-01-01 " in path.read_text(encoding="utf-8")
    # a meeting day of the writer's choosing is kept, and one before the period's end is a warning
    code, out = run(
        "new",
        "2026-q4-south",
        "--period",
        "2026-Q4",
        "--held-on",
        "2026-12-15",
        "--today",
        "2026-11-20",
        cwd=knowledge_base,
    )
    early = knowledge_base / "reviews" / "2026-q4-south.yaml"
    assert code == 0 and "held_on: 2026-12-15 " in early.read_text(encoding="utf-8")
    _, out = run("check", str(early), "--format", "json", "--today", "2026-11-20", cwd=knowledge_base)
    assert [f["field"] for f in json.loads(out) if f["code"] == "RG220"] == ["held_on"]
    code, out = run("new", "x", "--held-on", "2026-13-01", cwd=knowledge_base)
    assert code == 2 and "--held-on" in out


def test_a_prefilled_previous_is_labelled_with_its_review_not_as_stated(team: Path) -> None:
    code, out = run("new", "q3", "--team", "华东销售部", "--lang", "zh", "--today", "2026-10-12", cwd=team)
    assert code == 0, out
    path = team / "reviews" / "q3.yaml"
    text = path.read_text(encoding="utf-8")
    assert "previous: 19\n" in text and "previous 为上期复盘 q2 的实际值" in text
    path.write_text(fill(text), encoding="utf-8")
    _, out = run("metrics", "--format", "json", "--today", "2026-11-20", cwd=team)
    rows = {(row["review"], row["metric"]): row for row in json.loads(out)}
    assert rows[("q3", "平均跟进周期")]["previous"] == 19
    assert rows[("q3", "平均跟进周期")]["previous_from"] == "q2"  # where the number comes from
    # a previous the writer changed from what q2 reported stays "stated" (and check warns: RG218)
    path.write_text(fill(text).replace("previous: 19\n", "previous: 25\n"), encoding="utf-8")
    _, out = run("metrics", "--format", "json", "--today", "2026-11-20", cwd=team)
    rows = {(row["review"], row["metric"]): row for row in json.loads(out)}
    assert (rows[("q3", "平均跟进周期")]["previous"], rows[("q3", "平均跟进周期")]["previous_from"]) == (25, "stated")


def test_after_a_gap_the_template_says_there_is_no_previous(team: Path) -> None:
    code, out = run(
        "new", "q4", "--team", "华东销售部", "--period", "2026-Q4", "--lang", "en", "--today", "2027-01-08", cwd=team
    )
    assert code == 0, out
    text = (team / "reviews" / "q4.yaml").read_text(encoding="utf-8")
    assert "previous = " not in text and "previous:" not in text.split("funnel:")[0].replace("# previous", "")
    assert "No review of the period before (2026-Q3), so no previous." in text
