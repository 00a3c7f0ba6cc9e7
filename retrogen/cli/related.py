"""`retrogen related`: have we seen this before? The most similar problems and lessons of other reviews."""

from __future__ import annotations

import click
import pandas as pd

from retrogen.cli.base import cli, load_analysis, say_notices
from retrogen.cli.tables import Shown, emit, table_options
from retrogen.engine.related import Match
from retrogen.gate.config import resolve_today

COLUMNS = ["review", "item", "kind", "text", "score"]


def matches_frame(matches: list[Match]) -> pd.DataFrame:
    return pd.DataFrame([[getattr(m, column) for column in COLUMNS] for m in matches], columns=COLUMNS)


@cli.command()
@click.argument("review_id", metavar="[REVIEW-ID]", required=False)
@click.option("--text", "query", metavar="TEXT", help="Free text to look for instead of a review.")
@click.option(
    "--limit", type=click.IntRange(min=1), default=5, show_default=True, help="How many problems and lessons to list."
)
@table_options
@click.pass_context
def related(
    ctx: click.Context,
    *,
    review_id: str | None,
    query: str | None,
    limit: int,
    fmt: str,
    raw: bool,
    wide: bool,
    lang: str | None,
) -> None:
    """The problems and lessons of other reviews most like a review (or like --text), best first.

    Chinese is segmented with jieba, English words are lower-cased and plurals folded, tags count more than
    words; the score is the TF-IDF cosine similarity (0 to 1).

    \b
    Example:
        retrogen related 2026-10-south-churn
        retrogen related --text "老客户流失 续约" --limit 10
        retrogen related --text "economic buyer" --format json
    """
    if review_id is None and query is None:
        raise click.UsageError(
            "say what to look for: a review id (retrogen related 2026-q3-east-sales) or "
            'free text (retrogen related --text "老客户流失 续约")'
        )
    if review_id is not None and query is not None:
        raise click.UsageError("name a review id or give --text, not both")
    analysis = load_analysis(ctx, resolve_today(None), use_git=False)
    index = analysis.related
    say_notices(analysis.cache_notices)
    matches = index.like_review(review_id, limit) if review_id else index.like_text(query or "", limit)
    emit(matches_frame(matches), fmt, None, dict, Shown.of(ctx, analysis, lang, wide=wide, raw=raw), force=False)
