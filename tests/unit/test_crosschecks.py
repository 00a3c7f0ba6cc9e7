"""The closed loop as the gate judges it, on facts built by hand: carried_from, follow-up, expects, previous."""

from __future__ import annotations

from datetime import date

from retrogen.core.periods import parse_label
from retrogen.gate.loader import Position
from retrogen.gate.loop_checks import ActionFacts, CrossIssue, MetricFacts, ReviewFacts, cross_issues

HERE = Position(1, 1)


def action(
    action_id: str,
    status: str = "in_progress",
    carried_from: str | None = None,
    expects: str | None = None,
    owner: str = "王芳",
    due: str = "2026-11-05",
    done_on: str | None = None,
) -> ActionFacts:
    return ActionFacts(
        action_id,
        owner,
        date.fromisoformat(due),
        status,
        date.fromisoformat(done_on) if done_on else None,
        carried_from,
        expects,
        HERE,
        HERE,
        Position(7, 19),
        Position(9, 17),
    )


def review(
    review_id: str,
    held_on: str,
    actions: tuple[ActionFacts, ...] = (),
    team: str = "华东销售部",
    period: str | None = None,
    metrics: tuple[MetricFacts, ...] = (),
    kind: str | None = None,
) -> ReviewFacts:
    return ReviewFacts(
        review_id,
        f"reviews/{review_id}.yaml",
        team,
        date.fromisoformat(held_on),
        parse_label(period) if period else None,
        actions,
        metrics,
        Position(30, 1),
        kind or ("periodic" if period else "project"),
    )


Q2 = review("q2", "2026-07-08", (action("A1", "done"), action("A2"), action("A3", "blocked")), period="2026-Q2")


def issues(*reviews: ReviewFacts, checked: str | None = None) -> list[CrossIssue]:
    return list(cross_issues(reviews, {checked or reviews[-1].id}, date(2026, 10, 1)))


def codes(*reviews: ReviewFacts) -> list[tuple[str, str]]:
    return [(i.code, i.message) for i in issues(*reviews)]


def test_carrying_every_open_action_closes_the_loop() -> None:
    q3 = review("q3", "2026-10-12", (action("A1", carried_from="q2:A2"), action("A2", carried_from="q2:A3")))
    assert issues(Q2, q3) == []


def test_an_open_action_not_followed_up_is_named_on_the_latest_review() -> None:
    # A3 of q2 is due after q3's meeting, but q2 is the previous quarter: q3 follows up every open action of it.
    q3 = review("q3", "2026-10-12", (action("A1", carried_from="q2:A2"),), period="2026-Q3")
    [found] = issues(Q2, q3)
    assert (found.code, found.display, found.position) == ("RG216", "reviews/q3.yaml", Position(30, 1))
    assert found.message == (
        "A3 of q2 (王芳, due 2026-11-05) is still open and not followed up in this review; "
        "carry it (carried_from: q2:A3) or close it in its review"
    )


def test_earlier_reviews_stay_quiet() -> None:
    q3 = review("q3", "2026-10-12")
    assert issues(Q2, q3, checked="q2") == []  # q2 is history: only the team's latest review follows up


def test_other_teams_do_not_follow_up_each_other() -> None:
    emea = review("emea-q3", "2026-10-20", team="EMEA")
    assert issues(Q2, emea) == []


def test_carried_from_must_name_an_existing_review_and_action() -> None:
    carried = (
        action("A1", carried_from="q22:A2"),
        action("A2", carried_from="q2:A9"),
        action("A3", carried_from="q2:A2"),
        action("A4", carried_from="q2:A3"),
    )
    assert codes(Q2, review("q3", "2026-10-12", carried)) == [
        ("RG120", "action A1: carried_from names review 'q22', which is not in the knowledge base; did you mean q2?"),
        ("RG120", "action A2: q2 has no action A9 (its actions: A1, A2, A3)"),
    ]


def test_carried_from_must_be_earlier_and_of_the_same_team() -> None:
    later = review("q4", "2026-12-20", (action("A1"),))
    other = review("emea", "2026-07-01", (action("A1"),), team="EMEA")
    q3 = review(
        "q3",
        "2026-10-12",
        (action("A1", carried_from="q4:A1"), action("A2", carried_from="emea:A1"), action("A3", carried_from="q3:A1")),
    )
    found = [(i.code, i.message.split(";")[0]) for i in issues(Q2, later, other, q3, checked="q3")]
    assert found == [
        ("RG121", "action A1: carried_from names q4, held 2026-12-20, after this review (2026-10-12)"),
        ("RG121", "action A2: carried_from names a review of another team (EMEA)"),
        ("RG121", "action A3: carried_from names this same review"),
    ]


def test_carrying_a_closed_action_is_a_warning() -> None:
    q3 = review(
        "q3",
        "2026-10-12",
        (action("A1", carried_from="q2:A1"), action("A2", carried_from="q2:A2"), action("A3", carried_from="q2:A3")),
    )
    assert codes(Q2, q3) == [
        (
            "RG215",
            "action A1: carries q2:A1, which is already done; carry only what is still open, or start a new action",
        )
    ]


def metric(name: str, actual: float, previous: float | None = None, unit: str = "%") -> MetricFacts:
    return MetricFacts(name, unit, actual, previous, Position(12, 15))


def test_expects_must_name_a_metric_the_team_reports() -> None:
    q2 = review("q2", "2026-07-08", metrics=(metric("老客户复购率", 61),), period="2026-Q2")
    q3 = review("q3", "2026-10-12", (action("A1", expects="老客户复购"), action("A2", expects="老客户复购率")))
    [found] = issues(q2, q3)
    assert found.code == "RG217" and found.position == Position(9, 17)
    assert found.message.endswith("so it can never be verified; did you mean '老客户复购率'?")


def test_a_stated_previous_must_agree_with_the_adjacent_period() -> None:
    q1 = review("q1", "2026-04-08", metrics=(metric("复购率", 40),), period="2026-Q1")
    q2 = review(
        "q2", "2026-07-08", metrics=(metric("复购率", 61), metric("销售额", 300, unit="万元")), period="2026-Q2"
    )
    q3 = review(
        "q3",
        "2026-10-12",
        period="2026-Q3",
        metrics=(metric("复购率", 65, previous=58), metric("销售额", 320, previous=300.9, unit="万元")),
    )
    [found] = issues(q1, q2, q3)  # 300.9 against 300 is within rounding (0.3%); 58 against 61 is not
    assert (found.code, found.field) == ("RG218", "metrics[0].previous")
    assert found.message == (
        "metric 复购率 states previous 58, but q2 reported 61 for 2026-Q2; use 61 or remove previous"
    )


def test_previous_is_not_compared_across_granularities() -> None:
    june = review("june", "2026-07-02", metrics=(metric("复购率", 10),), period="2026-06")
    q3 = review("q3", "2026-10-12", metrics=(metric("复购率", 65, previous=58),), period="2026-Q3")
    assert issues(june, q3) == []


def test_an_action_carried_forward_is_no_longer_overdue_in_its_review() -> None:
    q3 = review(
        "q3",
        "2026-10-12",
        (action("A1", carried_from="q2:A2", due="2026-12-31"), action("A2", carried_from="q2:A3", due="2026-12-31")),
    )
    late = list(cross_issues([Q2, q3], {"q2", "q3"}, date(2026, 11, 20)))
    assert [(i.display, i.code) for i in late] == []  # A1 done, A2 and A3 carried: nothing is overdue
    q3_partial = review("q3", "2026-10-12", (action("A1", carried_from="q2:A2", due="2026-12-31"),))
    late = list(cross_issues([Q2, q3_partial], {"q2"}, date(2026, 11, 20)))
    assert [(i.display, i.code, i.message) for i in late] == [
        (
            "reviews/q2.yaml",
            "RG201",
            "action A3 is overdue: due 2026-11-05, still blocked; finish it or agree a new due date",
        )
    ]


def test_an_action_carried_twice_is_an_error() -> None:
    q3 = review("q3", "2026-10-12", (action("A1", carried_from="q2:A2"), action("A2", carried_from="q2:A3")))
    q4 = review("q4", "2026-12-20", (action("A1", carried_from="q2:A2"), action("A2", carried_from="q3:A1")))
    found = [(i.code, i.message) for i in issues(Q2, q3, q4) if i.code == "RG122"]
    assert found == [
        (
            "RG122",
            "action A1: q2:A2 is already carried forward by q3:A1; one action continues it, so "
            "remove this carried_from or the other",
        )
    ]


def test_an_action_done_after_it_was_carried_was_open_when_carried() -> None:
    q2 = review(
        "q2", "2026-07-08", (action("A1", "done", done_on="2026-10-20"), action("A2", "done", done_on="2026-09-01"))
    )
    q3 = review("q3", "2026-10-12", (action("A1", carried_from="q2:A1"), action("A2", carried_from="q2:A2")))
    assert [i.message.split(":")[0] for i in issues(q2, q3) if i.code == "RG215"] == ["action A2"]


def test_only_actions_due_by_the_meeting_or_of_the_previous_comparable_review_need_carrying() -> None:
    q2 = review("q2", "2026-07-08", (action("A1", due="2026-09-30"), action("A2", due="2026-12-31")), period="2026-Q2")
    # A project review of the team: q2 is not the review it follows on from, so only A1 (due 09-30,
    # before the meeting on 10-12) needs carrying; A2, due at the end of the year, can wait.
    project = review("deal", "2026-10-12")
    assert [m.split(" (")[0] for _, m in codes(q2, project)] == ["A1 of q2"]
    # A monthly review between two quarters: the quarter follows up its own previous quarter in full, and of
    # the month only what was due by its meeting.
    august = review(
        "m08", "2026-09-05", (action("A1", due="2026-09-20"), action("A2", due="2026-12-31")), period="2026-08"
    )
    q3 = review("q3", "2026-10-12", period="2026-Q3")
    assert [m.split(" (")[0] for _, m in codes(q2, august, q3)] == ["A1 of q2", "A2 of q2", "A1 of m08"]
    # The next project review follows on from the earlier one: all of its open actions need carrying.
    later = review("deal-2", "2026-10-20")
    project = review("deal", "2026-10-12", (action("A1", due="2026-12-31"),))
    assert [m.split(" (")[0] for _, m in codes(q2, project, later)] == ["A1 of q2", "A1 of deal"]
