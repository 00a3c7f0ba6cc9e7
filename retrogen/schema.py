"""The review schema: finding it, validating against it, and turning its errors into findings."""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

import fastjsonschema
from jsonschema import Draft202012Validator, ValidationError

from retrogen.loader import Document, FieldPath, field_name

SCHEMA_NAME = "review.schema.json"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def schema_path() -> Path:
    """The schema file: the copy inside an installed wheel, else the checkout's schema/ folder."""
    packaged = resources.files("retrogen") / "data" / SCHEMA_NAME
    if packaged.is_file():
        return Path(str(packaged))
    return Path(__file__).resolve().parent.parent / "schema" / SCHEMA_NAME


@lru_cache(maxsize=1)
def load_schema() -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_path().read_text(encoding="utf-8"))
    return schema


def inline_definitions(node: Any, definitions: dict[str, Any]) -> Any:
    """The schema with each local `$ref` replaced by its definition: resolving references at validation
    time takes about a quarter of jsonschema's time, and the review schema is not recursive."""
    if isinstance(node, list):
        return [inline_definitions(item, definitions) for item in node]
    if not isinstance(node, dict):
        return node
    ref = node.get("$ref")
    if isinstance(ref, str) and ref.startswith("#/$defs/"):
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        return {**inline_definitions(definitions[ref.removeprefix("#/$defs/")], definitions), **siblings}
    return {key: inline_definitions(value, definitions) for key, value in node.items() if key != "$defs"}


def _is_date(value: str) -> bool:
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return _DATE.fullmatch(value) is not None


@lru_cache(maxsize=1)
def fast_validator() -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema, about 14 times faster than jsonschema.

    It only answers "valid or not": most reviews are valid, and for those the answer is all we need.
    fastjsonschema has no real 2020-12 support, so it gets the inlined schema as draft-07: every keyword
    the review schema uses means the same in both (a test holds the two validators to the same verdicts).
    """
    schema = load_schema()
    draft7 = {**inline_definitions(schema, schema.get("$defs", {})),
              "$schema": "http://json-schema.org/draft-07/schema#"}
    compiled: Callable[[Any], Any] = fastjsonschema.compile(draft7, formats={"date": _is_date})
    return compiled


def is_valid(data: Any) -> bool:
    try:
        fast_validator()(data)
    except fastjsonschema.JsonSchemaException:
        return False
    return True


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    """One validator per process, on the inlined schema: building it costs more than validating a review."""
    schema = load_schema()
    return Draft202012Validator(inline_definitions(schema, schema.get("$defs", {})),
                                format_checker=Draft202012Validator.FORMAT_CHECKER)


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {value!r}" if len(value) < 60 else "a long text"
    return "a list" if isinstance(value, list) else "a mapping"


_TYPE_WORDS = {"string": "text", "number": "a number", "integer": "a whole number", "array": "a list",
               "object": "a mapping of fields", "boolean": "true or false"}


def _expected(schema: dict[str, Any]) -> str:
    if schema.get("format") == "date":
        return "a date written YYYY-MM-DD"
    kind = schema.get("type")
    return _TYPE_WORDS.get(kind, str(kind)) if isinstance(kind, str) else "another type"


def _hint(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f"did you mean {close[0]!r}?" if close else f"allowed: {', '.join(choices)}"


def _action_field(path: FieldPath, name: str) -> bool:
    return len(path) == 2 and path[0] == "actions" and name in {"owner", "due"}


SchemaIssue = tuple[str, FieldPath, bool, str]  # code, path, points at key?, message


def _issues(error: ValidationError) -> Iterator[SchemaIssue]:
    """What one jsonschema error means to the person editing the review."""
    path: FieldPath = tuple(error.absolute_path)
    name = field_name(path) or "the review"
    keyword, value, instance = error.validator, error.validator_value, error.instance
    if keyword == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        for extra in sorted(set(instance) - set(known)):
            yield "RG101", (*path, extra), True, f"unknown field {extra!r}; {_hint(extra, known)}"
    elif keyword == "required":
        for missing in value:
            if missing in instance:
                continue
            if _action_field(path, missing):
                code = "RG130" if missing == "owner" else "RG131"
                what = "name one person (owner: 张伟)" if missing == "owner" else "give a date (due: 2026-12-31)"
                noun = "owner" if missing == "owner" else "due date"
                yield code, path, False, f"action {instance.get('id', name)} has no {noun}; {what}"
            else:
                yield "RG102", path, False, f"{name} needs the field {missing!r}"
    elif keyword == "type":
        yield "RG103", path, False, f"{name} must be {_expected(error.schema)}, not {describe(instance)}"
    elif keyword in {"enum", "const"}:
        choices = [str(c) for c in (value if keyword == "enum" else [value])]
        yield "RG104", path, False, f"{name} is {describe(instance)}; {_hint(str(instance), choices)}"
    elif keyword == "format":
        yield "RG105", path, False, f"{name}: {instance!r} is not a real date; write YYYY-MM-DD"
    elif keyword == "pattern" and error.schema.get("format") == "date":
        return  # the format error above already says it, once
    elif keyword in {"pattern", "minLength"}:
        if len(path) == 3 and path[0] == "actions" and path[2] == "owner":
            yield "RG130", path, False, f"{name} is empty; name one person (owner: 张伟)"
        elif instance == "" or (isinstance(instance, str) and not instance.strip()):
            yield "RG106", path, False, f"{name} is empty; fill it in or remove the field"
        else:
            yield "RG106", path, False, f"{name}: {instance!r} {_pattern_advice(path)}"
    elif keyword == "contains" and path == ("participants",):
        yield "RG114", path, False, "no participant has role: lead; name the person who leads the review"
    elif keyword == "uniqueItems":
        yield "RG107", path, False, f"{name} lists the same value twice; keep one"
    else:
        yield "RG107", path, False, f"{name}: {error.message}"


def _pattern_advice(path: FieldPath) -> str:
    last = path[-1] if path else ""
    if path == ("id",):
        return "must be a lowercase slug of letters, digits and hyphens, e.g. 2026-q3-east-sales"
    if last == "id" or path[:1] == ("lessons",) or "addresses" in path:
        prefix = {"problems": "P", "lessons": "L", "actions": "A"}.get(str(path[0]), "P")
        return f"must be {prefix} followed by a number, e.g. {prefix}1"
    if "tags" in path:
        return "is not a tag: use words without commas or #, e.g. 定价 or decision-chain"
    return "does not have the required form"


def schema_issues(document: Document) -> Iterator[tuple[str, FieldPath, bool, str]]:
    """Every schema violation of the document, in file order, as (code, path, at_key, message)."""
    if is_valid(document.data):
        return  # the fast path: jsonschema is only needed to explain what is wrong
    issues = [issue for error in validator().iter_errors(document.data) for issue in _issues(error)]
    seen: set[tuple[str, FieldPath]] = set()
    for code, path, at_key, message in issues:
        if (code, path) in seen:
            continue
        seen.add((code, path))
        yield code, path, at_key, message
