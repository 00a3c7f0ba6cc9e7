"""Benchmark the lasting index (issue 21): each read command cold (no index) and warm (after one run, one
file edited: a comment line, which changes nothing the checks across reviews read; and one KPI's actual,
which does), beside another checkout of retrogen (the baseline: main) run on the same knowledge base in the
same run, first after this retrogen's run (its index made by another version: cold), then again (warm).

    python3 benchmarks/bench_index.py --baseline /work/main [--sizes 1000 10000] [--repeat 3]

Every figure is CPU seconds (user + system, the command's process and its workers), the median of
`--repeat` runs, the variants taking turns, and the peak memory of the command's process tree (resident,
sampled every 20 ms: `tree_rss`) as the largest of those runs. Before every run one review is edited (a
comment line added), so a warm run has one changed file to read. Prints a Markdown table.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import cpu_and_peak, knowledge_base

ROOT = Path(__file__).resolve().parent.parent
TODAY = "2030-01-01"
VARIANTS = ("main", "main, warm", "no index", "cold", "warm", "warm, a figure")
COMMANDS = {
    "check": ["check"],
    "check one file": ["check", "reviews/synthetic-00005.yaml"],
    "metrics --format json": ["metrics", "--format", "json"],
    "actions --format json": ["actions", "--format", "json"],
    "remind (dry run)": ["remind"],
    "report <id> -o x.docx": ["report", "synthetic-00042", "-o", "x.docx", "--force"],
    "related <id>": ["related", "synthetic-00042"],
    "playbook": ["playbook"],
}


def cpu_seconds(command: list[str], cwd: Path, code: Path) -> tuple[float, int]:
    """CPU seconds of `command` (retrogen from the checkout `code`), its workers included, and the peak
    resident bytes of its process tree."""
    environment = {**os.environ, "PYTHONPATH": str(code), "RETROGEN_TODAY": TODAY}
    environment.pop("RETROGEN_NO_CACHE", None)
    # As an installed retrogen runs: from compiled bytecode (pip writes it; PYTHONDONTWRITEBYTECODE would
    # compile every module on every run, 60 ms of a one-file check), kept apart from the checkouts measured,
    # and with the user cache (the compiled schema) of the benchmarks' own.
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(ROOT / "benchmarks" / "out" / "pycache")
    environment["XDG_CACHE_HOME"] = str(ROOT / "benchmarks" / "out" / "cache")
    return cpu_and_peak([sys.executable, "-m", "retrogen", *command], cwd, environment)


def edit_one(folder: Path, count: int) -> None:
    """A change to one review, as a person saving it would make."""
    path = folder / "reviews" / "synthetic-00005.yaml"
    with path.open("a", encoding="utf-8") as handle:
        handle.write(f"# edit {count}\n")


def edit_figure(folder: Path) -> None:
    """A change to one review's first KPI actual: a closed-loop fact the checks across reviews read, so that
    what they found last run cannot simply be kept."""
    path = folder / "reviews" / "synthetic-00005.yaml"
    text = path.read_text(encoding="utf-8")
    found = re.search(r"^  actual: (\d+)$", text, flags=re.MULTILINE)
    assert found, f"{path} has no KPI actual to edit"
    changed = f"  actual: {int(found[1]) + 1}"
    path.write_text(text[: found.start()] + changed + text[found.end() :], encoding="utf-8")


def bench(size: int, baseline: Path | None, repeat: int, commands: dict[str, list[str]]) -> list[str]:
    folder = knowledge_base(size).parent
    (folder / "mkdocs.yml").write_text("site_name: bench\n", encoding="utf-8")
    index = folder / ".retrogen"
    rows = []
    edits = itertools.count(1)

    def run(argv: list[str], code: Path) -> tuple[float, int]:
        edit_one(folder, next(edits))  # every run has one review changed since the one before
        return cpu_seconds(argv, folder, code)

    for name, command in commands.items():
        runs: dict[str, list[tuple[float, int]]] = {key: [] for key in VARIANTS}
        for _ in range(repeat):
            if baseline is not None:
                runs["main"].append(run(command, baseline))
                runs["main, warm"].append(run(command, baseline))
            runs["no index"].append(run(["--no-cache", *command], ROOT))
            shutil.rmtree(index, ignore_errors=True)
            runs["cold"].append(run(command, ROOT))
            runs["warm"].append(run(command, ROOT))
            edit_figure(folder)
            runs["warm, a figure"].append(run(command, ROOT))
        cells = " | ".join(
            f"{statistics.median(s for s, _ in runs[key]):.2f} s, {max(m for _, m in runs[key]) / 2**20:.0f} MB"
            if runs[key]
            else "—"
            for key in runs
        )
        rows.append(f"| {size:,} | `{name}` | {cells} |")
        print(rows[-1], flush=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--baseline", type=Path, help="a checkout of retrogen to compare with (e.g. main)")
    parser.add_argument("--commands", nargs="+", choices=COMMANDS, help="only these commands (default: all)")
    args = parser.parse_args()
    print(f"CPU seconds (median of {args.repeat}) and peak memory; {os.cpu_count()} cores; {sys.version.split()[0]}")
    print(
        "| reviews | command | baseline | baseline, warm | this, --no-cache | this, cold | this, warm "
        "| this, warm after a figure's edit |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|")
    commands = {name: COMMANDS[name] for name in args.commands or COMMANDS}
    for size in args.sizes:
        bench(size, args.baseline, args.repeat, commands)


if __name__ == "__main__":
    main()
