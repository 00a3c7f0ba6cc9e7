"""The table commands load no more than they use: python-docx, Jinja and openpyxl cost a command that prints
a table or a digest a tenth of a second at every run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import KB


def modules_after(kb: Path, command: list[str]) -> set[str]:
    """The modules loaded once `command` has run on `kb` in a fresh interpreter (its output printed)."""
    code = (
        "import sys, retrogen.cli as c\n"
        "try:\n"
        f"    c.cli.main(['--config', {str(kb / 'mkdocs.yml')!r}, *{command!r}, '--today', '2026-11-20'],"
        " standalone_mode=False)\n"
        "finally:\n"
        "    print('imported:', ' '.join(sorted(sys.modules)), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout
    return set(result.stderr.strip().splitlines()[-1].split()[1:])


@pytest.mark.parametrize(
    "command",
    [["metrics", "--format", "json"], ["actions", "--format", "csv"], ["remind"], ["metrics", "--by", "team"]],
)
def test_table_commands_do_not_import_document_writers(command: list[str], tmp_path: Path) -> None:
    kb = shutil.copytree(KB, tmp_path / "kb")  # the run keeps its index there, not in the fixture
    assert sorted(modules_after(kb, command).intersection({"docx", "lxml", "jinja2", "openpyxl"})) == []


def test_a_dry_run_of_remind_imports_no_sender(tmp_path: Path) -> None:
    """HTTP, TLS and SMTP are for `remind --send`: a dry run that prints the digest does not import them."""
    kb = shutil.copytree(KB, tmp_path / "kb")
    senders = {"retrogen.notify.senders", "retrogen.notify.webhook", "smtplib", "ssl", "urllib.request"}
    assert sorted(modules_after(kb, ["remind"]).intersection(senders)) == []
