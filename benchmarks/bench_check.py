"""Benchmark `retrogen check` against check-jsonschema on synthetic knowledge bases.

    python3 benchmarks/bench_check.py [--sizes 1000 10000] [--baseline-max 1000] [--placement 4000]
    python3 benchmarks/bench_check.py --one-file 10000 [--runs 9] [--compare /work/wt/base] [--python VENV/bin/python]

Both run as whole processes on the same files, the way CI runs them. Peak memory is the largest sum of
resident memory over the process and its workers, sampled every 20 ms. Prints a Markdown table.

--one-file is the pre-commit hook's case: `retrogen check FILE` of one review inside a knowledge base of N,
warm (its index made by a first run), the file edited before every run; CPU seconds (user + system) as
medians of runs in turns with the other checkout (`--compare`, its own copy of the knowledge base and its own
bytecode cache), check-jsonschema on the same file and a bare interpreter, all started as this interpreter
itself (not through a pyenv shim, which costs more than the interpreter) or as `--python` (a fresh venv's,
with `pip install -e .`: what a user's interpreter starts with, without this machine's site additions).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import generate

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "benchmarks" / "out"


def tree_rss(pid: int) -> int:
    """Resident bytes of `pid` and all its descendants, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [pid]
    while stack:
        current = stack.pop()
        stack.extend(children.get(current, []))
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
        except OSError:
            continue
    return total


def measure(command: list[str], cwd: Path | None = None) -> tuple[float, int, int]:
    """Wall seconds, peak tree memory in bytes, exit code."""
    started = time.perf_counter()
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=cwd)
    peak = 0
    while process.poll() is None:
        peak = max(peak, tree_rss(process.pid))
        time.sleep(0.02)
    return time.perf_counter() - started, peak, process.returncode


def cpu_and_peak(command: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, int]:
    """CPU seconds (user + system, the process and its workers) and the peak resident bytes of its tree."""
    _, cpu, peak, _ = at_once({"": (command, cwd)}, env)[""]
    return cpu, peak


def at_once(
    commands: dict[str, tuple[list[str], Path]], env: dict[str, str]
) -> dict[str, tuple[float, float, int, int]]:
    """Start every command (by name: the command and its folder) at once; for each, once it ends: wall seconds,
    CPU seconds (its own and its workers', from wait4), the peak resident bytes of its process tree and its
    exit code. Commands run side by side meet the same load, which their CPU seconds follow on a shared
    machine."""
    started = time.perf_counter()
    running = {
        name: subprocess.Popen(command, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        for name, (command, cwd) in commands.items()
    }
    peaks = dict.fromkeys(running, 0)
    ended: dict[str, tuple[float, float, int, int]] = {}
    while running:
        for name, process in list(running.items()):
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == 0:
                peaks[name] = max(peaks[name], tree_rss(process.pid))
                continue
            process.returncode = os.waitstatus_to_exitcode(status)
            cpu = usage.ru_utime + usage.ru_stime
            ended[name] = (time.perf_counter() - started, cpu, peaks[name], process.returncode)
            del running[name]
        time.sleep(0.02)
    return ended


def knowledge_base(size: int) -> Path:
    folder = OUT / f"kb-{size}" / "reviews"
    if not (folder.is_dir() and len(list(folder.glob("*.yaml"))) == size):
        shutil.rmtree(folder, ignore_errors=True)
        generate(folder, size)
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument(
        "--baseline-max",
        type=int,
        default=1000,
        help="run check-jsonschema only up to this many reviews (it takes ~30 s per 1,000)",
    )
    parser.add_argument(
        "--placement",
        type=int,
        metavar="N",
        help="instead: check N reviews inside the knowledge base's reviews/ and the same files "
        "elsewhere (ids are then also compared with the rest of the knowledge base)",
    )
    parser.add_argument("--one-file", type=int, metavar="N", help="instead: check one review of N (see above)")
    parser.add_argument("--runs", type=int, default=9, help="with --one-file: runs of each, in turns")
    parser.add_argument("--compare", type=Path, metavar="CHECKOUT", help="with --one-file: another checkout beside")
    parser.add_argument("--python", default=sys.executable, help="with --one-file: the interpreter to run them with")
    args = parser.parse_args()
    if args.one_file:
        one_file(args.one_file, args.runs, args.compare, args.python)
        return
    retrogen = [sys.executable, "-m", "retrogen", "check", "--today", "2030-01-01"]
    if args.placement:
        placement(retrogen, args.placement)
        return
    baseline = shutil.which("check-jsonschema")
    print("| reviews | tool | seconds | reviews/s | peak MiB |\n|---|---|---|---|---|")
    for size in args.sizes:
        folder = knowledge_base(size)
        files = sorted(str(p) for p in folder.glob("*.yaml"))
        runs = [("retrogen check", [*retrogen, str(folder)])]
        if baseline and size <= args.baseline_max:
            runs.append(
                ("check-jsonschema", [baseline, "--schemafile", str(ROOT / "schema" / "review.schema.json"), *files])
            )
        for name, command in runs:
            seconds, peak, _ = measure(command)
            print(f"| {size:,} | {name} | {seconds:.2f} | {size / seconds:,.0f} | {peak / 2**20:,.0f} |", flush=True)


def placement(retrogen: list[str], size: int) -> None:
    folder = knowledge_base(size)
    elsewhere = OUT / f"drafts-{size}" / "drafts"
    if not elsewhere.is_dir():
        shutil.copytree(folder, elsewhere)
    print("| reviews | where | seconds | reviews/s |\n|---|---|---|---|")
    for where, cwd, target in (
        ("inside reviews/", folder.parent, "reviews"),
        ("elsewhere", elsewhere.parent, "drafts"),
    ):
        seconds, _, _ = measure([*retrogen, target], cwd=cwd)
        print(f"| {size:,} | {where} | {seconds:.2f} | {size / seconds:,.0f} |", flush=True)


def one_file(size: int, runs: int, compare: Path | None, python: str) -> None:
    reviews = knowledge_base(size)
    checked = sorted(reviews.glob("*.yaml"))[size // 2].name
    checkouts = {"this": ROOT, **({"compare": compare.resolve()} if compare else {})}
    commands: dict[str, tuple[list[str], Path, dict[str, str]]] = {}
    for label, checkout in checkouts.items():
        copy = OUT / f"one-file-{size}-{label}"
        if not (copy / "reviews").is_dir():
            shutil.copytree(reviews, copy / "reviews")
        (copy / "mkdocs.yml").write_text("site_name: bench\n", encoding="utf-8")
        env = {
            key: value
            for key, value in os.environ.items()
            if key not in ("PYTHONDONTWRITEBYTECODE", "RETROGEN_NO_CACHE")
        }
        env.update(
            PYTHONPATH=str(checkout), PYTHONPYCACHEPREFIX=str(OUT / f"pycache-{label}"), RETROGEN_TODAY="2026-12-06"
        )
        command = [python, "-m", "retrogen", "check", f"reviews/{checked}"]
        commands[f"retrogen check ({label}: {checkout})"] = (command, copy, env)
    baseline = shutil.which("check-jsonschema")
    schema = ROOT / "schema" / "review.schema.json"
    if baseline:
        commands["check-jsonschema"] = ([baseline, "--schemafile", str(schema), f"reviews/{checked}"], copy, env)
    commands[f"{python} -c pass"] = ([python, "-c", "pass"], copy, env)
    for command, cwd, env in commands.values():
        cpu_and_peak(command, cwd, env)  # warm: the index made, the bytecode written
    seconds: dict[str, list[float]] = {name: [] for name in commands}
    peaks: dict[str, int] = dict.fromkeys(commands, 0)
    for run in range(runs):
        for name, (command, cwd, env) in commands.items():
            with (cwd / "reviews" / checked).open("a", encoding="utf-8") as review:
                review.write(f"# edit {run}\n")  # the commit's change: the checked file is read again
            cpu, peak = cpu_and_peak(command, cwd, env)
            seconds[name].append(cpu)
            peaks[name] = max(peaks[name], peak)
    print(f"| check of one review of {size:,} | CPU s (median of {runs}) | lowest–highest | peak MiB |")
    print("|---|---|---|---|")
    for name, values in seconds.items():
        print(
            f"| {name} | {statistics.median(values):.3f} | {min(values):.3f}–{max(values):.3f} | "
            f"{peaks[name] / 2**20:,.0f} |"
        )


if __name__ == "__main__":
    main()
