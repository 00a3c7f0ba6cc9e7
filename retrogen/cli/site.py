"""The site: `build` and `serve`."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import click

from retrogen.checker import CheckResult
from retrogen.cli.base import cli, get_config, parse_today, today_option
from retrogen.config import CONFIG_NAME, Config
from retrogen.errors import BuildBusyError, ConfigError, RetrogenError
from retrogen.findings import Severity
from retrogen.reporters import summary_line, text_report


class _EchoHandler(logging.Handler):
    """MkDocs speaks through logging; its warnings and errors reach the terminal through here."""

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(f"{record.levelname.lower()}: {record.getMessage()}", err=True)


def show_mkdocs_warnings() -> None:
    logger = logging.getLogger("mkdocs")
    if not any(isinstance(h, _EchoHandler) for h in logger.handlers):
        handler = _EchoHandler(logging.WARNING)
        logger.addHandler(handler)


def error_report(result: CheckResult) -> str:
    """What stops a build: the errors, without the warnings that would bury them, then the summary line
    of `check` itself, so that both commands count the same reviews alike."""
    errors = CheckResult(result.files, [f for f in result.findings if f.severity is Severity.ERROR])
    findings = text_report(errors).rpartition("\n")[0]  # its own summary line would count the errors only
    return f"{findings}\n{summary_line(result)}"


class Busy(click.ClickException):
    """Another build is writing the site: nothing is wrong with the reviews or the site (exit 2)."""

    exit_code = 2


allow_outside_option = click.option(
    "--allow-outside", is_flag=True,
    help="Allow a site or docs folder outside the knowledge base (the folder of mkdocs.yml).")


def site_config(ctx: click.Context) -> Config:
    """The configuration of a knowledge base that has a mkdocs.yml: without one, MkDocs has nothing to build,
    and nothing is written."""
    config = get_config(ctx)
    if not config.config_file.is_file():
        raise click.UsageError(f"no {CONFIG_NAME} in {config.root} or a folder above it: the site needs one; "
                               "start a knowledge base with `retrogen init`, or name one with -c")
    return config


@cli.command()
@click.option("--strict", is_flag=True, help="Fail on MkDocs warnings too.")
@click.option("--site-dir", type=click.Path(file_okay=False, path_type=Path),
              help="Where to write the site (default: site_dir in mkdocs.yml); a folder of retrogen's own.")
@allow_outside_option
@click.option("--no-git", is_flag=True, help="Ignore git history; use `updates` alone.")
@today_option
@click.pass_context
def build(ctx: click.Context, strict: bool, site_dir: Path | None, allow_outside: bool, no_git: bool,
          today: str | None) -> None:
    """Check the reviews and build the knowledge-base site (into site/ by default).

    Reviews with errors stop the build; their findings are printed. The site replaces only what an
    earlier build wrote: a folder holding reviews or files of yours is refused.

    \b
    Example:
        retrogen build
        retrogen build --strict --site-dir public
    """
    from retrogen.site.build import build_site

    config = site_config(ctx)
    show_mkdocs_warnings()
    try:
        report = build_site(config, parse_today(today), site_dir, strict, use_git=not no_git,
                            allow_outside=allow_outside)
    except BuildBusyError as exc:
        raise Busy(str(exc)) from None
    except RetrogenError as exc:
        raise click.ClickException(str(exc)) from None
    for notice in report.notices:
        click.echo(f"notice: {notice}", err=True)
    if not report.ok:
        click.echo(error_report(report.check), err=True)
        raise click.ClickException("the site was not built: fix the errors above")
    pages = report.pages
    assert pages is not None
    click.echo(f"Built {report.site_dir}: {len(pages.written)} pages written, {pages.unchanged} unchanged, "
               f"{len(pages.removed)} removed; search index {report.search_index_bytes / 1024:,.0f} KiB.")


@cli.command()
@click.option("-a", "--dev-addr", metavar="IP:PORT", help="Address to serve on (default: 127.0.0.1:8000).")
@allow_outside_option
@click.option("--no-git", is_flag=True, help="Ignore git history; use `updates` alone.")
@today_option
@click.pass_context
def serve(ctx: click.Context, dev_addr: str | None, allow_outside: bool, no_git: bool, today: str | None) -> None:
    """Preview the site with live reload; editing a review updates the pages it affects.

    An edit that breaks a review prints its findings and keeps the last good site.

    \b
    Example:
        retrogen serve --dev-addr 127.0.0.1:8000
    """
    from retrogen.site.build import BuildReport
    from retrogen.site.serve import serve_site

    def notify(report: BuildReport) -> None:
        if report.ok and report.pages is not None:
            click.echo(f"retrogen: {len(report.pages.written)} pages regenerated", err=True)
        else:
            click.echo(error_report(report.check), err=True)
            click.echo("retrogen: not regenerated; the last good site stays up", err=True)

    show_mkdocs_warnings()
    # Stopped by a service manager (SIGTERM), shut down as on Ctrl-C: the server and watcher stop cleanly.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        serve_site(site_config(ctx), parse_today(today), dev_addr, not no_git, notify, allow_outside)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except RetrogenError as exc:
        raise click.ClickException(str(exc)) from None
