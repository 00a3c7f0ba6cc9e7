"""What the form writes when it saves (retrogen-cms.js, the custom format registered with Decap CMS), run in
Node: every fixture review read and saved again means what it meant, whatever its text (the attack review's
too), laid out as `retrogen new` writes a review."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from retrogen.gate.config import Config
from retrogen.gate.loader import parse_text
from retrogen.site.editor import editor_files

from ..conftest import EXAMPLES, KB, ROOT

NODE = shutil.which("node")
# The page's script in a sandbox with what the page gives it: js-yaml, Decap's CMS object and the layout.
RUNNER = """
const vm = require("vm");
const fs = require("fs");
const [script, jsyaml, layout] = process.argv.slice(2);
let format = null;
const window = {
  jsyaml: require(jsyaml),
  CMS: { registerCustomFormat: (name, extension, given) => { format = given; }, init: () => {} },
};
const document = { getElementById: () => ({ textContent: fs.readFileSync(layout, "utf8") }) };
vm.runInNewContext(fs.readFileSync(script, "utf8"), { window, document, JSON });
const texts = JSON.parse(fs.readFileSync(0, "utf8"));
process.stdout.write(JSON.stringify(texts.map((text) => format.toFile(format.fromFile(text)))));
"""


def saved_again(tmp_path: Path, texts: list[str]) -> list[str]:
    """Each review text as the form reads it and then saves it."""
    if NODE is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the form's script: node is needed (see .ci/run)")
        pytest.skip("no node on this machine")
    # A knowledge base of no reviews of its own: the form's files depend on the schema and settings alone.
    kb = tmp_path / "kb"
    shutil.copytree(ROOT / "schema", kb / "schema")  # the copy `init` writes: the modeline points at it
    files = editor_files(Config(root=kb, reviews_dir=kb / "reviews"))
    page = str(files["admin/index.html"])
    layout = page.split('id="retrogen-layout">', 1)[1].split("</script>", 1)[0]
    for name, text in {"layout.json": layout, "runner.js": RUNNER}.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    script = tmp_path / "retrogen-cms.js"
    script.write_text(str(files["admin/retrogen-cms.js"]), encoding="utf-8")
    jsyaml = tmp_path / "js-yaml.min.js"
    jsyaml.write_bytes(files["admin/vendor/js-yaml/js-yaml.min.js"])  # type: ignore[arg-type]
    result = subprocess.run(
        [NODE, str(tmp_path / "runner.js"), str(script), str(jsyaml), str(tmp_path / "layout.json")],
        input=json.dumps(texts),
        capture_output=True,
        text=True,
        check=True,
    )
    saved: list[str] = json.loads(result.stdout)
    return saved


REVIEWS = [*sorted(KB.glob("reviews/*.yaml")), EXAMPLES / "attack" / "attack-review.yaml"]


def test_a_review_saved_from_the_form_means_what_it_meant(tmp_path: Path) -> None:
    texts = [path.read_text(encoding="utf-8") for path in REVIEWS]
    for path, before, after in zip(REVIEWS, texts, saved_again(tmp_path, texts), strict=True):
        assert parse_text(path, after).data == parse_text(path, before).data, path.name
        assert after.startswith("# yaml-language-server: $schema=../schema/review.schema.json\nschema_version: 1\n")


def test_text_that_yaml_would_read_as_something_else_is_quoted(tmp_path: Path) -> None:
    tricky = ["yes", "no", "null", "~", "1:30", "1_000", "0x1F", "2026-10-12", "- item", "# note", "a: b",
              "a #b", "[x]", "{y}", "*ref", "&anchor", "!tag", "'q'", '"q"', "@at", "`tick`", "100", "1e3", ".5",
              "   ", "tab\there", "trailing ", "x\ny", "line one\n  indented", "%percent", "| pipe", "> fold",
              "?"]  # fmt: skip
    text = "schema_version: 1\nid: x\nmaterials:\n" + "".join(f"  - {json.dumps(t)}\n" for t in tricky)
    after = saved_again(tmp_path, [text])[0]
    assert parse_text(Path("x.yaml"), after).data["materials"] == tricky


def test_the_layout_is_retrogen_news(tmp_path: Path) -> None:
    text = (
        "actions:\n- {status: done, due: 2026-01-31, owner: 张伟, action: 培训, id: A1, addresses: [P1]}\n"
        "problems:\n- {factor: people, whys: [一, 二, 三], root_cause: 根因, problem: 问题, id: P1}\n"
        "title: 标题\nid: r\nschema_version: 1\ntags: [定价, 决策链]\n"
    )
    assert saved_again(tmp_path, [text])[0] == (
        "# yaml-language-server: $schema=../schema/review.schema.json\n"
        "schema_version: 1\nid: r\ntitle: 标题\ntags: [定价, 决策链]\n"
        "\nproblems:\n  - id: P1\n    problem: 问题\n    whys:\n      - 一\n      - 二\n      - 三\n"
        "    root_cause: 根因\n    factor: people\n"
        "\nactions:\n  - id: A1\n    action: 培训\n    owner: 张伟\n    due: 2026-01-31\n    addresses: [P1]\n"
        "    status: done\n"
    )
