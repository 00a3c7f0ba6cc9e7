"""Benchmark the analysis core: loading plus every table on synthetic knowledge bases, and reading the git
history of many commits.

    python3 benchmarks/bench_analysis.py [--sizes 1000 10000] [--commits 1000 --reviews 200]
"""

from __future__ import annotations

import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import knowledge_base
from synthetic import generate

from retrogen.engine.analysis import analyse
from retrogen.engine.history import read_git_history
from retrogen.gate.config import load_config

TODAY = date(2030, 1, 1)


def peak_mib() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return (own + children) / 1024


def bench_tables(size: int) -> None:
    folder = knowledge_base(size)
    (folder.parent / "mkdocs.yml").write_text("site_name: bench\n")
    config = load_config(folder.parent / "mkdocs.yml")
    started = time.perf_counter()
    analysis = analyse(config, TODAY, use_git=False)
    loaded = time.perf_counter()
    tables = [
        analysis.metrics,
        analysis.funnel,
        analysis.funnel_overall,
        analysis.causes,
        analysis.lessons_by_tag,
        analysis.themes,
        analysis.actions,
        analysis.weekly,
    ]
    analysis.playbook  # noqa: B018 - computing it is the point
    done = time.perf_counter()
    rows = sum(len(t) for t in tables)
    print(
        f"| {size:,} reviews | load {loaded - started:.2f} s | every table {done - loaded:.2f} s | "
        f"total {done - started:.2f} s | {rows:,} rows | peak {peak_mib():,.0f} MiB (process + workers) |",
        flush=True,
    )


def bench_git(commits: int, reviews: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        repo = Path(tmp)
        paths = generate(repo / "reviews", reviews)
        env = {
            **os.environ,
            "GIT_AUTHOR_NAME": "b",
            "GIT_AUTHOR_EMAIL": "b@example.com",
            "GIT_COMMITTER_NAME": "b",
            "GIT_COMMITTER_EMAIL": "b@example.com",
        }

        def git(*args: str, when: datetime) -> None:
            stamp = when.isoformat()
            subprocess.run(
                ["git", "-C", str(repo), *args],
                check=True,
                capture_output=True,
                env={**env, "GIT_AUTHOR_DATE": stamp, "GIT_COMMITTER_DATE": stamp},
            )

        start = datetime(2026, 1, 1, 9)
        git("init", "-q", "-b", "main", when=start)
        git("add", "-A", when=start)
        git("commit", "-qm", "import", when=start)
        rng = random.Random(3)
        statuses = ["not_started", "in_progress", "blocked", "done", "cancelled"]
        status_line = re.compile(r"^    status: (\w+)$", re.MULTILINE)
        for number in range(1, commits):
            path = rng.choice(paths)
            text = path.read_text()
            match = rng.choice(list(status_line.finditer(text)))
            new = rng.choice([s for s in statuses if s != match.group(1)])
            path.write_text(text[: match.start(1)] + new + text[match.end(1) :])
            git("commit", "-qam", f"update {number}", when=start + timedelta(hours=number))
        started = time.perf_counter()
        history = read_git_history(repo, repo / "reviews")
        seconds = time.perf_counter() - started
        events = sum(len(v) for v in history.statuses.values())
        print(
            f"| git history | {history.commits:,} commits touching {reviews} reviews | {seconds:.2f} s | "
            f"{events:,} status events |",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--commits", type=int, default=1000)
    parser.add_argument("--reviews", type=int, default=200)
    args = parser.parse_args()
    for size in args.sizes:
        bench_tables(size)
    bench_git(args.commits, args.reviews)


if __name__ == "__main__":
    main()
