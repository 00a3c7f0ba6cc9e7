"""Every setting of `extra.retrogen` in mkdocs.yml, declared once: its type, default, rule, help and any
former name.

Like the `Config` classes of mkdocs-material's plugins, one line per setting, validated, with renames
accepted and announced; but the gate imports no MkDocs, so the declaration is a frozen dataclass whose fields
carry their rule. The reader (gate/config.py), the commented block `init` writes into mkdocs.yml and the
README's settings table are all made from it.
"""

from __future__ import annotations

import copy
import difflib
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field, fields
from typing import Any, TypeVar

from retrogen.core.errors import ConfigError

# The achievement in percent from which a KPI is green, and from which it is amber (rag_thresholds). A metric
# below its target but within 10% of it is amber: close enough to recover within the next period, far enough
# to be named. Below 90% is red, met (100% or more) green.
_GREEN, _AMBER = 100, 90

# The playbook's themes in the order a salesperson meets them, from finding a customer to keeping one. Both
# languages of each step are listed, so the order holds whether or not tag_aliases folds one into the other;
# a tag missing from the knowledge base is skipped.
_PLAYBOOK_ORDER = (
    "拓客", "新客户开发", "prospecting", "需求挖掘", "discovery", "决策链", "decision-chain", "方案",
    "proposal", "business-case", "定价", "pricing", "谈判", "negotiation", "成交", "closing", "交接",
    "handover", "客户维护", "retention", "续约", "renewal",
)  # fmt: skip

_NOT_OWNERS = (
    # placeholders
    "TBD", "TBC", "TODO", "N/A", "NA", "none", "nobody", "unknown", "?", "-",
    "待定", "未定", "待指定", "无", "暂无",
    # groups: collective ownership is no ownership
    "全体", "全员", "团队", "小组", "部门", "所有人", "大家", "各位",
    "everyone", "everybody", "all", "team", "group", "department", "staff",
)  # fmt: skip


@dataclass(frozen=True)
class Rule:
    """What one setting accepts and means. `default` is the value as mkdocs.yml writes it; `read` turns a
    valid written value into the setting's value (a list into a tuple, percent into a fraction)."""

    default: Any
    expected: str  # what a valid value is: "must be ..." in an error, and init's comment
    help: str  # what the setting does: init's comment and the README's table
    valid: Callable[[Any], bool]
    read: Callable[[Any], Any]
    renamed_from: str | None = None


def _same(value: Any) -> Any:
    return value


def setting(
    default: Any,
    expected: str,
    valid: Callable[[Any], bool],
    help: str,
    *,
    read: Callable[[Any], Any] = _same,
    renamed_from: str | None = None,
) -> Any:
    """A field of a settings declaration: its default is `default` read as a written value would be."""
    rule = Rule(default, expected, help, valid, read, renamed_from)
    value = read(copy.deepcopy(default))
    if isinstance(value, (dict, list)):
        return field(default_factory=lambda: copy.deepcopy(value), metadata={"rule": rule})
    return field(default=value, metadata={"rule": rule})


def _is_text(value: Any) -> bool:
    return isinstance(value, str) and value.strip() != ""


def _is_count(value: Any, least: int, most: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and least <= value <= most


def _is_words(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(word, str) for word in value)


def _is_names(value: Any) -> bool:
    return _is_words(value) and all(word.strip() for word in value)


def _is_percent(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 1000


def _is_rag_thresholds(value: Any) -> bool:
    if not isinstance(value, dict) or not set(value) <= {"green", "amber"}:
        return False
    green, amber = value.get("green", _GREEN), value.get("amber", _AMBER)
    return _is_percent(green) and _is_percent(amber) and amber <= green


def _fractions(value: dict[str, float]) -> tuple[float, float]:
    return value.get("green", _GREEN) / 100, value.get("amber", _AMBER) / 100


def _is_tag_aliases(value: Any) -> bool:
    return isinstance(value, dict) and all(
        _is_text(tag) and (aliases is None or _is_names(aliases)) for tag, aliases in value.items()
    )


def _tuple_or_none(value: list[str] | None) -> tuple[str, ...] | None:
    return None if value is None else tuple(value)


@dataclass(frozen=True)
class Settings:
    """The settings of `extra.retrogen`, each at its default unless mkdocs.yml sets it."""

    reviews_dir: str = setting(
        "reviews", "a folder path relative to mkdocs.yml", _is_text, "the folder that holds the reviews"
    )
    not_owners: tuple[str, ...] = setting(
        list(_NOT_OWNERS), "a list of words", _is_words,
        "words that are a placeholder or a group, not one person: an action owned by one is refused",
        read=tuple,
    )  # fmt: skip
    max_file_size: int = setting(
        1_048_576, "a positive number of bytes", lambda v: _is_count(v, 1, 2**63),
        "the largest review file retrogen reads",
    )  # fmt: skip
    min_whys: int = setting(
        3, "a whole number from 0 to 10", lambda v: _is_count(v, 0, 10),
        "how many whys a problem asks before its root cause counts as found (5 Whys)",
    )  # fmt: skip
    people: str | None = setting(
        None, "the path of the roster file (people.yaml), relative to mkdocs.yml",
        lambda v: v is None or _is_text(v),
        "the roster: who the owners are, by every name they go by, and how to reach them",
    )  # fmt: skip
    targets: str | None = setting(
        None, "the path of the targets file (targets.yaml), relative to mkdocs.yml",
        lambda v: v is None or _is_text(v),
        "annual or half-year targets per team and KPI: year-to-date achievement on the team pages, the "
        "scoreboard and in `metrics --ytd`",
    )  # fmt: skip
    require_known_owners: bool = setting(
        False, "true or false", lambda v: isinstance(v, bool), "refuse an owner the roster does not know"
    )
    tag_aliases: Mapping[str, list[str] | None] = setting(
        {}, "a mapping of each canonical tag to the list of its aliases, e.g. {决策链: [decision-chain]}",
        _is_tag_aliases, "tags that name one theme, each folded into its canonical tag",
    )  # fmt: skip
    glossary: Mapping[str, list[str] | None] = setting(
        {}, "a mapping of each term to its translations and synonyms, e.g. {客户流失: [churn, customer churn]}",
        _is_tag_aliases,
        "terms that name one thing in two languages, for related lessons and the playbook's merging; they "
        "extend the built-in sales glossary (客户流失/churn, 折扣/discount, 决策链/decision chain, …) and "
        "replace its entry of the same term",
    )  # fmt: skip
    teams: tuple[str, ...] | None = setting(
        None, "the list of the teams' names (unset: any team), e.g. [华东销售部, 华南客户成功部]",
        lambda v: v is None or _is_names(v), "the teams a review may name",
        read=_tuple_or_none,
    )  # fmt: skip
    playbook_order: tuple[str, ...] = setting(
        list(_PLAYBOOK_ORDER), "a list of tags, e.g. [新客户开发, 需求挖掘, 决策链]", _is_names,
        "the tags whose playbook sections come first, in the order a salesperson meets them",
        read=tuple,
    )  # fmt: skip
    rag_thresholds: tuple[float, float] = setting(
        {"green": _GREEN, "amber": _AMBER},
        "the achievement in percent from which a KPI is green and from which it is amber, amber at most green, "
        "e.g. {green: 100, amber: 90}",
        _is_rag_thresholds, "when a KPI on the dashboard's scoreboard is green or amber; below amber it is red",
        read=_fractions,
    )  # fmt: skip
    repeated_miss_periods: int = setting(
        2, "a whole number from 2 to 24", lambda v: _is_count(v, 2, 24),
        "how many comparable periods in a row a KPI must miss its target to be flagged",
    )  # fmt: skip
    proven_min_verdicts: int = setting(
        2, "a whole number from 1 to 100", lambda v: _is_count(v, 1, 100),
        "how many achieved verdicts, and no other decided one, make a playbook practice proven",
    )  # fmt: skip
    escalate_after: int = setting(
        14, "a whole number of days from 1 to 365", lambda v: _is_count(v, 1, 365),
        "remind also tells the team's lead (the review's participant with role lead) of an action overdue "
        "more than this many days",
    )  # fmt: skip
    editor: str | None = setting(
        None, "decap, or unset", lambda v: v is None or v == "decap",
        "decap: the site serves a form at /admin/ that writes reviews and opens pull requests",
    )  # fmt: skip
    editor_backend: Mapping[str, Any] = setting(
        {}, "a mapping of Decap CMS backend settings, e.g. {name: github, repo: sales/kb, "
        "base_url: https://cms-auth.example.com}",
        lambda v: isinstance(v, dict) and all(isinstance(key, str) for key in v),
        "where the form saves, replacing what repo_url implies (Decap CMS's backend settings)",
    )  # fmt: skip


DEFAULTS = Settings()
Declared = TypeVar("Declared")  # a dataclass whose fields are `setting`s


def rules(declaration: type[Any] = Settings) -> Iterator[tuple[str, Rule]]:
    """Each setting of a declaration and its rule, in the order declared."""
    for each in fields(declaration):
        yield each.name, each.metadata["rule"]


class SettingsRefused(ConfigError):
    """A written setting breaks a rule. `key` is as written (a former name stays the former name), so that
    config.py, which knows the file, can add where it is."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def read_settings(written: Mapping[str, Any]) -> tuple[Settings, list[str]]:
    """`extra.retrogen` as mkdocs.yml writes it, read against the declaration; see `read_declared`."""
    return read_declared(written, Settings)


def read_declared(written: Mapping[str, Any], declaration: type[Declared]) -> tuple[Declared, list[str]]:
    """The declaration's settings from what mkdocs.yml writes, and a notice for each former name used.
    Raises SettingsRefused for an unknown key, a setting given twice (old and new name) or a bad value."""
    declared = dict(rules(declaration))
    former = {rule.renamed_from: name for name, rule in declared.items() if rule.renamed_from}
    notices = []
    values: dict[str, Any] = {}
    for key, value in written.items():
        name = former.get(key, key)
        if name not in declared:
            close = difflib.get_close_matches(key, [*declared, *former], n=1)
            hint = f"did you mean {close[0]!r}?" if close else f"known settings: {', '.join(declared)}"
            raise SettingsRefused(key, f"extra.retrogen.{key} is not a setting; {hint}")
        if name != key:
            if name in written:
                raise SettingsRefused(key, f"extra.retrogen.{key} is the former name of {name}: keep one")
            notices.append(f"extra.retrogen.{key} is now called {name}; rename it, the old name will go")
        rule = declared[name]
        if not rule.valid(value):
            raise SettingsRefused(key, f"extra.retrogen.{key} must be {rule.expected}, not {value!r}")
        values[name] = rule.read(value)
    return declaration(**values), notices
