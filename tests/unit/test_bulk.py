import gc

from retrogen.core.bulk import bulk_loading


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
