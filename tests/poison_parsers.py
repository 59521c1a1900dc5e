"""Parse functions for the worker that misbehave on a marked message, standing in for a parser that hangs
or crashes on crafted mail; everything else goes to the real parser. Imported by name in the worker."""

from __future__ import annotations

import os
from pathlib import Path

from mailer.inbound.parse_worker import ParseWorker
from parsers import ParsedReply, parse_reply

HANG = b"X-Poison: hang"
CRASH = b"X-Poison: crash"
RAISE = b"X-Poison: raise"
HOG = b"X-Poison: memory"
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
    if RAISE in raw:
        raise ValueError("no such charset x-klingon")
    if HOG in raw:
        hog = bytearray(10_000_000_000)  # 10 GB, far over the worker's RLIMIT_AS
        return parse_reply(bytes(hog[:10]))
    return parse_reply(raw)


def worker(deadline_s: float, *, memory_limit: int | None = None) -> ParseWorker:
    """Stands in for `ParseWorker` in mailer.service: the same worker with `misbehave` as its parser."""
    return ParseWorker(deadline_s, parse=misbehave, memory_limit=memory_limit)


def unimportable(raw: bytes) -> ParsedReply:
    """A parse function the worker cannot import: stands in for a broken installation."""
    return parse_reply(raw)


unimportable.__module__ = "no_such_module_here"


class _Exploit:
    """Unpickled, it would run a command in the daemon."""

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, ("touch /tmp/tp-pwned",))


def smuggle(raw: bytes) -> ParsedReply:
    """A parser taken over by a message, answering with a pickle that runs code when loaded."""
    return _Exploit()  # type: ignore[return-value]


def slow_to_start(raw: bytes) -> ParsedReply:
    """A parser whose first use (the worker's warm-up parse) takes 60 s: a worker that is slow to start."""
    if b"warm@example.org" in raw:
        import time

        time.sleep(60)
    return parse_reply(raw)
