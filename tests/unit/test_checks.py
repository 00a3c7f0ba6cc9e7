from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest

from retrogen.gate.check import CheckOptions, _per_named_lazily, check_file, check_paths
from retrogen.gate.findings import CODES, Severity

from ..conftest import EXAMPLES, KB, SHARED_EXAMPLES, TODAY

INVALID = sorted((EXAMPLES / "invalid").glob("*.yaml"))
OPTIONS = CheckOptions(TODAY)


def expectations(path: Path) -> set[tuple[str, int, int]]:
    header = path.read_bytes().split(b"\n", 1)[0].decode()
    return {(c, int(line), int(col)) for c, line, col in re.findall(r"(RG\d+) (\d+):(\d+)", header)}


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_each_invalid_example_reports_its_code_at_its_line(path: Path) -> None:
    expected = expectations(path)
    assert expected, f"{path.name} declares no '# expect:' header"
    found = check_paths([path], OPTIONS).findings
    assert expected <= {(f.code, f.line, f.column) for f in found}
    # nothing else is an error: each example shows one mistake
    assert {f.code for f in found if f.severity is Severity.ERROR} <= {code for code, _, _ in expected}


def test_every_code_has_an_invalid_example() -> None:
    covered = {code for path in INVALID for code, _, _ in expectations(path)}
    # size, unreadable, depth, the roster (test_roster.py) and the checks across reviews (test_crosschecks.py):
    # not one file each
    untestable_as_files = {
        "RG007",
        "RG010",
        "RG011",
        "RG111",
        "RG133",
        "RG120",
        "RG121",
        "RG122",
        "RG215",
        "RG216",
        "RG217",
        "RG218",
        "RG221",  # tests/unit/test_slips.py
        "RG222",
        "RG223",  # tests/unit/test_repeated_misses.py
        "RG224",  # tests/unit/test_targets.py
        "RG150",
    }  # the team list: tests/cli/test_teams.py
    assert set(CODES) - untestable_as_files == covered


def test_fixture_knowledge_base_passes() -> None:
    result = check_paths([KB / "reviews"], OPTIONS, reviews_dir=KB / "reviews")
    assert result.errors == 0, [f for f in result.findings if f.severity is Severity.ERROR]
    assert len(result.files) >= 8


def test_shared_examples_are_in_the_knowledge_base_unchanged() -> None:
    for name in ("2026-q3-east-sales.yaml", "2026-northwind-fleet-deal.yaml"):
        local = KB / "reviews" / name
        result = check_file(local, OPTIONS)
        assert not [f for f in result.findings if f.severity is Severity.ERROR]
        if SHARED_EXAMPLES.is_dir():
            assert local.read_bytes() == (SHARED_EXAMPLES / name).read_bytes()


if SHARED_EXAMPLES.is_dir():
    # The design's reference examples lie beside the development checkout only (../shared/examples). In any
    # other clone there is nothing to compare, so the test is not collected: a skip would mean nothing there.
    def test_shared_examples_validate() -> None:
        result = check_paths([SHARED_EXAMPLES], OPTIONS)
        assert result.errors == 0


def test_duplicate_review_ids_across_folders() -> None:
    result = check_paths([EXAMPLES / "duplicate-id"], OPTIONS)
    duplicates = [f for f in result.findings if f.code == "RG111"]
    assert len(duplicates) == 1
    assert duplicates[0].path.endswith("b/twin-review.yaml")
    assert "a/twin-review.yaml" in duplicates[0].message
    assert (duplicates[0].line, duplicates[0].column) == (2, 5)


def test_a_new_file_is_checked_against_ids_of_the_rest_of_the_knowledge_base(tmp_path: Path) -> None:
    reviews = tmp_path / "reviews"
    (reviews / "old").mkdir(parents=True)
    (reviews / "old" / "twin-review.yaml").write_text("id: twin-review\n")
    new = reviews / "twin-review.yaml"  # what pre-commit passes: only the changed file
    new.write_text((EXAMPLES / "duplicate-id" / "a" / "twin-review.yaml").read_text())
    result = check_paths([new], OPTIONS, reviews_dir=reviews)
    assert [f.code for f in result.findings if f.code == "RG111"] == ["RG111"]


def test_files_outside_the_knowledge_base_do_not_clash_with_it(tmp_path: Path) -> None:
    reviews = tmp_path / "reviews"
    reviews.mkdir()
    twin = (EXAMPLES / "duplicate-id" / "a" / "twin-review.yaml").read_text()
    (reviews / "twin-review.yaml").write_text(twin)
    elsewhere = tmp_path / "examples"
    elsewhere.mkdir()
    (elsewhere / "twin-review.yaml").write_text(twin)
    assert check_paths([elsewhere], OPTIONS, reviews_dir=reviews).errors == 0
    assert check_paths([reviews / "twin-review.yaml"], OPTIONS, reviews_dir=reviews).errors == 0


def test_depth_and_size_limits_are_findings(tmp_path: Path) -> None:
    deep = tmp_path / "deep.yaml"
    deep.write_text("a: " + "[" * 100 + "]" * 100 + "\n")
    big = tmp_path / "big.yaml"
    big.write_text("a: " + "x" * 5000 + "\n")
    small = CheckOptions(TODAY, max_file_size=4096)
    assert [f.code for f in check_file(deep, small).findings] == ["RG011"]
    assert [f.code for f in check_file(big, small).findings] == ["RG007"]


def test_a_broken_file_does_not_stop_the_others(tmp_path: Path) -> None:
    (tmp_path / "a-broken.yaml").write_bytes(b"\xff\xfe")
    good = (EXAMPLES / "duplicate-id" / "a" / "twin-review.yaml").read_text()
    (tmp_path / "twin-review.yaml").write_text(good)
    result = check_paths([tmp_path], OPTIONS)
    assert [r.path.name for r in result.files] == ["a-broken.yaml", "twin-review.yaml"]
    assert result.files[1].review_id == "twin-review"


def _with_batch_size(args: tuple[list[tuple[Path, str]], Any]) -> list[tuple[str, int]]:
    batch, _ = args
    return [(shown, len(batch)) for _, shown in batch]


def test_work_on_many_files_comes_back_in_order_a_batch_at_a_time_of_at_most_128() -> None:
    """A first run without the index converts each batch's data as it comes, and a worker holds a batch's
    data until it sends it: every review's data at once was 600 MB at 10,000, and a worker's batch 130 MB."""
    named = [(Path(f"r{i:04}.yaml"), f"r{i:04}.yaml") for i in range(2100)]
    given = _per_named_lazily(_with_batch_size, named, OPTIONS, 2)
    assert inspect.isgenerator(given)
    results = list(given)
    assert [shown for shown, _ in results] == [shown for _, shown in named]
    assert max(size for _, size in results) == 128


def test_parallel_and_serial_checks_agree(tmp_path: Path) -> None:
    source = (EXAMPLES / "invalid" / "rg201-overdue.yaml").read_text()
    for i in range(80):
        (tmp_path / f"r{i:03}.yaml").write_text(source.replace("id: rg201-overdue", f"id: r{i:03}"))
    serial = check_paths([tmp_path], OPTIONS, jobs=1)
    parallel = check_paths([tmp_path], OPTIONS, jobs=2)
    assert serial.findings == parallel.findings
    assert sum(f.code == "RG201" for f in serial.findings) == 80
