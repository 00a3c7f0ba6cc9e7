"""`retrogen remind` tells the team's lead of the actions overdue more than `escalate_after` days: in the dry
run, in the JSON, and sent to the local robot and mailbox of the remind tests."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from ..unit.test_workload import NORTH, TODAY, workload_knowledge_base
from .test_check_and_new import run
from .test_remind import Mailbox, Robot, _env, _smtp_env, mailbox, robot  # noqa: F401 (fixtures)


@pytest.fixture
def workload_kb(tmp_path: Path) -> Path:
    return workload_knowledge_base(tmp_path)


def _remind(folder: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str]:
    return run("remind", "--today", TODAY.isoformat(), "--no-git", *args, cwd=folder, env=env)


def test_the_dry_run_shows_each_leads_message_and_each_that_reaches_nobody(workload_kb: Path, robot: Robot) -> None:
    code, out = _remind(workload_kb, env=_env(robot))
    assert code == 0, out
    assert "发给 华北销售部 负责人 张伟：\n**" not in out  # plain text: no Markdown
    assert "发给 华北销售部 负责人 张伟：\n升级提醒 2026-12-20：张伟，华北销售部 有 4 项行动逾期超过 14 天\n" in out
    assert "- 2026-q3-north:A7 王芳：行动A7 (逾期 31 天)" in out
    assert "未能升级（the lead Ann Lee of 2026-q3-west is not in the roster (extra.retrogen.people)）：" in out
    assert "dry run: nothing sent" in out and robot.received == []


def test_the_json_marks_each_escalated_item_with_its_lead(workload_kb: Path) -> None:
    code, out = _remind(workload_kb, "--format", "json")
    assert code == 0, out
    owners = {o["owner"]: o for o in json.loads(out[: out.rindex("]") + 1])}
    marks = {item["id"]: item["escalation"] for item in owners["王芳"]["items"]}
    assert marks["A7"] == {"lead": "张伟", "reachable": True, "problem": None}
    assert marks["A4"] is None  # 14 days overdue: not more than escalate_after
    (bob,) = owners["Bob Stone"]["items"]
    assert bob["escalation"]["lead"] == "Ann Lee" and bob["escalation"]["reachable"] is False
    assert "not in the roster" in bob["escalation"]["problem"]


def test_send_tells_the_lead_by_mention_and_says_whom_it_could_not(workload_kb: Path, robot: Robot) -> None:
    code, out = _remind(workload_kb, "--send", "dingtalk", env=_env(robot))
    assert code == 0, out
    digest, *escalations = robot.received
    assert "王芳" in digest.body["markdown"]["text"]
    (north,) = escalations  # Ann Lee and 李娜 cannot be reached: nothing is posted for them
    assert north.body["at"] == {"atMobiles": ["13800000001"], "isAtAll": False}
    text = north.body["markdown"]["text"]
    assert text.startswith("**升级提醒 2026-12-20：张伟，华北销售部 有 4 项行动逾期超过 14 天**\n")
    assert text.endswith("\n\n@13800000001") and "2026-q3-north:A10 刘洋：行动A10 (逾期 80 天)" in text
    assert "Sent 2 messages to dingtalk (4 owners, 1 lead told of escalations)." in out
    assert "Not escalated (the lead Ann Lee of 2026-q3-west is not in the roster" in out
    assert "Not escalated (the roster has no mobile for the lead 李娜 of 2026-q3-south): 2026-q3-south:A1" in out


def test_a_refused_escalation_fails_the_run_and_says_the_reminders_went_out(workload_kb: Path, robot: Robot) -> None:
    robot.answers = [(200, robot.success), (200, json.dumps({"errcode": 310000, "errmsg": "keywords not in content"}))]
    code, out = _remind(workload_kb, "--send", "dingtalk", env=_env(robot))
    assert code == 1
    assert "Sent 1 of 2 messages." in out
    assert "Every reminder of 4 owners went out" in out and "--owner" not in out


def test_wecom_mentions_the_leads_id(workload_kb: Path, robot: Robot) -> None:
    code, out = _remind(workload_kb, "--send", "wecom", "--team", NORTH, env=_env(robot))
    assert code == 0, out
    assert robot.received[-1].body["markdown"]["content"].endswith("\n<@zhangwei>")


@pytest.mark.parametrize(
    ("platform", "contact", "mention", "success"),
    [
        ("feishu", "ou_7d8a6e", "<at id=ou_7d8a6e></at>\n", '{"code": 0, "msg": "success", "data": {}}'),
        ("slack", "U024BE7LH", "<@U024BE7LH>\n", "ok"),
    ],
)
def test_feishu_and_slack_mention_the_leads_id(
    workload_kb: Path, robot: Robot, platform: str, contact: str, mention: str, success: str
) -> None:
    robot.success = success
    roster = workload_kb / "people.yaml"
    roster.write_text(
        roster.read_text(encoding="utf-8").replace("    wecom: zhangwei\n", f"    {platform}: {contact}\n"),
        encoding="utf-8",
    )
    code, out = _remind(workload_kb, "--send", platform, "--team", NORTH, env=_env(robot))
    assert code == 0, out
    body = robot.received[-1].body
    text = body["card"]["elements"][0]["content"] if platform == "feishu" else body["blocks"][0]["text"]["text"]
    assert text.startswith(mention) and "2026-q3-north:A10" in text


def test_email_goes_to_the_leads_address(workload_kb: Path, mailbox: Mailbox) -> None:
    code, out = _remind(workload_kb, "--send", "email", "--team", NORTH, env=_smtp_env(mailbox))
    assert code == 0, out
    escalation = email.message_from_string(mailbox.messages[-1], policy=email.policy.default)
    assert escalation["To"] == "zhangwei@example.com"
    assert escalation["Subject"] == "升级提醒 2026-12-20：张伟，华北销售部 有 4 项行动逾期超过 14 天"
    assert "- 2026-q3-north:A5 王芳：行动A5 (逾期 15 天)" in escalation.get_content()
