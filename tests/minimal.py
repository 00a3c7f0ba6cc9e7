"""Small knowledge bases written from minimal reviews that pass `check`: for tests that need a few teams,
metrics or names of their own without copying the fixture knowledge base."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

MKDOCS_YML = "site_name: 复盘\ndocs_dir: .retrogen/docs\ntheme:\n  name: material\n  language: zh\n"


def review(
    review_id: str, team: str, metrics: list[dict[str, Any]] | None = None, quarter: int = 1, **fields: Any
) -> dict[str, Any]:
    """A periodic review of 2026-Q`quarter` that passes `check` (with warnings at most)."""
    start, end = {1: ("01-01", "03-31"), 2: ("04-01", "06-30"), 3: ("07-01", "09-30"), 4: ("10-01", "12-31")}[quarter]
    data: dict[str, Any] = {
        "schema_version": 1,
        "id": review_id,
        "title": f"Review {review_id}",
        "kind": "periodic",
        "team": team,
        "period": {"label": f"2026-Q{quarter}", "start": f"2026-{start}", "end": f"2026-{end}"},
        "held_on": f"2026-{end}",
        "objective": "See what worked",
        "participants": [{"name": "Ann Lee", "role": "lead"}],
        "metrics": metrics
        if metrics is not None
        else [
            {
                "category": "Sales",
                "name": "Bookings",
                "unit": "kEUR",
                "target": 100,
                "actual": 90,
                "analysis": "One deal slipped",
            }
        ],
        "actions": [
            {
                "id": "A1",
                "action": "Call every open deal",
                "type": "process",
                "owner": "Ann Lee",
                "due": "2026-12-31",
                "checkpoint": "List of calls",
            }
        ],
    }
    data.update(fields)
    return data


def write_knowledge_base(folder: Path, reviews: list[dict[str, Any]]) -> Path:
    """`reviews` as the files of a knowledge base in `folder` (its mkdocs.yml included)."""
    (folder / "reviews").mkdir(parents=True, exist_ok=True)
    (folder / "mkdocs.yml").write_text(MKDOCS_YML, encoding="utf-8")
    for data in reviews:
        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=10**6)
        (folder / "reviews" / f"{data['id']}.yaml").write_text(text, encoding="utf-8")
    return folder
