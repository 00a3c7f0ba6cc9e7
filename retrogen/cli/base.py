"""The `retrogen` group and what every command shares: configuration, the analysis, file output, and the one
mapping from the error family to exit codes."""

from __future__ import annotations

import importlib
import os
import sys
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar, Literal

import click

from retrogen import __version__
from retrogen.core.bulk import bulk_loading
from retrogen.core.errors import BuildBusyError, ConfigError, RetrogenError
from retrogen.core.files import write_file
from retrogen.core.printable import printable, printable_lines
from retrogen.gate.config import Config, knowledge_base_problem, load_config

if TYPE_CHECKING:
    from retrogen.engine.analysis import Analysis


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
            # A module's import makes thousands of objects, none of them garbage, that live as long as the
            # process: frozen once made, not walked by the collector's later passes (0.06 s of `playbook`'s)
            with bulk_loading():
                importlib.import_module(f"retrogen.cli.{self.modules[cmd_name]}")
        return self.commands.get(cmd_name)

    def invoke(self, ctx: click.Context) -> Any:
        """The one place where an expected failure becomes its exit code (`exit_code_of`), said in one line,
        never a traceback: commands call the core and let its errors through. Every error message is printed
        through here, escaped: a path or a value in it (a file named with ESC sequences) must not retitle,
        recolour or clear the reader's terminal."""
        try:
            try:
                return super().invoke(ctx)
            except RetrogenError as exc:
                raise failure_of(exc) from None
        except click.ClickException as exc:
            vars(exc)["message"] = printable_lines(exc.message)  # Click declares it final, and reads it in show()
            raise


EXIT_FINDINGS = 1  # findings, or an action refused
EXIT_USAGE = 2  # how the command was typed, or the configuration it runs in
EXIT_UNEXPECTED = 3  # a defect: retrogen.cli.main reports it


class Refused(click.ClickException):
    """An expected failure or a refusal, said in one line (exit 1)."""

    exit_code = EXIT_FINDINGS


class ConfigurationError(click.ClickException):
    """A configuration error said in one line (exit 2), without Click's usage banner: the fix is in the
    folder, mkdocs.yml or the environment, not in how the command was typed."""

    exit_code = EXIT_USAGE


# The error family mapped to how each ends; the nearest class of an error decides. Another build holding
# the site says nothing about the reviews either: exit 2, as a configuration error.
FAILURES: dict[type[RetrogenError], type[click.ClickException]] = {
    RetrogenError: Refused,
    ConfigError: ConfigurationError,
    BuildBusyError: ConfigurationError,
}


def failure_of(error: RetrogenError) -> click.ClickException:
    """The Click exception that ends the command for an expected failure: its message and exit code."""
    kind = next(FAILURES[cls] for cls in type(error).__mro__ if cls in FAILURES)
    return kind(str(error))


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-c",
    "--config",
    "config_file",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="mkdocs.yml of the knowledge base (default: the nearest one above the current folder).",
)
@click.option(
    "--no-cache",
    is_flag=True,
    envvar="RETROGEN_NO_CACHE",
    help="Read every review afresh, without the index in .retrogen/ that keeps unchanged files' results "
    "between runs (env RETROGEN_NO_CACHE=1).",
)
@click.version_option(__version__, prog_name="retrogen")
@click.pass_context
def cli(ctx: click.Context, *, config_file: Path | None, no_cache: bool) -> None:
    """Keep after-action reviews (复盘) in git: check, measure and publish them."""
    state = ctx.ensure_object(dict)
    state["config_file"] = config_file
    state["cache"] = not no_cache


def use_cache(ctx: click.Context) -> bool:
    """Whether the command may use the lasting index (not with --no-cache)."""
    return bool(ctx.ensure_object(dict).get("cache", True))


def get_config(ctx: click.Context, *, needs: Literal["reviews", "mkdocs.yml", "nothing"] = "reviews") -> Config:
    """The configuration, read once per invocation. By default the command reads the knowledge base, so its
    mkdocs.yml and reviews folder must exist; `needs` relaxes that for commands that need less (`new`
    creates the reviews folder, `check FILE` judges drafts anywhere)."""
    state = ctx.ensure_object(dict)
    if "config" not in state:
        state["config"] = load_config(state.get("config_file"))
        for notice in state["config"].notices:
            click.echo(f"{state['config'].config_file}: {notice}", err=True)
    config: Config = state["config"]
    problem = None if needs == "nothing" else knowledge_base_problem(config, reviews=needs == "reviews")
    if problem:
        raise ConfigError(problem)
    return config


def use_color() -> bool:
    return sys.stdout.isatty() and "NO_COLOR" not in os.environ


def write_output(path: Path, content: str | bytes, *, force: bool) -> None:
    """Write a file the user named, atomically; an existing file is replaced only with --force."""
    if path.exists() and not force:
        raise click.ClickException(f"{path} already exists; add --force to replace it")
    write_file(path, content, replace=force)


def load_analysis(ctx: click.Context, today: date, *, use_git: bool) -> Analysis:
    """The knowledge base analysed as of `today`, its notices (git history left out…) said on stderr."""
    from retrogen.engine.analysis import analyse  # pandas: `check` never pays for it

    with bulk_loading():  # a command's analysis lives until the command ends
        analysis = analyse(get_config(ctx), today, use_git=use_git, cache=use_cache(ctx))
    say_notices(analysis.notices)
    return analysis


def say_notices(notices: list[str]) -> None:
    """What a person should know about how complete the answer is, on stderr."""
    for notice in notices:
        click.echo(f"notice: {printable(notice)}", err=True)
