"""The site: `build` and `serve`."""

from __future__ import annotations

import logging
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping
from datetime import date
from pathlib import Path

import click

from retrogen.cli.base import cli, get_config, use_cache
from retrogen.cli.options import no_git_option, today_option
from retrogen.core.printable import printable, printable_lines
from retrogen.gate.check import CheckResult
from retrogen.gate.config import Config
from retrogen.gate.findings import Severity
from retrogen.gate.reporters import plural, summary_line, text_report


class _EchoHandler(logging.Handler):
    """MkDocs speaks through logging; its warnings and errors reach the terminal through here."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname.lower()}: {printable_lines(record.getMessage())}", err=True)


def show_mkdocs_warnings() -> None:
    logger = logging.getLogger("mkdocs")
    if not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        handler = _EchoHandler(logging.WARNING)
        logger.addHandler(handler)


def error_report(result: CheckResult, *, strict: bool = False) -> str:
    """What stops a build: the errors (with `strict` the warnings too, which then stop it as well), without
    the warnings that would bury them, then the summary line of `check` itself, so that both commands count
    the same reviews alike."""
    shown = [f for f in result.findings if strict or f.severity is Severity.ERROR]
    findings = text_report(CheckResult(result.files, shown)).rpartition("\n")[0]  # its summary counts `shown`
    return f"{findings}\n{summary_line(result)}"


def in_ci(environ: Mapping[str, str]) -> bool:
    """True under a CI service: they all set CI (GitHub Actions and GitLab to `true`)."""
    return environ.get("CI", "").strip().lower() not in {"", "0", "false", "no"}


def stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def progress_lines(environ: Mapping[str, str], *, quiet: bool, terminal: bool) -> Callable[[str], None]:
    """A line per phase of a long build on stderr, with the seconds since it started: for a person at a
    terminal, never in a CI log or a pipe, nor with -q."""
    if quiet or not terminal or in_ci(environ):
        return lambda phase: None
    started = time.monotonic()

    def show(phase: str) -> None:
        click.echo(f"[{time.monotonic() - started:5.1f} s] {phase}…", err=True)

    return show


allow_outside_option = click.option(
    "--allow-outside",
    is_flag=True,
    help="Allow a site or docs folder outside the knowledge base (the folder of mkdocs.yml).",
)


def site_config(ctx: click.Context) -> Config:
    """The configuration of a knowledge base with its mkdocs.yml and reviews: without them nothing is written."""
    return get_config(ctx)


@cli.command()
@click.option(
    "--strict",
    is_flag=True,
    help="Fail on warnings too, as `check --strict` does: the reviews' findings and MkDocs' warnings.",
)
@click.option(
    "-q", "--quiet", is_flag=True, help="No progress lines (they show only when stderr is a terminal, and never in CI)."
)
@click.option(
    "--site-dir",
    type=click.Path(file_okay=False, path_type=Path),
    help="Where to write the site (default: site_dir in mkdocs.yml); a folder of retrogen's own.",
)
@allow_outside_option
@no_git_option
@today_option()
@click.pass_context
def build(
    ctx: click.Context,
    *,
    strict: bool,
    quiet: bool,
    site_dir: Path | None,
    allow_outside: bool,
    no_git: bool,
    today: date,
) -> None:
    """Check the reviews and build the knowledge-base site (into site/ by default).

    Reviews with errors (or warnings, with --strict) stop the build; their findings are printed. The site
    replaces only what an earlier build wrote: a folder holding reviews or files of yours is refused.

    \b
    Example:
        retrogen build
        retrogen build --strict --site-dir public
    """
    from retrogen.site.build import build_site

    config = site_config(ctx)
    show_mkdocs_warnings()
    started = time.monotonic()
    progress = progress_lines(os.environ, quiet=quiet, terminal=stderr_is_terminal())
    report = build_site(
        config,
        today,
        site_dir,
        strict=strict,
        use_git=not no_git,
        allow_outside=allow_outside,
        refuse_warnings=strict,
        progress=progress,
        cache=use_cache(ctx),
    )
    for notice in report.notices:
        click.echo(f"notice: {printable(notice)}", err=True)
    if not report.ok:
        click.echo(error_report(report.check, strict=strict), err=True)
        what = "errors" if report.check.errors else "warnings (--strict)"
        raise click.ClickException(f"the site was not built: fix the {what} above")
    pages = report.pages
    assert pages is not None
    click.echo(
        f"Built {printable(report.site_dir)} in {time.monotonic() - started:.1f} s: {len(pages.written)} pages "
        f"written, {pages.unchanged} unchanged, {len(pages.removed)} removed; search index "
        f"{report.search_index_bytes / 1024:,.0f} KiB."
    )


@cli.command()
@click.option("-a", "--dev-addr", metavar="IP:PORT", help="Address to serve on (default: 127.0.0.1:8000).")
@allow_outside_option
@no_git_option
@today_option()
@click.pass_context
def serve(ctx: click.Context, *, dev_addr: str | None, allow_outside: bool, no_git: bool, today: date) -> None:
    """Preview the site with live reload; editing a review updates the pages it affects.

    An edit that breaks a review prints its findings and keeps the last good site.

    \b
    Example:
        retrogen serve --dev-addr 127.0.0.1:8000
    """
    from retrogen.site.serve import Regeneration, serve_site

    def notify(regeneration: Regeneration) -> None:
        report = regeneration.report
        if report is not None and report.pages is not None:
            pages = report.pages
            removed = f", {len(pages.removed)} removed" if pages.removed else ""
            click.echo(
                f"retrogen: {plural(len(pages.written), 'page')} regenerated{removed} in {regeneration.seconds:.1f} s",
                err=True,
            )
            return
        click.echo(printable(regeneration.error or "") if report is None else error_report(report.check), err=True)
        click.echo("retrogen: not regenerated; the last good site stays up", err=True)

    def on_ready(url: str) -> None:
        click.echo(f"Serving on {url} (Ctrl+C to stop)", err=True)

    show_mkdocs_warnings()
    # Stopped by a service manager (SIGTERM), shut down as on Ctrl-C: the server and watcher stop cleanly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    serve_site(site_config(ctx), today, dev_addr, notify, on_ready, use_git=not no_git, allow_outside=allow_outside)
