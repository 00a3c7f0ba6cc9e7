"""A report laid out as blocks (retrogen.formats.documents) in the report's language: which sections, columns and
numbers every format shows."""

from __future__ import annotations

from retrogen.core.status import State
from retrogen.core.words import catalogue
from retrogen.engine.loop import FollowUp
from retrogen.engine.metrics import Rag
from retrogen.formats.documents import Bar, Bars, Block, Grid, Heading, Items, PageBreak, Text
from retrogen.formats.labels import slip_note
from retrogen.formats.numbers import number, percent, quantity, signed_change
from retrogen.report.content import ActionRow, FunnelRow, KpiRow, Report, ReviewReport, Summary


def period_text(start: object, end: object, label: str | None) -> str:
    """2026-Q3 (2026-07-01 – 2026-09-30); the label alone, or the dates alone, when that is all there is."""
    dates = f"{start} – {end}" if start and end else ""
    if label and dates:
        return f"{label} ({dates})"
    return label or dates


def action_state(row: ActionRow, text: dict[str, str]) -> str:
    """The action's status as the review states it, and what the tracker adds: overdue by how many days,
    carried into a later review."""
    status = text.get(row.status, row.status)
    if row.state == State.OVERDUE:
        return f"{status} · {text['overdue']} {row.days_late} {text['days']}"
    if row.state == State.CARRIED:
        return text["carried"]
    return status


def _due(row: ActionRow, language: str) -> str:
    """The due date, and for a carried action how far it is from its original one."""
    due = row.due.isoformat()
    return f"{due} ({slip_note(row.slip, language)})" if row.slip else due


def _column(word: str) -> str:
    """A word as a column's heading: "Owner" where the sentence word is "owner" (Chinese is unchanged)."""
    return word[:1].upper() + word[1:]


# A traffic light in words, so that it reads in black and white and to the colour-blind.
RAG_WORDS = {"green": "met", "amber": "nearly", "red": "missed"}
# An achievement chart's bars end at 125%: a metric far above its target does not shrink the others.
ACHIEVEMENT_SCALE = 1.25


def _rag(mark: Rag | None, text: dict[str, str]) -> str:
    return _column(text[RAG_WORDS[mark]]) if mark else ""


def _achievement_chart(kpis: tuple[KpiRow, ...], text: dict[str, str]) -> Bars:
    """Each metric's achievement as a bar against the dashed target line, in its traffic light's colour."""
    bars = tuple(
        Bar(k.name, k.achievement / ACHIEVEMENT_SCALE, f"{percent(k.achievement)} {_rag(k.rag, text)}".strip(), k.rag)
        for k in kpis
        if k.achievement is not None
    )
    return Bars(bars, 1 / ACHIEVEMENT_SCALE, text["target_line"])


def _follow_up_blocks(follow_up: FollowUp, text: dict[str, str]) -> list[Block]:
    """上期行动回顾 as the review's page shows it: the team's earlier actions in their state on the meeting's day,
    with the verdicts on their expected results; then the verdicts this meeting decides."""
    blocks: list[Block] = [Heading(text["follow_up"], 1)]
    if follow_up.previous and all(source.id != follow_up.previous.id for source, _ in follow_up.groups):
        blocks.append(Text(follow_up.previous.title, label=text["previous_review"]))
    for source, rows in follow_up.groups:  # as on the site: each earlier review, then its actions
        blocks += [
            Text(f"{source.title} · {source.held_on}", note=True),
            Grid(
                (
                    "#",
                    text["action"],
                    _column(text["owner"]),
                    _column(text["due"]),
                    text["state"],
                    _column(text["verification"]),
                ),
                tuple(
                    (
                        row.action.id,
                        row.action.action,
                        row.action.owner,
                        row.action.due.isoformat(),
                        text[row.state],
                        text[row.verification.verdict] if row.verification else "",
                    )
                    for row in rows
                ),
                (0.9, 6.5, 1.8, 2.0, 2.4, 3.6),
            ),
        ]
    if follow_up.decided:
        blocks += [
            Heading(text["decided_here"], 2),
            Grid(
                (text["action"], text["metric"], text["target"], text["actual"], _column(text["verification"])),
                tuple(
                    (
                        action.action,
                        verdict.metric,
                        number(verdict.target),
                        number(verdict.actual),
                        text[verdict.verdict],
                    )
                    for _, action, verdict in follow_up.decided
                ),
                (6.2, 3.4, 2.0, 2.0, 3.6),
                frozenset({2, 3}),
            ),
        ]
    return blocks


def _funnel_chart(funnel: tuple[FunnelRow, ...], text: dict[str, str]) -> Bars:
    """Each stage's count as a share of the first stage's, with its conversion from the stage before (red where
    it missed its target conversion, green where it met it)."""
    first = max(funnel[0].count, 1)
    bars = []
    for stage in funnel:
        figure = quantity(stage.count, "")
        if stage.conversion is not None:
            figure += f" · {percent(stage.conversion)}"
        if stage.target_rate is not None:
            figure += f" ({text['target']} {percent(stage.target_rate)})"
        mark = None if stage.target_met is None else ("green" if stage.target_met else "red")
        bars.append(Bar(stage.stage, stage.count / first, figure, mark))
    return Bars(tuple(bars))


def _kpi_table(kpis: tuple[KpiRow, ...], text: dict[str, str]) -> Grid:
    rows = tuple(
        (
            k.name,
            k.unit,
            number(k.target),
            number(k.actual),
            percent(k.achievement),
            _rag(k.rag, text),
            signed_change(k.change, k.change_unit),
        )
        for k in kpis
    )
    marks = {(index, 5): k.rag for index, k in enumerate(kpis) if k.rag}
    return Grid(
        (
            text["metric"],
            text["unit"],
            text["target"],
            text["actual"],
            text["achievement"],
            text["rag"],
            text["change"],
        ),
        rows,
        (5.0, 1.8, 2.1, 2.1, 2.6, 1.4, 2.2),  # "Achievement" fits its column on one line
        frozenset({2, 3, 4, 6}),
        marks,
    )


def _gap(k: KpiRow, text: dict[str, str]) -> tuple[str, str]:
    figures = (
        f"{text['achievement']} {percent(k.achievement)} ({text['actual']} {quantity(k.actual, k.unit)}, "
        f"{text['target']} {quantity(k.target, k.unit)})"
    )
    return k.name, f"{figures} — {k.analysis}" if k.analysis else figures


def review_blocks(report: ReviewReport) -> list[Block]:
    """A review's report, in the review's own language."""
    r, text = report.review, catalogue(report.language).labels
    separator = catalogue(report.language).list_separator
    meta = [
        text["report"],
        r.team,
        text[r.kind],
        f"{text['period']} {period_text(r.period_start, r.period_end, r.period_label)}" if r.period else "",
        f"{text['held_on']} {r.held_on}",
    ]
    blocks: list[Block] = [
        Heading(r.title, 0),
        Text(" · ".join(part for part in meta if part), note=True),
        *([Text(report.link, label=text["on_site"], note=True, link=True)] if report.link else []),
        Text(r.objective, label=text["objective"]),
        Text(separator.join(f"{p.name} ({text[p.role]})" for p in r.participants), label=text["participants"]),
    ]
    if report.kpis:
        blocks += [Heading(text["kpis"], 1), _kpi_table(report.kpis, text)]
        if any(k.achievement is not None for k in report.kpis):
            blocks.append(_achievement_chart(report.kpis, text))
        blocks.append(Heading(text["gaps"], 2))
        gaps = report.gaps
        blocks.append(Items(tuple(_gap(k, text) for k in gaps)) if gaps else Text(text["no_gaps"]))
    if report.funnel:
        blocks += [Heading(text["funnel"], 1), _funnel_chart(report.funnel, text)]
    if report.follow_up.rows or report.follow_up.decided:
        blocks += _follow_up_blocks(report.follow_up, text)
    if report.problems:
        blocks.append(Heading(text["problems"], 1))
        for p in report.problems:
            lines = [(text["whys"], " → ".join(p.whys))] if p.whys else []
            lines += [(text["root_cause"], f"{p.root_cause} ({text['factor']}: {text[p.factor]})")]
            lines += [(text["evidence"], p.evidence)] if p.evidence else []
            blocks += [Heading(f"{p.id} {p.problem}", 2), Items(tuple(lines))]
    if report.lessons:
        blocks += [
            Heading(text["lessons_here"], 1),
            Items(
                tuple(
                    (
                        text[lesson.type],
                        f"{lesson.lesson}"
                        + (f" ({text['applies_to']}: {lesson.applies_to})" if lesson.applies_to else ""),
                    )
                    for lesson in report.lessons
                )
            ),
        ]
    if report.actions:
        blocks += [
            Heading(text["action_plan"], 1),
            Grid(
                ("#", text["action"], _column(text["owner"]), _column(text["due"]), text["checkpoint"], text["status"]),
                tuple(
                    (a.id, a.action, a.owner, _due(a, report.language), a.checkpoint, action_state(a, text))
                    for a in report.actions
                ),
                (0.9, 5.3, 1.8, 3.2, 3.5, 2.5),  # the due date is wide enough for a carried action's note
            ),
        ]
    return blocks


def summary_blocks(summary: Summary, language: str) -> list[Block]:
    """The one-page summary of a period, for one team (a row per review) or all teams (a row per team)."""
    text = catalogue(language).labels
    scope = summary.team or text["all_teams"]
    blocks: list[Block] = [
        Heading(f"{scope} {summary.period.label} {text['summary']}", 0),
        Text(
            f"{period_text(summary.period.start, summary.period.end, None)} · {summary.reviews} "
            f"{text['reviews_in']} · {text['as_of']} {summary.today}",
            note=True,
        ),
        Heading(text["kpi_by_review" if summary.team else "kpi_by_team"], 1),
        Grid(
            (
                text["review" if summary.team else "team"],
                text["met_count"],
                text["mean_achievement"],
                text["rag"],
                text["actions_count"],
                text["open"],
                text["overdue"],
                text["completion_rate"],
            ),
            tuple(
                (
                    row.name,
                    f"{row.met}/{row.metrics}",
                    percent(row.mean_achievement),
                    _rag(row.rag, text),
                    str(row.actions),
                    str(row.open),
                    str(row.overdue),
                    percent(row.completion_rate),
                )
                for row in summary.rows
            ),
            (5.4, 1.8, 2.0, 1.3, 1.5, 1.6, 1.6, 2.0),
            frozenset({1, 2, 4, 5, 6, 7}),
            {(index, 3): row.rag for index, row in enumerate(summary.rows) if row.rag},
        ),
        Heading(text["overdue_actions"], 1),
    ]
    if summary.overdue:
        blocks.append(
            Grid(
                (
                    text["team"],
                    text["review"],
                    text["action"],
                    _column(text["owner"]),
                    _column(text["due"]),
                    text["days_late"],
                ),
                tuple(
                    (a.team, a.review, a.action, a.owner, a.due.isoformat(), str(a.days_late)) for a in summary.overdue
                ),
                (2.6, 4.0, 5.0, 1.8, 2.0, 1.8),
                frozenset({5}),
            )
        )
    else:
        blocks.append(Text(text["none"]))
    blocks.append(Heading(text["top_causes"], 1))
    if summary.causes:
        blocks.append(
            Grid(
                (text["factor"], text["problems_count"], text["teams"], text["share"], text["examples"]),
                tuple(
                    (text[c.factor], str(c.problems), str(c.teams), percent(c.share), "; ".join(c.examples))
                    for c in summary.causes
                ),
                (2.8, 1.5, 1.5, 1.5, 9.9),
                frozenset({1, 2, 3}),
            )
        )
    else:
        blocks.append(Text(text["none"]))
    return blocks


def report_footer(report: Report) -> str:
    """The line at the foot of every page: what the document is about and the day its states are as of."""
    text = catalogue(report.language).labels
    if report.summary:
        s = report.summary
        scope, period, today = s.team or text["all_teams"], s.period.label, s.today
    else:
        r = report.reviews[0]
        scope, today = r.review.team, r.today
        period = r.review.period
    return " · ".join(part for part in (text["report"], scope, period, f"{text['as_of']} {today}") if part)


def report_blocks(report: Report) -> list[Block]:
    """The whole document: the summary, then each review's report, each starting on a new page."""
    parts = [summary_blocks(report.summary, report.language)] if report.summary else []
    parts += [review_blocks(r) for r in report.reviews]
    blocks: list[Block] = []
    for index, part in enumerate(parts):
        blocks += ([PageBreak()] if index else []) + part
    return blocks
