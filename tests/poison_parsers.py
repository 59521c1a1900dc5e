"""Parse functions for the worker that misbehave on a marked message, standing in for a parser that hangs
or crashes on crafted mail; everything else goes to the real parser. Imported by name in the worker."""

from __future__ import annotations

import os
from pathlib import Path

from mailer.parse_worker import ParseWorker
from parsers import ParsedReply, parse_reply

HANG = b"X-Poison: hang"
CRASH = b"X-Poison: crash"
#: When set, the worker writes its pid here before it hangs (so a test can see it die with the daemon).
PID_FILE_ENV = "TP_TEST_POISON_PID_FILE"


def misbehave(raw: bytes) -> ParsedReply:
    if HANG in raw:
        pid_file = os.environ.get(PID_FILE_ENV)
        if pid_file:
            Path(pid_file).write_text(str(os.getpid()), encoding="utf-8")
        while True:  # a catastrophic backtrack, as far as the daemon can tell
            pass
    if CRASH in raw:
        os._exit(70)
    return parse_reply(raw)


def worker(deadline_s: float, *, memory_limit: int | None = None) -> ParseWorker:
    """Stands in for `ParseWorker` in mailer.service: the same worker with `misbehave` as its parser."""
    return ParseWorker(deadline_s, parse=misbehave, memory_limit=memory_limit)
