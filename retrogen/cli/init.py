"""`retrogen init`: start a knowledge base of your own."""

from __future__ import annotations

from pathlib import Path

import click

from retrogen import __version__
from retrogen.cli.base import cli
from retrogen.config import CONFIG_NAME, load_config
from retrogen.errors import ConfigError, RetrogenError
from retrogen.printable import printable
from retrogen.vocabulary import LANGUAGES


@cli.command()
@click.argument("folder", metavar="[DIR]", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", type=click.Choice(LANGUAGES), default="zh", show_default=True,
              help="Language of the site, the example review and the README.")
@click.option("--name", help="The site's name (default: 复盘知识库, or Review knowledge base).")
@click.option("--force", is_flag=True, help="In a folder that holds some of the files, add only the missing ones.")
@click.option("--upgrade", is_flag=True,
              help="In a knowledge base, bring the schema copy, workflows, pre-commit file and site styles to this "
              "retrogen's version, showing a diff; reviews, mkdocs.yml and the README are left alone.")
@click.pass_context
def init(ctx: click.Context, folder: Path, lang: str, name: str | None, force: bool, upgrade: bool) -> None:
    """Start a knowledge base in DIR (default: here): mkdocs.yml, an example review, the schema, the site's
    styles, pre-commit and GitHub workflow files and a README, all plain files you own. Never replaces a file.

    \b
    Example:
        retrogen init sales-reviews --lang en --name "Sales reviews"
        retrogen init --upgrade          # after upgrading retrogen, in the knowledge base
    """
    from retrogen.starter import init_knowledge_base  # Jinja: only `init` needs it

    if upgrade:
        _upgrade(folder)
        return
    try:
        result = init_knowledge_base(folder, lang, name, force)
    except RetrogenError as exc:
        raise click.ClickException(str(exc)) from None
    for path in result.written:
        click.echo(f"wrote {printable(path)}")
    for path in result.kept:
        click.echo(f"kept  {printable(path)}")
    if result.git == "created":
        click.echo(f"Made {printable(folder)} a git repository.")
    elif result.git == "missing":
        click.echo("git is not installed: the action tracker needs it; run `git init` once it is.")
    click.echo(f"Next: cd {printable(folder)} && retrogen check && retrogen serve (see README.md)")


def _upgrade(folder: Path) -> None:
    from retrogen.starter import upgrade_knowledge_base

    config_file = folder / CONFIG_NAME
    if not config_file.is_file():
        raise click.UsageError(f"{folder} holds no {CONFIG_NAME}; run `retrogen init {folder}` to start one")
    try:
        config = load_config(config_file)
        upgrades = upgrade_knowledge_base(config.root, config.language)
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None
    except RetrogenError as exc:
        raise click.ClickException(str(exc)) from None
    for upgrade in upgrades:
        click.echo(upgrade.diff, nl=False)
    if upgrades:
        click.echo(f"Refreshed {len(upgrades)} files to retrogen {__version__}; review them with git diff and commit.")
    else:
        click.echo(f"Already up to date with retrogen {__version__}.")
