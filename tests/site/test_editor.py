"""The review form at /admin/ (Decap CMS): its configuration generated from the schema and the settings,
checked against the schema both ways, and what `build` writes for it."""

from __future__ import annotations

import copy
import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from retrogen.core.errors import ConfigError
from retrogen.gate.config import Config, load_config
from retrogen.gate.glossary import tag_vocabulary
from retrogen.gate.people import Person, Roster
from retrogen.gate.schema import load_schema
from retrogen.gate.settings import Settings
from retrogen.site import editor
from retrogen.site.build import generate
from retrogen.site.editor import cms_config, editor_files, form_fields, form_paths, key_layout

ROOT = Path(__file__).resolve().parents[2]
VENDORED = {"decap-cms": "3.16.3", "js-yaml": "4.1.0"}


def schema_paths(node: dict[str, Any], defs: dict[str, Any], prefix: str = "") -> Iterator[str]:
    """Every property of the schema as a path ("actions[].expects.by"), read from the schema file itself."""
    for name, child in node.get("properties", {}).items():
        path = f"{prefix}{name}"
        yield path
        if "$ref" in child:
            child = {**defs[child["$ref"].split("/")[-1]], **child}
        items = child.get("items")
        if isinstance(items, dict) and "properties" in items:
            yield from schema_paths(items, defs, f"{path}[].")
        elif "properties" in child:
            yield from schema_paths(child, defs, f"{path}.")


def fields_by_path(fields: list[dict[str, Any]], prefix: str = "") -> dict[str, dict[str, Any]]:
    found = {}
    for field in fields:
        path = f"{prefix}{field['name']}"
        found[path] = field
        if "fields" in field:
            found.update(fields_by_path(field["fields"], f"{path}[]." if field["widget"] == "list" else f"{path}."))
    return found


def schema_nodes(schema: dict[str, Any]) -> dict[str, tuple[dict[str, Any], bool]]:
    """Each property's schema node (references resolved) and whether its object requires it."""
    defs = schema["$defs"]

    def resolve(node: dict[str, Any]) -> dict[str, Any]:
        while "$ref" in node:
            node = {**defs[node["$ref"].split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
        return node

    found: dict[str, tuple[dict[str, Any], bool]] = {}

    def walk(node: dict[str, Any], prefix: str) -> None:
        for name, child in node.get("properties", {}).items():
            child = resolve(child)
            found[f"{prefix}{name}"] = (child, name in node.get("required", ()))
            items = child.get("items")
            if isinstance(items, dict) and "properties" in items:
                walk(items, f"{prefix}{name}[].")
            elif "properties" in child:
                walk(child, f"{prefix}{name}.")

    walk(schema, "")
    return found


@pytest.fixture
def config(tmp_path: Path) -> Config:
    return Config(root=tmp_path, reviews_dir=tmp_path / "reviews", language="zh")


def test_every_schema_property_has_a_field_and_every_field_a_property(config: Config) -> None:
    schema = load_schema()
    assert set(form_paths(form_fields(config))) == set(schema_paths(schema, schema["$defs"]))


def test_a_property_added_to_the_schema_gets_a_field(config: Config, monkeypatch: pytest.MonkeyPatch) -> None:
    schema = copy.deepcopy(load_schema())
    schema["properties"]["actions"]["items"]["properties"]["budget"] = {"title": "预算 / Budget", "type": "number"}
    monkeypatch.setattr(editor, "load_schema", lambda: schema)
    fields = fields_by_path(form_fields(config))
    assert fields["actions[].budget"]["widget"] == "number"
    assert set(form_paths(form_fields(config))) == set(schema_paths(schema, schema["$defs"]))


def test_fields_follow_the_schema_required_enums_hints_and_dates(config: Config) -> None:
    fields = fields_by_path(form_fields(config))
    nodes = schema_nodes(load_schema())
    for path, (node, required) in nodes.items():
        field = fields[path]
        # required as the schema says, but inside an optional object (period, an action's expects): Decap would
        # refuse every review without it, and the gate refuses one half filled in
        parent = path.rpartition(".")[0]
        optional_parent = bool(parent) and not parent.endswith("[]") and not nodes[parent][1]
        assert field["required"] is (required and not optional_parent), path
        assert field["label"] == node["title"].split(" / ")[0], path  # the site's language: zh
        assert field["hint"] == node["description"].split("\n\n")[0], path
        if "enum" in node:
            assert field["widget"] == "select" and [o["value"] for o in field["options"]] == node["enum"], path
        if node.get("format") == "date":
            assert field["widget"] == "datetime" and field["format"] == "YYYY-MM-DD" and not field["time_format"]
    assert fields["problems[].whys"]["widget"] == "list" and fields["problems[].whys"]["field"]["widget"] == "text"
    assert fields["participants"]["min"] == 1 and fields["actions[].owner"]["required"]
    assert not fields["period.start"]["required"] and not fields["actions[].expects.by"]["required"]
    assert fields["schema_version"] == {**fields["schema_version"], "widget": "hidden", "default": 1}
    assert re.fullmatch(fields["actions[].id"]["pattern"][0], "A12") and fields["lang"]["default"] == "zh"


def test_labels_speak_the_sites_language(tmp_path: Path) -> None:
    fields = fields_by_path(form_fields(Config(root=tmp_path, reviews_dir=tmp_path / "reviews", language="en")))
    assert fields["title"]["label"] == "Title" and fields["actions[].owner"]["label"] == "Owner"
    assert fields["actions[].owner"]["hint"] == "One named person: not a group, not TBD."
    assert fields["problems[].factor"]["options"][0] == {"label": "people", "value": "people"}
    zh = fields_by_path(form_fields(Config(root=tmp_path, reviews_dir=tmp_path / "reviews", language="zh")))
    assert zh["problems[].factor"]["options"][0] == {"label": "people · 主观(人)", "value": "people"}


def test_teams_owners_and_tags_are_chosen_from_the_settings(tmp_path: Path) -> None:
    config = Config(
        root=tmp_path,
        reviews_dir=tmp_path / "reviews",
        teams=("华东销售部", "华南客户成功部"),
        roster=Roster((Person("张伟", ("Wei Zhang",)), Person("李娜"))),
        tags=tag_vocabulary({"决策链": ["decision-chain"], "定价": None}, "test"),
    )
    fields = fields_by_path(form_fields(config))
    assert fields["team"] == {**fields["team"], "widget": "select", "options": ["华东销售部", "华南客户成功部"]}
    assert fields["actions[].owner"]["options"] == ["张伟", "李娜"] and fields["actions[].owner"]["required"]
    assert fields["tags"]["options"] == ["决策链", "定价"] and fields["tags"]["multiple"] is True
    assert fields["lessons[].tags"]["options"] == ["决策链", "定价"]
    free = fields_by_path(form_fields(Config(root=tmp_path, reviews_dir=tmp_path / "reviews")))
    assert free["team"]["widget"] == "string" and free["actions[].owner"]["widget"] == "string"


def test_fields_come_in_the_order_retrogen_new_writes(config: Config) -> None:
    layout = key_layout()
    assert layout[""][:8] == ("schema_version", "id", "title", "kind", "lang", "team", "period", "held_on")
    fields = form_fields(config)
    assert [f["name"] for f in fields][: len(layout[""])] == list(layout[""])
    actions = fields_by_path(fields)["actions"]["fields"]
    assert [f["name"] for f in actions][:11] == list(layout["actions[]."])
    assert [f["name"] for f in actions][11:] == ["done_on", "updates"]  # what `new` never writes, last


@pytest.mark.parametrize(
    ("repo_url", "expected"),
    [
        ("https://github.com/acme/sales-kb", {"name": "github", "repo": "acme/sales-kb", "branch": "main"}),
        (
            "https://gitlab.example.com/sales/kb.git",
            {
                "name": "gitlab",
                "repo": "sales/kb",
                "branch": "main",
                "auth_type": "pkce",
                "base_url": "https://gitlab.example.com",
                "api_root": "https://gitlab.example.com/api/v4",
            },
        ),
        (None, {"name": "git-gateway", "branch": "main"}),
    ],
)
def test_the_backend_follows_repo_url(tmp_path: Path, repo_url: str | None, expected: dict[str, str]) -> None:
    config = Config(root=tmp_path, reviews_dir=tmp_path / "reviews", mkdocs={"repo_url": repo_url})
    assert cms_config(config)["backend"] == expected
    custom = Config(
        root=tmp_path,
        reviews_dir=tmp_path / "reviews",
        mkdocs={"repo_url": repo_url},
        settings=Settings(editor_backend={"app_id": "42"}),
    )
    assert cms_config(custom)["backend"] == {**expected, "app_id": "42"}


def _kb(tmp_path: Path, settings: str) -> Config:
    (tmp_path / "reviews").mkdir(parents=True)
    shutil.copytree(ROOT / "schema", tmp_path / "schema")  # the copy `init` writes: the modeline points at it
    (tmp_path / "mkdocs.yml").write_text(
        "site_name: kb\nrepo_url: https://github.com/acme/kb\ntheme:\n  language: zh\n"
        f"extra:\n  retrogen:\n    reviews_dir: reviews\n{settings}",
        encoding="utf-8",
    )
    return load_config(tmp_path / "mkdocs.yml")


def test_the_editor_setting_is_checked(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"extra\.retrogen\.editor must be decap"):
        _kb(tmp_path, "    editor: wordpress\n")


def test_build_writes_admin_only_when_the_editor_is_on(tmp_path: Path) -> None:
    off = _kb(tmp_path / "off", "")
    assert generate(off, date(2026, 11, 20), use_git=False).ok
    assert not (off.generated_dir / "admin").exists()
    on = _kb(tmp_path / "on", "    editor: decap\n")
    assert generate(on, date(2026, 11, 20), use_git=False).ok
    admin = on.generated_dir / "admin"
    cms = yaml.safe_load((admin / "config.yml").read_text(encoding="utf-8"))
    assert cms["publish_mode"] == "editorial_workflow" and cms["locale"] == "zh_Hans"
    assert cms["backend"] == {"name": "github", "repo": "acme/kb", "branch": "main"}
    assert cms["collections"][0]["folder"] == "reviews" and cms["collections"][0]["slug"] == "{{id}}"
    page = (admin / "index.html").read_text(encoding="utf-8")
    assert not re.findall(r'(?:src|href)="(?:https?:)?//', page)  # nothing from another host
    layout = json.loads(re.search(r'id="retrogen-layout">(.*?)</script>', page).group(1))  # type: ignore[union-attr]
    assert layout["modeline"] == "# yaml-language-server: $schema=../schema/review.schema.json"
    assert "actions[].due" in layout["dates"] and layout["order"]["actions[]."][:3] == ["id", "action", "type"]


def test_the_cms_is_vendored_at_its_pinned_version_with_its_licence(tmp_path: Path) -> None:
    config = Config(root=tmp_path, reviews_dir=tmp_path / "reviews")
    files = editor_files(config)
    vendor = ROOT / "retrogen" / "vendor"
    for package, version in VENDORED.items():
        assert f"| {version} |" in (vendor / "README.md").read_text(encoding="utf-8").split(f"`{package}/`")[1]
        assert "MIT License" in files[f"admin/vendor/{package}/LICENSE"].decode()  # type: ignore[union-attr]
    assert b"3.16.3" in files["admin/vendor/decap-cms/decap-cms.js"]  # type: ignore[operator]
    assert b"4.1.0" in files["admin/vendor/js-yaml/js-yaml.min.js"]  # type: ignore[operator]
    assert not [name for name in files if name.endswith(".map")]


def test_reviews_outside_the_repository_are_refused_with_the_setting_named(tmp_path: Path) -> None:
    config = Config(root=tmp_path / "kb", reviews_dir=tmp_path / "elsewhere", settings=Settings(editor="decap"))
    with pytest.raises(ConfigError, match=r"editor: decap .* reviews_dir .* lies outside it"):
        cms_config(config)
