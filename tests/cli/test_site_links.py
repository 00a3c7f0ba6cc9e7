"""Links that leave the site lead back into it: a knowledge base with site_url is built in each of MkDocs' URL
styles (folders, use_directory_urls: true; files, false) by `retrogen build`, and every link that a reminder
(`retrogen remind`), a report (`retrogen report`, Markdown and HTML) or a pull request's summary
(`retrogen pr-summary`) carries is followed into the built site's
files: it names a page that exists and, for an action, an element with its anchor. The site's own links are
walked in each style too. (The exports, CSV and JSON, carry no link.)"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

import pytest

from ..conftest import TODAY, copy_knowledge_base
from ..site.test_links import _parse, broken_links
from .test_check_and_new import run

SITE_URL = "https://kb.example.com/sales/"


@pytest.fixture(scope="module", params=[True, False], ids=["folders", "files"])
def built(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture knowledge base with site_url, built in one URL style; its root (the site is in site/)."""
    root = copy_knowledge_base(tmp_path_factory.mktemp("kb"))
    config = root / "mkdocs.yml"
    text = config.read_text(encoding="utf-8")
    assert "use_directory_urls: true\n" in text
    style = "true" if request.param else "false"
    text = text.replace("use_directory_urls: true\n", f"use_directory_urls: {style}\n")
    config.write_text(f"{text}site_url: {SITE_URL}\n", encoding="utf-8")
    code, out = run("build", "--no-git", "--today", TODAY.isoformat(), cwd=root)
    assert code == 0, out
    return root


def _file(site: Path, link: str) -> Path:
    """The file of the built `site` that `link` (an address on the site) names."""
    path = unquote(urlsplit(link[len(SITE_URL) :]).path)
    return site / path / "index.html" if not path or path.endswith("/") else site / path


def _unresolved(site: Path, link: str) -> str | None:
    """Why `link` (an address on the site) leads nowhere in the built `site`; None when it resolves."""
    if not link.startswith(SITE_URL):
        return f"{link}: not on {SITE_URL}"
    parts = urlsplit(link[len(SITE_URL) :])
    target = _file(site, link)
    if not target.is_file():
        return f"{link}: no file {target.relative_to(site)}"
    anchor = unquote(parts.fragment)
    if anchor and anchor not in _parse(target).ids:
        return f"{link}: no #{anchor} on {target.relative_to(site)}"
    return None


def test_every_reminder_link_leads_to_its_action_on_the_built_site(built: Path) -> None:
    # Wide windows, so that every open action of the knowledge base is reminded.
    code, out = run(
        "remind", "--format", "json", "--within", "3650", "--stale", "1", "--no-git", "--today", TODAY.isoformat(),
        cwd=built,
    )  # fmt: skip
    assert code == 0, out
    items = [item for owner in json.loads(out[: out.rindex("]") + 1]) for item in owner["items"]]
    assert len(items) > 5
    links = [item["link"] for item in items]
    assert all(link and link.endswith("#" + item["id"].lower()) for link, item in zip(links, items, strict=True))
    broken = [why for why in (_unresolved(built / "site", link) for link in links) if why]
    assert not broken, "\n".join(broken)


def test_every_report_link_leads_to_its_review_page_on_the_built_site(built: Path) -> None:
    today = ("--no-git", "--today", TODAY.isoformat())
    code, markdown = run("report", "2026-10-east-sales", "--format", "md", *today, cwd=built)
    assert code == 0, markdown
    code, out = run("report", "--team", "华东销售部", "--period", "2026", "-o", "report.html", *today, cwd=built)
    assert code == 0, out
    html = (built / "report.html").read_text(encoding="utf-8")
    links = re.findall(r"<(https?://[^>]+)>", markdown) + re.findall(r'href="([^"]+)"', html)
    assert len(links) >= 5  # the review's own, and each of the team's reviews in 2026
    broken = [why for why in (_unresolved(built / "site", link) for link in links) if why]
    assert not broken, "\n".join(broken)


def test_every_pull_request_summary_link_leads_into_the_built_site(built: Path) -> None:
    reviews = sorted(path.stem for path in (built / "reviews").glob("*.yaml"))
    code, markdown = run("pr-summary", *reviews, "--no-git", "--today", TODAY.isoformat(), cwd=built)
    assert code == 0, markdown
    links = re.findall(r"\]\((https?://[^)]+)\)", markdown)
    assert len(links) > len(reviews)  # each review's page, and its actions and related items
    assert any("#a" in link for link in links) and any("#l" in link for link in links)
    broken = [why for why in (_unresolved(built / "site", link) for link in links) if why]
    assert not broken, "\n".join(broken)


def test_every_link_inside_the_built_site_resolves(built: Path) -> None:
    broken = broken_links(built / "site")
    assert not broken, "\n".join(broken[:40])


def test_a_chinese_teams_page_has_a_pinyin_url_that_its_links_reach(built: Path) -> None:
    """华东销售部's page is at teams/hua-dong-xiao-shou-bu/ (once teams/team-ffebd63a/), and the dashboard, the
    teams' index and the team's reviews link there."""
    site = built / "site"
    folders = (site / "teams" / "hua-dong-xiao-shou-bu" / "index.html").is_file()
    team = site / "teams" / ("hua-dong-xiao-shou-bu/index.html" if folders else "hua-dong-xiao-shou-bu.html")
    assert re.search(r"<h1[^>]*>华东销售部", team.read_text(encoding="utf-8")), team
    assert not list((site / "teams").glob("team-*")), "a team page still has a hashed URL"
    review = "reviews/2026-q3-east-sales/index.html" if folders else "reviews/2026-q3-east-sales.html"
    for page in (site / "index.html", site / "teams" / "index.html", site / review):
        address = SITE_URL + page.relative_to(site).as_posix()
        targets = {_file(site, urljoin(address, link)) for link in _parse(page).links}
        assert team in targets, f"{page.relative_to(site)} does not link to {team.relative_to(site)}"
