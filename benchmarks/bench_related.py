"""Benchmark `retrogen related` and `playbook` on synthetic knowledge bases (issues 10, 19 and 21).

In process: loading the reviews, building the related index cold (nothing kept) and warm (its term table
kept in .retrogen/related.npz, one review's lesson edited since), and answering queries by review id and by
free text. With `--processes`, whole commands as a person runs them, CPU seconds (the process and its
workers) and peak memory: `related <id>`, `related --text` and `playbook`, cold and warm (after a run, one
review's file given a comment, or its lesson reworded: the case that reads a review's terms again; in English,
and in Chinese, which jieba segments), the versions taking turns. With `--compare REF`, the version of git
revision REF is measured in the same run, row beside row, on its own copy of the knowledge base (two versions
would otherwise rebuild each other's index at every run).

    python3 benchmarks/bench_related.py [--sizes 1000 10000] [--queries 20] [--compare main] [--processes]
        [--repeat 3]
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_check import cpu_and_peak, knowledge_base

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from retrogen.engine.model import load_knowledge_base  # noqa: E402
from retrogen.engine.related import RelatedIndex  # noqa: E402
from retrogen.gate.check import read_knowledge_base  # noqa: E402
from retrogen.gate.config import load_config  # noqa: E402

try:  # the version before issue 21 keeps nothing between runs
    from retrogen.engine.related_cache import TermStore
except ImportError:  # pragma: no cover - only in the other revision's copy
    TermStore = None  # type: ignore[assignment,misc]

TODAY = __import__("datetime").date(2030, 1, 1)
TEXTS = ["客户流失 复购率", "决策链 报价", "economic buyer pricing", "discovery call was late"]
EDITED = "synthetic-00005"
EDITED_CHINESE = "synthetic-00004"  # its lessons are Chinese (the synthetic reviews take turns)


def build(reviews: list, glossary: object, folder: Path) -> tuple[RelatedIndex, float]:
    started = time.process_time()
    store = TermStore.open(folder) if TermStore is not None else None
    index = RelatedIndex(reviews, glossary, store) if store is not None else RelatedIndex(reviews, glossary)
    return index, time.process_time() - started


def bench(size: int, queries: int, label: str, shared: Path | None = None) -> None:
    folder = shared / f"kb-{size}" if shared is not None else knowledge_base(size).parent
    shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
    started = time.perf_counter()
    config = load_config(folder / "mkdocs.yml")
    reviews = load_knowledge_base(read_knowledge_base(config, TODAY, cache=False), config, TODAY).reviews
    loaded = time.perf_counter() - started
    with tempfile.TemporaryDirectory() as kept:
        index, cold = build(reviews, config.glossary, Path(kept))
        at = next(i for i, review in enumerate(reviews) if review.id == EDITED)
        lesson = dataclasses.replace(reviews[at].lessons[0], lesson=reviews[at].lessons[0].lesson + " renewal 续约")
        edited = [
            *reviews[:at],
            dataclasses.replace(reviews[at], lessons=(lesson, *reviews[at].lessons[1:])),
            *reviews[at + 1 :],
        ]
        index, warm = build(edited, config.glossary, Path(kept))
    # Without a store a new process builds cold every time (a second build in this one would find jieba's
    # results in memory, which no run of the command does)
    warmly = f"{warm:.2f} s" if TermStore is not None else "— (as cold)"
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
        f"| {label} | {size:,} | {len(index):,} | {loaded:.1f} s | {cold:.2f} s | {warmly} | "
        f"{statistics.median(by_review) * 1000:.0f} ms (max {max(by_review) * 1000:.0f}) | "
        f"{statistics.median(by_text) * 1000:.0f} ms (max {max(by_text) * 1000:.0f}) |",
        flush=True,
    )


def measured(command: list[str], cwd: Path, code: Path) -> tuple[float, int]:
    """CPU seconds and peak memory (bytes, the process and its workers) of `retrogen command` of `code`."""
    environment = {**os.environ, "PYTHONPATH": str(code), "RETROGEN_TODAY": TODAY.isoformat()}
    environment.pop("RETROGEN_NO_CACHE", None)
    # Compiled once, as an installed retrogen is: a shell that says not to write bytecode would otherwise
    # have every run compile the modules again (a quarter of a second), kept out of the trees measured
    environment.pop("PYTHONDONTWRITEBYTECODE", None)
    environment["PYTHONPYCACHEPREFIX"] = str(ROOT / "benchmarks" / "out" / "pycache")
    return cpu_and_peak([sys.executable, "-m", "retrogen", *command], cwd, environment)


def edit_lesson(folder: Path, count: int) -> None:
    """One review's first lesson reworded, as a person saving it would: the related index reads it again."""
    path = folder / "reviews" / f"{EDITED}.yaml"
    text = path.read_text(encoding="utf-8")
    path.write_text(re.sub(r"^(  lesson: .*?)(?: edit \d+)?$", rf"\1 edit {count}", text, count=1, flags=re.M))


def edit_chinese_lesson(folder: Path, count: int) -> None:
    """A Chinese review's first lesson reworded: its words are segmented by jieba (the English ones and the
    synthetic Chinese ones, all glossary terms, are not), which must not load its whole dictionary."""
    path = folder / "reviews" / f"{EDITED_CHINESE}.yaml"
    text = path.read_text(encoding="utf-8")
    numeral = "一二三四五六七八九十"[count % 10]
    reworded = rf"\1，回款周期拉长{numeral}周"
    path.write_text(re.sub(r"^(  lesson: [^，\n]*?)(?:，回款周期拉长.周)?$", reworded, text, count=1, flags=re.M))


def edit_comment(folder: Path, count: int) -> None:
    """One review's file given a comment: new bytes, the same review (its terms are kept)."""
    path = folder / "reviews" / f"{EDITED}.yaml"
    path.write_text(re.sub(r"\n# edit \d+\n$", "\n", path.read_text(encoding="utf-8")) + f"\n# edit {count}\n")


PROCESS_COMMANDS = {
    "related <id>": ["related", "synthetic-00042"],
    "related --text": ["related", "--text", "economic buyer 决策链"],
    "playbook": ["playbook"],
}
EDITS = {"comment": edit_comment, "lesson": edit_lesson, "Chinese lesson": edit_chinese_lesson}


def processes(size: int, versions: dict[str, Path], work: Path, repeat: int) -> None:
    """Each command of each version cold (its first run: nothing kept but what the commands before it kept),
    then warm after a comment's edit and after a lesson's, `repeat` times each (the median); the versions
    take turns run by run, so that a machine busier for a while weighs on both alike."""
    source = knowledge_base(size).parent
    folders = {}
    for label in versions:
        folder = folders[label] = work / f"kb-{size}-{label.replace('/', '_')}"
        if not folder.exists():
            shutil.copytree(source / "reviews", folder / "reviews")
        shutil.copy(ROOT / "mkdocs.yml", folder / "mkdocs.yml")
        shutil.rmtree(folder / ".retrogen", ignore_errors=True)
    count = 0
    for name, command in PROCESS_COMMANDS.items():
        found: dict[str, dict[str, list[tuple[float, int]]]] = {label: {} for label in versions}
        for label, code in versions.items():
            found[label]["cold"] = [measured(command, folders[label], code)]
        for kind, edit in EDITS.items():
            for _ in range(repeat):
                count += 1
                for label, code in versions.items():
                    edit(folders[label], count)
                    found[label].setdefault(kind, []).append(measured(command, folders[label], code))
        for label in versions:
            cells = []
            for kind in ("cold", *EDITS):
                runs = found[label][kind]
                cells.append(f"{statistics.median(c for c, _ in runs):.2f} s")
                cells.append(f"{max(p for _, p in runs) / 2**20:.0f} MB")
            print(f"| {label} | {size:,} | `{name}` | {' | '.join(cells)} |", flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1000, 10000])
    parser.add_argument("--queries", type=int, default=20)
    parser.add_argument("--compare", metavar="REF", help="also measure git revision REF, in a copy of its tree")
    parser.add_argument("--processes", action="store_true", help="also measure whole commands, cold and warm")
    parser.add_argument("--repeat", type=int, default=3, help="warm runs of each command per edit (the median)")
    parser.add_argument("--label", default="this tree", help=argparse.SUPPRESS)  # a row's version, for --compare
    parser.add_argument("--rows-only", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--shared", type=Path, help=argparse.SUPPRESS)  # the knowledge bases of --compare's tree
    args = parser.parse_args()
    if not args.rows_only:
        print(f"CPU seconds; {os.cpu_count()} cores; {sys.version.split()[0]}")
        print("| version | reviews | problems and lessons | load | index cold | index warm | by review | by text |")
        print("|---|---|---|---|---|---|---|---|")
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
                shared = ["--shared", str(knowledge_base(size).parent.parent)]
                subprocess.run([*command, "--label", args.compare, "--rows-only", *shared], check=True)
            bench(size, args.queries, args.label, args.shared)
        if args.processes:
            versions = {**({args.compare: Path(other)} if args.compare else {}), args.label: ROOT}
            print(
                "\n| version | reviews | command | cold | peak | warm, a comment | peak | warm, a lesson | peak "
                "| warm, a Chinese lesson | peak |"
            )
            print("|---|---|---|---|---|---|---|---|---|---|---|")
            work = ROOT / "benchmarks" / "out" / "related-processes"
            for size in args.sizes:
                processes(size, versions, work, args.repeat)


if __name__ == "__main__":
    main()
