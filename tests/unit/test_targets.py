"""Targets to date (issue 19): year-to-date achievement against targets.yaml, hand-computed on the fixture
knowledge base; the targets file's schema errors; RG224 on a quarter that its months do not add up to."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from retrogen.core.errors import ConfigError
from retrogen.core.periods import months_of, parse_label, tiling
from retrogen.core.rates import is_additive
from retrogen.engine.analysis import analyse
from retrogen.engine.targets import ytd_table
from retrogen.gate.check import CheckOptions, check_paths
from retrogen.gate.config import load_config
from retrogen.gate.targets import Target, load_targets
from retrogen.site.pages import build_pages
from tests import minimal
from tests.conftest import copy_knowledge_base
from tests.unit.test_metrics import review
from tests.unit.test_repeated_misses import kpi, month, quarter, sales

TARGETS = Path(__file__).resolve().parents[1] / "targets" / "targets.yaml"
TODAY = date(2026, 12, 1)


def with_targets(folder: Path) -> Path:
    """The fixture knowledge base in `folder`, with tests/targets/targets.yaml named in its mkdocs.yml."""
    copy_knowledge_base(folder)
    shutil.copy(TARGETS, folder / "targets.yaml")
    with (folder / "mkdocs.yml").open("a", encoding="utf-8") as config:
        config.write("    targets: targets.yaml\n")
    return folder


def test_year_to_date_on_the_fixture_knowledge_base(tmp_path: Path) -> None:
    config = load_config(with_targets(tmp_path) / "mkdocs.yml")
    rows = {(r["target_period"], r["metric"]): r for r in analyse(config, TODAY, use_git=False).ytd.to_dict("records")}
    # 华东销售部 2026: Q1 412 + Q2 420 + Q3 380 + October 152 = 1,364 万元 of 1,900 = 71.79%, ten months of twelve.
    sales_2026 = rows[("2026", "销售额")]
    assert (sales_2026["actual"], round(sales_2026["achievement"], 4)) == (1364, 0.7179)
    assert (sales_2026["basis"], sales_2026["through"], sales_2026["met"]) == ("sum", "2026-10", False)
    assert sales_2026["counted"] == "2026-Q1, 2026-Q2, 2026-Q3, 2026-10"
    assert round(sales_2026["elapsed"], 4) == round(10 / 12, 4)
    # 新客户数量: 11 + 14 + 12 + 5 = 42 of 60 = 70%.
    assert (rows[("2026", "新客户数量")]["actual"], rows[("2026", "新客户数量")]["achievement"]) == (42, 0.7)
    # A rate is not summed: the latest period reporting it (Q3, 65%; October does not) against 62%.
    repurchase = rows[("2026", "老客户复购率")]
    assert (repurchase["actual"], repurchase["basis"], repurchase["through"]) == (65, "latest", "2026-Q3")
    assert (round(repurchase["achievement"], 4), repurchase["met"]) == (round(65 / 62, 4), True)
    assert pd_isna(repurchase["elapsed"])
    # Lower is better (days): the latest period, October's 20 days, against 15: 15 / 20 = 75%.
    follow_up = rows[("2026", "平均跟进周期")]
    assert (follow_up["actual"], follow_up["achievement"], follow_up["basis"]) == (20, 0.75, "latest")
    # A half-year: Q1 412 + Q2 420 = 832 of 850, the whole half covered.
    half = rows[("2026-H1", "销售额")]
    assert (half["actual"], round(half["achievement"], 4), half["elapsed"]) == (832, round(832 / 850, 4), 1.0)
    # No review of 2027 yet: the target stands with empty figures.
    ahead = rows[("2027", "销售额")]
    assert pd_isna(ahead["actual"]) and pd_isna(ahead["basis"]) and ahead["counted"] == ""


def pd_isna(value: object) -> bool:
    return value is None or value != value  # NaN


def test_to_date_means_reviews_held_by_today(tmp_path: Path) -> None:
    config = load_config(with_targets(tmp_path) / "mkdocs.yml")
    # The October review was held on 2026-11-05: on 2026-11-01 the year to date ends with Q3.
    rows = analyse(config, date(2026, 11, 1), use_git=False).ytd
    first = rows.iloc[0]
    assert (first["actual"], first["through"]) == (1212, "2026-Q3")


def test_a_quarter_counts_once_beside_its_months_and_a_gap_is_skipped() -> None:
    year = parse_label("2026")
    labels = ["2026-01", "2026-Q1", "2026-02", "2026-Q3", "2026-10", "2025-Q4", "2027-01"]
    assert [p.label for p in tiling([parse_label(x) for x in labels], year)] == ["2026-Q1", "2026-Q3", "2026-10"]
    target = Target("华东销售部", year, "销售额", "万元", 1000)
    reviews = [
        review("m1", "华东销售部", period="2026-01", held_on=date(2026, 2, 3), metrics=(sales(100),)),
        review("q1", "华东销售部", period="2026-Q1", held_on=date(2026, 4, 3), metrics=(sales(330),)),
        review("q3", "华东销售部", period="2026-Q3", held_on=date(2026, 10, 3), metrics=(sales(250),)),
    ]
    [row] = ytd_table(reviews, [target], TODAY).to_dict("records")
    assert (row["actual"], row["achievement"], row["counted"]) == (580, 0.58, "2026-Q1, 2026-Q3")
    assert row["elapsed"] == 0.5  # six months of twelve reviewed: Q2 is missing


def test_what_adds_up_and_the_months_of_a_quarter() -> None:
    assert [is_additive("万元"), is_additive("个"), is_additive("天")] == [True, True, True]
    assert [is_additive("%"), is_additive(" ％ "), is_additive("pp"), is_additive("天", "lower")] == [False] * 4
    assert [m.label for m in months_of(parse_label("2026-Q4"))] == ["2026-10", "2026-11", "2026-12"]
    assert len(months_of(parse_label("2026-H1"))) == 6


def write_targets(tmp_path: Path, body: str) -> Path:
    path = tmp_path / "targets.yaml"
    path.write_text(body, encoding="utf-8")
    return path


ENTRY = "targets:\n  - team: 华东销售部\n    period: 2026\n    metric: 销售额\n    unit: 万元\n    target: 1900\n"


@pytest.mark.parametrize(
    ("old", "new", "where", "message"),
    [
        ("target: 1900", "target: lots", "6:13", "targets[0].target must be a number, not the text 'lots'"),
        ("period: 2026", "period: 2026-Q3", "3:13", "targets[0].period is the text '2026-Q3'; write a year (2026)"),
        ("period: 2026", "period: 26", "3:13", "targets[0].period is the number 26; write a year"),
        ("unit: 万元", "units: 万元", "5:5", "targets[0].units is not a field; use team, period, metric, unit"),
        ("    unit: 万元\n", "", "2:5", "targets[0] needs the field 'unit'"),
        ("target: 1900", "target: .nan", "6:13", "targets[0].target must be a number, not .nan"),
        ("team: 华东销售部", "team: ' '", "2:11", "targets[0].team is empty; fill it in"),
    ],
)
def test_schema_errors_name_file_line_and_field(tmp_path: Path, old: str, new: str, where: str, message: str) -> None:
    path = write_targets(tmp_path, ENTRY.replace(old, new))
    with pytest.raises(ConfigError) as refused:
        load_targets(path)
    assert str(refused.value).startswith(f"{path}:{where}: {message}")


def test_a_target_given_twice_and_a_file_that_is_no_list(tmp_path: Path) -> None:
    path = write_targets(tmp_path, ENTRY + ENTRY.removeprefix("targets:\n"))
    with pytest.raises(ConfigError, match=r"targets.yaml:7:5: targets\[1\] repeats the target of targets\[0\]"):
        load_targets(path)
    path = write_targets(tmp_path, "targets: 销售额 1900\n")
    with pytest.raises(ConfigError, match=r"targets.yaml:1:10: targets must be a list, not the text"):
        load_targets(path)
    assert load_targets(write_targets(tmp_path, ENTRY.replace("2026", "2026-H2"))) == (
        Target("华东销售部", parse_label("2026-H2"), "销售额", "万元", 1900.0),
    )


def test_the_setting_names_the_file_and_a_broken_file_stops_the_config(tmp_path: Path) -> None:
    minimal.write_knowledge_base(tmp_path, [])
    (tmp_path / "mkdocs.yml").write_text(minimal.MKDOCS_YML + "extra:\n  retrogen:\n    targets: 7\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"extra\.retrogen\.targets must be the path of the targets file"):
        load_config(tmp_path / "mkdocs.yml")
    (tmp_path / "mkdocs.yml").write_text(
        minimal.MKDOCS_YML + "extra:\n  retrogen:\n    targets: goals.yaml\n", encoding="utf-8"
    )
    with pytest.raises(ConfigError, match=r"goals\.yaml"):
        load_config(tmp_path / "mkdocs.yml")
    write_targets(tmp_path, ENTRY).rename(tmp_path / "goals.yaml")
    assert [t.target for t in load_config(tmp_path / "mkdocs.yml").targets] == [1900.0]


def test_team_page_and_scoreboard_show_the_year_to_date(tmp_path: Path) -> None:
    config = load_config(with_targets(tmp_path) / "mkdocs.yml")
    pages = build_pages(analyse(config, TODAY, use_git=False), config)
    board = pages["index.md"][pages["index.md"].index('<table id="rg-scoreboard"') :]
    board = board[: board.index("</table>")]
    assert '<span class="rg-kpi-ytd">2026 累计 1,364 / 1,900 · 71.8%</span>' in board
    assert '<span class="rg-kpi-ytd">2026 最新一期对比目标 15 · 75%</span>' in board
    team_page = pages["teams/hua-dong-xiao-shou-bu.md"]  # 华东销售部
    assert "| 2026 | 销售额 (万元) | 1,900 | 1,364 <small>累计</small> | 71.8% | 2026-10 | 83.3% |" in team_page
    assert "| 2026-H1 | 销售额 (万元) | 850 | 832 <small>累计</small> | 97.9% | 2026-Q2 | 100% |" in team_page
    other = [text for name, text in pages.items() if name.startswith("teams/") and text not in (team_page,)]
    assert len(other) == 4  # the other three teams' pages and the index
    assert all("## 年度目标进度" not in text for text in other)


# `check`: RG224 when a quarter's actual is not the sum of its three months' reviews.


def rg224(folder: Path) -> list[tuple[str, int, str]]:
    options = CheckOptions(date(2026, 12, 31), root=folder)
    result = check_paths([folder / "reviews"], options, reviews_dir=folder / "reviews")
    return [(Path(f.path).name, f.line, f.message) for f in result.findings if f.code == "RG224"]


def months_and_quarter(tmp_path: Path, quarter_sales: float, quarter_days: float = 30) -> None:
    days = {"name": "平均跟进周期", "unit": "天", "better": "lower", "target": 15}
    minimal.write_knowledge_base(
        tmp_path,
        [
            month("2026-07", [kpi(150), kpi(4, 5, "新客户数量", "个"), {**kpi(20), **days}]),
            month("2026-08", [kpi(160), kpi(3, 5, "新客户数量", "个"), {**kpi(22), **days}]),
            month("2026-09", [kpi(170), kpi(5, 5, "新客户数量", "个"), {**kpi(24), **days}]),
            quarter(
                3,
                [kpi(quarter_sales), kpi(12, 15, "新客户数量", "个"), {**kpi(quarter_days), **days}],
                held_on="2026-10-12",
            ),
        ],
    )


def test_rg224_flags_a_quarter_its_months_do_not_add_up_to(tmp_path: Path) -> None:
    months_and_quarter(tmp_path, 500)
    [(name, _, message)] = rg224(tmp_path)
    assert name == "q3.yaml"
    assert message.startswith(
        "metric 销售额 reports 500 万元 for 2026-Q3, but the team's monthly reviews of it add up to 480 "
        "(2026-07 150, 2026-08 160, 2026-09 170)"
    )


def test_rg224_is_silent_when_they_agree_for_rates_and_lower_is_better(tmp_path: Path) -> None:
    # 150 + 160 + 170 = 480, 4 + 3 + 5 = 12; the follow-up days (lower is better, an average) are no sum
    months_and_quarter(tmp_path, 480, quarter_days=22)
    assert rg224(tmp_path) == []
    months_and_quarter(tmp_path, 480.4)  # rounding
    assert rg224(tmp_path) == []


def test_rg224_needs_all_three_months(tmp_path: Path) -> None:
    months_and_quarter(tmp_path, 500)
    (tmp_path / "reviews" / "m2026-08.yaml").unlink()
    assert rg224(tmp_path) == []


# RG224 on a half-year or a year: against its quarters' reviews, a quarter without one by its three months.


def reviewed(label: str, sales_actual: float, rate: float = 60) -> dict[str, object]:
    """The team's review of the period `label` (2026-H1, 2026, 2026-Q3, 2026-07) reporting 销售额 and a rate."""
    period = parse_label(label)
    repurchase = {**kpi(rate, 60, "老客户复购率", "%")}  # a rate: never summed
    return minimal.review(
        f"r{label}",
        "华东销售部",
        [kpi(sales_actual), repurchase],
        period={"label": label, "start": period.start.isoformat(), "end": period.end.isoformat()},
        held_on=period.end.isoformat(),
    )


def test_rg224_flags_a_half_year_its_quarters_do_not_add_up_to(tmp_path: Path) -> None:
    # 400 + 420 = 820, not 850; the rate (60, 62 against 70) is no sum
    minimal.write_knowledge_base(
        tmp_path, [reviewed("2026-Q1", 400), reviewed("2026-Q2", 420, 62), reviewed("2026-H1", 850, 70)]
    )
    assert rg224(tmp_path) == [
        (
            "r2026-H1.yaml",
            17,  # the half-year's 销售额
            "metric 销售额 reports 850 万元 for 2026-H1, but the team's quarterly reviews of it add up to 820 "
            "(2026-Q1 400, 2026-Q2 420); correct the half-year or the quarter that is wrong",
        )
    ]
    minimal.write_knowledge_base(
        tmp_path, [reviewed("2026-Q1", 400), reviewed("2026-Q2", 420), reviewed("2026-H1", 820)]
    )
    assert rg224(tmp_path) == []


def test_rg224_sums_a_year_by_its_quarters_and_the_months_of_a_quarter_without_a_review(tmp_path: Path) -> None:
    # 400 + 420 + (150 + 160 + 170) + 500 = 1,800, not 1,850
    parts = [reviewed("2026-Q1", 400), reviewed("2026-Q2", 420), reviewed("2026-Q4", 500)]
    months = [reviewed("2026-07", 150), reviewed("2026-08", 160), reviewed("2026-09", 170)]
    minimal.write_knowledge_base(tmp_path, [*parts, *months, reviewed("2026", 1850)])
    assert [(name, message) for name, _, message in rg224(tmp_path)] == [
        (
            "r2026.yaml",
            "metric 销售额 reports 1850 万元 for 2026, but the team's quarterly and monthly reviews of it add up "
            "to 1800 (2026-Q1 400, 2026-Q2 420, 2026-07 150, 2026-08 160, 2026-09 170, 2026-Q4 500); correct the "
            "year or the quarter or month that is wrong",
        )
    ]
    minimal.write_knowledge_base(tmp_path, [*parts, *months, reviewed("2026", 1800.5)])  # rounding
    assert rg224(tmp_path) == []


def test_rg224_needs_every_quarter_of_a_year_reviewed_or_all_its_months(tmp_path: Path) -> None:
    parts = [reviewed("2026-Q1", 400), reviewed("2026-Q2", 420), reviewed("2026-Q4", 500)]
    minimal.write_knowledge_base(
        tmp_path, [*parts, reviewed("2026-07", 150), reviewed("2026-09", 170), reviewed("2026", 1850)]
    )
    assert rg224(tmp_path) == []  # 2026-08 has no review, nor has Q3
