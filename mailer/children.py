"""What a worker process of the daemon (the parse worker, the render worker) does to never outlive it."""

from __future__ import annotations

import ctypes
import os
import signal

_PR_SET_PDEATHSIG = 1


def die_with_parent(parent_pid: int) -> None:
    """Have the kernel SIGKILL this process when the daemon's thread that started it dies (Linux); elsewhere
    (and as well) a worker ends at its socket's EOF. Exits at once if the daemon is already gone."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux
        pass
    if os.getppid() != parent_pid:  # the daemon died before prctl took effect
        os._exit(1)
