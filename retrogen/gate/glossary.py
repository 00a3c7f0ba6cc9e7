"""The knowledge base's own words: its tags, each with the aliases it goes by, and its teams.

`extra.retrogen.tag_aliases` maps a canonical tag to its aliases ({决策链: [decision-chain]}): every table,
page and export counts an alias as its canonical tag. Tags are compared by their key, with case, width,
spaces, hyphens and underscores set aside, so Decision Chain is decision-chain. `extra.retrogen.teams`
lists the teams when a knowledge base wants a mistyped team refused rather than counted as a new team.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from retrogen.core.errors import ConfigError
from retrogen.gate.owners import normalise

_SEPARATORS = re.compile(r"[\s\-_]+")
# A one-letter slip in a short word is often another word (定价 and 报价, rfp and rfi): only keys this long
# count a one-character difference as a typo.
MIN_TYPO_LENGTH = 5


def tag_key(tag: str) -> str:
    """What a tag is once case, width, spaces, hyphens and underscores are set aside."""
    return _SEPARATORS.sub("", normalise(tag).casefold())


@dataclass(frozen=True)
class TagVocabulary:
    """Canonical tags and their aliases, as extra.retrogen.tag_aliases lists them."""

    aliases: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    _canonical: dict[str, str] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        for canonical, aliases in self.aliases.items():
            for name in (canonical, *aliases):
                self._canonical.setdefault(tag_key(name), canonical)

    def canonical(self, tag: str) -> str:
        """The canonical tag of an alias (in any case or spacing); any other tag stays as written."""
        return self._canonical.get(tag_key(tag), tag)

    def canonical_tags(self, tags: Iterable[str]) -> tuple[str, ...]:
        """Each tag as its canonical tag, once, in the order first written."""
        return tuple(dict.fromkeys(self.canonical(tag) for tag in tags))

    def aliases_of(self, tag: str) -> tuple[str, ...]:
        return self.aliases.get(tag, ())

    def spellings(self) -> Iterator[str]:
        """Every canonical tag and alias as written."""
        for canonical, aliases in self.aliases.items():
            yield canonical
            yield from aliases


def tag_vocabulary(value: Mapping[str, list[str] | None], where: str) -> TagVocabulary:
    """The vocabulary of a checked `tag_aliases` setting; a ConfigError names `where` and the tag that two
    entries claim, since an alias must lead to one tag."""
    canonical_of: dict[str, str] = {}
    for canonical in value:
        other = canonical_of.setdefault(tag_key(canonical), canonical)
        if other != canonical:
            raise ConfigError(
                f"{where}: {canonical!r} and {other!r} are one tag (case and spacing aside); keep "
                "one and list the other as its alias"
            )
    alias_of: dict[str, str] = {}
    for canonical, aliases in value.items():
        for alias in aliases or ():
            other = canonical_of.get(tag_key(alias), canonical)
            if other != canonical:
                raise ConfigError(
                    f"{where}: {alias!r}, an alias of {canonical!r}, is itself a canonical tag; "
                    f"move the aliases of {other!r} under {canonical!r} and remove {other!r}, or "
                    f"drop {alias!r} from the aliases of {canonical!r}"
                )
            other = alias_of.setdefault(tag_key(alias), canonical)
            if other != canonical:
                raise ConfigError(
                    f"{where}: {alias!r} is listed under both {other!r} and {canonical!r}; an alias belongs to one tag"
                )
    return TagVocabulary({canonical: tuple(aliases or ()) for canonical, aliases in value.items()})


def _one_slip(one: str, other: str) -> bool:
    """True when one character added, removed, replaced or two neighbours swapped turn `one` into `other`."""
    if abs(len(one) - len(other)) > 1 or one == other:
        return False
    start = 0
    while start < min(len(one), len(other)) and one[start] == other[start]:
        start += 1
    a, b = one[start:], other[start:]
    return (
        a[1:] == b[1:]
        or a[1:] == b
        or a == b[1:]
        or (len(a) == len(b) >= 2 and a[0] == b[1] and a[1] == b[0] and a[2:] == b[2:])
    )


def _deletions(key: str) -> set[str]:
    return {key, *(key[:i] + key[i + 1 :] for i in range(len(key)))}


class TagIndex:
    """Known tag spellings, to say which one a tag was probably meant to be.

    A tag is near a known spelling when their keys are equal (another case, spacing or hyphenation) or one
    slip apart. Candidates come from an index of keys with one character deleted, so judging a tag costs
    the same against ten spellings as against ten thousand.
    """

    def __init__(self, spellings: Iterable[str]) -> None:
        self._by_key: dict[str, set[str]] = {}
        self._by_deletion: dict[str, set[str]] = {}
        for spelling in spellings:
            key = tag_key(spelling)
            self._by_key.setdefault(key, set()).add(spelling)
            if len(key) >= MIN_TYPO_LENGTH - 1:
                for variant in _deletions(key):
                    self._by_deletion.setdefault(variant, set()).add(key)

    def near(self, tag: str) -> list[str]:
        """The known spellings, other than `tag` itself, that `tag` differs from only in form or by one slip."""
        key = tag_key(tag)
        keys = {key}
        if len(key) >= MIN_TYPO_LENGTH - 1:
            for variant in _deletions(key):
                keys.update(
                    k
                    for k in self._by_deletion.get(variant, ())
                    if min(len(k), len(key)) >= MIN_TYPO_LENGTH and _one_slip(k, key)
                )
        return sorted(s for k in keys for s in self._by_key.get(k, ()) if s != tag)


class TagSpeller:
    """Which tag a tag was probably meant to be: the vocabulary's spellings first, then the tags the reviews
    use (`used`: how often each spelling is written). Of two spellings, the rarer one is the slip, so only it
    gets a suggestion; two written equally often both do."""

    def __init__(self, vocabulary: TagVocabulary, used: Mapping[str, int]) -> None:
        self._known = set(vocabulary.spellings())
        self._canonical = set(vocabulary.aliases)
        self._vocabulary = TagIndex(self._known)
        self._used = used
        self._in_reviews = TagIndex(used)
        self._judged: dict[str, str | None] = {}  # a knowledge base writes each tag many times

    def suggestion(self, tag: str) -> str | None:
        """None when `tag` is fine as written."""
        if tag not in self._judged:
            self._judged[tag] = self._judge(tag)
        return self._judged[tag]

    def _judge(self, tag: str) -> str | None:
        if tag in self._known:
            return None
        preferred = self._vocabulary.near(tag)
        if preferred:
            return self._likeliest(preferred)
        candidates = self._in_reviews.near(tag)
        if not candidates:
            return None
        best = self._likeliest(candidates)
        return best if self._used.get(best, 0) >= self._used.get(tag, 0) else None

    def _likeliest(self, spellings: list[str]) -> str:
        """The spelling the reviews write most, a canonical tag before an alias."""
        return min(spellings, key=lambda s: (-self._used.get(s, 0), s not in self._canonical, s))


def team_hint(team: str, teams: tuple[str, ...]) -> str | None:
    """None for a listed team; else what to write instead (did you mean …?, or the list)."""
    if normalise(team) in teams:
        return None
    same = [known for known in teams if tag_key(known) == tag_key(team)]
    close = same or difflib.get_close_matches(normalise(team), teams, n=1, cutoff=0.5)
    if close:
        return f"did you mean {close[0]!r}?"
    return f"the teams are: {', '.join(teams)}"
