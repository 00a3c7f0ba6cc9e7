"""Benchmark the lasting index (issue 21): each read command cold (no index) and warm (after one run, one
file edited), beside another checkout of retrogen (main) run on the same knowledge base in the same run.

    python3 benchmarks/bench_index.py --baseline /work/main [--sizes 1000 10000] [--repeat 3]

Every figure is CPU seconds (user + system, the command's process and its workers), the median of
`--repeat` runs, the variants taking turns. Before every run one review is edited (a comment line added),
so a warm run has one changed file to read. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import knowledge_base

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2030-01-01"
COMMANDS = {
    "check": ["check"],
    "check one file": ["check", "reviews/synthetic-00005.yaml"],
    "metrics --format json": ["metrics", "--format", "json"],
    "actions --format json": ["actions", "--format", "json"],
}


def cpu_seconds(command: list[str], cwd: Path, code: Path) -> float:
    """CPU seconds of `command` (retrogen from the checkout `code`), its workers included."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    environment = {**os.environ, "PYTHONPATH": str(code), "RETROGEN_TODAY": TODAY}
    environment.pop("RETROGEN_NO_CACHE", None)
    # As an installed retrogen runs: from compiled bytecode (pip writes it; PYTHONDONTWRITEBYTECODE would
    # compile every module on every run, 60 ms of a one-file check), kept apart from the checkouts measured,
    # and with the user cache (the compiled schema) of the benchmarks' own.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(ROOT / "benchmarks" / "out" / "pycache")
    environment["XDG_CACHE_HOME"] = str(ROOT / "benchmarks" / "out" / "cache")
    subprocess.run(
        [sys.executable, "-m", "retrogen", *command],
        cwd=cwd,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        check=False,
    )
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def edit_one(folder: Path, count: int) -> None:
    """A change to one review, as a person saving it would make."""
    path = folder / "reviews" / "synthetic-00005.yaml"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"# edit {count}\n")


def bench(size: int, baseline: Path | None, repeat: int) -> list[str]:
    folder = knowledge_base(size).parent
    (folder / "mkdocs.yml").write_text("site_name: bench\n", encoding="utf-8")
    index = folder / ".retrogen"
    rows = []
    edits = 0
    for name, command in COMMANDS.items():
        runs: dict[str, list[float]] = {"main": [], "no index": [], "cold": [], "warm": []}
        for _ in range(repeat):
            if baseline is not None:
                edits += 1
                edit_one(folder, edits)
                runs["main"].append(cpu_seconds(command, folder, baseline))
            edits += 1
            edit_one(folder, edits)
            runs["no index"].append(cpu_seconds(["--no-cache", *command], folder, ROOT))
            shutil.rmtree(index, ignore_errors=True)
            edits += 1
            edit_one(folder, edits)
            runs["cold"].append(cpu_seconds(command, folder, ROOT))
            edits += 1
            edit_one(folder, edits)
            runs["warm"].append(cpu_seconds(command, folder, ROOT))
        figures = {key: f"{statistics.median(values):.2f} s" if values else "—" for key, values in runs.items()}
        cells = " | ".join(figures[key] for key in ("main", "no index", "cold", "warm"))
        rows.append(f"| {size:,} | `{name}` | {cells} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout of retrogen to compare with (e.g. main)")
    args = parser.parse_args()
    print(f"CPU seconds, median of {args.repeat}; {os.cpu_count()} cores; {sys.version.split()[0]}")
    print("| reviews | command | main | this, --no-cache | this, cold | this, warm (one file edited) |")
    print("|---:|---|---:|---:|---:|---:|")
    for size in args.sizes:
        bench(size, args.baseline, args.repeat)


if __name__ == "__main__":
    main()
