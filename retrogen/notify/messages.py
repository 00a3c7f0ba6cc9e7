"""The digest in words: plain text for a terminal, Markdown for chat and e-mail, JSON for machines, and
long digests cut into messages a platform accepts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from retrogen.notify.digest import Item, OwnerDigest, Reason

REASON_WORDS = {Reason.OVERDUE: "overdue", Reason.DUE_SOON: "due soon", Reason.STALE: "no recent update"}


@dataclass(frozen=True)
class Style:
    """How a platform writes bold text and links, and what in free text it must escape."""

    bold: Callable[[str], str]
    link: Callable[[str, str], str]
    escape: Callable[[str], str]


def _markdown_escape(text: str) -> str:
    return "".join(f"\\{c}" if c in "\\`*_[]<>" else c for c in text)


PLAIN = Style(bold=lambda t: t, link=lambda t, url: f"{t} <{url}>", escape=lambda t: t)
MARKDOWN = Style(bold=lambda t: f"**{t}**", link=lambda t, url: f"[{t}]({url})", escape=_markdown_escape)
# Slack's mrkdwn: *bold*, <url|text>, and &, < and > as entities.
SLACK = Style(bold=lambda t: f"*{t}*", link=lambda t, url: f"<{url}|{t}>",
              escape=lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"))


def title(digests: list[OwnerDigest], today: date) -> str:
    counts = [f"{sum(d.count(r) for d in digests)} {REASON_WORDS[r]}" for r in Reason]
    return f"Action reminders {today.isoformat()}: {', '.join(counts)}"


def _item_line(item: Item, today: date, style: Style) -> str:
    name = f"{item.review}:{item.id}"
    where = style.link(name, item.link) if item.link else name
    when = f"due {item.due.isoformat()}"
    if item.days_late:
        when += f", {item.days_late} days late"
    if Reason.STALE in item.reasons:
        when += f", no update for {(today - item.last_update).days} days"
    return f"- {where} {style.escape(item.action)} ({when})"


def owner_section(digest: OwnerDigest, today: date, style: Style) -> str:
    counts = ", ".join(f"{digest.count(r)} {REASON_WORDS[r]}" for r in Reason if digest.count(r))
    lines = [f"{style.bold(style.escape(digest.owner))}: {counts}"]
    return "\n".join(lines + [_item_line(item, today, style) for item in digest.items])


def sections(digests: list[OwnerDigest], today: date, style: Style) -> list[str]:
    """One section per owner; with nobody to remind, one line that says so."""
    if not digests:
        return [f"No actions to remind as of {today.isoformat()}."]
    return [owner_section(d, today, style) for d in digests]


def to_text(digests: list[OwnerDigest], today: date, style: Style = PLAIN) -> str:
    heading = style.bold(title(digests, today))
    return "\n\n".join([heading, *sections(digests, today, style)]) + "\n"


def to_json(digests: list[OwnerDigest]) -> str:
    return json.dumps([d.as_dict() for d in digests], ensure_ascii=False, indent=2) + "\n"


def _cut(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, never half a character, marked when cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[:limit - 3].decode(errors="ignore") + "…"


def pack(parts: Iterable[str], limit: int, separator: str = "\n\n") -> list[str]:
    """The parts joined into as few messages of at most `limit` bytes (UTF-8) as keep each part whole; a part
    too long for one message is split at its lines, and a line too long is cut."""
    messages: list[str] = []
    current = ""
    for part in parts:
        fits = len(part.encode()) <= limit or "\n" not in part
        pieces = [part] if fits else pack(part.split("\n"), limit, "\n")
        for piece in pieces:
            piece = _cut(piece, limit)
            joined = f"{current}{separator}{piece}" if current else piece
            if len(joined.encode()) <= limit:
                current = joined
            else:
                messages.append(current)
                current = piece
    return [*messages, current] if current else messages
