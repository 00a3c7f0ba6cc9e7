"""`retrogen pr-summary`: the Markdown comment CI posts on a review's pull request."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import click

from retrogen.cli.base import cli, get_config, load_analysis, write_output
from retrogen.cli.options import force_option, lang_option, no_git_option, output_option, today_option
from retrogen.formats.urls import SiteUrls
from retrogen.report.pr_summary import pr_summary as summarise
from retrogen.report.pr_summary import to_markdown


@cli.command("pr-summary")
@click.argument("reviews", metavar="REVIEW...", nargs=-1, required=True)
@click.option(
    "--site-url",
    metavar="URL",
    help="The published site the links go to (default: site_url of mkdocs.yml; unset: no links).",
)
@lang_option("Language of the headings and words (default: the site's).")
@output_option("Write this file (atomically) instead of printing.")
@force_option
@no_git_option
@today_option()
@click.pass_context
def pr_summary(
    ctx: click.Context,
    *,
    reviews: tuple[str, ...],
    site_url: str | None,
    lang: str | None,
    output: Path | None,
    force: bool,
    no_git: bool,
    today: date,
) -> None:
    """What a reviewer needs on a review's pull request, as Markdown: the KPIs with achievement, the actions
    with owners and due dates, the follow-up of the team's earlier actions and the three most related past
    problems and lessons, linked to the site. REVIEW is a review id or a file of reviews/; a file that does
    not pass `retrogen check` is listed as such.

    \b
    Example:
        retrogen pr-summary reviews/2026-q3-east-sales.yaml
        retrogen pr-summary 2026-q3-east-sales --site-url https://sales.example.com/kb/ -o comment.md
    """
    config = get_config(ctx)
    analysis = load_analysis(ctx, today, use_git=not no_git)
    site = SiteUrls.of(config.mkdocs)
    if site_url is not None:  # given, it wins over mkdocs.yml's; empty, there are no links
        site = replace(site, site_url=site_url or None)
    summary = summarise(analysis, list(reviews), lang or config.language, site)
    markdown = to_markdown(summary)
    if output is None:
        click.echo(markdown, nl=False)
    else:
        write_output(output, markdown, force=force)
