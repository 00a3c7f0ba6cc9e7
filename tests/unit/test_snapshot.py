"""The snapshot (gate/snapshot.py): a warm read of the whole knowledge base takes the unchanged files from
one file and re-reads only the others, and gives what a read without it gives; a changed, damaged, planted,
foreign or unwritable snapshot is never a wrong answer or a traceback."""

from __future__ import annotations

import gc
import io
import os
import pickle
import pickletools
import tracemalloc
import weakref
import zlib
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from retrogen.engine.model import Review, ReviewBuilder
from retrogen.gate import check as gate_check
from retrogen.gate import index as gate_index
from retrogen.gate import snapshot as gate_snapshot
from retrogen.gate.check import FileResult, Reading, read_knowledge_base
from retrogen.gate.config import Config, load_config
from retrogen.gate.index import INDEX_FOLDER
from retrogen.gate.loop_checks import ActionFacts, MetricFacts, ProblemFacts, ReviewFacts
from retrogen.gate.snapshot import BASE_NAME, DELTA_NAME

from ..conftest import TODAY, copy_knowledge_base
from .test_index import same_at_once

CARRIED = "2026-q3-east-sales.yaml"  # its A2 is carried by 2026-10-east-sales
CARRYING = "2026-10-east-sales.yaml"


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


def read(config: Config, *, cache: bool = True, today: date = TODAY) -> Reading:
    """What the read commands read (analysis.analyse): the figures' reading, reviews built as they are read."""
    return read_knowledge_base(config, today, jobs=1, cache=cache, warnings=False, convert=ReviewBuilder(config))


def rebuilt_with_a_notice(config: Config, expected: Reading, parsed: list[str]) -> None:
    """The run after a damage answers as without the snapshot, with a notice; the run after it reads nothing."""
    damaged = read(config)
    same(damaged, expected)
    assert damaged.check.notices and "rebuilding it" in damaged.check.notices[0]
    parsed.clear()
    rebuilt = read(config)
    same(rebuilt, expected)
    assert not rebuilt.check.notices and not parsed


def same(reading: Reading, expected: Reading) -> None:
    assert reading.check.findings == expected.check.findings
    assert [(str(r.path), r.display, r.review_id, r.findings) for r in reading.check.files] == [
        (str(r.path), r.display, r.review_id, r.findings) for r in expected.check.files
    ]
    assert reading.documents == expected.documents
    assert all(isinstance(review, Review) for _, review in reading.documents)


def kept(config: Config, name: str = BASE_NAME) -> Path:
    return config.root / INDEX_FOLDER / name


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_a_warm_read_parses_nothing_and_gives_what_a_read_without_it_gives(config: Config, parsed: list[str]) -> None:
    fresh = read(config, cache=False)
    cold = read(config)
    assert kept(config).is_file()
    parsed.clear()
    warm = read(config)
    assert parsed == []
    same(cold, fresh)
    same(warm, fresh)
    assert not warm.check.notices


def test_a_first_read_holds_of_each_file_what_a_warm_read_holds(config: Config) -> None:
    """A first run at 10,000 reviews held every file's facts for the checks across files (some 60 MB) after
    judging them, while it wrote the snapshot and worked out its figures; a warm run holds none."""
    cold = read(config)
    warm = read(config)
    assert cold.check.files == warm.check.files  # whole: the facts and tags too
    assert all(result.facts is None and not result.tags for result in cold.check.files)
    assert all("__slots__" in vars(kind) for kind in (FileResult, ReviewFacts, ActionFacts, MetricFacts, ProblemFacts))


def test_a_first_read_keeps_its_files_in_the_index_a_chunk_at_a_time(
    config: Config, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A first run keeps what it read in the index as it makes the reviews, and gives the memory of the data
    back after each chunk (a first run at 10,000 reviews held every file's data until all were made)."""
    monkeypatch.setattr(gate_check, "_STORE_CHUNK", 2)
    returned: list[int] = []
    monkeypatch.setattr(gate_check, "freed_memory_returned", lambda: returned.append(1))
    stored: list[int] = []
    store = gate_index.ReviewIndex.store

    def counted(self: gate_index.ReviewIndex, items: Any, *args: Any, **kwargs: Any) -> None:
        items = list(items)
        stored.append(len(items))
        store(self, items, *args, **kwargs)

    monkeypatch.setattr(gate_index.ReviewIndex, "store", counted)
    fresh = read(config, cache=False)
    cold = read(config)
    same(cold, fresh)
    files = len(cold.check.files)
    assert stored == [2] * (files // 2) + [files % 2] and len(returned) == files // 2 > 1
    kept(config).unlink()  # the snapshot gone: every file from the index
    parsed.clear()
    same(read(config), fresh)
    assert parsed == []


def test_a_changed_file_is_read_again_not_taken_from_the_snapshot(config: Config, parsed: list[str]) -> None:
    read(config)
    path = config.reviews_dir / CARRIED
    status = path.stat()
    edit(path, "title: ", "title: X")
    edit(path, "\n\n", "\n")  # one byte in, one out: the size and (below) the mtime are the same
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    parsed.clear()
    warm = read(config)
    assert parsed == [CARRIED]
    [review] = [r for _, r in warm.documents if r.path.name == CARRIED]
    assert review.title.startswith("X")
    same(warm, read(config, cache=False))


def test_a_file_touched_but_unchanged_is_hashed_not_parsed(config: Config, parsed: list[str]) -> None:
    read(config)
    path = config.reviews_dir / CARRIED
    path.write_bytes(path.read_bytes())  # a new mtime and ctime, the same bytes
    parsed.clear()
    same(read(config), read(config, cache=False))
    assert parsed.count(CARRIED) == 1  # only by the read without the snapshot


def test_a_file_changed_within_the_clock_tick_it_was_read_in_is_hashed(
    config: Config, parsed: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Git's racy entries: a stamp taken less than RACY_NS after the file last changed is not trusted on its
    stat alone, so an edit that keeps the size, mtime and ctime (a coarse clock) is still seen."""
    monkeypatch.setattr(gate_index, "RACY_NS", 10**18)  # every stamp is racy
    read(config)
    path = config.reviews_dir / CARRIED
    status = path.stat()
    edit(path, "title: ", "title: Y")
    edit(path, "\n\n", "\n")
    os.utime(path, ns=(status.st_atime_ns, status.st_mtime_ns))
    parsed.clear()
    warm = read(config)
    assert parsed == [CARRIED]
    same(warm, read(config, cache=False))


def test_an_edit_to_one_review_changes_the_findings_across_files_of_another(config: Config) -> None:
    """2026-10-east-sales carries 2026-q3-east-sales:A2: once A2 is gone from the earlier review, the later
    one has an error (RG120) and is left out, though its own file is taken from the snapshot unchanged."""
    read(config)
    edit(config.reviews_dir / CARRIED, "  - id: A2\n", "  - id: A9\n")
    warm = read(config)
    same(warm, read(config, cache=False))
    assert any(f.code == "RG120" and f.path.endswith(CARRYING) for f in warm.check.findings)
    assert CARRYING not in {path.name for path, _ in warm.documents}
    edit(config.reviews_dir / CARRIED, "  - id: A9\n", "  - id: A2\n")  # mended: kept again
    mended = read(config)
    same(mended, read(config, cache=False))
    assert CARRYING in {path.name for path, _ in mended.documents}


def test_an_edit_that_changes_nothing_across_files_keeps_the_findings_across_files(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    read(config)
    with (config.reviews_dir / CARRIED).open("a", encoding="utf-8") as handle:
        handle.write("# a comment: the same review\n")
    judged = judging(monkeypatch)
    warm = read(config)
    assert judged == []
    monkeypatch.undo()
    same(warm, read(config, cache=False))


def judging(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts each time the findings across files are judged again (on the list it returns)."""
    judged: list[int] = []
    across = gate_check._across_files

    def counting(*args: Any, **kwargs: Any) -> Any:
        judged.append(1)
        return across(*args, **kwargs)

    monkeypatch.setattr(gate_check, "_across_files", counting)
    return judged


def test_an_edit_to_a_kpi_or_a_status_keeps_the_findings_across_files_while_no_file_fails(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures' reading judges only errors across files while no file fails, and those read neither a
    KPI's actual nor an action's status: such an edit leaves last run's findings standing (issue 21)."""
    read(config)
    edit(config.reviews_dir / CARRIED, "    actual: 380\n", "    actual: 381\n")
    edit(config.reviews_dir / CARRIED, "    status: in_progress\n    updates:\n", "    status: blocked\n    updates:\n")
    judged = judging(monkeypatch)
    warm = read(config)
    assert judged == []
    monkeypatch.undo()
    same(warm, read(config, cache=False))


def read_with_warnings(config: Config, *, cache: bool = True) -> Reading:
    """What `build` and `serve` read: every warning across files too."""
    return read_knowledge_base(config, TODAY, jobs=1, cache=cache, convert=ReviewBuilder(config))


def test_a_kpis_save_judges_the_figures_of_its_team_alone_again(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With every warning, last run's findings across files stand after a KPI's save but those that read the
    figures of its team, judged again within the team: 2026-q3-east-sales states the previous 420 that
    2026-q2-east-sales reports, and is told otherwise (RG218) once that becomes 430, though its own file is
    taken from the snapshot. A status's save judges the whole knowledge base again."""
    read_with_warnings(config)
    judged = judging(monkeypatch)
    told = []
    for old, new in [("    actual: 420\n", "    actual: 430\n"), ("    actual: 430\n", "    actual: 420\n")]:
        edit(config.reviews_dir / "2026-q2-east-sales.yaml", old, new)
        warm = read_with_warnings(config)
        assert judged == [], new
        told.append([Path(f.path).name for f in warm.check.findings if f.code == "RG218"])
        same(warm, read_with_warnings(config, cache=False))
        judged.clear()
    assert told == [["2026-q3-east-sales.yaml"], []]
    edit(config.reviews_dir / CARRIED, "    status: in_progress\n    updates:\n", "    status: blocked\n    updates:\n")
    warm = read_with_warnings(config)
    assert judged == [1]
    same(warm, read_with_warnings(config, cache=False))


def test_with_a_file_failing_a_status_edit_judges_across_files_again(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file left out is listed with every warning, and those read the other reviews' statuses: once A2 is
    renamed, 2026-10-east-sales fails (RG120) and is told to follow up the open A9 (RG216), until A9 is
    cancelled."""
    edit(config.reviews_dir / CARRIED, "  - id: A2\n", "  - id: A9\n")
    read(config)
    edit(
        config.reviews_dir / CARRIED, "    status: in_progress\n    updates:\n", "    status: cancelled\n    updates:\n"
    )
    judged = judging(monkeypatch)
    warm = read(config)
    assert judged == [1]
    monkeypatch.undo()
    same(warm, read(config, cache=False))
    assert not any(f.code == "RG216" for f in warm.check.findings)


def test_a_new_days_first_read_keeps_the_findings_across_files_while_no_file_fails(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The figures' reading judges only errors across files while no file fails, and no day changes those:
    the first read of a new day, one review edited since, reads no other file's facts (issue 21)."""
    read(config)
    with (config.reviews_dir / CARRIED).open("a", encoding="utf-8") as handle:
        handle.write("# a comment: the same review\n")
    judged = judging(monkeypatch)
    warm = read(config, today=TODAY + timedelta(days=1))
    assert judged == []
    monkeypatch.undo()
    same(warm, read(config, cache=False, today=TODAY + timedelta(days=1)))


def test_with_a_file_failing_a_new_day_judges_across_files_again(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A file left out is listed with every warning, and whether an action is overdue depends on the day:
    2026-10-east-sales fails once A2 is renamed, and its A1, due on TODAY, is overdue (RG201) the day after."""
    edit(config.reviews_dir / CARRIED, "  - id: A2\n", "  - id: A9\n")
    before = read(config)
    judged = judging(monkeypatch)
    after = read(config, today=TODAY + timedelta(days=1))
    assert judged == [1]
    monkeypatch.undo()
    same(after, read(config, cache=False, today=TODAY + timedelta(days=1)))
    overdue = [(f.path, f.line) for f in after.check.findings if f.code == "RG201"]
    assert [(f.path, f.line) for f in before.check.findings if f.code == "RG201"] != overdue
    assert any(path.endswith(CARRYING) for path, _ in overdue)


def test_added_renamed_and_deleted_files_are_seen(config: Config) -> None:
    read(config)
    reviews = config.reviews_dir
    (reviews / "2026-11-apac-discovery-skills.yaml").rename(reviews / "renamed.yaml")  # RG110
    (reviews / "copy.yaml").write_bytes((reviews / CARRIED).read_bytes())  # RG110, RG111
    (reviews / "2025-q4-east-sales.yaml").unlink()
    warm = read(config)
    same(warm, read(config, cache=False))
    assert {"RG110", "RG111"} <= {f.code for f in warm.check.findings}


def test_another_day_judges_across_files_again_and_another_month_reads_afresh(
    config: Config, parsed: list[str]
) -> None:
    read(config)
    for day in (TODAY + timedelta(days=3), TODAY + timedelta(days=12)):
        parsed.clear()
        same(read(config, today=day), read(config, cache=False, today=day))
    assert len(parsed) == 2 * len(list(config.reviews_dir.glob("*.yaml")))  # another month: no entry stands


def test_the_delta_holds_what_changed_and_is_folded_into_the_base_when_it_grows(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    read(config)
    base = kept(config).read_bytes()
    with (config.reviews_dir / CARRIED).open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    same(read(config), read(config, cache=False))
    assert kept(config).read_bytes() == base and kept(config, DELTA_NAME).is_file()
    same(read(config), read(config, cache=False))  # base and delta read together
    monkeypatch.setattr(gate_snapshot, "DELTA_MIN", 0)
    monkeypatch.setattr(gate_snapshot, "DELTA_SHARE", 0.0)
    with (config.reviews_dir / CARRYING).open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    same(read(config), read(config, cache=False))
    assert kept(config).read_bytes() != base and not kept(config, DELTA_NAME).exists()
    same(read(config), read(config, cache=False))


def test_a_delta_of_another_base_is_not_used(config: Config, parsed: list[str]) -> None:
    read(config)
    with (config.reviews_dir / CARRIED).open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    read(config)
    stale = kept(config, DELTA_NAME).read_bytes()
    kept(config).unlink()
    read(config)  # a new base
    kept(config, DELTA_NAME).write_bytes(stale)
    parsed.clear()
    same(read(config), read(config, cache=False))
    assert parsed.count(CARRIED) == 1  # only by the read without the snapshot


def _zero_block(path: Path) -> None:
    data = path.read_bytes()
    middle = len(data) // 2
    path.write_bytes(data[:middle] + b"\0" * 64 + data[middle + 64 :])


def _flip_byte(path: Path) -> None:
    data = bytearray(path.read_bytes())
    data[5000] ^= 0xFF
    path.write_bytes(bytes(data))


@pytest.mark.parametrize(
    "damage",
    [
        pytest.param(lambda path: path.write_bytes(b"not a snapshot at all" * 100), id="garbage"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:-100]), id="truncated"),
        pytest.param(lambda path: path.write_bytes(path.read_bytes()[:10]), id="truncated-header"),
        pytest.param(_flip_byte, id="one-byte"),
        pytest.param(_zero_block, id="zeroed-block"),
    ],
)
def test_a_damaged_snapshot_is_rebuilt_with_a_notice(config: Config, damage: Any, parsed: list[str]) -> None:
    expected = read(config, cache=False)
    read(config)
    damage(kept(config))
    rebuilt_with_a_notice(config, expected, parsed)


def test_damaged_facts_are_found_when_the_findings_across_files_are_judged_again(config: Config) -> None:
    read(config)
    found = gate_snapshot._read_file(kept(config), _key(config), ReviewBuilder.snapshot_classes, {}, lazy=True)
    assert found is not None and found[2] is not None
    found[2].close()
    places = found[1]
    start, end = places["cross"][0] + places["cross"][1], places["facts"][0]  # each file's facts, one by one
    data = bytearray(kept(config).read_bytes())
    data[(start + end) // 2] ^= 0xFF
    kept(config).write_bytes(bytes(data))
    edit(config.reviews_dir / CARRIED, "  - id: A2\n", "  - id: A9\n")  # the facts of the others are read
    damaged = read(config)
    same(damaged, read(config, cache=False))
    assert damaged.check.notices and "rebuilding it" in damaged.check.notices[0]
    rebuilt = read(config)
    same(rebuilt, read(config, cache=False))
    assert not rebuilt.check.notices


def test_a_planted_snapshot_runs_no_code(config: Config, tmp_path: Path) -> None:
    expected = read(config, cache=False)
    read(config)
    witness = tmp_path / "ran"

    class Exploit:  # what a snapshot planted in a checkout could hold
        def __reduce__(self) -> tuple[Any, ...]:
            return (os.system, (f"touch {witness}",))

    real = gate_snapshot._read_file(kept(config), _key(config), ReviewBuilder.snapshot_classes, {})
    assert real is not None
    trailer = real[0]
    gate_snapshot._write(
        kept(config),
        {"key": trailer["key"], "token": trailer["token"]},
        {"records": Exploit(), "facts": {}, "cross": None},
    )
    planted = read(config)
    same(planted, expected)
    assert not witness.exists()
    assert "posix.system" in planted.check.notices[0]


def _key(config: Config) -> str:
    options = gate_check.CheckOptions.of(config, TODAY)
    index = gate_check.open_index(config, options)
    assert index is not None
    try:
        return gate_check._snapshot_key(index, ReviewBuilder(config), config.reviews_dir)
    finally:
        index.close()


def test_other_settings_or_aliases_make_another_snapshot(config: Config, parsed: list[str]) -> None:
    read(config)
    text = config.config_file.read_text(encoding="utf-8")
    config.config_file.write_text(text.replace("extra:\n  retrogen:\n", "extra:\n  retrogen:\n    min_whys: 4\n"))
    other = load_config(config.config_file)
    assert other.settings.min_whys == 4
    parsed.clear()
    same(read(other), read(other, cache=False))
    assert len(parsed) == 2 * len(list(config.reviews_dir.glob("*.yaml")))


def test_nothing_is_kept_where_it_cannot_be_written_or_is_turned_off(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(gate_index.os, "access", lambda *args, **kwargs: False)  # a read-only checkout
    same(read(config), read(config, cache=False))
    assert not kept(config).exists()
    monkeypatch.undo()
    monkeypatch.setenv("RETROGEN_NO_CACHE", "1")
    read(config)
    assert not kept(config).exists()


def test_a_snapshot_it_cannot_write_leaves_the_answer_as_it_is(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(path: Path, write: Any) -> None:
        raise PermissionError(13, "Permission denied", str(path))

    monkeypatch.setattr(gate_snapshot, "write_atomic_with", refuse)
    same(read(config), read(config, cache=False))
    assert not kept(config).exists()


def test_what_the_snapshot_may_make_is_the_model_and_the_index_entries() -> None:
    assert {name for _, name in ReviewBuilder.snapshot_classes} >= {"Review", "Action", "Metric", "Update"}
    with pytest.raises(gate_index.IndexFormatError):
        gate_index.guarded_loads(pickle.dumps(Review), ReviewBuilder.snapshot_classes - {(Review.__module__, "Review")})


def test_commands_at_once_leave_a_sound_snapshot(config: Config) -> None:
    command = ["metrics", "--format", "json", "--today", TODAY.isoformat()]
    same_at_once(config, command)  # cold: every run writes a base
    with (config.reviews_dir / CARRIED).open("a", encoding="utf-8") as handle:
        handle.write("# edited\n")
    same_at_once(config, command)  # warm: every run writes a delta
    assert kept(config).is_file()
    same(read(config), read(config, cache=False))


def test_reading_the_snapshot_back_leaves_no_unpickler_behind_with_the_collector_off(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An unpickler's memo holds every object it made, and the state of each (a dict per object): one kept
    alive by a cycle, with the collector off as the read commands load (core/bulk.py), held 80 MB at 10,000
    reviews. Each must go as soon as its section is read."""
    read(config)
    made: list[weakref.ref[Any]] = []

    class Watched(gate_snapshot._Unpickler):
        def __init__(self, *args: Any) -> None:
            super().__init__(*args)
            made.append(weakref.ref(self))

    monkeypatch.setattr(gate_snapshot, "_Unpickler", Watched)
    collecting = gc.isenabled()
    gc.disable()
    try:
        same(read(config), read(config, cache=False))
        assert made and all(ref() is None for ref in made)
    finally:
        if collecting:
            gc.enable()


def test_the_base_keeps_its_records_in_sections_read_back_together(
    config: Config, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    """An unpickler holds all it made until it is done: the records are pickled a few hundred at a time, so
    that reading them back holds one section's worth at once (issue 21: 70 MB less at 10,000 reviews)."""
    monkeypatch.setattr(gate_snapshot, "RECORDS_PER_SECTION", 3)
    expected = read(config, cache=False)
    read(config)
    found = gate_snapshot._read_file(kept(config), _key(config), ReviewBuilder.snapshot_classes, {})
    assert found is not None
    files = len(list(config.reviews_dir.glob("*.yaml")))
    assert sum(name.startswith("records") for name in found[1]) == -(-files // 3) > 1
    parsed.clear()
    same(read(config), expected)
    assert not parsed


def test_a_reviews_parts_are_slotted_and_read_back_equal_hashable_and_replaceable(config: Config) -> None:
    """A review's parts keep their fields in slots, not a dict each (issue 21: 40 MB less at 10,000
    reviews), and the snapshot reads them back as they were built: equal, with the same hash, and as
    `replace` and pickle make them."""
    built = read(config)
    back = read(config)
    same(back, built)
    review = next(review for _, review in back.documents if review.actions and review.metrics and review.lessons)
    parts = [review.actions[0], review.metrics[0], review.lessons[0], review.participants[0]]
    assert not any(hasattr(part, "__dict__") for part in parts)
    action = review.actions[0]
    assert hash(action) == hash(next(r for _, r in built.documents if r.id == review.id).actions[0])
    assert replace(action, owner="someone else").owner == "someone else" and replace(action) == action
    assert pickle.loads(pickle.dumps(review)) == review


def test_a_section_remembers_only_what_it_holds_more_than_once(tmp_path: Path) -> None:
    """A section is the objects its value holds more than once, then the value pickled without a memo (issue
    21: a plain pickle's memo held every part of every review and the state each was made from, until the
    section was read; reading one without them took a third less time). What was shared is shared again."""
    shared_text = "".join(["a team ", "named once"])  # made at run time: not one of the interpreter's own
    day = date(2026, 3, 1)
    value = {"first": (shared_text, day, [1.5]), "second": (shared_text, day), "once": "".join(["only ", "here"])}
    blob = gate_snapshot._pickled(value)
    stream = io.BytesIO(blob)
    unpickler = pickle.Unpickler(stream)
    assert unpickler.load() == [shared_text, day]  # only what is referred to twice
    value_start = stream.tell()
    assert unpickler.load() == value and stream.tell() == len(blob)
    remembered = [op for op, _, _ in pickletools.genops(blob[value_start:]) if op.name in _MEMO_OPS]
    assert not remembered
    path = tmp_path / "section"
    path.write_bytes(blob)
    with path.open("rb") as handle:
        back = gate_snapshot._section(handle, (0, len(blob), zlib.crc32(blob)), frozenset(), {})
    assert back == value and back["first"][0] is back["second"][0] and back["first"][1] is back["second"][1]


_MEMO_OPS = {"MEMOIZE", "PUT", "BINPUT", "LONG_BINPUT"}


@pytest.mark.parametrize(
    "tail",
    [
        pytest.param(b"", id="no value"),
        pytest.param(pickle.dumps(None, pickle.HIGHEST_PROTOCOL), id="a third pickle"),
        pytest.param(b"\0" * 8, id="trailing bytes"),
    ],
)
def test_a_section_of_the_right_sum_but_not_two_pickles_is_damage(tmp_path: Path, tail: bytes) -> None:
    first = pickle.dumps(["shared"], pickle.HIGHEST_PROTOCOL)
    blob = first + (tail if tail == b"" else pickle.dumps({}, pickle.HIGHEST_PROTOCOL) + tail)
    path = tmp_path / "section"
    path.write_bytes(blob)
    with path.open("rb") as handle, pytest.raises((gate_snapshot.SnapshotDamaged, EOFError)):
        gate_snapshot._section(handle, (0, len(blob), zlib.crc32(blob)), frozenset(), {})


def test_a_warm_read_makes_each_reviews_path_once(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    """The reviews read back from the snapshot hold the Paths the listing made (a Path made again from its
    string is parsed: a sixth of reading ten thousand reviews back), found by the listing's own strings."""
    read(config)
    made: list[str] = []

    def counting(paths: dict[str, Path], text: Any) -> Path:
        made.append(text)
        found = paths.get(text)
        assert found is not None, f"{text} made again"
        return found

    monkeypatch.setattr(gate_snapshot, "_path_among", counting)
    reading = read(config)
    assert len(made) == len(reading.documents) > 1
    kept_results = {str(result.path): result.path for result in reading.check.files}
    assert all(review.path is kept_results[str(path)] for path, review in reading.documents)


def _records_read_back(config: Config) -> dict[str, Any]:
    found = gate_snapshot._read_file(kept(config), _key(config), ReviewBuilder.snapshot_classes, {})
    assert found is not None
    values, places = found[0], found[1]
    return {name: values[name] for name in places if name.startswith("records")}


def test_a_bases_records_refer_to_one_table_of_what_many_share(
    config: Config, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    """A base's records are pickled without a memo, referring to one table per base of what many records
    hold (issue 21: finding that in every reference of every section took three times as long as writing
    the records): what the table holds is one object in every section read back."""
    monkeypatch.setattr(gate_snapshot, "RECORDS_PER_SECTION", 3)
    monkeypatch.setattr(gate_snapshot, "SAMPLE_EVERY", 1)  # every record sampled: the table is all they share
    expected = read(config, cache=False)
    read(config)
    blob = kept(config).read_bytes()
    found = gate_snapshot._read_file(kept(config), _key(config), ReviewBuilder.snapshot_classes, {})
    assert found is not None
    places = found[1]
    assert next(iter(places)) == gate_snapshot.TABLE
    for name, (offset, length, _) in places.items():
        if name.startswith("records"):  # one pickle, remembering nothing
            ops = list(pickletools.genops(blob[offset : offset + length]))
            assert ops[-1][0].name == "STOP" and ops[-1][2] == length - 1
            assert not [op for op, _, _ in ops if op.name in _MEMO_OPS]
    sections = _records_read_back(config)
    kinds = [record[3].kind for section in sections.values() for record in section.values()]
    periodic = [kind for kind in kinds if kind == "periodic"]
    assert len(periodic) > 1 and all(kind is periodic[0] for kind in periodic)  # across sections
    parsed.clear()
    same(read(config), expected)
    assert not parsed


def test_what_the_table_leaves_out_is_written_where_it_stands(
    config: Config, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    """The table is found in a sample of the records: what the sample does not show shared is written again
    wherever it stands, and read back equal."""
    monkeypatch.setattr(gate_snapshot, "RECORDS_PER_SECTION", 3)
    monkeypatch.setattr(gate_snapshot, "SAMPLE_EVERY", 1000)  # one record sampled
    counted: list[int] = []
    references = gate_snapshot._references

    def counting(value: Any) -> list[Any]:
        seen = references(value)
        counted.append(sum(isinstance(item, Review) for item in seen))
        return seen

    monkeypatch.setattr(gate_snapshot, "_references", counting)
    expected = read(config, cache=False)
    read(config)
    assert sum(counted) == 1  # the base's records were counted in the sample alone
    parsed.clear()
    same(read(config), expected)
    assert not parsed
    sections = _records_read_back(config)
    teams = [record[3].team for section in sections.values() for record in section.values()]
    east = [team for team in teams if team == "华东销售部"]
    assert len(east) > 1 and len({id(team) for team in east}) > 1  # not in the table: one each


@pytest.mark.parametrize("where", ["flipped", "not a list"])
def test_a_damaged_table_is_rebuilt_with_a_notice(config: Config, parsed: list[str], where: str) -> None:
    expected = read(config, cache=False)
    read(config)
    found = gate_snapshot._read_file(kept(config), _key(config), ReviewBuilder.snapshot_classes, {})
    assert found is not None
    if where == "flipped":
        offset, length, _ = found[1][gate_snapshot.TABLE]
        data = bytearray(kept(config).read_bytes())
        data[offset + length // 2] ^= 0xFF
        kept(config).write_bytes(bytes(data))
    else:
        trailer = found[0]
        records = {name: trailer[name] for name in found[1] if name.startswith("records")}
        gate_snapshot._write(
            kept(config),
            {"key": trailer["key"], "token": trailer["token"]},
            {**records, "cross": trailer["cross"]},
            {},
            {"not": "a list"},  # type: ignore[arg-type]
        )
    rebuilt_with_a_notice(config, expected, parsed)


def _sections_kept(config: Config) -> tuple[dict[str, Any], dict[str, tuple[tuple[str, ...], bytes]]]:
    """The base's trailer, and each records section's paths and bytes."""
    found = gate_snapshot._read_file(kept(config), _key(config), ReviewBuilder.snapshot_classes, {})
    assert found is not None
    values, places = found[0], found[1]
    blob = kept(config).read_bytes()
    return values, {
        name: (tuple(values[name]), blob[offset : offset + length])
        for name, (offset, length, _) in places.items()
        if name.startswith("records")
    }


@pytest.mark.parametrize("share", [0.25, 0.0])
def test_a_new_base_keeps_the_sections_of_the_old_whose_files_did_not_change(
    config: Config, monkeypatch: pytest.MonkeyPatch, parsed: list[str], share: float
) -> None:
    """A delta folded into a new base: the old base's table and the bytes of each records section none of
    whose files changed are kept, the others pickled again (issue 21), until more than FRESH_SHARE of the
    records were pickled against a table that did not sample them; then the base is written whole."""
    monkeypatch.setattr(gate_snapshot, "RECORDS_PER_SECTION", 3)
    monkeypatch.setattr(gate_snapshot, "FRESH_SHARE", share)
    monkeypatch.setattr(gate_index, "RACY_NS", 0)  # the files just copied are not stamped again
    read(config)
    _, before = _sections_kept(config)
    monkeypatch.setattr(gate_snapshot, "DELTA_MIN", 0)
    monkeypatch.setattr(gate_snapshot, "DELTA_SHARE", 0.0)
    edit(config.reviews_dir / CARRIED, "title: ", "title: Edited ")
    expected = read(config, cache=False)
    same(read(config), expected)
    assert not kept(config, DELTA_NAME).exists()  # folded
    trailer, after = _sections_kept(config)
    assert trailer.get("fresh", 0) == (1 if share else 0)
    edited = [name for name, (paths, _) in before.items() if any(path.endswith(CARRIED) for path in paths)]
    assert len(edited) == 1 and len(before) > 2
    parsed.clear()
    folded = kept(config).read_bytes()
    back = read(config)
    same(back, expected)
    # a section wrongly kept would hold the record before the edit: its stamp would send the file to the
    # index again, and the snapshot would be written again
    assert not parsed and kept(config).read_bytes() == folded and not kept(config, DELTA_NAME).exists()
    assert next(review for _, review in back.documents if review.path.name == CARRIED).title.startswith("Edited ")
    if share:
        assert {name: paths for name, (paths, _) in after.items()} == {n: p for n, (p, _) in before.items()}
        assert [name for name in before if after[name][1] != before[name][1]] == edited
        # pickled again against the table read back: a field's name is still the table's, not written again
        assert len(after[edited[0]][1]) < len(before[edited[0]][1]) + 50


def test_a_new_base_places_the_files_the_old_did_not_hold(
    config: Config, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    monkeypatch.setattr(gate_snapshot, "RECORDS_PER_SECTION", 3)
    read(config)
    monkeypatch.setattr(gate_snapshot, "DELTA_MIN", 0)
    monkeypatch.setattr(gate_snapshot, "DELTA_SHARE", 0.0)
    source = config.reviews_dir / CARRIED
    copy = config.reviews_dir / "2026-q3-east-sales-copy.yaml"
    copy.write_text(source.read_text(encoding="utf-8").replace("id: ", "id: copy-", 1), encoding="utf-8")
    (config.reviews_dir / CARRYING).unlink()
    expected = read(config, cache=False)
    same(read(config), expected)
    _, sections = _sections_kept(config)
    placed = [path for paths, _ in sections.values() for path in paths]
    assert len(placed) == len(set(placed)) == len(list(config.reviews_dir.glob("*.yaml")))
    assert not any(path.endswith(CARRYING) for path in placed)
    parsed.clear()
    same(read(config), expected)
    assert not parsed


def _fold_on_the_next_edit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gate_snapshot, "DELTA_MIN", 0)
    monkeypatch.setattr(gate_snapshot, "DELTA_SHARE", 0.0)


def test_a_fold_copies_what_it_keeps_of_the_old_base_a_piece_at_a_time(
    config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A fold holds neither the old base's kept sections nor its files' facts all at once while it writes the
    new base (issue 21: at 10,000 reviews they raised a fold's peak by 70 MB, over a warm read's)."""
    for number in range(30):  # enough reviews that what a fold keeps outweighs what it pickles again
        for source in sorted(config.reviews_dir.glob("*.yaml"))[:9]:
            text = source.read_text(encoding="utf-8").replace("id: ", f"id: copy{number}-", 1)
            (config.reviews_dir / f"copy{number}-{source.name}").write_text(text, encoding="utf-8")
    monkeypatch.setattr(gate_snapshot, "RECORDS_PER_SECTION", 3)
    monkeypatch.setattr(gate_snapshot, "_COPY_CHUNK", 256)
    monkeypatch.setattr(gate_index, "RACY_NS", 0)  # the files just written are not stamped again
    read(config)
    _fold_on_the_next_edit(monkeypatch)
    edit(config.reviews_dir / CARRIED, "title: ", "title: Edited ")
    peaks: list[int] = []
    write_snapshot = gate_check.write_snapshot

    def traced(*args: Any) -> None:
        tracemalloc.start()
        try:
            write_snapshot(*args)
            before, peak = tracemalloc.get_traced_memory()
            peaks.append(peak - before)
        finally:
            tracemalloc.stop()

    monkeypatch.setattr(gate_check, "write_snapshot", traced)
    size = kept(config).stat().st_size
    same(read(config), read(config, cache=False))
    assert not kept(config, DELTA_NAME).exists()  # folded
    assert len(peaks) == 1 and peaks[0] < size // 2, (peaks, size)  # 2.2 MB of 1.8 MB held at once before


def test_damage_found_while_a_fold_copies_the_old_base_is_rebuilt_with_a_notice(
    config: Config, monkeypatch: pytest.MonkeyPatch, parsed: list[str]
) -> None:
    """The old base changed in place between its read and the fold that copies its sections (another
    process writing into it): the fold is abandoned, and the run answers as without it, with a notice."""
    monkeypatch.setattr(gate_snapshot, "RECORDS_PER_SECTION", 3)
    monkeypatch.setattr(gate_index, "RACY_NS", 0)  # the files just copied are not stamped again
    read(config)
    _fold_on_the_next_edit(monkeypatch)
    edit(config.reviews_dir / CARRIED, "title: ", "title: Edited ")
    expected = read(config, cache=False)
    kept_sections = gate_snapshot._kept_sections

    def then_damaged(snapshot: Any, *args: Any) -> Any:
        sections = kept_sections(snapshot, *args)
        assert sections is not None  # the old table kept
        place = next(value.place for value in sections[0].values() if isinstance(value, gate_snapshot._Kept))
        with kept(config).open("r+b") as handle:
            handle.seek(place[0] + place[1] // 2)
            byte = handle.read(1)
            handle.seek(-1, os.SEEK_CUR)
            handle.write(bytes([byte[0] ^ 0xFF]))
        return sections

    monkeypatch.setattr(gate_snapshot, "_kept_sections", then_damaged)
    base = kept(config).read_bytes()
    damaged = read(config)
    same(damaged, expected)
    assert damaged.check.notices and "rebuilding it" in damaged.check.notices[0]
    assert not kept(config).exists() or kept(config).read_bytes() != base
    monkeypatch.setattr(gate_snapshot, "_kept_sections", kept_sections)
    parsed.clear()
    rebuilt = read(config)
    same(rebuilt, expected)
    assert not rebuilt.check.notices
