"""Slips along a carry chain (issue 19, "Memory across meetings"): the original due date, the carries and the
days slipped, hand-computed on a two-carry chain, in the loop, the actions table, `new` and the gate."""

from __future__ import annotations

import json
from datetime import date

import yaml

from retrogen.core.periods import parse_label
from retrogen.engine.actions import actions_table
from retrogen.engine.history import timelines
from retrogen.engine.loop import Slip, closed_loop
from retrogen.engine.model import Action, Expectation
from retrogen.formats.labels import slip_note
from retrogen.formats.tables import formatted
from retrogen.gate.loop_checks import cross_issues
from retrogen.gate.loop_rules import carry_chains
from retrogen.kb.new import prefill_from, render_review

from .test_crosschecks import action as fact
from .test_crosschecks import review as facts
from .test_loop import act, quarter

D = date.fromisoformat
TODAY = D("2026-11-20")

# 王芳's action, first due 2026-05-31, carried into Q2 (new due 2026-08-31) and into Q3 (new due 2026-11-30).
RESOURCES = ("CRM 报表", "2 天培训")
Q1 = quarter("q1", "2026-01-01", "2026-03-31", "2026-04-08", (act("A1", due="2026-05-31"), act("A2")))
Q2 = quarter("q2", "2026-04-01", "2026-06-30", "2026-07-08", (act("A1", carried_from="q1:A1", due="2026-08-31"),))
Q3 = quarter(
    "q3",
    "2026-07-01",
    "2026-09-30",
    "2026-10-12",
    (
        Action(
            "A3",
            "action A1",
            "王芳",
            D("2026-11-30"),
            status="in_progress",
            carried_from="q2:A1",
            resources=RESOURCES,
            expects=Expectation("复购率", 60, D("2026-12-31")),
        ),
    ),
)
REVIEWS = [Q1, Q2, Q3]


def test_a_two_carry_chain_keeps_the_original_due_date() -> None:
    loop = closed_loop(REVIEWS, TODAY)
    # 2026-05-31 -> 2026-08-31: 30 + 31 + 31 = 92 days; -> 2026-11-30: 92 + 30 + 31 + 30 = 183 days.
    assert loop.slips[("q2", "A1")] == Slip(D("2026-05-31"), 1, 92)
    assert loop.slips[("q3", "A3")] == Slip(D("2026-05-31"), 2, 183)
    assert ("q1", "A1") not in loop.slips and ("q1", "A2") not in loop.slips
    assert loop.slip_of(("q1", "A2"), Q1.actions[1]) == Slip(D("2026-09-30"), 0, 0)


def test_carry_chains_count_every_hop_and_survive_a_loop() -> None:
    assert carry_chains({"c": "b", "b": "a", "x": "a"}) == {"c": ("a", 2), "b": ("a", 1), "x": ("a", 1)}
    looped = carry_chains({"a": "b", "b": "a"})  # refused by the gate (RG121); must still end
    assert set(looped) == {"a", "b"}


def test_the_actions_json_rows_carry_the_slip() -> None:
    loop = closed_loop(REVIEWS, TODAY)
    table = actions_table(REVIEWS, timelines(REVIEWS, carried=loop.carried), loop, TODAY)
    rows = {(r["review"], r["id"]): r for r in json.loads(formatted(table, "json"))}
    assert {k: rows[("q3", "A3")][k] for k in ("original_due", "carries", "slip_days", "due")} == {
        "original_due": "2026-05-31",
        "carries": 2,
        "slip_days": 183,
        "due": "2026-11-30",
    }
    assert (rows[("q2", "A1")]["carries"], rows[("q2", "A1")]["slip_days"]) == (1, 92)
    assert {k: rows[("q1", "A1")][k] for k in ("original_due", "carries", "slip_days")} == {
        "original_due": "2026-05-31",
        "carries": 0,
        "slip_days": 0,
    }
    assert "推迟天数" in formatted(table, "csv", "zh").splitlines()[0]


def test_new_keeps_resources_and_expects_and_writes_the_original_due() -> None:
    prefill = prefill_from(REVIEWS, "华东销售部", parse_label("2026-Q4"))
    assert [(review_id, a.id) for review_id, a in prefill.carried] == [("q1", "A2"), ("q3", "A3")]
    text = render_review("q4", "periodic", "zh", "华东销售部", D("2027-01-08"), "schema.json", prefill)
    carried = next(line for line in text.splitlines() if line.startswith("    due:") and "2026-05-31" in line)
    assert carried == "    due: YYYY-MM-DD       # 原定截止 2026-05-31,上次截止 2026-11-30;这是第 3 次结转"
    written = yaml.safe_load(text.replace("YYYY-MM-DD", "2027-03-31"))
    action = next(a for a in written["actions"] if a.get("carried_from") == "q3:A3")
    assert action["resources"] == list(RESOURCES)
    assert action["expects"] == {"metric": "复购率", "target": 60, "by": D("2026-12-31")}
    english = render_review("q4", "periodic", "en", "华东销售部", D("2027-01-08"), "schema.json", prefill)
    assert "# originally due 2026-05-31, last due 2026-11-30; this is carry 3" in english
    assert "# originally due 2026-09-30; this is carry 1" in english  # q1:A2, never carried


def test_a_third_carry_is_a_warning_on_the_review_that_carries_it() -> None:
    chain = [
        facts("q1", "2026-04-08", (fact("A1", due="2026-05-31"),)),
        facts("q2", "2026-07-08", (fact("A1", carried_from="q1:A1", due="2026-08-31"),)),
        facts("q3", "2026-10-12", (fact("A1", carried_from="q2:A1", due="2026-11-30"),)),
    ]
    assert [i.code for i in cross_issues(chain, {"q3"}, TODAY) if i.code == "RG221"] == []  # twice: quiet
    chain.append(facts("q4", "2027-01-08", (fact("A1", carried_from="q3:A1", due="2027-02-28"),)))
    found = [i for i in cross_issues(chain, {"q2", "q3", "q4"}, TODAY) if i.code == "RG221"]
    assert [(i.display, i.field) for i in found] == [("reviews/q4.yaml", "actions[0].carried_from")]
    # 2026-05-31 -> 2027-02-28: 183 + 31 + 31 + 28 = 273 days.
    assert found[0].message == (
        "action A1 is carried forward 3 times: q1:A1 was first due 2026-05-31, now "
        "2027-02-28, 273 days later; rather than carry it again, re-plan it with its "
        "owner, escalate it or cancel it"
    )


def test_the_slip_note_in_both_languages() -> None:
    slip = Slip(D("2026-09-30"), 2, 45)
    assert slip_note(slip, "zh") == "原定 2026-09-30 · 第2次结转 · 推迟 45 天"
    assert slip_note(slip, "en") == "originally due 2026-09-30 · carried twice · slipped 45 days"
    assert slip_note(Slip(D("2026-09-30"), 3, -1), "en") == (
        "originally due 2026-09-30 · carried 3 times · brought forward 1 day"
    )
