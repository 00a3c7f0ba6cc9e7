"""What `check` passes, every command handles (issue 22): small knowledge bases of reviews drawn with
adversarial numbers (subnormals, zeros, negatives, ±10^15, equal values) and texts (unicode, markup), several
teams sharing metrics; kept when `check` finds no error, then run through every command, `build` included.
Each exits 0 or 1, never with an unexpected error (exit 3).

Derandomised and bounded so CI stays quick; for a release, raise the number of examples:
    RETROGEN_PROPERTY_EXAMPLES=500 python3 -m pytest tests/cli/test_properties_kb.py -p no:cacheprovider
(`build` runs MkDocs, so its test draws a fifth as many knowledge bases.)"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st

from retrogen.cli import cli
from retrogen.gate.check import CheckOptions, check_paths
from retrogen.gate.config import load_config
from retrogen.site.build import generate

from ..conftest import TODAY
from ..minimal import write_knowledge_base

EXAMPLES = int(os.environ.get("RETROGEN_PROPERTY_EXAMPLES", "20"))
SETTINGS = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.filter_too_much, HealthCheck.data_too_large],
}

EXTREMES = [
    0,
    0.0,
    -0.0,
    5e-324,
    -5e-324,
    1e-320,
    2.2250738585072014e-308,
    1e-300,
    1e-7,
    0.1 + 0.2,
    1,
    -1,
    7,
    100,
    10**15,
    -(10**15),
    1e15,
    -1e15,
    999999999999999.9,
    2**53,
]
numbers = st.one_of(
    st.sampled_from(EXTREMES),
    st.integers(-(10**15), 10**15),
    st.floats(-1e15, 1e15, allow_nan=False, allow_infinity=False),
)
counts = st.one_of(st.sampled_from([0, 1, 10**12]), st.integers(0, 10**12))
visible = st.characters(blacklist_categories=("Cc", "Cs", "Co", "Cn", "Zl", "Zp"))
texts = st.one_of(
    st.sampled_from(
        [
            "复购率",
            "Win rate",
            "😀👍🏽",
            "مرحبا",
            "\u202eevil\u202c",
            "<script>alert(1)</script>",
            "**b** | c | [x](javascript:alert(1))",
            "{{ 7*7 }}",
            "# h",
            "&amp;",
            "长" * 150,
            "a\tb\nc",
        ]
    ),
    st.text(visible, min_size=1, max_size=20).filter(lambda t: any(c.isalnum() for c in t)),
)
OWNERS = ["李娜", "O'Brien", "José Álvarez", "محمد", "张伟😀", "😀👍🏽", "Ann Lee", "A" * 200]
TEAMS = ["Sales EMEA", "sales-emea", "sales-emea-669eca45", "华东销售部", "index", "Team 😀", "<b>Team</b>"]
METRICS = [("Win rate", "%"), ("Bookings", "kEUR"), ("复购率", "%"), ("Cycle", "days"), ("Bookings", "EUR")]
QUARTERS = {1: ("01-01", "03-31"), 2: ("04-01", "06-30"), 3: ("07-01", "09-30"), 4: ("10-01", "12-31")}


@st.composite
def metric(draw: st.DrawFn, values: st.SearchStrategy[Any]) -> dict[str, Any]:
    name, unit = draw(st.sampled_from(METRICS))
    data: dict[str, Any] = {
        "category": draw(texts),
        "name": name,
        "unit": unit,
        "target": draw(values),
        "actual": draw(values),
        "analysis": draw(texts),
    }
    if draw(st.booleans()):
        data["better"] = draw(st.sampled_from(["higher", "lower"]))
    if draw(st.booleans()):
        data["previous"] = draw(values)
    return data


@st.composite
def review(draw: st.DrawFn, index: int, team: str, values: st.SearchStrategy[Any]) -> dict[str, Any]:
    year, quarter = draw(st.sampled_from([2025, 2026])), draw(st.integers(1, 4))
    start, end = QUARTERS[quarter]
    periodic = draw(st.booleans()) or index == 0
    data: dict[str, Any] = {
        "schema_version": 1,
        "id": f"r{index}",
        "title": draw(texts),
        "team": team,
        "kind": "periodic" if periodic else draw(st.sampled_from(["project", "anomaly", "capability"])),
        "held_on": f"{year}-{end}",
        "objective": draw(texts),
        "participants": [{"name": draw(texts), "role": "lead"}],
        "metrics": draw(st.lists(metric(values), min_size=1, max_size=4, unique_by=lambda m: (m["name"], m["unit"]))),
        "tags": draw(st.lists(st.sampled_from(["pricing", "定价", "decision-chain"]), max_size=2, unique=True)),
        "lessons": [
            {
                "id": "L1",
                "type": draw(st.sampled_from(["success", "failure"])),
                "lesson": draw(texts),
                "tags": ["pricing"],
            }
        ],
        "problems": [
            {
                "id": "P1",
                "problem": draw(texts),
                "whys": [draw(texts) for _ in range(3)],
                "root_cause": draw(texts),
                "factor": "process",
                "evidence": draw(texts),
            }
        ],
        "actions": [
            {
                "id": f"A{n}",
                "action": draw(texts),
                "type": "process",
                "owner": draw(st.sampled_from(OWNERS)),
                "due": draw(st.sampled_from(["2025-01-31", "2026-11-20", "2026-12-31", "2199-12-31"])),
                "checkpoint": draw(texts),
                "addresses": ["P1"],
                "status": draw(st.sampled_from(["not_started", "in_progress", "blocked", "cancelled"])),
            }
            for n in range(1, draw(st.integers(1, 3)) + 1)
        ],
    }
    if periodic:
        data["period"] = {"label": f"{year}-Q{quarter}", "start": f"{year}-{start}", "end": f"{year}-{end}"}
    if draw(st.booleans()):
        stages = draw(st.lists(counts, min_size=1, max_size=4))
        data["funnel"] = [{"stage": f"S{n}", "count": c} for n, c in enumerate(sorted(stages, reverse=True))]
    if draw(st.booleans()):
        data["lang"] = draw(st.sampled_from(["zh", "en"]))
    return data


@st.composite
def knowledge_bases(draw: st.DrawFn) -> list[dict[str, Any]]:
    """2 to 4 reviews of two or three teams (in turn), whose numbers come mostly from a pool of a few: teams share
    metrics, and equal values and extremes side by side (5e-324 beside 0) are common, not one in hundreds."""
    teams = draw(st.lists(st.sampled_from(TEAMS), min_size=2, max_size=3, unique=True))
    pool = draw(
        st.lists(st.sampled_from(EXTREMES[:6]), min_size=1, max_size=3) | st.lists(numbers, min_size=1, max_size=3)
    )
    # Half the knowledge bases draw every number from the pool: a chart then holds only zeros and subnormals.
    values = st.sampled_from(pool) if draw(st.booleans()) else st.one_of(st.sampled_from(pool), numbers)
    reviews = [draw(review(index, teams[index % len(teams)], values)) for index in range(draw(st.integers(2, 4)))]
    return reviews


def passing(reviews: list[dict[str, Any]], folder: Path) -> bool:
    write_knowledge_base(folder, reviews)
    config = load_config(folder / "mkdocs.yml")
    result = check_paths([config.reviews_dir], CheckOptions.of(config, TODAY), reviews_dir=config.reviews_dir, jobs=1)
    for finding in result.findings:
        note(f"{finding.code} {finding.message}")
    return result.errors == 0


def invoke(folder: Path, *args: str) -> None:
    with contextlib.chdir(folder):
        result = CliRunner(env={"RETROGEN_TODAY": TODAY.isoformat()}).invoke(cli, list(args))
    # An unexpected exception (exit 3 from the real command line) reaches the runner as result.exception.
    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exc_info)
    assert result.exit_code in (0, 1), (args, result.exit_code, result.output[-2000:])


COMMANDS = [
    ["check"],
    ["metrics"],
    ["metrics", "--by", "team"],
    ["metrics", "--funnel"],
    ["metrics", "--causes"],
    ["metrics", "--format", "json"],
    ["actions"],
    ["actions", "--weekly"],
    ["actions", "--by", "owner"],
    ["playbook"],
    ["related", "r0"],
    ["report", "r0", "--format", "html"],
    ["report", "--period", "2026-Q1"],
    ["remind"],
    ["remind", "--format", "json"],
]


@settings(max_examples=EXAMPLES, **SETTINGS)
@given(knowledge_bases())
def test_every_command_handles_what_check_passes(reviews: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        assume(passing(reviews, folder))
        for command in COMMANDS:
            invoke(folder, *command)
        report = generate(load_config(folder / "mkdocs.yml"), TODAY, use_git=False, jobs=1)  # the site's pages
        assert report.ok and report.pages is not None


@pytest.mark.slow
@settings(max_examples=max(4, EXAMPLES // 5), **SETTINGS)
@given(knowledge_bases())
def test_build_handles_what_check_passes(reviews: list[dict[str, Any]]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        folder = Path(temporary)
        assume(passing(reviews, folder))
        invoke(folder, "build", "--no-git")
        assert (folder / "site" / "index.html").is_file()
