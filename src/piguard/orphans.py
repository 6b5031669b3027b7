"""Worker processes that do not outlive the process that forked them.

A forked worker blocks on its task pipe; when its parent is SIGKILLed the pipe never reaches EOF (the
sibling workers hold the other end), so the worker would wait for ever, holding whatever it inherited.
An import's workers inherited the opened keyring: an orphan would keep key material in memory.
"""

from __future__ import annotations

import os
import threading
import time

__all__ = ["exit_with_parent"]

#: How often a worker looks whether its parent is still there (seconds).
POLL = 0.5


def exit_with_parent(poll: float = POLL) -> None:
    """In a freshly forked worker: exit at once when the parent that forked it is gone.

    Polls ``os.getppid()`` (the process is re-parented when its parent dies) from a daemon thread;
    portable where ``prctl(PR_SET_PDEATHSIG)`` is Linux-only and not exposed by the standard library.
    """
    parent = os.getppid()

    def watch() -> None:
        while True:
            time.sleep(poll)
            if os.getppid() != parent:
                os._exit(1)  # no clean-up: the parent that would want it is gone

    threading.Thread(target=watch, name="exit-with-parent", daemon=True).start()
