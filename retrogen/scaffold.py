"""`retrogen new`: a review file to fill in, never written over an existing one."""

from __future__ import annotations

import json
import os
import re
from datetime import date
from functools import cache
from pathlib import Path
from typing import Any

import jinja2

from retrogen.checker import known_ids
from retrogen.config import Config
from retrogen.errors import RetrogenError
from retrogen.files import write_file
from retrogen.schema import SCHEMA_NAME, inline_definitions, load_schema, schema_path

KINDS = ("periodic", "project", "anomaly", "capability")
KIND_LABELS = {
    "zh": {"periodic": "周期性业绩复盘", "project": "重点项目复盘", "anomaly": "异常情况复盘",
           "capability": "团队能力复盘"},
    "en": {"periodic": "a sales period", "project": "a key project or deal", "anomaly": "an anomaly",
           "capability": "a team capability"},
}

# YAML, not HTML: autoescape would corrupt it. Values from the user go through the `yaml` filter,
# which writes a JSON string (always valid YAML), so no input can change the file's structure.
_templates = jinja2.Environment(
    loader=jinja2.PackageLoader("retrogen", "templates/new"),
    autoescape=False,
    keep_trailing_newline=True,
    undefined=jinja2.StrictUndefined,
)
_templates.filters["yaml"] = lambda value: json.dumps(str(value), ensure_ascii=False)


@cache
def id_rules() -> dict[str, Any]:
    """The schema's rules for a review id (its pattern and maximum length): `new` refuses what `check` would."""
    schema = load_schema()
    rules: dict[str, Any] = inline_definitions(schema, schema.get("$defs", {}))["properties"]["id"]
    return rules


def id_problem(review_id: str) -> str | None:
    """Why `review_id` cannot be a review id, or None when it can."""
    rules = id_rules()
    if not re.fullmatch(rules["pattern"], review_id):  # fullmatch: a trailing newline is not part of an id
        return "use lowercase letters, digits and hyphens, e.g. 2026-q4-east-sales"
    if len(review_id) > rules["maxLength"]:
        return f"it has {len(review_id)} characters, at most {rules['maxLength']} are allowed"
    return None


def schema_reference(config: Config, folder: Path) -> str:
    """The modeline's schema path, relative to the new file so that it works in every clone."""
    local = config.root / "schema" / SCHEMA_NAME
    target = local if local.is_file() else schema_path()
    return Path(os.path.relpath(target, folder)).as_posix()


def render_review(review_id: str, kind: str, lang: str, team: str, held_on: date, schema: str) -> str:
    return _templates.get_template(f"review.{lang}.yaml.j2").render(
        id=review_id, kind=kind, team=team, held_on=held_on.isoformat(), schema=schema,
        kind_label=KIND_LABELS[lang][kind],
    )


def new_review(config: Config, review_id: str, kind: str, lang: str, team: str | None, held_on: date) -> Path:
    """Write reviews/<id>.yaml from the template; returns its path. Refuses a used id or an existing file."""
    problem = id_problem(review_id)
    if problem:
        raise RetrogenError(f"{review_id!r} is not a review id: {problem}")
    path = config.reviews_dir / f"{review_id}.yaml"
    for used, where in known_ids(config.reviews_dir, set()):
        if used == review_id:
            raise RetrogenError(f"review id {review_id!r} is already used by {where}; choose another id")
    team = team or ("TODO: 团队" if lang == "zh" else "TODO: team")
    write_file(path, render_review(review_id, kind, lang, team, held_on, schema_reference(config, path.parent)))
    return path
