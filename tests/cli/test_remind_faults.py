"""`retrogen remind --send` against a misbehaving webhook on 127.0.0.1: one that rate-limits as WeCom does
(HTTP 200, errcode 45009), trickles its answer, redirects, answers a JSON list or echoes the address it was
called at. Every case ends in a clear failure (exit 1; exit 2 for missing settings) with no secret in any
output. Time is faked: pacing and backoff are counted, not waited."""

from __future__ import annotations

import json
import shlex
import threading
import time
import urllib.parse
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from retrogen.notify import senders
from retrogen.notify.digest import Item, OwnerDigest, Reason
from retrogen.notify.senders import DeliveryError, SendError, Transport, send

from ..conftest import TODAY
from .test_remind import _no_proxy, _remind, _serving  # noqa: F401 (_no_proxy: an autouse fixture)

TOKEN = "KEY+s3cr3t/t0ken=="  # characters that percent-encoding changes: %2B, %2F, %3D
QUOTED_TOKEN = urllib.parse.quote(TOKEN, safe="")


class FakeTime:
    """A monotonic clock that only a sleep moves; the server reads it too, to rate-limit by it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def timer(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


@dataclass
class Hostile:
    """The webhook's state: what it received and how it answers the next request."""

    url: str
    time: FakeTime
    answer: Callable[[BaseHTTPRequestHandler, Hostile], None]
    bodies: list[dict[str, Any]] = field(default_factory=list)
    accepted_at: list[float] = field(default_factory=list)
    gets: int = 0
    stop: threading.Event = field(default_factory=threading.Event)


def _reply(handler: BaseHTTPRequestHandler, status: int, text: str, headers: dict[str, str] | None = None) -> None:
    data = text.encode()
    handler.send_response(status)
    for name, value in (headers or {}).items():
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


def accept(handler: BaseHTTPRequestHandler, hook: Hostile) -> None:
    hook.accepted_at.append(hook.time.now)
    _reply(handler, 200, '{"errcode": 0, "errmsg": "ok"}')


def rate_limited(handler: BaseHTTPRequestHandler, hook: Hostile) -> None:
    """WeCom: at most 20 messages a minute per robot; beyond, HTTP 200 with errcode 45009."""
    recent = [t for t in hook.accepted_at if t > hook.time.now - 60]
    if len(recent) >= 20:
        _reply(handler, 200, '{"errcode": 45009, "errmsg": "api freq out of limit"}')
    else:
        accept(handler, hook)


def exhausted_after(accepted: int) -> Callable[[BaseHTTPRequestHandler, Hostile], None]:
    """A robot whose minute another sender used up: it accepts `accepted` messages, then only says 45009."""

    def answer(handler: BaseHTTPRequestHandler, hook: Hostile) -> None:
        if len(hook.accepted_at) >= accepted:
            _reply(handler, 200, '{"errcode": 45009, "errmsg": "api freq out of limit"}')
        else:
            accept(handler, hook)

    return answer


@pytest.fixture
def hostile() -> Iterator[Hostile]:
    state: dict[str, Hostile] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hook = state["hook"]
            body = self.rfile.read(int(self.headers["Content-Length"]))
            hook.bodies.append(json.loads(body.decode("utf-8")))
            hook.answer(self, hook)

        def do_GET(self) -> None:  # where a followed redirect would land, body-less
            state["hook"].gets += 1
            _reply(self, 200, '{"errcode": 0, "errmsg": "ok"}')

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["hook"] = Hostile(
        f"http://127.0.0.1:{server.server_port}/cgi-bin/webhook/send?key={QUOTED_TOKEN}", FakeTime(), accept
    )
    with _serving(server):
        yield state["hook"]
        state["hook"].stop.set()


def _transport(clock: FakeTime, timeout: float = 2.0) -> Transport:
    return Transport(timeout=timeout, retries=3, sleep=clock.sleep, clock=lambda: 1_795_000_000.0, timer=clock.timer)


def _env(hook: Hostile) -> dict[str, str]:
    return {"RETROGEN_WEBHOOK_URL": hook.url, "RETROGEN_WEBHOOK_SECRET": ""}


def _owners(count: int) -> list[OwnerDigest]:
    """`count` owners, each with a section too long to share a WeCom message (4,096 bytes) with another."""
    return [
        OwnerDigest(
            f"负责人{o:02d}",
            tuple(
                Item(
                    "2026-10-east-sales",
                    f"A{i}",
                    "编制“产品行业痛点手册”,提供给销售团队" * 3,
                    date(2026, 11, 15),
                    5,
                    "overdue",
                    date(2026, 11, 9),
                    (Reason.OVERDUE,),
                    None,
                )
                for i in range(12)
            ),
        )
        for o in range(count)
    ]


def _no_secret(text: str) -> None:
    for form in (TOKEN, QUOTED_TOKEN, QUOTED_TOKEN.lower(), urllib.parse.quote(QUOTED_TOKEN, safe=""), "s3cr3t"):
        assert form not in text


# WeCom's rate limit: 20 messages a minute


def test_wecom_is_paced_within_20_messages_a_minute(hostile: Hostile) -> None:
    hostile.answer = rate_limited
    sent = send("wecom", _owners(45), TODAY, _env(hostile), _transport(hostile.time))
    assert sent == len(hostile.accepted_at) == len(hostile.bodies) == 45  # none refused, none lost
    times = hostile.accepted_at
    assert all(later - earlier > 60 for earlier, later in zip(times, times[20:], strict=False))
    assert times[-1] - times[0] < 3 * 61  # paced, not slowed: three windows for 45 messages


def test_45009_is_retried_after_a_good_part_of_the_window(hostile: Hostile) -> None:
    """Another sender used up the robot's minute: the refused message is sent again once it has passed."""
    refusals = deque([5, 5])  # the sixth message is refused twice

    def busy(handler: BaseHTTPRequestHandler, hook: Hostile) -> None:
        if refusals and len(hook.accepted_at) == refusals[0]:
            refusals.popleft()
            _reply(handler, 200, '{"errcode": 45009, "errmsg": "api freq out of limit"}')
        else:
            accept(handler, hook)

    hostile.answer = busy
    assert send("wecom", _owners(8), TODAY, _env(hostile), _transport(hostile.time)) == 8
    assert len(hostile.bodies) == 10 and hostile.time.slept == [15.25, 30.5]


def test_a_rate_limit_that_does_not_lift_names_whose_reminders_went_out(hostile: Hostile) -> None:
    hostile.answer = exhausted_after(3)
    owners = _owners(6)
    with pytest.raises(DeliveryError) as raised:
        send("wecom", owners, TODAY, _env(hostile), _transport(hostile.time))
    error = raised.value
    assert "error 45009: api freq out of limit" in str(error)
    assert (error.sent_messages, error.messages) == (3, 6)
    assert error.sent == ("负责人00", "负责人01", "负责人02")
    assert error.unsent == ("负责人03", "负责人04", "负责人05")
    assert len(hostile.bodies) == 3 + 4  # the fourth message: first try and three retries


def test_through_the_command_line_a_rerun_sends_only_the_rest(
    knowledge_base: Path, hostile: Hostile, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(senders, "DEFAULT_TRANSPORT", _transport(hostile.time))
    monkeypatch.setattr(senders, "WECOM_LIMIT", 300)  # one owner a message: the knowledge base has five
    hostile.answer = exhausted_after(2)
    code, out = _remind(knowledge_base, "--send", "wecom", env=_env(hostile))
    assert code == 1 and "Traceback" not in out
    assert "error 45009" in out and "Sent 2 of 5 messages." in out
    assert "Every reminder of 2 owners went out: Jonas Berg, 刘洋." in out
    hint = out[out.index("run the same command again with: ") + 33 :].splitlines()[0]
    rest = shlex.split(hint)[1::2]
    assert shlex.split(hint)[::2] == ["--owner"] * len(rest) and rest == ["吴强", "孙浩", "王芳"]
    _no_secret(out)

    hostile.answer, hostile.bodies = accept, []
    code, out = _remind(knowledge_base, "--send", "wecom", *shlex.split(hint), env=_env(hostile))
    assert code == 0, out
    sent = "\n".join(b["markdown"]["content"] for b in hostile.bodies)
    assert all(f"**{owner}**" in sent for owner in rest)
    assert sent.count("**：") == len(rest)  # each owner's heading once, and nobody else's


# A request's whole time is bounded


def test_an_answer_trickled_a_byte_at_a_time_times_out(hostile: Hostile) -> None:
    def trickle(handler: BaseHTTPRequestHandler, hook: Hostile) -> None:
        answer = b'HTTP/1.1 200 OK\r\nContent-Length: 30\r\n\r\n{"errcode": 0, "errmsg": "ok"}'
        for byte in answer:  # every read returns within the socket's timeout, but the whole takes 6 s
            if hook.stop.wait(0.15):
                return
            try:
                handler.wfile.write(bytes([byte]))
                handler.wfile.flush()
            except OSError:
                return

    hostile.answer = trickle
    started = time.monotonic()
    with pytest.raises(SendError, match=r"did not answer within 0\.6 s") as raised:
        send("wecom", _owners(1), TODAY, _env(hostile), _transport(hostile.time, timeout=0.6))
    assert time.monotonic() - started < 1.5
    _no_secret(str(raised.value))


# Redirects, lists and echoes


@pytest.mark.parametrize("status", [301, 302, 303, 307])
def test_a_redirect_is_a_failure_naming_where_it_points(knowledge_base: Path, hostile: Hostile, status: int) -> None:
    where = hostile.url.replace("/cgi-bin/webhook/send", "/elsewhere")
    hostile.answer = lambda handler, hook: _reply(handler, status, "", {"Location": where})
    code, out = _remind(knowledge_base, "--send", "wecom", env=_env(hostile))
    assert code == 1, out
    assert f"answered HTTP {status}, a redirect to http://127.0.0.1:" in out and "/elsewhere?key=***" in out
    assert hostile.gets == 0 and len(hostile.bodies) == 1  # neither followed nor resent
    _no_secret(out)


@pytest.mark.parametrize(
    ("platform", "answer"),
    [
        ("wecom", "[1, 2]"),
        ("dingtalk", '"ok"'),
        ("feishu", "null"),
        ("wecom", "{}"),
        ("dingtalk", '{"ok": true}'),
        ("slack", "[1, 2]"),
    ],
)
def test_an_answer_that_is_not_the_platforms_is_a_failure_naming_it(
    knowledge_base: Path, hostile: Hostile, platform: str, answer: str
) -> None:
    hostile.answer = lambda handler, hook: _reply(handler, 200, answer)
    code, out = _remind(knowledge_base, "--send", platform, env=_env(hostile))
    assert code == 1, out
    assert f"{platform}: the webhook answered " in out and "not the platform's answer: " + answer in out
    assert "Traceback" not in out


def test_the_key_is_masked_in_every_encoding_the_server_echoes(knowledge_base: Path, hostile: Hostile) -> None:
    def echo(handler: BaseHTTPRequestHandler, hook: Hostile) -> None:
        full = f"http://127.0.0.1:{handler.server.server_address[1]}{handler.path}"
        _reply(
            handler,
            200,
            json.dumps(
                {
                    "errcode": 93000,
                    "errmsg": " ".join(
                        [
                            f"invalid webhook url {handler.path}",
                            QUOTED_TOKEN.lower(),
                            TOKEN,
                            urllib.parse.quote(full, safe=""),
                            urllib.parse.quote_plus(TOKEN),
                        ]
                    ),
                }
            ),
        )

    hostile.answer = echo
    code, out = _remind(knowledge_base, "--send", "wecom", env=_env(hostile))
    assert code == 1 and "error 93000: invalid webhook url /cgi-bin/webhook/send?key=***" in out
    _no_secret(out)


def test_a_body_is_masked_before_it_is_cut(hostile: Hostile) -> None:
    """An excerpt cut in the middle of the key would show the key's start."""
    hostile.answer = lambda handler, hook: _reply(handler, 500, "x" * 290 + QUOTED_TOKEN)
    with pytest.raises(SendError) as raised:
        send("slack", _owners(1), TODAY, _env(hostile), _transport(hostile.time))
    assert str(raised.value).endswith("x" * 10 + "***")
    assert "KEY" not in str(raised.value)


# Settings are checked on every run


@pytest.mark.parametrize(
    ("platform", "missing"),
    [("wecom", "RETROGEN_WEBHOOK_URL"), ("slack", "RETROGEN_WEBHOOK_URL"), ("email", "RETROGEN_SMTP_HOST")],
)
def test_missing_settings_fail_even_with_nothing_to_remind(knowledge_base: Path, platform: str, missing: str) -> None:
    env = {"RETROGEN_WEBHOOK_URL": "", "RETROGEN_SMTP_HOST": "", "RETROGEN_SMTP_FROM": ""}
    code, out = _remind(knowledge_base, "--send", platform, "--owner", "nobody", env=env)
    assert code == 2 and missing in out
