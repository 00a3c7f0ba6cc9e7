"""Escalation: the actions overdue more than `escalate_after` days, told to the lead of the team that decided
them (their review's participant with role `lead`, reached through the roster), one message per lead.

An escalation that cannot reach anyone (the review names no lead, the roster does not know the lead, or has
no address of theirs for the platform) is kept with the reason, so that the dry run and the JSON say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any, NamedTuple

from retrogen.core.status import State
from retrogen.engine.analysis import Analysis
from retrogen.engine.model import Review
from retrogen.gate.people import Person, Roster
from retrogen.gate.settings import DEFAULTS
from retrogen.notify.messages import PLAIN, Style, words

DEFAULT_ESCALATE_AFTER: int = DEFAULTS.escalate_after  # declared with the other settings
# Where `remind --send` sends: named here, not beside the senders, so that a dry run imports no HTTP or SMTP.
PLATFORMS = ("wecom", "dingtalk", "feishu", "slack", "email")
# The roster's field that reaches a person on each platform: the address mailed, or the id a group robot
# mentions (DingTalk mentions by mobile number).
CONTACT_FIELDS = {"email": "email", "dingtalk": "mobile", "wecom": "wecom", "feishu": "feishu", "slack": "slack"}


class Escalated(NamedTuple):
    """One action overdue more than `escalate_after` days (a named tuple: thousands are made in a run)."""

    review: str
    id: str
    owner: str
    action: str
    days_late: int

    def as_dict(self) -> dict[str, Any]:
        return {"review": self.review, "id": self.id, "owner": self.owner, "days_late": self.days_late}


@dataclass(frozen=True)
class Escalation:
    """The escalated actions of one team for one lead, and how the lead is reached, or why not."""

    team: str
    lead: str | None  # the roster's name for the lead (or the name the review gives); None: no lead
    language: str  # of the reviews that decided the actions
    items: tuple[Escalated, ...]
    person: Person | None  # the lead in the roster
    problem: str | None  # why the lead cannot be reached; None: reachable

    def contact(self, platform: str) -> str:
        """The lead's address or id on `platform` ("" when the roster has none)."""
        return getattr(self.person, CONTACT_FIELDS[platform], "") if self.person else ""


def _lead_of(review: Review) -> str | None:
    """The review's (first) participant with role lead."""
    return next((p.name for p in review.participants if p.role == "lead"), None)


def _problem(lead: str | None, review: str, person: Person | None, platform: str | None) -> str | None:
    if lead is None:
        return f"{review} names no participant with role lead"
    if person is None:
        return f"the lead {lead} of {review} is not in the roster (extra.retrogen.people)"
    fields = [CONTACT_FIELDS[platform]] if platform else sorted(set(CONTACT_FIELDS.values()))
    if not any(getattr(person, name) for name in fields):
        return f"the roster has no {' or '.join(fields)} for the lead {lead} of {review}"
    return None


def build_escalations(
    analysis: Analysis,
    roster: Roster,
    *,
    escalate_after: int = DEFAULT_ESCALATE_AFTER,
    platform: str | None = None,
    team: str | None = None,
    owners: frozenset[str] | None = None,
) -> list[Escalation]:
    """The open actions overdue more than `escalate_after` days (of `team`, of `owners`), per team and lead,
    the most days late first. With `platform`, a lead is reachable with that platform's contact in the
    roster; without (a dry run), with any contact."""
    # From the actions' states the digest read, not the action table (a tenth of a second to build at 10,000
    # reviews); the most days late first, then by review and id, as the table sorted them.
    found = analysis.action_states
    late = [
        (found.keys[at], found.actions[at], found.days_late[at] or 0)
        for at in found.chosen({State.OVERDUE}, team=team, owners=owners)
        if (found.days_late[at] or 0) > escalate_after
    ]
    late.sort(key=lambda row: (-row[2], row[0]))
    reviews = {r.id: r for r in analysis.knowledge_base.reviews}
    groups: dict[tuple[str, str, str | None, str], list[Escalated]] = {}
    # Each review's group worked out once, not once per late action (its lead's name is normalised to find it).
    keys: dict[str, tuple[str, str, str | None, str]] = {}
    for (review_id, action_id), action, days_late in late:
        key = keys.get(review_id)
        if key is None:
            review = reviews[review_id]
            lead = _lead_of(review)
            # Actions of a review without a lead stay apart per review: each such review is its own problem.
            key = keys[review_id] = (
                review.team,
                review.language,
                roster.canonical(lead) if lead else None,
                "" if lead else review.id,
            )
        escalated = Escalated(review_id, action_id, action.owner, action.action, days_late)
        groups.setdefault(key, []).append(escalated)
    escalations = []
    for (team_name, language, lead, _), items in sorted(
        groups.items(), key=lambda g: (g[0][0], g[0][2] or "", g[0][3])
    ):
        person = roster.find(lead) if lead else None
        problem = _problem(lead, items[0].review, person, platform)
        escalations.append(Escalation(team_name, lead, language, tuple(items), person, problem))
    return escalations


def escalation_message(escalation: Escalation, today: date, escalate_after: int, style: Style = PLAIN) -> str:
    """The lead's message in the reviews' language: a heading, then one line per action (owner, action, days
    overdue)."""
    text = words(escalation.language)
    heading = text["escalation"].format(
        day=today.isoformat(),
        lead=escalation.lead or "?",
        team=escalation.team,
        n=len(escalation.items),
        days=escalate_after,
    )
    lines = [style.bold(style.escape(heading))]
    for item in escalation.items:
        lines.append(
            f"- {item.review}:{item.id} {style.escape(item.owner)}{text['colon']}{style.escape(item.action)} "
            f"({text['late'].format(n=item.days_late)})"
        )
    return "\n".join(lines)


def dry_run_text(
    escalations: list[Escalation], today: date, escalate_after: int, style: Style = PLAIN, language: str = "en"
) -> str:
    """What `remind` would send to the leads, each under whom it goes to, or under why it reaches nobody (the
    framing in the site's `language`, each message in its reviews')."""
    text = words(language)
    parts = []
    for escalation in escalations:
        message = escalation_message(escalation, today, escalate_after, style)
        if escalation.problem:
            where = text["not_escalated"].format(why=escalation.problem)
        else:
            where = text["escalate_to"].format(lead=escalation.lead, team=escalation.team)
        parts.append(f"{style.escape(where)}\n{message}")
    return "\n\n".join(parts)


def digest_rows(digest_rows: list[dict[str, Any]], escalations: list[Escalation]) -> list[dict[str, Any]]:
    """The digest's JSON rows (OwnerDigest.as_dict), each escalated item marked with its lead and whether the
    lead is reached (`escalation`: null for an item not escalated)."""
    marks = {
        (item.review, item.id): {"lead": e.lead, "reachable": e.problem is None, "problem": e.problem}
        for e in escalations
        for item in e.items
    }
    return [
        {**row, "items": [{**item, "escalation": marks.get((item["review"], item["id"]))} for item in row["items"]]}
        for row in digest_rows
    ]
