"""jieba's dictionary kept in the user's cache and looked up word by word (engine/segmenter.py)."""

from __future__ import annotations

import os
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from retrogen.engine import segmenter
from retrogen.engine.segmenter import KeptWords, kept_path, read_words, write_words
from retrogen.engine.text import terms

ROOT = Path(__file__).resolve().parents[2]
TEXTS = [
    "客户流失率上升",
    "老客户续约报价审批未达预期，决策链太长",
    "线索续约培训预算续约合同提升明显 修改3次",
    "渠道经销商压货导致回款周期拉长，财务对账滞后两周",
    "龘靐齉爩 unknown 字",  # words no dictionary has: jieba's HMM at work
]


@pytest.fixture(scope="module")
def jieba() -> Any:
    module = segmenter.jieba_module()
    module.dt.initialize()
    return module


@pytest.fixture(scope="module")
def kept(jieba: Any, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("cache") / "words.bin"
    write_words(path, jieba.dt.FREQ, jieba.dt.total)
    return path


def _unloadable() -> dict[str, int]:
    raise AssertionError("the whole table was loaded")


def _tokenizer(jieba: Any, words: KeptWords) -> Any:
    tokenizer = jieba.Tokenizer()
    tokenizer.FREQ, tokenizer.total, tokenizer.initialized = words, words.total, True
    return tokenizer


def test_the_kept_file_answers_as_jiebas_table(jieba: Any, kept: Path) -> None:
    words = read_words(kept, _unloadable)
    assert words is not None and words.total == jieba.dt.total
    table = jieba.dt.FREQ
    sample = list(table)[::97]
    assert [words.get(word) for word in sample] == [table[word] for word in sample]
    assert all(word in words and words[word] == table[word] for word in sample[:500])
    absent = [f"{word}龘" for word in sample[:500]] + ["", "abc", "\ud800"]
    assert not any(word in words for word in absent) and {words.get(word, -1) for word in absent} == {-1}
    with pytest.raises(KeyError):
        words["龘龘"]
    zero = next(word for word, frequency in table.items() if frequency == 0)  # a word's beginning only
    assert zero in words and words[zero] == 0 and words.get(zero) == 0


def test_segmenting_with_the_kept_file_is_segmenting_with_jieba(jieba: Any, kept: Path) -> None:
    words = read_words(kept, _unloadable)
    assert words is not None
    tokenizer = _tokenizer(jieba, words)
    for text in TEXTS:
        assert list(tokenizer.cut_for_search(text)) == list(jieba.dt.cut_for_search(text))


def test_past_the_lookup_limit_the_whole_table_answers(jieba: Any, kept: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(segmenter, "LOOKUP_LIMIT", 5)
    loads = []

    def load_all() -> dict[str, int]:
        loads.append(1)
        table: dict[str, int] = jieba.dt.FREQ
        return table

    words = read_words(kept, load_all)
    assert words is not None
    tokenizer = _tokenizer(jieba, words)
    for text in TEXTS:
        assert list(tokenizer.cut_for_search(text)) == list(jieba.dt.cut_for_search(text))
    assert loads == [1]


def _damaged(content: bytes) -> list[bytes]:
    start = content.index(b"}") + 1
    flipped = bytearray(content)
    flipped[-3] ^= 0x20  # a byte of a word
    frequency = bytearray(content)
    frequency[-(len(content) - start) + 8] ^= 1  # a frequency
    return [b"", content[:100], content[:-1], b"x" + content[1:], bytes(flipped), bytes(frequency)]


def test_a_damaged_or_foreign_file_is_not_read(kept: Path, tmp_path: Path) -> None:
    content = kept.read_bytes()
    other = content.replace(b'"format": 1', b'"format": 9', 1)
    assert other != content
    for number, damaged in enumerate([*_damaged(content), other]):
        path = tmp_path / f"{number}.bin"
        path.write_bytes(damaged)
        assert read_words(path, _unloadable) is None, number
    assert read_words(tmp_path / "none.bin", _unloadable) is None


def test_the_file_is_named_by_jiebas_version_and_dictionary(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RETROGEN_NO_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    (tmp_path / "dict.txt").write_text("客户 10 n\n", encoding="utf-8")
    fake = types.SimpleNamespace(__file__=str(tmp_path / "__init__.py"), DEFAULT_DICT_NAME="dict.txt", __version__="1")
    first = kept_path(fake)
    assert first is not None and first.parent == tmp_path / "cache" / "retrogen"
    assert kept_path(fake) == first
    assert kept_path(types.SimpleNamespace(**{**vars(fake), "__version__": "2"})) != first
    os.utime(tmp_path / "dict.txt", ns=(1, 1))
    assert kept_path(fake) != first
    monkeypatch.setenv("RETROGEN_NO_CACHE", "1")
    assert kept_path(fake) is None


def _run(script: str, cache: Path) -> list[str]:
    environment = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_CACHE_HOME": str(cache)}
    environment.pop("RETROGEN_NO_CACHE", None)
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=environment, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    return done.stdout.split()


SEGMENT = f"""
import sys
from retrogen.engine.text import _segmenter, terms
print(*terms({TEXTS[1]!r}), sep="|")
print(_segmenter().initialized and type(_segmenter().FREQ).__name__, "pkg_resources" in sys.modules)
import jieba
print(jieba.dt.initialized)
"""


def test_a_run_segmenting_a_few_texts_looks_words_up_and_a_damaged_file_is_made_again(
    jieba: Any, tmp_path: Path
) -> None:
    expected = "|".join(terms(TEXTS[1]))  # segmented here with jieba's table (RETROGEN_NO_CACHE: no file)
    first = _run(SEGMENT, tmp_path)
    assert first == [expected, "dict", "False", "True"]  # jieba's table loaded, and the file made
    (kept,) = (tmp_path / "retrogen").glob("jieba-words-*.bin")
    assert _run(SEGMENT, tmp_path) == [expected, "KeptWords", "False", "False"]  # the table never loaded
    made = kept.read_bytes()
    for damaged in _damaged(made)[::2]:
        kept.write_bytes(damaged)
        assert _run(SEGMENT, tmp_path) == [expected, "dict", "False", "True"]
        assert kept.read_bytes() == made
