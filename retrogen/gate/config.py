"""Settings, read from the `extra.retrogen` block of mkdocs.yml so that the site and the CLI share one file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from yaml_env_tag import construct_env_tag

from retrogen.core.errors import ConfigError
from retrogen.core.periods import FIRST_YEAR, LAST_YEAR
from retrogen.core.words import Language, language_of
from retrogen.gate.glossary import SEED, Glossary, TagVocabulary, glossary, tag_vocabulary
from retrogen.gate.owners import normalise
from retrogen.gate.people import Roster, load_roster
from retrogen.gate.schema import SCHEMA_NAME
from retrogen.gate.settings import DEFAULTS, Settings, SettingsRefused, read_settings

if TYPE_CHECKING:
    from retrogen.gate.targets import Target

CONFIG_NAME = "mkdocs.yml"


@dataclass(frozen=True)
class Config:
    """Where the knowledge base is and how it is checked: the settings of `extra.retrogen`, and what the ones
    that name files or words resolve to."""

    root: Path
    reviews_dir: Path
    settings: Settings = DEFAULTS
    roster: Roster = field(default_factory=Roster)  # extra.retrogen.people, read
    tags: TagVocabulary = field(default_factory=TagVocabulary)  # extra.retrogen.tag_aliases, read
    targets: tuple[Target, ...] = ()  # extra.retrogen.targets, read
    glossary: Glossary = SEED  # the seed and extra.retrogen.glossary
    teams: tuple[str, ...] | None = None  # extra.retrogen.teams, normalised; None: any team is fine
    language: Language = "en"
    site_name: str = "retrogen"
    mkdocs: dict[str, Any] = field(default_factory=dict)
    notices: tuple[str, ...] = ()  # what the user should change in mkdocs.yml (a setting's former name)

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def schema_copy(self) -> Path:
        """The knowledge base's copy of the schema (`init` writes it): modelines point at it, so editors work
        offline and in every clone."""
        return self.root / "schema" / SCHEMA_NAME

    @property
    def generated_dir(self) -> Path:
        """MkDocs' docs_dir: retrogen generates every page into it, so it must be a folder of its own."""
        return self.root / str(self.mkdocs.get("docs_dir") or ".retrogen/docs")

    @property
    def site_dir(self) -> Path:
        return self.root / str(self.mkdocs.get("site_dir") or "site")


class _MkDocsLoader(yaml.SafeLoader):
    """mkdocs.yml as MkDocs reads it (`!ENV`, `!relative`, INHERIT), but safely: `!!python/name:` tags name
    code for MkDocs to import, which retrogen never needs, so they read as None instead of running."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    return None


_MkDocsLoader.add_constructor("!ENV", construct_env_tag)
_MkDocsLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)
_MkDocsLoader.add_multi_constructor("!", _ignore_tag)


def read_mkdocs_yml(path: Path, seen: tuple[Path, ...] = ()) -> dict[str, Any]:
    """The configuration as MkDocs sees it, with an INHERIT parent merged in (the child wins)."""
    if path in seen:
        raise ConfigError(f"{path}: INHERIT forms a loop ({' -> '.join(p.name for p in (*seen, path))})")
    try:
        loader = _MkDocsLoader(path.read_text(encoding="utf-8"))
        try:
            # `!relative` is the folder of the file that says it (MkDocs resolves it the same way).
            loader.add_constructor("!relative", lambda _loader, _node: str(path.parent))
            raw = loader.get_single_data() or {}
        finally:
            loader.dispose()
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: cannot read the configuration: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the configuration must be a mapping")
    parent = raw.pop("INHERIT", None)
    if isinstance(parent, str):
        return _merge(read_mkdocs_yml((path.parent / parent).resolve(), (*seen, path)), raw)
    return raw


def _merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        merged[key] = _merge(old, value) if isinstance(old, dict) and isinstance(value, dict) else value
    return merged


def find_config(start: Path) -> Path | None:
    """The nearest mkdocs.yml in `start` or a parent folder, as MkDocs users expect from git-like tools."""
    for folder in [start, *start.parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def retrogen_settings(raw: dict[str, Any], config_file: Path) -> tuple[Settings, list[str]]:
    """`extra.retrogen` read against the declaration (gate/settings.py), and the notices of former names.
    A refused setting is named with its file and line."""
    extra = raw.get("extra") or {}
    written = (extra.get("retrogen") or {}) if isinstance(extra, dict) else {}
    if not isinstance(written, dict):
        raise ConfigError(f"{config_file}: extra.retrogen must be a mapping of settings")
    try:
        return read_settings(written)
    except SettingsRefused as refused:
        raise ConfigError(f"{setting_position(config_file, refused.key)}: {refused}") from None


def setting_position(config_file: Path, name: str, seen: tuple[Path, ...] = ()) -> str:
    """`file:line` of extra.retrogen.NAME: in mkdocs.yml, or else in the file it INHERITs from."""
    try:
        root = yaml.compose(config_file.read_text(encoding="utf-8"), Loader=_MkDocsLoader)
    except (OSError, UnicodeDecodeError, yaml.YAMLError):
        return str(config_file)
    node = _key_node(_key_node(_key_node(root, "extra"), "retrogen"), name, key=True)
    if node is not None:
        return f"{config_file}:{node.start_mark.line + 1}"
    parent = _key_node(root, "INHERIT")
    if isinstance(parent, yaml.ScalarNode) and config_file not in seen:
        return setting_position((config_file.parent / parent.value).resolve(), name, (*seen, config_file))
    return str(config_file)


def _key_node(node: yaml.Node | None, name: str, *, key: bool = False) -> yaml.Node | None:
    """The value (or with `key` the key) of `name` in a mapping node."""
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            if isinstance(key_node, yaml.ScalarNode) and key_node.value == name:
                return key_node if key else value_node
    return None


def load_config(config_file: Path | None = None, cwd: Path | None = None) -> Config:
    """Read the configuration; without any mkdocs.yml the current folder is the knowledge base."""
    cwd = (cwd or Path.cwd()).resolve()
    if config_file is None:
        config_file = find_config(cwd)
    if config_file is None:
        return Config(root=cwd, reviews_dir=cwd / DEFAULTS.reviews_dir)
    config_file = config_file.resolve()
    raw = read_mkdocs_yml(config_file)
    settings, notices = retrogen_settings(raw, config_file)
    theme = raw.get("theme") if isinstance(raw.get("theme"), dict) else {}
    root = config_file.parent
    return Config(
        root=root,
        reviews_dir=root / settings.reviews_dir,
        settings=settings,
        roster=load_roster(root / settings.people) if settings.people else Roster(),
        tags=tag_vocabulary(settings.tag_aliases, f"{config_file}: extra.retrogen.tag_aliases"),
        targets=_targets(root / settings.targets) if settings.targets else (),
        glossary=glossary(settings.glossary, f"{config_file}: extra.retrogen.glossary"),
        teams=tuple(normalise(team) for team in settings.teams) if settings.teams is not None else None,
        language=language_of(theme.get("language") if theme else None),
        site_name=str(raw.get("site_name") or "retrogen"),
        mkdocs=raw,
        notices=tuple(notices),
    )


def _targets(path: Path) -> tuple[Target, ...]:
    """The targets file read: only a knowledge base that names one pays for importing its reader."""
    from retrogen.gate.targets import load_targets

    return load_targets(path)


def knowledge_base_problem(config: Config, *, reviews: bool = True) -> str | None:
    """Why a command cannot read the knowledge base of `config`: no mkdocs.yml was found, or (with `reviews`)
    its reviews folder is missing; None when it can."""
    if not config.config_file.is_file():
        return (
            f"not in a knowledge base: no {CONFIG_NAME} in {config.root} or a folder above it; start one with "
            "`retrogen init`, or name its mkdocs.yml with -c"
        )
    if reviews and not config.reviews_dir.is_dir():
        what = "is not a folder" if config.reviews_dir.exists() else "does not exist"
        return (
            f"the reviews folder {config.reviews_dir} (reviews_dir of {config.config_file}) {what}; "
            f"`retrogen init --force {config.root}` adds it with an example review"
        )
    return None


def resolve_today(value: str | date | None) -> date:
    """`--today`, else RETROGEN_TODAY, else the real date: fixed days make checks and builds reproducible.
    A day outside the years a review's dates may lie in is refused: every due date would be judged against
    a day no review can name, and the engine's date arithmetic (a due date suggested next month) would
    leave the calendar at 9999-12-31."""
    if isinstance(value, date):
        return value
    text = value or os.environ.get("RETROGEN_TODAY")
    if not text:
        return date.today()
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"today must be a date as YYYY-MM-DD, not {text!r}") from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ConfigError(
            f"today must be a day in the years {FIRST_YEAR} to {LAST_YEAR}, like every date of a review, not {text}"
        )
    return day
