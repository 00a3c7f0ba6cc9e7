"""The form at /admin/ that writes a review without touching YAML: Decap CMS, configured from the schema.

Opt-in with `extra.retrogen.editor: decap`. The configuration is generated, never written by hand: a form
field for every property of schema/review.schema.json, labelled with the schema's titles and hinted with its
descriptions in the site's language, its enumerations as selects and its required properties as required;
teams from `extra.retrogen.teams`, owners from the roster and tags from the vocabulary. Fields come in the
order `retrogen new` writes the keys, which is also the order the CMS saves them in (`retrogen-cms.js`).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml
from markupsafe import Markup

from retrogen.core.errors import ConfigError
from retrogen.core.periods import Period
from retrogen.core.words import catalogue
from retrogen.engine.model import Action, Expectation, Metric, Review
from retrogen.formats.render import environment
from retrogen.gate.config import Config
from retrogen.gate.schema import SCHEMA_NAME, inline_definitions, load_schema
from retrogen.kb.new import Prefill, render_review, schema_reference

EDITOR_DECAP = "decap"
# The custom format retrogen-cms.js registers: YAML in `retrogen new`'s layout, with its modeline.
FORMAT = "retrogen-yaml"
# Longer than this, a schema string is free text (a textarea); up to it, one line.
ONE_LINE = 200
# A schema pattern short enough to be a rule a person can follow (ids, references) is checked in the form;
# the long patterns of free text only refuse blank or invisible text, which `required` covers.
FORM_PATTERN = 80
# Where the vendored scripts go under admin/ (from retrogen/vendor: Decap CMS and js-yaml, each with its licence).
VENDOR = "vendor"
DATE_WIDGET = {"widget": "datetime", "format": "YYYY-MM-DD", "date_format": "YYYY-MM-DD", "time_format": False}


@cache
def key_layout() -> dict[str, tuple[str, ...]]:
    """The order of keys `retrogen new` writes, per object of a review ("" the review, "metrics[]." a metric,
    "actions[].expects." an action's expected result): read from a review it renders with every optional part
    it can write."""
    metric = Metric("c", "m", "u", 1.0, 1.0, better="lower")
    day = date(2026, 1, 1)
    source = Review("s", "t", "periodic", "t", day, "o", Path("s.yaml"), metrics=(metric,))
    carried = Action(
        "A1", "a", "o", day, type="process", resources=("r",), checkpoint="c", expects=Expectation("m", 1.0, day)
    )
    prefill = Prefill(Period(day, date(2026, 3, 31)), source, source, (("s", carried),))
    written = yaml.safe_load(render_review("r", "periodic", "en", "t", date(2026, 4, 1), SCHEMA_NAME, prefill))
    layout: dict[str, list[str]] = {}
    _collect(written, "", layout)
    return {path: tuple(keys) for path, keys in layout.items()}


def _collect(value: Any, path: str, layout: dict[str, list[str]]) -> None:
    """Merge the keys of the mapping `value` into layout[path]: a key not seen yet goes right after the key
    written before it, so two list items that each show some keys give one order."""
    if isinstance(value, list):
        for item in value:
            _collect(item, path, layout)
        return
    if not isinstance(value, dict):
        return
    order = layout.setdefault(path, [])
    previous: str | None = None
    for key, item in value.items():
        if key not in order:
            order.insert(order.index(previous) + 1 if previous else 0, key)
        previous = key
        _collect(item, f"{path}{key}[]." if isinstance(item, list) else f"{path}{key}.", layout)


def _ordered(properties: dict[str, Any], path: str) -> list[str]:
    """The properties of the object at `path`: those `retrogen new` writes in its order, then the others in
    the schema's."""
    written = [key for key in key_layout().get(path, ()) if key in properties]
    return written + [key for key in properties if key not in written]


def _in_language(text: str, separator: str, language: str) -> str:
    """The schema's bilingual titles ("标题 / Title") and descriptions (Chinese, a blank line, English)."""
    chinese, _, english = text.partition(separator)
    return chinese.strip() if language == "zh" or not english else english.strip()


def _option_labels(node: dict[str, Any], language: str) -> list[dict[str, Any]]:
    """The select's options; in Chinese each code with the word the schema's description gives it
    ("lead 负责人、frontline 一线销售…"), so people pick a word and the file keeps the code."""
    description = node.get("description", "").partition("\n\n")[0]
    options: list[dict[str, Any]] = []
    for value in node["enum"]:
        word = re.search(rf"(?<!\w){re.escape(str(value))} ([^\s、,,;;。]+)", description)
        shown = f"{value} · {word.group(1)}" if language == "zh" and word else str(value)
        options.append({"label": shown, "value": value})
    return options


class FormBuilder:
    """The Decap CMS fields of a review, for one knowledge base's settings and language."""

    def __init__(self, language: str, choices: dict[str, tuple[str, ...]]) -> None:
        self.language = language
        # form path -> the values a select offers (team, owner, tags); a path without any stays free text
        self.choices = {path: values for path, values in choices.items() if values}

    def fields(self, node: dict[str, Any], path: str = "", *, optional: bool = False) -> list[dict[str, Any]]:
        """The fields of an object's properties. Within an `optional` object (a period, an expected result)
        none is required: Decap would refuse every review without that object; the gate refuses one that
        is half filled in. An item of a list exists only once added, so its fields are required as usual."""
        properties = node.get("properties", {})
        required = set(node.get("required", ()))
        return [
            self.field(name, properties[name], f"{path}{name}", required=name in required and not optional)
            for name in _ordered(properties, path)
        ]

    def field(self, name: str, node: dict[str, Any], path: str, *, required: bool) -> dict[str, Any]:
        field: dict[str, Any] = {
            "name": name,
            "label": _in_language(node.get("title", name), " / ", self.language),
            "required": required,
        }
        hint = _in_language(node.get("description", ""), "\n\n", self.language)
        if hint:
            field["hint"] = hint
        field.update(self.widget(node, path, required=required))
        return field

    def widget(self, node: dict[str, Any], path: str, *, required: bool = True) -> dict[str, Any]:
        kind = node.get("type")
        if path in self.choices:
            options = list(self.choices[path])
            return {"widget": "select", "options": options, "multiple": kind == "array"}
        if "const" in node:
            return {"widget": "hidden", "default": node["const"]}
        if "enum" in node:
            widget: dict[str, Any] = {"widget": "select", "options": _option_labels(node, self.language)}
            if "default" in node:
                widget["default"] = node["default"]
            return widget
        if kind == "object":
            return {
                "widget": "object",
                "collapsed": False,
                "fields": self.fields(node, f"{path}.", optional=not required),
            }
        if kind == "array":
            return self._list(node, path)
        if kind in ("number", "integer"):
            widget = {"widget": "number", "value_type": "int" if kind == "integer" else "float"}
            widget.update({key: node[key] for key in ("minimum", "maximum") if key in node})
            return {key.replace("minimum", "min").replace("maximum", "max"): value for key, value in widget.items()}
        if node.get("format") == "date":
            return dict(DATE_WIDGET)
        widget = {"widget": "text" if node.get("maxLength", ONE_LINE + 1) > ONE_LINE else "string"}
        pattern = node.get("pattern")
        if pattern and len(pattern) <= FORM_PATTERN:
            widget["pattern"] = [pattern, _in_language(node.get("description", ""), "\n\n", self.language)]
        return widget

    def _list(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        items = node.get("items", {})
        # Every item open: a review is read and filled top to bottom, and a folded item hides a missing field.
        widget: dict[str, Any] = {"widget": "list", "collapsed": False}
        if node.get("minItems"):
            widget["min"] = node["minItems"]
        if items.get("type") == "object":
            widget["fields"] = self.fields(items, f"{path}[].")
        else:  # a list of plain values (whys, tags): one field per item, saved as a list of strings
            label = _in_language(node.get("title", ""), " / ", self.language)
            widget["field"] = {"name": "item", "label": label, **self.widget(items, f"{path}[]")}
        return widget


def form_fields(config: Config, reviews: Iterable[Review] = ()) -> list[dict[str, Any]]:
    """The form's fields, from the schema and the knowledge base's settings (and its reviews' tags)."""
    schema = load_schema()
    inlined = inline_definitions(schema, schema.get("$defs", {}))
    known_tags = sorted({*config.tags.aliases, *(tag for r in reviews for tag in r.tags)})
    owners = tuple(person.name for person in config.roster.people)
    choices = {
        "team": config.teams or (),
        "actions[].owner": owners,
        "tags": tuple(known_tags),
        "lessons[].tags": tuple(known_tags),
    }
    fields = FormBuilder(config.language, choices).fields(inlined)
    for field in fields:
        if field["name"] == "lang":  # a new review speaks the site's language unless told otherwise
            field["default"] = config.language
    return fields


def backend(config: Config) -> dict[str, Any]:
    """Where the CMS saves: derived from mkdocs.yml's repo_url (GitHub, or GitLab with PKCE sign-in),
    overridden key by key by extra.retrogen.editor_backend; Decap's git-gateway when neither says."""
    derived: dict[str, Any] = {"name": "git-gateway", "branch": "main"}
    url = urlsplit(str(config.mkdocs.get("repo_url") or ""))
    repo = url.path.strip("/").removesuffix(".git")
    if url.hostname and repo.count("/") >= 1:
        if url.hostname == "github.com":
            derived = {"name": "github", "repo": repo, "branch": "main"}
        elif "gitlab" in url.hostname:
            derived = {"name": "gitlab", "repo": repo, "branch": "main", "auth_type": "pkce"}
            if url.hostname != "gitlab.com":
                root = f"{url.scheme}://{url.netloc}"
                derived.update(base_url=root, api_root=f"{root}/api/v4")
    return {**derived, **config.settings.editor_backend}


def cms_config(config: Config, reviews: Iterable[Review] = ()) -> dict[str, Any]:
    """Decap CMS's config.yml for the knowledge base: one collection, reviews/, saved by pull request."""
    text = catalogue(config.language).labels
    if not config.reviews_dir.resolve().is_relative_to(config.root.resolve()):
        raise ConfigError(
            f"{config.config_file}: extra.retrogen.editor: decap saves reviews in the repository of mkdocs.yml, "
            f"but reviews_dir ({config.reviews_dir}) lies outside it; move the reviews in, or unset editor"
        )
    folder = config.reviews_dir.resolve().relative_to(config.root.resolve()).as_posix()
    cms: dict[str, Any] = {
        "backend": backend(config),
        # Used only when the page is served from localhost and `npx decap-server` runs: a preview that
        # saves into the working copy.
        "local_backend": True,
        "publish_mode": "editorial_workflow",
        "locale": "zh_Hans" if config.language == "zh" else "en",
        "media_folder": f"{folder}/.media",  # reviews have no images; Decap needs a folder all the same
        "collections": [
            {
                "name": "reviews",
                "label": text["reviews"],
                "label_singular": text["review"],
                "folder": folder,
                "extension": "yaml",
                "format": FORMAT,
                "create": True,
                "delete": False,
                "identifier_field": "id",
                "slug": "{{id}}",
                "summary": "{{title}}",
                "editor": {"preview": False},  # a preview of YAML shows nothing the form does not
                "fields": form_fields(config, reviews),
            }
        ],
    }
    site_url = config.mkdocs.get("site_url")
    if site_url:
        cms["site_url"] = cms["display_url"] = str(site_url)
    return cms


def form_paths(fields: list[dict[str, Any]], prefix: str = "") -> Iterator[str]:
    """Every field's path ("actions[].owner"), as `retrogen.site.pages._schema_fields` names properties."""
    for field in fields:
        path = f"{prefix}{field['name']}"
        yield path
        if "fields" in field:
            yield from form_paths(field["fields"], f"{path}[]." if field.get("widget") == "list" else f"{path}.")


def save_layout(fields: list[dict[str, Any]], modeline: str) -> dict[str, Any]:
    """What retrogen-cms.js needs to save a review as `retrogen new` writes it: the keys of each object in the
    form's order, which fields are dates (written plain), which lists go on one line, the modeline, and the
    format's name."""
    order: dict[str, list[str]] = {}
    dates: list[str] = []
    flow: list[str] = []  # lists of short values (tags, problem ids) on one line; text items one per line

    def walk(fields: list[dict[str, Any]], prefix: str) -> None:
        order[prefix] = [field["name"] for field in fields]
        for field in fields:
            path = f"{prefix}{field['name']}"
            if field.get("widget") == "datetime":
                dates.append(path)
            if field.get("multiple") or field.get("field", {}).get("widget") in ("string", "select"):
                flow.append(path)
            if "fields" in field:
                walk(field["fields"], f"{path}[]." if field.get("widget") == "list" else f"{path}.")

    walk(fields, "")
    return {"format": FORMAT, "modeline": modeline, "order": order, "dates": dates, "flow": flow}


def _script_json(value: Any) -> Markup:
    """JSON to put inside <script>: no `<` or `&` that could end the element or start an entity."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))


def vendored_files() -> dict[str, bytes]:
    """The vendored CMS and YAML reader (retrogen/vendor), by their path under admin/."""
    root = resources.files("retrogen") / "vendor"
    found: dict[str, bytes] = {}

    def walk(folder: Traversable, prefix: str) -> None:
        for entry in folder.iterdir():
            if entry.is_dir():
                walk(entry, f"{prefix}{entry.name}/")
            elif entry.name != "README.md":
                found[f"admin/{VENDOR}/{prefix}{entry.name}"] = entry.read_bytes()

    walk(root, "")
    return found


def editor_files(config: Config, reviews: Iterable[Review] = ()) -> dict[str, str | bytes]:
    """The files of /admin/ (by path under the site): the page, the CMS's configuration, the script that
    saves reviews in retrogen's layout, and the vendored CMS."""
    cms = cms_config(config, reviews)
    modeline = f"# yaml-language-server: $schema={schema_reference(config, config.reviews_dir)}"
    layout = save_layout(cms["collections"][0]["fields"], modeline)
    page = environment("templates/admin").get_template("index.html.j2")
    header = "# Generated by `retrogen build` from the review schema and extra.retrogen; edit those instead.\n"
    return {
        "admin/index.html": page.render(
            language=config.language,
            title=f"{config.site_name} · {catalogue(config.language).labels['write_review']}",
            layout=_script_json(layout),
            vendor=VENDOR,
        ),
        "admin/config.yml": header + yaml.safe_dump(cms, allow_unicode=True, sort_keys=False, width=120),
        "admin/retrogen-cms.js": (resources.files("retrogen") / "templates" / "admin" / "retrogen-cms.js").read_text(
            encoding="utf-8"
        ),
        **vendored_files(),
    }
