"""`retrogen remind`: the follow-up digest per owner, printed (a dry run) or sent where people read it."""

from __future__ import annotations

import json
import os
import shlex
from datetime import date
from typing import TYPE_CHECKING

import click

from retrogen.cli.base import cli, get_config, load_analysis
from retrogen.cli.options import no_git_option, today_option
from retrogen.core.bulk import bulk_loading, kept_to_the_end
from retrogen.formats.urls import SiteUrls
from retrogen.notify.digest import DEFAULT_STALE, DEFAULT_WITHIN, build_digest
from retrogen.notify.escalation import PLATFORMS, build_escalations, digest_rows, dry_run_text
from retrogen.notify.messages import MARKDOWN, PLAIN, to_text

if TYPE_CHECKING:
    from retrogen.notify.senders import DeliveryError


@cli.command()
@click.option(
    "--within",
    type=click.IntRange(min=0),
    default=DEFAULT_WITHIN,
    show_default=True,
    help="Remind of open actions due within this many days.",
)
@click.option(
    "--stale",
    type=click.IntRange(min=1),
    default=DEFAULT_STALE,
    show_default=True,
    help="Remind of open actions with no update for this many days.",
)
@click.option(
    "--owner",
    "owners",
    multiple=True,
    help="Only this owner's actions (repeat for several: a failed send names the owners to resend to).",
)
@click.option("--team", help="Only this team's actions.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "json"]),
    default="text",
    show_default=True,
    help="How to print the digest (without --send).",
)
@click.option(
    "--send",
    "platform",
    type=click.Choice(PLATFORMS),
    help="Send the digest. The address and secret come from the environment only: "
    "RETROGEN_WEBHOOK_URL and RETROGEN_WEBHOOK_SECRET, or RETROGEN_SMTP_* for email.",
)
@no_git_option
@today_option()
@click.pass_context
def remind(
    ctx: click.Context,
    *,
    within: int,
    stale: int,
    owners: tuple[str, ...],
    team: str | None,
    fmt: str,
    platform: str | None,
    no_git: bool,
    today: date,
) -> None:
    """Remind owners of their overdue, soon due and quiet actions, and tell each team's lead of the actions
    overdue more than `escalate_after` days (mkdocs.yml, default 14); without --send, print what would be sent.

    \b
    Example:
        retrogen remind                          # a dry run: the digest, nothing sent
        retrogen remind --team 华东销售部 --format markdown
        RETROGEN_WEBHOOK_URL=... retrogen remind --send wecom
    """
    config = get_config(ctx)
    if platform is not None:
        # HTTP, TLS and SMTP only for a command that sends: a dry run has no use for them.
        from retrogen.notify.senders import DeliveryError, check_settings, send

        check_settings(platform, os.environ)
    analysis = load_analysis(ctx, today, use_git=not no_git)
    escalate_after = config.settings.escalate_after
    # The action table, its timelines, the digest and the escalations live until the command ends, as the
    # analysis does: made with the collector off and frozen, not walked by its passes (0.2 s of them).
    with bulk_loading():
        digests = build_digest(analysis, within=within, stale=stale, team=team, urls=SiteUrls.of(config.mkdocs))
        # An alias names its person.
        wanted = frozenset(config.roster.canonical(owner) for owner in owners) if owners else None
        if wanted is not None:
            digests = [d for d in digests if d.owner in wanted]
        escalations = build_escalations(
            analysis, config.roster, escalate_after=escalate_after, platform=platform, team=team, owners=wanted
        )
    kept_to_the_end(analysis, digests, escalations)  # what is left is to say them: nothing need be freed
    if platform is None:
        style = MARKDOWN if fmt == "markdown" else PLAIN
        if fmt == "json":
            rows = digest_rows([d.as_dict() for d in digests], escalations)
            text = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
        else:
            text = to_text(digests, analysis.today, style, config.language)
            if escalations:
                text += "\n" + dry_run_text(escalations, analysis.today, escalate_after, style, config.language) + "\n"
        click.echo(text, nl=False)
        click.echo("dry run: nothing sent (add --send PLATFORM to send it)", err=True)
        return
    if not digests:
        click.echo(f"Nothing to remind as of {analysis.today.isoformat()}; nothing sent.", err=True)
        return
    for escalation in escalations:  # never dropped in silence
        if escalation.problem:
            actions = ", ".join(f"{i.review}:{i.id}" for i in escalation.items)
            click.echo(f"Not escalated ({escalation.problem}): {actions}", err=True)
    try:
        sent = send(
            platform,
            digests,
            analysis.today,
            os.environ,
            language=config.language,
            roster=config.roster,
            escalations=escalations,
            escalate_after=escalate_after,
        )
    except DeliveryError as exc:  # what went out, what did not, and how to send only the rest
        raise click.ClickException(_delivery_report(exc)) from None
    leads = sum(e.problem is None for e in escalations)
    escalated = f", {leads} lead{'s' if leads != 1 else ''} told of escalations" if leads else ""
    click.echo(
        f"Sent {sent} message{'s' if sent != 1 else ''} to {platform} "
        f"({len(digests)} owner{'s' if len(digests) != 1 else ''}{escalated}).",
        err=True,
    )


def _delivery_report(error: DeliveryError) -> str:
    """The failure, what went out and what did not, and the command that sends only the rest."""
    lines = [str(error), f"Sent {error.sent_messages} of {error.messages} messages."]
    if error.sent:
        lines.append(f"Every reminder of {_owners(error.sent)} went out: {', '.join(error.sent)}.")
    if error.unsent:
        lines.append(f"Not sent (in whole or in part) to {_owners(error.unsent)}: {', '.join(error.unsent)}.")
        again = " ".join(f"--owner {shlex.quote(owner)}" for owner in error.unsent)
        lines.append(f"To send only theirs, run the same command again with: {again}")
    return "\n".join(lines)


def _owners(names: tuple[str, ...]) -> str:
    return f"{len(names)} owner{'s' if len(names) != 1 else ''}"
