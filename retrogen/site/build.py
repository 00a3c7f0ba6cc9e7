"""`retrogen build`: check, analyse, generate pages, then build with MkDocs in a process of its own."""

from __future__ import annotations

import gc
import json
import logging
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from retrogen.core.bulk import memory_given_back
from retrogen.core.errors import BuildError
from retrogen.core.files import cannot_write
from retrogen.engine.analysis import Analysis, analysis_of
from retrogen.engine.model import ReviewBuilder, load_knowledge_base
from retrogen.gate.check import CheckResult, read_knowledge_base
from retrogen.gate.config import Config
from retrogen.gate.reporters import plural
from retrogen.site.editor import EDITOR_DECAP, editor_files
from retrogen.site.memo import Content, PageMemo
from retrogen.site.output import WriteReport, check_places, exclusive, recover, replacing, write_pages
from retrogen.site.pages import build_pages, regenerated_pages, review_pages
from retrogen.site.reports import review_reports

if TYPE_CHECKING:
    from mkdocs.config.defaults import MkDocsConfig
# Told the name of each phase of a build as it starts; the command line shows them on a terminal.
Progress = Callable[[str], None]

_BARE_TAG = re.compile(r"</?(?:p|ul|ol|li|strong|em|b|i|span|div|table|thead|tbody|tr|th|td)>")


@dataclass
class BuildReport:
    check: CheckResult
    pages: WriteReport | None = None
    site_dir: Path | None = None
    notices: list[str] = field(default_factory=list)
    search_index_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.pages is not None


def _no_progress(phase: str) -> None:
    return None


def generate(
    config: Config,
    today: date,
    *,
    use_git: bool = True,
    jobs: int | None = None,
    refuse_warnings: bool = False,
    progress: Progress = _no_progress,
    cache: bool = True,
    memo: PageMemo | None = None,
) -> BuildReport:
    """Check the reviews and (when none has an error, nor a warning with `refuse_warnings`: `check --strict`)
    write the generated pages. Nothing is built yet. With `memo` (serve's), a page whose inputs did not change
    since the last regeneration is neither rendered nor written again."""
    progress("checking and analysing the reviews")
    # Each review built as it is read, which lets the reading keep the built reviews in the snapshot: a save
    # under `serve` reads back the unchanged ones built (0.9 -> 0.45 s at 1,000 reviews).
    reading = read_knowledge_base(config, today, jobs=jobs, cache=cache, convert=ReviewBuilder(config))
    analysis = analysis_of(load_knowledge_base(reading, config, today), config, use_git=use_git, cache=cache)
    # Files with errors stop the build and are reported as findings, so only git's notices are notices here.
    report = BuildReport(reading.check, notices=[*reading.check.notices, *analysis.git.notices])
    if reading.check.failed(strict=refuse_warnings):
        return report
    count = len(analysis.knowledge_base.reviews)
    progress(f"generating the pages of {plural(count, 'review')}")
    editor = editor_files(config, analysis.knowledge_base.reviews) if config.settings.editor == EDITOR_DECAP else {}
    if memo is None:
        # Every page and report of the site is made with the analysis frozen: the collector's passes over it
        # while they were made were an eighth of their time (8 s of 64 at 3,000 reviews). With the collector
        # off instead, what they leave in cycles piled up (a fifth more memory at 3,000 reviews).
        with _frozen():
            pages = build_pages(analysis, config)
            report.notices += analysis.cache_notices  # the related index's, once the pages asked for it
            progress("writing each review's report (.docx)")
            files: dict[str, Content] = {**pages, **review_reports(analysis), **editor}
    else:
        memo.begin(config.generated_dir, (config, today, use_git))
        files = {**_regenerated(analysis, config, memo, editor), **editor}
        report.notices += analysis.cache_notices
    try:
        report.pages = write_pages(config.generated_dir, files)
    except OSError as exc:
        raise BuildError(cannot_write(config.generated_dir, exc)) from None
    if memo is not None:
        memo.written(files)
    return report


def _regenerated(analysis: Analysis, config: Config, memo: PageMemo, fresh: Iterable[str]) -> dict[str, Content]:
    """`serve`'s pages and reports, KEPT where `memo` has them from the same inputs. When only what the
    reviews' own pages show changed (PageMemo.changed_reviews), every other file is kept without working out
    what it is made from, and `fresh` (the files made anew every time) is all the rest."""
    changed = memo.changed_reviews(analysis)
    kept = None if changed is None else memo.kept_files(fresh)
    if changed is None or kept is None:
        return {**regenerated_pages(analysis, config, memo), **review_reports(analysis, memo)}
    reviews = [review for review in analysis.knowledge_base.reviews if review.id in changed]
    return {**kept, **review_pages(analysis, config, memo, reviews), **review_reports(analysis, memo, reviews)}


def quiet_toolchain() -> None:
    """Silence what MkDocs' plugins print on every build and is no news to the user."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material 9.8's end-of-life banner
    try:  # Material segments Chinese with jieba, which announces its dictionary loading
        import jieba

        jieba.setLogLevel(logging.WARNING)
    except ImportError:  # pragma: no cover - jieba is a dependency, but the build works without it
        pass


# Material's Chinese translation sets the search pipeline to the stemmer, and with `lang: [zh, en]` that
# stems the English words of the index (economic -> econom). Material searches every typed word as a prefix
# (economic*), and lunr runs no pipeline on a prefix, so a stemmed English word could never be found.
# Without the stemmer every word is indexed as written and still found by its prefix (deal finds deals).
SEARCH_PIPELINE = ["stopWordFilter"]


def load_mkdocs_config(config: Config, site_dir: Path | str, **options: Any) -> MkDocsConfig:
    """mkdocs.yml as MkDocs reads it, building the generated pages, with retrogen's search default (a
    `pipeline` set in mkdocs.yml wins).

    This is the second reading of mkdocs.yml, on purpose: the gate reads it safely and without MkDocs (so
    `check` starts quickly and runs no `!!python/name:` code), which gives MkDocs no value it could build
    with; MkDocs' own reading costs about 5 ms of a build's seconds. What both use is given from the gate's
    reading (docs_dir, site_dir) or tested to agree (tests/site/test_mkdocs_reading.py)."""
    from material.plugins.search.plugin import SearchPlugin
    from mkdocs.config import load_config

    # docs_dir given explicitly: without it in mkdocs.yml MkDocs would read docs/, not what retrogen wrote.
    mkdocs_config = load_config(
        config_file=str(config.config_file), docs_dir=str(config.generated_dir), site_dir=str(site_dir), **options
    )
    for plugin in mkdocs_config.plugins.values():
        if isinstance(plugin, SearchPlugin):
            # MkDocs keeps one instance of a plugin with startup hooks for the whole process, and Material's
            # search merges the index of its last dirty build into the next one: a configuration read afresh
            # starts from no index, or a build after a `serve` in the same process (tests, an API user) would
            # carry the served site's pages in its search.
            plugin.search_index_prev = None
            if plugin.config.pipeline is None:
                plugin.config.pipeline = list(SEARCH_PIPELINE)
    return mkdocs_config


# The name of build's own plugin among MkDocs' (site/unindent.py).
UNINDENTED = "retrogen-unindented"


def run_mkdocs(config: Config, site_dir: Path, *, strict: bool = False) -> None:
    """Build the site from the generated pages into `site_dir`, which MkDocs empties first, in a process of its
    own (site/mkdocs_process.py says why); what MkDocs logs there at WARNING or above is logged here again."""
    command = [sys.executable, "-m", "retrogen.site.mkdocs_process", str(config.config_file), str(site_dir)]
    if strict:
        command.append("--strict")
    done = subprocess.run(command, capture_output=True, text=True, encoding="utf-8", errors="replace", check=False)
    refused = None
    for line in done.stdout.splitlines():
        try:
            said = json.loads(line)
        except ValueError:  # a plugin's print(): not MkDocs' word
            continue
        if not isinstance(said, dict):
            continue
        if "error" in said:
            refused = str(said["error"])
        elif {"logger", "level", "message"} <= said.keys():
            logging.getLogger(str(said["logger"])).log(int(said["level"]), "%s", said["message"])
    if refused is not None:
        raise BuildError(refused)
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1:] or [f"exit code {done.returncode}"]
        raise BuildError(f"MkDocs could not build the site: {last[0]}")


def build_with_mkdocs(config: Config, site_dir: Path, *, strict: bool = False) -> None:
    """MkDocs' build of the generated pages into `site_dir`, in this process, as `mkdocs build` runs it."""
    quiet_toolchain()
    # MkDocs is imported only when a build runs: `check` stays quick to start.
    from mkdocs.commands.build import build
    from mkdocs.exceptions import MkDocsException

    from retrogen.site.unindent import Unindented

    try:
        mkdocs_config = load_mkdocs_config(config, site_dir, strict=strict)
        mkdocs_config.plugins[UNINDENTED] = Unindented()  # `build`'s alone: serve and mkdocs keep the indents
        mkdocs_config.plugins.on_startup(command="build", dirty=False)  # as `mkdocs build` does
        try:
            build(mkdocs_config)
        finally:
            mkdocs_config.plugins.on_shutdown()
    except MkDocsException as exc:
        raise BuildError(f"MkDocs could not build the site: {exc}") from None


def shrink_search_index(site_dir: Path) -> int:
    """Make Material's search index smaller without changing what is found; returns its size in bytes.

    - characters as UTF-8 instead of \\uXXXX escapes (a third of the size for Chinese text);
    - a page's tags on its page entry only, not repeated on every section of it;
    - no bare structural tags (<p>, <li>...) in the text: results show it as a snippet either way. Review
      text is escaped (&lt;), so only Material's own markup matches;
    - no section left without text (the tags page's listing is excluded, its headings would still match).
    """
    path = site_dir / "search" / "search_index.json"
    if not path.is_file():
        return 0
    data = json.loads(path.read_text(encoding="utf-8"))
    for entry in data.get("docs", []):
        if "#" in entry.get("location", ""):
            entry.pop("tags", None)
        entry["text"] = " ".join(_BARE_TAG.sub(" ", entry.get("text", "")).split())
    data["docs"] = [entry for entry in data.get("docs", []) if entry["text"] or "#" not in entry.get("location", "")]
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    path.write_text(text, encoding="utf-8")
    return len(text.encode("utf-8"))


@contextmanager
def _frozen() -> Iterator[None]:
    """Every object alive now frozen for the block, so that the collector's full passes walk only what the
    block makes; everything unfrozen after (a process may build again, and nothing let go may stay frozen)."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


def build_site(
    config: Config,
    today: date,
    site_dir: Path | None = None,
    *,
    strict: bool = False,
    use_git: bool = True,
    allow_outside: bool = False,
    refuse_warnings: bool = False,
    progress: Progress = _no_progress,
    wait: float | None = None,
    cache: bool = True,
) -> BuildReport:
    """The whole build. Errors in reviews (and warnings, with `refuse_warnings`) stop it before MkDocs runs
    (report.ok is False); `strict` makes MkDocs' own warnings fail it. The site is built beside `site_dir`
    (default: site_dir in mkdocs.yml) and replaces it only once it is complete; a folder that could hold
    anything but an earlier build is refused before anything is written. A build into a folder (the pages or
    the site) that another build is writing waits for it (see `exclusive`)."""
    target = site_dir or config.site_dir
    check_places(config, target, allow_outside=allow_outside)
    try:
        with exclusive(config.generated_dir, wait), exclusive(target, wait):
            recover(target)
            report = generate(
                config, today, use_git=use_git, refuse_warnings=refuse_warnings, progress=progress, cache=cache
            )
            if not report.ok:
                return report
            # What the pages were made from let go (its cycles too), and its memory given back, before MkDocs'
            # process starts beside this one.
            memory_given_back()
            with replacing(target) as fresh:
                progress("building the site with MkDocs")
                run_mkdocs(config, fresh, strict=strict)
                report.search_index_bytes = shrink_search_index(fresh)
    except OSError as exc:
        raise BuildError(cannot_write(target, exc)) from None
    report.site_dir = target
    return report
