"""Options several commands share, and the Click parameter types that parse dates, periods and comma lists,
so that each value is parsed, and its error worded, in one place."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any, TypeVar

import click

from retrogen.core.errors import RetrogenError
from retrogen.core.periods import Period, parse_label
from retrogen.gate.config import resolve_today
from retrogen.gate.vocabulary import LANGUAGES

Value = TypeVar("Value")
Decorator = Callable[[Callable[..., Any]], Callable[..., Any]]


class Parsed(click.ParamType[Value]):
    """A value read by a core parser: its RetrogenError becomes Click's "Invalid value for …" (exit 2),
    naming `hint` when given (the default names the option), so a parser's wording reaches the user as is."""

    def __init__(self, name: str, parse: Callable[[str], Value], hint: str | None = None) -> None:
        self.name = name
        self.parse = parse
        self.hint = hint

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Value:
        if not isinstance(value, str):  # a default, or a value converted already
            return value  # type: ignore[no-any-return]
        try:
            return self.parse(value)
        except RetrogenError as exc:
            raise click.BadParameter(str(exc), ctx, param, self.hint) from None


class CommaList(click.ParamType[tuple[str, ...]]):
    """A comma-separated list as a tuple: blanks around items dropped, each item once, in the given order."""

    name = "list"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> tuple[str, ...]:
        items = value.split(",") if isinstance(value, str) else value
        return tuple(dict.fromkeys(item.strip() for item in items if item.strip()))


def parse_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise RetrogenError(f"write a date as YYYY-MM-DD, not {text!r}") from None


DAY = Parsed("date", parse_day)
PERIOD: Parsed[Period] = Parsed("period", parse_label)
COMMA_LIST = CommaList()
TODAY = Parsed("date", resolve_today, hint="--today (or RETROGEN_TODAY)")


def _real_date_unless_given(ctx: click.Context, param: click.Parameter, value: date | None) -> date:
    return value if value is not None else resolve_today(None)


def today_option(
    help: str = "Judge due dates as of this day (default: the real date; env RETROGEN_TODAY).",
) -> Decorator:
    """--today as a date: the option, else RETROGEN_TODAY, else the real date (a test fixes the day)."""
    return click.option(
        "--today",
        type=TODAY,
        metavar="YYYY-MM-DD",
        envvar="RETROGEN_TODAY",
        callback=_real_date_unless_given,
        help=help,
    )


def lang_option(help: str, **settings: Any) -> Decorator:
    return click.option("--lang", type=click.Choice(LANGUAGES), help=help, **settings)


def output_option(help: str) -> Decorator:
    return click.option("--output", "-o", type=click.Path(dir_okay=False, path_type=Path), help=help)


no_git_option = click.option("--no-git", is_flag=True, help="Ignore git history; use `updates` alone.")
force_option = click.option("--force", is_flag=True, help="Replace the output file if it exists.")
