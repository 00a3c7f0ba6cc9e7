"""The knowledge base's own words: its tags, each with the aliases it goes by, its teams, and the glossary that
joins the words of its two languages.

`extra.retrogen.tag_aliases` maps a canonical tag to its aliases ({决策链: [decision-chain]}): every table,
page and export counts an alias as its canonical tag. Tags are compared by their key, with case, width,
spaces, hyphens and underscores set aside, so Decision Chain is decision-chain. `extra.retrogen.teams`
lists the teams when a knowledge base wants a mistyped team refused rather than counted as a new team.
`extra.retrogen.glossary` joins the words of two languages that name one thing (客户流失 and churn), so that
related lessons and the playbook's merging find a lesson whichever language it was written in.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property

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


# The sales terms the review template and the example reviews use, each with its other language and the other
# words it goes by. A knowledge base's own `glossary` entries extend these, and replace an entry of the same
# term. Only words that mean one thing in a sales review belong here: "price" is pricing in every review, while
# "deal" (商机, 成交 or 合同) is left out, since joining it to one of them would join lessons that only share it.
SEED_GLOSSARY: Mapping[str, tuple[str, ...]] = {
    "客户流失": ("churn", "churned", "流失", "流失率"),
    "折扣": ("discount", "discounting", "打折", "降价"),
    "决策链": ("decision chain", "decision-chain", "buying committee", "采购委员会", "决策流程", "拍板人"),
    "经济决策人": ("economic buyer", "finance", "CFO", "财务", "预算审批人"),
    "技术决策人": ("technical buyer", "technical win", "IT", "IT部门", "技术部门"),
    "复购率": ("repurchase rate", "repeat purchase", "复购", "增购"),
    "线索": ("lead", "leads"),
    "商机": ("opportunity", "pipeline"),
    "报价": ("quote", "quotation", "pricing", "定价", "价格"),
    "竞争对手": ("competitor", "competition", "竞品", "对手"),
    "续约": ("renewal", "renew"),
    "预算": ("budget",),
    "谈判": ("negotiation", "negotiate"),
    "需求挖掘": ("discovery", "discovery call", "需求调研"),
    "客户维护": ("retention", "account management", "回访"),
    "交接": ("handover", "handoff", "hand-off"),
    "试点": ("pilot", "proof of concept", "poc"),
    "演示": ("demo", "demonstration"),
    "培训": ("training", "coaching"),
    "招标": ("rfp", "tender"),
    "采购": ("procurement", "purchasing"),
    "总拥有成本": ("total cost of ownership", "total cost", "tco", "总成本"),
    "商业论证": ("business case", "business-case", "价值测算"),
    "预测": ("forecast", "forecasting"),
    "新客户": ("new customer", "new logo", "新客户开发"),
    "老客户": ("existing customer", "existing account", "installed base"),
}

_LATIN = re.compile(r"[a-z0-9]")
# What a glossary term starts with as a term of a text: no word can be mistaken for it.
CONCEPT = "≈"


def _spelling_key(spelling: str) -> str:
    return _SEPARATORS.sub(" ", normalise(spelling).casefold()).strip()


def _spelling_pattern(spelling: str) -> str:
    """A spelling as a regular expression, words apart by any spaces or hyphens. An abbreviation written in
    capitals matches only in capitals: IT is not the word "it"."""
    if spelling.isupper():
        return f"(?-i:{re.escape(spelling)})"
    return r"[\s\-_]+".join(re.escape(word) for word in _spelling_key(spelling).split(" "))


def _spellings_pattern(spellings: Iterable[str]) -> re.Pattern[str]:
    """One expression for all spellings, longest first (so "economic buyers" is one mention, not "buyers"
    after a stray word). An English spelling matches whole words only, with a plural s; a Chinese one
    anywhere, as Chinese has no spaces between words. The two kinds are two groups, so that the word
    boundaries are tested once per place in the text rather than once per spelling."""
    longest_first = sorted(spellings, key=lambda spelling: (-len(spelling), spelling))
    chinese = "|".join(_spelling_pattern(s) for s in longest_first if not _LATIN.search(_spelling_key(s)))
    latin = "|".join(_spelling_pattern(s) for s in longest_first if _LATIN.search(_spelling_key(s)))
    groups = [f"(?:{chinese})" if chinese else "", rf"(?<![a-z0-9])(?:{latin})(?:e?s)?(?![a-z0-9])" if latin else ""]
    return re.compile("|".join(group for group in groups if group), re.IGNORECASE)


@dataclass(frozen=True, eq=False)  # compared and hashed by identity: one per configuration, used as a cache key
class Glossary:
    """Terms that name one thing in both languages, each with its translations and synonyms. A text's
    concepts are the terms whose spellings it mentions: what a Chinese and an English lesson about churn
    have in common when they share no word."""

    entries: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    @cached_property
    def _term_of(self) -> dict[str, str]:
        """Each spelling's key -> its term; a spelling two terms list belongs to the first."""
        term_of: dict[str, str] = {}
        for term, others in self.entries.items():
            for spelling in (term, *others):
                term_of.setdefault(_spelling_key(spelling), term)
        return term_of

    @cached_property
    def _pattern(self) -> re.Pattern[str] | None:
        if not self._term_of:
            return None
        return _spellings_pattern({spelling for term, others in self.entries.items() for spelling in (term, *others)})

    def concepts(self, text: str) -> tuple[str, list[str]]:
        """`text` with the glossary's spellings taken out, and the terms they spell, once per mention, as
        concept terms (`≈客户流失`) that no word can be mistaken for. Taken out, so that "churn" and "客户流失"
        weigh the same: left in, an English text would match an English query on the word and the concept,
        and a Chinese one on the concept alone."""
        found: list[str] = []
        if self._pattern is None:
            return text, found

        def concept(mention: re.Match[str]) -> str:
            found.append(f"{CONCEPT}{self._term(mention.group(0))}")
            return " "

        return self._pattern.sub(concept, normalise(text)), found

    def _term(self, mention: str) -> str:
        key = _spelling_key(mention)
        for plural in ("", "s", "es"):  # the pattern allows a plural the glossary does not write
            stem = key[: len(key) - len(plural)] if plural and key.endswith(plural) else key
            if stem in self._term_of:
                return self._term_of[stem]
        return self._term_of[key]


# The glossary of a knowledge base that sets none of its own.
SEED = Glossary(SEED_GLOSSARY)


def glossary(value: Mapping[str, list[str] | None], where: str = "extra.retrogen.glossary") -> Glossary:
    """The seed glossary extended by a knowledge base's own `glossary` setting: an entry of the setting
    replaces the seed's entry of the same term, and a spelling it gives is its own even when the seed lists it
    under another term. A ConfigError names `where` and a spelling that two of its entries claim."""
    if not value:
        return SEED
    claimed: dict[str, str] = {}
    for term, others in value.items():
        for spelling in (term, *(others or ())):
            other = claimed.setdefault(_spelling_key(spelling), term)
            if other != term:
                raise ConfigError(
                    f"{where}: {spelling!r} is listed under both {other!r} and {term!r}; a spelling names one term"
                )
    # The knowledge base's entries first: the first term that lists a spelling is the one it names.
    entries = {term: tuple(others or ()) for term, others in value.items()}
    entries.update({term: others for term, others in SEED_GLOSSARY.items() if term not in value})
    return Glossary(entries)
