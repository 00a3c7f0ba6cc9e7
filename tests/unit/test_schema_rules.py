"""The schema's limits on form, text, numbers and dates, and the messages that explain them.

Both validators must give one verdict (fastjsonschema decides, jsonschema explains), and every pattern
must mean the same in Python as in ECMA-262, the regex dialect JSON Schema and editors speak.
"""

from __future__ import annotations

import copy
import json
import math
import re
import shutil
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrogen.gate import schema as schema_module
from retrogen.gate.loader import Document, field_name, load_review
from retrogen.gate.schema import (
    date_problem,
    describe,
    inline_definitions,
    is_valid,
    load_schema,
    schema_issues,
    validator,
)

from ..conftest import KB

BASE = load_review(KB / "reviews" / "2026-q3-east-sales.yaml").data
# The first action also carries and expects, so that every field of an action has a value to change.
BASE["actions"][0] |= {
    "carried_from": "2026-q2-east-sales:A2",
    "expects": {"metric": "老客户复购率", "target": 70, "by": "2026-12-31"},
}
INLINED = inline_definitions(load_schema(), load_schema()["$defs"])
TEXT_PATTERN = load_schema()["$defs"]["text"]["pattern"]

# One good value for every place the schema holds a pattern (a test below keeps this list complete).
PATTERNED = {
    ("id",): "2026-q3-east-sales",
    ("tags", 0): "sales",
    ("held_on",): "2026-10-01",
    ("period", "start"): "2026-07-01",
    ("period", "end"): "2026-09-30",
    ("timeline", 0, "date"): "2026-07-01",
    ("problems", 0, "id"): "P1",
    ("lessons", 0, "id"): "L1",
    ("lessons", 0, "problem"): "P1",
    ("lessons", 0, "tags", 0): "sales",
    ("actions", 0, "id"): "A1",
    ("actions", 0, "due"): "2026-12-01",
    ("actions", 0, "done_on"): "2026-10-19",
    ("actions", 0, "addresses", 0): "P1",
    ("actions", 0, "updates", 0, "date"): "2026-10-13",
    ("actions", 0, "carried_from"): "2026-q2-east-sales:A2",
    ("actions", 0, "expects", "by"): "2026-12-31",
}


def with_value(path: tuple[Any, ...], value: Any, data: dict[str, Any] | None = None) -> dict[str, Any]:
    changed = copy.deepcopy(BASE if data is None else data)
    parent: Any = changed
    for part in path[:-1]:
        parent = parent[part]
    parent[path[-1]] = value
    return changed


def verdicts(data: dict[str, Any]) -> tuple[bool, bool]:
    return is_valid(data), validator().is_valid(data)


def issues(data: dict[str, Any]) -> list[tuple[str, tuple[Any, ...], str]]:
    return [(code, path, message) for code, path, _, message in schema_issues(Document(Path("x.yaml"), data))]


def schema_paths(node: dict[str, Any], path: tuple[Any, ...] = ()) -> dict[tuple[Any, ...], dict[str, Any]]:
    """Every property and list item of the inlined schema, by instance path (list positions as 0)."""
    found = {path: node}
    for name, child in node.get("properties", {}).items():
        found |= schema_paths(child, (*path, name))
    if isinstance(node.get("items"), dict):
        found |= schema_paths(node["items"], (*path, 0))
    return found


SCHEMA_PATHS = schema_paths(INLINED)


def test_the_table_of_patterned_fields_is_complete() -> None:
    assert {
        path for path, node in SCHEMA_PATHS.items() if "pattern" in node and node["pattern"] != TEXT_PATTERN
    } == set(PATTERNED)


def test_every_string_field_is_constrained() -> None:
    """A new text field without the text rules would let control characters, blank and endless text through."""
    loose = [
        path
        for path, node in SCHEMA_PATHS.items()
        if node.get("type") == "string"
        and not ("enum" in node or node.get("format") == "date" or ("pattern" in node and "maxLength" in node))
    ]
    assert loose == []


@pytest.mark.parametrize("path", list(PATTERNED), ids=str)
def test_no_pattern_accepts_a_trailing_newline(path: tuple[Any, ...]) -> None:
    good = PATTERNED[path]
    assert verdicts(with_value(path, good)) == (True, True)
    for bad in (f"{good}\n", f"{good}\r\n", f"{good}\n\n", f" {good}"):
        assert verdicts(with_value(path, bad)) == (False, False), repr(bad)


def test_a_trailing_newline_is_explained_with_the_value_to_write() -> None:
    assert issues(with_value(("actions", 0, "id"), "A1\n")) == [
        ("RG106", ("actions", 0, "id"), "actions[0].id: 'A1\\n' has a line break or spaces around it; write 'A1'")
    ]
    assert issues(with_value(("tags", 0), "sales\n"))[0][2].endswith("write 'sales'")
    assert issues(with_value(("id",), "2026-q3-east-sales\n"))[0][:2] == ("RG106", ("id",))


TEXT_FIELDS = [path for path, node in SCHEMA_PATHS.items() if node.get("pattern") == TEXT_PATTERN]
BLANK = [
    "",
    " ",
    "\ufeff",
    "\u200b",
    "\u200b\u200c\u200d",
    "\u2060",
    "\u00a0",
    "\u3000",
    "\t\n",
    " \u2028 ",
    "\u00ad",
    "\u180e",
    "\u2800",
    "\u3164",
    "\ufe0f",
    "\u202e",
]
CONTROL = ["a\x00", "a\x08", "\x0bb", "a\x0c", "a\r", "a\rb", "a\x1b[31m", "a\x1f", "a\x7f", "a\x85", "a\x9f"]
FINE = ["a", "a\tb", "first line\nsecond line\n", "a\u2028b", "定价", "👍", "a\u200db", " x ", "\u3000缩进"]


@pytest.mark.parametrize("path", TEXT_FIELDS, ids=str)
def test_every_text_field_refuses_blank_text_and_control_characters(path: tuple[Any, ...]) -> None:
    for value in BLANK + CONTROL:
        assert verdicts(with_value(path, value)) == (False, False), repr(value)
    for value in FINE:
        assert verdicts(with_value(path, value)) == (True, True), repr(value)


def test_blank_text_names_the_invisible_characters() -> None:
    assert issues(with_value(("title",), "\ufeff")) == [
        (
            "RG106",
            ("title",),
            "title has only spaces or invisible characters (U+FEFF ZERO WIDTH NO-BREAK SPACE); "
            "fill it in or remove the field",
        )
    ]
    assert issues(with_value(("title",), "")) == [
        ("RG106", ("title",), "title is empty; fill it in or remove the field")
    ]


def test_a_blank_owner_is_no_owner() -> None:
    [(code, path, message)] = issues(with_value(("actions", 0, "owner"), "\u200b"))
    assert (code, path) == ("RG130", ("actions", 0, "owner"))
    assert "U+200B ZERO WIDTH SPACE" in message and "name one person" in message


def test_a_control_character_is_named() -> None:
    assert issues(with_value(("actions", 0, "owner"), "Ann\x1b")) == [
        (
            "RG106",
            ("actions", 0, "owner"),
            "actions[0].owner contains the control character U+001B; delete it "
            "(it usually comes with text pasted from another program)",
        )
    ]


@pytest.mark.parametrize("tag", ["sa\u200bles", "sales\ufeff", "a\u3000b", "a\x1bb", "a  b", "a,b", "#a", " a", ""])
def test_tags_are_words_of_visible_characters(tag: str) -> None:
    assert verdicts(with_value(("tags", 0), tag)) == (False, False)


def test_a_tag_with_an_invisible_character_is_explained() -> None:
    [(_, _, message)] = issues(with_value(("tags", 0), "sa\u200bles"))
    assert message == "tags[0]: 'sa\\u200bles' contains U+200B ZERO WIDTH SPACE; delete it"


@pytest.mark.parametrize(
    ("path", "limit"),
    [
        (("title",), 200),
        (("actions", 0, "owner"), 200),
        (("objective",), 10_000),
        (("problems", 0, "whys", 0), 10_000),
        (("tags", 0), 60),
        (("id",), 100),
    ],
)
def test_text_length_is_limited(path: tuple[Any, ...], limit: int) -> None:
    assert verdicts(with_value(path, "a" * limit)) == (True, True)
    too_long = with_value(path, "a" * (limit + 1))
    assert verdicts(too_long) == (False, False)
    assert issues(too_long) == [
        ("RG107", path, f"{field_name(path)} has {limit + 1:,} characters, more than the {limit:,} allowed; shorten it")
    ]


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("2026-02-30", "2026-02-30 is not a real date: February 2026 has 28 days; correct the day"),
        ("1900-02-29", "1900-02-29 is not a real date: February 1900 has 28 days; correct the day"),
        ("2026-04-31", "2026-04-31 is not a real date: April 2026 has 30 days; correct the day"),
        ("2026-10-00", "2026-10-00 is not a real date: October 2026 has 31 days; correct the day"),
        ("2026-13-01", "2026-13-01 is not a real date: there is no month 13; months run from 01 to 12"),
        ("9999-12-31", "9999-12-31 has an implausible year; write a year from 1900 to 2199"),
        ("1899-12-31", "1899-12-31 has an implausible year; write a year from 1900 to 2199"),
        ("2200-01-01", "2200-01-01 has an implausible year; write a year from 1900 to 2199"),
        ("2026/02/03", "'2026/02/03' is not a date; write it as YYYY-MM-DD: 2026-02-03"),
        ("2026.2.3", "'2026.2.3' is not a date; write it as YYYY-MM-DD: 2026-02-03"),
        ("20261020", "'20261020' is not a date; write it as YYYY-MM-DD"),
        ("2026-10-01\n", "'2026-10-01\\n' is not a date; write it as YYYY-MM-DD: 2026-10-01"),
        ("YYYY-MM-DD", "'YYYY-MM-DD' is not a date; write it as YYYY-MM-DD"),
        ("２０２６-１０-０１", "'２０２６-１０-０１' is not a date; write it as YYYY-MM-DD"),
    ],
)
def test_date_problems_say_what_is_wrong_and_what_to_write(text: str, problem: str) -> None:
    assert date_problem(text) == problem
    data = with_value(("held_on",), text)
    assert verdicts(data) == (False, False)
    assert issues(data) == [("RG105", ("held_on",), f"held_on: {problem}")]


@pytest.mark.parametrize("text", ["1900-01-01", "2199-12-31", "2028-02-29", "2000-02-29"])
def test_plausible_dates_pass(text: str) -> None:
    assert date_problem(text) is None
    assert verdicts(with_value(("actions", 0, "due"), text)) == (True, True)


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.dates().map(date.isoformat),
        st.from_regex(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", fullmatch=True),
        st.text(max_size=12),
    )
)
def test_a_date_passes_exactly_when_it_is_real_and_plausible(text: str) -> None:
    try:
        real = date.fromisoformat(text) if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text) else None
    except ValueError:
        real = None
    plausible = real is not None and 1900 <= real.year <= 2199
    assert (date_problem(text) is None) == plausible
    assert verdicts(with_value(("held_on",), text)) == (plausible, plausible)


NUMBERS = [("metrics", 0, "target"), ("metrics", 0, "actual"), ("metrics", 0, "previous")]


@pytest.mark.parametrize("path", NUMBERS, ids=str)
def test_metric_numbers_are_finite_and_at_most_ten_to_the_fifteenth(path: tuple[Any, ...]) -> None:
    for fine in (10**15, -(10**15), 1e15, 0, 0.5, -3):
        assert verdicts(with_value(path, fine)) == (True, True), fine
    for wrong in (10**15 + 1, -(10**15) - 1, 1e20, 10**310, math.inf, -math.inf, math.nan):
        assert verdicts(with_value(path, wrong)) == (False, False), wrong


def test_nan_is_refused_wherever_it_stands() -> None:
    """The fast path checks NaN in Python rather than through the schema's guard (see fast_validator)."""
    assert all("not" in node for node in SCHEMA_PATHS.values() if node.get("type") == "number")
    for path in SCHEMA_PATHS:
        try:
            data = with_value(path, math.nan)
        except (KeyError, IndexError, TypeError):
            continue  # a place the base review does not have
        assert verdicts(data) == (False, False), path


def test_number_messages() -> None:
    assert issues(with_value(("metrics", 0, "target"), 1e20)) == [
        (
            "RG107",
            ("metrics", 0, "target"),
            "metrics[0].target is the number 1e+20, above the maximum 1,000,000,000,000,000; check the number",
        )
    ]
    assert issues(with_value(("metrics", 0, "actual"), math.nan)) == [
        ("RG103", ("metrics", 0, "actual"), "metrics[0].actual must be a number, not .nan; write the number")
    ]
    [(_, _, message)] = issues(with_value(("metrics", 0, "actual"), -math.inf))
    assert message.startswith("metrics[0].actual is -.inf (minus infinity), below the minimum -1,000,000,000,000,000")


def test_a_number_too_long_to_print_is_described_by_its_digits() -> None:
    assert describe(10**5000) == "a number with 5001 digits"
    # the loader's int() stops at 4,300 digits, so that is the longest a review can hold
    [(_, _, message)] = issues(with_value(("metrics", 0, "target"), -(10**4299)))
    assert message.startswith("metrics[0].target is a number with 4300 digits, below the minimum")


def test_funnel_counts_are_whole_numbers_up_to_a_trillion() -> None:
    path = ("funnel", 0, "count")
    for fine in (0, 10**12):
        assert verdicts(with_value(path, fine)) == (True, True)
    for wrong in (-1, 10**12 + 1, 2.5, math.nan, math.inf):
        assert verdicts(with_value(path, wrong)) == (False, False), wrong


def test_funnel_target_rate_is_an_optional_percent() -> None:
    path = ("funnel", 1, "target_rate")
    for fine in (0, 35, 62.5, 100):
        assert verdicts(with_value(path, fine)) == (True, True)
    for wrong in (-1, 100.5, 120, math.nan, "35%"):
        assert verdicts(with_value(path, wrong)) == (False, False), wrong
    assert issues(with_value(path, 120)) == [
        ("RG107", path, "funnel[1].target_rate is the number 120, above the maximum 100; check the number")
    ]


def test_a_review_the_validators_disagree_on_never_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(schema_module, "is_valid", lambda data: False)
    assert [(code, path) for code, path, _ in issues(BASE)] == [("RG107", ())]


PROBES = [
    *BLANK,
    *CONTROL,
    *FINE,
    "A1",
    "A1\n",
    "P12",
    "L3",
    "sales",
    "sales\n",
    "a b",
    "a  b",
    "2026-10-01",
    "2026-10-01\n",
    "2026-q3-east-sales",
    "Q3",
    "\u0085",
    "\u2029",
    "\U0001f600 emoji",
]


@pytest.mark.skipif(shutil.which("node") is None, reason="needs node to run ECMA-262 regular expressions")
def test_every_pattern_means_the_same_in_ecma_262() -> None:
    patterns = sorted({node["pattern"] for node in SCHEMA_PATHS.values() if "pattern" in node})
    script = (
        "const [patterns, probes] = JSON.parse(require('fs').readFileSync(0, 'utf8'));"
        "console.log(JSON.stringify(patterns.map(p => probes.map(s => new RegExp(p, 'u').test(s)))));"
    )
    answer = subprocess.run(
        ["node", "-e", script],
        input=json.dumps([patterns, PROBES]),
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    ecma = json.loads(answer.stdout)
    python = [[re.search(pattern, probe) is not None for probe in PROBES] for pattern in patterns]
    assert python == ecma


EDGE_CHARACTERS = st.sampled_from(list("\n\r\t \x00\x1b\x7f\x85\x9f\u00a0\u200b\u200d\u2028\u3000\ufeff,#aA1P-"))
EDGE_TEXT = st.text(st.one_of(EDGE_CHARACTERS, st.characters()), max_size=8)


@settings(max_examples=300, deadline=None)
@given(st.sampled_from([*PATTERNED, *TEXT_FIELDS]), EDGE_TEXT)
def test_both_validators_agree_on_any_text_anywhere(path: tuple[Any, ...], text: str) -> None:
    data = with_value(path, text)
    assert is_valid(data) == validator().is_valid(data)
    if not is_valid(data):
        assert issues(data)  # and the failure is explained


@pytest.mark.parametrize("path", [("id",), ("held_on",), ("tags", 0), ("actions", 0, "id"), ("title",)], ids=str)
def test_messages_about_a_long_value_quote_only_its_start(path: tuple[Any, ...]) -> None:
    found = issues(with_value(path, "Ab!" * 5000 + "\n"))
    assert found and all(len(message) < 300 for _, _, message in found)
