from __future__ import annotations

import contextlib
import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from retrogen.cli import cli
from retrogen.gate.check import display_path

from ..conftest import EXAMPLES, ROOT

INVALID = EXAMPLES / "invalid"


def run(*args: str, cwd: Path | None = None, env: dict[str, str] | None = None) -> tuple[int, str]:
    with contextlib.chdir(cwd or Path.cwd()):
        result = CliRunner().invoke(cli, list(args), catch_exceptions=False, env=env)
    return result.exit_code, result.output


def test_check_knowledge_base_passes_with_warnings(knowledge_base: Path) -> None:
    code, out = run("check", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 0
    assert "RG201" in out
    assert out.strip().splitlines()[-1].startswith("0 errors,")


def test_strict_fails_on_warnings(knowledge_base: Path) -> None:
    code, _ = run("check", "--strict", "--today", "2026-11-20", cwd=knowledge_base)
    assert code == 1


def test_today_from_environment(knowledge_base: Path) -> None:
    _, early = run("check", cwd=knowledge_base, env={"RETROGEN_TODAY": "2026-01-01"})
    assert "RG201" not in early


def test_text_output_names_file_line_and_code() -> None:
    path = INVALID / "rg130-no-owner.yaml"
    code, out = run("check", str(path), "--today", "2026-11-20")
    assert code == 1
    assert f"{display_path(path)}:19:5: RG130 action A1 has no owner" in out
    assert out.strip().splitlines()[-1].startswith("1 error, ")


def test_json_output_lists_findings() -> None:
    code, out = run("check", str(INVALID / "rg101-unknown-field.yaml"), "--format", "json", "--today", "2026-11-20")
    findings = [f for f in json.loads(out) if f["severity"] == "error"]
    assert code == 1
    assert findings == [
        {
            "path": display_path(INVALID / "rg101-unknown-field.yaml"),
            "line": 21,
            "column": 5,
            "code": "RG101",
            "message": "unknown field 'onwer'; did you mean 'owner'?",
            "field": "actions[0].onwer",
            "severity": "error",
        }
    ]


def test_github_output_and_step_summary(tmp_path: Path) -> None:
    summary = tmp_path / "summary.md"
    code, out = run(
        "check", str(INVALID), "--format", "github", "--today", "2026-11-20", env={"GITHUB_STEP_SUMMARY": str(summary)}
    )
    assert code == 1
    lines = out.splitlines()
    assert any(line.startswith("::error file=") and ",line=19,col=5,title=RG130::" in line for line in lines)
    assert any(line.startswith("::warning ") and "title=RG201" in line for line in lines)
    table = summary.read_text()
    assert table.startswith("## retrogen check")
    assert table.count("| ❌ |") == sum(line.startswith("::error") for line in lines)


def test_github_annotations_escape_newlines_and_separators() -> None:
    from retrogen.gate.findings import Finding
    from retrogen.gate.reporters import github_annotation

    line = github_annotation(Finding("a,b:c.yaml", 3, 4, "RG101", "50% bad\nnext"))
    assert line == "::error file=a%2Cb%3Ac.yaml,line=3,col=4,title=RG101::50%25 bad%0Anext"


def test_missing_path_is_a_usage_error() -> None:
    code, out = run("check", "does/not/exist.yaml")
    assert code == 2
    assert "no such file" in out


def test_bad_today_is_a_usage_error() -> None:
    code, out = run("check", str(INVALID / "rg201-overdue.yaml"), "--today", "2026-13-01")
    assert code == 2
    assert "--today" in out


def test_hostile_inputs_never_give_a_traceback(tmp_path: Path) -> None:
    samples = [
        b"\x00\x01\x02",
        b"{{{{",
        b"a: !!binary AAAA\n",
        b"- " * 10000,
        b"? " * 3000,
        b"\xef\xbb\xbf",
        b"a: 'unterminated\n",
        b"%YAML 9.9\n---\na: 1\n",
        b"a:\n  - b: [" * 200,
    ]
    for i, data in enumerate(samples):
        (tmp_path / f"h{i}.yaml").write_bytes(data)
    code, out = run("check", str(tmp_path), "--today", "2026-11-20")
    assert code == 1
    assert "Traceback" not in out
    assert f"in {len(samples)} review files" in out


def test_new_writes_a_template_that_fails_until_filled(knowledge_base: Path) -> None:
    code, out = run(
        "new", "2026-q4-east-sales", "--lang", "zh", "--team", "华东销售部", "--today", "2026-12-01", cwd=knowledge_base
    )
    assert code == 0, out
    path = knowledge_base / "reviews" / "2026-q4-east-sales.yaml"
    text = path.read_text()
    assert text.startswith("# yaml-language-server: $schema=../schema/review.schema.json\n")
    assert 'team: "华东销售部"' in text and "held_on: 2026-12-01" in text
    assert "根因" in text  # guidance in the chosen language
    code, out = run("check", str(path), "--today", "2026-12-01", cwd=knowledge_base)
    assert code == 1
    assert "RG115" in out and "RG105" in out


@pytest.mark.parametrize("kind", ["periodic", "project", "anomaly", "capability"])
def test_new_english_template_for_every_kind_parses(knowledge_base: Path, kind: str) -> None:
    code, _ = run("new", f"x-{kind}", "--kind", kind, "--lang", "en", "--today", "2026-12-01", cwd=knowledge_base)
    assert code == 0
    text = (knowledge_base / "reviews" / f"x-{kind}.yaml").read_text()
    assert "root cause" in text
    _, out = run("check", f"reviews/x-{kind}.yaml", "--format", "json", cwd=knowledge_base)
    codes = {f["code"] for f in json.loads(out)}
    assert codes <= {"RG115", "RG105", "RG207"}, codes  # only the placeholders fail


def test_new_refuses_existing_file_and_used_id(knowledge_base: Path) -> None:
    existing = knowledge_base / "reviews" / "2026-q3-east-sales.yaml"
    before = existing.read_bytes()
    code, out = run("new", "2026-q3-east-sales", cwd=knowledge_base)
    assert code == 1 and "already used" in out
    assert existing.read_bytes() == before
    (knowledge_base / "reviews" / "sub").mkdir()
    (knowledge_base / "reviews" / "sub" / "other-name.yaml").write_text("id: taken-id\n")
    code, out = run("new", "taken-id", cwd=knowledge_base)
    assert code == 1 and "already used" in out
    assert not (knowledge_base / "reviews" / "taken-id.yaml").exists()


def test_new_refuses_a_bad_id(knowledge_base: Path) -> None:
    code, out = run("new", "Q4 Review", cwd=knowledge_base)
    assert code == 1 and "not a review id" in out


def test_new_team_cannot_break_the_yaml(knowledge_base: Path) -> None:
    run("new", "odd-team", "--team", 'A"\nkind: hacked #', "--today", "2026-12-01", cwd=knowledge_base)
    _, out = run("check", "reviews/odd-team.yaml", "--format", "json", cwd=knowledge_base)
    assert "RG005" not in out and "hacked" not in out.replace("\\n", "")


def test_schema_command_prints_the_schema() -> None:
    code, out = run("schema")
    assert code == 0
    assert json.loads(out) == json.loads((ROOT / "schema" / "review.schema.json").read_text())


def test_unexpected_errors_exit_3_without_a_bare_traceback(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import retrogen.cli.gate
    from retrogen.cli import main

    def broken(*args: object, **kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(retrogen.cli.gate, "check_paths", broken)
    monkeypatch.setattr("sys.argv", ["retrogen", "check", str(INVALID / "rg201-overdue.yaml")])
    with pytest.raises(SystemExit) as exited:
        main()
    assert exited.value.code == 3
    err = capsys.readouterr().err
    assert err.startswith("retrogen: unexpected error") and "RuntimeError: boom" in err
