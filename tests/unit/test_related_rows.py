"""The related index's sparse rows in numpy alone (engine/related.py Rows, _Products): the very numbers
scipy.sparse gave, to the last bit, so that scores and their order stay what they were."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy.sparse import csr_matrix

from retrogen.engine.related import FEW_QUERIES, Rows, _Products

ROOT = Path(__file__).resolve().parents[2]


def _random_rows(seed: int, rows: int = 400, columns: int = 60) -> tuple[Rows, csr_matrix]:
    """Rows of 0 to 40 entries (longer rows than eight are where a pairwise sum would differ) in any order."""
    generator = np.random.default_rng(seed)
    lengths = generator.integers(0, 41, size=rows)
    lengths[generator.integers(0, rows, size=20)] = 0  # empty rows among them
    indices = np.concatenate([generator.permutation(columns)[:length] for length in lengths]).astype(np.int32)
    data = generator.random(len(indices)) * 10.0 ** generator.integers(-3, 4, size=len(indices))
    ours = Rows.of(data, indices, lengths, columns)
    theirs = csr_matrix((data, indices, np.concatenate([[0], np.cumsum(lengths)])), shape=(rows, columns))
    theirs.sort_indices()
    return ours, theirs


@pytest.mark.parametrize("seed", range(6))
def test_rows_sort_take_and_sum_as_scipy_does(seed: int) -> None:
    ours, theirs = _random_rows(seed)
    for name in ("data", "indices", "indptr"):
        assert getattr(ours, name).tolist() == getattr(theirs, name).tolist()
    picked = np.random.default_rng(seed).random(len(ours)) < 0.4
    taken, expected = ours.kept(picked), theirs[np.flatnonzero(picked)]
    for name in ("data", "indices", "indptr"):
        assert getattr(taken, name).tolist() == getattr(expected, name).tolist()
    counts = Rows(np.round(ours.data * 100).astype(np.int32), ours.indices, ours.indptr, ours.columns)
    scipy_counts = csr_matrix((counts.data, counts.indices, counts.indptr), shape=theirs.shape)
    assert counts.column_sums(10, 90).tolist() == scipy_counts[10:90].sum(axis=0).A1.tolist()


@pytest.mark.parametrize("seed", range(6))
def test_products_with_a_vector_are_scipys_to_the_last_bit(seed: int) -> None:
    ours, theirs = _random_rows(seed)
    products = _Products(ours)
    for draw in range(FEW_QUERIES + 3):  # this layout's products, then scipy's
        vector = np.random.default_rng(100 * seed + draw).random(ours.columns)
        vector[::7] = 0
        expected = theirs @ vector
        assert products.times(vector).view(np.int64).tolist() == expected.view(np.int64).tolist(), draw
    empty = Rows.of(np.zeros(0), np.zeros(0, dtype=np.int32), np.zeros(0, dtype=np.int64), 3)
    assert _Products(empty).times(np.ones(3)).tolist() == []


def test_a_related_command_imports_no_scipy() -> None:
    """A command asks a query or two: scipy.sparse, a tenth of a second to import, only for many."""
    script = (
        "import sys\n"
        "from tests.unit.test_related import REVIEWS\n"
        "from retrogen.engine.related import RelatedIndex\n"
        "index = RelatedIndex(REVIEWS)\n"
        "assert index.like_review(REVIEWS[0].id) and index.like_text('老客户')\n"
        "print(sorted(name for name in sys.modules if name.split('.')[0] == 'scipy'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=ROOT)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
