"""The lasting index (gate/index.py): a run re-reads only the files that changed, and gives what a run
without the index gives; a damaged, foreign, planted or busy index is never a wrong answer or a traceback."""

from __future__ import annotations

import json
import os
import pickle
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.gate import check as gate_check
from retrogen.gate import heads as gate_heads
from retrogen.gate import index as gate_index
from retrogen.gate.check import (
    CheckOptions,
    CheckResult,
    Reading,
    check_paths,
    display_path,
    display_paths,
    open_index,
    read_knowledge_base,
)
from retrogen.gate.config import Config, load_config
from retrogen.gate.index import INDEX_FOLDER, INDEX_NAME, ReviewIndex, code_key, settings_key

from ..conftest import ROOT, TODAY, copy_knowledge_base

REVIEW = "2026-11-apac-discovery-skills.yaml"


@pytest.fixture(autouse=True)
def _index_on(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETROGEN_NO_CACHE", raising=False)  # conftest turns it off for every other test


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return load_config(copy_knowledge_base(tmp_path) / "mkdocs.yml")


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files parsed (in this process: the tests read with one job)."""
    names: list[str] = []
    load = gate_check.load_review

    def counting(path: Path, *args: Any) -> Any:
        names.append(path.name)
        return load(path, *args)

    monkeypatch.setattr(gate_check, "load_review", counting)
    return names


def read(config: Config, *, cache: bool = True) -> Reading:
    return read_knowledge_base(config, TODAY, jobs=1, cache=cache)


def same(reading: Reading, expected: Reading) -> None:
    assert reading.check.findings == expected.check.findings
    assert [(str(r.path), r.display, r.review_id) for r in reading.check.files] == [
        (str(r.path), r.display, r.review_id) for r in expected.check.files
    ]
    assert reading.documents == expected.documents


def index_file(config: Config) -> Path:
    return config.root / INDEX_FOLDER / INDEX_NAME


def test_a_warm_run_parses_nothing_and_gives_what_a_run_without_the_index_gives(
    config: Config, parsed: list[str]
) -> None:
    fresh = read(config, cache=False)
    count = len(parsed)
    cold = read(config)
    assert len(parsed) == 2 * count and index_file(config).is_file()
    warm = read(config)
    assert len(parsed) == 2 * count  # nothing parsed again
    same(cold, fresh)
    same(warm, fresh)
    assert not warm.check.notices


def test_an_edited_file_is_read_again_even_with_its_size_and_mtime_kept(config: Config, parsed: list[str]) -> None:
    read(config)
    path = config.reviews_dir / REVIEW
    text = path.read_text(encoding="utf-8")
    status = path.stat()
    edited = text.replace("held_on: ", "held_on: x", 1).replace("\n\n", "\n", 1)  # one byte in, one out
    assert len(edited.encode()) == len(text.encode())
    path.write_text(edited, encoding="utf-8")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    parsed.clear()
    warm = read(config)
    assert parsed == [REVIEW]
    same(warm, read(config, cache=False))
    assert any(f.path.endswith(REVIEW) and f.field == "held_on" for f in warm.check.findings)


def test_a_file_touched_but_unchanged_is_not_parsed_again(config: Config, parsed: list[str]) -> None:
    read(config)
    path = config.reviews_dir / REVIEW
    path.write_bytes(path.read_bytes())  # new mtime and ctime, the same bytes
    parsed.clear()
    same(read(config), read(config, cache=False))
    assert parsed.count(REVIEW) == 1  # only by the run without the index


@pytest.mark.parametrize("chunk", [1000, 2], ids=["stored-at-once", "stored-two-at-a-time"])
def test_added_renamed_and_deleted_files_are_seen(config: Config, chunk: int, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate_check, "_STORE_CHUNK", chunk)  # the last store drops the entries of files gone
    read(config)
    reviews = config.reviews_dir
    (reviews / REVIEW).rename(reviews / "renamed.yaml")  # now its id differs from its name: RG110
    first = sorted(reviews.glob("*.yaml"))[0]
    (reviews / "copy.yaml").write_bytes(first.read_bytes())  # a second file with that id: RG110, RG111
    sorted(reviews.glob("*.yaml"))[-1].unlink()
    warm = read(config)
    same(warm, read(config, cache=False))
    assert {"RG110", "RG111"} <= {f.code for f in warm.check.findings}
    with sqlite3.connect(index_file(config)) as connection:
        kept = {Path(path).name for (path,) in connection.execute("SELECT path FROM reviews")}
    assert kept == {path.name for path in reviews.glob("*.yaml")}  # the deleted file's entry went


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"not a database at all" * 100), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[: 4096 + 100]), id="truncated"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:100]), id="truncated-header"),
    ],
)
def test_a_corrupt_index_is_rebuilt_with_a_notice(config: Config, damage: Any, parsed: list[str]) -> None:
    expected = read(config, cache=False)
    read(config)
    with sqlite3.connect(index_file(config)) as connection:
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    damage(index_file(config))
    damaged = read(config)
    same(damaged, expected)
    assert damaged.check.notices and "rebuilding it" in damaged.check.notices[0]
    parsed.clear()
    rebuilt = read(config)
    same(rebuilt, expected)
    assert not rebuilt.check.notices and not parsed  # rebuilt by the run that found the damage


def test_an_index_of_another_version_or_schema_is_rebuilt(
    config: Config, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    expected = read(config, cache=False)
    read(config)
    schema = tmp_path / "review.schema.json"
    schema.write_text(gate_index.schema_path().read_text(encoding="utf-8") + " ", encoding="utf-8")
    before = code_key()
    monkeypatch.setattr(gate_index, "schema_path", lambda: schema)
    assert code_key() != before
    monkeypatch.setattr(gate_index, "code_key", lambda: "another retrogen")
    foreign = read(config)
    same(foreign, expected)
    assert foreign.check.notices == [f"{index_file(config)}: made by another version of retrogen; rebuilding it"]


def test_other_settings_are_misses(config: Config, parsed: list[str]) -> None:
    read(config)
    parsed.clear()
    read_knowledge_base(config, TODAY.replace(month=TODAY.month - 1), jobs=1)  # another month
    assert len(parsed) == len(list(config.reviews_dir.glob("*.yaml")))


def test_an_entry_that_holds_anything_else_is_refused_unloaded(config: Config, tmp_path: Path) -> None:
    expected = read(config, cache=False)
    read(config)
    witness = tmp_path / "ran"

    class Exploit:  # what an index planted in a checkout could hold
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {witness}",))

    planted = pickle.dumps(Exploit())
    with sqlite3.connect(index_file(config)) as connection:
        connection.execute("UPDATE reviews SET result = ?, data = ?", (planted, planted))
    result = read(config)
    same(result, expected)
    assert not witness.exists()
    assert "an entry holds posix.system" in result.check.notices[0]


def test_a_write_another_process_holds_is_skipped_without_waiting_or_damage(config: Config) -> None:
    expected = read(config, cache=False)
    read(config)
    (config.reviews_dir / REVIEW).write_text(
        (config.reviews_dir / REVIEW).read_text(encoding="utf-8") + "\n# edited\n", encoding="utf-8"
    )
    holder = sqlite3.connect(index_file(config), isolation_level=None)
    holder.execute("BEGIN IMMEDIATE")  # another command writing
    try:
        busy = read(config)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert busy.check.findings == expected.check.findings and not busy.check.notices
    with sqlite3.connect(index_file(config)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    same(read(config), read(config, cache=False))


def same_at_once(config: Config, command: list[str]) -> None:
    """`command` (retrogen's arguments), run four times at once, prints what a run without the index prints."""
    command = [sys.executable, "-m", "retrogen", *command]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("RETROGEN_NO_CACHE", None)
    expected = subprocess.run(
        [*command[:3], "--no-cache", *command[3:]], cwd=config.root, env=environment, capture_output=True, text=True
    )
    runs = [
        subprocess.Popen(command, cwd=config.root, env=environment, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(4)
    ]
    for run in runs:
        out, err = run.communicate(timeout=120)
        assert (run.returncode, out.decode(), err.decode()) == (expected.returncode, expected.stdout, "")


def test_commands_at_once_leave_a_sound_index(config: Config) -> None:
    same_at_once(config, ["check", "--today", TODAY.isoformat()])
    with sqlite3.connect(index_file(config)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        assert connection.execute("SELECT count(*) FROM reviews").fetchone() == (
            len(list(config.reviews_dir.glob("*.yaml"))),
        )


def test_no_index_where_it_cannot_be_written_or_is_turned_off(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    options = CheckOptions.of(config, TODAY)
    monkeypatch.setattr(gate_index.os, "access", lambda *args, **kwargs: False)  # a read-only checkout
    assert open_index(config, options) is None
    same(read(config), read(config, cache=False))
    assert not index_file(config).exists()
    monkeypatch.undo()
    monkeypatch.setenv("RETROGEN_NO_CACHE", "1")
    assert open_index(config, options) is None
    assert ReviewIndex.open(config.root, settings_key(options)) is None
    assert not index_file(config).exists()


def test_the_settings_key_is_the_same_in_every_process(config: Config) -> None:
    options = CheckOptions.of(config, TODAY)
    script = (
        "from datetime import date; from pathlib import Path; from retrogen.gate.config import load_config; "
        "from retrogen.gate.check import CheckOptions; from retrogen.gate.index import settings_key; "
        f"print(settings_key(CheckOptions.of(load_config(Path({str(config.config_file)!r})), date.fromisoformat("
        f"{TODAY.isoformat()!r}))))"
    )
    keys = {
        subprocess.run(
            [sys.executable, "-c", script],
            env={**os.environ, "PYTHONPATH": str(ROOT), "PYTHONHASHSEED": seed},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
        for seed in ("1", "2")
    }
    assert keys == {settings_key(options)}


def test_the_command_line_turns_it_off_and_says_when_it_was_rebuilt(config: Config) -> None:
    def run(*args: str) -> Any:
        return CliRunner().invoke(cli, ["-c", str(config.config_file), *args, "--today", TODAY.isoformat()])

    plain = run("--no-cache", "check")
    assert not index_file(config).exists()
    assert run("check").stdout == plain.stdout and index_file(config).is_file()
    index_file(config).write_bytes(b"\0" * 5000)
    damaged = run("check")
    assert damaged.stdout == plain.stdout and damaged.exit_code == plain.exit_code
    assert f"notice: {index_file(config)}: unreadable" in damaged.stderr
    metrics = run("metrics", "--format", "json")
    assert run("--no-cache", "metrics", "--format", "json").stdout == metrics.stdout


# `check` of one file (the pre-commit hook's case): the other files' heads and facts are kept in the index.

CHECKED = "2026-q3-east-sales.yaml"


def check_one(config: Config, *, cache: bool = True) -> CheckResult:
    options = CheckOptions.of(config, TODAY)
    index = open_index(config, options, cache=cache)
    try:
        return check_paths([config.reviews_dir / CHECKED], options, reviews_dir=config.reviews_dir, jobs=1, index=index)
    finally:
        if index is not None:
            index.close()


def same_check(result: CheckResult, expected: CheckResult) -> None:
    assert result.findings == expected.findings
    assert not result.notices


@pytest.fixture
def heads_read(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The names of the files whose heads were read."""
    names: list[str] = []
    read_head = gate_heads.read_head

    def counting(file: str) -> Any:
        names.append(Path(file).name)
        return read_head(file)

    monkeypatch.setattr(gate_heads, "read_head", counting)
    return names


def test_a_warm_check_of_one_file_reads_no_other_file(
    config: Config, parsed: list[str], heads_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The files were all written a moment ago, which would make every head one to read again (see
    # index.settled); nothing here changes them within a tick of the clock.
    monkeypatch.setattr(gate_index, "RACY_NS", 0)
    cold = check_one(config)
    assert len(heads_read) == len(list(config.reviews_dir.glob("*.yaml"))) - 1
    path = config.reviews_dir / CHECKED
    path.write_text(path.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")  # the commit's change
    parsed.clear()
    heads_read.clear()
    warm = check_one(config)
    assert parsed == [CHECKED] and heads_read == []
    same_check(cold, check_one(config, cache=False))
    same_check(warm, check_one(config, cache=False))
    assert any(f.code == "RG223" for f in warm.findings)  # judged against the team's earlier reviews' facts


def test_another_file_edited_added_or_deleted_changes_the_one_file_result(
    config: Config, heads_read: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_index, "RACY_NS", 0)  # heads are kept at once (each edit here is a new tick)
    check_one(config)
    reviews = config.reviews_dir

    def clash() -> set[str]:
        result = check_one(config)
        same_check(result, check_one(config, cache=False))
        return {f.message for f in result.findings if f.code == "RG111"}

    other = reviews / "2026-q2-east-sales.yaml"
    text, status = other.read_text(encoding="utf-8"), other.stat()
    other.write_text(text.replace("id: 2026-q2-east-sales", "id: 2026-q3-east-sales"), encoding="utf-8")
    os.utime(other, ns=(status.st_atime_ns, status.st_mtime_ns))  # same size, same mtime: only ctime tells
    heads_read.clear()
    shown = display_path(other.resolve())
    assert clash() == {f"review id '2026-q3-east-sales' is already used by {shown}; choose another id"}
    assert heads_read.count(other.name) == 2  # by the run with the index, then by the one without
    other.write_text(text, encoding="utf-8")
    assert clash() == set()
    (reviews / "copy.yaml").write_bytes((reviews / CHECKED).read_bytes())
    copy = display_path((reviews / "copy.yaml").resolve())
    assert clash() == {f"review id '2026-q3-east-sales' is already used by {copy}; choose another id"}
    (reviews / "copy.yaml").unlink()
    assert clash() == set()
    with sqlite3.connect(index_file(config)) as connection:
        kept = {Path(path).name for (path,) in connection.execute("SELECT path FROM heads")}
    assert "copy.yaml" not in kept and other.name in kept


def test_an_edit_to_a_related_review_changes_the_cross_findings_of_the_one_file(config: Config) -> None:
    check_one(config)
    earlier = config.reviews_dir / "2026-q2-east-sales.yaml"
    before = check_one(config)
    earlier.write_text(earlier.read_text(encoding="utf-8").replace("actual: 14\n", "actual: 18\n"), "utf-8")
    after = check_one(config)
    same_check(after, check_one(config, cache=False))

    def missed(result: CheckResult) -> list[str]:
        return [f.message.split(" missed")[0] for f in result.findings if f.code == "RG223"]

    # Q2 met its 新客户数量 target now: Q3's is a first miss, no longer the fourth in a row.
    assert "metric 新客户数量" in missed(before) and "metric 新客户数量" not in missed(after)


def test_one_file_checks_at_once_keep_the_listing_true_to_its_heads(config: Config) -> None:
    """Four pre-commit runs at once, after a change to another review: each prints what a run without the
    index prints, and the listing they leave holds exactly the kept heads, its tag counts theirs."""
    command = ["check", "--today", TODAY.isoformat(), f"reviews/{CHECKED}"]
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    environment.pop("RETROGEN_NO_CACHE", None)
    time.sleep(gate_index.RACY_NS / 1e9 + 0.1)  # the files just copied are settled: their heads are kept
    subprocess.run([sys.executable, "-m", "retrogen", *command], cwd=config.root, env=environment, check=False)
    other = config.reviews_dir / "2026-q2-east-sales.yaml"
    other.write_text(other.read_text(encoding="utf-8").replace("tags: [", "tags: [pricing, "), encoding="utf-8")
    same_at_once(config, command)
    with sqlite3.connect(index_file(config)) as connection:
        assert connection.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        listed = [
            (paths, json.loads(tags))
            for paths, tags in connection.execute("SELECT paths, tags FROM listings").fetchall()
        ]
        heads = connection.execute("SELECT path, tags FROM heads").fetchall()
    [(paths, tags)] = listed
    kept = {Path(path).name for path, _ in heads}
    # every head but the checked file's, and the edited one's when it changed within a tick of being read
    assert kept | {other.name} == {path.name for path in config.reviews_dir.glob("*.yaml")} - {CHECKED}
    assert sorted(path for path in paths.decode().split("\0") if path) == sorted(p for p, _ in heads)
    assert tags == dict(Counter(tag for _, written in heads for tag in written.split("\n") if written))


def test_a_listing_that_cannot_be_read_to_the_end_gives_the_answer_without_it(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_index, "RACY_NS", 0)
    check_one(config)
    expected = check_one(config, cache=False)

    def busy(*args: Any) -> Any:
        raise gate_index.IndexBusy  # what a locked or vanished index makes a lookup raise

    with monkeypatch.context() as patched:
        patched.setattr(gate_index.ReviewIndex, "candidates", busy)
        same_check(check_one(config), expected)  # read from the files, with no notice: nothing was damaged
    with sqlite3.connect(index_file(config)) as connection:
        connection.execute("UPDATE listings SET tags = 'not json'")
    damaged = check_one(config)
    assert damaged.findings == expected.findings
    assert damaged.notices and "rebuilding it" in damaged.notices[0]
    same_check(check_one(config), expected)


def test_another_day_of_the_month_reads_only_the_files_whose_check_depends_on_the_day(
    config: Config, parsed: list[str]
) -> None:
    """A new day is warm: the index is kept per month (the hints' example due date), and a file says on which
    days its check stands (a done_on ahead of today is RG141, naming the day)."""
    path = config.reviews_dir / "2026-09-south-churn-spike.yaml"
    path.write_text(path.read_text().replace("done_on: 2026-10-08", "done_on: 2026-11-25"))

    def on(day: date, *, cache: bool = True) -> Reading:
        return read_knowledge_base(config, day, jobs=1, cache=cache)

    def rg141(reading: Reading) -> list[str]:
        return [f.message for f in reading.check.findings if f.code == "RG141"]

    assert rg141(on(TODAY)) == ["action A1: done_on 2026-11-25 is after today (2026-11-20)"]
    for day, reread in [
        (date(2026, 11, 22), [path.name]),  # RG141 still found, naming another day
        (date(2026, 11, 26), [path.name]),  # the done_on is past: RG141 goes
        (date(2026, 11, 27), []),
        (date(2026, 11, 30), []),
    ]:
        parsed.clear()
        reading = on(day)
        assert parsed == reread, day
        same(reading, on(day, cache=False))
    assert rg141(on(date(2026, 11, 22), cache=False)) == ["action A1: done_on 2026-11-25 is after today (2026-11-22)"]
    parsed.clear()
    on(date(2026, 12, 1))
    assert len(parsed) == len(list(config.reviews_dir.glob("*.yaml")))  # another month: the hints' due date


def test_display_paths_are_each_paths_display_path(tmp_path: Path) -> None:
    """Found once per folder, a file's shown path is what display_path makes of it alone: in the base, below
    it, above it, outside it, named relatively, absolutely or through "..", and a folder named ".."."""
    base = tmp_path / "kb"
    (base / "reviews").mkdir(parents=True)
    paths = [
        base / "a.yaml",
        base / "reviews" / "b.yaml",
        base / "reviews" / ".." / "reviews" / "c.yaml",
        base / "reviews" / "..",
        tmp_path / "d.yaml",
        Path("/e.yaml"),
        Path("relative") / "f.yaml",
        Path("g.yaml"),
    ]
    assert display_paths(paths, base) == [display_path(path, base) for path in paths]
    assert display_paths(paths, Path.cwd()) == [display_path(path) for path in paths]
