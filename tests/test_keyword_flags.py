"""A flag is passed by name: `build_site(config, today, strict=True)` says what `True` means where it is
written, and a flag added later cannot shift the meaning of a call's positional arguments."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "retrogen"
# gate/ and engine/ join when the typed model of a review lands (issue 17, part "model")
FOLDERS = ["cli", "site", "notify", "kb", "formats", "report", "core", "gate", "engine"]
DATA = {("formats/tables.py", "yes_no", "value")}  # the boolean shown, not a switch


def positional_flags(folder: str) -> list[str]:
    found = []
    for path in sorted((PACKAGE / folder).rglob("*.py")):
        where = path.relative_to(PACKAGE).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                for arg in [*node.args.posonlyargs, *node.args.args]:
                    annotation = ast.unparse(arg.annotation) if arg.annotation else ""
                    if annotation == "bool" and (where, node.name, arg.arg) not in DATA:
                        found.append(f"{where}:{node.lineno} {node.name}({arg.arg})")
    return found


@pytest.mark.parametrize("folder", FOLDERS)
def test_boolean_parameters_are_keyword_only(folder: str) -> None:
    assert positional_flags(folder) == []


def test_the_walk_finds_a_positional_flag(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "m.py").write_text("def f(a: int, strict: bool = False, *, ok: bool) -> None: ...\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["PACKAGE"]), "PACKAGE", tmp_path)
    assert positional_flags("x") == ["x/m.py:1 f(strict)"]
