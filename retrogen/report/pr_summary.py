"""What a reviewer needs when a review's pull request opens, as the Markdown comment CI posts (`pr-summary`).

For each review the pull request adds or changes: its KPIs with achievement, its actions with owners and due
dates, the follow-up of the team's earlier actions, and the few most related past problems and lessons, with
links to the published site. Everything comes from the Analysis the site and the reports use; nothing is
computed again here. The first line is a hidden marker, so the workflow finds and updates its one comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from retrogen.core.words import catalogue
from retrogen.engine.analysis import Analysis
from retrogen.engine.loop import FollowUp
from retrogen.engine.model import Review
from retrogen.engine.related import Match
from retrogen.formats import urls
from retrogen.formats.render import environment
from retrogen.formats.urls import SiteUrls
from retrogen.report.content import ReportBuilder, ReportError, ReviewReport

# The comment's first line: the workflow updates the comment that starts with it instead of adding one.
MARKER = "<!-- retrogen:pr-summary -->"
# A reviewer reads three related items (the site's review page lists five; Analysis.related_to).
RELATED_SHOWN = 3


@dataclass(frozen=True)
class ReviewSummary:
    report: ReviewReport
    related: tuple[tuple[Review, Match], ...]

    @property
    def review(self) -> Review:
        return self.report.review

    @property
    def follow_up(self) -> FollowUp:
        return self.report.follow_up


@dataclass(frozen=True)
class PrSummary:
    """The reviews a pull request brings, and the files it names that do not pass the gate (the check job
    shows why); links go to the site's site_url, none when it is unknown."""

    language: str
    reviews: tuple[ReviewSummary, ...]
    failing: tuple[str, ...]
    site: SiteUrls

    def review_url(self, review_id: str, item_id: str = "") -> str | None:
        """Where the review's page (or an action or lesson on it) is, or will be once merged, on the site."""
        return self.site.absolute(urls.item(review_id, item_id) if item_id else urls.review(review_id))


def _resolve(names: list[str], builder: ReportBuilder, cwd: Path) -> tuple[list[Review], list[str]]:
    """The reviews `names` (ids or file paths) point at, in the order given, and the files among them that the
    gate left out. ReportError for a name that is neither."""
    analysis = builder.analysis
    by_id = {r.id: r for r in analysis.knowledge_base.reviews}
    by_path = {r.path.resolve(): r for r in analysis.knowledge_base.reviews}
    # A finding names its file as `check` shows it: relative to the working folder, or absolute outside it.
    failing_files = {(cwd / f.path).resolve(): f.path for f in analysis.knowledge_base.skipped}
    reviews: list[Review] = []
    failing: list[str] = []
    for name in names:
        path = (cwd / name).resolve()
        review = by_id.get(name) or by_path.get(path)
        if review is not None:
            if review not in reviews:
                reviews.append(review)
        elif path in failing_files:
            failing.append(failing_files[path])
        else:
            # ReportBuilder's own error, with its did-you-mean over the review ids.
            builder.review(name)
    return reviews, failing


def pr_summary(
    analysis: Analysis,
    names: list[str],
    language: str,
    site: SiteUrls,
    *,
    cwd: Path | None = None,
) -> PrSummary:
    """The summary of the reviews `names` (ids, or paths relative to `cwd`) as of the analysis' day."""
    if not names:
        raise ReportError("name the reviews of the pull request (ids or files)")
    builder = ReportBuilder(analysis)
    reviews, failing = _resolve(names, builder, cwd or Path.cwd())
    by_id = analysis.review_rows
    summaries = tuple(
        ReviewSummary(
            builder.of(review),
            tuple((by_id[m.review].review, m) for m in analysis.related_to(review.id, RELATED_SHOWN)),
        )
        for review in reviews
    )
    return PrSummary(language, summaries, tuple(failing), site)


def to_markdown(summary: PrSummary) -> str:
    """The comment: GitHub-flavoured Markdown, review text made inert (it is untrusted)."""
    template = environment("templates").get_template("pr_summary.md.j2")
    return template.render(s=summary, text=catalogue(summary.language).labels, marker=MARKER)
