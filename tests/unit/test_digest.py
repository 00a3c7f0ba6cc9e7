"""The reminder digest: who has what to follow up, with the same numbers as `retrogen actions`."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from retrogen.core.status import State
from retrogen.engine.actions import filter_actions
from retrogen.engine.analysis import Analysis, analyse
from retrogen.formats.urls import SiteUrls
from retrogen.gate.config import load_config
from retrogen.notify.digest import Item, OwnerDigest, Reason, build_digest
from retrogen.notify.escalation import build_escalations

from ..cli.test_check_and_new import run
from ..conftest import TODAY


@pytest.fixture
def analysis(knowledge_base: Path) -> Analysis:
    return analyse(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)


def _actions(knowledge_base: Path, *args: str) -> list[dict[str, object]]:
    code, out = run("actions", "--today", TODAY.isoformat(), "--no-git", "--format", "json", *args, cwd=knowledge_base)
    assert code == 0, out
    start = out.index("[")  # after any notice on stderr, which the runner mixes in
    rows: list[dict[str, object]] = json.loads(out[start:])
    return rows


def test_overdue_per_owner_agrees_with_retrogen_actions(knowledge_base: Path, analysis: Analysis) -> None:
    digest = build_digest(analysis)
    overdue = _actions(knowledge_base, "--overdue")
    owners = {str(row["owner"]) for row in overdue}
    assert owners == {d.owner for d in digest if d.count(Reason.OVERDUE)}
    for owner_digest in digest:
        expected = [row for row in overdue if row["owner"] == owner_digest.owner]
        assert owner_digest.count(Reason.OVERDUE) == len(expected)
        listed = {(i.review, i.id, i.days_late) for i in owner_digest.items if Reason.OVERDUE in i.reasons}
        assert listed == {(r["review"], r["id"], r["days_late"]) for r in expected}


def test_every_reminded_action_is_open_in_retrogen_actions(knowledge_base: Path, analysis: Analysis) -> None:
    open_rows = {(r["review"], r["id"]): r for r in _actions(knowledge_base, "--status", "open")}
    items = [item for d in build_digest(analysis) for item in d.items]
    assert items and all((i.review, i.id) in open_rows for i in items)
    assert all(open_rows[(i.review, i.id)]["state"] == i.state for i in items)


def test_the_fixture_digest(analysis: Analysis) -> None:
    digest = {d.owner: d for d in build_digest(analysis)}
    assert sorted(digest) == ["Jonas Berg", "刘洋", "吴强", "孙浩", "王芳"]
    # Overdue for 20 days, and nothing heard since its update of 2026-10-15.
    (item,) = digest["孙浩"].items
    assert (item.review, item.id, item.days_late, item.last_update) == (
        "2026-09-south-churn-spike",
        "A2",
        20,
        date(2026, 10, 15),
    )
    assert item.reasons == (Reason.OVERDUE, Reason.STALE)
    # Due today: due soon, not overdue.
    assert digest["刘洋"].items[0].reasons == (Reason.DUE_SOON,)
    assert digest["刘洋"].items[0].days_late is None


def test_carried_actions_are_reminded_in_the_review_that_carries_them(analysis: Analysis) -> None:
    """2026-q3-east-sales:A3 (王芳) was carried into 2026-10-east-sales:A2: only the new one is reminded."""
    (item,) = next(d for d in build_digest(analysis) if d.owner == "王芳").items
    assert (item.review, item.id) == ("2026-10-east-sales", "A2")


def test_windows_and_filters(analysis: Analysis) -> None:
    wide = build_digest(analysis, within=30, stale=10_000)
    assert sum(d.count(Reason.STALE) for d in wide) == 0
    assert sum(d.count(Reason.DUE_SOON) for d in wide) == 7  # open and due by 2026-12-20
    assert [d.owner for d in build_digest(analysis, team="华南客户成功部")] == ["吴强", "孙浩"]
    assert [d.owner for d in build_digest(analysis, owner="王芳")] == ["王芳"]
    assert build_digest(analysis, owner="nobody") == []


def test_links_point_at_the_action_on_its_review_page(analysis: Analysis) -> None:
    digest = build_digest(analysis, owner="王芳", urls=SiteUrls(site_url="https://kb.example.com/sales/"))
    assert digest[0].items[0].link == "https://kb.example.com/sales/reviews/2026-10-east-sales/#a2"
    files = SiteUrls(directory_urls=False, site_url="https://kb.example.com/sales")
    assert build_digest(analysis, owner="王芳", urls=files)[0].items[0].link == (
        "https://kb.example.com/sales/reviews/2026-10-east-sales.html#a2"
    )
    assert build_digest(analysis, owner="王芳", urls=SiteUrls())[0].items[0].link is None
    assert build_digest(analysis, owner="王芳")[0].items[0].link is None


def test_an_update_that_keeps_the_status_is_news(knowledge_base: Path) -> None:
    """孙浩's overdue action has been in_progress since 2026-10-15; a note on 2026-11-18 that keeps the status
    means it is no longer quiet, though the status timeline does not change."""
    review = knowledge_base / "reviews" / "2026-09-south-churn-spike.yaml"
    text = review.read_text(encoding="utf-8")
    note = "        note: 通知模板已定稿,流程待法务确认\n"
    assert note in text
    review.write_text(
        text.replace(note, note + "      - date: 2026-11-18\n        status: in_progress\n        note: 法务已确认\n"),
        encoding="utf-8",
    )
    analysis = analyse(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    (item,) = build_digest(analysis, owner="孙浩")[0].items
    assert item.last_update == date(2026, 11, 18)
    assert item.reasons == (Reason.OVERDUE,)


def test_an_owners_counts_are_those_of_the_items_reasons() -> None:
    """Counted once and kept: each reason's count is still how many items give it, an item once per reason."""

    def item(number: int, *reasons: Reason) -> Item:
        return Item("r", f"A{number}", "act", date(2026, 11, 1), None, "open", date(2026, 10, 1), reasons, None)

    items = (
        item(1, Reason.OVERDUE, Reason.STALE),
        item(2, Reason.DUE_SOON),
        item(3, Reason.STALE, Reason.STALE),
        item(4, Reason.OVERDUE),
    )
    digest = OwnerDigest("张伟", items)
    assert {r: digest.count(r) for r in Reason} == {Reason.OVERDUE: 2, Reason.DUE_SOON: 1, Reason.STALE: 2}
    assert digest.as_dict()["stale"] == 2
    assert OwnerDigest("张伟", ()).count(Reason.OVERDUE) == 0


def test_remind_reads_the_actions_states_and_builds_no_action_table(knowledge_base: Path) -> None:
    # The digest and the escalations work from the actions' states: the 25-column table cost remind a tenth
    # of a second at 10,000 reviews, and it must say the same as that table does.
    config = load_config(knowledge_base / "mkdocs.yml")
    analysis = analyse(config, TODAY, use_git=False)
    digest = build_digest(analysis, within=10_000, stale=1)
    escalations = build_escalations(analysis, config.roster, escalate_after=0)
    assert "actions" not in analysis.__dict__
    table = filter_actions(analysis.actions, status=State.OPEN)
    reminded = {(i.review, i.id, d.owner, i.action, i.due, i.state, i.days_late) for d in digest for i in d.items}
    rows = zip(
        *(table[c].tolist() for c in ("review", "id", "owner", "action", "due", "state", "days_late")), strict=True
    )
    assert reminded == {(*row[:6], None if pd.isna(row[6]) else row[6]) for row in rows}
    late = table[table["state"] == State.OVERDUE].sort_values(
        ["days_late", "review", "id"], ascending=[False, True, True]
    )
    escalated = sorted((i for e in escalations for i in e.items), key=lambda i: (-i.days_late, i.review, i.id))
    expected = zip(*(late[c].tolist() for c in ("review", "id", "owner", "action", "days_late")), strict=True)
    assert [tuple(i) for i in escalated] == [tuple(row) for row in expected]
    assert len(escalated) >= 2
    for escalation in escalations:  # each lead's items, the most days late first, then by review and id
        assert list(escalation.items) == sorted(escalation.items, key=lambda i: (-i.days_late, i.review, i.id))
