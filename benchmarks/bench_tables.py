"""Benchmark the tables of `metrics` and `actions` and their JSON and CSV, in one process: the knowledge base is
loaded once, then each step is computed again `--repeat` times and its best CPU time printed.

    python3 benchmarks/bench_tables.py [--sizes 1000 10000] [--config path/to/mkdocs.yml] [--repeat 3]

`--config` measures a knowledge base of your own (a copy of one: its .retrogen/ index is written); without it,
synthetic ones of `--sizes` reviews (bench_check.knowledge_base).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import knowledge_base

from retrogen.core.bulk import bulk_loading
from retrogen.engine.actions import actions_table, follow_up_order
from retrogen.engine.analysis import Analysis, analyse
from retrogen.engine.history import weekly_series, with_carries, written_timelines
from retrogen.engine.loop import closed_loop
from retrogen.engine.metrics import metrics_table
from retrogen.formats.tables import json_parts, to_csv, with_titles
from retrogen.gate.config import load_config

TODAY = date(2026, 12, 6)


def best(step: Callable[[], object], repeat: int) -> float:
    """The least CPU seconds of `repeat` runs of `step`."""
    times = []
    for _ in range(repeat):
        started = time.process_time()
        step()
        times.append(time.process_time() - started)
    return min(times)


def steps(analysis: Analysis) -> dict[str, Callable[[], object]]:
    reviews, today = analysis.knowledge_base.reviews, analysis.today
    titles = {r.id: r.title for r in reviews}
    follow_up = follow_up_order(analysis.actions)
    return {
        "closed_loop": lambda: closed_loop(reviews, today),
        "written_timelines": lambda: written_timelines(reviews, analysis.git),
        "with_carries": lambda: with_carries(analysis.written_histories, analysis.loop.carried),
        "actions_table (histories given)": lambda: actions_table(
            reviews, analysis.histories, analysis.loop, today, analysis.written_histories
        ),
        "actions, all of it": lambda: _actions_from_scratch(analysis),
        # as a command asks for it: a fresh Analysis (no table kept), its properties computing what they need
        "analysis.actions, all of it": lambda: replace(analysis).actions,
        "analysis.themes": lambda: replace(analysis).themes,
        "follow_up_order": lambda: follow_up_order(analysis.actions),
        "weekly_series": lambda: weekly_series(reviews, analysis.histories, today),
        "metrics_table": lambda: metrics_table(reviews),
        "metrics JSON": lambda: "".join(json_parts(analysis.metrics)),
        "metrics CSV": lambda: to_csv(with_titles(analysis.metrics, titles), "en"),
        "actions JSON": lambda: "".join(json_parts(follow_up)),
        "actions CSV": lambda: to_csv(with_titles(follow_up, titles), "en"),
    }


def _actions_from_scratch(analysis: Analysis) -> object:
    """The actions table with what it needs computed again: the closed loop and the timelines."""
    reviews, today = analysis.knowledge_base.reviews, analysis.today
    loop = closed_loop(reviews, today)
    written = written_timelines(reviews, analysis.git)
    return actions_table(reviews, with_carries(written, loop.carried), loop, today, written)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1000])
    parser.add_argument("--config", type=Path, help="a knowledge base's mkdocs.yml instead of synthetic ones")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--only", nargs="*", help="only the steps whose names start with these")
    args = parser.parse_args()
    configs = [args.config] if args.config else []
    for size in [] if args.config else args.sizes:
        folder = knowledge_base(size)
        (folder.parent / "mkdocs.yml").write_text("site_name: bench\n")
        configs.append(folder.parent / "mkdocs.yml")
    print("| knowledge base | reviews | step | rows | CPU s (best) |\n|---|---|---|---|---|")
    for config in configs:
        with bulk_loading():  # as a command loads it: the collector then walks only what the steps make
            analysis = analyse(load_config(config), TODAY, use_git=False)
        sizes = {"metrics": len(analysis.metrics), "actions": len(analysis.actions)}
        for name, step in steps(analysis).items():
            if args.only and not name.startswith(tuple(args.only)):
                continue
            rows = next((f"{count:,}" for table, count in sizes.items() if table in name), "")
            seconds = best(step, args.repeat)
            reviews = len(analysis.knowledge_base.reviews)
            print(f"| {config.parent.name} | {reviews:,} | {name} | {rows} | {seconds:.3f} |", flush=True)


if __name__ == "__main__":
    main()
