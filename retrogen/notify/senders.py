"""Send the digest: WeCom, DingTalk and Feishu group robots, Slack incoming webhooks, and e-mail.

Addresses and secrets come from the environment only, and never appear in a message or an error: a webhook
URL carries the robot's token. HTTP and SMTP use the standard library alone.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import smtplib
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from typing import Any

from retrogen.errors import ConfigError, RetrogenError
from retrogen.notify.digest import OwnerDigest
from retrogen.notify.messages import MARKDOWN, PLAIN, SLACK, pack, sections, title, to_text
from retrogen.people import Roster

PLATFORMS = ("wecom", "dingtalk", "feishu", "slack", "email")
URL_VARIABLE = "RETROGEN_WEBHOOK_URL"
SECRET_VARIABLE = "RETROGEN_WEBHOOK_SECRET"
# What each platform accepts in one message, in bytes of UTF-8 (WeCom documents 4096 for markdown content;
# DingTalk and Feishu limit the request to about 20 KB; a Slack section holds 3000 characters).
WECOM_LIMIT = 4096
DINGTALK_LIMIT = 18_000
FEISHU_LIMIT = 18_000
SLACK_SECTION_LIMIT = 3000
SLACK_BLOCKS = 45  # of Slack's 50 blocks per message, leaving room for the heading
MAX_RETRY_DELAY = 30.0


class SendError(RetrogenError):
    """A platform refused the message, or could not be reached (exit code 1)."""


@dataclass(frozen=True)
class Transport:
    """How requests are made: the timeout of each, how often 429 and 5xx are retried and after how long.
    Tests inject a sleep that does not wait."""

    timeout: float = 10.0
    retries: int = 3
    backoff: Callable[[int], float] = field(default=lambda attempt: 1.0 * 2 ** attempt)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time


# A part of the webhook URL this long may be its token (WeCom's key, DingTalk's access_token, the last part of
# a Feishu or Slack path); shorter ones are words such as "send", which masking would garble.
_TOKEN_LENGTH = 8


def _mask(text: str, secrets: list[str]) -> str:
    """`text` with every secret replaced by ***, the longest first (one may contain another)."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, "***")
    return text


def _secrets(env: Mapping[str, str]) -> list[str]:
    """What must never be shown: the webhook URL and the parts of it that may be its token, the signing
    secret and the SMTP password."""
    url = env.get(URL_VARIABLE, "")
    parts = urllib.parse.urlsplit(url)
    pieces = [v for _, v in urllib.parse.parse_qsl(parts.query)] + parts.path.split("/")
    return [url, *(p for p in pieces if len(p) >= _TOKEN_LENGTH), env.get(SECRET_VARIABLE, ""),
            env.get("RETROGEN_SMTP_PASSWORD", "")]


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def _webhook_url(env: Mapping[str, str]) -> str:
    url = env.get(URL_VARIABLE, "").strip()
    if not url:
        raise ConfigError(f"set {URL_VARIABLE} to the robot's webhook address (and {SECRET_VARIABLE} to its "
                          "signing secret, if it has one)")
    parts = urllib.parse.urlsplit(url)
    # The address carries the robot's token: plain http only to a robot on this machine (a test or a relay).
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        raise ConfigError(f"{URL_VARIABLE} must be an https:// address")
    return url


def _sign(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


@dataclass
class Webhook:
    """One robot: its address, its secret, and the requests sent to it."""

    platform: str
    url: str
    secret: str
    transport: Transport
    secrets: list[str]

    def post(self, payload: dict[str, Any], url: str | None = None) -> None:
        """POST `payload` as JSON; retry 429 and 5xx; an error code in a 200 answer is a failure."""
        request = urllib.request.Request(url or self.url, data=json.dumps(payload, ensure_ascii=False).encode(),
                                         headers={"Content-Type": "application/json; charset=utf-8"})
        for attempt in range(self.transport.retries + 1):
            try:
                with urllib.request.urlopen(request, timeout=self.transport.timeout) as response:
                    body = response.read().decode("utf-8", errors="replace")
                return self._judge(body)
            except urllib.error.HTTPError as exc:
                body = exc.read().decode("utf-8", errors="replace")
                if (exc.code == 429 or exc.code >= 500) and attempt < self.transport.retries:
                    self.transport.sleep(self._delay(attempt, exc.headers.get("Retry-After")))
                    continue
                raise self._error(f"answered HTTP {exc.code}: {body.strip()[:300] or exc.reason}") from None
            except urllib.error.URLError as exc:
                raise self._error(f"cannot be reached ({exc.reason}); check the network and {URL_VARIABLE}") \
                    from None
            except TimeoutError:
                raise self._error(f"did not answer within {self.transport.timeout:g} s") from None
            except OSError as exc:  # the connection broke off mid-answer
                raise self._error(f"failed: {exc}") from None
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.transport.backoff(attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return min(delay, MAX_RETRY_DELAY)

    def _judge(self, body: str) -> None:
        if self.platform == "slack":
            return  # Slack answers "ok"; its errors come with an HTTP error status
        try:
            answer = json.loads(body)
        except ValueError:
            raise self._error(f"answered something other than JSON: {body.strip()[:300]}") from None
        code = answer.get("code", answer.get("StatusCode", 0)) if self.platform == "feishu" \
            else answer.get("errcode", 0)
        if code != 0:
            message = answer.get("msg") or answer.get("StatusMessage") or answer.get("errmsg") or "no message"
            raise self._error(f"refused the message: error {code}: {message}")

    def _error(self, what: str) -> SendError:
        return SendError(_mask(f"{self.platform}: the webhook {what}", self.secrets))


def _wecom(hook: Webhook, digests: list[OwnerDigest], today: date, language: str, roster: Roster) -> int:
    heading = MARKDOWN.bold(title(digests, today, language))
    messages = pack([heading, *sections(digests, today, MARKDOWN, language)], WECOM_LIMIT)
    for content in messages:
        hook.post({"msgtype": "markdown", "markdown": {"content": content}})
    return len(messages)


def _dingtalk(hook: Webhook, digests: list[OwnerDigest], today: date, language: str, roster: Roster) -> int:
    heading = title(digests, today, language)
    messages = pack([f"### {heading}", *sections(digests, today, MARKDOWN, language)], DINGTALK_LIMIT)
    # Owners with a mobile number in the roster are mentioned, so DingTalk notifies them by name.
    mobiles = [p.mobile for d in digests if (p := roster.find(d.owner)) and p.mobile]
    for text in messages:
        url = hook.url
        if hook.secret:
            timestamp = str(int(hook.transport.clock() * 1000))
            sign = urllib.parse.quote_plus(_sign(hook.secret, f"{timestamp}\n{hook.secret}"))
            url += ("&" if urllib.parse.urlsplit(url).query else "?") + f"timestamp={timestamp}&sign={sign}"
        payload: dict[str, Any] = {"msgtype": "markdown", "markdown": {"title": heading, "text": text}}
        if mobiles:
            payload["markdown"]["text"] = text + "\n\n" + " ".join(f"@{m}" for m in mobiles)
            payload["at"] = {"atMobiles": mobiles, "isAtAll": False}
        hook.post(payload, url)
    return len(messages)


def _feishu(hook: Webhook, digests: list[OwnerDigest], today: date, language: str, roster: Roster) -> int:
    heading = title(digests, today, language)
    messages = pack(sections(digests, today, MARKDOWN, language), FEISHU_LIMIT)
    for content in messages:
        payload: dict[str, Any] = {"msg_type": "interactive", "card": {
            "header": {"title": {"tag": "plain_text", "content": heading}},
            "elements": [{"tag": "markdown", "content": content}]}}
        if hook.secret:
            timestamp = str(int(hook.transport.clock()))
            # Feishu signs an empty message with the key "timestamp\nsecret".
            payload = {"timestamp": timestamp, "sign": _sign(f"{timestamp}\n{hook.secret}", ""), **payload}
        hook.post(payload)
    return len(messages)


def _slack(hook: Webhook, digests: list[OwnerDigest], today: date, language: str, roster: Roster) -> int:
    heading = title(digests, today, language)
    texts = [t for part in sections(digests, today, SLACK, language) for t in pack([part], SLACK_SECTION_LIMIT, "\n")]
    batches = [texts[i:i + SLACK_BLOCKS] for i in range(0, len(texts), SLACK_BLOCKS)]
    for batch in batches:
        blocks = [{"type": "header", "text": {"type": "plain_text", "text": heading[:150]}},
                  *({"type": "section", "text": {"type": "mrkdwn", "text": text}} for text in batch)]
        hook.post({"text": heading, "blocks": blocks})
    return len(batches)


SMTP_PORTS = {"starttls": 587, "ssl": 465, "none": 25}


def _email(env: Mapping[str, str], digests: list[OwnerDigest], today: date, language: str,
           transport: Transport, roster: Roster) -> int:
    """One message to each owner whose e-mail address the roster has, and one digest of everyone else to
    every address in RETROGEN_SMTP_TO."""
    host = env.get("RETROGEN_SMTP_HOST", "").strip()
    sender = env.get("RETROGEN_SMTP_FROM", "").strip()
    recipients = [a.strip() for a in env.get("RETROGEN_SMTP_TO", "").split(",") if a.strip()]
    security = env.get("RETROGEN_SMTP_SECURITY", "starttls").strip().lower() or "starttls"
    addressed = [(d, p.email) for d in digests if (p := roster.find(d.owner)) and p.email]
    rest = [d for d in digests if not any(d is a for a, _ in addressed)]
    if not (host and sender and (recipients or not rest)):
        raise ConfigError("set RETROGEN_SMTP_HOST, RETROGEN_SMTP_FROM and RETROGEN_SMTP_TO (and "
                          "RETROGEN_SMTP_PORT, RETROGEN_SMTP_USER, RETROGEN_SMTP_PASSWORD, RETROGEN_SMTP_SECURITY "
                          "as your server needs)")
    if security not in SMTP_PORTS:
        raise ConfigError(f"RETROGEN_SMTP_SECURITY must be one of {', '.join(SMTP_PORTS)}, not {security!r}")
    port_text = env.get("RETROGEN_SMTP_PORT", "").strip()
    if port_text and not port_text.isdigit():
        raise ConfigError(f"RETROGEN_SMTP_PORT must be a port number, not {port_text!r}")
    port = int(port_text) if port_text else SMTP_PORTS[security]
    messages = [_message(sender, [address], [digest], today, language) for digest, address in addressed]
    if rest:
        messages.append(_message(sender, recipients, rest, today, language))
    user, password = env.get("RETROGEN_SMTP_USER", ""), env.get("RETROGEN_SMTP_PASSWORD", "")
    try:
        context = ssl.create_default_context()
        smtp = smtplib.SMTP_SSL(host, port, timeout=transport.timeout, context=context) if security == "ssl" \
            else smtplib.SMTP(host, port, timeout=transport.timeout)
        with smtp:
            if security == "starttls":
                smtp.starttls(context=context)
            if user:
                smtp.login(user, password)
            for message in messages:
                smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise SendError(_mask(f"email: the SMTP server {host}:{port} refused or failed: {exc}",
                              _secrets(env))) from None
    return len(messages)


def _message(sender: str, to: list[str], digests: list[OwnerDigest], today: date, language: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = title(digests, today, language)
    message["From"] = sender
    message["To"] = ", ".join(to)
    message.set_content(to_text(digests, today, PLAIN, language))
    return message


_WEBHOOK_SENDERS: dict[str, Callable[[Webhook, list[OwnerDigest], date, str, Roster], int]] = {
    "wecom": _wecom, "dingtalk": _dingtalk, "feishu": _feishu, "slack": _slack}


def send(platform: str, digests: list[OwnerDigest], today: date, env: Mapping[str, str],
         transport: Transport | None = None, language: str = "en", roster: Roster | None = None) -> int:
    """Send the digest to `platform` with the settings in `env`, in `language`; the number of messages sent.
    The roster (when given) mentions owners by mobile on DingTalk and mails each owner who has an address."""
    transport = transport or Transport()
    roster = roster or Roster()
    if platform == "email":
        return _email(env, digests, today, language, transport, roster)
    hook = Webhook(platform, _webhook_url(env), env.get(SECRET_VARIABLE, "").strip(), transport, _secrets(env))
    return _WEBHOOK_SENDERS[platform](hook, digests, today, language, roster)
