"""Reporters turn a CheckResult into text for people, GitHub annotations, a GitLab Code Quality report, or
JSON for machines."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import click

from retrogen.core.printable import printable, printable_json, printable_lines
from retrogen.gate.check import CheckResult
from retrogen.gate.findings import CODES, Finding, Severity

# GitHub refuses a step summary over 1 MiB; this leaves room for the closing line and other steps' text.
GITHUB_SUMMARY_BYTES = 1_000_000


def plural(count: int, word: str) -> str:
    """`1 review`, `2 reviews`: English counts for messages."""
    return f"{count} {word}{'' if count == 1 else 's'}"


def summary_line(result: CheckResult) -> str:
    files = plural(len(result.files), "review file")
    if not result.findings:
        return f"All {files} pass."
    return f"{plural(result.errors, 'error')}, {plural(result.warnings, 'warning')} in {files}."


def text_report(result: CheckResult, *, color: bool = False) -> str:
    lines = []
    for finding in result.findings:
        code = finding.code
        if color:
            code = click.style(code, fg="red" if finding.severity is Severity.ERROR else "yellow", bold=True)
        lines.append(f"{printable(finding.path)}:{finding.line}:{finding.column}: {code} {printable(finding.message)}")
    lines.append(summary_line(result))
    return "\n".join(lines)


def _escape_data(value: str) -> str:
    return value.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def _escape_property(value: str) -> str:
    return _escape_data(value).replace(":", "%3A").replace(",", "%2C")


def github_annotation(finding: Finding) -> str:
    level = "error" if finding.severity is Severity.ERROR else "warning"
    props = ",".join(
        f"{key}={_escape_property(str(value))}"
        for key, value in (
            ("file", printable(finding.path)),
            ("line", finding.line),
            ("col", finding.column),
            ("title", finding.code),
        )
    )
    return f"::{level} {props}::{_escape_data(printable_lines(finding.message))}"


def github_report(result: CheckResult) -> str:
    return "\n".join([*(github_annotation(f) for f in result.findings), summary_line(result)])


def _cell(value: str) -> str:
    return printable(value.replace("\n", " ")).replace("|", "\\|").replace("<", "&lt;")


def github_summary(result: CheckResult, limit: int = GITHUB_SUMMARY_BYTES) -> str:
    """Markdown for $GITHUB_STEP_SUMMARY: every finding that fits, since annotations stop at ten of each
    kind; GitHub refuses a summary over 1 MiB, so past `limit` bytes one line says how many were left out."""
    lines = ["## retrogen check", "", summary_line(result), ""]
    if result.findings:
        lines += ["| | file | line | code | message |", "|---|---|---|---|---|"]
    size = sum(len(line.encode()) + 1 for line in lines)
    for shown, f in enumerate(result.findings):
        icon = "❌" if f.severity is Severity.ERROR else "⚠️"
        row = f"| {icon} | `{_cell(f.path)}` | {f.line} | {f.code} | {_cell(f.message[:1000])} |"
        size += len(row.encode()) + 1
        if size > limit:
            lines += [
                "",
                f"{len(result.findings) - shown} more findings not shown (GitHub limits a summary to "
                "1 MiB); run `retrogen check` locally to see them all.",
            ]
            break
        lines.append(row)
    return "\n".join(lines) + "\n"


def json_report(result: CheckResult) -> str:
    """The findings as JSON: each path as it is (a program opens the file by it), each message as people read
    it, escaped; characters a terminal would act on are \\u escapes, so the JSON itself is safe to print."""
    findings = [f.as_dict() | {"message": printable(f.message)} for f in result.findings]
    return printable_json(json.dumps(findings, ensure_ascii=False, indent=2))


# GitLab's Code Quality severities are info, minor, major, critical and blocker; an error fails the gate.
GITLAB_SEVERITY = {Severity.ERROR: "critical", Severity.WARNING: "minor"}


def gitlab_report(result: CheckResult) -> str:
    """A GitLab Code Quality report (the artifact `reports: codequality`), so that findings appear in the
    merge request's widget. GitLab tells new findings from fixed ones by fingerprint: it is made of the file,
    code, field and message, not the line, so a finding keeps it when lines above it move; identical
    findings in one file are told apart by their order."""
    seen: dict[str, int] = {}
    issues = []
    for finding in result.findings:
        key = "\0".join((finding.path, finding.code, finding.field, finding.message))
        seen[key] = seen.get(key, 0) + 1
        issues.append(
            {
                "type": "issue",
                "description": f"{finding.code} {printable(finding.message)}",
                "check_name": finding.code,
                "fingerprint": hashlib.sha256(f"{key}\0{seen[key]}".encode()).hexdigest(),
                "severity": GITLAB_SEVERITY[finding.severity],
                "location": {"path": finding.path, "lines": {"begin": finding.line}},
            }
        )
    return printable_json(json.dumps(issues, ensure_ascii=False, indent=2))


REPORTERS: dict[str, Callable[[CheckResult], str]] = {
    "text": text_report,
    "github": github_report,
    "gitlab": gitlab_report,
    "json": json_report,
}


def codes_table() -> str:
    """The Markdown table of every check code, for the README and the site's submission guide."""
    rows = ["| code | severity | meaning |", "|---|---|---|"]
    rows += [f"| {c.code} | {c.severity.value} | {c.summary} |" for c in CODES.values()]
    return "\n".join(rows)
