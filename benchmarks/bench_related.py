"""Benchmark `retrogen related` on synthetic knowledge bases: loading the reviews, indexing their problems
and lessons, and answering queries by review id and by free text (issue 10: under 3 s per query once loaded).
With `--compare REF`, the version of git revision REF is measured in the same run, row beside row (issue 19:
the glossary and the item's own words first, against the version before them).

    python3 benchmarks/bench_related.py [--sizes 1000 10000] [--queries 20] [--compare main]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import knowledge_base

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from retrogen.engine.model import load_knowledge_base  # noqa: E402
from retrogen.engine.related import RelatedIndex  # noqa: E402
from retrogen.gate.check import read_knowledge_base  # noqa: E402
from retrogen.gate.config import load_config  # noqa: E402

TODAY = __import__("datetime").date(2030, 1, 1)
TEXTS = ["客户流失 复购率", "决策链 报价", "economic buyer pricing", "discovery call was late"]


def bench(size: int, queries: int, label: str = "this tree") -> None:
    folder = knowledge_base(size).parent
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    started = time.perf_counter()
    config = load_config(folder / "mkdocs.yml")
    reviews = load_knowledge_base(read_knowledge_base(config, TODAY), config, TODAY).reviews
    loaded = time.perf_counter() - started
    started, cpu = time.perf_counter(), time.process_time()
    index = RelatedIndex(reviews, config.glossary) if hasattr(config, "glossary") else RelatedIndex(reviews)
    indexed, indexed_cpu = time.perf_counter() - started, time.process_time() - cpu
    by_review, by_text = [], []
    for review in reviews[:: max(1, len(reviews) // queries)][:queries]:
        started = time.perf_counter()
        index.like_review(review.id)
        by_review.append(time.perf_counter() - started)
    for text in TEXTS:
        started = time.perf_counter()
        index.like_text(text)
        by_text.append(time.perf_counter() - started)
    print(
        f"| {label} | {size:,} | {len(index):,} | {loaded:.1f} s | {indexed:.1f} s (CPU {indexed_cpu:.1f} s) | "
        f"{statistics.median(by_review) * 1000:.0f} ms (max {max(by_review) * 1000:.0f}) | "
        f"{statistics.median(by_text) * 1000:.0f} ms (max {max(by_text) * 1000:.0f}) |",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--compare", metavar="REF", help="also measure git revision REF, in a copy of its tree")
    parser.add_argument("--label", default="this tree", help=argparse.SUPPRESS)  # a row's version, for --compare
    parser.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.rows_only:
        print("| version | reviews | problems and lessons | load | index | query by review | query by text |")
        print("|---|---|---|---|---|---|---|")
    with tempfile.TemporaryDirectory() as other:
        if args.compare:
            # The same script of the other revision in a copy of its tree: it imports that tree's retrogen.
            archive = subprocess.run(["git", "-C", str(ROOT), "archive", args.compare], capture_output=True, check=True)
            subprocess.run(["tar", "-x", "-C", other], input=archive.stdout, check=True)
            shutil.copy(Path(__file__), Path(other) / "benchmarks" / "bench_related.py")
        for size in args.sizes:
            if args.compare:
                script = Path(other) / "benchmarks" / "bench_related.py"
                command = [sys.executable, str(script), "--sizes", str(size), "--queries", str(args.queries)]
                subprocess.run([*command, "--label", args.compare, "--rows-only"], check=True)
            bench(size, args.queries, args.label)


if __name__ == "__main__":
    main()
