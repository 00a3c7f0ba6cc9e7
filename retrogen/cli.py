"""The `retrogen` command line: options in, one core call, a reporter out. Exit codes are fixed:
0 ok, 1 findings (or a refused action), 2 usage or configuration error, 3 unexpected error."""

from __future__ import annotations

import os
import sys
import traceback
from pathlib import Path
from typing import Any

import click

from retrogen import __version__
from retrogen.checker import CheckOptions, check_paths
from retrogen.config import Config, load_config, resolve_today
from retrogen.errors import ConfigError, RetrogenError
from retrogen.reporters import REPORTERS, github_summary
from retrogen.scaffold import KINDS, new_review
from retrogen.schema import schema_path

EXIT_UNEXPECTED = 3

today_option = click.option(
    "--today", metavar="YYYY-MM-DD", envvar="RETROGEN_TODAY",
    help="Judge due dates as of this day (default: the real date; env RETROGEN_TODAY).",
)


def get_config(ctx: click.Context) -> Config:
    config: Config = ctx.ensure_object(dict).setdefault("config", _load(ctx.obj.get("config_file")))
    return config


def _load(config_file: Path | None) -> Config:
    try:
        return load_config(config_file)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-c", "--config", "config_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="mkdocs.yml of the knowledge base (default: the nearest one above the current folder).")
@click.version_option(__version__, prog_name="retrogen")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """Keep after-action reviews (复盘) in git: check, measure and publish them."""
    ctx.ensure_object(dict)["config_file"] = config_file


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--format", "fmt", type=click.Choice(sorted(REPORTERS)), default="text", show_default=True,
              help="text for people, github for workflow annotations, json for machines.")
@click.option("--strict", is_flag=True, help="Fail on warnings too.")
@today_option
@click.pass_context
def check(ctx: click.Context, paths: tuple[Path, ...], fmt: str, strict: bool, today: str | None) -> None:
    """Check review files (default: the knowledge base's reviews/ folder).

    Exits 1 when any review has an error (or a warning, with --strict).

    \b
    Example:
        retrogen check
        retrogen check reviews/2026-q3-east-sales.yaml --format github
    """
    config = get_config(ctx)
    options = CheckOptions(_today(today), config.not_owners, config.max_file_size)
    try:
        result = check_paths(list(paths) or [config.reviews_dir], options, reviews_dir=config.reviews_dir)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(REPORTERS[fmt](result, fmt == "text" and _color()))
    summary_file = os.environ.get("GITHUB_STEP_SUMMARY")
    if fmt == "github" and summary_file:
        with open(summary_file, "a", encoding="utf-8") as handle:
            handle.write(github_summary(result))
    ctx.exit(1 if result.failed(strict) else 0)


@cli.command()
@click.argument("review_id", metavar="ID")
@click.option("--kind", type=click.Choice(KINDS), default="periodic", show_default=True)
@click.option("--lang", type=click.Choice(["zh", "en"]), help="Language of the guidance (default: the site's).")
@click.option("--team", help="The team the review is about.")
@today_option
@click.pass_context
def new(ctx: click.Context, review_id: str, kind: str, lang: str | None, team: str | None,
        today: str | None) -> None:
    """Start a review: write reviews/ID.yaml from the template, never over an existing file.

    \b
    Example:
        retrogen new 2026-q4-east-sales --kind periodic --lang zh --team 华东销售部
    """
    config = get_config(ctx)
    try:
        path = new_review(config, review_id, kind, lang or config.language, team, _today(today))
    except RetrogenError as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(f"Wrote {path}. Fill in every TODO, then run: retrogen check {path}")


@cli.command()
def schema() -> None:
    """Print the review format's JSON Schema.

    \b
    Example:
        retrogen schema > review.schema.json
    """
    click.echo(schema_path().read_text(encoding="utf-8"), nl=False)


def _today(value: str | None) -> Any:
    try:
        return resolve_today(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--today") from None


def _color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def main() -> None:
    """Entry point: Click handles exits 0-2; anything unexpected becomes exit 3 with a short report."""
    try:
        cli.main(standalone_mode=True)
    except Exception:
        click.echo("retrogen: unexpected error; please report it with the details below.", err=True)
        click.echo(traceback.format_exc(limit=-3), err=True)
        sys.exit(EXIT_UNEXPECTED)
