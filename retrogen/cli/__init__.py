"""The `retrogen` command line: options in, one core call, a reporter out. Exit codes are fixed:
0 ok, 1 findings (or a refused action), 2 usage or configuration error, 3 unexpected error."""

from __future__ import annotations

import sys

import click

from retrogen.cli.base import EXIT_UNEXPECTED, cli
from retrogen.core.printable import printable_lines

__all__ = ["cli", "main"]


def main() -> None:
    """Entry point: Click handles exits 0-2; anything unexpected becomes exit 3 with a short report."""
    try:
        cli.main(standalone_mode=True)
    except Exception:
        import traceback  # only for a defect: `check` on every commit must not pay for it

        click.echo("retrogen: unexpected error; please report it with the details below.", err=True)
        click.echo(printable_lines(traceback.format_exc(limit=-3)), err=True)
        sys.exit(EXIT_UNEXPECTED)
