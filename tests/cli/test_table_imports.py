"""The table commands load no more than they use: python-docx, Jinja and openpyxl cost a command that prints
a table or a digest a tenth of a second at every run."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ..conftest import KB


@pytest.mark.parametrize(
    "command",
    [["metrics", "--format", "json"], ["actions", "--format", "csv"], ["remind"], ["metrics", "--by", "team"]],
)
def test_table_commands_do_not_import_document_writers(command: list[str], tmp_path: Path) -> None:
    kb = shutil.copytree(KB, tmp_path / "kb")  # the run keeps its index there, not in the fixture
    code = (
        "import sys, retrogen.cli as c\n"
        "try:\n"
        f"    c.cli.main(['--config', {str(kb / 'mkdocs.yml')!r}, *{command!r}, '--today', '2026-11-20'],"
        " standalone_mode=False)\n"
        "finally:\n"
        "    heavy = sorted(m for m in ('docx', 'lxml', 'jinja2', 'openpyxl') if m in sys.modules)\n"
        "    print('heavy:', ','.join(heavy), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout
    assert result.stderr.strip().splitlines()[-1] == "heavy:"


def test_a_dry_run_of_remind_imports_no_sender(tmp_path: Path) -> None:
    """HTTP, TLS and SMTP are for `remind --send`: a dry run that prints the digest does not import them."""
    kb = shutil.copytree(KB, tmp_path / "kb")
    code = (
        "import sys, retrogen.cli as c\n"
        f"c.cli.main(['--config', {str(kb / 'mkdocs.yml')!r}, 'remind', '--today', '2026-11-20'],"
        " standalone_mode=False)\n"
        "senders = ('retrogen.notify.senders', 'retrogen.notify.webhook', 'smtplib', 'ssl', 'urllib.request')\n"
        "print('senders:', ','.join(m for m in senders if m in sys.modules), file=sys.stderr)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout
    assert result.stderr.strip().splitlines()[-1] == "senders:"
