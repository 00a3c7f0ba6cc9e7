"""Benchmark reading the git history of actions (issue 21): the whole history, then again with the kept
reading and HEAD unmoved, then with one new commit, on a synthetic repository.

    python3 benchmarks/bench_git_history.py [--reviews 1000] [--commits 2000] [--repeat 3]

The repository: the reviews added in commits of 50, then `--commits` commits that each change one action's
status. Every figure is CPU seconds (this process and git's), the median of `--repeat` runs. Prints a
Markdown table.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from synthetic import generate

from retrogen.engine.history import read_git_history

OUT = Path(__file__).resolve().parent / "out"
STATUSES = ["not_started", "in_progress", "blocked", "done"]


def git(repo: Path, *args: str, stdin: str | None = None) -> None:
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@example.com"}
    env |= {"GIT_COMMITTER_NAME": "b", "GIT_COMMITTER_EMAIL": "b@example.com"}
    subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, env=env, input=stdin, text=True)


def repository(reviews: int, commits: int) -> Path:
    repo = OUT / f"git-{reviews}-{commits}"
    if (repo / ".git").is_dir():
        return repo
    folder = repo / "reviews"
    generate(folder, reviews)
    git(repo, "init", "-q", "-b", "main")
    files = sorted(folder.glob("*.yaml"))
    for start in range(0, len(files), 50):
        git(repo, "add", *(str(f) for f in files[start : start + 50]))
        git(repo, "commit", "-qm", f"reviews {start}")
    for number in range(commits):
        path = files[number % len(files)]
        text = path.read_text()
        text, _ = re.subn(r"status: \w+", f"status: {STATUSES[number % len(STATUSES)]}", text, count=1)
        path.write_text(text.split("\n# update", 1)[0] + f"\n# update {number}\n")  # never an empty commit
        git(repo, "commit", "-qam", f"update {number}")
    return repo


def cpu() -> float:
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measured(run: Callable[[], object], repeat: int, before: Callable[[], object] = lambda: None) -> float:
    times = []
    for _ in range(repeat):
        before()
        start = cpu()
        run()
        times.append(cpu() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reviews", type=int, default=1000)
    parser.add_argument("--commits", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    os.environ.pop("RETROGEN_NO_CACHE", None)
    started = time.perf_counter()
    repo = repository(args.reviews, args.commits)
    print(f"repository ready in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    reviews = repo / "reviews"
    counter = iter(range(10**6))

    def new_commit() -> None:
        path = next(reviews.glob("*.yaml"))
        path.write_text(path.read_text() + f"# {next(counter)}\n")
        git(repo, "commit", "-qam", "one more")

    whole = measured(lambda: read_git_history(repo, reviews, cache=False), args.repeat)
    read_git_history(repo, reviews)
    unmoved = measured(lambda: read_git_history(repo, reviews), args.repeat)
    one_more = measured(lambda: read_git_history(repo, reviews), args.repeat, before=new_commit)
    found = read_git_history(repo, reviews)
    print(f"{args.reviews:,} reviews, {found.commits:,} commits, {len(found.statuses):,} actions with history")
    print("\n| reading | CPU s |\n|---|---:|")
    print(f"| whole history (no kept reading) | {whole:.2f} |")
    print(f"| kept reading, HEAD unmoved | {unmoved:.2f} |")
    print(f"| kept reading, one new commit | {one_more:.2f} |")


if __name__ == "__main__":
    main()
