"""The site's pages as Markdown, from one Analysis: a mapping of path (inside docs_dir) to content."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable
from functools import cached_property
from importlib import resources
from typing import Any

import pandas as pd
from markupsafe import Markup, escape

from retrogen.actions import action_summary
from retrogen.analysis import Analysis
from retrogen.config import Config
from retrogen.findings import CODES
from retrogen.labels import labels
from retrogen.model import Review
from retrogen.numbers import number, percent
from retrogen.playbook import playbook_markdown
from retrogen.render import environment
from retrogen.schema import load_schema
from retrogen.site.charts import bar_chart, line_chart
from retrogen.starter import EXAMPLES
from retrogen.tables import RATE_COLUMNS, records
from retrogen.vocabulary import FACTORS, LESSON_TYPES

Pages = dict[str, str]


def _front(value: Any) -> Markup:
    """A front-matter value. MkDocs and Material put titles and tags into HTML without escaping them, so
    they are HTML-escaped here; JSON is valid YAML, so no value can change the front matter's structure."""
    if isinstance(value, (list, tuple)):
        return Markup(json.dumps([str(escape(v)) for v in value], ensure_ascii=False))
    return Markup(json.dumps(str(escape(value)), ensure_ascii=False))


class SiteBuilder:
    """Renders every page; one instance per build."""

    def __init__(self, analysis: Analysis, config: Config) -> None:
        self.analysis = analysis
        self.config = config
        self.text = labels(config.language)
        self.env = environment("templates/site")
        self.env.filters["front"] = _front
        self.env.globals.update(text=self.text, review_href=self.review_href, factors=FACTORS)
        directory_urls = config.mkdocs.get("use_directory_urls", True) is not False
        self._suffix = "/" if directory_urls else ".html"
        self._up = "../" if directory_urls else ""
        # Rows grouped by review once: filtering a frame per review would make the build quadratic, and
        # turning many small frames into rows costs more than turning one big one.
        self.actions_by_review = _grouped(records(analysis.actions), "review")
        self.metrics_by_review = _grouped(records(analysis.metrics), "review")
        self.funnel_by_review = _grouped(records(analysis.funnel), "review")

    def review_href(self, review_id: str, anchor: str = "") -> str:
        """A link from a top-level page to a review page, for raw HTML where MkDocs does not rewrite links."""
        return f"{self._up}reviews/{review_id}{self._suffix}{'#' + anchor if anchor else ''}"

    def render(self, template: str, **context: Any) -> str:
        return self.env.get_template(template).render(**context)

    def html_table(self, frame: pd.DataFrame | list[dict[str, Any]], headers: dict[str, str]) -> Markup:
        """A small HTML table of rows (the numbers beside a chart), rates as percentages."""
        def cell(column: str, value: Any) -> str:
            if column in RATE_COLUMNS:
                return percent(value)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return number(value)
            return "" if value is None else str(value)

        rows = [[cell(c, row[c]) for c in headers] for row in (frame if isinstance(frame, list) else records(frame))]
        return Markup(self.render("table.html.j2", headers=list(headers.values()), rows=rows))

    def pages(self) -> Pages:
        pages: Pages = {
            "index.md": self.dashboard(),
            "reviews/index.md": self.reviews_index(),
            "lessons.md": self.lessons(),
            "playbook.md": self.playbook(),
            "actions.md": self.actions(),
            "metrics.md": self.metrics(),
            "tags.md": self.render("tags.md.j2"),
            "submit.md": self.submit(),
        }
        for review in self.analysis.knowledge_base.reviews:
            pages[f"reviews/{review.id}.md"] = self.review(review)
        return pages

    # --- one review -------------------------------------------------------------------------------
    def review(self, review: Review) -> str:
        a = self.analysis
        metrics = self.metrics_by_review.get(review.id, [])
        funnel = self.funnel_by_review.get(review.id, [])
        actions = []
        rows = {row["id"]: dict(row) for row in self.actions_by_review.get(review.id, [])}
        for action in review.actions:
            row = rows.get(action.id)
            if row is None:
                continue
            row["resources"] = "; ".join(action.resources)
            row["history"] = a.histories[(review.id, action.id)]
            actions.append(row)
        # A review's page speaks the review's language; the site-wide pages follow theme.language.
        text = labels(review.language)
        funnel_chart = bar_chart(text["funnel"], [s["stage"] for s in funnel], [s["count"] for s in funnel])
        funnel_columns = {"stage": text["stage"], "count": text["count"], "conversion": text["conversion"]}
        if any(s["target_rate"] is not None for s in funnel):
            funnel_columns["target_rate"] = text["target_rate"]
        return self.render(
            "review.md.j2", text=text, r=review, metrics=metrics, funnel=funnel, actions=actions,
            follow_up=a.follow_up(review), funnel_chart=Markup(funnel_chart.svg()),
            funnel_table=self.html_table(funnel, funnel_columns),
        )

    # --- knowledge-base pages ---------------------------------------------------------------------
    @cached_property
    def _stats(self) -> dict[str, Any]:
        """Headline counts, shown on the dashboard and the action tracker."""
        a = self.analysis
        totals = a.action_totals
        return {"reviews": len(a.knowledge_base.reviews), "teams": len({r.team for r in a.knowledge_base.reviews}),
                "lessons": len(a.lessons), "open": totals.get("open", 0), "overdue": totals.get("overdue", 0),
                "on_time": totals.get("on_time_rate"), "completion": totals.get("completion_rate"),
                "verification": totals.get("verification_rate"), "verified": totals.get("verified", 0)}

    def dashboard(self) -> str:
        a = self.analysis
        overdue = records(a.overdue_actions)
        themes = records(a.recurring_themes.head(10))
        return self.render("index.md.j2", site_name=self.config.site_name, stats=self._stats,
                           latest=self._review_rows[:8], suffix=self._suffix, overdue=overdue[:10], themes=themes,
                           notices=a.notices)

    @cached_property
    def _review_rows(self) -> list[dict[str, Any]]:
        """Every review, latest first, with its headline KPI and its open and overdue action counts."""
        a = self.analysis
        reviews = sorted(a.knowledge_base.reviews, key=lambda r: (r.held_on, r.id), reverse=True)
        overdue_counts = Counter(a.overdue_actions["review"])
        # A review's headline KPI is the metric its authors put first.
        return [{"review": review, "open": a.open_counts.get(review.id, 0), "overdue": overdue_counts[review.id],
                 "headline": next(iter(self.metrics_by_review.get(review.id, [])), None)} for review in reviews]

    def reviews_index(self) -> str:
        reviews = [row["review"] for row in self._review_rows]
        return self.render("reviews_index.md.j2", rows=self._review_rows, suffix=self._suffix,
                           teams=_choices(r.team for r in reviews),
                           kinds=[(k, self.text[k]) for k in dict.fromkeys(r.kind for r in reviews)],
                           periods=_choices((r.period for r in reviews if r.period), reverse=True))

    def lessons(self) -> str:
        lessons = records(self.analysis.lessons.sort_values(["held_on", "review", "lesson_id"],
                                                            ascending=[False, True, True]))
        return self.render("lessons.md.j2", lessons=lessons, types=[(t, self.text[t]) for t in LESSON_TYPES],
                           tags=_choices(t for row in lessons for t in row["tags"]),
                           teams=_choices(row["team"] for row in lessons))

    def playbook(self) -> str:
        body = playbook_markdown(self.analysis.playbook, self.config.language, self.analysis.today,
                                 review_link="reviews/", link_suffix=".md")
        front = f"title: {_front(self.text['playbook'])}\nhide: [navigation]\nsearch:\n  exclude: true"
        return f"---\n{front}\n---\n\n{body}"

    def actions(self) -> str:
        a = self.analysis
        by_owner, by_team = action_summary(a.actions, "owner"), action_summary(a.actions, "team")
        weekly = a.weekly.tail(26)
        weeks = [d.isoformat()[5:] for d in weekly["week"]]
        chart = line_chart(self.text["over_time"], weeks, {
            self.text["open"]: list(weekly["open"]), self.text["overdue"]: list(weekly["overdue"]),
            self.text["done"]: list(weekly["done"])})
        t = self.text
        overdue, open_rows, done = records(a.overdue_actions), records(a.open_actions), records(a.recently_done())
        listed = overdue + open_rows + done
        rates = {"actions": t["actions"], "open": t["open"], "overdue": t["overdue"], "done": t["done"],
                 "carried": t["carried"], "completion_rate": t["completion_rate"], "on_time_rate": t["on_time_rate"],
                 "verified": t["verification"], "verification_rate": t["verification_rate"]}
        return self.render(
            "actions.md.j2", stats=self._stats, overdue=list(_grouped(overdue, "team").items()), open=open_rows,
            recently_done=done, titles={r.id: r.title for r in a.knowledge_base.reviews},
            teams=_choices(row["team"] for row in listed), owners=_choices(row["owner"] for row in listed),
            states=[(s, t[s]) for s in dict.fromkeys(row["state"] for row in listed)],
            by_owner=self.html_table(by_owner, {"owner": t["owner"], **rates}),
            by_team=self.html_table(by_team, {"team": t["team"], **rates}),
            weekly_chart=Markup(chart.svg()),
            weekly_table=self.html_table(weekly, {"week": t["week"], "open": t["open"], "overdue": t["overdue"],
                                                  "done": t["done"]}),
        )

    def metrics(self) -> str:
        a, t = self.analysis, self.text
        teams = []
        for team, pivot in a.achievement_trends.items():
            periods = [str(p) for p in pivot.columns]
            series = {str(name): [None if pd.isna(v) else float(v) for v in row] for name, row in pivot.iterrows()}
            chart = line_chart(f"{team}", periods, series, percent=True, reference=1.0)
            rows = [{"metric": name, **{p: percent(v) for p, v in zip(periods, values, strict=True)}}
                    for name, values in series.items()]
            teams.append({"name": team, "chart": Markup(chart.svg()),
                          "table": self.html_table(rows, {"metric": t["metric"], **{p: p for p in periods}})})
        overall = a.funnel_overall
        funnel_chart = bar_chart(t["overall"], list(overall["review"]), list(overall["overall"]), percent=True)
        causes = a.causes
        causes_chart = bar_chart(t["causes"], [t[f] for f in causes["factor"]], list(causes["problems"]),
                                 cumulative=list(causes["cumulative_share"]))
        causes_labelled = causes.assign(factor=[t[f] for f in causes["factor"]])
        return self.render(
            "metrics.md.j2", teams=teams,
            funnel_chart=Markup(funnel_chart.svg()),
            funnel_table=self.html_table(overall, {"review": t["review"], "team": t["team"], "period": t["period"],
                                                   "first": t["count"], "last": t["actual"],
                                                   "overall": t["overall"]}),
            causes_chart=Markup(causes_chart.svg()),
            causes_table=self.html_table(causes_labelled, {"factor": t["factor"], "problems": t["problems_count"],
                                                           "share": t["share"],
                                                           "cumulative_share": t["cumulative_share"]}),
        )

    def submit(self) -> str:
        language = "zh" if self.config.language.startswith("zh") else "en"
        example = resources.files("retrogen") / "templates" / "init" / "reviews" / f"{EXAMPLES[language]}.yaml"
        return self.render("submit.md.j2", fields=list(_schema_fields(load_schema())), codes=list(CODES.values()),
                           language=language, example_name=EXAMPLES[language],
                           example=example.read_text(encoding="utf-8"))


def _choices(values: Iterable[str], reverse: bool = False) -> list[tuple[str, str]]:
    """A filter's options, (value, shown) pairs: each distinct value once, sorted."""
    return [(v, v) for v in sorted(set(values), reverse=reverse)]


def _grouped(rows: list[dict[str, Any]], key: str) -> dict[str, list[dict[str, Any]]]:
    """Rows by their value of `key`, in the order each value first appears."""
    grouped: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        grouped.setdefault(row[key], []).append(row)
    return grouped


def _schema_fields(schema: dict[str, Any], prefix: str = "") -> Any:
    """(path, title, description) of every property, depth first, so the reference never drifts."""
    definitions = schema.get("$defs", {})
    for name, node in schema.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield {"path": path, "title": node.get("title", ""), "description": node.get("description", "")}
        items = node.get("items") if isinstance(node.get("items"), dict) else None
        target = items if items and "properties" in items else node
        if "properties" in target:
            yield from _schema_fields({"properties": target["properties"], "$defs": definitions},
                                      f"{path}[]." if items else f"{path}.")


def build_pages(analysis: Analysis, config: Config) -> Pages:
    return SiteBuilder(analysis, config).pages()

