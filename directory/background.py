"""Periodic work in a daemon thread of each app process (the outbox retry, the counters' flush)."""

from __future__ import annotations

import atexit
import logging
import threading
import time
from collections.abc import Callable

from flask import Flask

log = logging.getLogger(__name__)


def every(app: Flask, name: str, interval: float, work: Callable[[], None], at_exit: bool = False) -> None:
    """Call `work` every `interval` seconds (and at exit, if asked); a failure is logged and the
    next round tries again. The thread starts on the process's first request, so that each of
    gunicorn's forked workers gets its own."""

    def safely() -> None:
        try:
            work()
        except Exception:  # noqa: BLE001 - keep going; the work is still there next round
            log.warning("%s failed", name, exc_info=True)

    def run() -> None:
        while True:
            time.sleep(interval)
            safely()

    started = threading.Event()

    @app.before_request
    def ensure_worker() -> None:
        if not started.is_set():
            started.set()
            if at_exit:
                atexit.register(safely)
            threading.Thread(target=run, name=name, daemon=True).start()
