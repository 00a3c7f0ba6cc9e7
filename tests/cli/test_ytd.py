"""`retrogen metrics --ytd`: year to date against targets.yaml, as text, CSV and JSON (issue 19)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from pathlib import Path

from click.testing import CliRunner

from retrogen.cli import cli
from tests.unit.test_targets import with_targets


def run(kb: Path, *args: str) -> tuple[int, str, str]:
    with contextlib.chdir(kb):
        result = CliRunner().invoke(cli, ["metrics", *args, "--today", "2026-12-01"], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_metrics_ytd_matches_golden_file(tmp_path: Path, golden: Callable[[str, str], None]) -> None:
    code, out, _ = run(with_targets(tmp_path), "--ytd", "--format", "csv")
    assert code == 0
    golden("metrics-ytd.csv", out)


def test_metrics_ytd_json_and_text(tmp_path: Path) -> None:
    kb = with_targets(tmp_path)
    code, out, _ = run(kb, "--ytd", "--format", "json")
    rows = {(r["target_period"], r["metric"]): r for r in json.loads(out)}
    assert code == 0
    # 412 + 420 + 380 + 152 = 1,364 of 1,900
    assert (rows[("2026", "销售额")]["actual"], rows[("2026", "销售额")]["achievement"]) == (1364.0, 0.717895)
    assert rows[("2027", "销售额")]["actual"] is None
    code, out, _ = run(kb, "--ytd")
    assert code == 0
    assert "华东销售部  2026      销售额        万元  越高越好   1,900   1,364   71.8%  否    各期累计  2026-10" in out


def test_metrics_ytd_without_targets_is_a_configuration_error(knowledge_base: Path) -> None:
    code, _, err = run(knowledge_base, "--ytd")
    assert code == 2
    assert "no targets: name a targets file" in err
    code, _, err = run(knowledge_base, "--ytd", "--themes")
    assert code == 2 and "choose one of" in err
