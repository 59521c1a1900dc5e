"""Worker processes of the daemon (the parse worker, the render worker): starting one on a socket, and
what it does to never outlive the daemon."""

from __future__ import annotations

import ctypes
import json
import os
import signal
import socket
import subprocess
import sys
from multiprocessing.connection import Connection

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


def spawn(module: str, *args: str) -> tuple[subprocess.Popen[bytes], Connection]:
    """Start `module._main([fd, *args, daemon pid])` in a new interpreter with this one's sys.path, on the
    child's end of a socket pair; our end comes back. Raises OSError when the process cannot start."""
    boot = f"import json, sys; sys.path[:] = json.loads(sys.argv[1]); from {module} import _main; _main(sys.argv[2:])"
    mine, theirs = socket.socketpair()
    try:
        argv = [sys.executable, "-c", boot, json.dumps(sys.path), str(theirs.fileno()), *args, str(os.getpid())]
        proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                pass_fds=(theirs.fileno(),), close_fds=True)
    except OSError:
        mine.close()
        raise
    finally:
        theirs.close()
    return proc, Connection(mine.detach())


def reap(proc: subprocess.Popen[bytes], grace_s: float = 0.0) -> int | None:
    """Give a worker `grace_s` to exit on its own (its socket closed by the caller), then SIGKILL it if it
    still runs, and reap it; its exit code (None only if even SIGKILL did not end it within 5 s)."""
    if grace_s > 0:
        try:
            return proc.wait(grace_s)
        except subprocess.TimeoutExpired:
            pass
    if proc.poll() is None:
        proc.kill()
    try:
        return proc.wait(5.0)
    except subprocess.TimeoutExpired:  # pragma: no cover - a SIGKILLed process that does not end
        return None
