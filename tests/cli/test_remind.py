"""`retrogen remind`: the dry run, and each platform's payload, signature, size limit and answers, against
servers on 127.0.0.1 (no network)."""

from __future__ import annotations

import base64
import contextlib
import email
import email.policy
import hashlib
import hmac
import json
import socket
import socketserver
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from retrogen.core.errors import ConfigError
from retrogen.notify.digest import Item, OwnerDigest, Reason
from retrogen.notify.senders import WECOM_LIMIT, SendError, Transport, send

from ..conftest import TODAY
from .test_check_and_new import run

TOKEN = "tok-3f9c2a7d1e"  # the robot's token in the webhook URL: a secret too
SECRET = "SEC-b81f0e6d4c2a9"


@pytest.fixture(autouse=True)
def _no_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """urllib sends even 127.0.0.1 through a proxy named in the environment: these servers are local."""
    for name in ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(name, raising=False)


@dataclass
class Received:
    path: str
    query: dict[str, str]
    body: dict[str, Any]


@dataclass
class Robot:
    """A webhook on 127.0.0.1: it records every request and gives the scripted answers, then success."""

    url: str
    answers: list[tuple[int, str]] = field(default_factory=list)
    received: list[Received] = field(default_factory=list)
    success: str = '{"errcode": 0, "errmsg": "ok"}'


@pytest.fixture
def robot() -> Iterator[Robot]:
    state: dict[str, Robot] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            hook = state["robot"]
            parts = urllib.parse.urlsplit(self.path)
            length = int(self.headers["Content-Length"])
            assert self.headers["Content-Type"].startswith("application/json")
            body = json.loads(self.rfile.read(length).decode("utf-8"))
            hook.received.append(Received(parts.path, dict(urllib.parse.parse_qsl(parts.query)), body))
            status, text = hook.answers.pop(0) if hook.answers else (200, hook.success)
            data = text.encode()
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "1")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state["robot"] = Robot(f"http://127.0.0.1:{server.server_port}/send?key={TOKEN}")
    with _serving(server):
        yield state["robot"]


@contextlib.contextmanager
def _serving(server: socketserver.BaseServer) -> Iterator[None]:
    """`server` answering in a thread of its own until the block ends."""
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield
    finally:
        server.shutdown()
        server.server_close()


class NoWait:
    """A Transport's sleep that records the delays instead of waiting them."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)


CLOCK = 1_795_000_000.123


def _transport(sleep: NoWait | None = None) -> Transport:
    return Transport(timeout=5, retries=2, sleep=sleep or NoWait(), clock=lambda: CLOCK)


def _env(robot: Robot, secret: str = "") -> dict[str, str]:
    return {"RETROGEN_WEBHOOK_URL": robot.url, "RETROGEN_WEBHOOK_SECRET": secret}


def _digest(owners: int = 2, items: int = 1) -> list[OwnerDigest]:
    return [
        OwnerDigest(
            f"负责人{o}",
            tuple(
                Item(
                    "2026-10-east-sales",
                    f"A{i}",
                    "编制“产品行业痛点手册”,提供给销售团队" * 2,
                    date(2026, 11, 15),
                    5,
                    "overdue",
                    date(2026, 11, 9),
                    (Reason.OVERDUE,),
                    f"https://kb.example.com/reviews/r/#a{i}",
                )
                for i in range(items)
            ),
        )
        for o in range(owners)
    ]


def _remind(knowledge_base: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    return run("remind", "--today", TODAY.isoformat(), "--no-git", *args, cwd=knowledge_base, env=env)


# The dry run


def test_without_send_it_prints_the_digest_and_sends_nothing(knowledge_base: Path, robot: Robot) -> None:
    code, out = _remind(knowledge_base, env=_env(robot, SECRET))
    assert code == 0
    assert "孙浩：逾期 1，久未更新 1" in out  # in the knowledge base's language (theme.language: zh)
    assert "2026-09-south-churn-spike:A2" in out and "逾期 20 天，36 天未更新" in out
    assert "dry run: nothing sent" in out
    assert robot.received == [] and TOKEN not in out and SECRET not in out


def test_json_is_a_list_of_owners_with_links_from_site_url(knowledge_base: Path) -> None:
    config = knowledge_base / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8") + "site_url: https://kb.example.com/sales/\n", encoding="utf-8"
    )
    code, out = _remind(knowledge_base, "--format", "json", "--team", "华东销售部")
    assert code == 0
    owners = json.loads(out[: out.rindex("]") + 1])
    assert [o["owner"] for o in owners] == ["刘洋", "王芳"]
    item = owners[1]["items"][0]
    assert item | {"action": None} == {
        "review": "2026-10-east-sales",
        "id": "A2",
        "action": None,
        "due": "2026-11-15",
        "days_late": 5,
        "state": "overdue",
        "last_update": "2026-11-09",
        "reasons": ["overdue"],
        "link": "https://kb.example.com/sales/reviews/2026-10-east-sales/#a2",
        "escalation": None,  # 5 days overdue: not yet the lead's business
    }
    assert owners[1]["overdue"] == 1


def test_markdown_format_in_english(knowledge_base: Path) -> None:
    config = knowledge_base / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("language: zh", "language: en"), encoding="utf-8")
    code, out = _remind(knowledge_base, "--format", "markdown", "--owner", "王芳")
    assert code == 0
    assert out.startswith("**Action reminders 2026-11-20: 1 overdue, 0 due soon, 0 no recent update**")
    assert "**王芳**: 1 overdue" in out


# Each platform's payload and signature


def test_wecom_markdown_is_split_under_4096_bytes(robot: Robot) -> None:
    sent = send("wecom", _digest(owners=12, items=8), TODAY, _env(robot), _transport())
    assert sent == len(robot.received) > 1
    for request in robot.received:
        assert request.path == "/send" and request.query == {"key": TOKEN}
        assert request.body["msgtype"] == "markdown" and set(request.body) == {"msgtype", "markdown"}
        assert len(request.body["markdown"]["content"].encode()) <= WECOM_LIMIT
    everything = "\n".join(r.body["markdown"]["content"] for r in robot.received)
    assert all(f"**负责人{o}**" in everything for o in range(12))


def test_dingtalk_is_signed_in_the_url_when_a_secret_is_set(robot: Robot) -> None:
    assert send("dingtalk", _digest(), TODAY, _env(robot, SECRET), _transport()) == 1
    (request,) = robot.received
    timestamp = request.query["timestamp"]
    assert timestamp == str(int(CLOCK * 1000))
    expected = base64.b64encode(
        hmac.new(SECRET.encode(), f"{timestamp}\n{SECRET}".encode(), hashlib.sha256).digest()
    ).decode()
    assert request.query["sign"] == expected  # parse_qsl undid the URL encoding
    markdown = request.body["markdown"]
    assert request.body["msgtype"] == "markdown" and markdown["title"].startswith("Action reminders 2026-11-20")
    assert "**负责人0**" in markdown["text"]


def test_dingtalk_without_a_secret_is_not_signed(robot: Robot) -> None:
    send("dingtalk", _digest(), TODAY, _env(robot), _transport())
    assert robot.received[0].query == {"key": TOKEN}


def test_feishu_signs_in_the_body(robot: Robot) -> None:
    robot.success = '{"code": 0, "msg": "success", "data": {}}'
    send("feishu", _digest(), TODAY, _env(robot, SECRET), _transport())
    body = robot.received[0].body
    assert body["timestamp"] == str(int(CLOCK))
    key = f"{body['timestamp']}\n{SECRET}".encode()
    assert body["sign"] == base64.b64encode(hmac.new(key, b"", hashlib.sha256).digest()).decode()
    assert body["msg_type"] == "interactive"
    assert body["card"]["header"]["title"]["content"].startswith("Action reminders")
    assert "**负责人1**" in body["card"]["elements"][0]["content"]


def test_slack_sends_text_and_blocks(robot: Robot) -> None:
    robot.success = "ok"
    send("slack", _digest(), TODAY, _env(robot), _transport())
    body = robot.received[0].body
    assert body["text"].startswith("Action reminders 2026-11-20")
    assert body["blocks"][0]["type"] == "header"
    section = body["blocks"][1]["text"]
    assert section["type"] == "mrkdwn" and section["text"].startswith("*负责人0*")
    assert "<https://kb.example.com/reviews/r/#a0|2026-10-east-sales:A0>" in section["text"]


# Answers: platform errors, 429, 500, nobody listening


@pytest.mark.parametrize(
    ("platform", "answer", "message"),
    [
        ("wecom", '{"errcode": 93000, "errmsg": "invalid webhook url"}', "error 93000: invalid webhook url"),
        ("dingtalk", '{"errcode": 310000, "errmsg": "sign not match"}', "error 310000: sign not match"),
        ("feishu", '{"code": 19021, "msg": "sign match fail or timestamp is not within one hour"}', "error 19021"),
    ],
)
def test_an_error_code_in_a_200_answer_fails_with_the_platforms_message(
    robot: Robot, platform: str, answer: str, message: str
) -> None:
    robot.answers = [(200, answer)]
    with pytest.raises(SendError, match=message):
        send(platform, _digest(), TODAY, _env(robot, SECRET), _transport())


def test_429_and_500_are_retried_with_backoff(robot: Robot) -> None:
    robot.answers = [(429, "slow down"), (500, "oops")]
    sleep = NoWait()
    assert send("wecom", _digest(), TODAY, _env(robot), _transport(sleep)) == 1
    assert len(robot.received) == 3
    assert sleep.delays == [1.0, 2.0]  # Retry-After: 1 on the 429, then the backoff of the second attempt


def test_retries_end(robot: Robot) -> None:
    robot.answers = [(500, "down")] * 3
    sleep = NoWait()
    with pytest.raises(SendError, match="answered HTTP 500: down"):
        send("slack", _digest(), TODAY, _env(robot), _transport(sleep))
    assert len(robot.received) == 3 and len(sleep.delays) == 2


def test_a_client_error_is_not_retried(robot: Robot) -> None:
    robot.answers = [(404, "no_team")]
    with pytest.raises(SendError, match="HTTP 404: no_team"):
        send("slack", _digest(), TODAY, _env(robot), _transport())
    assert len(robot.received) == 1


def test_an_unreachable_robot_is_a_clear_error() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    env = {"RETROGEN_WEBHOOK_URL": f"http://127.0.0.1:{port}/send?key={TOKEN}"}
    with pytest.raises(SendError, match="cannot be reached") as raised:
        send("wecom", _digest(), TODAY, env, _transport())
    assert TOKEN not in str(raised.value)


def test_the_address_must_come_from_the_environment_and_be_http() -> None:
    with pytest.raises(ConfigError, match="set RETROGEN_WEBHOOK_URL"):
        send("wecom", _digest(), TODAY, {}, _transport())
    with pytest.raises(ConfigError, match="https://"):
        send("wecom", _digest(), TODAY, {"RETROGEN_WEBHOOK_URL": "file:///etc/passwd"}, _transport())
    with pytest.raises(ConfigError, match="https://"):  # the token would cross the network in clear text
        send("wecom", _digest(), TODAY, {"RETROGEN_WEBHOOK_URL": f"http://example.com/s?key={TOKEN}"}, _transport())


# Through the command line: exit codes, and no secret in any output


def test_send_through_the_command_line(knowledge_base: Path, robot: Robot) -> None:
    code, out = _remind(knowledge_base, "--send", "dingtalk", env=_env(robot, SECRET))
    assert code == 0
    assert "Sent 1 message to dingtalk (5 owners)." in out
    assert "孙浩" in robot.received[0].body["markdown"]["text"]
    assert TOKEN not in out and SECRET not in out


def test_a_refused_message_exits_1_without_secrets(knowledge_base: Path, robot: Robot) -> None:
    robot.answers = [(200, json.dumps({"errcode": 40001, "errmsg": f"invalid key {TOKEN} secret {SECRET}"}))]
    code, out = _remind(knowledge_base, "--send", "wecom", env=_env(robot, SECRET))
    assert code == 1
    assert "error 40001: invalid key *** secret ***" in out
    assert TOKEN not in out and SECRET not in out and "Traceback" not in out


def test_a_missing_address_is_a_usage_error(knowledge_base: Path) -> None:
    code, out = _remind(knowledge_base, "--send", "slack", env={"RETROGEN_WEBHOOK_URL": ""})
    assert code == 2
    assert "set RETROGEN_WEBHOOK_URL" in out


def test_nothing_to_remind_sends_nothing(knowledge_base: Path, robot: Robot) -> None:
    code, out = _remind(knowledge_base, "--send", "wecom", "--owner", "nobody", env=_env(robot))
    assert code == 0 and "nothing sent" in out
    assert robot.received == []


# E-mail, against a few lines of SMTP on 127.0.0.1


@dataclass
class Mailbox:
    port: int
    commands: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    refuse_login: bool = False


@pytest.fixture
def mailbox() -> Iterator[Mailbox]:
    state: dict[str, Mailbox] = {}

    class Handler(socketserver.StreamRequestHandler):
        def reply(self, line: str) -> None:
            self.wfile.write(f"{line}\r\n".encode())

        def handle(self) -> None:
            box = state["box"]
            self.reply("220 localhost ESMTP test")
            lines: list[bytes] | None = None
            while raw := self.rfile.readline():
                if lines is not None:
                    if raw == b".\r\n":
                        box.messages.append(b"".join(lines).decode())
                        lines = None
                        self.reply("250 queued")
                    else:
                        lines.append(raw)
                    continue
                command = raw.decode().strip()
                box.commands.append(command)
                verb = command[:4].upper()
                if verb == "EHLO":
                    self.reply("250-localhost")
                    self.reply("250 AUTH PLAIN")
                elif verb == "AUTH":
                    self.reply("535 5.7.8 authentication failed" if box.refuse_login else "235 ok")
                elif verb == "DATA":
                    lines = []
                    self.reply("354 go on")
                elif verb == "QUIT":
                    self.reply("221 bye")
                    return
                else:
                    self.reply("250 ok")

    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    state["box"] = Mailbox(server.server_address[1])
    with _serving(server):
        yield state["box"]


PASSWORD = "pw-7c1d9e3b"


def _smtp_env(box: Mailbox) -> dict[str, str]:
    return {
        "RETROGEN_SMTP_HOST": "127.0.0.1",
        "RETROGEN_SMTP_PORT": str(box.port),
        "RETROGEN_SMTP_SECURITY": "none",
        "RETROGEN_SMTP_USER": "robot",
        "RETROGEN_SMTP_PASSWORD": PASSWORD,
        "RETROGEN_SMTP_FROM": "retrogen@example.com",
        "RETROGEN_SMTP_TO": "lead@example.com, ops@example.com",
    }


def test_email_sends_one_digest(knowledge_base: Path, mailbox: Mailbox) -> None:
    code, out = _remind(knowledge_base, "--send", "email", env=_smtp_env(mailbox))
    assert code == 0, out
    assert "Sent 1 message to email" in out
    assert any(c.startswith("AUTH PLAIN") for c in mailbox.commands)
    assert [c.upper() for c in mailbox.commands if c.upper().startswith("RCPT")] == [
        "RCPT TO:<LEAD@EXAMPLE.COM>",
        "RCPT TO:<OPS@EXAMPLE.COM>",
    ]
    (raw,) = mailbox.messages
    message = email.message_from_string(raw, policy=email.policy.default)
    assert str(message["Subject"]).strip().startswith("行动提醒 2026-11-20：逾期 2")
    assert isinstance(message, EmailMessage)
    body = message.get_body()
    assert body is not None and "孙浩：逾期 1" in body.get_content()
    assert PASSWORD not in out


def test_email_refused_login_exits_1_without_the_password(knowledge_base: Path, mailbox: Mailbox) -> None:
    mailbox.refuse_login = True
    code, out = _remind(knowledge_base, "--send", "email", env=_smtp_env(mailbox))
    assert code == 1
    assert "authentication failed" in out
    assert PASSWORD not in out and mailbox.messages == []


def test_email_settings_are_checked(knowledge_base: Path, mailbox: Mailbox) -> None:
    code, out = _remind(knowledge_base, "--send", "email", env=_smtp_env(mailbox) | {"RETROGEN_SMTP_TO": ""})
    assert code == 2 and "RETROGEN_SMTP_TO" in out
    code, out = _remind(knowledge_base, "--send", "email", env=_smtp_env(mailbox) | {"RETROGEN_SMTP_SECURITY": "tls13"})
    assert code == 2 and "starttls, ssl, none" in out


def test_a_token_in_the_webhook_path_is_masked_too(robot: Robot) -> None:
    """Slack and Feishu put the token in the path, not the query."""
    token = "XyZ0aB1cD2eF3gH4"
    robot.url = robot.url.replace(f"/send?key={TOKEN}", f"/services/T0/B0/{token}")
    robot.answers = [(403, f"invalid_token {token}")]
    with pytest.raises(SendError) as raised:
        send("slack", _digest(), TODAY, _env(robot), _transport())
    assert str(raised.value) == "slack: the webhook answered HTTP 403: invalid_token ***"


def test_a_dry_run_loads_no_certificates_making_the_opener_only_when_a_message_goes() -> None:
    """The HTTPS handler loads the system's certificates (0.12 s): importing the senders must not make it."""
    import subprocess
    import sys

    probe = (
        "import urllib.request\n"
        "made = []\n"
        "build = urllib.request.build_opener\n"
        "urllib.request.build_opener = lambda *handlers: made.append(handlers) or build(*handlers)\n"
        "import retrogen.cli.notify\n"
        "print(len(made))\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "0"
