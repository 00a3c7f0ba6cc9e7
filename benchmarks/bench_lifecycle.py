"""Where a build's time goes, in one process, to weigh generating the pages inside MkDocs' lifecycle (a
plugin's `on_files`, as Material's blog plugin does) against writing a docs folder and running MkDocs on it.

    python3 benchmarks/bench_lifecycle.py [--size 1000]

Phases of today's build, then: MkDocs' build of the same pages handed over in memory (`File.generated` in
`on_files`, what a plugin would do), retrogen's and MkDocs' parse of mkdocs.yml, and what `serve` does for
one edited review (regenerate, then a dirty build of the changed page) against what a plugin's serve would
do (the whole generation and, generated files being always "modified", a build of every page).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_build import prepare

TODAY = date(2030, 1, 1)


NUMBERS: dict[str, float | int] = {}  # per phase: wall seconds
CPU: dict[str, float] = {}  # per phase: CPU seconds of this process and its workers, steadier than wall time


def timed(action: Callable[[], Any], name: str = "") -> tuple[float, Any]:
    """Wall seconds of `action` and its result; its CPU seconds go to CPU[name]."""
    before = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    after = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    if name:
        CPU[name] = sum(a.ru_utime + a.ru_stime - b.ru_utime - b.ru_stime for a, b in zip(after, before, strict=True))
    return seconds, result


def phase(name: str, action: Callable[[], Any]) -> Any:
    NUMBERS[name], result = timed(action, name)
    return result


def build_in_memory(config: Any, pages: Mapping[str, str | bytes], site_dir: Path) -> None:
    """MkDocs' build of `pages` given in `on_files` as generated files, from an empty docs folder; then the
    dirty build a plugin's `serve` would run after an edit (a generated file always counts as modified)."""
    from mkdocs.commands.build import build
    from mkdocs.plugins import BasePlugin
    from mkdocs.structure.files import File, Files

    from retrogen.site.build import load_mkdocs_config

    class InMemory(BasePlugin):  # type: ignore[type-arg]
        def on_files(self, files: Files, *, config: Any) -> Files:
            for name, content in pages.items():
                files.append(File.generated(config, name, content=content))
            return files

    empty = Path(tempfile.mkdtemp())
    mkdocs_config = load_mkdocs_config(config, site_dir)
    mkdocs_config.docs_dir = str(empty)
    mkdocs_config.plugins["retrogen-in-memory"] = InMemory()
    mkdocs_config.plugins.on_startup(command="build", dirty=False)
    phase("mkdocs_build_in_memory_s", lambda: build(mkdocs_config))
    phase("mkdocs_dirty_build_in_memory_s", lambda: build(mkdocs_config, dirty=True))
    shutil.rmtree(empty)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", type=int, default=1000)
    args = parser.parse_args()
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.getLogger("mkdocs").setLevel(logging.ERROR)
    folder = prepare(args.size)
    shutil.rmtree(folder / ".retrogen", ignore_errors=True)
    os.chdir(folder)

    from mkdocs.commands.build import build

    from retrogen.engine.analysis import analyse
    from retrogen.gate.config import load_config
    from retrogen.site.build import load_mkdocs_config, quiet_toolchain
    from retrogen.site.output import write_pages
    from retrogen.site.pages import build_pages
    from retrogen.site.reports import review_reports
    from retrogen.site.serve import Regenerator

    quiet_toolchain()
    numbers = NUMBERS
    numbers["reviews"] = args.size
    config = phase("parse_mkdocs_yml_retrogen_s", lambda: load_config(folder / "mkdocs.yml"))
    analysis = phase("analyse_s", lambda: analyse(config, TODAY, use_git=False))
    pages = phase("generate_pages_s", lambda: build_pages(analysis, config))
    reports = phase("generate_docx_s", lambda: review_reports(analysis))
    everything = {**pages, **reports}
    numbers["pages"] = len(everything)
    phase("write_pages_first_s", lambda: write_pages(config.generated_dir, everything))
    phase("write_pages_unchanged_s", lambda: write_pages(config.generated_dir, everything))
    site = folder / "bench-site"
    mkdocs_config = phase("parse_mkdocs_yml_mkdocs_s", lambda: load_mkdocs_config(config, site))
    mkdocs_config = phase("parse_mkdocs_yml_mkdocs_again_s", lambda: load_mkdocs_config(config, site))
    mkdocs_config.plugins.on_startup(command="build", dirty=False)
    phase("mkdocs_build_from_folder_s", lambda: build(mkdocs_config))
    build_in_memory(config, everything, folder / "bench-site-memory")
    # again, after the in-memory build: the first build of a process also warms caches (jieba, templates)
    phase("mkdocs_build_from_folder_again_s", lambda: build(load_mkdocs_config(config, site)))

    # serve today: one review edited -> regenerate (whole analysis, compare, write the changed pages), then
    # MkDocs' dirty build, which renders only the pages whose file is newer than its output
    review = next((folder / "reviews").glob("*.yaml"))
    original = review.read_text(encoding="utf-8")
    review.write_text(original.replace("objective: ", "objective: edited ", 1), encoding="utf-8")
    regenerator = Regenerator(config, TODAY, use_git=False)
    regeneration = phase("serve_regenerate_s", regenerator.regenerate)
    numbers["serve_pages_rewritten"] = regeneration.changed
    phase("serve_dirty_build_s", lambda: build(mkdocs_config, dirty=True))
    review.write_text(original, encoding="utf-8")
    shutil.rmtree(site, ignore_errors=True)
    shutil.rmtree(folder / "bench-site-memory", ignore_errors=True)
    print(json.dumps({key: round(value, 3) for key, value in numbers.items()}, indent=1), flush=True)
    print(json.dumps({"cpu": {key: round(value, 3) for key, value in CPU.items()}}, indent=1), flush=True)


if __name__ == "__main__":
    main()
