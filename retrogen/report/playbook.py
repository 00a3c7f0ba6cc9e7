"""The playbook laid out as blocks (retrogen.formats.documents) for a Word document: the sections, practices and
lines of playbook.md.j2, in the same order and words, for people who read it outside the site."""

from __future__ import annotations

from datetime import date

from retrogen.core.words import catalogue
from retrogen.engine.playbook import Playbook, Practice, Section, reach
from retrogen.formats.documents import Block, Heading, Items, Text


def playbook_blocks(playbook: Playbook, language: str, today: date) -> list[Block]:
    text = catalogue(language).labels
    blocks: list[Block] = [
        Heading(text["playbook"], 0),
        Text(text["playbook_intro"]),
        Text(f"{text['generated']} {today.isoformat()}", note=True),
    ]
    for section in playbook.sections:
        blocks.append(Heading(section.theme or text["other_practices"], 1))
        if section.theme:
            recurring = f" · {text['recurring']}" if section.recurring else ""
            blocks.append(Text(reach(section.reviews, section.teams, section.last_seen, text) + recurring, note=True))
        for heading, practices in ((text["practices"], section.practices), (text["pitfalls"], section.pitfalls)):
            if practices:
                blocks.append(Heading(heading, 2))
                for practice in practices:
                    blocks += _practice(practice, section, text)
        if section.see_also:
            blocks.append(
                Text(
                    " · ".join(f"{text['practice_ref'].format(n=p.number)} ({p.theme})" for p in section.see_also),
                    label=text["see_also"],
                )
            )
    return blocks


def _practice(practice: Practice, section: Section, text: dict[str, str]) -> list[Block]:
    """Its statement as an instruction (do, or avoid), then the lessons merged into it, where it applies,
    the evidence (saying so when it rests on one review), its sources and the actions taken on its problems."""
    number = text["practice_ref"].format(n=practice.number)
    label = f"{number} · {text['proven']}" if practice.proven else number
    lines = [(text["do"] if s.success else text["avoid"], s.lesson.lesson) for s in practice.also]
    if practice.applies_to:
        lines.append((text["applies_to"], "; ".join(practice.applies_to)))
    if not section.theme:
        lines.append((text["theme"], " ".join(f"#{tag}" for tag in practice.tags) or text["untagged"]))
    basis = reach(len(practice.reviews), practice.teams, practice.last_seen, text)
    lines.append((text["basis"], f"{basis} · {text['single_source']}" if practice.single_source else basis))
    lines.append(
        (text["source"], "; ".join(f"{r.title} · {r.team} · {r.held_on.isoformat()}" for r in practice.reviews))
    )
    for tracked in practice.actions:
        action = tracked.action
        verdict = f" · {text['verification']}: {text[tracked.verification]}" if tracked.verification else ""
        lines.append(
            (
                text["addressed_by"],
                f"{action.action} ({text['owner']} {action.owner}, {text['due']} "
                f"{action.due.isoformat()}): {text[tracked.state]}{verdict}",
            )
        )
    if practice.needs_action:
        lines.append((text["addressed_by"], text["no_action"]))
    headline = f"{text['avoid'] if practice.is_pitfall else text['do']}: {practice.statement.lesson.lesson}"
    return [Text(headline, label=label), Items(tuple(lines))]
