"""`retrogen init`: a knowledge base of a team's own, made of plain files the team owns and changes."""

from __future__ import annotations

import difflib
import json
import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Literal

from retrogen import __version__
from retrogen.config import CONFIG_NAME, SETTINGS
from retrogen.errors import RetrogenError
from retrogen.files import write_file
from retrogen.labels import LABELS
from retrogen.render import yaml_environment
from retrogen.schema import SCHEMA_NAME, data_path, schema_path

# The hook pre-commit runs: every changed YAML file is passed, and `--only-reviews` keeps those in the
# configured reviews_dir, wherever it is (a `files:` pattern cannot know it). .pre-commit-hooks.yaml says the same.
HOOK_ENTRY = "retrogen check --only-reviews"
HOOK_FILES = r"\.ya?ml$"
EXAMPLES = {"zh": "2026-q3-east-sales", "en": "2026-northwind-fleet-deal"}
DEFAULT_NAMES = {"zh": "复盘知识库", "en": "Review knowledge base"}
# The site's sections: page -> its label in retrogen.labels (the label follows the site's language).
NAV = {"index.md": "dashboard", "reviews/index.md": "reviews", "lessons.md": "lessons", "playbook.md": "playbook",
       "actions.md": "actions", "metrics.md": "metrics", "teams/index.md": "teams_page", "tags.md": "tags",
       "submit.md": "submit"}
OVERRIDES = "site_overrides"

_templates = yaml_environment("templates/init")
_templates.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)

# What follows retrogen rather than the team: `init --upgrade` refreshes these (reviews, mkdocs.yml and the
# README are the team's alone).
UPGRADED = (f"schema/{SCHEMA_NAME}", ".github/workflows/", ".pre-commit-config.yaml", f"{OVERRIDES}/")
# Where each rendered file goes in the knowledge base -> its template (dot files are stored without the dot).
_RENDERED = {
    CONFIG_NAME: "mkdocs.yml.j2",
    ".gitignore": "gitignore.j2",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.j2",
    ".github/workflows/reviews.yml": "workflows/reviews.yml.j2",
    ".github/workflows/remind.yml": "workflows/remind.yml.j2",
}


GitState = Literal["existing", "created", "missing"]  # a repository was there, init made one, no git installed


@dataclass
class InitResult:
    """What `init` did: the files it wrote and those it left alone (already there, kept with --force)."""

    root: Path
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    git: GitState = "existing"


def starter_files(lang: str, name: str) -> dict[str, str]:
    """Every file of a new knowledge base, by its path relative to the knowledge base's root."""
    example = EXAMPLES[lang]
    context = {
        "lang": lang, "name": name, "version": __version__, "example": example,
        "hook": {"entry": HOOK_ENTRY, "files": HOOK_FILES},
        "nav": [(page, LABELS[lang][label]) for page, label in NAV.items()],
        "settings": [{"name": key, "default": s.default, "expected": s.expected} for key, s in SETTINGS.items()],
    }
    files = {path: _templates.get_template(template).render(context)
                                     for path, template in _RENDERED.items()}
    files["README.md"] = _templates.get_template(f"README.{lang}.md.j2").render(context)
    files[f"reviews/{example}.yaml"] = (resources.files("retrogen") / "templates" / "init" / "reviews"
                                        / f"{example}.yaml").read_text(encoding="utf-8")
    files[f"schema/{SCHEMA_NAME}"] = schema_path().read_text(encoding="utf-8")
    overrides = data_path(OVERRIDES, OVERRIDES)
    for source in sorted(overrides.rglob("*")):
        if source.is_file():
            files[f"{OVERRIDES}/{source.relative_to(overrides).as_posix()}"] = source.read_text(encoding="utf-8")
    return files


def init_knowledge_base(folder: Path, lang: str, name: str | None = None, force: bool = False) -> InitResult:
    """Write a new knowledge base into `folder` (created if needed) and make it a git repository unless it
    is inside one. Refuses a folder holding any of its files; with `force`, adds only the missing ones and
    never replaces a file. Returns what it wrote."""
    files = starter_files(lang, name or DEFAULT_NAMES[lang])
    existing = [path for path in files if (folder / path).exists() or (folder / path).is_symlink()]
    if (folder / "reviews").is_dir() and any((folder / "reviews").glob("*.y*ml")):
        # a knowledge base with reviews of its own needs no example
        existing += [path for path in files if path.startswith("reviews/") and path not in existing]
    if existing and not force:
        listed = ", ".join(sorted(existing)[:5]) + (", …" if len(existing) > 5 else "")
        raise RetrogenError(f"{folder} already holds {listed}; init never replaces a file "
                            "(add --force to add only the missing ones)")
    result = InitResult(root=folder, kept=[folder / path for path in sorted(existing)])
    for path, content in files.items():
        if path in existing:
            continue
        _write(folder / path, content, replace=False)
        result.written.append(folder / path)
    result.git = _ensure_git(folder)
    return result


def _write(target: Path, content: str, replace: bool) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RetrogenError(f"cannot create {target.parent}: {exc.strerror or exc}") from None
    write_file(target, content, replace=replace)


def _ensure_git(folder: Path) -> GitState:
    """Make `folder` a git repository unless it is inside one; the action tracker reads git history."""
    git = shutil.which("git")
    if git is None:
        return "missing"
    inside = subprocess.run([git, "-C", str(folder), "rev-parse", "--is-inside-work-tree"],
                            capture_output=True, text=True, check=False)
    if inside.returncode == 0 and inside.stdout.strip() == "true":
        return "existing"
    created = subprocess.run([git, "init", "-q", str(folder)], capture_output=True, text=True, check=False)
    if created.returncode != 0:
        raise RetrogenError(f"git init {folder} failed: {created.stderr.strip()}")
    return "created"


@dataclass(frozen=True)
class Upgrade:
    """One file `init --upgrade` refreshed, and the unified diff from what was there."""

    path: Path
    diff: str


def upgrade_knowledge_base(root: Path, lang: str) -> list[Upgrade]:
    """Bring the files that follow retrogen (UPGRADED) in the knowledge base at `root` to the installed
    version, adding missing ones; returns what changed, with diffs. Never touches reviews, mkdocs.yml or
    the README. Each file is replaced in one step, and git keeps what was there."""
    upgrades = []
    for path, content in starter_files(lang, DEFAULT_NAMES[lang]).items():
        if not path.startswith(UPGRADED):
            continue
        target = root / path
        try:
            old = target.read_text(encoding="utf-8") if target.exists() else ""
        except (OSError, UnicodeDecodeError) as exc:
            raise RetrogenError(f"cannot read {target}: {exc}") from None
        if old == content:
            continue
        diff = "".join(difflib.unified_diff(old.splitlines(keepends=True), content.splitlines(keepends=True),
                                            f"a/{path}", f"b/{path}"))
        _write(target, content, replace=target.exists())
        upgrades.append(Upgrade(target, diff))
    return upgrades
