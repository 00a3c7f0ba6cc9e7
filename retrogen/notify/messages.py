"""The digest in words: plain text for a terminal, Markdown for chat and e-mail, JSON for machines, and
long digests cut into messages a platform accepts."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date

from retrogen.core.words import catalogue
from retrogen.notify.digest import Item, OwnerDigest, Reason


def words(language: str) -> dict[str, str]:
    """The reminder's words in the knowledge base's language (theme.language)."""
    return catalogue(language).reminders


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
SLACK = Style(
    bold=lambda t: f"*{t}*",
    link=lambda t, url: f"<{url}|{t}>",
    escape=lambda t: t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;"),
)


def _counts(counts: dict[Reason, int], language: str, *, keep_zeros: bool) -> str:
    text = words(language)
    return text["and"].join(
        text["count"].format(n=n, what=text[reason]) for reason, n in counts.items() if n or keep_zeros
    )


def title(digests: list[OwnerDigest], today: date, language: str = "en") -> str:
    counts = {r: sum(d.count(r) for d in digests) for r in Reason}
    text = words(language)
    return text["title"].format(day=today.isoformat()) + text["colon"] + _counts(counts, language, keep_zeros=True)


def _item_line(item: Item, today: date, style: Style, text: dict[str, str]) -> str:
    """An item's line, in the reminder's words `text` (looked up once per section, not once per item)."""
    name = f"{item.review}:{item.id}"
    where = style.link(name, item.link) if item.link else name
    when = [text["due"].format(day=item.due.isoformat())]
    if item.days_late:
        when.append(text["late"].format(n=item.days_late))
    if Reason.STALE in item.reasons:
        when.append(text["quiet"].format(n=(today - item.last_update).days))
    return f"- {where} {style.escape(item.action)} ({text['and'].join(when)})"


def owner_section(digest: OwnerDigest, today: date, style: Style, language: str = "en") -> str:
    counts = _counts({r: digest.count(r) for r in Reason}, language, keep_zeros=False)
    text = words(language)
    lines = [style.bold(style.escape(digest.owner)) + text["colon"] + counts]
    return "\n".join(lines + [_item_line(item, today, style, text) for item in digest.items])


def sections(digests: list[OwnerDigest], today: date, style: Style, language: str = "en") -> list[str]:
    """One section per owner; with nobody to remind, one line that says so."""
    return [text for _, text in owned_sections(digests, today, style, language)]


def owned_sections(
    digests: list[OwnerDigest], today: date, style: Style, language: str = "en"
) -> list[tuple[str | None, str]]:
    """Each owner's section with the owner's name; with nobody to remind, one line that says so (nobody's)."""
    if not digests:
        return [(None, words(language)["nothing"].format(day=today.isoformat()))]
    return [(d.owner, owner_section(d, today, style, language)) for d in digests]


def to_text(digests: list[OwnerDigest], today: date, style: Style = PLAIN, language: str = "en") -> str:
    heading = style.bold(title(digests, today, language))
    return "\n\n".join([heading, *sections(digests, today, style, language)]) + "\n"


def to_json(digests: list[OwnerDigest]) -> str:
    return json.dumps([d.as_dict() for d in digests], ensure_ascii=False, indent=2) + "\n"


def _cut(text: str, limit: int) -> str:
    """At most `limit` bytes of UTF-8, never half a character, marked when cut."""
    data = text.encode()
    if len(data) <= limit:
        return text
    return data[: limit - 3].decode(errors="ignore") + "…"


def pack(parts: Iterable[str], limit: int, separator: str = "\n\n") -> list[str]:
    """The parts joined into as few messages of at most `limit` bytes (UTF-8) as keep each part whole; a part
    too long for one message is split at its lines, and a line too long is cut."""
    return [text for text, _ in pack_owned(((None, part) for part in parts), limit, separator)]


def pack_owned(
    parts: Iterable[tuple[str | None, str]], limit: int, separator: str = "\n\n"
) -> list[tuple[str, tuple[str, ...]]]:
    """As `pack`, for parts that belong to an owner (None: to nobody, a heading): each message with the
    owners whose part, or a piece of it, it carries, so that a failed send can say whose messages went out."""
    messages: list[tuple[str, tuple[str, ...]]] = []
    current = ""
    owners: list[str] = []
    for owner, part in parts:
        fits = len(part.encode()) <= limit or "\n" not in part
        pieces = [part] if fits else pack(part.split("\n"), limit, "\n")
        for piece in pieces:
            piece = _cut(piece, limit)
            joined = f"{current}{separator}{piece}" if current else piece
            if len(joined.encode()) <= limit:
                current = joined
            else:
                messages.append((current, tuple(owners)))
                current, owners = piece, []
            if owner is not None and owner not in owners:
                owners.append(owner)
    return [*messages, (current, tuple(owners))] if current else messages
