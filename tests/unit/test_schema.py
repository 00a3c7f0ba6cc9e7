from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import fastjsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from retrogen.core.errors import ReviewFileError
from retrogen.gate import schema as gate_schema
from retrogen.gate.loader import load_review
from retrogen.gate.schema import inline_definitions, is_valid, load_schema, schema_path, validator

from ..conftest import EXAMPLES, KB, ROOT

REVIEWS = sorted((KB / "reviews").glob("*.yaml"))
BASE = load_review(KB / "reviews" / "2026-q3-east-sales.yaml").data
for _stage in BASE["funnel"][1:]:  # so that the mutations below reach the optional target rate too
    _stage["target_rate"] = 50


def jsonschema_valid(data: Any) -> bool:
    return not any(True for _ in validator().iter_errors(data))


def test_schema_is_found_in_the_checkout() -> None:
    assert schema_path().read_bytes() == (ROOT / "schema" / "review.schema.json").read_bytes()


def test_every_property_has_bilingual_help() -> None:
    def walk(node: Any, path: str) -> None:
        if isinstance(node, dict):
            for name, child in node.get("properties", {}).items():
                assert " / " in child.get("title", ""), f"{path}.{name} has no bilingual title"
                assert child.get("description"), f"{path}.{name} has no description"
                walk(child, f"{path}.{name}")
            if isinstance(node.get("items"), dict):
                walk(node["items"], f"{path}[]")

    walk(load_schema(), "review")


def test_inlining_removes_every_reference() -> None:
    schema = load_schema()
    assert "$ref" not in str(inline_definitions(schema, schema["$defs"]))


def loadable(paths: list[Path]) -> list[Path]:
    """Examples that get as far as validation (the others fail in the loader)."""
    kept = []
    for path in paths:
        try:
            load_review(path)
        except ReviewFileError:
            continue
        kept.append(path)
    return kept


@pytest.mark.parametrize(
    "path", loadable(REVIEWS + sorted((EXAMPLES / "invalid").glob("*.yaml"))), ids=lambda p: p.name
)
def test_fast_and_reference_validators_agree_on_every_example(path: Path) -> None:
    data = load_review(path).data
    assert is_valid(data) == jsonschema_valid(data)


VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5),
    st.sampled_from([0.0, 1.0, 3.0, -1.0]),
    st.floats(),
    st.sampled_from([10**12, 10**12 + 1, 10**15, 10**15 + 1, -(10**15) - 1, 10**310, 100, 100.5, 1e15, 1e16]),
    st.sampled_from(
        [
            "",
            " ",
            "2026-02-30",
            "2026-10-01",
            "P1",
            "A9",
            "lead",
            "done",
            "x",
            "higher",
            "Lead",
            "20261020",
            "periodic",
            "team",
            "\n",
            "a\n",
            "标签 甲",
            "A1\n",
            "P1\n",
            "sales\n",
            "2026-10-01\n",
            "\ufeff",
            "\u200b",
            " \u3000",
            "a\x1b",
            "a\x85",
            "a\r",
            "a\tb\n",
            "1899-12-31",
            "1900-01-01",
            "2199-12-31",
            "2200-01-01",
            "9999-12-31",
            "2026/02/03",
            "x" * 201,
            "x" * 10_001,
        ]
    ),
    st.lists(st.sampled_from(["P1", "P1", "a", "", "P1\n", "a\u200b"]), max_size=3),
    st.just({}),
)


def paths(node: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(node, dict):
        for key, child in node.items():
            found += paths(child, (*prefix, key))
    elif isinstance(node, list):
        for index, child in enumerate(node):
            found += paths(child, (*prefix, index))
    return found


ALL_PATHS = paths(BASE)[1:]


@settings(max_examples=400, deadline=None)
@given(
    st.lists(
        st.tuples(st.sampled_from(ALL_PATHS), st.sampled_from(["set", "delete", "add"]), VALUES), min_size=1, max_size=3
    )
)
def test_fast_and_reference_validators_agree_on_mutated_reviews(mutations: list[Any]) -> None:
    data = copy.deepcopy(BASE)
    for path, operation, value in mutations:
        parent: Any = data
        try:
            for part in path[:-1]:
                parent = parent[part]
            if operation == "set":
                parent[path[-1]] = value
            elif operation == "delete":
                del parent[path[-1]]
            elif isinstance(parent, dict):
                parent[f"{path[-1]}_x"] = value
        except (KeyError, IndexError, TypeError):
            continue
    assert is_valid(data) == jsonschema_valid(data)


@pytest.fixture
def fresh_validator() -> Any:
    """The fast validator made afresh by the test (as by a new process), and again after it."""
    gate_schema.fast_validator.cache_clear()
    yield gate_schema
    gate_schema.fast_validator.cache_clear()


def test_the_compiled_validator_is_kept_in_the_user_cache_and_made_again_when_damaged(
    fresh_validator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("RETROGEN_NO_CACHE")
    valid = load_review(KB / "reviews" / "2026-q3-east-sales.yaml").data
    invalid = {**valid, "held_on": "2026-02-30"}
    assert is_valid(valid) and not is_valid(invalid)
    (kept,) = (tmp_path / "retrogen").glob("review-validator-*.marshal")

    def no_generating(*args: Any, **kwargs: Any) -> str:
        raise AssertionError("generated again")

    with monkeypatch.context() as patched:
        patched.setattr(fastjsonschema, "compile_to_code", no_generating)
        fresh_validator.fast_validator.cache_clear()  # the next process: loads what the first one kept
        assert is_valid(valid) and not is_valid(invalid)
    kept.write_bytes(b"\0damaged")
    fresh_validator.fast_validator.cache_clear()
    assert is_valid(valid) and not is_valid(invalid)
    assert kept.read_bytes() != b"\0damaged"  # made again, and kept again


def test_no_compiled_validator_is_kept_with_the_cache_off(
    fresh_validator: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert is_valid(load_review(KB / "reviews" / "2026-q3-east-sales.yaml").data)
    assert not (tmp_path / "retrogen").exists()


def test_the_kept_validator_is_given_fastjsonschemas_exceptions_only_when_it_takes_no_other_name() -> None:
    header = "import re\nfrom fastjsonschema import {names}\n\ndef validate(data):\n    return data\n"
    known = header.format(names="JsonSchemaValueException, JsonSchemaValuesException")
    assert "fastjsonschema" not in gate_schema._given_imports_dropped(known)
    unknown = header.format(names="JsonSchemaValueException, JsonSchemaDefinitionException")
    assert gate_schema._given_imports_dropped(unknown) == unknown  # run as generated: it imports fastjsonschema
    invalid = {**load_review(KB / "reviews" / "2026-q3-east-sales.yaml").data, "held_on": "2026-02-30"}
    with pytest.raises(gate_schema.SchemaMismatch):
        gate_schema.fast_validator()(invalid)
