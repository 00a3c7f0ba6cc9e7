"""The site's pages as Markdown, from one Analysis: a mapping of path (inside docs_dir) to content."""

from __future__ import annotations

import json
import posixpath
from collections import Counter
from collections.abc import Callable, Collection, Hashable, Iterable
from dataclasses import dataclass, replace
from functools import cached_property, partial
from importlib import resources
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from retrogen.core.words import catalogue, language_of
from retrogen.engine.actions import OVERDUE_AGES, overdue_ages
from retrogen.engine.analysis import Analysis
from retrogen.engine.history import weekly_codes
from retrogen.engine.loop import FollowUpRow
from retrogen.engine.model import Review
from retrogen.engine.playbook import playbook_markdown
from retrogen.engine.related import Match, indexed_fields
from retrogen.engine.teams import OTHER, TeamView, cadence, metrics_across_teams, team_slugs, team_views
from retrogen.formats import urls
from retrogen.formats.labels import slip_note
from retrogen.formats.numbers import number, percent, signed_change
from retrogen.formats.render import day, environment, once
from retrogen.formats.tables import RATE_COLUMNS, grouped, records
from retrogen.gate.config import Config
from retrogen.gate.findings import CODES
from retrogen.gate.schema import load_schema
from retrogen.gate.vocabulary import FACTORS, LESSON_TYPES
from retrogen.site.charts import Chart, Figure, Sparkline, bar_chart, line_chart, sparkline
from retrogen.site.memo import KEPT, Content, PageMemo

Pages = dict[str, Content]  # KEPT: as `serve` wrote it last time


class RowsByTeam:
    """A table's rows by review, each team's converted when one of its reviews is first asked for."""

    def __init__(self, frame: pd.DataFrame, teams: dict[str, str]) -> None:
        self.frame, self.teams = frame, teams  # each review's team, by review id
        self.rows: dict[str, list[dict[str, Any]]] = {}
        self.converted: set[str] = set()

    def get(self, review: str, default: list[dict[str, Any]]) -> list[dict[str, Any]]:
        team = self.teams.get(review)
        if team is not None and team not in self.converted:
            self.rows.update(grouped(records(self.frame[self.frame["team"] == team]), "review"))
            self.converted.add(team)
        return self.rows.get(review, default)


Rows = dict[str, list[dict[str, Any]]] | RowsByTeam  # a table's rows by review


@dataclass(frozen=True)
class Named:
    """What a reference ("2026-10-east-sales" or "2026-10-east-sales:A1") names, as a reader reads it: the
    review's title and short period, the action's text; the reference itself where it names nothing known."""

    place: urls.Place
    title: str
    short: str  # the review's period, else its title: for a table's cell
    action: str = ""


Series = dict[str, list[float | None]]  # a chart's lines: name -> values, None where not reported


def _front(value: Any) -> Markup:
    """A front-matter value. MkDocs and Material put titles and tags into HTML without escaping them, so
    they are HTML-escaped here; JSON is valid YAML, so no value can change the front matter's structure."""
    if isinstance(value, (list, tuple)):
        return Markup(json.dumps([str(escape(v)) for v in value], ensure_ascii=False))
    return Markup(json.dumps(str(escape(value)), ensure_ascii=False))


class SiteBuilder:
    """Renders every page; one instance per build."""

    def __init__(
        self, analysis: Analysis, config: Config, memo: PageMemo | None = None, only: Collection[str] | None = None
    ) -> None:
        self.analysis = analysis
        self.config = config
        self.memo = memo  # `serve`'s pages of the last regeneration
        self.only = only  # the reviews whose pages alone are asked for (None: every page)
        self._named_seen: dict[str, Named] | None = None  # what the page being rendered names
        # The follow-up rows drawn so far, by language and folder of the pages that show them (follow_up_rows).
        self._follow_up_rows: dict[tuple[str, str], dict[Hashable, Markup]] = {}
        self.text = catalogue(config.language).labels
        self.env = environment("templates/site")
        self.env.filters["front"] = _front
        self.urls = urls.SiteUrls.of(config.mkdocs)
        # Links from the page being rendered (`page`, its source path): `href` for raw HTML, which MkDocs does
        # not rewrite; `md_link` for Markdown links, which MkDocs checks and turns into either URL style.
        self.env.globals.update(text=self.text, factors=FACTORS, at=urls, href=self.urls.href, md_link=urls.source_link)
        self.env.globals["today"] = analysis.today  # the day the figures are as of
        self.env.globals["named"] = self.named

    # Rows grouped by review once: filtering a frame per review would make the build quadratic, and turning
    # many small frames into rows costs more than turning one big one. Each worked out when first asked: a
    # save under `serve` that changes one review's own page alone asks for none of the site-wide pages.
    @cached_property
    def actions_by_review(self) -> Rows:
        if self.only is None and self.memo is None:
            return grouped(self._action_rows, "review")
        return self._by_review(self.analysis.actions)

    @cached_property
    def _action_rows(self) -> list[dict[str, Any]]:
        """Every action's row, in Analysis.actions' order: the reviews' pages and the tracker show them, each
        converted once (a review's page copies its rows before it adds to them)."""
        return records(self.analysis.actions)

    @cached_property
    def _overdue_rows(self) -> list[dict[str, Any]]:
        """The overdue actions' rows, for the dashboard and the tracker, converted once."""
        return records(self.analysis.overdue_actions)

    @cached_property
    def metrics_by_review(self) -> Rows:
        return self._by_review(self.analysis.metrics)

    @cached_property
    def funnel_by_review(self) -> Rows:
        return self._by_review(self.analysis.funnel)

    def _by_review(self, frame: pd.DataFrame) -> Rows:
        if self.only is not None:  # the rows of the few reviews asked for alone (all of them: 1 s at 1,000)
            frame = frame[frame["review"].isin(self.only)]
        elif self.memo is not None:  # `serve` works out the pages of a few teams' reviews (a figure's: one)
            return RowsByTeam(frame, {review.id: review.team for review in self.analysis.knowledge_base.reviews})
        return grouped(records(frame), "review")

    @cached_property
    def _reviews(self) -> dict[str, Review]:
        """Every review by id (Analysis.review_rows would also score every review)."""
        return {review.id: review for review in self.analysis.knowledge_base.reviews}

    @cached_property
    def teams(self) -> list[TeamView]:
        if self.memo is None:
            return team_views(self.analysis)
        return self.memo.team_views(self.team_slug, lambda names: team_views(self.analysis, only=names))

    @cached_property
    def team_slug(self) -> dict[str, str]:
        """Each team's slug, as team_views gives it, without working out the teams' views."""
        return team_slugs({review.team for review in self.analysis.knowledge_base.reviews})

    def named(self, reference: str) -> Named:
        """The review, or the action on it, that `reference` names (see Named)."""
        review_id, _, action_id = reference.partition(":")
        review = self._reviews.get(review_id)
        if review is None:
            named = Named(urls.reference(reference), reference, reference)
        else:
            action = next((a.action for a in review.actions if a.id == action_id), action_id) if action_id else ""
            named = Named(urls.reference(reference), review.title, review.period or review.title, action)
        if self._named_seen is not None:
            self._named_seen[reference] = named
        return named

    def render(self, template: str, page: str = "", **context: Any) -> str:
        """`template` as the page `page` (its source path inside docs_dir), which its links start from."""
        return self.env.get_template(template).render(page=page, **context)

    def page(self, template: str, page: str, **context: Any) -> Content:
        """`template` as the page `page`, or KEPT when `serve` rendered it from the same context last time."""
        return self._rendered(page, {"template": template, **context}, lambda: self.render(template, page, **context))

    def drawn(self, draw: Callable[..., Figure | Chart | Sparkline], *args: Any, **kwargs: Any) -> Markup:
        """The chart `draw(*args, **kwargs)` as SVG; `serve` draws again only a chart whose data changed."""
        if self.memo is None:
            return Markup(draw(*args, **kwargs).svg())
        return Markup(self.memo.fragment((draw.__name__, args, kwargs), lambda: draw(*args, **kwargs).svg()))

    # The columns of html_table that hold names rather than figures.
    NAME_COLUMNS = frozenset({"occasion", "metric", "unit", "stage", "team", "review", "title", "factor"})

    def html_table(self, frame: pd.DataFrame | list[dict[str, Any]], headers: dict[str, str]) -> Markup:
        """A small HTML table of rows (the numbers beside a chart), rates as percentages."""

        def cell(column: str, value: Any) -> str:
            if column in RATE_COLUMNS:
                return percent(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return number(value)
            return "" if value is None else str(value)

        rows = [[cell(c, row[c]) for c in headers] for row in (frame if isinstance(frame, list) else records(frame))]
        # Figures align right, to be compared by place; names (a metric, a unit, a stage) read from the left.
        names = [number for number, column in enumerate(headers, 1) if number > 1 and column in self.NAME_COLUMNS]
        table = ("table.html.j2", list(headers.values()), rows, names)
        if self.memo is None:
            return Markup(self.render(table[0], headers=table[1], rows=rows, names=names))
        return Markup(
            self.memo.fragment(table, lambda: self.render(table[0], headers=table[1], rows=rows, names=names))
        )

    def pages(self) -> Pages:
        pages: Pages = {
            urls.DASHBOARD: self.dashboard(),
            urls.REVIEWS: self.reviews_index(),
            urls.LESSONS: self.lessons(),
            urls.PLAYBOOK: self.playbook(),
            urls.TRACKER: self.actions(),
            urls.METRICS: self.metrics(),
            urls.TAGS: self.page(
                "tags.md.j2",
                urls.TAGS,
                aliases=sorted((tag, aliases) for tag, aliases in self.config.tags.aliases.items() if aliases),
            ),
            urls.SUBMIT: self.submit(),
            urls.TEAMS: self.teams_index(),
        }
        for team in self.teams:
            pages[urls.team_page(team.slug)] = self.team(team)
        for review in self.analysis.knowledge_base.reviews:
            pages[urls.review_page(review.id)] = self.review(review)
        return pages

    # --- one review -------------------------------------------------------------------------------
    def review(self, review: Review) -> Content:
        """The review's page, or KEPT when `serve` wrote it from the same inputs last time."""
        a, page = self.analysis, urls.review_page(review.id)
        related = self.related(review)
        source = b""
        if self.memo is not None:
            source = self._source_of(review, related)
            content = self.memo.kept_from(page, source, self.named)
            if content is not None:
                self.memo.contents[review.id] = content
                return KEPT
        follow_up = a.follow_up(review)
        # Everything the page shows but its labels (the review's language stands for them) and its funnel chart
        # (drawn from the funnel rows): what `serve` compares to tell whether the page changed.
        inputs = {
            "language": review.language,
            "r": review,
            "metrics": self.metrics_by_review.get(review.id, []),
            "funnel": self.funnel_by_review.get(review.id, []),
            "actions": self._actions_shown(review),
            "follow_up": follow_up,
            "summary": a.review_summary(review),
            "tag_aliases": [alias for tag in review.tags for alias in self.config.tags.aliases_of(tag)],
            "team_page": urls.source_link(urls.team(self.team_slug[review.team]), page),
            "related": related,
        }
        if self.memo is None:
            return self._review_page(page, inputs)
        # Other reviews digested as the page shows them (their titles), not whole; the review's content apart
        # from its related lessons, which its Word report does not show but every other input of it.
        content = self.memo.digest({**inputs, "follow_up": self.memo.follow_up_shown(follow_up), "related": None})
        self.memo.contents[review.id] = content
        self.memo.sourced(page, source, content)
        shown = (content, [(other.title, match) for other, match in related])
        return self._rendered(page, inputs, lambda: self._review_page(page, inputs), digested=shown)

    def _source_of(self, review: Review, related: list[tuple[Review, Match]]) -> bytes:
        """A digest of what the inputs of `review`'s page are worked out from (PageMemo.sourced): its team's
        reviews (the closed loop, the follow-ups and the metrics' comparisons never cross a team; the tables
        its rows come from are typed by column, whatever the other rows hold), its team's slug and its related
        lessons as the page shows them. A figure's save changes one team's: the others' pages are kept
        without working out their follow-ups, rows and summaries (0.6 s of a save at 1,000 reviews)."""
        assert self.memo is not None, "serve's pages alone have a source"
        return self.memo.digest(
            (
                self.memo.team_source(review.team),
                review.id,
                self.team_slug[review.team],
                [(other.title, match) for other, match in related],
            )
        )

    def _actions_shown(self, review: Review) -> list[dict[str, Any]]:
        """The rows of `review`'s actions, each with its resources, slip and history."""
        a = self.analysis
        actions = []
        rows = {row["id"]: dict(row) for row in self.actions_by_review.get(review.id, [])}
        for action in review.actions:
            row = rows.get(action.id)
            if row is None:
                continue
            row["resources"] = "; ".join(action.resources)
            slip = a.loop.slip_of((review.id, action.id), action)
            # its words are ours and its date a <time>, kept whole on a line
            row["slip_note"] = Markup(slip_note(slip, review.language, day=day)) if slip.carries else ""
            row["history"] = a.histories[(review.id, action.id)]
            actions.append(row)
        return actions

    def _review_page(self, page: str, inputs: dict[str, Any]) -> str:
        # A review's page speaks the review's language; the site-wide pages follow theme.language.
        words = catalogue(inputs["language"])
        text = words.labels
        funnel = inputs["funnel"]
        funnel_chart = bar_chart(
            text["funnel"],
            [s["stage"] for s in funnel],
            [s["count"] for s in funnel],
            notes=[percent(s["conversion"]) for s in funnel],
        )
        return self.render(
            "review.md.j2",
            page,
            **inputs,
            text=text,
            list_separator=words.list_separator,
            funnel_chart=Markup(funnel_chart.svg()),
            follow_up_rows=self.follow_up_rows(inputs["language"], page),
        )

    def follow_up_rows(
        self, language: str, page: str
    ) -> Callable[[Callable[[FollowUpRow], Markup]], Callable[..., Markup]]:
        """How the page `page`, in `language`, draws its follow-up rows (review.md.j2's `follow_up_row`): each
        once for every page of that language and folder, which all show it alike (render.once). An action open
        for long is on the follow-up of each later review of its team: in the synthetic knowledge base of 1,000
        reviews a page shows 35 rows, and each row is on nine pages."""
        drawn = self._follow_up_rows.setdefault((language, posixpath.dirname(page)), {})
        return partial(once, drawn=drawn, key=_follow_up_key)

    def _rendered(
        self, page: str, inputs: dict[str, Any], render: Callable[[], str], digested: object = None
    ) -> Content:
        """`render()`, or KEPT when the memo has the page from the same inputs (or from the same `digested`,
        what of them the page shows, when given) and the same answers to the references it named (a linked
        review's title lives in that review, not in `inputs`)."""
        if self.memo is None:
            return render()
        key = self.memo.digest(inputs if digested is None else digested)
        if self.memo.kept(page, key, self.named):
            return KEPT
        self._named_seen = {}
        try:
            content = render()
            self.memo.rendered(page, key, self._named_seen.items())
        finally:
            self._named_seen = None
        return content

    def related(self, review: Review) -> list[tuple[Review, Match]]:
        """相关的过往经验 (Analysis.related_to), each with its review."""
        reviews = self._reviews
        # Scored 0: the scores order the list and are not shown, so an edit that moves a score alone changes
        # no page (`serve` compares what a page is made from).
        matches = self.analysis.related_to(review.id) if self._related is None else self._related[review.id]
        return [(reviews[m.review], replace(m, score=0.0)) for m in matches]

    @cached_property
    def _related(self) -> dict[str, list[Match]] | None:
        """Every review's related lessons, asked of the index together (Analysis.related_to_each). With
        `serve`'s memo, kept from the last regeneration when nothing the related index reads changed (an edit
        of an objective, an action, a figure): the index is not built again, nor asked again (0.7 s at 1,000
        reviews). Any change of what it reads (a lesson, a title) moves every item's weight, so then all are
        asked again. The configuration (the glossary) is in every page's setting (PageMemo.begin)."""
        reviews = self.analysis.knowledge_base.reviews
        if self.memo is None:  # a whole site: every review's, asked of the index together
            return None if self.only is not None else self.analysis.related_to_each([r.id for r in reviews])
        read = [
            (r.id, [p.id for p in r.problems], [lesson.id for lesson in r.lessons], indexed_fields(r)) for r in reviews
        ]
        return self.memo.value("related", read, lambda: self.analysis.related_to_each([r.id for r in reviews]))

    # --- knowledge-base pages ---------------------------------------------------------------------
    def _notices(self) -> list[str]:
        """What the dashboard tells its readers about how complete the figures are, git's in the site's words."""
        git = self.analysis.git
        said = [self.text[f"git_history_{git.notice_key}"].format(detail=git.notice_detail)] if git.notice_key else []
        return self.analysis.reading_notices + said

    def dashboard(self) -> Content:
        a = self.analysis
        overdue = self._overdue_rows
        themes = records(a.recurring_themes.head(10))
        return self.page(
            "index.md.j2",
            urls.DASHBOARD,
            stats=a.headline,
            latest=a.latest_reviews[:8],
            overdue=overdue[:10],
            themes=themes,
            notices=self._notices(),
            teams=self.teams,
            scoreboard=self._scoreboard(),
            rag_thresholds=a.rag_thresholds,
            since=a.since(),
            titles=self._titles,
            more_overdue=max(0, len(overdue) - 10),
        )

    def _scoreboard(self) -> list[dict[str, Any]]:
        """The dashboard's scoreboard, one row per team: the KPIs of its latest periodic review as
        Analysis.scoreboard computes them, each with its trend drawn; a team without a periodic review gets its
        latest review and how many of its KPIs it met instead, so that every team is on the board."""
        board = grouped(records(self.analysis.scoreboard), "team")
        reviews = self.analysis.review_rows
        rows = []
        for team in self.teams:
            kpis = board.get(team.name, [])
            for kpi in kpis:
                periods = [label for label, _ in kpi["trend"]]
                values = [value for _, value in kpi["trend"]]
                drawn = sum(v is not None for v in values) > 1  # one point is no trend
                kpi["spark"] = (
                    self.drawn(sparkline, f"{kpi['metric']} ({kpi['unit']})", periods, values) if drawn else None
                )
                period = reviews[kpi["review"]].review.period_of
                kpi["ytd"] = self.analysis.ytd_by_kpi.get(
                    (team.name, kpi["metric"], kpi["unit"], period.label if period else "")
                )
            periodic = reviews[kpis[0]["review"]].review if kpis else None
            latest = team.latest_held
            rows.append(
                {
                    "team": team,
                    "review": periodic,
                    "kpis": kpis,
                    "latest": latest,
                    "latest_score": reviews[latest.id].score if latest else None,
                    "cadence": cadence(periodic) if periodic else None,
                }
            )
        # Teams with figures first: a row that only says "no periodic review yet" should not push them down.
        return sorted(rows, key=lambda row: not row["kpis"])

    def reviews_index(self) -> Content:
        rows = self.analysis.latest_reviews
        reviews = [row.review for row in rows]
        return self.page(
            "reviews_index.md.j2",
            urls.REVIEWS,
            rows=rows,
            teams=_choices(r.team for r in reviews),
            kinds=[(k, self.text[k]) for k in dict.fromkeys(r.kind for r in reviews)],
            periods=_choices((r.period for r in reviews if r.period), reverse=True),
        )

    def _unless_figures_alone(self, page: str, make: Callable[[], Content]) -> Content:
        """make(): a page that shows the figures only through the verdicts they decide (the tracker, the playbook)
        or not at all (the lessons). Under `serve`, KEPT without being made when nothing of the reviews but their
        figures changed and no verdict did (PageMemo.figures_aside)."""
        if self.memo is None:
            return make()
        source = self.memo.figures_aside(self._verdicts)
        if self.memo.kept_from(page, source, self.named) is not None:
            return KEPT
        self.memo.sourced(page, source)
        return make()

    @cached_property
    def _verdicts(self) -> list[tuple[Any, ...]]:
        """Every verdict of the closed loop, as the tables show it: the action, its verdict and who decided it."""
        return [(key, found.verdict, found.review) for key, found in self.analysis.loop.verifications.items()]

    def lessons(self) -> Content:
        return self._unless_figures_alone(urls.LESSONS, self._lessons)

    def _lessons(self) -> Content:
        lessons = records(
            self.analysis.lessons.sort_values(["held_on", "review", "lesson_id"], ascending=[False, True, True])
        )
        return self.page(
            "lessons.md.j2",
            urls.LESSONS,
            lessons=lessons,
            types=[(t, self.text[t]) for t in LESSON_TYPES],
            tags=_choices(t for row in lessons for t in row["tags"]),
            teams=_choices(row["team"] for row in lessons),
        )

    def playbook(self) -> Content:
        return self._unless_figures_alone(urls.PLAYBOOK, self._playbook)

    def _playbook(self) -> Content:
        """The playbook page (through `serve`'s memo, so that a regeneration that keeps every site-wide page
        can keep it too)."""
        body = playbook_markdown(
            self.analysis.playbook,
            self.config.language,
            self.analysis.today,
            review_link=lambda review_id: urls.source_link(urls.review(review_id), urls.PLAYBOOK),
            html=True,
        )
        front = f"title: {_front(self.text['playbook'])}\nhide: [navigation]\nsearch:\n  exclude: true"
        page = f"---\n{front}\n---\n\n{body}"
        return self._rendered(urls.PLAYBOOK, {"page": page}, lambda: page)

    def actions(self) -> Content:
        return self._unless_figures_alone(urls.TRACKER, self._tracker)

    def _tracker(self) -> Content:
        a = self.analysis
        weekly = a.weekly.tail(26)
        weeks = [d.isoformat()[5:] for d in weekly["week"]]
        chart = self.drawn(
            line_chart,
            self.text["over_time"],
            weeks,
            {
                self.text["open"]: list(weekly["open"]),
                self.text["overdue"]: list(weekly["overdue"]),
                self.text["done"]: list(weekly["done"]),
            },
        )
        t = self.text
        overdue, open_rows, done = self._overdue_rows, records(a.open_actions), records(a.recently_done())
        slipped = records(a.slipped_actions)
        # Every action, not only the listed ones: the filters' choices, the tiles and the per-team and per-owner
        # tables are counted from these rows, so that a filter narrows them all alike. The rows the reviews'
        # pages use, in this order rather than converted again.
        order = a.actions.assign(_row=range(len(a.actions))).sort_values(["due", "review", "id"], kind="stable")
        every = [self._action_rows[row] for row in order["_row"].tolist()]
        rates = {
            "actions": t["actions"],
            "open": t["open"],
            "overdue": t["overdue"],
            "done": t["done"],
            "carried": t["carried"],
            "completion_rate": t["completion_rate"],
            "on_time_rate": t["on_time_rate"],
            "verified": t["verification"],
            "verification_rate": t["verification_rate"],
        }
        return self.page(
            "actions.md.j2",
            urls.TRACKER,
            stats=a.headline,
            overdue=list(grouped(overdue, "team").items()),
            open=open_rows,
            recently_done=done,
            slipped=slipped,
            titles={r.id: r.title for r in a.knowledge_base.reviews},
            every=every,
            teams=_choices(row["team"] for row in every),
            owners=_choices(row["owner"] for row in every),
            states=[(s, t[s]) for s in dict.fromkeys(row["state"] for row in every)],
            rates=rates,
            by_owner=records(a.actions_by_owner),
            by_team=records(a.actions_by_team),
            workload=records(overdue_ages(a.actions)),
            workload_columns={c: t[c] for c in ("open", "overdue", *(age for age, _, _ in OVERDUE_AGES))},
            # The ages' bounds in days, for the script that recounts them: "overdue_1_7:1:7 … overdue_over_30:31:".
            ages=" ".join(f"{age}:{first}:{last or ''}" for age, first, last in OVERDUE_AGES),
            weekly_chart=chart,
            # Each action's state on each of the chart's days: the filters add up the rows they keep and redraw.
            weeks=weekly_codes(a.knowledge_base.reviews, a.histories, list(weekly["week"])),
            weekly_table=self.html_table(
                weekly, {"week": t["week"], "open": t["open"], "overdue": t["overdue"], "done": t["done"]}
            ),
        )

    def metrics(self) -> Content:
        a, t = self.analysis, self.text
        headers = {
            "occasion": t["period"],
            "metric": t["metric"],
            "unit": t["unit"],
            "target": t["target"],
            "actual": t["actual"],
            "achievement": t["achievement"],
            "change": t["change"],
        }
        teams = []
        for team in self.teams:
            if team.metrics.empty:
                continue
            if self.memo is None:
                teams.append(self._metrics_of(team, headers))
            else:  # each team's section made once for its view: a figure's save makes its team's alone
                teams.append(self.memo.of_view(team, urls.METRICS, partial(self._metrics_of, team, headers)))
        across = []
        shared = metrics_across_teams(a.metrics, a.knowledge_base.reviews)
        cadences = Counter((name, unit) for name, unit, _, _ in shared)
        for name, unit, each, pivot in shared:
            occasions = [str(c) for c in pivot.columns]
            series = {str(team): _values(row) for team, row in pivot.iterrows()}
            title = f"{name} ({unit})" + (f" · {t['cadence_' + each]}" if cadences[(name, unit)] > 1 else "")
            chart = self.drawn(line_chart, title, occasions, series)
            rows = [
                {"team": team, **{o: v for o, v in zip(occasions, values, strict=True)}}
                for team, values in series.items()
            ]
            across.append(
                {
                    "title": title,
                    "chart": chart,
                    "table": self.html_table(rows, {"team": t["team"], **{o: o for o in occasions}}),
                }
            )
        overall = a.funnel_overall.assign(title=lambda f: f["review"].map(self._titles))
        funnel_chart = self.drawn(
            bar_chart, t["overall"], list(overall["title"]), list(overall["overall"]), percent=True
        )
        return self.page(
            "metrics.md.j2",
            urls.METRICS,
            teams=teams,
            across=across,
            funnel_chart=funnel_chart,
            funnel_table=self.html_table(
                overall,
                {
                    "title": t["review"],
                    "team": t["team"],
                    "period": t["period"],
                    "first": t["count"],
                    "last": t["actual"],
                    "overall": t["overall"],
                },
            ),
            causes=self._causes(a.causes, t),
        )

    def _metrics_of(self, team: TeamView, headers: dict[str, str]) -> dict[str, Any]:
        """The team's section of the metrics page."""
        rows = _changes_shown(team.kpi_rows)
        # each cadence's chart with its own rows under it; the rows of reviews that do not recur (a deal, an
        # incident) are no point on any axis, so they come in a table of their own, never dropped
        charts = [
            {**chart, "table": self.html_table([r for r in rows if r["cadence"] == chart["cadence"]], headers)}
            for chart in self._achievement(team, self.text)
        ]
        others = [r for r in rows if r["cadence"] == OTHER]
        return {"team": team, "charts": charts, "others": self.html_table(others, headers) if others else None}

    @cached_property
    def _titles(self) -> dict[str, str]:
        return {r.id: r.title for r in self.analysis.knowledge_base.reviews}

    def _achievement(self, team: TeamView, t: dict[str, str]) -> list[dict[str, Any]]:
        """A team's achievement per metric, one chart per cadence of its periodic reviews: each with its
        cadence, its title (naming the cadence when there are several), occasions and series."""
        trends = team.achievement_trends
        charts = []
        for trend in trends:
            title = f"{team.name}: {t['achievement']}"
            if len(trends) > 1:
                title += f" · {t['cadence_' + trend.cadence]}"
            occasions = list(trend.occasions)
            series = {str(name): _values(row) for name, row in trend.by_metric.iterrows()}
            chart = self.drawn(line_chart, title, occasions, series, percent=True, reference=1.0)
            charts.append(
                {
                    "cadence": trend.cadence,
                    "title": title if len(trends) > 1 else "",
                    "chart": chart,
                    "occasions": occasions,
                    "series": series,
                }
            )
        return charts

    def _causes(self, causes: pd.DataFrame, t: dict[str, str]) -> dict[str, Markup]:
        """Root causes by factor, most frequent first: bars with their cumulative share (the 80/20 view)."""
        factors = [t[f] for f in causes["factor"]]
        chart = self.drawn(
            bar_chart,
            t["causes"],
            factors,
            list(causes["problems"]),
            notes=[f"{t['cumulative_share']} {percent(c)}" for c in causes["cumulative_share"]],
        )
        table = self.html_table(
            causes.assign(factor=factors),
            {
                "factor": t["factor"],
                "problems": t["problems_count"],
                "share": t["share"],
                "cumulative_share": t["cumulative_share"],
            },
        )
        return {"chart": chart, "table": table}

    # --- teams ------------------------------------------------------------------------------------
    def teams_index(self) -> Content:
        return self.page("teams_index.md.j2", urls.TEAMS, teams=self.teams)

    def team(self, team: TeamView) -> Content:
        """The team's page; under `serve`, KEPT without being worked out when its team's reviews are as they
        were (its view and rows are its reviews' alone: engine/teams.team_views) and so is its slug."""
        if self.memo is None:
            return self._team_page(team)
        page, source = urls.team_page(team.slug), self.memo.digest((self.memo.team_source(team.name), team.slug))
        if self.memo.kept_from(page, source, self.named) is not None:
            return KEPT
        self.memo.sourced(page, source)
        return self._team_page(team)

    def _team_page(self, team: TeamView) -> Content:
        t = self.text
        metrics = []
        for trend in team.kpi_trends:
            title = f"{trend.metric} ({trend.unit})"
            if trend.several_cadences:
                title += f" · {t['cadence_' + trend.cadence]}"
            rows = _changes_shown(trend.rows)
            chart = self.drawn(
                line_chart,
                title,
                [r["occasion"] for r in rows],
                {t["actual"]: [r["actual"] for r in rows]},
                target=(t["target"], [r["target"] for r in rows]),
            )
            metrics.append(
                {
                    "title": title,
                    "chart": chart,
                    "table": self.html_table(
                        rows,
                        {
                            "occasion": t["period"],
                            "target": t["target"],
                            "actual": t["actual"],
                            "achievement": t["achievement"],
                            "change": t["change"],
                        },
                    ),
                }
            )
        achievement = []
        for drawn in self._achievement(team, t):
            rows = [
                {"metric": name, **{str(i): percent(v) for i, v in enumerate(values)}}
                for name, values in drawn["series"].items()
            ]
            headers = {"metric": t["metric"], **{str(i): o for i, o in enumerate(drawn["occasions"])}}
            achievement.append({**drawn, "table": self.html_table(rows, headers)})
        funnel = []
        funnel_headers = {column: t[column] for column in ("stage", "count", "conversion")}
        funnel_headers = {"occasion": t["period"], **funnel_headers}
        for conversions in team.funnel_trends:
            title = f"{t['funnel']}: {t['conversion']}"
            if len(team.funnel_trends) > 1:
                title += f" · {t['cadence_' + conversions.cadence]}"
            chart = self.drawn(
                line_chart,
                title,
                list(conversions.occasions),
                {str(stage): _values(row) for stage, row in conversions.by_stage.iterrows()},
                percent=True,
            )
            funnel.append(
                {
                    "title": title if len(team.funnel_trends) > 1 else "",
                    "chart": chart,
                    "table": self.html_table(conversions.rows, funnel_headers),
                }
            )
        one_off = None
        if team.one_off_kpis:
            one_off = self.html_table(
                team.one_off_kpis,
                {
                    "occasion": t["review"],
                    "metric": t["metric"],
                    "unit": t["unit"],
                    "target": t["target"],
                    "actual": t["actual"],
                    "achievement": t["achievement"],
                },
            )
        reviews = [self.analysis.review_rows[r.id] for r in reversed(team.reviews)]
        return self.page(
            "team.md.j2",
            urls.team_page(team.slug),
            team=team,
            reviews=reviews,
            summary=team.summary,
            achievement=achievement,
            metrics=metrics,
            funnel=funnel,
            one_off=one_off,
            open=records(team.open_actions),
            causes=self._causes(team.causes, t) if not team.causes.empty else None,
            # The factors are the chart's bars, counted there (and in its table) by problem; listed again
            # here they would be counted by review, and a factor would read 3 in the chart and 2 below it.
            themes=[row for row in records(team.themes) if row["kind"] != "factor"],
        )

    def submit(self) -> Content:
        language = language_of(self.config.language)
        example_name = catalogue(language).example_review
        example = resources.files("retrogen") / "templates" / "init" / "reviews" / f"{example_name}.yaml"
        return self.page(
            "submit.md.j2",
            urls.SUBMIT,
            fields=list(_schema_fields(load_schema())),
            codes=list(CODES.values()),
            language=language,
            example_name=example_name,
            example=example.read_text(encoding="utf-8"),
        )


def _follow_up_key(row: FollowUpRow) -> Hashable:
    """What a follow-up row shows: its action (one per review and id in a build) in its state and verdict on the
    meeting's day."""
    return (row.review, row.action.id, row.state, row.verification.verdict if row.verification else None)


def _choices(values: Iterable[str], *, reverse: bool = False) -> list[tuple[str, str]]:
    """A filter's options, (value, shown) pairs: each distinct value once, sorted."""
    return [(v, v) for v in sorted(set(values), reverse=reverse)]


def _values(row: pd.Series) -> list[float | None]:
    """A pivot row as chart values: NaN (not reported) becomes None."""
    return [None if pd.isna(v) else float(v) for v in row]


def _changes_shown(rows: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """Metric rows with their change signed (+7 pp for a rate, -9.5% otherwise), for a table."""
    return [{**row, "change": signed_change(row["change"], row["change_unit"])} for row in rows]


def _schema_fields(schema: dict[str, Any], prefix: str = "") -> Any:
    """(path, title, description) of every property, depth first, so the reference never drifts."""
    definitions = schema.get("$defs", {})
    for name, node in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield {"path": path, "title": node.get("title", ""), "description": node.get("description", "")}
        items = node.get("items") if isinstance(node.get("items"), dict) else None
        target = items if items and "properties" in items else node
        if "properties" in target:
            yield from _schema_fields(
                {"properties": target["properties"], "$defs": definitions}, f"{path}[]." if items else f"{path}."
            )


def build_pages(analysis: Analysis, config: Config) -> dict[str, str]:
    """Every page, rendered."""
    return {name: page for name, page in SiteBuilder(analysis, config).pages().items() if isinstance(page, str)}


def regenerated_pages(analysis: Analysis, config: Config, memo: PageMemo) -> Pages:
    """Every page, KEPT where `memo` has it from the same inputs."""
    return SiteBuilder(analysis, config, memo).pages()


def review_pages(analysis: Analysis, config: Config, memo: PageMemo, reviews: Iterable[Review]) -> Pages:
    """The pages of `reviews` alone, KEPT where `memo` has them from the same inputs."""
    shown = list(reviews)
    builder = SiteBuilder(analysis, config, memo, only={review.id for review in shown})
    return {urls.review_page(review.id): builder.review(review) for review in shown}
