"""`retrogen build`: check, analyse, generate pages, then build with MkDocs in this process."""

from __future__ import annotations

import json
import logging
import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from retrogen.analysis import analyse
from retrogen.checker import CheckResult
from retrogen.config import Config
from retrogen.errors import BuildError
from retrogen.files import cannot_write
from retrogen.site.output import WriteReport, check_places, exclusive, recover, replacing, write_pages
from retrogen.site.pages import build_pages
from retrogen.site.reports import review_reports

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


def generate(config: Config, today: date, use_git: bool = True, jobs: int | None = None) -> BuildReport:
    """Check the reviews and (when none has an error) write the generated pages. Nothing is built yet."""
    analysis = analyse(config, today, use_git=use_git, jobs=jobs)
    # Files with errors stop the build and are reported as findings, so only the git notice is a notice here.
    report = BuildReport(analysis.knowledge_base.check, notices=[analysis.git.notice] if analysis.git.notice else [])
    if analysis.knowledge_base.check.errors:
        return report
    pages = build_pages(analysis, config)
    try:
        report.pages = write_pages(config.generated_dir, {**pages, **review_reports(analysis)})
    except OSError as exc:
        raise BuildError(cannot_write(config.generated_dir, exc)) from None
    return report


def quiet_toolchain() -> None:
    """Silence what MkDocs' plugins print on every build and is no news to the user."""
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")  # Material 9.8's end-of-life banner
    try:  # Material segments Chinese with jieba, which announces its dictionary loading
        import jieba

        jieba.setLogLevel(logging.WARNING)
    except ImportError:  # pragma: no cover - jieba is a dependency, but the build works without it
        pass


def run_mkdocs(config: Config, site_dir: Path, strict: bool = False) -> None:
    """Build the site from the generated pages into `site_dir`, which MkDocs empties first."""
    quiet_toolchain()
    # MkDocs is imported only when a build runs: `check` stays quick to start.
    from mkdocs.commands.build import build
    from mkdocs.config import load_config
    from mkdocs.exceptions import MkDocsException

    try:
        # docs_dir given explicitly: without it in mkdocs.yml MkDocs would read docs/, not what retrogen wrote.
        build(load_config(config_file=str(config.config_file), docs_dir=str(config.generated_dir),
                          site_dir=str(site_dir), strict=strict))
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


def build_site(config: Config, today: date, site_dir: Path | None = None, strict: bool = False,
               use_git: bool = True, allow_outside: bool = False, wait: float | None = None) -> BuildReport:
    """The whole build. Errors in reviews stop it before MkDocs runs (report.ok is False). The site is
    built beside `site_dir` (default: site_dir in mkdocs.yml) and replaces it only once it is complete;
    a folder that could hold anything but an earlier build is refused before anything is written. A build
    into a folder (the pages or the site) that another build is writing waits for it (see `exclusive`)."""
    target = site_dir or config.site_dir
    check_places(config, target, allow_outside)
    try:
        with exclusive(config.generated_dir, wait), exclusive(target, wait):
            recover(target)
            report = generate(config, today, use_git)
            if not report.ok:
                return report
            with replacing(target) as fresh:
                run_mkdocs(config, fresh, strict)
                report.search_index_bytes = shrink_search_index(fresh)
    except OSError as exc:
        raise BuildError(cannot_write(target, exc)) from None
    report.site_dir = target
    return report
