"""The review format's closed word lists, read from the schema, the one place where they are written."""

from __future__ import annotations

from typing import Any

from retrogen.gate.schema import load_schema


def _enum(*path: str) -> tuple[str, ...]:
    """The `enum` of a review field: ("actions", "status") is the status of an action."""
    node: Any = load_schema()
    for name in path:
        node = node["properties"][name]
        if "items" in node:
            node = node["items"]
    return tuple(node["enum"])


KINDS = _enum("kind")
FACTORS = _enum("problems", "factor")
LESSON_TYPES = _enum("lessons", "type")
STATUSES = _enum("actions", "status")  # core.status.Status, as the schema writes it (a test keeps them equal)
LANGUAGES = ("zh", "en")
