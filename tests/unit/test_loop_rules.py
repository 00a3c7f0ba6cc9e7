"""Each closed-loop rule has one home (gate/loop_rules.py) that the gate and the engine both use: the same
carries, the same previous review, the same overdue, whichever shape of a review it is given."""

from __future__ import annotations

from datetime import date

from retrogen.core.status import State, Status, state_of
from retrogen.engine.loop import carries
from retrogen.gate import loop_rules
from retrogen.gate.loop_checks import cross_issues

from . import test_crosschecks as gate
from . import test_loop as engine

TODAY = date(2026, 12, 31)


def _both(*spec: tuple[str, str, str, tuple[tuple[str, str | None], ...], str | None]):  # type: ignore[no-untyped-def]
    """The same reviews as the gate reads them (ReviewFacts) and as the engine loads them (Review):
    (id, held_on, team, ((action id, carried_from), ...), period label)."""
    facts, typed = [], []
    for review_id, held_on, team, actions, period in spec:
        facts.append(
            gate.review(
                review_id, held_on, tuple(gate.action(a, carried_from=c) for a, c in actions), team=team, period=period
            )
        )
        dates = engine.D(held_on)
        typed.append(
            engine.Review(
                review_id,
                review_id,
                "periodic" if period else "project",
                team,
                dates,
                "goal",
                engine.Path(f"{review_id}.yaml"),
                period_label=period,
                period_start=gate.parse_label(period).start if period else None,
                period_end=gate.parse_label(period).end if period else None,
                actions=tuple(engine.act(a, carried_from=c) for a, c in actions),
            )
        )
    return facts, typed


# q3 carries q2:A1 (valid), q2:A9 (no such action), other:A1 (another team) and later:A1 (a later review);
# q4 carries q2:A1 again: the first in meeting order carries it, the second is refused (RG122).
FACTS, TYPED = _both(
    ("q2", "2026-07-08", "east", (("A1", None), ("A2", None)), "2026-Q2"),
    ("other", "2026-07-09", "west", (("A1", None),), None),
    ("q3", "2026-10-12", "east", (("A1", "q2:A1"), ("A2", "q2:A9"), ("A3", "other:A1"), ("A4", "later:A1")), "2026-Q3"),
    ("later", "2026-11-01", "east", (("A1", None),), None),
    ("q4", "2026-12-20", "east", (("A1", "q2:A1"),), "2026-Q4"),
)


def test_the_gate_and_the_engine_find_the_same_carries() -> None:
    on_facts = {k: (r.id, target) for k, (r, target) in loop_rules.carries(FACTS).items()}
    on_typed = {k: (r.id, target) for k, (r, target) in loop_rules.carries(TYPED).items()}
    assert on_facts == on_typed == {("q2", "A1"): ("q3", ("q3", "A1"))}
    assert carries(TYPED) == {("q2", "A1"): (date(2026, 10, 12), ("q3", "A1"))}


def test_a_carry_the_gate_refuses_does_not_silence_overdue_and_the_first_valid_carry_wins() -> None:
    found = {(i.display, i.code, i.message.split(";")[0]) for i in cross_issues(FACTS, {"q3", "q4", "later"}, TODAY)}
    assert ("reviews/q4.yaml", "RG122", "action A1: q2:A1 is already carried forward by q3:A1") in found
    # later:A1 is named by q3 (held before it, RG121): that carries nothing, so later:A1 is overdue.
    assert any(d == "reviews/later.yaml" and code == "RG201" for d, code, _ in found)


def test_the_gate_and_the_engine_follow_on_from_the_same_review() -> None:
    for facts, typed in zip(FACTS, TYPED, strict=True):
        team_facts = [r for r in sorted(FACTS, key=loop_rules.meeting_order) if r.team == facts.team]
        team_typed = [r for r in sorted(TYPED, key=loop_rules.meeting_order) if r.team == typed.team]
        before_facts = loop_rules.previous_review(facts, team_facts)
        before_typed = loop_rules.previous_review(typed, team_typed)
        assert (before_facts and before_facts.id) == (before_typed and before_typed.id)
    q4 = next(r for r in TYPED if r.id == "q4")
    assert loop_rules.previous_review(q4, [r for r in TYPED if r.team == "east"]).id == "q3"  # type: ignore[union-attr]


def test_overdue_is_one_rule_for_the_gate_and_the_states() -> None:
    action = engine.act("A1", status=Status.BLOCKED, due="2026-12-30")
    assert loop_rules.overdue_on(action, ("r", "A1"), {}, TODAY)
    assert not loop_rules.overdue_on(action, ("r", "A1"), {("r", "A1"): None}, TODAY)  # carried on
    assert state_of(Status.BLOCKED, action.due, TODAY) is State.OVERDUE  # what the tracker shows
