"""Send the digest: WeCom, DingTalk and Feishu group robots, Slack incoming webhooks, and e-mail.

Addresses and secrets come from the environment only, and never appear in a message or an error: a webhook
URL carries the robot's token. HTTP and SMTP use the standard library alone.
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from typing import Any

from retrogen.core.errors import ConfigError
from retrogen.gate.people import Roster
from retrogen.notify.digest import OwnerDigest
from retrogen.notify.escalation import DEFAULT_ESCALATE_AFTER, PLATFORMS, Escalation, escalation_message
from retrogen.notify.messages import MARKDOWN, PLAIN, SLACK, owned_sections, pack, pack_owned, title, to_text
from retrogen.notify.webhook import (
    RATE_LIMITS,
    SECRET_VARIABLE,
    URL_VARIABLE,
    Masker,
    SendError,
    Transport,
    Webhook,
    secrets_of,
    webhook_url,
)

__all__ = [
    "PLATFORMS",
    "RATE_LIMITS",
    "SECRET_VARIABLE",
    "URL_VARIABLE",
    "DeliveryError",
    "SendError",
    "Transport",
    "check_settings",
    "send",
]

# What each platform accepts in one message, in bytes of UTF-8 (WeCom documents 4096 for markdown content;
# DingTalk and Feishu limit the request to about 20 KB; a Slack section holds 3000 characters).
WECOM_LIMIT = 4096
DINGTALK_LIMIT = 18_000
FEISHU_LIMIT = 18_000
SLACK_SECTION_LIMIT = 3000
SLACK_BLOCKS = 45  # of Slack's 50 blocks per message, leaving room for the heading
# The transport `send` uses unless given one (tests replace it to pace and time out without waiting).
DEFAULT_TRANSPORT = Transport()


class DeliveryError(SendError):
    """A message failed after retries: which owners' reminders all went out, and whose did not (whole or in
    part), so that a rerun can send only theirs."""

    def __init__(
        self, cause: SendError, sent_messages: int, messages: int, sent: tuple[str, ...], unsent: tuple[str, ...]
    ) -> None:
        super().__init__(str(cause))
        self.sent_messages = sent_messages
        self.messages = messages
        self.sent = sent
        self.unsent = unsent


@dataclass(frozen=True)
class Outgoing:
    """One message to post, and the owners whose reminders (or a part of them) it carries."""

    payload: dict[str, Any]
    owners: tuple[str, ...]


def _deliver(hook: Webhook, messages: list[Outgoing]) -> int:
    """Post the messages in order; the number posted, or a DeliveryError saying whose went out."""
    for done, message in enumerate(messages):
        try:
            hook.post(message.payload)
        except SendError as exc:
            unsent = tuple(dict.fromkeys(o for m in messages[done:] for o in m.owners))
            sent = tuple(dict.fromkeys(o for m in messages[:done] for o in m.owners if o not in unsent))
            raise DeliveryError(exc, done, len(messages), sent, unsent) from None
    return len(messages)


def _wecom(digests: list[OwnerDigest], today: date, language: str, roster: Roster) -> list[Outgoing]:
    heading = MARKDOWN.bold(title(digests, today, language))
    packed = pack_owned([(None, heading), *owned_sections(digests, today, MARKDOWN, language)], WECOM_LIMIT)
    return [Outgoing({"msgtype": "markdown", "markdown": {"content": content}}, owners) for content, owners in packed]


def _dingtalk(digests: list[OwnerDigest], today: date, language: str, roster: Roster) -> list[Outgoing]:
    heading = title(digests, today, language)
    packed = pack_owned([(None, f"### {heading}"), *owned_sections(digests, today, MARKDOWN, language)], DINGTALK_LIMIT)
    # Owners with a mobile number in the roster are mentioned, so DingTalk notifies them by name.
    mobiles = [p.mobile for d in digests if (p := roster.find(d.owner)) and p.mobile]
    messages = []
    for text, owners in packed:
        payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": heading, "text": text}}
        if mobiles:
            payload["markdown"]["text"] = text + "\n\n" + " ".join(f"@{m}" for m in mobiles)
            payload["at"] = {"atMobiles": mobiles, "isAtAll": False}
        messages.append(Outgoing(payload, owners))
    return messages


def _feishu(digests: list[OwnerDigest], today: date, language: str, roster: Roster) -> list[Outgoing]:
    heading = title(digests, today, language)
    packed = pack_owned(owned_sections(digests, today, MARKDOWN, language), FEISHU_LIMIT)
    return [
        Outgoing(
            {
                "msg_type": "interactive",
                "card": {
                    "header": {"title": {"tag": "plain_text", "content": heading}},
                    "elements": [{"tag": "markdown", "content": content}],
                },
            },
            owners,
        )
        for content, owners in packed
    ]


def _slack(digests: list[OwnerDigest], today: date, language: str, roster: Roster) -> list[Outgoing]:
    heading = title(digests, today, language)
    texts = [
        (owner, text)
        for owner, part in owned_sections(digests, today, SLACK, language)
        for text in pack([part], SLACK_SECTION_LIMIT, "\n")
    ]
    batches = [texts[i : i + SLACK_BLOCKS] for i in range(0, len(texts), SLACK_BLOCKS)]
    messages = []
    for batch in batches:
        blocks = [
            {"type": "header", "text": {"type": "plain_text", "text": heading[:150]}},
            *({"type": "section", "text": {"type": "mrkdwn", "text": text}} for _, text in batch),
        ]
        owners = tuple(dict.fromkeys(owner for owner, _ in batch if owner is not None))
        messages.append(Outgoing({"text": heading, "blocks": blocks}, owners))
    return messages


SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}
_SMTP_SETTINGS = (
    "set RETROGEN_SMTP_HOST, RETROGEN_SMTP_FROM and RETROGEN_SMTP_TO (and RETROGEN_SMTP_PORT, "
    "RETROGEN_SMTP_USER, RETROGEN_SMTP_PASSWORD, RETROGEN_SMTP_SECURITY as your server needs)"
)


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: str
    sender: str
    recipients: list[str]
    user: str
    password: str


def smtp_settings(env: Mapping[str, str]) -> SmtpSettings:
    """The SMTP server and addresses from the environment; ConfigError when one is missing or wrong."""
    host = env.get("RETROGEN_SMTP_HOST", "").strip()
    sender = env.get("RETROGEN_SMTP_FROM", "").strip()
    security = env.get("RETROGEN_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    if not (host and sender):
        raise ConfigError(_SMTP_SETTINGS)
    if security not in SMTP_PORTS:
        raise ConfigError(f"RETROGEN_SMTP_SECURITY must be one of {', '.join(SMTP_PORTS)}, not {security!r}")
    port_text = env.get("RETROGEN_SMTP_PORT", "").strip()
    if port_text and not port_text.isdigit():
        raise ConfigError(f"RETROGEN_SMTP_PORT must be a port number, not {port_text!r}")
    return SmtpSettings(
        host,
        int(port_text) if port_text else SMTP_PORTS[security],
        security,
        sender,
        [a.strip() for a in env.get("RETROGEN_SMTP_TO", "").split(",") if a.strip()],
        env.get("RETROGEN_SMTP_USER", ""),
        env.get("RETROGEN_SMTP_PASSWORD", ""),
    )


def check_settings(platform: str, env: Mapping[str, str]) -> None:
    """ConfigError when `platform`'s address or server is missing or unusable: checked on every run, also
    when there is nothing to send, so that a broken setup shows on the first run and not weeks later."""
    if platform == "email":
        smtp_settings(env)
    else:
        webhook_url(env)


def _email(
    env: Mapping[str, str],
    digests: list[OwnerDigest],
    today: date,
    language: str,
    transport: Transport,
    roster: Roster,
    escalations: list[Escalation],
    escalate_after: int,
) -> int:
    """One message to each owner whose e-mail address the roster has, one digest of everyone else to every
    address in RETROGEN_SMTP_TO, and one message to each lead with an escalation."""
    smtp_to = smtp_settings(env)
    addressed = [(d, p.email) for d in digests if (p := roster.find(d.owner)) and p.email]
    rest = [d for d in digests if not any(d is a for a, _ in addressed)]
    if rest and not smtp_to.recipients:
        raise ConfigError(_SMTP_SETTINGS)
    messages = [_message(smtp_to.sender, [address], [digest], today, language) for digest, address in addressed]
    if rest:
        messages.append(_message(smtp_to.sender, smtp_to.recipients, rest, today, language))
    messages += [_escalation_mail(smtp_to.sender, e, today, escalate_after) for e in escalations]
    return _smtp_send(env, smtp_to, messages, transport)


def _smtp_send(
    env: Mapping[str, str], smtp_to: SmtpSettings, messages: list[EmailMessage], transport: Transport
) -> int:
    """Send `messages` in one session with the server; their number, or SendError with the secrets masked."""
    host, port = smtp_to.host, smtp_to.port
    try:
        context = ssl.create_default_context()
        smtp = (
            smtplib.SMTP_SSL(host, port, timeout=transport.timeout, context=context)
            if smtp_to.security == "ssl"
            else smtplib.SMTP(host, port, timeout=transport.timeout)
        )
        with smtp:
            if smtp_to.security == "starttls":
                smtp.starttls(context=context)
            if smtp_to.user:
                smtp.login(smtp_to.user, smtp_to.password)
            for message in messages:
                smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        mask = Masker(secrets_of(env))
        raise SendError(mask(f"email: the SMTP server {host}:{port} refused or failed: {exc}")) from None
    return len(messages)


def _message(sender: str, to: list[str], digests: list[OwnerDigest], today: date, language: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = title(digests, today, language)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message.set_content(to_text(digests, today, PLAIN, language))
    return message


_WEBHOOK_MESSAGES: dict[str, Callable[[list[OwnerDigest], date, str, Roster], list[Outgoing]]] = {
    "wecom": _wecom,
    "dingtalk": _dingtalk,
    "feishu": _feishu,
    "slack": _slack,
}


def send(
    platform: str,
    digests: list[OwnerDigest],
    today: date,
    env: Mapping[str, str],
    transport: Transport | None = None,
    language: str = "en",
    roster: Roster | None = None,
    escalations: Sequence[Escalation] = (),
    escalate_after: int = DEFAULT_ESCALATE_AFTER,
) -> int:
    """Send the digest to `platform` with the settings in `env`, in `language`; the number of messages sent.
    The roster (when given) mentions owners by mobile on DingTalk and mails each owner who has an address.
    Then each reachable lead's escalation (those that reach nobody are the caller's to report), through the
    same robot, so that one pace holds for all, or the same SMTP session.
    A webhook message that fails raises DeliveryError, which says whose reminders went out."""
    transport = transport or DEFAULT_TRANSPORT
    roster = roster or Roster()
    reachable = [e for e in escalations if e.problem is None]
    if platform == "email":
        return _email(env, digests, today, language, transport, roster, reachable, escalate_after)
    hook = Webhook(platform, env, transport)
    messages = _WEBHOOK_MESSAGES[platform](digests, today, language, roster)
    return _deliver(hook, messages + _escalation_messages(platform, reachable, today, escalate_after))


# What one escalation message may take before the mention is added (the mention needs at most a few dozen).
_ESCALATION_LIMITS = {"wecom": WECOM_LIMIT - 200, "dingtalk": DINGTALK_LIMIT, "feishu": FEISHU_LIMIT}


def _escalation_payloads(platform: str, escalation: Escalation, text: str, heading: str) -> list[dict[str, Any]]:
    """The messages that tell the lead on a group robot: the escalation, mentioning the lead by the roster's
    id (DingTalk: mobile number), cut into pieces the platform accepts."""
    contact = escalation.contact(platform)
    if platform == "slack":
        pieces = pack(text.split("\n"), SLACK_SECTION_LIMIT - 40, "\n")
        return [
            {"text": heading, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"<@{contact}>\n{p}"}}]}
            for p in pieces
        ]
    pieces = pack(text.split("\n"), _ESCALATION_LIMITS[platform], "\n")
    if platform == "wecom":
        return [{"msgtype": "markdown", "markdown": {"content": f"{p}\n<@{contact}>"}} for p in pieces]
    if platform == "dingtalk":
        return [
            {
                "msgtype": "markdown",
                "markdown": {"title": heading, "text": f"{p}\n\n@{contact}"},
                "at": {"atMobiles": [contact], "isAtAll": False},
            }
            for p in pieces
        ]
    return [
        {
            "msg_type": "interactive",
            "card": {
                "header": {"title": {"tag": "plain_text", "content": heading}},
                "elements": [{"tag": "markdown", "content": f"<at id={contact}></at>\n{p}"}],
            },
        }
        for p in pieces
    ]


def _escalation_messages(
    platform: str, escalations: list[Escalation], today: date, escalate_after: int
) -> list[Outgoing]:
    """The leads' messages on a group robot. They carry no owner: a failure among them leaves every owner's
    reminder sent, and the error says which message failed."""
    style = SLACK if platform == "slack" else MARKDOWN
    messages = []
    for escalation in escalations:
        heading = escalation_message(escalation, today, escalate_after).split("\n", 1)[0]
        text = escalation_message(escalation, today, escalate_after, style)
        messages += [Outgoing(p, ()) for p in _escalation_payloads(platform, escalation, text, heading)]
    return messages


def _escalation_mail(sender: str, escalation: Escalation, today: date, escalate_after: int) -> EmailMessage:
    text = escalation_message(escalation, today, escalate_after)
    mail = EmailMessage()
    mail["Subject"] = text.split("\n", 1)[0]
    mail["From"] = sender
    mail["To"] = escalation.contact("email")
    mail.set_content(text + "\n")
    return mail
