"""Settings, read from the `extra.retrogen` block of mkdocs.yml so that the site and the CLI share one file."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from retrogen.errors import ConfigError
from retrogen.owners import DEFAULT_NOT_OWNERS

CONFIG_NAME = "mkdocs.yml"

@dataclass(frozen=True)
class Config:
    """Where the knowledge base is and how it is checked."""

    root: Path
    reviews_dir: Path
    not_owners: tuple[str, ...] = DEFAULT_NOT_OWNERS
    max_file_size: int = 1_048_576
    language: str = "en"
    site_name: str = "retrogen"
    mkdocs: dict[str, Any] = field(default_factory=dict)

    @property
    def config_file(self) -> Path:
        return self.root / CONFIG_NAME

    @property
    def generated_dir(self) -> Path:
        """MkDocs' docs_dir: retrogen generates every page into it, so it must be a folder of its own."""
        return self.root / str(self.mkdocs.get("docs_dir", ".retrogen/docs"))

    @property
    def site_dir(self) -> Path:
        return self.root / str(self.mkdocs.get("site_dir", "site"))


class _TolerantLoader(yaml.SafeLoader):
    """mkdocs.yml may hold `!!python/name:` and `!ENV` tags meant for MkDocs; we only need plain values."""


def _ignore_tag(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    return None


_TolerantLoader.add_multi_constructor("!", _ignore_tag)
_TolerantLoader.add_multi_constructor("tag:yaml.org,2002:python/", _ignore_tag)


def find_config(start: Path) -> Path | None:
    """The nearest mkdocs.yml in `start` or a parent folder, as MkDocs users expect from git-like tools."""
    for folder in [start, *start.parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def load_config(config_file: Path | None = None, cwd: Path | None = None) -> Config:
    """Read the configuration; without any mkdocs.yml the current folder is the knowledge base."""
    cwd = (cwd or Path.cwd()).resolve()
    if config_file is None:
        config_file = find_config(cwd)
    if config_file is None:
        return Config(root=cwd, reviews_dir=cwd / "reviews")
    config_file = config_file.resolve()
    try:
        raw = yaml.load(config_file.read_text(encoding="utf-8"), Loader=_TolerantLoader) or {}
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{config_file}: cannot read the configuration: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{config_file}: the configuration must be a mapping")
    extra = raw.get("extra") or {}
    settings = extra.get("retrogen") or {} if isinstance(extra, dict) else {}
    if not isinstance(settings, dict):
        raise ConfigError(f"{config_file}: extra.retrogen must be a mapping")
    root = config_file.parent
    not_owners = settings.get("not_owners", DEFAULT_NOT_OWNERS)
    if not isinstance(not_owners, (list, tuple)) or not all(isinstance(w, str) for w in not_owners):
        raise ConfigError(f"{config_file}: extra.retrogen.not_owners must be a list of words")
    max_size = settings.get("max_file_size", 1_048_576)
    if not isinstance(max_size, int) or max_size <= 0:
        raise ConfigError(f"{config_file}: extra.retrogen.max_file_size must be a positive number of bytes")
    theme = raw.get("theme") if isinstance(raw.get("theme"), dict) else {}
    language = str(theme.get("language", "en")) if theme else "en"
    return Config(
        root=root,
        reviews_dir=root / str(settings.get("reviews_dir", "reviews")),
        not_owners=tuple(not_owners),
        max_file_size=max_size,
        language="zh" if language.lower().startswith("zh") else "en",
        site_name=str(raw.get("site_name", "retrogen")),
        mkdocs=raw,
    )


def resolve_today(value: str | date | None) -> date:
    """`--today`, else RETROGEN_TODAY, else the real date: fixed days make checks and builds reproducible."""
    if isinstance(value, date):
        return value
    text = value or os.environ.get("RETROGEN_TODAY")
    if not text:
        return date.today()
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigError(f"today must be a date as YYYY-MM-DD, not {text!r}") from None
