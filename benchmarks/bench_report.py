"""Benchmark the 《复盘报告》: the cost of one review's report in each format, and what offering every
review's .docx adds to `retrogen build`, against a plain `mkdocs build` of the same generated pages.

    python3 benchmarks/bench_report.py [--size 1000] [--no-build]

CPU seconds, not wall time: on a busy machine they are the steadier figure (a process's CPU time includes
that of the workers it waited for, so `retrogen build`'s checking processes count too).
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import time
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import prepare
from bench_exports import measure

from retrogen.engine.analysis import analyse
from retrogen.gate.config import load_config
from retrogen.report.content import Report, ReportBuilder
from retrogen.report.writers import WRITERS

TODAY = date(2030, 1, 1)


def bench_formats(folder: Path) -> None:
    analysis = analyse(load_config(folder / "mkdocs.yml"), TODAY, use_git=False)
    started = time.process_time()
    builder = ReportBuilder(analysis)
    reports = [builder.of(review) for review in analysis.knowledge_base.reviews]
    content = time.process_time() - started
    print(f"| content of {len(reports):,} reports (tables grouped once) | {content:.2f} s | |")
    for fmt, writer in WRITERS.items():
        started = time.process_time()
        written = [writer(Report(r.language, (r,))) for r in reports]
        seconds = time.process_time() - started
        size = sum(len(w) for w in written) / len(written)
        print(f"| {fmt}, per review | {seconds / len(reports) * 1000:.1f} ms | {size / 1024:.0f} KiB |", flush=True)


# `retrogen build` as it would be without the reports: the same process with the reports left out.
WITHOUT_REPORTS = (
    "import sys, retrogen.site.build as build; from retrogen.cli import main; "
    "build.review_reports = lambda analysis: {}; sys.argv[0] = 'retrogen'; main()"
)


def build_command(folder: Path, reports: bool) -> list[str]:
    start = ["-m", "retrogen"] if reports else ["-c", WITHOUT_REPORTS]
    return [sys.executable, *start, "-c", str(folder / "mkdocs.yml"), "build", "--no-git", "--today", str(TODAY)]


def bench_build(folder: Path) -> None:
    shutil.rmtree(folder / ".retrogen", ignore_errors=True)
    bare_wall, bare_cpu, _, code = measure(build_command(folder, reports=False))
    assert code == 0, "retrogen build (without reports) failed"
    shutil.rmtree(folder / ".retrogen", ignore_errors=True)
    wall, cpu, _, code = measure(build_command(folder, reports=True))
    assert code == 0, "retrogen build failed"
    reports = len(list((folder / ".retrogen" / "docs" / "reviews").glob("*.docx")))
    plain = [
        sys.executable,
        "-m",
        "mkdocs",
        "build",
        "-q",
        "-f",
        str(folder / "mkdocs.yml"),
        "--site-dir",
        str(folder / "plain"),
    ]
    plain_wall, plain_cpu, _, code = measure(plain)
    assert code == 0, "mkdocs build failed"
    shutil.rmtree(folder / "plain", ignore_errors=True)
    print(
        f"| retrogen build without reports | {bare_cpu:.1f} s CPU ({bare_wall:.1f} s wall) | "
        f"{bare_cpu / plain_cpu:.2f}x plain |"
    )
    print(
        f"| retrogen build with {reports:,} .docx | {cpu:.1f} s CPU ({wall:.1f} s wall) | "
        f"{cpu / plain_cpu:.2f}x plain |"
    )
    print(f"| plain mkdocs build of the same pages | {plain_cpu:.1f} s CPU ({plain_wall:.1f} s wall) | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000)
    parser.add_argument("--no-build", action="store_true", help="only the per-report cost")
    args = parser.parse_args()
    folder = prepare(args.size)
    print("| what | CPU | size or ratio |\n|---|---|---|")
    bench_formats(folder)
    if not args.no_build:
        bench_build(folder)


if __name__ == "__main__":
    os.environ["NO_MKDOCS_2_WARNING"] = "1"  # Material's end-of-life banner, in both builds
    main()
