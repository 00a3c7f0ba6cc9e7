"""The package's folders are its layers: each imports only from the folders below it, the gate loads no
heavy library, and the README's code layout is the tree's own (generated from the docstrings)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from .conftest import ROOT, check_readme_block

PACKAGE = ROOT / "retrogen"
# Bottom to top. A module may import its own folder and the folders of lower layers; the outputs of one
# layer may use each other (the site offers the report), but the import graph between folders has no cycle.
LAYERS: tuple[tuple[str, ...], ...] = (
    ("core",),
    ("gate",),
    ("formats",),
    ("engine",),
    ("kb", "report", "notify", "site"),
    ("cli",),
)
HEAVY = {"pandas", "numpy", "jinja2", "mkdocs", "material", "docx", "openpyxl", "jieba", "scipy"}
README_START = "<!-- code layout: generated from the modules' docstrings by tests/test_layout.py -->"
README_END = "<!-- end of code layout -->"


def folder_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 2 else ""  # "" is the top: retrogen/__init__.py and __main__.py


def imports() -> dict[str, set[str]]:
    """Each retrogen module and the modules it imports (absolute names, at any depth: lazy imports count)."""
    found: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        module = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names.update(alias.name for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.module:
                names.add(node.module)
                names.update(f"{node.module}.{alias.name}" for alias in node.names)
        found[module] = names
    return found


def rank(folder: str) -> int:
    return next((i for i, layer in enumerate(LAYERS) if folder in layer), len(LAYERS))


def test_every_folder_has_a_layer() -> None:
    folders = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file()}
    assert folders == {folder for layer in LAYERS for folder in layer}


def test_no_module_imports_upwards() -> None:
    upward = []
    for module, names in imports().items():
        here = folder_of(module)
        for name in names:
            if name.startswith("retrogen.") and name.count(".") >= 2:
                there = name.split(".")[1]
                if there != here and here and rank(there) > rank(here):
                    upward.append(f"{module} imports {name}")
    assert upward == []


def test_folders_import_each_other_without_a_cycle() -> None:
    edges: dict[str, set[str]] = {}
    for module, names in imports().items():
        here = folder_of(module)
        for name in names:
            if here and name.startswith("retrogen.") and name.count(".") >= 2 and name.split(".")[1] != here:
                edges.setdefault(here, set()).add(name.split(".")[1])

    def reaches(start: str, goal: str, seen: set[str]) -> bool:
        return any(n == goal or (n not in seen and reaches(n, goal, seen | {n})) for n in edges.get(start, ()))

    assert [f for f in edges if reaches(f, f, set())] == []


@pytest.mark.parametrize("folder", ["core", "gate"])
def test_the_gate_loads_no_heavy_library(folder: str) -> None:
    heavy = sorted(
        f"{module} imports {name}"
        for module, names in imports().items()
        if folder_of(module) == folder
        for name in names
        if name.split(".")[0] in HEAVY
    )
    assert heavy == []


def summary(path: Path) -> str:
    """A module's docstring, its first paragraph on one line."""
    doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8"))) or ""
    return " ".join(doc.split("\n\n")[0].split())


def layout() -> str:
    lines = [README_START, "", "| where | what |", "|---|---|"]
    for folder in [f for layer in LAYERS for f in layer]:
        lines.append(f"| **`retrogen/{folder}/`** | {summary(PACKAGE / folder / '__init__.py')} |")
        for path in sorted((PACKAGE / folder).glob("*.py")):
            if path.name != "__init__.py":
                escaped = summary(path).replace("|", r"\|")
                lines.append(f"| `{folder}/{path.name}` | {escaped} |")
    lines += ["", README_END]
    return "\n".join(lines)


def test_readme_code_layout_is_the_tree(request: pytest.FixtureRequest) -> None:
    check_readme_block(request, README_START, README_END, layout())
