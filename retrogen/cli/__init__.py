"""The `retrogen` command line: options in, one core call, a reporter out. Exit codes are fixed:
0 ok, 1 findings (or a refused action), 2 usage or configuration error, 3 unexpected error."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from retrogen.cli.base import cli

__all__ = ["cli", "main"]


def __getattr__(name: str) -> Any:
    """`cli`, the command group, imported when first asked for: the entry point imports it itself (see main)."""
    if name == "cli":
        from retrogen.cli.base import cli

        return cli
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def main() -> None:
    """Entry point: Click handles exits 0-2; anything unexpected becomes exit 3 with a short report."""
    from retrogen.core.bulk import bulk_loading

    # Importing click, PyYAML and the gate makes some 20,000 objects that live as long as the process: the
    # collector's thirty passes over them while they are made, and its later passes, cost `check` of one file
    # (the pre-commit hook's case) about a twentieth of its time.
    with bulk_loading():
        import click

        from retrogen.cli.base import EXIT_UNEXPECTED, cli
        from retrogen.core.printable import printable_lines
    try:
        cli.main(standalone_mode=True)
    except Exception:
        import traceback  # only for a defect: `check` on every commit must not pay for it

        click.echo("retrogen: unexpected error; please report it with the details below.", err=True)
        click.echo(printable_lines(traceback.format_exc(limit=-3)), err=True)
        sys.exit(EXIT_UNEXPECTED)
