"""Loading a whole knowledge base at once without the cyclic garbage collector walking it over and over.

Python's collector runs a full pass each time enough new objects have survived, and each pass walks every
object alive: reading 10,000 reviews (millions of small objects, none of them garbage) spent most of its time
there. Inside `bulk_loading` the collector is off (reference counting still frees whatever is dropped); at
its end what was loaded is frozen, so the passes that run later walk only what is made after it. Frozen
objects are never collected: use it only where what is loaded lives until the process ends (a command, not
`serve`).

`collector_paused` is the lighter kind, for the tables made after the load: the collector off while one is
made, back as it was after, nothing frozen.

`kept_to_the_end` is for a command's last step: what it loaded is never freed object by object (the system
takes the whole memory back when the process ends).

`memory_given_back` is for a process about to wait on another: what it freed is handed back to the system;
`freed_memory_returned` hands it back without a collection, where a run frees much as it goes.

`pickled_plainly` is for the frozen slotted dataclasses a knowledge base holds by the hundred thousand.
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


def kept_to_the_end(*objects: object) -> None:
    """Never free `objects`, nor what they hold, not even when the process ends: a command whose analysis is
    done with says so, and exits without taking 10,000 reviews apart one object at a time (0.18 s of a 2 s
    command). They go into a list that holds itself, frozen: no reference from outside is left for reference
    counting to drop, and neither the collector nor the interpreter's shutdown looks at frozen objects.

    Only for a process that ends soon (a command, never `serve`), and only once its tables are made: what is
    made after it, held by what it keeps, is walked by the collector's last passes at the end (the digest's
    tables made after it cost `remind` 0.3 s)."""
    kept: list[object] = [*objects]
    kept.append(kept)
    gc.freeze()


def memory_given_back() -> None:
    """Collect what is garbage and hand the memory freed so far back to the system, where the C library can
    (glibc's malloc_trim). The C library keeps what a process freed, for its next allocations: a process
    that then waits for long on another held it all resident beside it (the build, while MkDocs runs in a
    process of its own: 1.9 GB at 10,000 reviews, 0.86 GB given back)."""
    gc.collect()
    freed_memory_returned()


def freed_memory_returned() -> None:
    """Hand the memory freed so far back to the system, where the C library can (glibc's malloc_trim): what
    a process freed and the C library kept is resident, and objects made later in Python's own arenas do not
    reuse it."""
    import ctypes  # here: every command imports this module, `check` of one file among them (4 ms of 0.18 s)

    try:
        trim = ctypes.CDLL(None).malloc_trim
    except (OSError, AttributeError, TypeError):  # another C library (macOS, musl, Windows): nothing to do
        return
    trim(0)


def pickled_plainly(*classes: type) -> None:
    """Let pickle make objects of these frozen slotted dataclasses by its own path (a new object, then each
    slot set), with no call of Python per object as their __setstate__ would make: reading back ten thousand
    reviews' parts took a fifth more time, their facts for the checks across files a third more. Their frozen
    __setattr__, which that path would trip on, and their state methods are left out at run time; the type
    checker still holds them frozen."""
    for kind in classes:
        for method in ("__setattr__", "__delattr__", "__getstate__", "__setstate__"):
            if method in vars(kind):
                delattr(kind, method)
