"""Each review's 《复盘报告》 as a Word document beside its page (reviews/<id>.docx), which the page offers
as a download: people who do not browse the site get the same report `retrogen report` writes."""

from __future__ import annotations

from dataclasses import fields

from retrogen.engine.analysis import Analysis
from retrogen.formats.urls import report_file
from retrogen.report.content import Report, ReportBuilder, ReviewReport
from retrogen.report.writers import to_docx
from retrogen.site.memo import KEPT, Content, PageMemo, follow_up_shown


def review_reports(analysis: Analysis, memo: PageMemo | None = None) -> dict[str, Content]:
    """Path inside docs_dir -> the .docx of every review; KEPT where `memo` (serve's) has it from the same
    report."""
    builder = ReportBuilder(analysis)
    files: dict[str, Content] = {}
    for review in analysis.knowledge_base.reviews:
        name, report = report_file(review.id), builder.of(review)
        files[name] = _docx(report) if memo is None else _kept_or_written(memo, name, report)
    return files


def _kept_or_written(memo: PageMemo, name: str, report: ReviewReport) -> Content:
    # The report's fields, its follow-up as the report shows it (follow_up_shown).
    key = memo.digest(
        [
            follow_up_shown(report.follow_up) if f.name == "follow_up" else getattr(report, f.name)
            for f in fields(report)
        ]
    )
    if memo.kept(name, key, lambda _: None):
        return KEPT
    memo.rendered(name, key)
    return _docx(report)


def _docx(report: ReviewReport) -> bytes:
    return to_docx(Report(report.language, (report,)))
