"""The review schema: finding it, validating against it, and turning its errors into findings."""

from __future__ import annotations

import calendar
import contextlib
import functools
import hashlib
import importlib.util
import json
import marshal
import math
import re
import unicodedata
from collections.abc import Callable, Iterator
from datetime import date
from functools import lru_cache
from pathlib import Path
from types import CodeType
from typing import TYPE_CHECKING, Any

from retrogen.core.files import user_cache_dir, write_atomic
from retrogen.core.periods import FIRST_YEAR, LAST_YEAR
from retrogen.gate.hints import Hints, did_you_mean, is_placeholder
from retrogen.gate.loader import Document, FieldPath, field_name

if TYPE_CHECKING:  # jsonschema costs a quarter of a second to import: only an invalid review needs it
    from jsonschema import Draft202012Validator, ValidationError

SCHEMA_NAME = "review.schema.json"
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DATE_LIKE = re.compile(r"([0-9]{4})[-/. ]([0-9]{1,2})[-/. ]([0-9]{1,2})")
# Not calendar.month_name: that follows the process locale, and messages are English.
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def data_path(name: str, in_checkout: str) -> Path:
    """A file or folder the wheel carries in retrogen/data/ (see pyproject.toml), else its place in the
    checkout, `in_checkout` relative to the repository's root."""
    packaged = Path(__file__).parents[1] / "data" / name  # not importlib.resources: `check` pays for its import
    if packaged.is_file() or packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / in_checkout


def schema_path() -> Path:
    """The schema file: the copy inside an installed wheel, else the checkout's schema/ folder."""
    return data_path(SCHEMA_NAME, f"schema/{SCHEMA_NAME}")


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


def _quoted(text: str) -> str:
    return repr(text if len(text) <= 60 else f"{text[:57]}…")


def date_problem(text: str) -> str | None:
    """What is wrong with `text` as a review date and what to write instead; None for a good date."""
    if not _DATE.fullmatch(text):
        like = _DATE_LIKE.fullmatch(text.strip())
        fix = f": {like[1]}-{int(like[2]):02}-{int(like[3]):02}" if like else ""
        return f"{_quoted(text)} is not a date; write it as YYYY-MM-DD{fix}"
    year, month = int(text[:4]), int(text[5:7])
    if not FIRST_YEAR <= year <= LAST_YEAR:
        return f"{text} has an implausible year; write a year from {FIRST_YEAR} to {LAST_YEAR}"
    try:
        date.fromisoformat(text)
    except ValueError:
        if not 1 <= month <= 12:
            return f"{text} is not a real date: there is no month {month:02}; months run from 01 to 12"
        days = calendar.monthrange(year, month)[1]
        return f"{text} is not a real date: {_MONTHS[month - 1]} {year} has {days} days; correct the day"
    return None


def _is_date(value: object) -> bool:
    return not isinstance(value, str) or date_problem(value) is None


class SchemaMismatch(ValueError):
    """What the fast validator raises for data the schema refuses: its code raises fastjsonschema's exceptions
    by these names, given to it as this class, so that a check does not import fastjsonschema to run it."""

    def __init__(self, message: str = "", *args: Any, **kwargs: Any) -> None:
        super().__init__(message)


# The exceptions the generated code imports from fastjsonschema, and that it is given instead.
_GIVEN = {"JsonSchemaValueException": SchemaMismatch, "JsonSchemaValuesException": SchemaMismatch}


@lru_cache(maxsize=1)
def fast_validator() -> Callable[[Any], Any]:
    """The schema compiled to Python by fastjsonschema, about 14 times faster than jsonschema.

    It only answers "valid or not": most reviews are valid, and for those the answer is all we need.
    fastjsonschema has no real 2020-12 support, so it gets the inlined schema as draft-07: every keyword
    the review schema uses means the same in both (a test holds the two validators to the same verdicts).
    It gets no NaN guard either: its code for `not` raises and catches an exception for every number, which
    tripled its time; is_valid refuses NaN itself.
    """
    namespace: dict[str, Any] = dict(_GIVEN)
    exec(_validator_code(), namespace)  # what fastjsonschema.compile does with the code it generates
    return functools.partial(namespace["validate"], custom_formats={"date": _is_date})


def _draft7() -> dict[str, Any]:
    """The review schema as fastjsonschema is given it (see fast_validator)."""
    schema = load_schema()
    definitions = schema["$defs"]
    number = {key: value for key, value in definitions["number"].items() if key != "not"}
    return {
        **inline_definitions(schema, {**definitions, "number": number}),
        "$schema": "http://json-schema.org/draft-07/schema#",
    }


def _validator_code() -> CodeType:
    """The validator fastjsonschema generates for the schema, compiled: generating and compiling its half a
    megabyte of Python took 50 ms of every `check`, so the compiled code is kept in the user's cache (never in
    a knowledge base: it is run), keyed by what it is made from: the schema's bytes, this module's code (which
    makes the draft-07 schema of it), fastjsonschema's version and the interpreter's bytecode. A kept
    validator is run without importing fastjsonschema."""
    generator = importlib.util.find_spec("fastjsonschema")
    made_from = [schema_path(), Path(__file__)]
    if generator is not None and generator.origin:  # without it, fastjsonschema's import below says why
        made_from.append(Path(generator.origin).with_name("version.py"))
    digest = hashlib.sha256(importlib.util.MAGIC_NUMBER)
    for part in made_from:
        with contextlib.suppress(OSError):
            digest.update(part.read_bytes())
    folder = user_cache_dir()
    kept = folder / f"review-validator-{digest.hexdigest()[:32]}.marshal" if folder is not None else None
    if kept is not None:
        with contextlib.suppress(OSError, ValueError, EOFError, TypeError):  # none yet, or damaged: made again
            code = marshal.loads(kept.read_bytes())
            if isinstance(code, CodeType):
                return code
    import fastjsonschema  # only to generate the validator: 4 ms of a check that needs none of it

    source = fastjsonschema.compile_to_code(_draft7(), formats={"date": _is_date})
    root = re.search(r"^def (validate_\w+)\(", source, re.MULTILINE)  # the schema's own function comes first
    if root is None:
        raise RuntimeError("fastjsonschema generated no validation function")  # pragma: no cover
    code = compile(f"{_given_imports_dropped(source)}\nvalidate = {root.group(1)}\n", "<review schema>", "exec")
    if kept is not None:
        with contextlib.suppress(OSError):
            write_atomic(kept, marshal.dumps(code))
    return code


def _given_imports_dropped(source: str) -> str:
    """The generated code without its import of fastjsonschema's exceptions when fast_validator gives it
    every name that import takes (as a newer fastjsonschema may take others, it is kept otherwise)."""
    found = re.search(r"^from fastjsonschema import ([\w, ]+)$", source, re.MULTILINE)
    if found is None or not {name.strip() for name in found.group(1).split(",")} <= _GIVEN.keys():
        return source
    return source[: found.start()] + source[found.end() :]


def _holds_nan(data: Any) -> bool:
    """Whether NaN stands anywhere in the data: where the schema takes a number its guard refuses NaN, and
    no other place takes a float at all. A loop, not recursion: it runs on every review."""
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, float) and math.isnan(node):
            return True
    return False


def is_valid(data: Any) -> bool:
    try:
        fast_validator()(data)
    except ValueError:  # SchemaMismatch, or fastjsonschema's own exceptions (ValueErrors too) where it is kept
        return False
    return not _holds_nan(data)


@lru_cache(maxsize=1)
def validator() -> Draft202012Validator:
    """One validator per process, on the inlined schema: building it costs more than validating a review."""
    from jsonschema import Draft202012Validator, FormatChecker

    schema = load_schema()
    dates = FormatChecker(formats=())
    dates.checks("date")(_is_date)
    return Draft202012Validator(inline_definitions(schema, schema.get("$defs", {})), format_checker=dates)


@lru_cache(maxsize=1)
def _definition_of_pattern() -> dict[str, str]:
    """Which `$defs` entry (date, text, tag) a pattern comes from, to explain its failures."""
    return {node["pattern"]: name for name, node in load_schema()["$defs"].items() if "pattern" in node}


def describe(value: Any) -> str:
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int) and abs(value) >= 10**16:
        return f"a number with {int(math.log10(abs(value))) + 1} digits"  # str() refuses over 4,300 digits
    if isinstance(value, float) and math.isnan(value):
        return ".nan (not a number)"
    if isinstance(value, float) and math.isinf(value):
        return "-.inf (minus infinity)" if value < 0 else ".inf (infinity)"
    if isinstance(value, (int, float)):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the text {_quoted(value)}"
    return "a list" if isinstance(value, list) else "a mapping"


_TYPE_WORDS = {
    "string": "text",
    "number": "a number",
    "integer": "a whole number",
    "array": "a list",
    "object": "a mapping of fields",
    "boolean": "true or false",
}


def _expected(schema: dict[str, Any]) -> str:
    if schema.get("format") == "date":
        return "a date written YYYY-MM-DD"
    kind = schema.get("type")
    return _TYPE_WORDS.get(kind, str(kind)) if isinstance(kind, str) else "another type"


def _hint(word: str, choices: list[str]) -> str:
    return did_you_mean(word, choices, f"allowed: {', '.join(choices)}", cutoff=0.6)


def _action_field(path: FieldPath, name: str) -> bool:
    return len(path) == 2 and path[0] == "actions" and name in {"owner", "due"}


def _limit(number: float) -> str:
    return f"{int(number):,}" if float(number).is_integer() else str(number)


def _control_character(text: str) -> str | None:
    """The first control character other than tab and line feed: the ones the text pattern refuses."""
    return next((c for c in text if unicodedata.category(c) == "Cc" and c not in "\t\n"), None)


def _named(characters: str) -> str:
    """`U+200B ZERO WIDTH SPACE, …` for each character but the plain space: what to search for in an editor."""
    names = {"\t": "TAB", "\n": "LINE BREAK"}
    return ", ".join(
        f"U+{ord(c):04X} {names.get(c) or unicodedata.name(c, '')}".rstrip()
        for c in dict.fromkeys(characters)
        if c != " "
    )


SchemaIssue = tuple[str, FieldPath, bool, str]  # code, path, points at key?, message


def _issues(error: ValidationError, hints: Hints) -> Iterator[SchemaIssue]:
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
                what = f"name one person ({hints.owner})" if missing == "owner" else f"give a date ({hints.due})"
                noun = "owner" if missing == "owner" else "due date"
                yield code, path, False, f"action {instance.get('id', name)} has no {noun}; {what}"
            else:
                yield "RG102", path, False, f"{name} needs the field {missing!r}"
    elif keyword == "type" and isinstance(instance, str) and is_placeholder(instance):
        return  # the template's TODO: reported once, as a placeholder to fill (RG115)
    elif keyword == "type":
        yield "RG103", path, False, f"{name} must be {_expected(error.schema)}, not {describe(instance)}"
    elif keyword == "not":  # only the NaN guard of $defs/number uses `not`; for a non-number `type` says it
        if isinstance(instance, float) and math.isnan(instance):
            yield "RG103", path, False, f"{name} must be a number, not .nan; write the number"
    elif keyword in {"enum", "const"}:
        choices = [str(c) for c in (value if keyword == "enum" else [value])]
        yield "RG104", path, False, f"{name} is {describe(instance)}; {_hint(str(instance), choices)}"
    elif keyword == "format":
        yield "RG105", path, False, f"{name}: {date_problem(instance)}"
    elif keyword == "pattern":
        yield from _pattern_issues(path, name, instance, value, hints)
    elif keyword == "maxLength":
        yield (
            "RG107",
            path,
            False,
            (f"{name} has {len(instance):,} characters, more than the {value:,} allowed; shorten it"),
        )
    elif keyword in {"minimum", "maximum"}:
        beyond = "below the minimum" if keyword == "minimum" else "above the maximum"
        yield "RG107", path, False, f"{name} is {describe(instance)}, {beyond} {_limit(value)}; check the number"
    elif keyword == "contains" and path == ("participants",):
        yield "RG114", path, False, "no participant has role: lead; name the person who leads the review"
    elif keyword == "uniqueItems":
        yield "RG107", path, False, f"{name} lists the same value twice; keep one"
    else:
        yield "RG107", path, False, f"{name}: {error.message}"


def _pattern_issues(path: FieldPath, name: str, text: str, pattern: str, hints: Hints) -> Iterator[SchemaIssue]:
    definition = _definition_of_pattern().get(pattern)
    if definition == "date":
        return  # the format error already says it, once
    control = _control_character(text)
    if control is not None:
        yield (
            "RG106",
            path,
            False,
            (
                f"{name} contains the control character U+{ord(control):04X}; delete it "
                "(it usually comes with text pasted from another program)"
            ),
        )
    elif definition == "text":
        blank = f"has only spaces or invisible characters ({_named(text)})" if text.strip(" ") else "is empty"
        if len(path) == 3 and path[0] == "actions" and path[2] == "owner":
            yield "RG130", path, False, f"{name} {blank}; name one person ({hints.owner})"
        else:
            yield "RG106", path, False, f"{name} {blank}; fill it in or remove the field"
    elif text != text.strip() and re.search(pattern, text.strip()):
        yield (
            "RG106",
            path,
            False,
            (f"{name}: {_quoted(text)} has a line break or spaces around it; write {_quoted(text.strip())}"),
        )
    elif definition == "tag":
        hidden = _named("".join(c for c in text if c.isspace() or unicodedata.category(c) == "Cf"))
        advice = (
            f"contains {hidden}; delete it"
            if hidden
            else "is not a tag: use words without commas or #, one space apart, e.g. 定价 or decision-chain"
        )
        yield "RG106", path, False, f"{name}: {_quoted(text)} {advice}"
    else:
        yield "RG106", path, False, f"{name}: {_quoted(text)} {_id_advice(path)}"


def _id_advice(path: FieldPath) -> str:
    if path == ("id",):
        return "must be a lowercase slug of letters, digits and hyphens, e.g. 2026-q3-east-sales"
    # an item's own id, or a reference to a problem (lessons[].problem, actions[].addresses[])
    prefix = {"lessons": "L", "actions": "A"}.get(str(path[0]), "P") if path[-1] == "id" else "P"
    return f"must be {prefix} followed by a number, e.g. {prefix}1"


def schema_issues(document: Document, today: date | None = None) -> Iterator[tuple[str, FieldPath, bool, str]]:
    """Every schema violation of the document, in file order, as (code, path, at_key, message); fix hints
    follow the review's language, and a due date in them lies after `today`."""
    if is_valid(document.data):
        return  # the fast path: jsonschema is only needed to explain what is wrong
    hints = Hints.for_review(document.data, today)
    issues = [issue for error in validator().iter_errors(document.data) for issue in _issues(error, hints)]
    if not issues:  # the validators disagree: an invalid review must never pass for want of an explanation
        issues = [
            (
                "RG107",
                (),
                False,
                "the review breaks the schema, but retrogen cannot say where; please report this with the file",
            )
        ]
    seen: set[tuple[str, FieldPath]] = set()
    for code, path, at_key, message in issues:
        if (code, path) in seen:
            continue
        seen.add((code, path))
        yield code, path, at_key, message
