"""The dashboard answers "how are the teams doing?": the scoreboard, the day the figures are as of, the last seven
days, the overdue list with its teams, and each review's KPIs met; on the fixture knowledge base as of TODAY."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

import pytest

from retrogen.engine.analysis import analyse
from retrogen.gate import index as gate_index
from retrogen.gate.config import load_config
from retrogen.site.charts import sparkline
from retrogen.site.pages import build_pages

from .conftest import TODAY


def _pages(knowledge_base: Path) -> dict[str, str]:
    config = load_config(knowledge_base / "mkdocs.yml")
    return build_pages(analyse(config, TODAY, use_git=False), config)


@pytest.fixture
def pages(knowledge_base: Path) -> dict[str, str]:
    return _pages(knowledge_base)


def _row(page: str, team: str) -> str:
    """The scoreboard's row of `team`."""
    board = page[page.index('<table id="rg-scoreboard"') :]
    board = board[: board.index("</table>")]
    return board[board.index(f'<tr data-team="{team}">') :].split("</tr>")[0]


def test_the_scoreboard_has_a_row_per_team_linking_to_its_page(pages: dict[str, str]) -> None:
    index = pages["index.md"]
    for team, slug in [
        ("Enterprise Sales EMEA", "enterprise-sales-emea"),
        ("Inside Sales APAC", "inside-sales-apac"),
        ("华东销售部", "hua-dong-xiao-shou-bu"),
        ("华南客户成功部", "hua-nan-ke-hu-cheng-gong-bu"),
    ]:
        assert f'<a href="teams/{slug}/">{team}</a>' in _row(index, team)


def test_each_kpi_shows_actual_target_achievement_rag_in_words_change_and_trend(pages: dict[str, str]) -> None:
    emea = _row(pages["index.md"], "Enterprise Sales EMEA")
    cells = dict(re.findall(r'data-metric="([^"]+)" data-rag="(\w*)"', emea))
    assert cells == {"New bookings": "amber", "Win rate": "amber", "Sales cycle": "amber", "Forecast accuracy": "green"}
    bookings = emea[emea.index('data-metric="New bookings"') :].split("</td>")[0]
    # 3,050 against 3,200: 95.3%, amber said as a symbol and a word; 环比 +24% against Q2's 2,460, good
    assert "<b>3,050</b>" in bookings and "目标值 3,200" in bookings
    assert "▲ 黄 95.3%" in bookings and 'rg-badge rg-met">+24%' in bookings
    assert 'aria-label="New bookings (kEUR): 2026-Q2 2,460, 2026-Q3 3,050"' in bookings
    # lower is better: 96 days against 90 is 93.8%, and 104 -> 96 days (-7.7%) is an improvement
    cycle = emea[emea.index('data-metric="Sales cycle"') :].split("</td>")[0]
    assert "越低越好" in cycle and "▲ 黄 93.8%" in cycle and 'rg-badge rg-met">-7.7%' in cycle
    assert "✔ 绿 103.3%" in emea
    east = _row(pages["index.md"], "华东销售部")
    assert 'href="reviews/2026-10-east-sales/">2026-10</a>' in east and "✘ 红 89.4%" in east
    assert "rg-spark" not in east and "环比" not in east  # one month is no trend; no 2026-09 review to compare
    south = _row(pages["index.md"], "华南客户成功部")
    assert "尚无周期复盘" in south and "✘ 0/2 达成" in south  # its latest review, an anomaly, and its KPIs met


def test_teams_with_figures_come_first_on_the_scoreboard(pages: dict[str, str]) -> None:
    board = pages["index.md"][pages["index.md"].index('<table id="rg-scoreboard"') :]
    teams = re.findall(r'<tr data-team="([^"]+)">', board[: board.index("</table>")])
    assert teams == ["Enterprise Sales EMEA", "华东销售部", "Inside Sales APAC", "华南客户成功部"]


def test_pages_whose_figures_depend_on_the_day_say_which_day(pages: dict[str, str]) -> None:
    as_of = '截至 <time datetime="2026-11-20">2026-11-20</time>'
    for name in ("index.md", "actions.md", "teams/hua-dong-xiao-shou-bu.md", "teams/enterprise-sales-emea.md"):
        assert as_of in pages[name], name
    assert "截至" not in pages["reviews/index.md"]


def test_since_last_week_counts_reviews_actions_done_and_newly_overdue(pages: dict[str, str]) -> None:
    since = re.search(r'<p class="rg-since".*</p>', pages["index.md"])
    assert since is not None
    counts = re.findall(r"<b>(\d+)</b> ([^<]+)</span>", since.group())
    assert counts == [("0", "新增复盘"), ("0", "完成行动"), ("1", "新增逾期行动")]


def test_the_overdue_list_names_the_team_and_days_most_overdue_first(pages: dict[str, str]) -> None:
    index = pages["index.md"]
    table = index[index.index('<table id="rg-overdue-top"') :]
    rows = re.findall(r'data-team="([^"]+)" data-days_late="(\d+)"', table[: table.index("</table>")])
    assert rows == [("华南客户成功部", "20"), ("华东销售部", "5")]
    assert '<span class="rg-badge rg-overdue">20 天</span>' in table


def test_a_review_row_counts_its_kpis_met(pages: dict[str, str]) -> None:
    rows = pages["reviews/index.md"]
    q3 = rows[rows.index('<a href="2026-q3-east-sales/">') :].split("</tr>")[0]
    # 复购率 65 / 60 met; 销售额, 新客户数量 (12 / 20 = 60%, the worst) and 跟进周期 missed
    assert "▲ 1/4 达成" in q3 and "差距最大: 新客户数量 60%" in q3
    team = pages["teams/hua-dong-xiao-shou-bu.md"]
    q3 = team[team.index('data-period="2026-Q3"') :].split("</tr>")[0]
    assert "▲ 1/4 达成" in q3 and "差距最大: 新客户数量 60%" in q3


def test_a_metric_name_stays_text_in_the_team_pages_review_list(knowledge_base: Path) -> None:
    """The list is raw HTML, which Markdown leaves alone: the name's "|" and "[...](x)" are its text."""
    review = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    review.write_text(
        review.read_text(encoding="utf-8").replace("name: 新客户数量", "name: '新客户 | [数量](x)'"), encoding="utf-8"
    )
    team = _pages(knowledge_base)["teams/hua-dong-xiao-shou-bu.md"]
    line = next(line for line in team.splitlines() if "2026-q3-east-sales" in line)
    assert line.startswith("<tr ") and line.count("<td") == 4  # four cells, none added by the metric's name
    assert "差距最大: 新客户 | [数量](x) 60%</span>" in line


def test_a_sparkline_spans_the_values_range_and_breaks_at_a_gap() -> None:
    spark = sparkline("销售额", ["Q1", "Q2", "Q3", "Q4"], [10, 20, None, 15])
    assert spark.lines == ["4.0,24.0 33.3,4.0"]  # Q3 missing: Q4 stands alone, marked as the latest
    assert spark.last == pytest.approx((92.0, 14.0))
    assert "销售额: Q1 10, Q2 20, Q3 –, Q4 15" in spark.svg()
    assert sparkline("x", [], []).svg().count("<polyline") == 0
    hostile = sparkline("<img src=x onerror=alert(1)>", ["<b>Q1</b>", "Q2"], [1, 2]).svg()
    assert "<img" not in hostile and "<b>" not in hostile and "&lt;img src=x" in hostile


def test_the_dashboard_lists_ten_overdue_actions_and_links_to_the_rest(knowledge_base: Path) -> None:
    source = (knowledge_base / "reviews" / "2026-11-apac-discovery-skills.yaml").read_text(encoding="utf-8")
    actions = "".join(
        f"""
  - id: A{n}
    action: Follow-up call {n}
    type: process
    owner: Kenji Watanabe
    due: 2026-12-{n:02d}
    checkpoint: Called
    addresses: [P1]
    status: not_started"""
        for n in range(1, 13)
    )
    extra = source[: source.index("actions:")].replace("id: 2026-11-apac-discovery-skills", "id: 2026-11-apac-calls")
    (knowledge_base / "reviews" / "2026-11-apac-calls.yaml").write_text(f"{extra}actions:{actions}\n", encoding="utf-8")
    config = load_config(knowledge_base / "mkdocs.yml")
    analysis = analyse(config, date(2026, 12, 20), use_git=False)
    assert analysis.notices == []
    overdue = len(analysis.overdue_actions)
    assert overdue > 10
    index = build_pages(analysis, config)["index.md"]
    table = index[index.index('<table id="rg-overdue-top"') : index.index("</table>", index.index("rg-overdue-top"))]
    days = [int(d) for d in re.findall(r'data-days_late="(\d+)"', table)]
    assert len(days) == 10 and days == sorted(days, reverse=True) and days[0] == 50  # 2026-10-31's, 50 days
    assert f"(+{overdue - 10}) →](actions.md#overdue)" in index


def test_the_verification_tiles_say_achieved_of_decided_as_the_team_pages_do(pages: dict[str, str]) -> None:
    """The dashboard and the tracker showed "效果达成率 (5)", a count a reader cannot place; a team's page shows
    "(2/4)". The fixture's verdicts: 3 achieved, 2 missed."""
    assert "<span>效果达成率 (3/5)</span>" in pages["index.md"]
    tracker = pages["actions.md"]
    assert '效果达成率 (<span data-stat="achieved">3</span>/<span data-stat="verified">5</span>)' in tracker


@pytest.mark.parametrize(
    ("language", "said", "unsaid"),
    [
        ("zh", "复盘文件不在 git 仓库中，各行动的历史仅来自其进展记录（updates）。", "not a git repository"),
        ("en", "The reviews are not in a git repository, so each action's history comes", "`updates`"),
    ],
)
def test_git_notice_is_in_the_sites_words_and_what_is_kept_between_runs_is_not_shown(
    knowledge_base: Path, language: str, said: str, unsaid: str
) -> None:
    """A reader sees why the history is short in the site's language; a damaged cache concerns whoever ran
    the build (it is printed there), not the reader."""
    mkdocs = knowledge_base / "mkdocs.yml"
    mkdocs.write_text(re.sub(r"language: \w+", f"language: {language}", mkdocs.read_text(encoding="utf-8")))
    config = load_config(mkdocs)
    analysis = analyse(config, TODAY)  # the fixture's folder is no git repository
    analysis.git.cache_notices.append("a kept reading was damaged; reading it again")
    dashboard = build_pages(analysis, config)["index.md"]
    assert said in dashboard
    assert unsaid not in dashboard and "reading it again" not in dashboard
    assert "not a git repository" in " ".join(analysis.notices)  # the command line still says it as it was


def test_an_index_rebuilt_is_said_to_who_ran_the_build_and_not_shown_to_readers(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The lasting index made by another retrogen (an upgrade) is rebuilt with a notice that names a folder of
    the machine that built the site: the command line says it, the dashboard did too, to every reader."""
    monkeypatch.delenv("RETROGEN_NO_CACHE")  # conftest turns the lasting index off for the other tests
    config = load_config(knowledge_base / "mkdocs.yml")
    analyse(config, TODAY, use_git=False)
    monkeypatch.setattr(gate_index, "code_key", lambda: "another retrogen")
    analysis = analyse(config, TODAY, use_git=False)
    rebuilt = f"{knowledge_base / '.retrogen' / 'index.sqlite'}: made by another version of retrogen; rebuilding it"
    assert analysis.notices == [rebuilt]
    dashboard = build_pages(analysis, config)["index.md"]
    assert "another version" not in dashboard and str(knowledge_base) not in dashboard
    assert dashboard == build_pages(analyse(config, TODAY, use_git=False), config)["index.md"]  # as with no notice
