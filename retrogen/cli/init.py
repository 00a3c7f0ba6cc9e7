"""`retrogen init`: start a knowledge base of your own."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import click

from retrogen import __version__
from retrogen.cli.base import cli
from retrogen.cli.options import Parsed, lang_option
from retrogen.core.printable import printable
from retrogen.gate.config import CONFIG_NAME, find_config, load_config

if TYPE_CHECKING:
    from retrogen.kb.init import CodeHost, Source

CI_CHOICES = ("github", "gitlab")  # retrogen.kb.init.CodeHost; importing starter would load Jinja for --help


def _parse_source(given: str) -> Source:
    from retrogen.kb.init import Source  # Jinja: only when --source is given

    return Source.parse(given)


@cli.command()
@click.argument("folder", metavar="[DIR]", default=".", type=click.Path(file_okay=False, path_type=Path))
@lang_option("Language of the site, the example review and the README.", default="zh", show_default=True)
@click.option("--name", help="The site's name (default: 复盘知识库, or Review knowledge base).")
@click.option(
    "--ci",
    type=click.Choice(CI_CHOICES),
    default=None,
    help="Where the team hosts: github writes .github/workflows/, gitlab writes .gitlab-ci.yml "
    "(default: github; with --upgrade, what init chose).",
)
@click.option(
    "--source",
    type=Parsed("source", _parse_source),
    metavar="URL|PATH|REQ",
    help="Where CI and the README install retrogen from: retrogen's git repository (pinned to the tag "
    "of this version; the pre-commit hook then installs it from there too), a folder or wheel, a "
    "requirement, or `index` (default: where this retrogen came from).",
)
@click.option("--force", is_flag=True, help="In a folder that holds some of the files, add only the missing ones.")
@click.option(
    "--upgrade",
    is_flag=True,
    help="In a knowledge base (here or above), bring the schema copy, CI files, pre-commit file and site "
    "styles to this retrogen's version, showing a diff; a file you changed is kept and the new version "
    "is written beside it as NAME.new. Reviews, mkdocs.yml and the README are left alone.",
)
@click.option("--dry-run", is_flag=True, help="With --upgrade: show what would change and write nothing.")
@click.pass_context
def init(
    ctx: click.Context,
    *,
    folder: Path,
    lang: str,
    name: str | None,
    ci: CodeHost | None,
    source: Source | None,
    force: bool,
    upgrade: bool,
    dry_run: bool,
) -> None:
    """Start a knowledge base in DIR (default: here): mkdocs.yml, an example review, the schema, the site's
    styles, pre-commit and CI files (GitHub or GitLab) and a README, all plain files you own, in a git
    repository on branch main with a first commit. Never replaces a file.

    \b
    Example:
        retrogen init sales-reviews --lang en --name "Sales reviews"
        retrogen init sales-reviews --ci gitlab --source https://git.example.com/tools/retrogen.git
        retrogen init --upgrade --dry-run   # after upgrading retrogen, anywhere in the knowledge base
    """
    from retrogen.kb.init import init_knowledge_base  # Jinja: only `init` needs it

    if dry_run and not upgrade:
        raise click.UsageError("--dry-run goes with --upgrade (init itself never replaces a file)")
    if upgrade:
        _upgrade(ctx, folder, source, ci, dry_run=dry_run)
        return
    result = init_knowledge_base(folder, lang, name, source, ci or "github", force=force)
    for path in result.written:
        click.echo(f"wrote {printable(path)}")
    for path in result.kept:
        click.echo(f"kept  {printable(path)}")
    if result.git == "created":
        click.echo(
            f"Made {printable(folder)} a git repository on branch main"
            + (
                " with a first commit."
                if not result.commit_error
                else f"; the first commit failed ({result.commit_error}): commit the files yourself."
            )
        )
    elif result.git == "missing":
        click.echo("git is not installed: the action tracker needs it; run `git init -b main` once it is.")
    _tell_source(result.source)
    click.echo(f"Next: cd {printable(folder)} && retrogen check && retrogen serve (see README.md)")


def _tell_source(source: Source) -> None:
    click.echo(f"CI and the README install retrogen with: pip install {source.requirement(__version__)!r}")
    if not source.reachable_from_ci:
        click.echo(
            f"Note: {source.location} is on this machine only, so CI cannot install retrogen from it. "
            "Until retrogen is on the package index, name its git repository: "
            "retrogen init --upgrade --source https://…/retrogen.git"
        )


def _upgrade(ctx: click.Context, folder: Path, source: Source | None, ci: CodeHost | None, *, dry_run: bool) -> None:
    from retrogen.kb.init import upgrade_knowledge_base

    config_file = ctx.obj.get("config_file") if ctx.obj else None
    config_file = config_file or find_config(folder.resolve())
    if config_file is None:
        raise click.UsageError(
            f"neither {folder} nor a folder above it holds {CONFIG_NAME}; "
            f"run `retrogen init {folder}` to start a knowledge base"
        )
    config = load_config(config_file)
    upgrades = upgrade_knowledge_base(config.root, config.language, source, ci, dry_run=dry_run)
    for upgrade in upgrades:
        click.echo(upgrade.diff, nl=False)
    kept = [upgrade for upgrade in upgrades if upgrade.action == "kept"]
    for upgrade in kept:
        click.echo(
            f"{upgrade.path}: you changed it since retrogen wrote it, so it is kept; the new version "
            f"{'would go' if dry_run else 'is'} beside it in {upgrade.beside.name}: merge what you want, "
            "then delete that file."
        )
    refreshed = len(upgrades) - len(kept)
    if dry_run:
        click.echo(
            f"Dry run: {refreshed} files would be refreshed to retrogen {__version__}, {len(kept)} kept; "
            "nothing was written."
            if upgrades
            else f"Already up to date with retrogen {__version__}."
        )
    elif upgrades:
        click.echo(
            f"Refreshed {refreshed} files to retrogen {__version__}{f', kept {len(kept)}' if kept else ''}; "
            f"review them with git diff and commit."
        )
    else:
        click.echo(f"Already up to date with retrogen {__version__}.")
