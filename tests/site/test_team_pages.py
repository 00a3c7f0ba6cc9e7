"""A page per team (/teams/<slug>/), the teams index, and the links to them; numbers from the fixture KB."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from retrogen.engine.analysis import analyse
from retrogen.engine.teams import team_slug, team_slugs
from retrogen.gate.config import load_config
from retrogen.kb.init import starter_files
from retrogen.site.pages import build_pages

from ..minimal import review, write_knowledge_base
from .conftest import TODAY

EAST = "teams/hua-dong-xiao-shou-bu.md"  # 华东销售部


@pytest.fixture
def pages(knowledge_base: Path) -> dict[str, str]:
    config = load_config(knowledge_base / "mkdocs.yml")
    return build_pages(analyse(config, TODAY, use_git=False), config)


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("Enterprise Sales EMEA", "enterprise-sales-emea"),
        ("华东销售部", "hua-dong-xiao-shou-bu"),  # a Chinese character by its pinyin syllable
        ("华南客户成功部", "hua-nan-ke-hu-cheng-gong-bu"),
        ("APAC 华东", "apac-hua-dong"),
        ("华东2部(APAC)", "hua-dong-2-bu-apac"),
        ("重庆分公司", "chong-qing-fen-gong-si"),  # 重 read in its phrase (chong), not alone (zhong)
        ("绿色·团队", "lv-se-tuan-dui"),  # ü as v, as one types it; the middle dot a separator
        ("  R&D / Sales  ", "r-d-sales"),
        ("Équipe Paris", "equipe-paris"),
        # No word to read: 'team' and 8 hex digits of the name's SHA-1
        ("", "team-da39a3ee"),
        ("🙂", "team-0402582b"),
        ("Продажи", "team-17945298"),
    ],
)
def test_a_team_slug_is_ascii_and_the_same_in_every_build(name: str, slug: str) -> None:
    assert team_slug(name) == slug
    assert re.fullmatch(r"[a-z0-9]+(-[a-z0-9]+)*", slug)


def test_names_that_would_share_a_slug_get_the_hash() -> None:
    slugs = team_slugs(["Sales EMEA", "Sales-EMEA", "Inside Sales"])
    assert slugs["Inside Sales"] == "inside-sales"
    assert len(set(slugs.values())) == 3 and slugs["Sales EMEA"].startswith("sales-emea-")


def test_homophones_keep_their_pinyin_and_each_take_the_hash_of_their_name() -> None:
    names = ["华东", "化东", "华冬", "Hua Dong", "华西"]
    slugs = team_slugs(names)
    assert slugs["华西"] == "hua-xi"
    assert {slugs[name] for name in names[:4]} == {
        "hua-dong-8f52e602",
        "hua-dong-decabc40",
        "hua-dong-986f62f7",
        "hua-dong-" + _sha1("Hua Dong"),
    }
    assert slugs["华东"] == "hua-dong-8f52e602"  # the same in every build, whichever teams come first
    assert team_slugs(reversed(names)) == slugs


def _sha1(name: str) -> str:
    return hashlib.sha1(name.encode("utf-8")).hexdigest()[:8]


SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
# Two names without ASCII words (so both read team-…) whose SHA-1s share their first 8 hex digits (5a55f8bc),
# found by trying pairs of CJK characters.
SAME_HASH = ["乔伢", "仭仴"]


@pytest.mark.parametrize(
    "names",
    [
        ["Sales EMEA", "sales-emea", "sales-emea-669eca45"],  # the hashed slug of the first two is the third's name
        ["index", "Teams"],  # teams/index.md is the teams' index page
        SAME_HASH,
        ["a-0123456789abcdef", "A 0123456789abcdef", "a-0123456789abcdef-" + "0" * 8],
    ],
    ids=["hash-as-name", "index", "same-8-hex", "hex-tails"],
)
def test_adversarial_team_names_each_keep_a_slug_of_their_own(names: list[str]) -> None:
    slugs = team_slugs(names)
    assert len(set(slugs.values())) == len(names) and "index" not in slugs.values(), slugs
    assert team_slugs(reversed(names)) == slugs


@settings(max_examples=150, deadline=None, derandomize=True, database=None)
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    "Sales EMEA",
                    "sales-emea",
                    "SALES_EMEA",
                    "sales-emea-669eca45",
                    "sales-emea-3a210090",
                    "index",
                    "Index",
                    "team",
                    "华东销售部",
                    "team-ffebd63a",
                    "hua-dong-xiao-shou-bu",
                    "化东销售部",
                    "",
                    " ",
                    "-",
                    *SAME_HASH,
                ]
            ),
            st.from_regex(r"[A-Za-z0-9]{1,4}([ _-][A-Za-z0-9a-f]{1,9}){0,3}", fullmatch=True),
            st.text(max_size=12),
            st.text(alphabet="华化画东冬动销售部重庆 -·Ab1", min_size=1, max_size=6),  # homophones, polyphones
        ),
        max_size=12,
    )
)
def test_team_slugs_are_distinct_stable_url_segments(names: list[str]) -> None:
    slugs = team_slugs(names)
    assert set(slugs) == set(names)
    assert len(set(slugs.values())) == len(slugs)
    assert all(SLUG.fullmatch(slug) and slug != "index" for slug in slugs.values()), slugs
    assert team_slugs(sorted(names, reverse=True)) == slugs  # the order the reviews come in does not matter


def test_teams_whose_slugs_once_met_each_get_a_page_of_their_own(tmp_path: Path) -> None:
    """Once, "Sales EMEA" and "sales-emea" both became sales-emea-<hash>, and the hash of the first was the
    name of a third team: two teams on one page, and the third's page gone."""
    names = ["Sales EMEA", "sales-emea", "sales-emea-669eca45"]
    write_knowledge_base(tmp_path, [review(f"r{i}", name) for i, name in enumerate(names)])
    config = load_config(tmp_path / "mkdocs.yml")
    written = build_pages(analyse(config, TODAY, use_git=False), config)
    pages = {name: page for name, page in written.items() if name.startswith("teams/") and name != "teams/index.md"}
    assert len(pages) == 3
    for name in names:
        assert sum(f"# {name}\n" in page for page in pages.values()) == 1, name


def test_every_team_has_a_page_and_the_index_lists_them(pages: dict[str, str]) -> None:
    teams = {"enterprise-sales-emea", "inside-sales-apac", "hua-dong-xiao-shou-bu", "hua-nan-ke-hu-cheng-gong-bu"}
    assert {name[6:-3] for name in pages if name.startswith("teams/")} == teams | {"index"}
    index = pages["teams/index.md"]
    latest = "[2026年10月华东区销售月度复盘](../reviews/2026-10-east-sales.md) (<time>2026-11-05</time>)"
    assert f"| [华东销售部](hua-dong-xiao-shou-bu.md) | 5 | {latest} | 4 | 1 | 63.6% | 50% |" in index
    assert "| [Enterprise Sales EMEA](enterprise-sales-emea.md) | 3 |" in index


def test_the_team_page_holds_the_teams_numbers(pages: dict[str, str]) -> None:
    page = pages[EAST]
    cards = re.findall(r'<span class="rg-number">([^<]+)</span><span>([^<]+)</span>', page)
    # 17 actions: 7 done, 1 cancelled, 5 carried -> 7/11; verdicts: 2 achieved of 4 decided
    assert cards == [
        ("5", "复盘"),
        ("4", "未完成行动"),
        ("1", "已逾期"),
        ("63.6%", "完成率"),
        ("50%", "效果达成率 (2/4)"),
    ]
    reviews = re.findall(r'<td class="rg-wide"><a href="\.\./\.\./reviews/([a-z0-9-]+)/">', page)
    assert reviews == [
        "2026-10-east-sales",
        "2026-q3-east-sales",
        "2026-q2-east-sales",
        "2026-q1-east-sales",
        "2025-q4-east-sales",
    ]  # newest first
    # KPI trends: actual values, with the change in pp for a rate and relative otherwise
    assert "<tr><td>2026-Q1</td><td>55</td><td>58</td><td>105.5%</td><td>+8 pp</td></tr>" in page
    assert "<tr><td>2026-Q3</td><td>500</td><td>380</td><td>76%</td><td>-9.5%</td></tr>" in page
    assert "老客户复购率 · 2026-Q3: 108.3%" in page  # the achievement chart's tooltip
    assert "### 平均跟进周期 (天)" in page
    # the funnel's conversion per stage over time
    assert "商机 · 2025-Q4: 22.2%" in page and "订单 · 2026-10: 27.8%" in page
    # open and overdue actions, overdue first, each linking its review
    open_section = page.split("## 未完成与逾期行动")[1].split("## ")[0]
    assert open_section.count("../reviews/2026-10-east-sales.md#a") == 4
    assert open_section.index("rg-overdue") < open_section.index("rg-open")
    assert "50% (已达成 2 / 4)" in page
    # root causes: 流程 5 of 11 problems
    assert "流程: 5 · 累计占比 45.5%" in page
    unfixed = '| <span class="rg-nowrap">#决策链</span> <span class="rg-badge rg-rag-red">⚠ 整改未完成</span> | 2 | 2 |'
    assert unfixed in page  # two periods
    # 决策链 again in October while Q3's fix (A2) was carried (RG222)
    # It names the reviews by their titles and the open action by its text, each a link (not their ids).
    assert (
        "- ⚠ [2026年10月华东区销售月度复盘](../reviews/2026-10-east-sales.md) 的 P1 再次出现(决策链;同 "
        "[2026年Q3华东区销售业绩复盘](../reviews/2026-q3-east-sales.md) 的 P3),而针对它的行动尚未完成:"
        "[修订《新客户开发SOP》,增加“客户决策链摸排”必填项](../reviews/2026-q3-east-sales.md#a2) "
        "<small>· 2026年Q3华东区销售业绩复盘</small>"
    ) in page


def test_a_team_without_verdicts_says_so(pages: dict[str, str]) -> None:
    page = pages["teams/inside-sales-apac.md"]
    assert "尚无已判定的预期效果。" in page and "效果达成率 (" not in page


def test_reviews_and_dashboard_link_the_team_pages(pages: dict[str, str]) -> None:
    assert "| [华东销售部](../teams/hua-dong-xiao-shou-bu.md) |" in pages["reviews/2026-q3-east-sales.md"]
    assert "[Enterprise Sales EMEA](../teams/enterprise-sales-emea.md)" in pages["reviews/2026-northwind-fleet-deal.md"]
    dashboard = pages["index.md"]
    for slug in ("hua-dong-xiao-shou-bu", "hua-nan-ke-hu-cheng-gong-bu", "enterprise-sales-emea", "inside-sales-apac"):
        assert f"(teams/{slug}.md)" in dashboard
    assert "### [华东销售部](teams/hua-dong-xiao-shou-bu.md)" in pages["metrics.md"]


def _figures(markdown: str) -> list[str]:
    """The wide canvas of each chart in a page, as SVG text."""
    return re.findall(r'<svg class="rg-chart rg-chart-wide".*?</svg>', markdown, flags=re.S)


def _points(svg: str) -> set[str]:
    """The x labels of a chart's points: the text after ' · ' and before ':' in each point's tooltip."""
    return set(re.findall(r"<use [^>]*><title>[^<]* · ([^<:]*):", svg))


def test_the_metrics_page_puts_one_axis_per_cadence_and_no_point_for_a_one_off_review(
    pages: dict[str, str],
) -> None:
    trends = pages["metrics.md"].split("## 各团队指标趋势")[1].split("\n## ")[0]
    axes = [_points(svg) for svg in _figures(trends)]
    assert {"2026-Q3", "2026-10"} <= set().union(*axes)
    assert not any({"2026-Q3", "2026-10"} <= points for points in axes)  # a month beside quarters reads as a fall
    for one_off in ("Northwind RFP", "2026年8月"):  # a deal and an anomaly review are no point in time
        assert one_off not in set().union(*axes)
        assert f"<td>{one_off}</td>" in trends  # but their figures are on the page, in a table of their own
    assert "**华东销售部: 达成率 · 季度**" in trends and "**华东销售部: 达成率 · 月度**" in trends


def test_the_metrics_page_puts_one_metric_of_several_teams_side_by_side_at_each_cadence(tmp_path: Path) -> None:
    bookings = [{"category": "Sales", "name": "Bookings", "unit": "kEUR", "target": 100, "actual": 90}]
    month = {"label": "2026-07", "start": "2026-07-01", "end": "2026-07-31"}
    deal = {"label": "Acme RFP", "start": "2026-02-01", "end": "2026-05-31"}
    teams = ("North", "South")
    reviews = [
        *(review(f"{team.lower()}-q{q}", team, bookings, quarter=q) for team in teams for q in (1, 2)),
        *(review(f"{team.lower()}-m7", team, bookings, period=month, held_on="2026-08-03") for team in teams),
        review("north-acme", "North", bookings, kind="project", period=deal, held_on="2026-06-05"),
        review("east-q1", "East", [{**bookings[0], "unit": "USD"}]),  # one team only at that unit: no comparison
    ]
    config = load_config(write_knowledge_base(tmp_path, reviews) / "mkdocs.yml")
    page = build_pages(analyse(config, TODAY, use_git=False), config)["metrics.md"]
    across = page.split("## 同一指标的团队对比")[1].split("\n## ")[0]
    quarterly, monthly = across.split("### Bookings (kEUR) · 季度")[1].split("### Bookings (kEUR) · 月度")
    assert [_points(svg) for svg in _figures(quarterly)] == [{"2026-Q1", "2026-Q2"}]
    assert [_points(svg) for svg in _figures(monthly)] == [{"2026-07"}]
    assert "North · 2026-Q2: 90" in quarterly and "South · 2026-07: 90" in monthly
    assert "Acme RFP" not in across and "USD" not in across


def test_the_metrics_page_shows_actual_values_and_changes_in_pp(pages: dict[str, str]) -> None:
    page = pages["metrics.md"]
    assert (
        "<tr><td>2026-Q3</td><td>Win rate</td><td>%</td><td>30</td><td>29</td><td>96.7%</td><td>+5 pp</td></tr>" in page
    )
    assert 'aria-label="2026年Q3华东区销售业绩复盘"' not in page  # bars are labelled with titles, not ids
    assert ">2026年Q3华东区销售业绩复盘</text>" in page and ">2026-q3-east-sales<" not in page


def test_english_site_labels_the_team_pages_in_english(knowledge_base: Path) -> None:
    config_file = knowledge_base / "mkdocs.yml"
    config_file.write_text(config_file.read_text().replace("language: zh", "language: en"))
    config = load_config(config_file)
    pages = build_pages(analyse(config, TODAY, use_git=False), config)
    assert "## Open and overdue actions" in pages[EAST] and "# Teams" in pages["teams/index.md"]


def test_the_navigation_lists_the_teams_index(knowledge_base: Path) -> None:
    fixture = yaml.safe_load((knowledge_base / "mkdocs.yml").read_text(encoding="utf-8"))
    assert {"团队": "teams/index.md"} in fixture["nav"]
    for lang, label in (("zh", "团队"), ("en", "Teams")):
        started = yaml.safe_load(starter_files(lang, "kb")["mkdocs.yml"])
        assert {label: "teams/index.md"} in started["nav"]


def test_team_page_matches_golden(pages: dict[str, str], golden: Callable[[str, str], None]) -> None:
    golden("site/teams__hua-dong-xiao-shou-bu.md", pages[EAST])


@pytest.mark.slow
def test_a_hostile_team_name_is_inert_on_its_page_and_in_its_url(built_site: Path) -> None:
    name = "<img src=x onerror=alert('team')>"
    slug = team_slug(name)
    assert slug == "img-src-x-onerror-alert-team"  # its words, nothing that HTML would read
    for page in (
        built_site / "teams" / slug / "index.html",
        built_site / "teams" / "index.html",
        built_site / "index.html",
    ):
        html = page.read_text(encoding="utf-8")
        assert "&lt;img src=x onerror=alert" in html, page
        assert not re.search(r"<img[^>]*onerror", html, re.IGNORECASE), page


def test_a_monthly_figure_is_not_drawn_on_the_quarterly_trend(pages: dict[str, str]) -> None:
    """华东's 2026-10 monthly review reports 销售额 150 beside quarters of ~400: on one line it read as a collapse."""
    page = pages[EAST]
    quarterly = page.split("### 销售额 (万元) · 季度")[1].split("\n### ")[0]
    monthly = page.split("### 销售额 (万元) · 月度")[1].split("\n### ")[0]
    assert "2026-Q3" in quarterly and "2026-10" not in quarterly
    assert "2026-10" in monthly and "2026-Q3" not in monthly


@pytest.mark.parametrize("name", [EAST, "metrics.md"])
def test_the_root_cause_chart_and_the_tables_on_its_page_give_each_factor_one_count(
    pages: dict[str, str], name: str
) -> None:
    page = pages[name]
    charted = dict(re.findall(r"<title>([^<:]+): (\d+) · ", page))
    assert charted["资源"] == "3" if name == EAST else charted
    factors = "|".join(re.escape(factor) for factor in charted)
    tabled = re.findall(rf"<tr><td>({factors})</td><td>(\d+)</td>", page) + re.findall(
        rf"^\| ({factors})[^|]*\| (\d+) \|", page, re.MULTILINE
    )
    assert tabled and all(charted[factor] == count for factor, count in tabled), tabled


def test_a_teams_funnel_has_one_axis_per_cadence(pages: dict[str, str]) -> None:
    """华东's funnel is reported quarterly and, once, monthly: one chart per cadence, as its KPIs."""
    funnel = pages[EAST].split("## 漏斗转化趋势")[1].split("\n## ")[0]
    axes = [_points(svg) for svg in _figures(funnel)]
    assert {"2026-Q3", "2026-10"} <= set().union(*axes)
    assert not any({"2026-Q3", "2026-10"} <= points for points in axes)
    assert "**转化漏斗: 转化率 · 季度**" in funnel and "**转化漏斗: 转化率 · 月度**" in funnel


def test_a_one_off_reviews_kpis_are_a_table_not_a_line_on_the_team_page(pages: dict[str, str]) -> None:
    """EMEA's Northwind RFP is a deal review: no point in time of anything, so no chart of its own (it drew a
    one-point "other" line per metric); its figures are in the team's table of one-off reviews."""
    trends = pages["teams/enterprise-sales-emea.md"].split("## 指标趋势")[1].split("\n## ")[0]
    assert "Northwind RFP" not in set().union(*(_points(svg) for svg in _figures(trends)))
    assert "### Contract value" not in trends
    one_off = trends.split("### 非周期复盘的指标")[1]
    assert "<td>Northwind RFP</td><td>Contract value</td><td>kEUR</td><td>1,200</td><td>0</td><td>0%</td>" in one_off
