"""`serve`'s regeneration keeps the pages whose inputs did not change (retrogen/site/memo.py): after any edit
the generated pages are byte for byte what a full generation writes, and only the pages that show the
edit are rendered again."""

from __future__ import annotations

import gc
import socket
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from retrogen.core.status import State
from retrogen.engine.analysis import Analysis, analyse
from retrogen.engine.loop import FollowUp, FollowUpRow, Verdict, Verification
from retrogen.engine.teams import TeamView, team_views
from retrogen.formats import urls
from retrogen.gate import index as gate_index
from retrogen.gate.config import load_config
from retrogen.gate.glossary import Glossary
from retrogen.site import pages, reports
from retrogen.site.build import generate
from retrogen.site.memo import OWN_FIELDS, PageMemo, digest
from retrogen.site.pages import SiteBuilder
from retrogen.site.serve import Regeneration, Regenerator, SiteServer, collecting_after

TODAY = date(2026, 11, 20)


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{old!r} not in {path.name}"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def assert_as_a_full_generation_writes(root: Path) -> None:
    """A full generation (no memo, nothing kept between runs) over what the regeneration left writes nothing
    and removes nothing."""
    report = generate(load_config(root / "mkdocs.yml"), TODAY, use_git=False, cache=False)
    assert report.pages is not None, report.check
    assert report.pages.written == [] and report.pages.removed == []


EDITS: list[tuple[str, Callable[[Path], None]]] = [
    # a review's title is shown on other reviews' pages (follow-up, related lessons, verdicts) and the cross pages
    ("title", lambda kb: edit(kb / "reviews/2025-q4-east-sales.yaml", "title: ", "title: 改 ")),
    # the day a review was held is shown in later reviews' follow-up, beside its title
    ("held on", lambda kb: edit(kb / "reviews/2026-q1-east-sales.yaml", "held_on: 2026-04-10", "held_on: 2026-04-11")),
    # an action's state changes what later reviews of the team show in their follow-up
    (
        "action state",
        lambda kb: edit(
            kb / "reviews/2026-q1-east-sales.yaml",
            "status: in_progress\n    updates",
            "status: done\n    done_on: 2026-05-30\n    updates",
        ),
    ),
    # an action's text is shown where it is named: 2026-q2-east-sales's page names 2026-10-east-sales:A3, a review
    # among none of that page's inputs, so the page is kept only if the name still reads the same
    (
        "named action",
        lambda kb: edit(kb / "reviews/2026-10-east-sales.yaml", "将5%以内折扣的审批权", "将3%以内折扣的审批权"),
    ),
    (
        "lesson text",
        lambda kb: edit(kb / "reviews/2026-q1-east-sales.yaml", "复购率提升到58%", "复购率提升到58%,继续保持"),
    ),
    (
        "new review",
        lambda kb: (kb / "reviews/2026-q4-east-sales.yaml").write_text(
            (kb / "reviews/2026-q3-east-sales.yaml")
            .read_text(encoding="utf-8")
            .replace("2026-q3-east-sales", "2026-q4-east-sales"),
            encoding="utf-8",
        ),
    ),
    ("deleted review", lambda kb: (kb / "reviews/2026-10-east-sales.yaml").unlink()),
    # the configuration is an input of every page: here, of every link in raw HTML
    ("configuration", lambda kb: edit(kb / "mkdocs.yml", "use_directory_urls: true", "use_directory_urls: false")),
]


@pytest.mark.parametrize("kept", [False, True], ids=["read afresh", "read back from the snapshot"])
def test_every_edit_leaves_the_pages_a_full_generation_writes(
    knowledge_base: Path, kept: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    if kept:  # the reviews unchanged since the last regeneration read back as built (gate/snapshot.py)
        monkeypatch.delenv("RETROGEN_NO_CACHE", raising=False)
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    for name, change in EDITS:
        change(knowledge_base)
        regeneration = regenerator.regenerate()
        assert regeneration.ok, (name, regeneration.error)
        assert regeneration.changed, name
        assert_as_a_full_generation_writes(knowledge_base)
    assert any((knowledge_base / ".retrogen").glob("snapshot*")) == kept


def test_an_edit_renders_only_the_pages_that_show_it(knowledge_base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    rendered: list[str] = []
    review_page, docx = SiteBuilder._review_page, reports._docx
    monkeypatch.setattr(
        SiteBuilder, "_review_page", lambda self, page, inputs: rendered.append(page) or review_page(self, page, inputs)
    )
    monkeypatch.setattr(reports, "_docx", lambda report: rendered.append(report.review.id) or docx(report))
    built: list[str] = []  # reports: a kept one is not even built, its page's digest stands for it
    report_of = reports.ReportBuilder.of
    monkeypatch.setattr(
        reports.ReportBuilder, "of", lambda self, review: built.append(review.id) or report_of(self, review)
    )
    assert regenerator.regenerate().changed == 0
    assert rendered == []  # nothing changed: nothing rendered
    # The objective is shown on its own page and report only.
    edit(knowledge_base / "reviews/2026-q2-emea-enterprise.yaml", "objective: ", "objective: 改 ")
    regeneration = regenerator.regenerate()
    assert regeneration.report is not None and regeneration.report.pages is not None
    assert sorted(regeneration.report.pages.written) == [
        "reviews/2026-q2-emea-enterprise.docx",
        "reviews/2026-q2-emea-enterprise.md",
    ]
    pages = [name for name in rendered if name.endswith(".md")]
    documents = [name for name in rendered if not name.endswith(".md")]
    assert "reviews/2026-q2-emea-enterprise.md" in pages and "2026-q2-emea-enterprise" in documents
    # Its own alone: the pages and reports that name it in their follow-up or related lessons show its title,
    # not its objective.
    assert pages == ["reviews/2026-q2-emea-enterprise.md"] and documents == ["2026-q2-emea-enterprise"], rendered
    assert built == ["2026-q2-emea-enterprise"]
    assert_as_a_full_generation_writes(knowledge_base)


# A review with every part that only its own page and report show (memo.OWN_FIELDS), and an edit of each.
OWN_REVIEW = "2026-q2-emea-enterprise"
OWN_EDITS = {
    "objective": ("objective: Understand", "objective: Find out"),
    "participants": ("name: Tom Okafor", "name: Tom Okafor-Smith"),
    "materials": ("Win/loss interviews (6 deals)", "Win/loss interviews (7 deals)"),
    "timeline": ("Pipeline review shows 3.2x", "Pipeline review shows 3.3x"),
    "feedback": ("We rarely know who signs", "We seldom know who signs"),
}
OWN_FILES = [f"reviews/{OWN_REVIEW}.docx", f"reviews/{OWN_REVIEW}.md"]


def test_what_only_a_reviews_own_files_show_is_on_no_other_file(knowledge_base: Path) -> None:
    """The claim `serve` keeps every other file by, checked against full generations: an edit of any of
    OWN_FIELDS changes the review's own page and report alone."""
    assert set(OWN_EDITS) == set(OWN_FIELDS)
    config = load_config(knowledge_base / "mkdocs.yml")
    assert generate(config, TODAY, use_git=False, cache=False).ok
    for name, (old, new) in OWN_EDITS.items():
        edit(knowledge_base / f"reviews/{OWN_REVIEW}.yaml", old, new)
        report = generate(config, TODAY, use_git=False, cache=False)
        assert report.pages is not None, report.check
        # its page shows each; its report all but the materials
        assert OWN_FILES[1] in report.pages.written and set(report.pages.written) <= set(OWN_FILES), name


def test_an_edit_of_a_reviews_own_part_works_out_no_site_wide_page(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Such an edit renders its review's page and report alone, without working out any other page; an edit
    of a figure that the site-wide pages show renders them again, and they show it."""
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    every_page: list[str] = []
    pages_of = SiteBuilder.pages
    monkeypatch.setattr(SiteBuilder, "pages", lambda self: every_page.append("pages") or pages_of(self))
    built: list[str] = []
    report_of = reports.ReportBuilder.of
    monkeypatch.setattr(
        reports.ReportBuilder, "of", lambda self, review: built.append(review.id) or report_of(self, review)
    )
    review = knowledge_base / f"reviews/{OWN_REVIEW}.yaml"
    for name, (old, new) in OWN_EDITS.items():
        edit(review, old, new)
        regeneration = regenerator.regenerate()
        assert regeneration.report is not None and regeneration.report.pages is not None
        written = regeneration.report.pages.written
        assert OWN_FILES[1] in written and set(written) <= set(OWN_FILES), name
        assert every_page == [] and built == [OWN_REVIEW], name
        assert_as_a_full_generation_writes(knowledge_base)
        every_page.clear()  # the full generation's
        built.clear()
    review.write_text(review.read_text(encoding="utf-8") + "# a comment changes no page\n", encoding="utf-8")
    assert regenerator.regenerate().changed == 0
    assert every_page == [] and built == []
    # The KPI's actual is on the metrics page and the team's page.
    edit(review, "actual: 2460", "actual: 2470")
    regeneration = regenerator.regenerate()
    assert regeneration.report is not None and regeneration.report.pages is not None
    assert every_page == ["pages"]
    assert {urls.METRICS, "teams/enterprise-sales-emea.md"} <= set(regeneration.report.pages.written)
    assert "2,470" in (knowledge_base / ".retrogen/docs" / urls.METRICS).read_text(encoding="utf-8")
    assert_as_a_full_generation_writes(knowledge_base)


# Figures' saves, each with the earlier review of its team whose action's verdict it decides (loop.verify):
# that page shows the figure without the saved review's page or file changing anything of its own.
FIGURE_SAVES = [
    # 2025-q4-east-sales's A1 expects a repeat rate of 55 by 2026-03-31, which 2026-q1 reports: now missed
    ("2026-q1-east-sales", "actual: 58\n", "actual: 50\n", "2025-q4-east-sales"),
    # another team's: 2026-q2-emea-enterprise's A1 expects a win rate of 28 by 2026-09-30
    ("2026-q3-emea-enterprise", "actual: 29\n", "actual: 27\n", "2026-q2-emea-enterprise"),
    ("2026-q1-east-sales", "actual: 50\n", "actual: 58\n", "2025-q4-east-sales"),
    ("2026-q3-emea-enterprise", "actual: 27\n", "actual: 29\n", "2026-q2-emea-enterprise"),
]


def test_a_figures_save_works_out_its_teams_pages_alone(knowledge_base: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """After each of a sequence of figures' saves the pages are what a full generation writes, the page whose
    verdict the figure decides among them, and no review page or team page of another team was worked out
    (a review's follow-up asked for): they are kept by what they are made from (PageMemo.team_source)."""
    config = load_config(knowledge_base / "mkdocs.yml")
    teams = {review.id: review.team for review in analyse(config, TODAY, use_git=False).knowledge_base.reviews}
    regenerator = Regenerator(config, TODAY, use_git=False)
    assert regenerator.regenerate().ok
    followed: list[str] = []
    follow_up = Analysis.follow_up
    monkeypatch.setattr(
        Analysis, "follow_up", lambda self, review: followed.append(review.id) or follow_up(self, review)
    )
    worked_out: list[str] = []
    team_page = SiteBuilder._team_page
    monkeypatch.setattr(
        SiteBuilder, "_team_page", lambda self, team: worked_out.append(team.name) or team_page(self, team)
    )
    for saved, old, new, decided in FIGURE_SAVES:
        edit(knowledge_base / f"reviews/{saved}.yaml", old, new)
        followed.clear()
        worked_out.clear()
        regeneration = regenerator.regenerate()
        assert regeneration.report is not None and regeneration.report.pages is not None
        assert f"reviews/{decided}.md" in regeneration.report.pages.written, saved
        assert followed and {teams[review] for review in followed} == {teams[saved]}, saved
        assert worked_out == [teams[saved]], saved
        assert_as_a_full_generation_writes(knowledge_base)


def test_the_first_save_after_a_start_that_rebuilt_the_index_works_out_its_teams_pages_alone(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The first `serve` after an upgrade rebuilds the lasting index, with a notice for whoever runs it. The
    notice was also an input of every page, so the next save, which has none, worked out every page again
    (3.8 s of CPU instead of 1.9 s at 1,000 reviews); it is no page's input now, and that save works out its
    team's pages alone, as any other does."""
    monkeypatch.delenv("RETROGEN_NO_CACHE")  # conftest turns the lasting index off for the other tests
    config = load_config(knowledge_base / "mkdocs.yml")
    assert generate(config, TODAY, use_git=False).pages is not None  # the index and pages of the version before
    monkeypatch.setattr(gate_index, "code_key", lambda: "another retrogen")
    regenerator = Regenerator(config, TODAY, use_git=False)
    started = regenerator.regenerate()
    assert started.report is not None and started.report.notices == [
        f"{knowledge_base / '.retrogen' / 'index.sqlite'}: made by another version of retrogen; rebuilding it"
    ]
    worked_out: list[str] = []
    team_page, tracker = SiteBuilder._team_page, SiteBuilder._tracker
    monkeypatch.setattr(
        SiteBuilder, "_team_page", lambda self, team: worked_out.append(team.name) or team_page(self, team)
    )
    monkeypatch.setattr(SiteBuilder, "_tracker", lambda self: worked_out.append(urls.TRACKER) or tracker(self))
    edit(knowledge_base / "reviews/2026-q1-east-sales.yaml", "actual: 412\n", "actual: 413\n")  # decides no verdict
    saved = regenerator.regenerate()
    assert saved.report is not None and saved.report.notices == []
    assert worked_out == ["华东销售部"]
    assert_as_a_full_generation_writes(knowledge_base)


def test_a_figures_save_makes_its_teams_view_alone_and_keeps_what_shows_its_verdicts_alone(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A figure's save makes its own team's view alone, and its section of the metrics page, the others kept
    from the last regeneration; the action tracker and the playbook, which show the figures only through the
    verdicts they decide, and the lessons are kept without being worked out until a save decides a verdict
    anew. After each save the pages are what a full generation writes."""
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    made: list[Any] = []
    views = pages.team_views
    monkeypatch.setattr(pages, "team_views", lambda analysis, only=None: made.append(only) or views(analysis, only))
    worked_out: list[str] = []
    for page, method in [(urls.LESSONS, "_lessons"), (urls.PLAYBOOK, "_playbook"), (urls.TRACKER, "_tracker")]:
        made_by = getattr(SiteBuilder, method)
        monkeypatch.setattr(
            SiteBuilder, method, lambda self, page=page, made_by=made_by: worked_out.append(page) or made_by(self)
        )
    sections: list[str] = []  # of the metrics page, by team
    section = SiteBuilder._metrics_of
    monkeypatch.setattr(
        SiteBuilder,
        "_metrics_of",
        lambda self, team, headers: sections.append(team.name) or section(self, team, headers),
    )
    reported: list[str] = []  # the teams whose reports were made from their own tables
    of_team = reports.ReportBuilder.of_team
    monkeypatch.setattr(
        reports.ReportBuilder, "of_team", lambda self, team: reported.append(team) or of_team(self, team)
    )
    rows_of: set[str] = set()  # the teams whose reviews' rows (actions, figures, funnel) were converted
    get = pages.RowsByTeam.get
    monkeypatch.setattr(
        pages.RowsByTeam,
        "get",
        lambda self, review, default: (get(self, review, default), rows_of.update(self.converted))[0],
    )
    review = knowledge_base / "reviews/2026-q1-east-sales.yaml"
    saves = [
        # 销售额 is expected by no action: no verdict changes
        ("actual: 412\n", "actual: 413\n", False),
        # 2025-q4-east-sales's A1 expects a repeat rate of 55, which this review reports: now missed
        ("actual: 58\n", "actual: 50\n", True),
        ("actual: 413\n", "actual: 412\n", False),
        ("actual: 50\n", "actual: 58\n", True),
    ]
    for old, new, decides in saves:
        edit(review, old, new)
        made.clear()
        worked_out.clear()
        sections.clear()
        reported.clear()
        rows_of.clear()
        regeneration = regenerator.regenerate()
        assert regeneration.report is not None and regeneration.report.pages is not None
        written = regeneration.report.pages.written
        assert urls.METRICS in written and "teams/hua-dong-xiao-shou-bu.md" in written, new
        assert made == [{"华东销售部"}] and sections == ["华东销售部"] and reported == ["华东销售部"], new
        assert rows_of == {"华东销售部"}, new
        assert worked_out == ([urls.LESSONS, urls.PLAYBOOK, urls.TRACKER] if decides else []), new
        assert (urls.TRACKER in written) == decides, new
        assert_as_a_full_generation_writes(knowledge_base)


def test_a_site_wide_page_written_behind_serves_back_is_written_again_on_a_one_review_edit(
    knowledge_base: Path,
) -> None:
    config = load_config(knowledge_base / "mkdocs.yml")
    regenerator = Regenerator(config, TODAY, use_git=False)
    assert regenerator.regenerate().ok
    (config.generated_dir / urls.DASHBOARD).write_text("written by someone else", encoding="utf-8")
    edit(knowledge_base / f"reviews/{OWN_REVIEW}.yaml", *OWN_EDITS["objective"])
    regeneration = regenerator.regenerate()
    assert regeneration.report is not None and regeneration.report.pages is not None
    assert sorted(regeneration.report.pages.written) == sorted([urls.DASHBOARD, *OWN_FILES])
    assert_as_a_full_generation_writes(knowledge_base)


def test_related_lessons_are_asked_again_only_when_what_the_index_reads_changes(
    knowledge_base: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    asked: list[str] = []
    related_to_each = Analysis.related_to_each

    def asking(analysis: Analysis, review_ids: Any) -> Any:
        asked.extend(review_ids)
        return related_to_each(analysis, review_ids)

    monkeypatch.setattr(Analysis, "related_to_each", asking)
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    every = sorted(asked)
    assert len(every) == 10
    asked.clear()
    # The related index does not read objectives: every review's related lessons are as they were.
    edit(knowledge_base / "reviews/2026-q2-emea-enterprise.yaml", "objective: ", "objective: 改 ")
    assert regenerator.regenerate().changed
    assert asked == []
    # A problem's text: shown among another review's related lessons, whose own file did not change.
    edit(
        knowledge_base / "reviews/2026-northwind-fleet-deal.yaml",
        "problem: Security review added five weeks",
        "problem: Security review added six weeks",
    )
    regeneration = regenerator.regenerate()
    assert sorted(asked) == every
    assert regeneration.report is not None and regeneration.report.pages is not None
    assert "reviews/2026-q3-emea-enterprise.md" in regeneration.report.pages.written
    assert_as_a_full_generation_writes(knowledge_base)


def test_a_page_written_behind_serves_back_is_written_again(knowledge_base: Path) -> None:
    """`build` beside `serve` writes the same folder: a page it changed is no longer what the memo wrote."""
    config = load_config(knowledge_base / "mkdocs.yml")
    regenerator = Regenerator(config, TODAY, use_git=False)
    assert regenerator.regenerate().ok
    page = config.generated_dir / "reviews" / "2026-q3-east-sales.md"
    page.write_text("written by someone else", encoding="utf-8")
    regeneration = regenerator.regenerate()
    assert regeneration.report is not None and regeneration.report.pages is not None
    assert regeneration.report.pages.written == ["reviews/2026-q3-east-sales.md"]
    assert_as_a_full_generation_writes(knowledge_base)


def test_the_cycle_collector_waits_for_the_end_of_a_regeneration() -> None:
    """Paused while a regeneration builds its analysis (it went through the whole heap several times), run
    once after it: nothing a regeneration leaves behind in cycles outlives it."""

    class Node:
        pass

    with collecting_after():
        assert not gc.isenabled()
        node = Node()
        node.cycle = node  # type: ignore[attr-defined]
        left = weakref.ref(node)
        del node
        assert left() is not None  # a cycle: only the collector frees it
    assert gc.isenabled()
    assert left() is None


def test_every_build_of_the_server_uses_its_compiled_templates(knowledge_base: Path, tmp_path: Path) -> None:
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok  # MkDocs refuses a docs_dir that is not there
    server = SiteServer(regenerator, str(tmp_path / "site"), None, lambda regeneration: None)
    assert server.mkdocs_config.theme.get_env().bytecode_cache is server.templates
    server.mkdocs_config = server.load_mkdocs_config()  # as a clean build reads mkdocs.yml again
    assert server.mkdocs_config.theme.get_env().bytecode_cache is server.templates


def test_a_file_added_to_the_theme_overrides_is_in_the_next_build(knowledge_base: Path, tmp_path: Path) -> None:
    """The theme's files are listed once per reading of mkdocs.yml (keep_compiled): a file added to the
    overrides makes the next build a clean one, which reads it again and lists the new file."""
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    site = tmp_path / "site"
    server = SiteServer(regenerator, str(site), None, lambda regeneration: None)
    server.build(clean=True)
    assert not (site / "assets" / "added.css").exists()
    (knowledge_base / "site_overrides" / "assets" / "added.css").write_text("body {}", encoding="utf-8")
    server.rebuild()
    assert (site / "assets" / "added.css").read_text(encoding="utf-8") == "body {}"


def test_after_a_rebuild_the_collector_runs_once_the_page_is_served(monkeypatch: pytest.MonkeyPatch) -> None:
    collected: list[float] = []
    monkeypatch.setattr(gc, "collect", lambda: collected.append(time.monotonic()))
    with collecting_after(0.5):
        assert not gc.isenabled()
        ended = time.monotonic()  # before the block's end starts the timer: a lower bound of its start
    assert gc.isenabled() and collected == []  # not yet: the browser is reloading the page
    deadline = ended + 10
    while not collected and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(collected) == 1 and collected[0] - ended >= 0.5


def test_a_delayed_collection_does_not_run_in_the_next_regeneration(monkeypatch: pytest.MonkeyPatch) -> None:
    """A save made within the delay after the last one: its regeneration is not held up by the collection
    that the last one left pending; that collection happens after it, once."""
    collected: list[float] = []
    monkeypatch.setattr(gc, "collect", lambda: collected.append(time.monotonic()))
    with collecting_after(0.2):
        pass
    with collecting_after(0.2):
        time.sleep(1.0)  # the first block's collection was due in the middle of this one
        ended = time.monotonic()
    deadline = ended + 10
    while not collected and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # a second collection would have come by now
    assert len(collected) == 1 and collected[0] >= ended, (collected, ended)


def test_equal_inputs_digest_alike_whatever_objects_they_share(tmp_path: Path) -> None:
    """Reviews read back from the snapshot share strings that the same reviews read afresh hold twice: their
    pages must digest alike, or a save would render every page again."""
    memo = PageMemo()
    memo.begin(tmp_path, "setting")
    text = "复盘" * 20
    same_text_again = "".join(["复盘" * 10, "复盘" * 10])
    assert text is not same_text_again
    assert memo.digest({"a": text, "b": text}) == memo.digest({"a": text, "b": same_text_again})


def test_a_glossary_digests_alike_before_and_after_it_is_used() -> None:
    """The configuration holds the glossary, which keeps the pattern it works out when first asked: a
    configuration digested after that must not forget every page (it did on the first save under `serve`)."""
    glossary = Glossary({"客户流失": ("churn",)})
    before = digest(glossary)
    assert glossary.concepts("churn again")[1] == ["≈客户流失"]
    assert digest(glossary) == before


def test_a_save_made_as_serving_is_announced_is_shown(
    knowledge_base: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """ "Serving on" is said once the server listens and watches: a save made the moment it is said is
    regenerated (it was part of the watcher's first look, and never shown, when said before it)."""
    import mkdocs.livereload

    started: list[mkdocs.livereload.LiveReloadServer] = []

    class Recorded(mkdocs.livereload.LiveReloadServer):
        def serve(self, *, open_in_browser: bool = False) -> None:
            started.append(self)
            super().serve(open_in_browser=open_in_browser)

    monkeypatch.setattr(mkdocs.livereload, "LiveReloadServer", Recorded)
    regenerator = Regenerator(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    assert regenerator.regenerate().ok
    regenerated = threading.Event()

    def notify(regeneration: Regeneration) -> None:
        if regeneration.changed:
            regenerated.set()

    def on_ready(url: str) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # it listens
        edit(knowledge_base / "reviews/2026-q2-emea-enterprise.yaml", "objective: ", "objective: 改 ")

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = SiteServer(regenerator, str(tmp_path / "site"), f"127.0.0.1:{port}", notify)
    serving = threading.Thread(target=server.serve, args=(on_ready,), daemon=True)
    serving.start()
    try:
        # Generous: a loaded machine is slow, and the wait ends as soon as the page is regenerated.
        assert regenerated.wait(120), "the save made as serving was announced was not regenerated in 120 s"
    finally:
        deadline = time.monotonic() + 60
        while not started and time.monotonic() < deadline:
            time.sleep(0.05)
        for live in started:
            live.shutdown()
        serving.join(60)
    page = (knowledge_base / ".retrogen/docs/reviews/2026-q2-emea-enterprise.md").read_text(encoding="utf-8")
    assert "改 " in page


def test_a_team_view_digests_by_every_field_and_not_by_what_it_cached(knowledge_base: Path, tmp_path: Path) -> None:
    """A team's view is digested once per regeneration, by its fields: a view that differs in any of them
    (here its actions, its summary, its latest review) must digest otherwise, or the pages showing it would be
    kept stale; what it worked out from them when asked (its trends) must not count."""
    analysis = analyse(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    view = next(team for team in team_views(analysis) if len(team.actions) > 1 and team.latest_held is not None)
    fresh = replace(view)

    def digested(team: TeamView) -> bytes:
        memo = PageMemo()
        memo.begin(tmp_path, "setting")
        return memo.digest({"teams": [team]})

    assert view.kpi_trends is not None and "kpi_trends" in vars(view) and "kpi_trends" not in vars(fresh)
    assert digested(view) == digested(fresh)
    others = [
        replace(view, actions=view.actions.iloc[1:]),
        replace(view, summary={**view.summary, "open": -1}),
        replace(view, latest_held=None),
    ]
    assert len({digested(view), *map(digested, others)}) == 1 + len(others)
    # One regeneration's digest of a view is its own, not the one of the view digested before it.
    memo = PageMemo()
    memo.begin(tmp_path, "setting")
    assert memo.digest([view]) != memo.digest([others[0]])


def test_a_follow_up_digests_otherwise_when_a_row_shows_otherwise(knowledge_base: Path, tmp_path: Path) -> None:
    """PageMemo.follow_up_shown joins each row's action digest and state code into bytes: a follow-up whose
    row differs in its state alone (a git history can move it with no file changed), in its verdict or in its
    action must digest otherwise, or the later pages and reports of the team would be kept stale."""
    analysis = analyse(load_config(knowledge_base / "mkdocs.yml"), TODAY, use_git=False)
    follow_up = next(
        found
        for found in map(analysis.follow_up, analysis.knowledge_base.reviews)
        if any(len(rows) > 1 for _, rows in found.groups)
    )
    number, (source, rows) = next((n, group) for n, group in enumerate(follow_up.groups) if len(group[1]) > 1)
    row = rows[-1]

    def with_last_row(changed: FollowUpRow) -> FollowUp:
        groups = list(follow_up.groups)
        groups[number] = (source, (*rows[:-1], changed))
        return replace(follow_up, groups=tuple(groups))

    other_state = next(state for state in State if state is not row.state)
    verdict = Verification(Verdict.PENDING, "revenue", 1.0, TODAY)
    others = [
        with_last_row(replace(row, state=other_state)),
        with_last_row(replace(row, verification=verdict)),
        with_last_row(replace(row, action=replace(row.action, action=row.action.action + " 改"))),
        with_last_row(replace(row, action=rows[0].action)),
    ]
    memo = PageMemo()
    memo.begin(tmp_path, "setting")
    digested = [memo.digest(memo.follow_up_shown(each)) for each in [follow_up, *others]]
    assert len(set(digested)) == len(digested)
    assert memo.digest(memo.follow_up_shown(with_last_row(replace(row)))) == digested[0]
