"""Is an action's owner one named person? Collective ownership is no ownership (one owner per action).

Owners are judged as a reader sees them: after NFKC normalisation (ＴＢＤ is TBD) and with invisible
characters removed (a name made of U+200B is no name).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

from retrogen.gate.settings import DEFAULTS

# Names of organisational units end like this: 销售部, 华东区, 客户成功中心, EMEA Sales, Sales Ops.
_UNIT_SUFFIXES_ZH = ("事业部", "委员会", "办公室", "工作组", "团队", "中心", "小组", "部门",
                     "部", "组", "区", "科", "处", "室", "队", "线")  # fmt: skip
_UNIT_WORDS_EN = frozenset({
    "team", "teams", "dept", "department", "departments", "group", "ops", "operations", "sales", "office",
    "division", "committee", "unit", "squad", "crew", "staff", "marketing", "support", "desk", "council",
    "board", "hq", "center", "centre", "org", "organisation", "organization", "bu", "pod", "region",
})  # fmt: skip
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad\u180e\u034f"))
_CJK = re.compile(r"[\u3400-\u9fff]")
_JOINED = re.compile(r"[、,/&;+]|\band\b")
# 张伟和李娜 names two people, 王和平 one: a Chinese conjunction counts only between two full names.
_CONJUNCTIONS_ZH = "和及与跟"


@lru_cache(maxsize=1)
def _joined_zh() -> re.Pattern[str]:
    """Compiled when a name holds a conjunction: its two CJK ranges take 5 ms to compile, on every `check`."""
    return re.compile(rf"[\u3400-\u9fff]{{2,}}\s*[{_CONJUNCTIONS_ZH}]\s*[\u3400-\u9fff]{{2,}}")


def normalise(name: str) -> str:
    """The name as a reader sees it: NFKC, no invisible characters, outer spaces trimmed."""
    return unicodedata.normalize("NFKC", name).translate(_INVISIBLE).strip()


@lru_cache(maxsize=8)
def _matchers(not_owners: tuple[str, ...]) -> tuple[tuple[str, str, Callable[[str], object]], ...]:
    """Each configured word, normalised once, with how to find it inside a name: a Chinese word anywhere
    (全体, 团队), a Latin one as a whole word of three letters or more (team, all; not NA in Li Na)."""
    matchers = []
    for word in not_owners:
        folded = normalise(word).casefold()
        contains: Callable[[str], object] = _never
        if _CJK.search(folded) and len(folded) > 1:
            contains = _substring(folded)
        elif not _CJK.search(folded) and len(folded) > 2:
            contains = re.compile(rf"(?<!\w){re.escape(folded)}(?!\w)").search
        matchers.append((word, folded, contains))
    return tuple(matchers)


def _never(name: str) -> bool:
    return False


def _substring(word: str) -> Callable[[str], bool]:
    return lambda name: word in name


def owner_problem(owner: str, not_owners: tuple[str, ...] = DEFAULTS.not_owners) -> str | None:
    """Why `owner` is not one named person, or None when it is. An empty name is the schema's to report."""
    name = normalise(owner).casefold()
    if not name:
        return None
    for word, folded, contains in _matchers(not_owners):
        if name == folded:
            return f"{owner!r} is a placeholder or a group, not a person"
        if contains(name):
            return f"{owner!r} names a group ({word}); collective ownership is no ownership"
    if _JOINED.search(name) or (any(c in name for c in _CONJUNCTIONS_ZH) and _joined_zh().search(name)):
        return f"{owner!r} names several people; one person owns an action, list helpers under resources"
    if _is_unit(name):
        return f"{owner!r} is an organisational unit, not a person; collective ownership is no ownership"
    return None


def _is_unit(name: str) -> bool:
    if _CJK.search(name):
        # Two-character names (王科, 李区) are people; 销售部, 华东区 and 客户成功中心 are units.
        return len(name) >= 3 and name.endswith(_UNIT_SUFFIXES_ZH)
    words = re.findall(r"\w+", name)
    if not words:  # emoji or punctuation only: no word names a unit
        return False
    if len(words) == 1:  # Sales, Marketing: a function of the company, not someone's name
        return words[0] in {"sales", "marketing", "support", "operations"}
    return words[-1] in _UNIT_WORDS_EN
