"""Synthetic knowledge bases for benchmarks: N valid reviews of realistic size (about 6 KB, the size the
design's measurements used), half Chinese, half English, several teams each reviewed over many quarters so
that trends have data.

    python3 benchmarks/synthetic.py OUT_DIR 1000
"""

from __future__ import annotations

import random
import sys
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

ZH = {
    "teams": [
        "华东销售部",
        "华南销售部",
        "华北销售部",
        "西南销售部",
        "大客户部",
        "渠道销售部",
        "客户成功部",
        "电话销售组",
    ],
    "metrics": [
        ("整体业绩", "销售额", "万元", "higher"),
        ("客户开发", "新客户数量", "个", "higher"),
        ("客户维护", "老客户复购率", "%", "higher"),
        ("过程效率", "平均跟进周期", "天", "lower"),
        ("客户开发", "线索转化率", "%", "higher"),
    ],
    "stages": ["线索", "商机", "报价", "订单"],
    "words": [
        "客户",
        "决策链",
        "报价",
        "竞品",
        "需求挖掘",
        "复购率",
        "培训",
        "交付周期",
        "定制化",
        "审批",
        "回访",
        "预算",
        "线索",
        "转化率",
        "渠道",
        "合同",
        "续约",
        "销售代表",
        "产品部",
        "市场部",
    ],
    "tags": ["定价", "决策链", "需求挖掘", "客户维护", "新客户开发", "交接", "培训", "渠道"],
    "people": ["张伟", "李娜", "王芳", "刘洋", "陈刚", "赵磊", "黄丽", "周敏", "吴强", "郑洁"],
}
EN = {
    "teams": [
        "Enterprise Sales EMEA",
        "Inside Sales APAC",
        "Mid-Market Americas",
        "Channel Partners DACH",
        "Strategic Accounts",
        "Customer Success Nordics",
        "Public Sector UK",
        "SMB Benelux",
    ],
    "metrics": [
        ("Bookings", "New bookings", "kEUR", "higher"),
        ("Pipeline", "Win rate", "%", "higher"),
        ("Process", "Sales cycle", "days", "lower"),
        ("Retention", "Net revenue retention", "%", "higher"),
        ("Pipeline", "Qualified opportunities", "count", "higher"),
    ],
    "stages": ["Leads", "Opportunities", "Proposals", "Won"],
    "words": [
        "customer",
        "economic buyer",
        "pricing",
        "competitor",
        "discovery",
        "procurement",
        "pilot",
        "security review",
        "business case",
        "forecast",
        "renewal",
        "champion",
        "budget",
        "legal",
        "onboarding",
        "integration",
        "reference call",
        "mutual plan",
        "proposal",
        "signature",
    ],
    "tags": ["pricing", "decision-chain", "discovery", "forecasting", "retention", "security", "pilot", "coaching"],
    "people": [
        "Maria Keller",
        "Tom Okafor",
        "Priya Raman",
        "Lena Fischer",
        "Jonas Berg",
        "Kenji Watanabe",
        "Aisha Rahman",
        "Daniel Lim",
        "Sophie Martin",
        "Lucas Silva",
    ],
}
STATUSES = ["not_started", "in_progress", "blocked", "done", "done", "done", "cancelled"]


def sentence(rng: random.Random, lang: dict[str, Any], words: int) -> str:
    picked = [rng.choice(lang["words"]) for _ in range(words)]
    if lang is ZH:
        return "".join(picked) + rng.choice(["不足", "延迟", "提升明显", "需要改进", "未达预期"])
    text = " ".join(picked)
    return text[0].upper() + text[1:] + rng.choice([" slipped", " improved", " needs work", " was late"])


def review(index: int, count: int, rng: random.Random) -> dict[str, Any]:
    lang = ZH if index % 2 == 0 else EN
    # about forty quarters per team, whatever the size, so that dates stay realistic
    teams = max(len(lang["teams"]), count // 80)
    slot = (index // 2) % teams
    base, copy = lang["teams"][slot % len(lang["teams"])], slot // len(lang["teams"])
    team = f"{base} {copy + 1}" if copy else base
    quarter = (index // 2) // teams
    start = date(2016 + quarter // 4, 1 + 3 * (quarter % 4), 1)
    end = (start + timedelta(days=95)).replace(day=1) - timedelta(days=1)
    held = end + timedelta(days=rng.randint(5, 20))
    s = lambda n=6: sentence(rng, lang, n)  # noqa: E731
    people = rng.sample(lang["people"], 5)
    problems = [
        {
            "id": f"P{i}",
            "problem": s(),
            "suspected": [s(3)],
            "whys": [s(4) for _ in range(3)],
            "root_cause": s(6),
            "factor": rng.choice(["people", "product_market", "process", "resources"]),
            "evidence": s(6),
        }
        for i in range(1, 4)
    ]
    actions = []
    for i in range(1, 5):
        status = rng.choice(STATUSES)
        due = held + timedelta(days=rng.randint(10, 90))
        kind = rng.choice(["capability", "process", "resource"])
        action: dict[str, Any] = {
            "id": f"A{i}",
            "action": s(),
            "type": kind,
            "owner": rng.choice(people),
            "due": due.isoformat(),
            "resources": [s(2)],
            "checkpoint": s(4),
            "addresses": [f"P{1 + (i - 1) % 3}"],
            "status": status,
        }
        if status == "done":
            action["done_on"] = (due + timedelta(days=rng.randint(-10, 10))).isoformat()
        action["updates"] = [
            {"date": (held + timedelta(days=3)).isoformat(), "status": "in_progress", "note": s(4)},
            {"date": (held + timedelta(days=9)).isoformat(), "status": status, "note": s(4)},
        ]
        actions.append(action)
    counts = sorted((rng.randint(5, 400) for _ in lang["stages"]), reverse=True)
    return {
        "schema_version": 1,
        "id": f"synthetic-{index:05d}",
        "title": s(6),
        "kind": "periodic",
        "team": team,
        "period": {"label": f"{start.year}-Q{1 + quarter % 4}", "start": start.isoformat(), "end": end.isoformat()},
        "held_on": held.isoformat(),
        "objective": s(10),
        "participants": [{"name": people[0], "role": "lead"}]
        + [{"name": p, "role": rng.choice(["frontline", "support"])} for p in people[1:]],
        "materials": [s(3) for _ in range(3)],
        "tags": rng.sample(lang["tags"], 3),
        "metrics": [
            {
                "category": c,
                "name": n,
                "unit": u,
                "target": rng.randint(10, 500),
                "actual": rng.randint(5, 600),
                "better": b,
                "analysis": s(4),
            }
            for c, n, u, b in lang["metrics"]
        ],
        "funnel": [{"stage": st, "count": c} for st, c in zip(lang["stages"], counts, strict=True)],
        "timeline": [{"date": (start + timedelta(days=20 * i)).isoformat(), "event": s(5)} for i in range(4)],
        "feedback": [
            {"source": rng.choice(["customer", "market", "frontline", "competitor"]), "content": s(5)} for _ in range(3)
        ],
        "problems": problems,
        "lessons": [
            {
                "id": f"L{i}",
                "type": rng.choice(["success", "failure"]),
                "lesson": s(8),
                "applies_to": s(6),
                "tags": rng.sample(lang["tags"], 2),
            }
            for i in range(1, 5)
        ],
        "actions": actions,
    }


def generate(folder: Path, count: int, seed: int = 7) -> list[Path]:
    """Write `count` reviews into `folder` (created); returns their paths."""
    rng = random.Random(seed)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index in range(count):
        data = review(index, count, rng)
        path = folder / f"{data['id']}.yaml"
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=120), encoding="utf-8")
        paths.append(path)
    return paths


if __name__ == "__main__":
    written = generate(Path(sys.argv[1]), int(sys.argv[2]))
    size = sum(p.stat().st_size for p in written)
    print(f"{len(written)} reviews, {size / len(written) / 1024:.1f} KB each on average")
