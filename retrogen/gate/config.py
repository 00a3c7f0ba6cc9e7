"""Settings, read from the `extra.retrogen` block of mkdocs.yml so that the site and the CLI share one file."""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml
from yaml_env_tag import construct_env_tag

from retrogen.core.errors import ConfigError
from retrogen.core.periods import FIRST_YEAR, LAST_YEAR
from retrogen.core.rates import DEFAULT_REPEATED_MISS_PERIODS
from retrogen.gate.glossary import TagVocabulary, tag_vocabulary
from retrogen.gate.loader import DEFAULT_MAX_FILE_SIZE
from retrogen.gate.owners import DEFAULT_NOT_OWNERS, normalise
from retrogen.gate.people import Roster, load_roster
from retrogen.gate.review_checks import DEFAULT_MIN_WHYS
from retrogen.gate.schema import SCHEMA_NAME

CONFIG_NAME = "mkdocs.yml"

# The playbook's themes in the order a salesperson meets them, from finding a customer to keeping one. Both
# languages of each step are listed, so the order holds whether or not tag_aliases folds one into the other;
# a tag missing from the knowledge base is skipped.
DEFAULT_PLAYBOOK_ORDER = (
    "拓客",
    "新客户开发",
    "prospecting",
    "需求挖掘",
    "discovery",
    "决策链",
    "decision-chain",
    "方案",
    "proposal",
    "business-case",
    "定价",
    "pricing",
    "谈判",
    "negotiation",
    "成交",
    "closing",
    "交接",
    "handover",
    "客户维护",
    "retention",
    "续约",
    "renewal",
)
# A practice is "proven" in the playbook when every decided verdict of its actions is achieved and at least this
# many are: one achieved verdict is an anecdote, and one beside a miss is no proof (extra.retrogen).
DEFAULT_PROVEN_MIN_VERDICTS = 2


@dataclass(frozen=True)
class Config:
    """Where the knowledge base is and how it is checked."""

    root: Path
    reviews_dir: Path
    not_owners: tuple[str, ...] = DEFAULT_NOT_OWNERS
    max_file_size: int = DEFAULT_MAX_FILE_SIZE
    min_whys: int = DEFAULT_MIN_WHYS
    roster: Roster = field(default_factory=Roster)
    require_known_owners: bool = False
    tags: TagVocabulary = field(default_factory=TagVocabulary)
    teams: tuple[str, ...] | None = None  # None: any team is fine
    language: str = "en"
    playbook_order: tuple[str, ...] = DEFAULT_PLAYBOOK_ORDER
    site_name: str = "retrogen"
    mkdocs: dict[str, Any] = field(default_factory=dict)
    # The achievement (actual / target, or target / actual where lower is better) from which a KPI is green,
    # and from which it is amber; below that red. extra.retrogen.rag_thresholds gives them in percent.
    rag_thresholds: tuple[float, float] = (1.0, 0.9)
    # How many comparable periods in a row a KPI must miss its target to be flagged (extra.retrogen).
    repeated_miss_periods: int = DEFAULT_REPEATED_MISS_PERIODS
    # How many achieved verdicts (and no other decided one) make a playbook practice proven (extra.retrogen).
    proven_min_verdicts: int = DEFAULT_PROVEN_MIN_VERDICTS
    # The form at /admin/ that writes reviews (extra.retrogen.editor: decap), and where it saves when repo_url
    # does not say (extra.retrogen.editor_backend, Decap CMS's backend settings).
    editor: str | None = None
    editor_backend: dict[str, Any] = field(default_factory=dict)

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


@dataclass(frozen=True)
class Setting:
    """One key of `extra.retrogen`: its default and what a valid value is."""

    default: Any
    expected: str  # for the message when the value is not valid
    valid: Callable[[Any], bool]


def _is_count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_words(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(word, str) for word in value)


def _is_names(value: Any) -> bool:
    return _is_words(value) and all(word.strip() for word in value)


def _is_percent(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1000


def _is_rag_thresholds(value: Any) -> bool:
    if not isinstance(value, dict) or not set(value) <= {"green", "amber"}:
        return False
    green, amber = value.get("green", 100), value.get("amber", 90)
    return _is_percent(green) and _is_percent(amber) and amber <= green


def _is_tag_aliases(value: Any) -> bool:
    return isinstance(value, dict) and all(
        isinstance(tag, str) and tag.strip() and (aliases is None or _is_names(aliases))
        for tag, aliases in value.items()
    )


# Every setting of `extra.retrogen`, in one place: its name, its default and its rule.
SETTINGS: dict[str, Setting] = {
    "reviews_dir": Setting("reviews", "a folder path relative to mkdocs.yml", lambda v: isinstance(v, str) and v != ""),
    "not_owners": Setting(list(DEFAULT_NOT_OWNERS), "a list of words", _is_words),
    "max_file_size": Setting(DEFAULT_MAX_FILE_SIZE, "a positive number of bytes", lambda v: _is_count(v) and v > 0),
    "min_whys": Setting(DEFAULT_MIN_WHYS, "a whole number from 0 to 10", lambda v: _is_count(v) and 0 <= v <= 10),
    "people": Setting(
        None,
        "the path of the roster file (people.yaml), relative to mkdocs.yml",
        lambda v: v is None or (isinstance(v, str) and v.strip() != ""),
    ),
    "require_known_owners": Setting(False, "true or false", lambda v: isinstance(v, bool)),
    "tag_aliases": Setting(
        {},
        "a mapping of each canonical tag to the list of its aliases, e.g. {决策链: [decision-chain], 定价: [pricing]}",
        _is_tag_aliases,
    ),
    "teams": Setting(
        None,
        "the list of the teams' names (unset: any team), e.g. [华东销售部, 华南客户成功部]",
        lambda v: v is None or _is_names(v),
    ),
    "playbook_order": Setting(
        list(DEFAULT_PLAYBOOK_ORDER), "a list of tags, e.g. [新客户开发, 需求挖掘, 决策链]", _is_names
    ),
    "rag_thresholds": Setting(
        {"green": 100, "amber": 90},
        "the achievement in percent from which a KPI is green "
        "and from which it is amber, amber at most green, e.g. {green: 100, amber: 90}",
        _is_rag_thresholds,
    ),
    "repeated_miss_periods": Setting(
        DEFAULT_REPEATED_MISS_PERIODS,
        "a whole number from 2 to 24: how many comparable periods in a row a KPI must miss its target to be flagged",
        lambda v: _is_count(v) and 2 <= v <= 24,
    ),
    "proven_min_verdicts": Setting(
        DEFAULT_PROVEN_MIN_VERDICTS,
        "a whole number from 1 to 100: how many achieved "
        "verdicts, and no other decided one, make a playbook practice proven",
        lambda v: _is_count(v) and 1 <= v <= 100,
    ),
    "editor": Setting(
        None,
        "decap (the site serves a form at /admin/ that writes reviews and opens pull requests), or unset",
        lambda v: v is None or v == "decap",
    ),
    "editor_backend": Setting(
        {},
        "a mapping of Decap CMS backend settings that replace those derived from repo_url, e.g. "
        "{name: github, repo: sales/kb, base_url: https://cms-auth.example.com}",
        lambda v: isinstance(v, dict) and all(isinstance(key, str) for key in v),
    ),
}


def find_config(start: Path) -> Path | None:
    """The nearest mkdocs.yml in `start` or a parent folder, as MkDocs users expect from git-like tools."""
    for folder in [start, *start.parents]:
        candidate = folder / CONFIG_NAME
        if candidate.is_file():
            return candidate
    return None


def retrogen_settings(raw: dict[str, Any], config_file: Path) -> dict[str, Any]:
    """`extra.retrogen` with every setting checked and every missing one at its default."""
    extra = raw.get("extra") or {}
    settings = (extra.get("retrogen") or {}) if isinstance(extra, dict) else {}
    if not isinstance(settings, dict):
        raise ConfigError(f"{config_file}: extra.retrogen must be a mapping of settings")
    for name in settings:
        if name not in SETTINGS:
            close = difflib.get_close_matches(name, SETTINGS, n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known settings: {', '.join(SETTINGS)}"
            raise ConfigError(f"{config_file}: extra.retrogen.{name} is not a setting; {hint}")
    values = {}
    for name, setting in SETTINGS.items():
        value = settings.get(name, setting.default)
        if not setting.valid(value):
            raise ConfigError(f"{config_file}: extra.retrogen.{name} must be {setting.expected}, not {value!r}")
        values[name] = value
    return values


def load_config(config_file: Path | None = None, cwd: Path | None = None) -> Config:
    """Read the configuration; without any mkdocs.yml the current folder is the knowledge base."""
    cwd = (cwd or Path.cwd()).resolve()
    if config_file is None:
        config_file = find_config(cwd)
    if config_file is None:
        return Config(root=cwd, reviews_dir=cwd / SETTINGS["reviews_dir"].default)
    config_file = config_file.resolve()
    raw = read_mkdocs_yml(config_file)
    settings = retrogen_settings(raw, config_file)
    theme = raw.get("theme") if isinstance(raw.get("theme"), dict) else {}
    language = str(theme.get("language") or "en") if theme else "en"
    root = config_file.parent
    return Config(
        root=root,
        reviews_dir=root / settings["reviews_dir"],
        not_owners=tuple(settings["not_owners"]),
        max_file_size=settings["max_file_size"],
        min_whys=settings["min_whys"],
        roster=load_roster(root / settings["people"]) if settings["people"] else Roster(),
        require_known_owners=settings["require_known_owners"],
        tags=tag_vocabulary(settings["tag_aliases"], f"{config_file}: extra.retrogen.tag_aliases"),
        teams=tuple(normalise(team) for team in settings["teams"]) if settings["teams"] is not None else None,
        playbook_order=tuple(settings["playbook_order"]),
        language="zh" if language.lower().startswith("zh") else "en",
        site_name=str(raw.get("site_name") or "retrogen"),
        mkdocs=raw,
        rag_thresholds=(
            settings["rag_thresholds"].get("green", 100) / 100,
            settings["rag_thresholds"].get("amber", 90) / 100,
        ),
        repeated_miss_periods=settings["repeated_miss_periods"],
        proven_min_verdicts=settings["proven_min_verdicts"],
        editor=settings["editor"],
        editor_backend=dict(settings["editor_backend"]),
    )


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
