import gc
import platform
import subprocess
import sys

import pytest

from retrogen.core.bulk import bulk_loading, collector_paused


def test_the_collector_is_off_while_loading_and_what_was_loaded_is_frozen_after() -> None:
    assert gc.isenabled()
    try:
        with bulk_loading():
            assert not gc.isenabled()
            loaded = [[index] for index in range(1000)]
        assert gc.isenabled()
        assert gc.get_freeze_count() >= len(loaded)
    finally:
        gc.unfreeze()


def test_the_collector_stays_off_when_it_was_off_before() -> None:
    gc.disable()
    try:
        with bulk_loading():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
        gc.unfreeze()


def test_a_paused_collector_is_back_after_the_block_even_when_it_fails_and_nothing_is_frozen() -> None:
    assert gc.isenabled()
    frozen = gc.get_freeze_count()
    with collector_paused():
        assert not gc.isenabled()
        made = [[index] for index in range(1000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen < len(made)
    with pytest.raises(RuntimeError), collector_paused():
        raise RuntimeError("a table failed")
    assert gc.isenabled()


def test_a_paused_collector_stays_off_when_it_was_off_before() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_the_analysis_makes_its_tables_with_the_collector_paused(monkeypatch: pytest.MonkeyPatch) -> None:
    from datetime import date

    from retrogen.engine import analysis as analysis_module
    from retrogen.engine.history import GitHistory
    from retrogen.engine.model import KnowledgeBase

    seen = []
    monkeypatch.setattr(analysis_module, "closed_loop", lambda reviews, today: seen.append(gc.isenabled()))
    knowledge_base = KnowledgeBase([], date(2026, 12, 6))
    analysis_module.Analysis(knowledge_base, GitHistory()).loop  # noqa: B018 - computing it is the point
    assert seen == [False]
    assert gc.isenabled()


def test_what_is_kept_to_the_end_outlives_every_reference_and_a_collection() -> None:
    import weakref

    from retrogen.core.bulk import kept_to_the_end

    class Loaded:
        pass

    loaded = Loaded()
    alive = weakref.ref(loaded)
    try:
        kept_to_the_end(loaded)
        del loaded
        gc.collect()
        assert alive() is not None
    finally:
        gc.unfreeze()
    gc.collect()  # unfrozen, the list that held it is garbage like any other
    assert alive() is None


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="glibc's malloc keeps what is freed; others differ")
def test_memory_freed_is_given_back_to_the_system_though_what_is_kept_is_spread_through_it() -> None:
    """A build waits on MkDocs' process holding what the pages were made from resident: freed, but kept by
    the C library for later allocations, between the few objects still alive."""
    script = """
import sys
from retrogen.core.bulk import memory_given_back

def resident():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * 4096

made = [bytes(1000 + index % 7) for index in range(200_000)]  # 200 MB of the C library's own heap
kept = made[::64] + made[-1:]  # alive all through it, and at its top: no chunk at its end is free
del made
freed = resident()
memory_given_back()
print(freed, resident(), len(kept))
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    freed, given_back, _ = map(int, done.stdout.split())
    assert freed > 150 * 2**20  # the C library held what was freed
    assert given_back < freed - 120 * 2**20
