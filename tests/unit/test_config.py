"""mkdocs.yml is read as MkDocs reads it, and every retrogen setting has one declared default and rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pytest

from retrogen.core.errors import ConfigError
from retrogen.core.words import catalogue, language_of
from retrogen.gate.check import CheckOptions, check_file
from retrogen.gate.config import load_config
from retrogen.gate.settings import DEFAULTS, SettingsRefused, read_declared, rules, setting

from ..conftest import EXAMPLES


def config_from(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "mkdocs.yml"
    path.write_text(text, encoding="utf-8")
    return path


def test_env_tags_take_the_variable_or_the_default(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = config_from(
        tmp_path,
        "site_name: !ENV [KB_NAME, 销售复盘]\ndocs_dir: !ENV [KB_DOCS, gen/docs]\n"
        "extra:\n  retrogen:\n    reviews_dir: !ENV [KB_REVIEWS, reviews]\n",
    )
    monkeypatch.delenv("KB_NAME", raising=False)
    monkeypatch.delenv("KB_DOCS", raising=False)
    monkeypatch.setenv("KB_REVIEWS", "data/reviews")
    config = load_config(path)
    assert config.site_name == "销售复盘"
    assert config.generated_dir == tmp_path / "gen" / "docs"
    assert config.reviews_dir == tmp_path / "data" / "reviews"


def test_python_tags_are_read_without_running_anything(tmp_path: Path) -> None:
    path = config_from(
        tmp_path,
        "site_name: KB\nmarkdown_extensions:\n  - pymdownx.emoji:\n"
        "      emoji_index: !!python/name:material.extensions.emoji.twemoji\n"
        "      bad: !!python/object/apply:os.system [echo hacked]\n",
    )
    config = load_config(path)
    assert config.mkdocs["markdown_extensions"][0]["pymdownx.emoji"] == {"emoji_index": None, "bad": None}


def test_inherit_merges_the_parent_and_the_child_wins(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text(
        "site_name: Base\ntheme:\n  name: material\n  language: zh\nextra:\n  retrogen:\n    max_file_size: 2048\n",
        encoding="utf-8",
    )
    path = config_from(tmp_path, "INHERIT: base.yml\nsite_name: Child\n")
    config = load_config(path)
    assert (config.site_name, config.language, config.settings.max_file_size) == ("Child", "zh", 2048)


def test_inherit_loop_is_a_config_error(tmp_path: Path) -> None:
    path = config_from(tmp_path, "INHERIT: mkdocs.yml\n")
    with pytest.raises(ConfigError, match="loop"):
        load_config(path)


def test_every_setting_has_its_default(tmp_path: Path) -> None:
    config = load_config(config_from(tmp_path, "site_name: KB\n"))
    assert config.settings == DEFAULTS
    assert config.reviews_dir == tmp_path / "reviews"
    assert "TBD" in config.settings.not_owners and isinstance(config.settings.not_owners, tuple)
    assert config.settings.max_file_size == 1_048_576
    assert config.generated_dir == tmp_path / ".retrogen" / "docs"
    assert config.settings.proven_min_verdicts == 2
    assert config.settings.rag_thresholds == (1.0, 0.9)


def test_proven_min_verdicts_is_read_from_extra_retrogen(tmp_path: Path) -> None:
    config = load_config(config_from(tmp_path, "extra:\n  retrogen:\n    proven_min_verdicts: 3\n"))
    assert config.settings.proven_min_verdicts == 3


@pytest.mark.parametrize(
    ("block", "words"),
    [
        ("reviews_dri: reviews", "extra.retrogen.reviews_dri is not a setting; did you mean 'reviews_dir'?"),
        ("max_file_size: -1", "max_file_size must be a positive number of bytes"),
        ("max_file_size: true", "max_file_size must be a positive number of bytes"),
        ("not_owners: TBD", "not_owners must be a list of words"),
        ("min_whys: 11", "min_whys must be a whole number from 0 to 10"),
        ("proven_min_verdicts: 0", "proven_min_verdicts must be a whole number from 1 to 100"),
    ],
)
def test_a_bad_setting_says_which_and_why(tmp_path: Path, block: str, words: str) -> None:
    path = config_from(tmp_path, f"site_name: KB\nextra:\n  retrogen:\n    {block}\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert words in str(caught.value)
    assert str(path) in str(caught.value)


def test_min_whys_sets_how_deep_a_problem_must_ask(tmp_path: Path) -> None:
    config = load_config(config_from(tmp_path, "extra:\n  retrogen:\n    min_whys: 1\n"))
    options = CheckOptions.of(config, date(2026, 11, 20))
    example = EXAMPLES / "invalid" / "rg212-too-few-whys.yaml"
    assert "RG212" not in {f.code for f in check_file(example, options).findings}
    assert "RG212" in {f.code for f in check_file(example, CheckOptions(date(2026, 11, 20))).findings}


def test_a_bad_setting_is_named_with_its_line(tmp_path: Path) -> None:
    path = config_from(tmp_path, "site_name: KB\nextra:\n  retrogen:\n    min_whys: 3\n    max_file_size: -1\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(path))}:5: extra\.retrogen\.max_file_size must be"):
        load_config(path)


def test_a_bad_inherited_setting_is_named_in_the_file_that_writes_it(tmp_path: Path) -> None:
    (tmp_path / "base.yml").write_text("extra:\n  retrogen:\n    teams: 华东销售部\n", encoding="utf-8")
    path = config_from(tmp_path, "INHERIT: base.yml\nsite_name: KB\n")
    with pytest.raises(ConfigError, match=rf"^{re.escape(str(tmp_path / 'base.yml'))}:3: extra\.retrogen\.teams"):
        load_config(path)


@dataclass(frozen=True)
class _Renamed:
    """A declaration with a renamed setting: retrogen has none yet, the mechanism waits for the first."""

    whys: int = setting(3, "a whole number", lambda v: isinstance(v, int), "how many whys", renamed_from="min_why")


def test_a_former_name_is_read_with_a_notice() -> None:
    settings, notices = read_declared({"min_why": 5}, _Renamed)
    assert settings == _Renamed(whys=5)
    assert notices == ["extra.retrogen.min_why is now called whys; rename it, the old name will go"]
    assert read_declared({"whys": 4}, _Renamed) == (_Renamed(whys=4), [])


def test_a_setting_under_both_names_is_refused() -> None:
    with pytest.raises(SettingsRefused, match="min_why is the former name of whys: keep one"):
        read_declared({"min_why": 5, "whys": 4}, _Renamed)


def test_every_written_default_is_valid_and_reads_to_the_declared_default() -> None:
    for name, rule in rules():
        assert rule.valid(rule.default), name
        assert rule.read(rule.default) == getattr(DEFAULTS, name), name


@pytest.mark.parametrize(
    ("stated", "sample", "language"),
    [
        ("zh", "", "zh"),
        ("zh-CN", "", "zh"),
        ("zh_TW", "Q3 pipeline review", "zh"),  # a stated language wins over the text
        ("ZH", "", "zh"),
        ("en-GB", "华东销售部季度复盘", "en"),
        ("fr", "", "en"),  # a language retrogen has no words for: English
        (None, "华东销售部季度复盘", "zh"),  # unstated: the text's own language
        (None, "East region Q3 review 华东", "en"),
        (["zh"], "", "en"),  # not a language at all (the schema reports it)
    ],
)
def test_language_of_reads_a_stated_language_else_the_text(stated: object, sample: str, language: str) -> None:
    assert language_of(stated, sample) == language


def test_a_chinese_theme_in_any_spelling_gives_chinese_words(tmp_path: Path) -> None:
    config = load_config(config_from(tmp_path, "theme:\n  name: material\n  language: zh-TW\n"))
    assert config.language == "zh" and catalogue(config.language).labels["playbook"] == "打法手册"
