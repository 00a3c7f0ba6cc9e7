"""The `retrogen` group and what every command shares: configuration, --today, file output."""

from __future__ import annotations

import importlib
import os
import sys
from datetime import date
from pathlib import Path
from typing import Any, ClassVar, Literal

import click

from retrogen import __version__
from retrogen.core.errors import ConfigError, RetrogenError
from retrogen.core.files import write_file
from retrogen.core.printable import printable_lines
from retrogen.gate.config import Config, knowledge_base_problem, load_config, resolve_today

today_option = click.option(
    "--today",
    metavar="YYYY-MM-DD",
    envvar="RETROGEN_TODAY",
    help="Judge due dates as of this day (default: the real date; env RETROGEN_TODAY).",
)


class LazyGroup(click.Group):
    """Imports a command's module only when that command runs (or help lists it): `retrogen check` runs on
    every commit through pre-commit and must not pay for pandas, Jinja and MkDocs, which it never uses."""

    # command name -> module whose import registers it on `cli`
    modules: ClassVar[dict[str, str]] = {
        "check": "gate", "new": "gate", "schema": "gate",
        "metrics": "reports", "actions": "reports", "playbook": "reports",
        "build": "site", "serve": "site", "init": "init",
        "remind": "notify", "report": "document", "related": "related",
        "pr-summary": "pr_summary",
    }  # fmt: skip

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*self.commands, *self.modules})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in self.commands and cmd_name in self.modules:
            importlib.import_module(f"retrogen.cli.{self.modules[cmd_name]}")
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """The one place where an expected failure that a command let through becomes its exit code: a
        configuration error exits 2, any other RetrogenError 1, each as one line, never a traceback. Every
        error message is printed through here, escaped: a path or a value in it (a file named with ESC
        sequences) must not retitle, recolour or clear the reader's terminal."""
        try:
            try:
                return super().invoke(ctx)
            except ConfigError as exc:
                raise ConfigurationError(str(exc)) from None
            except RetrogenError as exc:
                raise click.ClickException(str(exc)) from None
        except click.ClickException as exc:
            vars(exc)["message"] = printable_lines(exc.message)  # Click declares it final, and reads it in show()
            raise


class ConfigurationError(click.ClickException):
    """A usage or configuration error said in one line (exit 2), without Click's usage banner: the fix is in
    the folder or mkdocs.yml, not in how the command was typed."""

    exit_code = 2


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="mkdocs.yml of the knowledge base (default: the nearest one above the current folder).",
)
@click.version_option(__version__, prog_name="retrogen")
@click.pass_context
def cli(ctx: click.Context, config_file: Path | None) -> None:
    """Keep after-action reviews (复盘) in git: check, measure and publish them."""
    ctx.ensure_object(dict)["config_file"] = config_file


def get_config(ctx: click.Context, *, needs: Literal["reviews", "mkdocs.yml", "nothing"] = "reviews") -> Config:
    """The configuration, read once per invocation. By default the command reads the knowledge base, so its
    mkdocs.yml and reviews folder must exist; `needs` relaxes that for commands that need less (`new`
    creates the reviews folder, `check FILE` judges drafts anywhere)."""
    state = ctx.ensure_object(dict)
    if "config" not in state:
        try:
            state["config"] = load_config(state.get("config_file"))
        except ConfigError as exc:
            raise click.UsageError(str(exc)) from None
        for notice in state["config"].notices:
            click.echo(f"{state['config'].config_file}: {notice}", err=True)
    config: Config = state["config"]
    problem = None if needs == "nothing" else knowledge_base_problem(config, reviews=needs == "reviews")
    if problem:
        raise ConfigurationError(problem)
    return config


def parse_today(value: str | None) -> date:
    try:
        return resolve_today(value)
    except ConfigError as exc:
        raise click.BadParameter(str(exc), param_hint="--today (or RETROGEN_TODAY)") from None


def parse_day(value: str, option: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(f"write a date as YYYY-MM-DD, not {value!r}", param_hint=option) from None


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def write_output(path: Path, content: str | bytes, force: bool) -> None:
    """Write a file the user named, atomically; an existing file is replaced only with --force."""
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists; add --force to replace it")
    try:
        write_file(path, content, replace=force)
    except RetrogenError as exc:
        raise click.ClickException(str(exc)) from None
