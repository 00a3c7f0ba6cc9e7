"""`retrogen init`: start a knowledge base of your own."""

from __future__ import annotations

from pathlib import Path

import click

from retrogen.cli.base import cli
from retrogen.errors import RetrogenError
from retrogen.vocabulary import LANGUAGES


@cli.command()
@click.argument("folder", metavar="[DIR]", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(LANGUAGES), default="zh", show_default=True,
              help="Language of the site, the example review and the README.")
@click.option("--name", help="The site's name (default: 复盘知识库, or Review knowledge base).")
@click.option("--force", is_flag=True, help="In a folder that holds some of the files, add only the missing ones.")
def init(folder: Path, lang: str, name: str | None, force: bool) -> None:
    """Start a knowledge base in DIR (default: here): mkdocs.yml, an example review, the schema, the site's
    styles, pre-commit and GitHub workflow files and a README, all plain files you own. Never replaces a file.

    \b
    Example:
        retrogen init sales-reviews --lang en --name "Sales reviews"
    """
    from retrogen.starter import init_knowledge_base  # Jinja: only `init` needs it

    try:
        result = init_knowledge_base(folder, lang, name, force)
    except RetrogenError as exc:
        raise click.ClickException(str(exc)) from None
    for path in result.written:
        click.echo(f"wrote {path}")
    for path in result.kept:
        click.echo(f"kept  {path}")
    if result.git == "created":
        click.echo(f"Made {folder} a git repository.")
    elif result.git == "missing":
        click.echo("git is not installed: the action tracker needs it; run `git init` once it is.")
    click.echo(f"Next: cd {folder} && retrogen check && retrogen serve (see README.md)")
