"""`retrogen check FILE` runs on every commit through the pre-commit hook: once its index and the compiled
schema are kept, it imports nothing that only other commands, a refused review or a defect need."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from ..conftest import ROOT, copy_knowledge_base

# What a warm check of a valid review never runs: the validator's generator (its kept code is run without
# it), the targets' reader (this knowledge base names no targets file), the whole-folder snapshot, the
# traceback printer of unexpected errors, and the engine's and documents' libraries.
NOT_IMPORTED = (
    "fastjsonschema",
    "retrogen.gate.targets",
    "traceback",
    "jsonschema",
    "pandas",
    "jinja2",
    "concurrent.futures",
)


def imported_by_check(kb: Path, review: Path, cache: Path) -> set[str]:
    code = (
        "import sys, retrogen.cli as c\n"
        "try:\n"
        f"    c.cli.main(['check', {str(review)!r}, '--today', '2026-11-20'], standalone_mode=False)\n"
        "finally:\n"
        "    print('imported:', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache)}
    environment.pop("RETROGEN_NO_CACHE", None)  # the hook's case: the index and the compiled schema are kept
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=kb, env=environment, capture_output=True, text=True, check=True
    )
    assert "pass" in result.stdout or "warning" in result.stdout
    return set(result.stderr.strip().splitlines()[-1].split()[1:])


def test_a_warm_check_of_one_file_imports_only_what_it_runs(tmp_path: Path) -> None:
    kb = copy_knowledge_base(tmp_path / "kb")
    review = kb / "reviews" / "2026-q3-east-sales.yaml"
    cold = imported_by_check(kb, review, tmp_path / "cache")
    assert "fastjsonschema" in cold  # the first run generates the validator and keeps it
    review.write_text(review.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    warm = imported_by_check(kb, review, tmp_path / "cache")
    assert {"retrogen.gate.check", "yaml"} <= warm
    assert sorted(warm.intersection(NOT_IMPORTED)) == []
