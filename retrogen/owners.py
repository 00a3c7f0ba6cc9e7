"""Is an action's owner one named person? Collective ownership is no ownership (one owner per action).

Owners are judged as a reader sees them: after NFKC normalisation (ＴＢＤ is TBD) and with invisible
characters removed (a name made of U+200B is no name).
"""

from __future__ import annotations

import re
import unicodedata

DEFAULT_NOT_OWNERS = (
    # placeholders
    "TBD", "TBC", "TODO", "N/A", "NA", "none", "nobody", "unknown", "?", "-",
    "待定", "未定", "待指定", "无", "暂无",
    # groups: collective ownership is no ownership
    "全体", "全员", "团队", "小组", "部门", "所有人", "大家", "各位",
    "everyone", "everybody", "all", "team", "group", "department", "staff",
)  # fmt: skip

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
_JOINED_ZH = re.compile(r"[\u3400-\u9fff]{2,}\s*[和及与跟]\s*[\u3400-\u9fff]{2,}")


def normalise(name: str) -> str:
    """The name as a reader sees it: NFKC, no invisible characters, outer spaces trimmed."""
    return unicodedata.normalize("NFKC", name).translate(_INVISIBLE).strip()


def _contains_word(name: str, word: str) -> bool:
    if _CJK.search(word):
        return len(word) > 1 and word in name
    return len(word) > 2 and re.search(rf"(?<!\w){re.escape(word)}(?!\w)", name) is not None


def owner_problem(owner: str, not_owners: tuple[str, ...] = DEFAULT_NOT_OWNERS) -> str | None:
    """Why `owner` is not one named person, or None when it is. An empty name is the schema's to report."""
    name = normalise(owner).casefold()
    if not name:
        return None
    for word in not_owners:
        folded = normalise(word).casefold()
        if name == folded:
            return f"{owner!r} is a placeholder or a group, not a person"
        if _contains_word(name, folded):
            return f"{owner!r} names a group ({word}); collective ownership is no ownership"
    if _JOINED.search(name) or _JOINED_ZH.search(name):
        return f"{owner!r} names several people; one person owns an action, list helpers under resources"
    if _is_unit(name):
        return f"{owner!r} is an organisational unit, not a person; collective ownership is no ownership"
    return None


def _is_unit(name: str) -> bool:
    if _CJK.search(name):
        # Two-character names (王科, 李区) are people; 销售部, 华东区 and 客户成功中心 are units.
        return len(name) >= 3 and name.endswith(_UNIT_SUFFIXES_ZH)
    words = re.findall(r"\w+", name)
    if len(words) == 1:  # Sales, Marketing: a function of the company, not someone's name
        return words[0] in {"sales", "marketing", "support", "operations"}
    return words[-1] in _UNIT_WORDS_EN
