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
from retrogen.engine.related import RELATED_THRESHOLD, Match
from retrogen.formats.render import environment
from retrogen.report.content import ReportBuilder, ReportError, ReviewReport

# The comment's first line: the workflow updates the comment that starts with it instead of adding one.
MARKER = "<!-- retrogen:pr-summary -->"
# A reviewer reads three related items (the site's review page lists five), two at most of any one review so
# that more than one past review speaks.
RELATED_SHOWN = 3


@dataclass(frozen=True)
class ReviewSummary:
    report: ReviewReport
    follow_up: FollowUp
    related: tuple[tuple[Review, Match], ...]

    @property
    def review(self) -> Review:
        return self.report.review


@dataclass(frozen=True)
class PrSummary:
    """The reviews a pull request brings, and the files it names that do not pass the gate (the check job
    shows why); links go to `site_url`, none when it is unknown."""

    language: str
    reviews: tuple[ReviewSummary, ...]
    failing: tuple[str, ...]
    site_url: str | None
    directory_urls: bool = True

    def review_url(self, review_id: str, anchor: str = "") -> str | None:
        """Where the review's page is (or will be, once merged) on the published site."""
        if not self.site_url:
            return None
        page = f"reviews/{review_id}/" if self.directory_urls else f"reviews/{review_id}.html"
        return f"{self.site_url.rstrip('/')}/{page}{'#' + anchor if anchor else ''}"


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
    site_url: str | None,
    *,
    directory_urls: bool = True,
    cwd: Path | None = None,
) -> PrSummary:
    """The summary of the reviews `names` (ids, or paths relative to `cwd`) as of the analysis' day."""
    if not names:
        raise ReportError("name the reviews of the pull request (ids or files)")
    builder = ReportBuilder(analysis)
    reviews, failing = _resolve(names, builder, cwd or Path.cwd())
    index = analysis.related
    by_id = {r.id: r for r in analysis.knowledge_base.reviews}
    summaries = tuple(
        ReviewSummary(
            builder.of(review),
            analysis.follow_up(review),
            tuple(
                (by_id[m.review], m)
                for m in index.like_review(review.id, RELATED_SHOWN, RELATED_THRESHOLD, per_review=2)
            ),
        )
        for review in reviews
    )
    return PrSummary(language, summaries, tuple(failing), site_url, directory_urls)


def to_markdown(summary: PrSummary) -> str:
    """The comment: GitHub-flavoured Markdown, review text made inert (it is untrusted)."""
    template = environment("templates").get_template("pr_summary.md.j2")
    return template.render(s=summary, text=catalogue(summary.language).labels, marker=MARKER)
