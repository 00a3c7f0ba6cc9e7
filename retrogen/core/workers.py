"""Worker processes that end with the process that started them.

A ProcessPoolExecutor's workers wait for work on a pipe whose writing end they hold themselves, so when
the pool's process is killed (SIGKILL, the OOM killer) nothing ever wakes them: they wait forever. Pass
`exit_with_parent` as the pool's initializer and each worker ends as soon as that process has ended.
"""

from __future__ import annotations

import os
import threading


def exit_with_parent() -> None:
    """Pool initializer: end this worker when the process that created it ends, however it ends.

    `multiprocessing.parent_process()` is the pool's process with every start method (with forkserver the
    operating system's parent is the fork server, which outlives a killed pool while workers hold it open),
    and joining it waits on a pipe the operating system closes when that process ends: no polling, and
    no doubt about a reused process id. A parent that ended before this ran is noticed at once.
    """
    import multiprocessing  # here, not at the top: `check` of one file imports this module and starts no worker

    parent = multiprocessing.parent_process()
    if parent is None:  # not started by multiprocessing: nothing to watch
        return

    def watch() -> None:
        parent.join()
        os._exit(1)  # nothing to clean up: the results it would return have no one to go to

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
