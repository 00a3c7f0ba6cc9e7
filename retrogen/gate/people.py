"""The roster: who the owners are, by every name they go by, and how to reach them.

`extra.retrogen.people` names a YAML file (people.yaml) with a `people:` list. Aliases resolve to one
person everywhere: 刘洋 and Liu Yang are one owner in every table, page and digest. With
`require_known_owners: true`, an owner who is not in the roster is an error in `check`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from retrogen.core.errors import ConfigError, ReviewFileError
from retrogen.gate.hints import did_you_mean
from retrogen.gate.loader import field_name, load_review
from retrogen.gate.owners import normalise

_CONTACTS = ("email", "mobile", "wecom", "dingtalk", "feishu", "slack", "github")


@dataclass(frozen=True)
class Person:
    name: str
    aliases: tuple[str, ...] = ()
    email: str = ""
    mobile: str = ""
    wecom: str = ""
    dingtalk: str = ""
    feishu: str = ""
    slack: str = ""  # a Slack member id (U…): a message mentions it as <@U…>
    github: str = ""


def _key(name: str) -> str:
    return normalise(name).casefold()


@dataclass(frozen=True)
class Roster:
    people: tuple[Person, ...] = ()
    _by_name: dict[str, Person] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for person in self.people:
            for name in (person.name, *person.aliases):
                self._by_name.setdefault(_key(name), person)

    def find(self, name: str) -> Person | None:
        """The person `name` (or one of their aliases, in any case or width) names."""
        return self._by_name.get(_key(name))

    def canonical(self, name: str) -> str:
        """The roster's name for `name`; an owner not in the roster keeps the name they were given."""
        person = self.find(name)
        return person.name if person else name

    def known(self) -> frozenset[str]:
        """Every name and alias, normalised: what the gate compares owners with."""
        return frozenset(self._by_name)

    def names(self) -> tuple[str, ...]:
        """Every name and alias as written: what a "did you mean" chooses from."""
        return tuple(name for p in self.people for name in (p.name, *p.aliases))


def suggestion(name: str, names: tuple[str, ...]) -> str:
    return did_you_mean(name, names, "add them to the roster or name someone in it")


def load_roster(path: Path) -> Roster:
    """The roster in `path`; a ConfigError names the file, line and field of anything unusable."""
    try:
        document = load_review(path)
    except ReviewFileError as exc:
        raise ConfigError(f"{path}:{exc.line}:{exc.column}: {exc.message}") from None
    entries = document.data.get("people")
    if not isinstance(entries, list):
        where = document.locate(("people",))
        raise ConfigError(f"{path}:{where.line}:{where.column}: the roster needs a `people:` list of people")
    people: list[Person] = []
    seen: dict[str, str] = {}
    for index, entry in enumerate(entries):
        people.append(_person(path, document, index, entry))
        for name in (people[-1].name, *people[-1].aliases):
            where = document.locate(("people", index))
            if _key(name) in seen and seen[_key(name)] != people[-1].name:
                raise ConfigError(
                    f"{path}:{where.line}:{where.column}: {name!r} names both "
                    f"{seen[_key(name)]} and {people[-1].name}; give each name to one person"
                )
            seen[_key(name)] = people[-1].name
    return Roster(tuple(people))


def _person(path: Path, document: Any, index: int, entry: Any) -> Person:
    where = document.locate(("people", index))

    def fail(what: str, field_path: tuple[str | int, ...]) -> ConfigError:
        at = document.locate(field_path)
        return ConfigError(f"{path}:{at.line}:{at.column}: {field_name(field_path)} {what}")

    if not isinstance(entry, dict) or not isinstance(entry.get("name"), str) or not entry["name"].strip():
        raise ConfigError(f"{path}:{where.line}:{where.column}: people[{index}] needs a name")
    unknown = sorted(set(entry) - {"name", "aliases", *_CONTACTS})
    if unknown:
        raise fail(
            f"is not a field of a person; use name, aliases, {', '.join(_CONTACTS)}", ("people", index, unknown[0])
        )
    aliases = entry.get("aliases", [])
    if not isinstance(aliases, list) or not all(isinstance(a, str) for a in aliases):
        raise fail("must be a list of names", ("people", index, "aliases"))
    contacts = {}
    for name in _CONTACTS:
        value = entry.get(name, "")
        if not isinstance(value, (str, int)) or isinstance(value, bool):
            raise fail("must be text", ("people", index, name))
        contacts[name] = str(value)
    return Person(entry["name"].strip(), tuple(a.strip() for a in aliases if a.strip()), **contacts)
