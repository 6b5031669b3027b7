"""A background thread that ticks the job runner while ``piguard serve`` runs.

Every node ticks; the leases (not this thread) decide which node runs a due job, so starting
several servers never runs a job twice. A tick that fails (the database briefly unavailable)
is logged by its class and retried at the next tick.
"""

from __future__ import annotations

import logging
import threading

from piguard.jobs.runner import JobRunner

__all__ = ["JobTicker"]

log = logging.getLogger(__name__)


class JobTicker:
    """Ticks ``runner`` every ``interval`` seconds on a daemon thread until :meth:`stop`."""

    def __init__(self, runner: JobRunner, interval: float = 30.0) -> None:
        if interval <= 0:
            raise ValueError("interval must be positive")
        self._runner = runner
        self._interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="piguard-jobs", daemon=True)

    def start(self) -> JobTicker:
        self._thread.start()
        return self

    def stop(self, timeout: float = 30.0) -> None:
        """Stop after the current tick (a running job finishes under its lease)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._runner.tick()
            except Exception as exc:  # keep ticking: the next tick retries
                log.warning("job tick failed: %s", type(exc).__name__)
            self._stop.wait(self._interval)
