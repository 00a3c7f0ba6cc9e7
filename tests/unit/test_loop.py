"""The closed loop on reviews built by hand: carry, state on a day, verdicts, and the follow-up section."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from retrogen.core.status import State
from retrogen.engine.actions import action_summary, actions_table
from retrogen.engine.history import timelines
from retrogen.engine.loop import Verdict, closed_loop, follow_up, verify
from retrogen.engine.model import Action, Expectation, Metric, Review
from retrogen.gate.loop_rules import previous_review

D = date.fromisoformat
TODAY = D("2026-11-20")


def act(
    action_id: str,
    status: str = "in_progress",
    due: str = "2026-09-30",
    carried_from: str | None = None,
    expects: tuple[str, float, str] | None = None,
    done_on: str | None = None,
) -> Action:
    return Action(
        action_id,
        f"action {action_id}",
        "王芳",
        D(due),
        status=status,
        done_on=D(done_on) if done_on else None,
        carried_from=carried_from,
        expects=Expectation(expects[0], expects[1], D(expects[2])) if expects else None,
    )


def quarter(
    review_id: str,
    start: str,
    end: str,
    held_on: str,
    actions: tuple[Action, ...] = (),
    metrics: tuple[Metric, ...] = (),
    team: str = "华东销售部",
    kind: str = "periodic",
) -> Review:
    return Review(
        review_id,
        review_id,
        kind,
        team,
        D(held_on),
        "goal",
        Path(f"{review_id}.yaml"),
        period_start=D(start),
        period_end=D(end),
        actions=actions,
        metrics=metrics,
    )


def rate(name: str, actual: float, better: str = "higher") -> Metric:
    return Metric("客户", name, "%", 60, actual, better)


Q1 = quarter(
    "q1",
    "2026-01-01",
    "2026-03-31",
    "2026-04-08",
    (
        act("A1", expects=("复购率", 60, "2026-06-30")),
        act("A2", due="2026-05-31"),
        act("A3", expects=("跟进周期", 15, "2026-09-30")),
        act("A4", status="done", done_on="2026-05-01", due="2026-05-31"),
    ),
    (rate("复购率", 52),),
)
Q2 = quarter(
    "q2",
    "2026-04-01",
    "2026-06-30",
    "2026-07-08",
    (act("A1", carried_from="q1:A2", due="2026-08-31"), act("A2", expects=("新客户数", 30, "2026-09-30"))),
    (rate("复购率", 61),),
)
Q3 = quarter(
    "q3",
    "2026-07-01",
    "2026-09-30",
    "2026-10-12",
    (act("A1", due="2026-12-31"),),
    (rate("复购率", 65), Metric("效率", "跟进周期", "天", 15, 22, "lower")),
)
REVIEWS = [Q1, Q2, Q3]


def test_a_carried_action_is_carried_from_the_day_of_the_carrying_review() -> None:
    loop = closed_loop(REVIEWS, TODAY)
    history = timelines(REVIEWS, carried=loop.carried)
    assert loop.carried[("q1", "A2")] == (D("2026-07-08"), ("q2", "A1"))
    a2, timeline = Q1.actions[1], history[("q1", "A2")]
    assert loop.state_on(a2, timeline, D("2026-06-30")) is State.OVERDUE
    assert loop.state_on(a2, timeline, D("2026-07-08")) is State.CARRIED
    assert loop.state_on(a2, timeline, D("2026-04-01")) is None  # not yet held
    assert (timeline[-1].status, timeline[-1].note) == ("carried", "q2:A1")


def test_verdicts_hand_computed() -> None:
    loop = closed_loop(REVIEWS, TODAY)
    # 复购率 60 by 2026-06-30: decided by q2 (held 2026-07-08, the first on or after the date), 61 >= 60; but
    # A1 is still in progress, so the target was met without the action
    met = loop.verifications[("q1", "A1")]
    assert (met.verdict, met.review, met.actual) == (Verdict.MET_WITHOUT_ACTION, "q2", 61)
    # 跟进周期 15 by 2026-09-30 (lower is better): q3 reports 22 days, so missed
    missed = loop.verifications[("q1", "A3")]
    assert (missed.verdict, missed.review, missed.actual, missed.better) == (Verdict.MISSED, "q3", 22, "lower")
    # 新客户数 by 2026-09-30: q3 is held after it but does not report the metric
    assert loop.verifications[("q2", "A2")].verdict is Verdict.NO_DATA
    assert ("q1", "A2") not in loop.verifications  # no expects, no verdict


def test_pending_until_a_review_is_held_on_or_after_by() -> None:
    action = act("A9", status="done", done_on="2026-11-02", expects=("复购率", 70, "2026-12-31"))
    assert verify(action, [Q2, Q3], TODAY).verdict is Verdict.PENDING  # type: ignore[union-attr]
    q4 = quarter("q4", "2026-10-01", "2026-12-31", "2027-01-08", metrics=(rate("复购率", 72),))
    assert verify(action, [Q2, Q3, q4], TODAY).verdict is Verdict.PENDING  # type: ignore[union-attr]  # future
    decided = verify(action, [Q2, Q3, q4], D("2027-01-08"))
    assert decided is not None and (decided.verdict, decided.review) == (Verdict.ACHIEVED, "q4")


@pytest.mark.parametrize(
    ("actual", "better", "verdict"),
    [
        (60, "higher", Verdict.ACHIEVED),
        (59.9, "higher", Verdict.MISSED),
        (15, "lower", Verdict.ACHIEVED),
        (15.1, "lower", Verdict.MISSED),
    ],
)
def test_the_target_is_judged_with_better(actual: float, better: str, verdict: Verdict) -> None:
    target = 60 if better == "higher" else 15
    action = act("A1", status="done", done_on="2026-09-01", expects=("m", target, "2026-09-30"))
    later = quarter("q3", "2026-07-01", "2026-09-30", "2026-10-12", metrics=(Metric("", "m", "x", 1, actual, better),))
    assert verify(action, [later], TODAY).verdict is verdict  # type: ignore[union-attr]


def test_previous_review_is_the_adjacent_period_of_the_same_granularity() -> None:
    monthly = quarter("sep", "2026-09-01", "2026-09-30", "2026-10-05")
    team = sorted([Q1, Q2, Q3, monthly], key=lambda r: r.held_on)
    assert previous_review(Q3, team) is Q2  # not the later-held monthly review
    october = quarter("oct", "2026-10-01", "2026-10-31", "2026-11-05")
    assert previous_review(october, [*team, october]) is monthly
    deal = quarter("deal", "2026-08-01", "2026-08-31", "2026-11-10", kind="project")
    assert previous_review(deal, [*team, october, deal]) is october  # not periodic: the latest earlier review


def test_follow_up_lists_the_previous_review_and_what_is_still_open() -> None:
    loop = closed_loop(REVIEWS, TODAY)
    section = follow_up(Q3, loop, timelines(REVIEWS, carried=loop.carried))
    assert section.previous is Q2
    rows = [(row.review, row.action.id, row.state) for row in section.rows]
    # q1's open actions (A1, A3) are still open on 2026-10-12; A2 was carried into q2; A4 was done
    assert rows == [
        ("q1", "A1", State.OVERDUE),
        ("q1", "A3", State.OVERDUE),
        ("q2", "A1", State.OVERDUE),
        ("q2", "A2", State.OVERDUE),
    ]
    # q3 decides q1:A3 (跟进周期, missed); q2:A2 has no data in q3, which decides nothing for it
    assert [(review, action.id, verdict.verdict) for review, action, verdict in section.decided] == [
        ("q1", "A3", Verdict.MISSED)
    ]


def test_a_monthly_figure_does_not_decide_a_quarterly_goal() -> None:
    september = quarter("sep", "2026-09-01", "2026-09-30", "2026-10-05", metrics=(rate("复购率", 10),))
    team = [Q1, Q2, september, Q3]
    loop = closed_loop(team, TODAY)
    # Q1:A1 expects 复购率 60 by 2026-06-30: decided by Q2 (61), whatever months report
    assert loop.verifications[("q1", "A1")].review == "q2"
    q2_a2 = loop.verifications[("q2", "A2")]  # 新客户数 by 2026-09-30: Q3 has no such metric; September is a month
    assert (q2_a2.verdict, q2_a2.review) == (Verdict.NO_DATA, None)


def test_the_follow_up_shows_the_verdict_as_it_stood_at_the_meeting() -> None:
    early = quarter("q2b", "2026-04-01", "2026-06-30", "2026-07-08", (act("A1", expects=("复购率", 60, "2026-09-30")),))
    q3 = quarter("q3b", "2026-07-01", "2026-09-30", "2026-08-01", metrics=(rate("复购率", 65),))  # held before `by`
    later = quarter("q4b", "2026-10-01", "2026-12-31", "2026-10-12", metrics=(rate("复购率", 70),))
    reviews = [early, q3, later]
    loop = closed_loop(reviews, TODAY)
    assert loop.verifications[("q2b", "A1")].review == "q4b"  # today: decided by the first review on or after by
    section = follow_up(q3, loop, timelines(reviews, carried=loop.carried))
    assert [row.verification.verdict for row in section.rows if row.verification] == [Verdict.PENDING]


def test_the_follow_up_of_a_quarter_shows_every_action_since_the_previous_quarter_by_review() -> None:
    # A monthly review between Q2 and Q3: its done action, not only its open one, is followed up in Q3.
    august = quarter(
        "m08",
        "2026-08-01",
        "2026-08-31",
        "2026-09-05",
        (act("A1", status="done", done_on="2026-09-20", due="2026-09-30"), act("A2", due="2026-12-31")),
    )
    reviews = [Q1, Q2, august, Q3]
    loop = closed_loop(reviews, TODAY)
    section = follow_up(Q3, loop, timelines(reviews, carried=loop.carried))
    assert section.previous is Q2
    assert [(source.id, [(row.action.id, row.state) for row in rows]) for source, rows in section.groups] == [
        ("q1", [("A1", State.OVERDUE), ("A3", State.OVERDUE)]),  # older: only what is still open
        ("q2", [("A1", State.OVERDUE), ("A2", State.OVERDUE)]),
        ("m08", [("A1", State.DONE), ("A2", State.OPEN)]),  # decided since Q2: every action
    ]


# Verification that means something: a met target is credit for the action only when it was done by `by`.
BY = "2026-09-30"
MET = quarter("q3m", "2026-07-01", "2026-09-30", "2026-10-12", metrics=(rate("复购率", 64),))  # 64 >= 60


@pytest.mark.parametrize(
    ("status", "done_on", "verdict"),
    [
        ("done", "2026-09-12", Verdict.ACHIEVED),  # done 18 days before by
        ("done", BY, Verdict.ACHIEVED),  # done on the day: by is inclusive
        ("done", None, Verdict.ACHIEVED),  # done without done_on (RG140): the file's status is all there is
        ("done", "2026-10-01", Verdict.MET_WITHOUT_ACTION),  # done a day after by: the target came without it
        ("cancelled", None, Verdict.MET_WITHOUT_ACTION),
        ("in_progress", None, Verdict.MET_WITHOUT_ACTION),
        ("not_started", None, Verdict.MET_WITHOUT_ACTION),
        ("blocked", None, Verdict.MET_WITHOUT_ACTION),
    ],
)
def test_a_met_target_is_achieved_only_when_the_action_was_done_by_by(
    status: str, done_on: str | None, verdict: Verdict
) -> None:
    action = act("A1", status=status, done_on=done_on, expects=("复购率", 60, BY))
    found = verify(action, [MET], TODAY)
    assert found is not None and (found.verdict, found.review, found.actual) == (verdict, "q3m", 64)


@pytest.mark.parametrize(("status", "done_on"), [("done", "2026-09-12"), ("cancelled", None), ("in_progress", None)])
def test_a_missed_target_stays_missed_whatever_the_action(status: str, done_on: str | None) -> None:
    action = act("A1", status=status, done_on=done_on, expects=("复购率", 65, BY))  # 64 < 65
    assert verify(action, [MET], TODAY).verdict is Verdict.MISSED  # type: ignore[union-attr]


def test_a_carried_action_gets_no_credit_the_action_that_continues_it_does() -> None:
    # q2:A1 expects 复购率 60 by 2026-09-30 and is carried into q3c:A1 (same expectation), done 2026-09-20;
    # q4c (held 2026-10-12) reports 64: the carried one was never done, the one that continues it was.
    q2 = quarter("q2c", "2026-04-01", "2026-06-30", "2026-07-08", (act("A1", expects=("复购率", 60, BY)),))
    q3 = quarter(
        "q3c",
        "2026-07-01",
        "2026-09-30",
        "2026-08-01",
        (act("A1", status="done", done_on="2026-09-20", carried_from="q2c:A1", expects=("复购率", 60, BY)),),
    )
    q4 = quarter("q4c", "2026-10-01", "2026-12-31", "2026-10-12", metrics=(rate("复购率", 64),))
    loop = closed_loop([q2, q3, q4], TODAY)
    assert loop.carried[("q2c", "A1")] == (D("2026-08-01"), ("q3c", "A1"))
    assert loop.verifications[("q2c", "A1")].verdict is Verdict.MET_WITHOUT_ACTION
    assert loop.verifications[("q3c", "A1")].verdict is Verdict.ACHIEVED


def test_the_verification_rate_counts_met_without_action_as_decided_not_achieved() -> None:
    # Three verdicts decided by q3v: A1 done on time and met (achieved), A2 cancelled and met
    # (met_without_action), A3 done on time and missed (跟进周期 22 against 15, lower is better): 1 of 3.
    q2 = quarter(
        "q2v",
        "2026-04-01",
        "2026-06-30",
        "2026-07-08",
        (
            act("A1", status="done", done_on="2026-08-01", expects=("复购率", 60, BY)),
            act("A2", status="cancelled", expects=("复购率", 60, BY)),
            act("A3", status="done", done_on="2026-08-01", expects=("跟进周期", 15, BY)),
        ),
    )
    q3 = quarter(
        "q3v",
        "2026-07-01",
        "2026-09-30",
        "2026-10-12",
        metrics=(rate("复购率", 64), Metric("效率", "跟进周期", "天", 15, 22, "lower")),
    )
    reviews = [q2, q3]
    loop = closed_loop(reviews, TODAY)
    table = actions_table(reviews, timelines(reviews, carried=loop.carried), loop, TODAY)
    assert list(table["verification"]) == ["achieved", "met_without_action", "missed"]
    summary = action_summary(table).iloc[0]
    assert (summary["verified"], summary["achieved"]) == (3, 1)
    assert summary["verification_rate"] == pytest.approx(1 / 3)
