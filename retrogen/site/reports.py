"""Each review's 《复盘报告》 as a Word document beside its page (reviews/<id>.docx), which the page offers
as a download: people who do not browse the site get the same report `retrogen report` writes."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import fields

from retrogen.engine.analysis import Analysis
from retrogen.engine.model import Review
from retrogen.formats.urls import report_file
from retrogen.report.content import Report, ReportBuilder, ReviewReport
from retrogen.report.writers import to_docx
from retrogen.site.memo import KEPT, Content, PageMemo


def review_reports(
    analysis: Analysis, memo: PageMemo | None = None, reviews: Iterable[Review] | None = None
) -> dict[str, Content]:
    """Path inside docs_dir -> the .docx of every review (or of `reviews`); KEPT where `memo` (serve's) has it
    from the same content: the digest the review's page made of it (PageMemo.contents), else the report's."""
    builder = ReportBuilder(analysis)
    shown = analysis.knowledge_base.reviews if reviews is None else list(reviews)
    if memo is None:
        return {report_file(review.id): _docx(builder.of(review)) for review in shown}
    files: dict[str, Content] = {}
    made: list[tuple[Review, ReviewReport | None]] = []
    for review in shown:
        name = report_file(review.id)
        report, key = None, memo.contents.get(review.id)
        if key is None:
            report = builder.of(review)
            # The report's fields, its follow-up as the report shows it (PageMemo.follow_up_shown).
            key = memo.digest(
                [
                    memo.follow_up_shown(report.follow_up) if f.name == "follow_up" else getattr(report, f.name)
                    for f in fields(report)
                ]
            )
        if memo.kept(name, key, lambda _: None):
            files[name] = KEPT
        else:  # built only when it is written: a kept report costs its page's digest alone
            memo.rendered(name, key)
            made.append((review, report))
    # The reports of a few teams (a figure's save makes its team's again) from each team's tables alone, which
    # they read the same (ReportBuilder.of_team), not from every review's rows (0.1 s of a save at 1,000 reviews)
    every = {review.team for review in analysis.knowledge_base.reviews}
    few = len({review.team for review, _ in made}) < len(every)
    teams: dict[str, ReportBuilder] = {}
    for review, report in made:
        maker = builder
        if few:
            maker = teams[review.team] = teams.get(review.team) or builder.of_team(review.team)
        files[report_file(review.id)] = _docx(report or maker.of(review))
    return files


def _docx(report: ReviewReport) -> bytes:
    return to_docx(Report(report.language, (report,)))
