"""The processes a worker starts (its pool, its embedded beat) end when its main process is gone.

A worker's main process killed with SIGKILL (the OOM killer, `kill -9`) cannot stop its children:
re-parented to PID 1 they would keep their memory, hold messages, and an embedded beat would go
on sending the sweep beside the restarted worker's. So each child watches its parent from a
thread and ends once it has been re-parented.

Why not `prctl(PR_SET_PDEATHSIG)`: the kernel sends that signal when the *thread* that forked
the child ends, not the process (prctl(2)); which thread forks a pool process is billiard's
business, and a pool process killed during a graceful shutdown would lose the task it was
finishing. A thread reading getppid() twice a second is cheap, portable and never wrong about
the parent being gone. `moderation up` also kills the whole process group of a worker that
died, which is immediate.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable
from typing import Any

from celery.signals import worker_process_init

POLL_SECONDS = 0.5


def end_with_parent(
    on_orphaned: Callable[[], object] = lambda: os._exit(1), poll: float = POLL_SECONDS
) -> None:
    """Call ``on_orphaned`` (by default: exit now) once this process's parent is gone."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(poll)
        on_orphaned()

    threading.Thread(target=watch, name="lifeline", daemon=True).start()


@worker_process_init.connect(weak=False)
def _pool_process(**_kwargs: Any) -> None:
    end_with_parent()
