"""One robot's webhook: POST a JSON message and judge the answer, within a time bound, at the platform's pace,
never following a redirect, and with the robot's token masked in every error.

HTTP uses the standard library alone (urllib, so proxies named in the environment are honoured).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from email.message import Message
from typing import IO, Any

from retrogen.core.errors import ConfigError, RetrogenError

URL_VARIABLE = "RETROGEN_WEBHOOK_URL"
SECRET_VARIABLE = "RETROGEN_WEBHOOK_SECRET"
MAX_RETRY_DELAY = 30.0
# Enough of any answer to judge it and quote it in an error; a server that sends more is not a robot.
MAX_ANSWER_BYTES = 65_536
EXCERPT = 300


class SendError(RetrogenError):
    """A platform refused the message, or could not be reached (exit code 1)."""


@dataclass(frozen=True)
class Transport:
    """How requests are made: the most time each may take, how often 429, 5xx and a platform's rate limit are
    retried and after how long. Tests inject a sleep that does not wait and clocks of their own."""

    timeout: float = 10.0  # for the whole request, connecting to the last byte of the answer
    retries: int = 3
    backoff: Callable[[int], float] = field(default=lambda attempt: 1.0 * 2**attempt)
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.time  # the wall clock, for signatures
    timer: Callable[[], float] = time.monotonic  # for pacing


@dataclass(frozen=True)
class RateLimit:
    """How many messages a robot takes in a window of seconds, and the error codes of a 200 answer that say
    it was sent too fast."""

    messages: int
    seconds: float
    codes: frozenset[int]


# Documented per robot: WeCom takes 20 messages a minute (errcode 45009 beyond); DingTalk 20 a minute
# (errcode 130101, and a ten-minute block). A second of margin covers the network's jitter.
RATE_LIMITS = {
    "wecom": RateLimit(20, 61.0, frozenset({45009})),
    "dingtalk": RateLimit(20, 61.0, frozenset({130101})),
}


# A part of the webhook URL this long may be its token (WeCom's key, DingTalk's access_token, the last part of
# a Feishu or Slack path); shorter ones are words such as "send", which masking would garble.
_TOKEN_LENGTH = 8


def secrets_of(env: Mapping[str, str]) -> list[str]:
    """What must never be shown: the webhook URL and the parts of it that may be its token (as written and
    decoded), the signing secret and the SMTP password."""
    url = env.get(URL_VARIABLE, "").strip()
    parts = urllib.parse.urlsplit(url)
    pieces = [pair.partition("=")[2] for pair in parts.query.split("&")] + parts.path.split("/")
    forms = {form for p in pieces for form in (p, urllib.parse.unquote(p), urllib.parse.unquote_plus(p))}
    return [
        url,
        *(f for f in forms if len(f) >= _TOKEN_LENGTH),
        env.get(SECRET_VARIABLE, ""),
        env.get("RETROGEN_SMTP_PASSWORD", ""),
    ]


def _any_encoding(secret: str) -> str:
    """A pattern of `secret` with each character as written, percent-encoded (either case of hex), or as a
    JSON escape: a server may echo the address it was called at in any of these."""
    pattern = []
    for ch in secret:
        forms = [re.escape(ch), "".join(f"%{byte:02x}" for byte in ch.encode())]
        if ord(ch) < 0x10000:
            forms.append(re.escape(f"\\u{ord(ch):04x}"))
        if ch == " ":
            forms.append(r"\+")
        if ch == "/":
            forms.append(r"\\/")
        pattern.append(f"(?:{'|'.join(forms)})")
    return "".join(pattern)


class Masker:
    """Replaces every secret in a text by ***, in every encoding, the longest secret first (one may contain
    another)."""

    def __init__(self, secrets: Iterable[str]) -> None:
        ordered = sorted({s for s in secrets if s}, key=len, reverse=True)
        self._pattern = re.compile("|".join(map(_any_encoding, ordered)), re.IGNORECASE) if ordered else None

    def __call__(self, text: str) -> str:
        return self._pattern.sub("***", text) if self._pattern else text


_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def webhook_url(env: Mapping[str, str]) -> str:
    """The robot's address from the environment; ConfigError when it is missing or not https."""
    url = env.get(URL_VARIABLE, "").strip()
    if not url:
        raise ConfigError(
            f"set {URL_VARIABLE} to the robot's webhook address (and {SECRET_VARIABLE} to its "
            "signing secret, if it has one)"
        )
    parts = urllib.parse.urlsplit(url)
    # The address carries the robot's token: plain http only to a robot on this machine (a test or a relay).
    if parts.scheme != "https" and not (parts.scheme == "http" and parts.hostname in _LOOPBACK):
        raise ConfigError(f"{URL_VARIABLE} must be an https:// address")
    return url


def sign(key: str, message: str) -> str:
    return base64.b64encode(hmac.new(key.encode(), message.encode(), hashlib.sha256).digest()).decode()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """urllib would resend a POST answered by 301, 302 or 303 as a GET without its body, and take the answer
    to that for the robot's: a redirect stays an answer of its own (an HTTPError), judged as a failure."""

    def redirect_request(
        self, req: urllib.request.Request, fp: IO[bytes], code: int, msg: str, headers: Message, newurl: str
    ) -> None:
        return None


@functools.cache
def _opener() -> urllib.request.OpenerDirector:
    """Made when the first message is sent, not on import: its HTTPS handler loads the system's certificates
    (0.12 s), which a dry run of `remind` never needs."""
    return urllib.request.build_opener(_NoRedirects)


@dataclass(frozen=True)
class _Answer:
    status: int
    body: str
    headers: Message


class _RateLimited(Exception):
    """A 200 answer whose error code says the robot was sent too much; retried after the platform's window."""

    def __init__(self, code: object, message: str) -> None:
        super().__init__(f"error {code}: {message}")


class Pacer:
    """Keeps to a robot's rate limit: before each request, waits until fewer than `messages` requests were
    made in the last `seconds`."""

    def __init__(self, limit: RateLimit | None, transport: Transport) -> None:
        self.limit = limit
        self.transport = transport
        self.made: deque[float] = deque()

    def wait(self) -> None:
        if self.limit is None:
            return
        now = self.transport.timer()
        if len(self.made) >= self.limit.messages:
            free_at = self.made[-self.limit.messages] + self.limit.seconds
            if free_at > now:
                self.transport.sleep(free_at - now)
                now = max(self.transport.timer(), free_at)  # a test's sleep does not move the clock
        self.made.append(now)
        while len(self.made) > self.limit.messages:
            self.made.popleft()


class Webhook:
    """One robot: its address, its secret, and the requests sent to it."""

    def __init__(self, platform: str, env: Mapping[str, str], transport: Transport) -> None:
        self.platform = platform
        self.url = webhook_url(env)
        self.secret = env.get(SECRET_VARIABLE, "").strip()
        self.transport = transport
        self.mask = Masker(secrets_of(env))
        self.pacer = Pacer(RATE_LIMITS.get(platform), transport)

    def post(self, payload: dict[str, Any]) -> None:
        """POST `payload` as JSON (signed, when the platform signs, at the moment it goes); retry 429, 5xx and
        the platform's rate limit; anything but the platform's success answer is a SendError."""
        limit = RATE_LIMITS.get(self.platform)
        for attempt in range(self.transport.retries + 1):
            self.pacer.wait()
            answer = self._exchange(*self._signed(payload))
            retry = answer.status == 429 or answer.status >= 500
            if retry and attempt < self.transport.retries:
                self.transport.sleep(self._delay(attempt, answer.headers.get("Retry-After")))
                continue
            if 300 <= answer.status < 400:
                where = answer.headers.get("Location") or "no Location"
                raise self._error(
                    f"answered HTTP {answer.status}, a redirect to {where}; a message is never "
                    f"sent on to another address: set {URL_VARIABLE} to the address the platform "
                    "gives"
                )
            if not 200 <= answer.status < 300:
                raise self._error(f"answered HTTP {answer.status}: {self._excerpt(answer.body) or 'no body'}")
            try:
                return self._judge(answer.body)
            except _RateLimited as exc:
                if limit is None or attempt >= self.transport.retries:
                    raise self._error(
                        f"refused the message: {exc} (sent too fast; retried {self.transport.retries} times)"
                    ) from None
                # The limit is per window: waiting less than a good part of it only meets the limit again.
                self.transport.sleep(
                    min(limit.seconds, max(self.transport.backoff(attempt), limit.seconds / 4 * 2**attempt))
                )
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _signed(self, payload: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """The address and payload, signed as the platform wants when the robot has a secret."""
        if not self.secret:
            return self.url, payload
        if self.platform == "dingtalk":
            timestamp = str(int(self.transport.clock() * 1000))
            signature = urllib.parse.quote_plus(sign(self.secret, f"{timestamp}\n{self.secret}"))
            joiner = "&" if urllib.parse.urlsplit(self.url).query else "?"
            return f"{self.url}{joiner}timestamp={timestamp}&sign={signature}", payload
        if self.platform == "feishu":
            timestamp = str(int(self.transport.clock()))
            # Feishu signs an empty message with the key "timestamp\nsecret".
            return self.url, {"timestamp": timestamp, "sign": sign(f"{timestamp}\n{self.secret}", ""), **payload}
        return self.url, payload

    def _exchange(self, url: str, payload: dict[str, Any]) -> _Answer:
        """The answer to one POST, within the transport's timeout for the whole exchange: a socket's timeout
        bounds each read only, and a server that trickles a byte at a time would hold the run for minutes.
        The request runs in a thread of its own; past the time bound it is left behind (a daemon: it ends
        with its socket's own timeout, or with the process)."""
        request = urllib.request.Request(
            url,
            data=json.dumps(payload, ensure_ascii=False).encode(),
            headers={"Content-Type": "application/json; charset=utf-8"},
        )
        outcome: list[_Answer | BaseException] = []

        def run() -> None:
            try:
                outcome.append(self._open(request))
            except BaseException as exc:  # handed to the caller's thread, which judges it
                outcome.append(exc)

        worker = threading.Thread(target=run, name=f"retrogen-{self.platform}", daemon=True)
        worker.start()
        worker.join(self.transport.timeout)
        if not outcome:
            raise self._error(f"did not answer within {self.transport.timeout:g} s")
        result = outcome[0]
        if isinstance(result, _Answer):
            return result
        if isinstance(result, urllib.error.URLError):
            raise self._error(f"cannot be reached ({result.reason}); check the network and {URL_VARIABLE}")
        if isinstance(result, TimeoutError):
            raise self._error(f"did not answer within {self.transport.timeout:g} s")
        if isinstance(result, OSError):  # the connection broke off mid-answer
            raise self._error(f"failed: {result}")
        raise result

    def _open(self, request: urllib.request.Request) -> _Answer:
        try:
            with _opener().open(request, timeout=self.transport.timeout) as response:
                return _Answer(response.status, _text(response.read(MAX_ANSWER_BYTES)), response.headers)
        except urllib.error.HTTPError as exc:  # 3xx (never followed), 4xx and 5xx
            with exc:
                return _Answer(exc.code, _text(exc.read(MAX_ANSWER_BYTES)), exc.headers)

    def _delay(self, attempt: int, retry_after: str | None) -> float:
        delay = self.transport.backoff(attempt)
        if retry_after and retry_after.strip().isdigit():
            delay = max(delay, float(retry_after))
        return min(delay, MAX_RETRY_DELAY)

    def _judge(self, body: str) -> None:
        if self.platform == "slack":  # Slack answers "ok"; its errors come with an HTTP error status
            if body.strip() != "ok":
                raise self._error(f"answered something other than ok, not the platform's answer: {self._excerpt(body)}")
            return
        try:
            answer = json.loads(body)
        except ValueError:
            raise self._error(f"answered something other than JSON: {self._excerpt(body)}") from None
        keys = ("code", "StatusCode") if self.platform == "feishu" else ("errcode",)
        present = [k for k in keys if isinstance(answer, dict) and k in answer]
        if not present:
            raise self._error(
                f"answered JSON without {' or '.join(keys)}, not the platform's answer: {self._excerpt(body)}"
            )
        assert isinstance(answer, dict)
        code = answer[present[0]]
        if code != 0:
            message = answer.get("msg") or answer.get("StatusMessage") or answer.get("errmsg") or "no message"
            limit = RATE_LIMITS.get(self.platform)
            if limit and code in limit.codes:
                raise _RateLimited(code, self.mask(str(message)))
            raise self._error(f"refused the message: error {code}: {message}")

    def _excerpt(self, body: str) -> str:
        """The start of an answer to quote, masked before it is cut (a cut token would show its start)."""
        return self.mask(body.strip())[:EXCERPT]

    def _error(self, what: str) -> SendError:
        return SendError(self.mask(f"{self.platform}: the webhook {what}"))


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="replace")
