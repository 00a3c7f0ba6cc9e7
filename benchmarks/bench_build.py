"""Benchmark `retrogen build` against a plain `mkdocs build` of the same generated pages, and the time from
saving a review to seeing it under `retrogen serve`.

    python3 benchmarks/bench_build.py [--sizes 1000 10000] [--serve-size 1000] [--serve-edits 3]
    python3 benchmarks/bench_build.py --sizes 1000 3000 --serve-size 0 --repeat 2 --baseline /path/to/other/checkout
    python3 benchmarks/bench_build.py --sizes 10000 --serve-size 0 --side-by-side

With --side-by-side the two builds run at the same time, the plain one on a copy of the pages: on a machine whose
second core has a neighbour, builds run one after the other meet different loads, and their ratio follows the
load (1.44x against 1.33x side by side, at 10,000 reviews on the same code).
With --baseline each build runs twice in turns, the other checkout's first (PYTHONPATH, its own bytecode
folder), and the pages both generated and the sites both built are compared: they must be the same bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import resource
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import at_once, cpu_and_peak, knowledge_base, measure

ROOT = Path(__file__).resolve().parent.parent
ENV = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}


def prepare(size: int) -> Path:
    """A knowledge base of `size` synthetic reviews with the repository's site configuration."""
    folder = knowledge_base(size).parent
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    shutil.rmtree(folder / "site_overrides", ignore_errors=True)
    shutil.copytree(ROOT / "site_overrides", folder / "site_overrides")
    return folder


def size_of(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def measure_cpu(command: list[str]) -> tuple[float, float, int, int]:
    """Wall seconds, CPU seconds (the process and its pool workers), peak tree memory, exit code. On a shared
    machine wall time follows the neighbours' load; CPU time is the steadier measure of the work done."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds, peak, code = measure(command)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu, peak, code


def bench_build(size: int) -> None:
    """retrogen build, then a plain mkdocs build of the pages it generated: wall and CPU time of both."""
    folder = prepare(size)
    shutil.rmtree(folder / ".retrogen", ignore_errors=True)
    os.chdir(folder)
    retrogen = [sys.executable, "-m", "retrogen", "build", "--no-git", "--today", "2030-01-01"]
    seconds, cpu, peak, code = measure_cpu(retrogen)
    assert code == 0, "retrogen build failed"
    site = folder / "site"
    site_bytes, index_bytes = size_of(site), (site / "search" / "search_index.json").stat().st_size
    plain_build = [sys.executable, "-m", "mkdocs", "build", "-q", "--site-dir", str(folder / "plain")]
    plain, plain_cpu, plain_peak, code = measure_cpu(plain_build)
    assert code == 0, "mkdocs build failed"
    print(
        f"| {size:,} | {seconds:.1f} s ({cpu:.1f} s CPU) | {peak / 2**20:,.0f} MiB | {plain:.1f} s "
        f"({plain_cpu:.1f} s CPU) | {plain_peak / 2**20:,.0f} MiB | {seconds / plain:.2f}x "
        f"({cpu / plain_cpu:.2f}x CPU) | {site_bytes / 2**20:.1f} MiB | {index_bytes / 2**20:.2f} MiB "
        f"(plain {(folder / 'plain' / 'search' / 'search_index.json').stat().st_size / 2**20:.2f} MiB) |",
        flush=True,
    )
    shutil.rmtree(folder / "plain", ignore_errors=True)


def generate_pages(folder: Path) -> None:
    """The pages alone (what `retrogen build` gives MkDocs), without a build, in a process of its own."""
    script = (
        "import sys, datetime, pathlib\n"
        "from retrogen.gate.config import load_config\n"
        "from retrogen.site.build import generate\n"
        "report = generate(load_config(pathlib.Path(sys.argv[1])), datetime.date(2030, 1, 1), use_git=False)\n"
        "sys.exit(not report.ok)\n"
    )
    subprocess.run([sys.executable, "-c", script, str(folder / "mkdocs.yml")], check=True, env=ENV)


def bench_side_by_side(size: int) -> None:
    """retrogen build (cold) and a plain mkdocs build of the same pages (on a copy of the knowledge base with
    the pages generated), at the same time: CPU seconds of each and their ratio. The pages both built from are
    compared."""
    folder = prepare(size)
    shutil.rmtree(folder / ".retrogen", ignore_errors=True)
    generate_pages(folder)
    twin = folder.with_name(folder.name + "-plain")
    shutil.rmtree(twin, ignore_errors=True)
    top_level = {"site", "plain", "reviews"}  # the plain build reads mkdocs.yml, the theme overrides and the pages
    shutil.copytree(folder, twin, ignore=lambda where, names: top_level & set(names) if where == str(folder) else [])
    shutil.rmtree(folder / ".retrogen")
    retrogen = [sys.executable, "-m", "retrogen", "build", "--no-git", "--today", "2030-01-01", "-q"]
    plain_build = [sys.executable, "-m", "mkdocs", "build", "-q", "--site-dir", "plain"]
    ended = at_once({"retrogen": (retrogen, folder), "plain": (plain_build, twin)}, ENV)
    (seconds, cpu, peak, code), (plain, plain_cpu, plain_peak, plain_code) = ended["retrogen"], ended["plain"]
    assert code == 0 and plain_code == 0, f"a build failed: retrogen {code}, mkdocs {plain_code}"
    same = compared("pages", generated_files(folder), generated_files(twin))
    print(
        f"| {size:,} | {seconds:.1f} s ({cpu:.1f} s CPU) | {peak / 2**20:,.0f} MiB | {plain:.1f} s "
        f"({plain_cpu:.1f} s CPU) | {plain_peak / 2**20:,.0f} MiB | {cpu / plain_cpu:.2f}x CPU | {same} |",
        flush=True,
    )
    shutil.rmtree(twin)


def generated_files(folder: Path) -> dict[str, bytes]:
    """The pages and reports a build generated (docs_dir), by path: what must not change between checkouts."""
    docs = folder / ".retrogen" / "docs"
    return {p.relative_to(docs).as_posix(): p.read_bytes() for p in sorted(docs.rglob("*")) if p.is_file()}


def built_site(folder: Path) -> dict[str, str]:
    """Every file of the built site (site_dir) by path, as a digest of its bytes: what must not change either.
    Digests, not bytes: two sites of thousands of pages need not be held at once to be compared."""
    site = folder / "site"
    return {
        p.relative_to(site).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in site.rglob("*")
        if p.is_file()
    }


def compared(name: str, ours: dict[str, Any], theirs: dict[str, Any]) -> str:
    """Either same <name>, or how many files differ and the first few of them."""
    differ = sorted(path for path in ours.keys() | theirs.keys() if ours.get(path) != theirs.get(path))
    return f"same {name}" if not differ else f"{name.upper()} DIFFER ({len(differ)}: {', '.join(differ[:3])})"


def bench_against(size: int, baseline: Path) -> None:
    """retrogen build of `baseline` (another checkout), then of this one, each cold, then a plain mkdocs build
    of the pages: CPU seconds of each and their ratios to the plain build. The pages, reports and site both
    builds made are compared."""
    folder = prepare(size)
    os.chdir(folder)
    command = [sys.executable, "-m", "retrogen", "build", "--no-git", "--today", "2030-01-01", "-q"]
    cpu, pages, sites = {}, {}, {}
    for name, checkout in (("baseline", baseline), ("this", ROOT)):
        shutil.rmtree(folder / ".retrogen", ignore_errors=True)
        env = {
            **ENV,
            "PYTHONPATH": str(checkout),
            "PYTHONPYCACHEPREFIX": str(ROOT / "benchmarks" / "out" / f"pyc-{name}"),
        }
        cpu[name], peak = cpu_and_peak(command, folder, env)
        pages[name] = generated_files(folder)
        sites[name] = built_site(folder)
        print(f"  {name}: {cpu[name]:.1f} s CPU, peak {peak / 2**20:,.0f} MiB", flush=True)
    plain_cpu, _ = cpu_and_peak([sys.executable, "-m", "mkdocs", "build", "-q", "--site-dir", "plain"], folder, ENV)
    shutil.rmtree(folder / "plain", ignore_errors=True)
    same = (
        f"{compared('pages', pages['this'], pages['baseline'])}, {compared('site', sites['this'], sites['baseline'])}"
    )
    print(
        f"| {size:,} | {cpu['baseline']:.1f} s ({cpu['baseline'] / plain_cpu:.3f}x) | {cpu['this']:.1f} s "
        f"({cpu['this'] / plain_cpu:.3f}x) | {plain_cpu:.1f} s | {same} |",
        flush=True,
    )


def process_cpu(pid: int) -> float:
    """CPU seconds (user + system) of one running process, from /proc: serve regenerates in one process."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def bench_serve(size: int, edits: int = 1, gap: float = 2.0, *, figure: bool = False) -> None:
    """Start `retrogen serve`, wait for its first page, then save `edits` reviews one after another (each a
    different one) and time each from the save to the edited page being served: wall seconds, and the
    server's CPU seconds (steadier on a shared machine). `gap`: seconds between a page shown and the next
    save; at 2 s (serve's COLLECT_DELAY_SECONDS) each save lands as the last one's delayed collection runs.
    `figure`: each save also changes a KPI's actual, which site-wide pages show (an objective alone is on the
    review's own page and report only)."""
    folder = prepare(size)
    os.chdir(folder)
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "retrogen",
            "serve",
            "--no-git",
            "--today",
            "2030-01-01",
            "--dev-addr",
            f"127.0.0.1:{port}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env=ENV,
    )
    reviews = sorted((folder / "reviews").glob("*.yaml"))[:edits]

    def page(review: Path) -> str:
        try:
            url = f"http://127.0.0.1:{port}/reviews/{review.stem}/"
            with urllib.request.urlopen(url, timeout=10) as response:
                return str(response.read().decode())
        except OSError:
            return ""

    originals = {review: review.read_text() for review in reviews}
    try:
        started = time.perf_counter()
        while "<html" not in page(reviews[0]):
            time.sleep(1)
        ready = time.perf_counter() - started
        visible, cpu = [], []
        for review in reviews:
            time.sleep(gap)
            marker = f"edited-{time.time_ns()}"
            text = originals[review].replace("objective: ", f"objective: {marker} ", 1)
            if figure:  # a KPI's actual too: what the site-wide pages show, so serve cannot keep them
                text = re.sub(r"actual: (\d+)", lambda found: f"actual: {int(found[1]) + 1}", text, count=1)
            review.write_text(text)
            started, spent = time.perf_counter(), process_cpu(process.pid)
            while marker not in page(review):
                time.sleep(0.1)
            visible.append(round(time.perf_counter() - started, 2))
            cpu.append(round(process_cpu(process.pid) - spent, 2))
        print(
            json.dumps(
                {
                    "serve_reviews": size,
                    "gap_s": gap,
                    "edited": "a KPI's actual and the objective" if figure else "the objective",
                    "first_page_s": round(ready, 1),
                    "edit_visible_s": visible,
                    "edit_cpu_s": cpu,
                }
            ),
            flush=True,
        )
    finally:
        for review, text in originals.items():
            review.write_text(text)
        process.terminate()
        process.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--serve-size", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=1, help="builds per size, for the spread of the ratio")
    parser.add_argument("--serve-edits", type=int, default=3, help="edits timed under one serve, one review each")
    parser.add_argument("--serve-gap", type=float, default=2.0, help="seconds from a page shown to the next save")
    parser.add_argument(
        "--serve-figure",
        action="store_true",
        help="each save changes a KPI's actual as well: the site-wide pages must be made again",
    )
    parser.add_argument(
        "--baseline", type=Path, metavar="CHECKOUT", help="build with another checkout too, in turns (CPU s)"
    )
    parser.add_argument(
        "--side-by-side",
        action="store_true",
        help="run retrogen's build and the plain one at the same time (CPU s; steadier on a shared machine)",
    )
    args = parser.parse_args()
    if args.side_by_side:
        print("| reviews | retrogen build | peak | plain mkdocs build, side by side | peak | ratio | pages |")
        print("|---|---|---|---|---|---|---|")
    elif args.baseline:
        print(
            "| reviews | baseline build (CPU, ratio) | this build (CPU, ratio) | plain mkdocs build | pages and site |"
        )
        print("|---|---|---|---|---|")
    else:
        print("| reviews | retrogen build | peak | plain mkdocs build | peak | ratio | site | search index |")
        print("|---|---|---|---|---|---|---|---|")
    for size in args.sizes:
        for _ in range(args.repeat):
            if args.side_by_side:
                bench_side_by_side(size)
            elif args.baseline:
                bench_against(size, args.baseline.resolve())
            else:
                bench_build(size)
    if args.serve_size:
        bench_serve(args.serve_size, args.serve_edits, args.serve_gap, figure=args.serve_figure)


if __name__ == "__main__":
    main()
