"""`retrogen init`: a knowledge base of a team's own, made of plain files the team owns and changes."""

from __future__ import annotations

import difflib
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from importlib import metadata, resources
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.request import url2pathname

from retrogen import __version__
from retrogen.core.errors import RetrogenError
from retrogen.core.files import write_file
from retrogen.core.words import catalogue
from retrogen.formats import urls
from retrogen.formats.render import yaml_environment
from retrogen.gate.config import CONFIG_NAME
from retrogen.gate.schema import SCHEMA_NAME, data_path, schema_path
from retrogen.gate.settings import rules
from retrogen.gate.targets import TARGETS_SCHEMA_NAME, targets_schema_path

# The hook pre-commit runs: every changed YAML file is passed, and `--only-reviews` keeps those in the
# configured reviews_dir, wherever it is (a `files:` pattern cannot know it). .pre-commit-hooks.yaml says the same.
HOOK_ENTRY = "retrogen check --only-reviews"
HOOK_FILES = r"\.ya?ml$"
HOOK_ID = "retrogen-check"
# The site's sections: page -> its label in the catalogue (core/words.py; the label follows the site's language).
NAV = {
    urls.DASHBOARD: "dashboard",
    urls.REVIEWS: "reviews",
    urls.LESSONS: "lessons",
    urls.PLAYBOOK: "playbook",
    urls.TRACKER: "actions",
    urls.METRICS: "metrics",
    urls.TEAMS: "teams_page",
    urls.TAGS: "tags",
    urls.SUBMIT: "submit",
}
OVERRIDES = "site_overrides"
# What init wrote, by hash: `init --upgrade` replaces only the files the team has not changed since. It is
# committed with the knowledge base (unlike .retrogen/, which is git-ignored).
MANIFEST = ".retrogen-manifest.json"
CodeHost = Literal["github", "gitlab"]

# Whether retrogen's releases are on the package index. Until the first one is, a knowledge base installs
# retrogen from where this copy came from (a clone, a git URL, a wheel) or from `init --source`; once it
# is, set this to True and the index is the default.
ON_PACKAGE_INDEX = False

_templates = yaml_environment("templates/init")
# Settings a new knowledge base starts with, unlike retrogen's defaults: its reviews folder, and the form at
# /admin/ that lets people write a review without touching YAML.
STARTER_SETTINGS: dict[str, object] = {"reviews_dir": "reviews", "editor": "decap"}
_templates.filters["json"] = lambda value: json.dumps(value, ensure_ascii=False)
_templates.filters["shell"] = shlex.quote

# What follows retrogen rather than the team: `init --upgrade` refreshes these when the team has not changed
# them (reviews, mkdocs.yml and the README are the team's alone).
UPGRADED = (
    f"schema/{SCHEMA_NAME}",
    f"schema/{TARGETS_SCHEMA_NAME}",
    ".github/workflows/",
    ".gitlab-ci.yml",
    ".pre-commit-config.yaml",
    f"{OVERRIDES}/",
)
# Where each rendered file goes in the knowledge base -> its template (dot files are stored without the dot).
_RENDERED = {
    CONFIG_NAME: "mkdocs.yml.j2",
    ".gitignore": "gitignore.j2",
    ".pre-commit-config.yaml": "pre-commit-config.yaml.j2",
}
_CI_FILES: dict[str, dict[str, str]] = {
    "github": {
        ".github/workflows/reviews.yml": "workflows/reviews.yml.j2",
        ".github/workflows/remind.yml": "workflows/remind.yml.j2",
    },
    "gitlab": {".gitlab-ci.yml": "gitlab-ci.yml.j2"},
}
_GIT_URL = re.compile(r"^(git\+)?(https?|ssh|git|file)://|^[\w.-]+@[\w.-]+:")
_REQUIREMENT = re.compile(r"^retrogen\s*(\[[^]]*\])?\s*([<>=!~@;]|$)", re.IGNORECASE)


SourceKind = Literal["index", "git", "path", "requirement"]


@dataclass(frozen=True)
class Source:
    """Where the team's machines and CI install retrogen from: the package index, retrogen's git repository
    (at the tag of the installed version), a folder or wheel on this machine, or a requirement as given."""

    kind: SourceKind
    location: str = ""

    @classmethod
    def parse(cls, given: str) -> Source:
        """`init --source`: "index", a git URL, a path to retrogen's folder or wheel, or a requirement."""
        given = given.strip()
        if given.lower() in ("index", "pypi"):
            return cls("index")
        if _REQUIREMENT.match(given):
            return cls("requirement", given)
        if _GIT_URL.match(given) or given.endswith(".git"):
            url = given.removeprefix("git+")
            # a ref after the path (…/retrogen.git@v0.1.0) is dropped: init pins the installed version's tag
            head, at, ref = url.rpartition("@")
            if at and "/" not in ref and "/" in head.split("://", 1)[-1]:
                url = head
            scp = re.match(r"^([\w.-]+@[\w.-]+):(.+)$", url)  # git@host:path, which pip does not take
            return cls("git", f"ssh://{scp[1]}/{scp[2]}" if scp else url)
        path = Path(given).expanduser()
        if (path.is_dir() and (path / "pyproject.toml").is_file()) or (path.is_file() and path.suffix == ".whl"):
            return cls("path", str(path.resolve()))
        raise RetrogenError(
            f"--source {given!r} is not a git URL, a folder holding retrogen's pyproject.toml, a "
            "wheel, or a requirement such as retrogen==0.1.0; e.g. --source "
            "https://git.example.com/tools/retrogen.git"
        )

    def requirement(self, version: str) -> str:
        """What `pip install` is given."""
        if self.kind == "index":
            return f"retrogen=={version}"
        if self.kind == "git":
            return f"retrogen @ git+{self.location}@v{version}"
        return self.location

    @property
    def reachable_from_ci(self) -> bool:
        return self.kind != "path"

    def as_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "location": self.location}


def detect_source() -> Source:
    """Where this retrogen came from, for a knowledge base whose init named no --source: the index once
    releases are published there; else the clone it runs from, or what pip recorded when it installed it."""
    if ON_PACKAGE_INDEX:
        return Source("index")
    try:
        recorded = json.loads(metadata.distribution("retrogen").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        recorded = {}
    return source_of(Path(__file__).resolve().parents[1], recorded if isinstance(recorded, dict) else {})


def source_of(package: Path, recorded: dict[str, Any]) -> Source:
    """The source of the retrogen package in `package`: its clone (the clone's origin when that is a git
    URL, else the clone's folder), or else what pip recorded in direct_url.json (PEP 610): a git URL, a
    folder or a wheel; the index when pip recorded nothing (installed from an index)."""
    checkout = package.parent
    if (checkout / "pyproject.toml").is_file() and (checkout / "retrogen" / "__init__.py").is_file():
        origin = _git(checkout, "remote", "get-url", "origin")
        if origin and _GIT_URL.match(origin):
            return Source.parse(origin)
        return Source("path", str(checkout))
    url = str(recorded.get("url", ""))
    if (recorded.get("vcs_info") or {}).get("vcs") == "git":
        return Source.parse(url if _GIT_URL.match(url) else f"git+{url}")
    if url.startswith("file://"):
        return Source("path", url2pathname(url.removeprefix("file://")))
    return Source("index")


def _git(folder: Path, *args: str) -> str | None:
    git = shutil.which("git")
    if git is None:
        return None
    done = subprocess.run([git, "-C", str(folder), *args], capture_output=True, text=True, check=False)
    return done.stdout.strip() if done.returncode == 0 else None


GitState = Literal["existing", "created", "missing"]  # a repository was there, init made one, no git installed


@dataclass
class InitResult:
    """What `init` did: the files it wrote and those it left alone (already there, kept with --force)."""

    root: Path
    source: Source
    written: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    git: GitState = "existing"
    commit_error: str = ""  # why init could not make the first commit of the repository it created


def starter_files(
    lang: str, name: str, source: Source | None = None, ci: CodeHost = "github", *, hook_repo: bool = False
) -> dict[str, str]:
    """Every file of a new knowledge base, by its path relative to the knowledge base's root. The pre-commit
    hook runs the installed retrogen (offline), or with `hook_repo` installs it from retrogen's git repository."""
    source = source or detect_source()
    words = catalogue(lang)
    example = words.example_review
    context = {
        "lang": lang,
        "name": name,
        "version": __version__,
        "example": example,
        "ci": ci,
        "install": source.requirement(__version__),
        "hook": {
            "entry": HOOK_ENTRY,
            "files": HOOK_FILES,
            "id": HOOK_ID,
            "repo": source.location if hook_repo and source.kind == "git" else None,
        },
        "nav": [(page, words.labels[label]) for page, label in NAV.items()],
        "words": words,
        "settings": [
            {
                "name": name,
                "rule": rule,
                "value": STARTER_SETTINGS.get(name, rule.default),
                "set": name in STARTER_SETTINGS,
            }
            for name, rule in rules()
        ],
    }
    files = {
        path: _templates.get_template(template).render(context)
        for path, template in {**_RENDERED, **_CI_FILES[ci]}.items()
    }
    files["README.md"] = _templates.get_template(f"README.{lang}.md.j2").render(context)
    files[f"reviews/{example}.yaml"] = (
        resources.files("retrogen") / "templates" / "init" / "reviews" / f"{example}.yaml"
    ).read_text(encoding="utf-8")
    files[f"schema/{SCHEMA_NAME}"] = schema_path().read_text(encoding="utf-8")
    # The targets file (extra.retrogen.targets) starts with a modeline pointing here, as reviews do.
    files[f"schema/{TARGETS_SCHEMA_NAME}"] = targets_schema_path().read_text(encoding="utf-8")
    overrides = data_path(OVERRIDES, OVERRIDES)
    for source_file in sorted(overrides.rglob("*")):
        if source_file.is_file():
            files[f"{OVERRIDES}/{source_file.relative_to(overrides).as_posix()}"] = source_file.read_text(
                encoding="utf-8"
            )
    return files


@dataclass(frozen=True)
class Manifest:
    """`.retrogen-manifest.json`: the options init was given and the hash of every file it wrote that
    follows retrogen, so that `--upgrade` renders the same choices and knows which files the team changed."""

    source: Source
    ci: CodeHost
    hook_repo: bool
    hashes: dict[str, str]
    version: str = __version__

    def text(self) -> str:
        return (
            json.dumps(
                {
                    "about": "What `retrogen init` wrote: `retrogen init --upgrade` replaces only the files whose hash "
                    "is still the one here. Keep this file in git; do not edit it.",
                    "retrogen": self.version,
                    "source": self.source.as_dict(),
                    "ci": self.ci,
                    "hook_repo": self.hook_repo,
                    "files": dict(sorted(self.hashes.items())),
                },
                ensure_ascii=False,
                indent=2,
            )
            + "\n"
        )

    @classmethod
    def read(cls, root: Path) -> Manifest | None:
        path = root / MANIFEST
        if not path.exists():
            return None
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            source = raw["source"]
            if source["kind"] not in get_args(SourceKind) or raw["ci"] not in _CI_FILES:
                raise ValueError(f"unknown source kind {source['kind']!r} or ci {raw['ci']!r}")
            return cls(
                Source(source["kind"], str(source["location"])),
                raw["ci"],
                bool(raw["hook_repo"]),
                {str(k): str(v) for k, v in raw["files"].items()},
                str(raw["retrogen"]),
            )
        except (OSError, UnicodeDecodeError, ValueError, KeyError, TypeError, AttributeError) as exc:
            raise RetrogenError(
                f"{path} cannot be read ({exc}); restore it from git (git checkout -- {MANIFEST})"
            ) from None


def _digest(content: str) -> str:
    return "sha256:" + hashlib.sha256(content.encode("utf-8")).hexdigest()


def init_knowledge_base(
    folder: Path,
    lang: str,
    name: str | None = None,
    source: Source | None = None,
    ci: CodeHost = "github",
    *,
    force: bool = False,
) -> InitResult:
    """Write a new knowledge base into `folder` (created if needed) and make it a git repository on branch
    main with a first commit, unless it is inside one. Refuses a folder holding any of its files; with
    `force`, adds only the missing ones and never replaces a file. Returns what it wrote."""
    hook_repo = source is not None and source.kind == "git"  # the team named retrogen's repository
    source = source or detect_source()
    files = starter_files(lang, name or catalogue(lang).knowledge_base_name, source, ci, hook_repo=hook_repo)
    files[MANIFEST] = Manifest(
        source, ci, hook_repo, {path: _digest(content) for path, content in files.items() if path.startswith(UPGRADED)}
    ).text()
    existing = [path for path in files if (folder / path).exists() or (folder / path).is_symlink()]
    if (folder / "reviews").is_dir() and any((folder / "reviews").glob("*.y*ml")):
        # a knowledge base with reviews of its own needs no example
        existing += [path for path in files if path.startswith("reviews/") and path not in existing]
    if existing and not force:
        listed = ", ".join(sorted(existing)[:5]) + (", …" if len(existing) > 5 else "")
        raise RetrogenError(
            f"{folder} already holds {listed}; init never replaces a file (add --force to add only the missing ones)"
        )
    result = InitResult(root=folder, source=source, kept=[folder / path for path in sorted(existing)])
    for path, content in files.items():
        if path in existing:
            continue
        _write(folder / path, content, replace=False)
        result.written.append(folder / path)
    result.git = _ensure_git(folder)
    if result.git == "created":
        result.commit_error = _first_commit(folder, [path for path in files if (folder / path).exists()])
    return result


def _write(target: Path, content: str, *, replace: bool) -> None:
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise RetrogenError(f"cannot create {target.parent}: {exc.strerror or exc}") from None
    write_file(target, content, replace=replace)


def _ensure_git(folder: Path) -> GitState:
    """Make `folder` a git repository on branch main unless it is inside one: the action tracker reads git
    history, and the workflows publish from main."""
    git = shutil.which("git")
    if git is None:
        return "missing"
    if _git(folder, "rev-parse", "--is-inside-work-tree") == "true":
        return "existing"
    created = subprocess.run([git, "init", "-q", str(folder)], capture_output=True, text=True, check=False)
    if created.returncode != 0:
        raise RetrogenError(f"git init {folder} failed: {created.stderr.strip()}")
    # `git init -b` needs git 2.28; renaming the unborn branch works with every version
    _git(folder, "symbolic-ref", "HEAD", "refs/heads/main")
    return "created"


# Who makes init's first commit when git knows no one: set for that commit only, never in git's configuration.
_INIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "retrogen init",
    "GIT_AUTHOR_EMAIL": "retrogen-init@localhost",
    "GIT_COMMITTER_NAME": "retrogen init",
    "GIT_COMMITTER_EMAIL": "retrogen-init@localhost",
}


def _first_commit(folder: Path, paths: list[str]) -> str:
    """Commit what init wrote, so that the README's branch-and-pull-request steps work as written; returns
    git's complaint when it could not, "" when it did."""
    git = shutil.which("git") or "git"
    environment = dict(os.environ)
    if not _git(folder, "config", "user.email") and not os.environ.get("GIT_AUTHOR_EMAIL"):
        environment |= _INIT_IDENTITY
    commit = ["commit", "-q", "--no-verify", "-m", "Start the knowledge base (retrogen init)"]
    for command in (["add", "--", *paths], commit):
        done = subprocess.run(
            [git, "-C", str(folder), *command], capture_output=True, text=True, check=False, env=environment
        )
        if done.returncode != 0:
            said = (done.stderr or done.stdout).strip().splitlines()
            return said[-1] if said else f"git {command[0]} exited {done.returncode}"
    return ""


UpgradeAction = Literal["added", "updated", "kept"]  # kept: the team changed it; the new version is beside it


@dataclass(frozen=True)
class Upgrade:
    """One file `init --upgrade` brings to this retrogen's version, what it does with it, and the unified diff
    from what is there to the new version."""

    path: Path
    action: UpgradeAction
    diff: str

    @property
    def beside(self) -> Path:
        """Where the new version goes when the team changed the file."""
        return self.path.with_name(self.path.name + ".new")


def upgrade_knowledge_base(
    root: Path, lang: str, source: Source | None = None, ci: CodeHost | None = None, *, dry_run: bool = False
) -> list[Upgrade]:
    """Bring the files that follow retrogen (UPGRADED) in the knowledge base at `root` to the installed
    version, adding missing ones; returns what changed, with diffs. A file the team changed since init wrote
    it (its hash is not the manifest's) is never replaced: the new version is written beside it as NAME.new.
    Never touches reviews, mkdocs.yml or the README. With `dry_run`, writes nothing."""
    manifest = Manifest.read(root)
    if source is not None:
        hook_repo = source.kind == "git"
    elif manifest is not None:
        source, hook_repo = manifest.source, manifest.hook_repo
    else:
        source, hook_repo = detect_source(), False
    ci = ci or (manifest.ci if manifest else "gitlab" if (root / ".gitlab-ci.yml").exists() else "github")
    recorded = manifest.hashes if manifest else {}
    files = {
        path: content
        for path, content in starter_files(
            lang, catalogue(lang).knowledge_base_name, source, ci, hook_repo=hook_repo
        ).items()
        if path.startswith(UPGRADED)
    }
    upgrades = []
    for path, content in files.items():
        target = root / path
        try:
            old = target.read_text(encoding="utf-8") if target.exists() else None
        except (OSError, UnicodeDecodeError) as exc:
            raise RetrogenError(f"cannot read {target}: {exc}") from None
        if old == content or (old is not None and recorded.get(path) == _digest(content)):
            continue  # up to date, or changed by the team while this version of the file is what init wrote
        diff = "".join(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True), content.splitlines(keepends=True), f"a/{path}", f"b/{path}"
            )
        )
        action: UpgradeAction = "added" if old is None else "updated" if recorded.get(path) == _digest(old) else "kept"
        upgrades.append(Upgrade(target, action, diff))
    if dry_run:
        return upgrades
    for upgrade in upgrades:
        content = files[upgrade.path.relative_to(root).as_posix()]
        if upgrade.action == "kept":
            _write(upgrade.beside, content, replace=upgrade.beside.exists())
        else:
            _write(upgrade.path, content, replace=upgrade.path.exists())
    hashes = {path: _digest(content) for path, content in files.items()}
    new_manifest = Manifest(source, ci, hook_repo, hashes).text()
    manifest_path = root / MANIFEST
    if not manifest_path.exists() or manifest_path.read_text(encoding="utf-8") != new_manifest:
        _write(manifest_path, new_manifest, replace=manifest_path.exists())
    return upgrades
