"""The lasting index changes no answer (issue 21): a small knowledge base goes through random edits, additions,
renames and deletions, and after each step `check` (of all and of one file), `metrics --format json`,
`actions --format json`, `related` and `playbook` print with the index exactly what they print without it
(`--no-cache`); the last four read the knowledge base through the snapshot (gate/snapshot.py), so each step tests
it too, `related` its kept term table (engine/related_cache.py), and the playbook its kept merge and document
(engine/playbook_cache.py).

Derandomised and bounded so CI stays quick; for a release, raise the number of examples:
    RETROGEN_PROPERTY_EXAMPLES=200 python3 -m pytest tests/cli/test_properties_index.py -p no:cacheprovider"""

from __future__ import annotations

import contextlib
import os
import tempfile
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from unittest import mock

import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, example, given, note, settings
from hypothesis import strategies as st

from retrogen.cli import cli
from retrogen.engine.model import ReviewBuilder
from retrogen.gate.check import read_knowledge_base
from retrogen.gate.config import load_config
from retrogen.gate.findings import Finding
from retrogen.gate.index import INDEX_FOLDER, INDEX_NAME
from retrogen.gate.snapshot import BASE_NAME

from ..conftest import TODAY
from ..minimal import review, write_knowledge_base

EXAMPLES = int(os.environ.get("RETROGEN_PROPERTY_EXAMPLES", "10"))
TEAMS = ["East", "华东销售部", "West"]
COMMANDS = [
    ["check"],
    ["metrics", "--format", "json"],
    ["actions", "--format", "json"],
    # the related index's term table (engine/related_cache.py): by free text, and by a review (gone or
    # renamed, the answer is the same refusal)
    ["related", "--text", "deal pricing 续约", "--format", "json"],
    ["related", "r0", "--format", "json"],
    ["playbook"],
]
# What a review's lesson says and is tagged with: few of each, so that lessons of two reviews merge, and words
# the related index reads.
LESSONS = [
    "Call every open deal weekly",
    "Call open deals every week",
    "Price the pilot before the demo",
    "续约 first, then pricing",
]
LESSON_TAGS = ["pipeline", "pricing"]

# What an edit does to a review's data (or, for the last ones, to its text).
EDITS = [
    "actual",
    "title",
    "status",
    "team",
    "quarter",
    "owner",
    "carry",
    "done-on",
    "broken-yaml",
    "schema-error",
    "same-bytes",
    "comment",  # new bytes, the same review: the snapshot keeps its findings across files
    "lesson",  # reworded or gone: the related index reads the review again, the playbook merges and shows it
]
# Days the commands may run on, from TODAY: within its month, and into the next (another month's hints).
DAYS = [0, 2, 5, 6, 11]


def drawn_review(draw: st.DrawFn, review_id: str) -> dict[str, Any]:
    actual = draw(st.sampled_from([0, 50, 90, 100, 120.5]))
    metrics = [{"category": "Sales", "name": "Bookings", "unit": "kEUR", "target": 100, "actual": actual}]
    data = review(review_id, draw(st.sampled_from(TEAMS)), metrics, quarter=draw(st.integers(1, 4)))
    return with_lesson(data, draw(st.sampled_from(["success", "failure"])), draw(st.integers(0, len(LESSONS) - 1)))


def with_lesson(data: dict[str, Any], kind: str, which: int) -> dict[str, Any]:
    """The review with a lesson on a problem that its action addresses: a practice of the playbook, with its
    action's state and verdict."""
    data["problems"] = [{"id": "P1", "problem": "Deals slipped", "root_cause": "No follow-up", "factor": "process"}]
    lesson = {"id": "L1", "type": kind, "lesson": LESSONS[which], "tags": [LESSON_TAGS[which % 2]], "problem": "P1"}
    data["lessons"] = [lesson]
    data["actions"][0]["addresses"] = ["P1"]
    return data


@st.composite
def histories(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[tuple[str, Any]]]:
    """A first knowledge base of 2 to 4 reviews, and 1 to 5 steps taken on it."""
    reviews = [drawn_review(draw, f"r{n}") for n in range(draw(st.integers(2, 4)))]
    steps: list[tuple[str, Any]] = []
    for n in range(draw(st.integers(1, 5))):
        step = draw(st.sampled_from(["edit", "edit", "add", "rename", "delete", "day", "day", "done-on"]))
        if step == "done-on":  # the edit whose check depends on the day the commands run on
            steps.append(("edit", (draw(st.integers(0, 99)), "done-on", draw(st.integers(0, 3)))))
        elif step == "edit":
            steps.append(("edit", (draw(st.integers(0, 99)), draw(st.sampled_from(EDITS)), draw(st.integers(0, 3)))))
        elif step == "add":
            steps.append(("add", drawn_review(draw, f"n{n}")))
        elif step == "day":
            steps.append(("day", draw(st.sampled_from(DAYS))))
        else:
            steps.append((step, draw(st.integers(0, 99))))
    return reviews, steps


def take(step: str, argument: Any, reviews: Path) -> None:
    files = sorted(reviews.glob("*.yaml"))
    if step == "add":
        (reviews / f"{argument['id']}.yaml").write_text(yaml.safe_dump(argument, allow_unicode=True), "utf-8")
        return
    if not files:
        return
    if step == "delete":
        files[argument % len(files)].unlink()
    elif step == "rename":
        path = files[argument % len(files)]
        path.rename(path.with_name(f"moved-{path.name}"))  # its id no longer matches its name: RG110
    else:
        which, edit, value = argument
        edit_review(files[which % len(files)], edit, value)


def edit_review(path: Path, edit: str, value: int) -> None:
    text = path.read_text(encoding="utf-8")
    if edit == "broken-yaml":
        path.write_text(text + "\nbroken: [unclosed\n", encoding="utf-8")
        return
    if edit == "same-bytes":
        path.write_text(text, encoding="utf-8")
        return
    if edit == "comment":
        path.write_text(f"{text}\n# comment {value}\n", encoding="utf-8")
        return
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError:
        data = None
    if not isinstance(data, dict):
        path.write_text(text.replace("broken: [unclosed", ""), encoding="utf-8")  # mended
        return
    if edit == "actual" and data.get("metrics"):
        data["metrics"][0]["actual"] = [0, 75, 100, 130][value]
    elif edit == "title":
        data["title"] = f"Review {value}"
    elif edit == "status" and data.get("actions"):
        data["actions"][0]["status"] = ["not_started", "in_progress", "blocked", "cancelled"][value]
    elif edit == "team":
        data["team"] = TEAMS[value % len(TEAMS)]
    elif edit == "quarter" and data.get("period"):
        data["held_on"] = data["period"]["end"] = f"2026-{['03-31', '06-30', '09-30', '12-31'][value]}"
    elif edit == "owner" and data.get("actions"):
        data["actions"][0]["owner"] = ["Ann Lee", "Bo Chen", "TBD", "Ann Lee"][value]
    elif edit == "done-on" and data.get("actions"):  # a day before TODAY, or one the next days pass (RG141)
        data["actions"][0]["done_on"] = (TODAY + timedelta(days=[-5, 1, 3, 8][value])).isoformat()
    elif edit == "carry" and data.get("actions"):  # right, wrong (RG120, RG121), twice (RG122) or of a done one
        data["actions"][0]["carried_from"] = ["r0:A1", "r1:A1", "r9:A1", "r0:A7"][value]
    elif edit == "lesson":
        if value == 3:
            data["lessons"] = []
        elif data.get("lessons"):
            data["lessons"][0]["lesson"] = LESSONS[value]
            data["lessons"][0]["tags"] = [LESSON_TAGS[value % len(LESSON_TAGS)]]
        elif data.get("actions"):
            with_lesson(data, "success", value)
    elif edit == "schema-error":
        data["held_on"] = "not a date"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def run(folder: Path, *args: str, today: date = TODAY) -> tuple[int, str]:
    with contextlib.chdir(folder):
        environment = {"RETROGEN_TODAY": today.isoformat(), "RETROGEN_NO_CACHE": None}
        result = CliRunner(env=environment).invoke(cli, list(args))
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exc_info)
    assert "notice: " not in result.stderr or "index" not in result.stderr, result.stderr
    return result.exit_code, result.stdout


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(histories())
# A done_on two days ahead (RG141, naming the day), then a run five days later, when it is past.
@example(([review("r0", "East"), review("r1", "East")], [("edit", (0, "done-on", 2)), ("day", 5)]))
# A lesson reworded (as many lessons as before): the related index must read r0 again, not keep its rows.
@example(
    (
        [review("r0", "East", lessons=[{"id": "L1", "type": "success", "lesson": LESSONS[0]}]), review("r1", "West")],
        [("edit", (0, "lesson", 2))],
    )
)
# What only the playbook shows: a source's title, a lesson (the merge), the next day (its "as of")
@example(
    (
        [with_lesson(review("r0", "East"), "success", 0), with_lesson(review("r1", "West"), "failure", 1)],
        [("edit", (0, "title", 1)), ("edit", (1, "lesson", 2)), ("day", 2)],
    )
)
# A KPI's figure in the middle of a team's three quarters missed in a row: RG223 on the latest goes, then comes back
@example(
    (
        [review("r0", "East"), review("r1", "East", quarter=2), review("r2", "East", quarter=3), review("r3", "West")],
        [("edit", (1, "actual", 3)), ("edit", (1, "actual", 1))],
    )
)
def test_every_step_gives_the_same_output_with_and_without_the_index(
    history: tuple[list[dict[str, Any]], list[tuple[str, Any]]],
) -> None:
    first, steps = history
    with tempfile.TemporaryDirectory() as temporary:
        folder = write_knowledge_base(Path(temporary), first)
        for command in COMMANDS:
            run(folder, *command)  # the index, built from the first knowledge base
        assert (folder / INDEX_FOLDER / INDEX_NAME).is_file()
        assert (folder / INDEX_FOLDER / BASE_NAME).is_file()  # metrics and actions read through the snapshot
        every_finding(folder, today=TODAY)
        today = TODAY
        for step, argument in steps:
            if step == "day":  # the next run is on another day: the index is kept per month
                today = TODAY + timedelta(days=argument)
            else:
                take(step, argument, folder / "reviews")
            note(f"{step} {argument!r}")
            # what `build` and `serve` read: every warning too, through the snapshot, which the last step's
            # read of them (below) left: a figure's edit judges its team's figures alone again
            assert every_finding(folder, today=today) == every_finding(folder, today=today, cache=False)
            files = sorted((folder / "reviews").glob("*.yaml"))
            one_file = [["check", f"reviews/{files[0].name}"]] if files else []  # the pre-commit hook's case
            for command in [*COMMANDS, *one_file]:
                cached = run(folder, *command, today=today)
                assert cached == run(folder, "--no-cache", *command, today=today), command
            assert (folder / INDEX_FOLDER / BASE_NAME).is_file()
            assert left_out(folder, warnings=False, today=today) == left_out(folder, warnings=True, today=today)
            every_finding(folder, today=today)  # after the commands, which judge the errors alone


def left_out(folder: Path, *, warnings: bool, today: date) -> tuple[list[Path], list[Finding]]:
    """The files the figures leave out, and their findings (all of them: the commands list them), as a read
    for figures alone (without the warnings of the files kept) finds them."""
    with contextlib.chdir(folder):
        reading = read_knowledge_base(load_config(None), today, cache=False, warnings=warnings)
    failing = {r.display for r in reading.check.files if r.has_errors}
    kept = [path for path, _ in reading.documents]
    return kept, [f for f in reading.check.findings if f.path in failing]


def every_finding(folder: Path, *, today: date, cache: bool = True) -> list[tuple[str, list[Finding]]]:
    """Each file's findings, as `build` reads the knowledge base (every warning, each review built)."""
    with contextlib.chdir(folder), mock.patch.dict(os.environ):
        os.environ.pop("RETROGEN_NO_CACHE", None)  # the test run's, which `run` lifts for the commands too
        config = load_config(None)
        reading = read_knowledge_base(config, today, cache=cache, convert=ReviewBuilder(config))
    return [(r.display, r.findings) for r in reading.check.files]
