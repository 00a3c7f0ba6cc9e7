"""mkdocs.yml is read twice on purpose: by the gate, safely and without MkDocs (`check` stays quick and runs
no `!!python/name:` code), and by MkDocs itself for the build. What both read must agree."""

from __future__ import annotations

from pathlib import Path

import pytest

from retrogen.gate.config import load_config
from retrogen.site.build import load_mkdocs_config

from ..conftest import copy_knowledge_base

PARENT = """\
site_name: !ENV [KB_NAME, 销售复盘]
site_url: https://kb.example.com/reviews/
use_directory_urls: !ENV [KB_DIRECTORY_URLS, true]
theme:
  name: material
  language: zh
  custom_dir: site_overrides
"""
CHILD = """\
INHERIT: base.yml
docs_dir: !ENV [KB_DOCS, gen/docs]
site_dir: public
markdown_extensions:
  - pymdownx.emoji:
      emoji_index: !!python/name:material.extensions.emoji.twemoji
extra:
  retrogen:
    reviews_dir: reviews
"""


def test_the_gate_and_mkdocs_read_the_same_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = copy_knowledge_base(tmp_path)
    (root / "base.yml").write_text(PARENT, encoding="utf-8")
    (root / "mkdocs.yml").write_text(CHILD, encoding="utf-8")
    monkeypatch.setenv("KB_DIRECTORY_URLS", "false")
    monkeypatch.delenv("KB_NAME", raising=False)
    monkeypatch.delenv("KB_DOCS", raising=False)
    config = load_config(root / "mkdocs.yml")
    config.generated_dir.mkdir(parents=True)
    mkdocs = load_mkdocs_config(config, config.site_dir)
    assert (config.site_name, config.mkdocs["site_url"], config.mkdocs["use_directory_urls"]) == (
        mkdocs.site_name,
        mkdocs.site_url,
        mkdocs.use_directory_urls,
    )
    assert (config.language, str(config.generated_dir), str(config.site_dir)) == (
        mkdocs.theme["language"],
        mkdocs.docs_dir,
        mkdocs.site_dir,
    )
    assert config.mkdocs["theme"]["custom_dir"] == "site_overrides" and mkdocs.theme.custom_dir == str(
        root / "site_overrides"
    )
    assert config.generated_dir == root / "gen" / "docs" and config.site_name == "销售复盘"
