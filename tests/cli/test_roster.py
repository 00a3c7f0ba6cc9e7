"""The roster (extra.retrogen.people): aliases are one person everywhere, unknown owners can be refused,
and reminders reach people where the roster says they are."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest

from retrogen.core.errors import ConfigError
from retrogen.gate.config import load_config
from retrogen.gate.people import load_roster
from retrogen.notify.senders import send

from .test_check_and_new import run
from .test_remind import TODAY, Mailbox, Robot, _digest, _env, _remind, _smtp_env, _transport, mailbox, robot

__all__ = ["mailbox", "robot"]  # fixtures used below

ROSTER = """people:
  - name: 刘洋
    aliases: [Liu Yang, 小刘]
    email: liuyang@example.com
    mobile: 13800138000
  - name: 王芳
    aliases: [Wang Fang]
  - name: 孙浩
    email: sunhao@example.com
"""


def with_roster(folder: Path, require: bool = False) -> Path:
    (folder / "people.yaml").write_text(ROSTER, encoding="utf-8")
    config = folder / "mkdocs.yml"
    lines = config.read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(line for line in lines if not line.startswith(("    people:", "    require_known_owners:"))).replace(
        "    reviews_dir: reviews\n",
        f"    reviews_dir: reviews\n    people: people.yaml\n    require_known_owners: {str(require).lower()}\n",
    )
    config.write_text(text, encoding="utf-8")
    return folder


def test_aliases_are_one_owner_in_every_table(knowledge_base: Path) -> None:
    review = knowledge_base / "reviews" / "2026-10-east-sales.yaml"
    review.write_text(review.read_text(encoding="utf-8").replace("owner: 刘洋", "owner: Liu Yang"), encoding="utf-8")
    _, plain = run(
        "actions", "--owner", "刘洋", "--format", "json", "--today", "2026-11-20", "--no-git", cwd=knowledge_base
    )
    assert "2026-10-east-sales" not in {r["review"] for r in json.loads(plain)}  # without a roster: someone else
    with_roster(knowledge_base)
    _, out = run(
        "actions", "--owner", "刘洋", "--format", "json", "--today", "2026-11-20", "--no-git", cwd=knowledge_base
    )
    rows = json.loads(out)
    assert {"2026-10-east-sales", "2026-q3-east-sales"} <= {r["review"] for r in rows}
    assert {r["owner"] for r in rows} == {"刘洋"}


def test_unknown_owners_are_errors_only_when_required(knowledge_base: Path) -> None:
    with_roster(knowledge_base)
    code, out = run("check", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 0 and "RG133" not in out
    with_roster(knowledge_base, require=True)
    code, out = run("check", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 1
    assert "RG133 action A1: owner '王芳 ' is not in the roster" not in out  # names are compared normalised
    assert "owner '张伟' is not in the roster (extra.retrogen.people); add them to the roster" in out
    review = knowledge_base / "reviews" / "2026-10-east-sales.yaml"
    review.write_text(review.read_text(encoding="utf-8").replace("owner: 刘洋", "owner: Wang Fan"), encoding="utf-8")
    _, out = run("check", str(review), "--today", "2026-11-20", cwd=knowledge_base)
    assert "owner 'Wang Fan' is not in the roster (extra.retrogen.people); did you mean 'Wang Fang'?" in out


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("people: x\n", "needs a `people:` list"),
        ("people:\n  - aliases: [x]\n", "people[0] needs a name"),
        ("people:\n  - name: a\n    phone: 1\n", "people[0].phone is not a field of a person"),
        ("people:\n  - name: a\n    aliases: [b]\n  - name: b\n", "'b' names both a and b"),
    ],
)
def test_a_bad_roster_names_file_line_and_field(tmp_path: Path, text: str, words: str) -> None:
    path = tmp_path / "people.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_roster(path)
    assert str(caught.value).startswith(f"{path}:") and words in str(caught.value)


def test_a_missing_roster_is_a_configuration_error(knowledge_base: Path) -> None:
    with_roster(knowledge_base)
    (knowledge_base / "people.yaml").unlink()
    with pytest.raises(ConfigError, match=r"people\.yaml"):
        load_config(knowledge_base / "mkdocs.yml")


def test_dingtalk_mentions_owners_by_their_mobile(robot: Robot, tmp_path: Path) -> None:
    (tmp_path / "people.yaml").write_text("people:\n  - name: 负责人0\n    mobile: 13800138000\n", encoding="utf-8")
    roster = load_roster(tmp_path / "people.yaml")
    send("dingtalk", _digest(owners=2), TODAY, _env(robot), _transport(), roster=roster)
    body = robot.received[0].body
    assert body["at"] == {"atMobiles": ["13800138000"], "isAtAll": False}
    assert body["markdown"]["text"].endswith("@13800138000")


def test_email_goes_to_each_owner_the_roster_can_reach(knowledge_base: Path, mailbox: Mailbox) -> None:
    with_roster(knowledge_base)
    code, out = _remind(knowledge_base, "--send", "email", env=_smtp_env(mailbox))
    assert code == 0, out
    recipients = [
        sorted(email.message_from_string(m, policy=email.policy.default)["To"].split(", ")) for m in mailbox.messages
    ]
    assert ["sunhao@example.com"] in recipients  # 孙浩 has an address and an overdue action: a message of his own
    assert ["lead@example.com", "ops@example.com"] in recipients  # everyone else, in one digest
    assert f"Sent {len(mailbox.messages)} messages to email" in out
