"""The review form at /admin/ in a real Chromium: Decap CMS served by the built site, saving through its
local backend (decap-server from npm, in git mode) into a temporary git repository, as its editorial
workflow does on GitHub or GitLab: a branch per review, which must then pass `retrogen check`."""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from retrogen.gate.config import load_config
from retrogen.site.build import build_site

from ..conftest import copy_knowledge_base
from .test_browser import ARTIFACTS, browser  # noqa: F401 - the browser fixture of test_browser.py

pytestmark = [pytest.mark.browser, pytest.mark.slow]

TODAY = date(2026, 11, 20)
# decap-server on PATH (.ci/run installs it with npm), or where DECAP_SERVER says.
DECAP_SERVER = os.environ.get("DECAP_SERVER") or shutil.which("decap-server")
REVIEW_ID = "2026-12-east-sales"
# What the form must write for the review the test fills in: `retrogen new`'s layout, key order and modeline.
EXPECTED = """\
# yaml-language-server: $schema=../schema/review.schema.json
schema_version: 1
id: 2026-12-east-sales
title: 2026年12月华东区销售月度复盘
kind: periodic
lang: zh
team: 华东销售部
period:
  label: 2026-12
  start: 2026-12-01
  end: 2026-12-31
held_on: 2027-01-05
objective: 分析12月新客户签约未达标的原因并制定改进计划
participants:
  - name: 张伟
    role: lead

metrics:
  - name: 销售额
    unit: 万元
    better: higher
    target: 200
    actual: 180
  - name: 新客户数量
    unit: 个
    better: higher
    target: 8
    actual: 5

problems:
  - id: P1
    problem: 新客户签约5个,目标8个
    whys:
      - 商机推进慢
      - 没有找到决策人
      - 首次拜访没有摸排决策链
    root_cause: 拜访清单缺少决策链摸排
    factor: process

lessons:
  - id: L1
    type: success
    lesson: 提前约见采购委员会,缩短了两周决策周期

actions:
  - id: A1
    action: 在拜访清单中加入决策链摸排
    owner: 刘洋
    due: 2027-01-31
    status: not_started
  - id: A2
    action: 每周复盘一次重点商机的决策人覆盖
    owner: 王芳
    due: 2027-02-15
    status: not_started
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=True).stdout


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@dataclass
class Cms:
    repo: Path
    url: str  # the site's /admin/


@pytest.fixture(scope="module")
def cms(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cms]:
    """A knowledge base in a git repository with the form on, its site built and served on localhost, and
    decap-server saving into the repository as the editorial workflow does (a branch per entry)."""
    if DECAP_SERVER is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run the form's browser tests: npm install --global decap-server (see .ci/run)")
        pytest.skip("no decap-server on this machine: npm install --global decap-server")
    repo = copy_knowledge_base(tmp_path_factory.mktemp("cms"))
    config = repo / "mkdocs.yml"
    config.write_text(
        config.read_text(encoding="utf-8").replace(
            "    reviews_dir: reviews\n", "    reviews_dir: reviews\n    editor: decap\n"
        ),
        encoding="utf-8",
    )
    (repo / ".gitignore").write_text("site/\n.retrogen/\n", encoding="utf-8")
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "-c", "user.name=test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "knowledge base")
    site = tmp_path_factory.mktemp("site")
    report = build_site(load_config(config), TODAY, site_dir=site / "site", use_git=False, allow_outside=True)
    assert report.ok and report.site_dir is not None
    port = _free_port()
    admin_config = report.site_dir / "admin" / "config.yml"
    # The only change to what `build` wrote: decap-server listens on a free port, not on its default 8081.
    admin_config.write_text(
        admin_config.read_text(encoding="utf-8").replace(
            "local_backend: true", f"local_backend:\n  url: http://localhost:{port}/api/v1"
        ),
        encoding="utf-8",
    )
    environment = {**os.environ, "MODE": "git", "PORT": str(port), "GIT_REPO_DIRECTORY": str(repo)}
    environment.update(GIT_AUTHOR_NAME="cms", GIT_AUTHOR_EMAIL="cms@example.com")
    environment.update(GIT_COMMITTER_NAME="cms", GIT_COMMITTER_EMAIL="cms@example.com")
    log = site / "decap-server.log"
    with log.open("wb") as output:
        server = subprocess.Popen([DECAP_SERVER], env=environment, stdout=output, stderr=subprocess.STDOUT, cwd=repo)
    handler = functools.partial(_QuietHandler, directory=str(report.site_dir))
    http_server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=http_server.serve_forever, daemon=True).start()
    try:
        deadline = time.monotonic() + 30
        while True:  # decap-server is ready when it accepts connections
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"decap-server did not start: {log.read_text()}") from None
                time.sleep(0.2)
        yield Cms(repo, f"http://localhost:{http_server.server_address[1]}/admin/")
    finally:
        http_server.shutdown()
        http_server.server_close()
        server.terminate()
        server.wait(timeout=10)


class Form:
    """Decap CMS's editor, driven as a person does: its fields are found by the ids Decap gives them
    (`<name>-field-<n>`) inside the list or object they belong to."""

    def __init__(self, page: Any) -> None:
        self.page = page

    def within(self, name: str, scope: Any = None) -> Any:
        return (scope or self.page).locator(f'div[id^="{name}-field-"]').first

    def field(self, name: str, scope: Any = None, index: int = 0) -> Any:
        return (scope or self.page).locator(f'[id^="{name}-field-"]:is(input, textarea)').nth(index)

    def fill(self, name: str, value: str, scope: Any = None, index: int = 0) -> None:
        self.field(name, scope, index).fill(value)

    def choose(self, name: str, shown: str, scope: Any = None, index: int = 0) -> None:
        """Pick an option of a select (react-select): type the words it shows, then Enter."""
        box = self.field(name, scope, index)
        box.focus()
        box.fill(shown)
        self.page.keyboard.press("Enter")

    def items(self, name: str, first_field: str, count: int, scope: Any = None) -> Any:
        """Make the list `name` hold `count` items (counted by their `first_field`); its container."""
        root = self.within(name, scope)
        while root.locator(f'[id^="{first_field}-field-"]:is(input, textarea)').count() < count:
            root.locator(":scope > div > button", has_text="新增").click()
        return root

    def save(self) -> None:
        self.page.get_by_role("button", name="保存", exact=True).click()


def _open_new_review(browser: Any, cms: Cms) -> tuple[Any, Form, list[str]]:
    """A page on the form for a new review, every request to another host refused and recorded."""
    page = browser.new_page(viewport={"width": 1280, "height": 1400}, locale="zh-CN")
    remote: list[str] = []

    def route(request_route: Any) -> None:
        url = request_route.request.url
        if url.split("/")[2].split(":")[0] in ("localhost", "127.0.0.1"):
            request_route.continue_()
        else:
            remote.append(url)
            request_route.abort()

    page.route("**/*", route)
    page.goto(cms.url)
    page.get_by_role("button", name="登录").click()  # the local backend needs no account
    page.goto(cms.url + "#/collections/reviews/new")
    page.locator('[id^="id-field-"]').first.wait_for()
    return page, Form(page), remote


def _fill_review(form: Form, review_id: str, owners: tuple[str, str]) -> None:
    form.fill("id", review_id)
    form.fill("title", "2026年12月华东区销售月度复盘")
    form.choose("kind", "periodic")
    form.fill("team", "华东销售部")
    period = form.within("period")
    form.fill("label", "2026-12", period)
    form.fill("start", "2026-12-01", period)
    form.fill("end", "2026-12-31", period)
    form.fill("held_on", "2027-01-05")
    form.fill("objective", "分析12月新客户签约未达标的原因并制定改进计划")
    participants = form.items("participants", "name", 1)
    form.fill("name", "张伟", participants)
    form.choose("role", "lead", participants)
    metrics = form.items("metrics", "name", 2)
    for index, (name, unit, target, actual) in enumerate(
        [("销售额", "万元", "200", "180"), ("新客户数量", "个", "8", "5")]
    ):
        form.fill("name", name, metrics, index)
        form.fill("unit", unit, metrics, index)
        form.fill("target", target, metrics, index)
        form.fill("actual", actual, metrics, index)
    problems = form.items("problems", "problem", 1)
    form.fill("id", "P1", problems)
    form.fill("problem", "新客户签约5个,目标8个", problems)
    whys = form.items("whys", "item", 3, problems)
    for index, why in enumerate(["商机推进慢", "没有找到决策人", "首次拜访没有摸排决策链"]):
        form.fill("item", why, whys, index)
    form.fill("root_cause", "拜访清单缺少决策链摸排", problems)
    form.choose("factor", "process", problems)
    lessons = form.items("lessons", "lesson", 1)
    form.fill("id", "L1", lessons)
    form.choose("type", "success", lessons)
    form.fill("lesson", "提前约见采购委员会,缩短了两周决策周期", lessons)
    actions = form.items("actions", "action", 2)
    for index, (action, owner, due) in enumerate(
        [
            ("在拜访清单中加入决策链摸排", owners[0], "2027-01-31"),
            ("每周复盘一次重点商机的决策人覆盖", owners[1], "2027-02-15"),
        ]
    ):
        form.fill("id", f"A{index + 1}", actions, index)
        form.fill("action", action, actions, index)
        if owner:
            form.fill("owner", owner, actions, index)
        form.fill("due", due, actions, index)


def _branches(repo: Path) -> list[str]:
    return _git(repo, "branch", "--list", "--format=%(refname:short)").split()


def test_a_review_filled_in_the_form_is_saved_on_a_branch_and_passes_check(browser: Any, cms: Cms) -> None:
    page, form, remote = _open_new_review(browser, cms)
    _fill_review(form, REVIEW_ID, ("刘洋", "王芳"))
    ARTIFACTS.mkdir(exist_ok=True)  # the filled form, for a person to look at
    page.screenshot(path=str(ARTIFACTS / "editor-new-review-1280.png"), full_page=True)
    form.save()
    branch = f"cms/reviews/{REVIEW_ID}"  # the editorial workflow's branch of the entry
    saved_file = f"{branch}:reviews/{REVIEW_ID}.yaml"
    deadline = time.monotonic() + 90  # generous: under a loaded CI, Decap and decap-server share two cores
    while subprocess.run(["git", "-C", str(cms.repo), "cat-file", "-e", saved_file], capture_output=True).returncode:
        assert time.monotonic() < deadline, f"the editorial workflow made no branch: {_branches(cms.repo)}"
        page.wait_for_timeout(250)
    page.close()
    assert remote == []
    saved = _git(cms.repo, "show", saved_file)
    assert saved == EXPECTED
    # The branch, not main, holds it. decap-server checks the branch out to commit on it and then returns to
    # main; on a loaded machine the test can see the branch before the server is back.
    while _git(cms.repo, "branch", "--show-current").strip() != "main":
        assert time.monotonic() < deadline, "decap-server left the entry's branch checked out"
        time.sleep(0.25)
    checkout = cms.repo.parent / "checkout"
    _git(cms.repo, "worktree", "add", "-q", str(checkout), branch)
    result = subprocess.run(
        [sys.executable, "-m", "retrogen", "check", "--today", "2027-01-06"],
        cwd=checkout,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[2])},
    )
    assert result.returncode == 0, result.stdout + result.stderr  # warnings (no analysis, no evidence) pass
    assert "0 errors" in result.stdout


def test_the_form_refuses_to_save_an_action_without_owner(browser: Any, cms: Cms) -> None:
    page, form, remote = _open_new_review(browser, cms)
    _fill_review(form, "2026-12-east-sales-draft", ("刘洋", ""))
    form.save()
    owner = form.field("owner", form.within("actions"), 1)
    # Decap says why beside the field, and nothing reaches the repository.
    page.get_by_text("必填").first.wait_for()
    page.screenshot(path=str(ARTIFACTS / "editor-owner-required-1280.png"), full_page=True)
    assert owner.input_value() == ""
    page.wait_for_timeout(1000)
    assert [b for b in _branches(cms.repo) if b.endswith("-draft")] == []
    page.close()
    assert remote == []
