"""`check --format gitlab`: a GitLab Code Quality report, so that findings show in the merge request."""

from __future__ import annotations

import json
import shutil
from dataclasses import replace
from pathlib import Path
from typing import Any

import jsonschema

from retrogen.gate.check import CheckResult
from retrogen.gate.findings import Finding
from retrogen.gate.reporters import gitlab_report

from ..conftest import EXAMPLES
from .test_check_and_new import run

# GitLab's Code Quality report format, as its documentation states it ("Implement a custom tool": a JSON
# array of CodeClimate issues with these fields; severity one of info, minor, major, critical, blocker).
CODE_QUALITY_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "type": "array",
    "items": {
        "type": "object",
        "required": ["description", "check_name", "fingerprint", "severity", "location"],
        "properties": {
            "type": {"const": "issue"},
            "description": {"type": "string", "minLength": 1},
            "check_name": {"type": "string", "minLength": 1},
            "fingerprint": {"type": "string", "minLength": 1},
            "severity": {"enum": ["info", "minor", "major", "critical", "blocker"]},
            "location": {
                "type": "object",
                "required": ["path", "lines"],
                "properties": {
                    "path": {"type": "string", "minLength": 1, "not": {"pattern": "^/"}},  # relative to the repository
                    "lines": {
                        "type": "object",
                        "required": ["begin"],
                        "properties": {"begin": {"type": "integer", "minimum": 1}},
                    },
                },
            },
        },
    },
}
TODAY = "2026-11-20"


def _reviews(tmp_path: Path) -> Path:
    """A knowledge base with errors and warnings."""
    reviews = tmp_path / "reviews"
    reviews.mkdir()
    (tmp_path / "mkdocs.yml").write_text("site_name: reviews\n", encoding="utf-8")
    for name in ("rg130-no-owner.yaml", "rg201-overdue.yaml", "rg132-group-owner.yaml", "rg212-too-few-whys.yaml"):
        shutil.copy(EXAMPLES / "invalid" / name, reviews / name)
    return reviews


def _report(cwd: Path) -> list[dict[str, Any]]:
    code, out = run("check", "--format", "gitlab", "--today", TODAY, cwd=cwd)
    assert code == 1, out  # errors still fail the job
    report: list[dict[str, Any]] = json.loads(out)
    return report


def test_gitlab_report_is_a_code_quality_report_of_every_finding(tmp_path: Path) -> None:
    _reviews(tmp_path)
    report = _report(tmp_path)
    jsonschema.validate(report, CODE_QUALITY_SCHEMA)
    code, out = run("check", "--format", "json", "--today", TODAY, cwd=tmp_path)
    assert code == 1
    findings = json.loads(out)
    assert len(report) == len(findings) > 3
    severity = {"error": "critical", "warning": "minor"}
    assert [
        (i["check_name"], i["location"]["path"], i["location"]["lines"]["begin"], i["severity"]) for i in report
    ] == [(f["code"], f["path"], f["line"], severity[f["severity"]]) for f in findings]
    assert {i["severity"] for i in report} == {"critical", "minor"}
    assert all(i["description"].startswith(i["check_name"] + " ") for i in report)
    assert len({i["fingerprint"] for i in report}) == len(report)  # GitLab keys each finding by it


def test_a_finding_keeps_its_fingerprint_when_lines_above_it_move(tmp_path: Path) -> None:
    reviews = _reviews(tmp_path)
    before = _report(tmp_path)
    moved = reviews / "rg201-overdue.yaml"
    moved.write_text("# a comment added at the top\n" + moved.read_text(encoding="utf-8"), encoding="utf-8")
    after = _report(tmp_path)
    assert [i["fingerprint"] for i in after] == [i["fingerprint"] for i in before]
    shifted = [
        (b["location"]["lines"]["begin"], a["location"]["lines"]["begin"])
        for b, a in zip(before, after, strict=True)
        if a["location"]["path"].endswith("rg201-overdue.yaml")
    ]
    assert shifted and all(new == old + 1 for old, new in shifted)


def test_the_schema_refuses_what_gitlab_would_not_read() -> None:
    good = {
        "description": "RG130 x",
        "check_name": "RG130",
        "fingerprint": "f",
        "severity": "critical",
        "location": {"path": "reviews/a.yaml", "lines": {"begin": 3}},
    }
    jsonschema.validate([good], CODE_QUALITY_SCHEMA)
    for broken in (
        {**good, "severity": "error"},
        {**good, "location": {"path": "reviews/a.yaml", "lines": {}}},
        {key: value for key, value in good.items() if key != "fingerprint"},
    ):
        assert not jsonschema.Draft202012Validator(CODE_QUALITY_SCHEMA).is_valid([broken])


def test_identical_findings_in_one_file_get_their_own_fingerprints() -> None:
    twice = Finding("reviews/a.yaml", 4, 1, "RG212", "problem P1 has no 5-Why chain")
    report = json.loads(gitlab_report(CheckResult(findings=[twice, replace(twice, line=9)])))
    assert report[0]["fingerprint"] != report[1]["fingerprint"]
    assert json.loads(gitlab_report(CheckResult(findings=[twice])))[0]["fingerprint"] == report[0]["fingerprint"]
