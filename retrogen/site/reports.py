"""Each review's 《复盘报告》 as a Word document beside its page (reviews/<id>.docx), which the page offers
as a download: people who do not browse the site get the same report `retrogen report` writes."""

from __future__ import annotations

from functools import lru_cache

from retrogen.engine.analysis import Analysis
from retrogen.formats.urls import report_file
from retrogen.report.content import Report, ReportBuilder, ReviewReport
from retrogen.report.writers import to_docx


def review_reports(analysis: Analysis) -> dict[str, bytes]:
    """Path inside docs_dir -> the .docx of every review."""
    builder = ReportBuilder(analysis)
    return {report_file(review.id): _docx(builder.of(review)) for review in analysis.knowledge_base.reviews}


@lru_cache(maxsize=4096)
def _docx(report: ReviewReport) -> bytes:
    """`serve` regenerates every page after each edit; a review whose report did not change (its content is
    the cache key) is not written again. Bounded: at 23 KB a document, 4,096 of them hold under 100 MB."""
    return to_docx(Report(report.language, (report,)))
