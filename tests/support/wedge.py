"""Loaded into a test's worker only (`celery worker --include tests.support.wedge`): a remote
control command that blocks the worker's event loop for a while, as a stuck call in its main
process would, while the process and its other threads run on. Control commands run in that
loop (Celery's pidbox consumer), so this is a wedge from the inside, with no mock."""

from __future__ import annotations

import time
from typing import Any

from celery.worker.control import control_command


@control_command(args=[("seconds", float)], signature="<seconds>")
def wedge(state: Any, seconds: float) -> dict[str, str]:
    time.sleep(seconds)
    return {"ok": f"blocked the loop for {seconds:g} s"}
