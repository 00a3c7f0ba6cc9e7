"""Benchmark the exports people open in Excel: `actions -o x.xlsx`, `metrics -o x.xlsx` and `actions -o x.csv`
on a synthetic knowledge base, each as a whole process (the way a person runs it).

    python3 benchmarks/bench_exports.py [--sizes 1000] [--repeat 3]

Prints a Markdown table of the best of `--repeat` runs, with the file size written. Wall time is taken
without sampling /proc (bench_check's sampler competes with the loader's workers for the CPU on a small
machine); the peak is the main process's own resident memory.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import knowledge_base


def measure(command: list[str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds and peak resident bytes of the main process (its loader workers are not
    counted; CPU time is the steadier figure on a busy machine), exit code."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - started
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss * 1024, os.waitstatus_to_exitcode(status)


EXPORTS = {
    "actions -o x.xlsx": ["actions", "-o", "x.xlsx"],
    "metrics -o x.xlsx": ["metrics", "-o", "x.xlsx"],
    "actions -o x.csv": ["actions", "-o", "x.csv"],
    "actions --format csv (stdout, for reference)": ["actions", "--format", "csv"],
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    print("| reviews | command | wall s (best) | CPU s (best) | peak MiB | file KiB |\n|---|---|---|---|---|---|")
    for size in args.sizes:
        folder = knowledge_base(size)
        (folder.parent / "mkdocs.yml").write_text("site_name: bench\n")
        for name, command in EXPORTS.items():
            runs = []
            for _ in range(args.repeat):
                with tempfile.TemporaryDirectory() as tmp:
                    target = Path(tmp) / command[-1]
                    writes = command[-2] == "-o"
                    full = [
                        sys.executable,
                        "-m",
                        "retrogen",
                        "-c",
                        str(folder.parent / "mkdocs.yml"),
                        *command[:-1],
                        str(target) if writes else command[-1],
                        "--today",
                        "2030-01-01",
                    ]
                    if command[0] == "actions":
                        full.append("--no-git")  # the synthetic knowledge base is not a repository
                    wall, cpu, peak, code = measure(full)
                    written = target.stat().st_size if target.exists() else 0
                runs.append((wall, cpu, peak, code, written))
            wall = min(run[0] for run in runs)
            cpu = min(run[1] for run in runs)
            _, _, peak, code, written = runs[-1]
            state = "" if code == 0 else f" (exit {code})"
            print(
                f"| {size:,} | `{name}`{state} | {wall:.2f} | {cpu:.2f} | {peak / 2**20:,.0f} | "
                f"{written / 1024:,.0f} |",
                flush=True,
            )


if __name__ == "__main__":
    main()
