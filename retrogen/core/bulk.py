"""Loading a whole knowledge base at once without the cyclic garbage collector walking it over and over.

Python's collector runs a full pass each time enough new objects have survived, and each pass walks every
object alive: reading 10,000 reviews (millions of small objects, none of them garbage) spent most of its time
there. Inside `bulk_loading` the collector is off (reference counting still frees whatever is dropped); at
its end what was loaded is frozen, so the passes that run later walk only what is made after it. Frozen
objects are never collected: use it only where what is loaded lives until the process ends (a command, not
`serve`).

`collector_paused` is the lighter kind, for the tables made after the load: the collector off while one is
made, back as it was after, nothing frozen.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def bulk_loading() -> Iterator[None]:
    """The collector off while the block loads, and what it loaded frozen after it."""
    with collector_paused():
        try:
            yield
        finally:
            gc.freeze()


@contextmanager
def collector_paused() -> Iterator[None]:
    """The collector off while the block makes many small objects that are no garbage (a table's rows, a
    timeline per action), and back as it was after. Reference counting still frees what the block drops;
    cycles it leaves wait for the next pass. Nothing is frozen: fit for `serve` too."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()
