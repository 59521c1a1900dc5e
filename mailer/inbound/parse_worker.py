"""Parses inbound mail in a long-lived child process that is killed when one message overruns its deadline."""

# A thread cannot be stopped, so the deadline is enforced outside the parser: the daemon sends a message's
# bytes over a socket pair to a worker (`python -c` importing this module, never the daemon's `__main__`) and
# waits at most `deadline_s` for the answer. On overrun the worker is killed (SIGKILL) and a new one is
# started for the next message; a worker that dies (a crash, the OOM killer, its RLIMIT_AS) is restarted the
# same way. The worker dies with the daemon (PR_SET_PDEATHSIG) and ends when its socket closes.

from __future__ import annotations

import gc
import importlib
import io
import logging
import os
import pickle
import signal
import subprocess
import threading
import time
import weakref
from collections.abc import Callable, Sequence
from multiprocessing.connection import Connection
from typing import Any

from mailer.children import die_with_parent, reap, spawn
from mailer.errors import TraffpunktError
from parsers import ParsedReply, parse_reply

log = logging.getLogger("traffpunkt.parse")

ParseFunction = Callable[[bytes], ParsedReply]

#: Address space a worker may use: a base for the interpreter and parsers, plus 10x the largest message.
MEMORY_BASE = 1_000_000_000
MEMORY_PER_MESSAGE_BYTE = 10
#: A tiny reply parsed once by each new worker before it says it is ready.
WARM_UP_MAIL = b"From: warm@example.org\r\nSubject: Re: x\r\n\r\nJa, jag kommer +1. Kyll\xc3\xa4 tuun.\r\n"

#: How long a new worker may take to import the parsers and say it is ready.
START_TIMEOUT_S = 60.0


class ParseFailure(TraffpunktError):
    """The parser gave no answer for a message; the text says why and is the quarantine reason."""


class ParseTimeout(ParseFailure, TimeoutError):
    """The parser overran the deadline and its worker was killed."""


class ParserCrashed(ParseFailure):
    """The parser raised, ran out of memory or its worker died."""


class ParserUnavailable(TraffpunktError):
    """No worker could be started (the environment, not the message): the message is left for later."""


def memory_limit_for(max_message_bytes: int) -> int:
    """The worker's RLIMIT_AS for a given `mail.max_message_bytes`: 1 GB + 10x the limit."""
    return MEMORY_BASE + MEMORY_PER_MESSAGE_BYTE * max(0, max_message_bytes)



def _serve(conn: Connection, parse: ParseFunction, memory_limit: int | None, parent_pid: int) -> None:
    """The worker's loop: bytes in, ("ok", ParsedReply) or ("error" | "fatal", text) out, until the socket
    closes; after "fatal" (out of memory) the worker exits."""
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the daemon's to handle; it ends us by EOF
    if memory_limit:
        import resource

        resource.setrlimit(resource.RLIMIT_AS, (memory_limit, memory_limit))
    try:  # load what the parser loads on first use (the learned models) before the first deadline starts
        parse(WARM_UP_MAIL)
    except Exception:  # noqa: BLE001 - a parser that fails here fails on the real mail, with its reason
        pass
    # The modules and tables loaded so far live as long as the worker: out of the collector's full passes,
    # which otherwise visit all of them (100-190 ms, inside some mail's deadline and reply latency).
    gc.freeze()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            return
        result: tuple[str, Any]
        try:
            result = ("ok", parse(raw))
        except MemoryError:  # the heap may be in a bad state: answer, then make way for a fresh worker
            result = ("fatal", f"it ran out of memory (the worker may use {memory_limit or 0:,} bytes)")
        except Exception as exc:  # any parser bug: reported for this message, the worker lives on
            result = ("error", f"{type(exc).__name__}: {exc}"[:500])
        del raw
        try:
            conn.send(result)
        except (OSError, EOFError):
            return
        except Exception as exc:  # an answer that cannot be pickled
            conn.send(("error", f"its answer could not be sent back: {type(exc).__name__}: {exc}"[:500]))
        if result[0] == "fatal":
            return


#: What an answer from the worker may contain: it parsed hostile mail, so the daemon unpickles nothing else.
_ALLOWED = {
    "builtins": {"tuple", "list", "dict", "set", "frozenset", "str", "bytes", "int", "float", "bool",
                 "object"},
    "copyreg": {"__newobj__", "_reconstructor"},
    "datetime": {"datetime", "date", "time", "timedelta", "timezone"},
    "zoneinfo": {"ZoneInfo"},
}


class _AnswerUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str) -> Any:
        if module.startswith("parsers.") or name in _ALLOWED.get(module, ()):
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a parser's answer")


def _load_answer(data: bytes) -> tuple[str, Any]:
    answer = _AnswerUnpickler(io.BytesIO(data)).load()
    if not (isinstance(answer, tuple) and len(answer) == 2 and isinstance(answer[0], str)):
        raise pickle.UnpicklingError("not a (kind, value) pair")
    return answer[0], answer[1]


def _function_name(fn: ParseFunction) -> str:
    name = f"{fn.__module__}:{fn.__qualname__}"
    if "<" in name:
        raise ValueError(f"the parse function must be defined at module level, not {name}")
    return name


def _load_function(name: str) -> ParseFunction:
    module, _, qualname = name.partition(":")
    target: Any = importlib.import_module(module)
    for part in qualname.split("."):
        target = getattr(target, part)
    return target  # type: ignore[no-any-return]


def _main(argv: Sequence[str]) -> None:
    """The worker process: argv is (fd of its socket, parse function as module:name, memory limit, daemon pid)."""
    fd, name, limit, parent = argv
    _serve(Connection(int(fd)), _load_function(name), int(limit) or None, int(parent))


def _reap(proc: subprocess.Popen[bytes], conn: Connection, grace_s: float) -> int | None:
    """Close the worker's socket (it exits at EOF), kill it if it has not after `grace_s`, and reap it."""
    conn.close()
    return reap(proc, grace_s)


def _describe_exit(code: int | None) -> str:
    if code is None:
        return "the worker stopped answering"
    if code < 0:
        try:
            name = signal.Signals(-code).name
        except ValueError:
            name = f"signal {-code}"
        hint = " (out of memory?)" if -code == signal.SIGKILL else ""
        return f"the worker was killed by {name}{hint}"
    return f"the worker exited with status {code}"


class ParseWorker:
    """One parse at a time in a child process, each bounded by `deadline_s`; thread-safe (calls queue up).

    `parse` must be a module-level function (the worker imports it by name). `memory_limit` is the
    child's RLIMIT_AS in bytes (None: no limit).
    """

    def __init__(self, deadline_s: float = 10.0, *, parse: ParseFunction = parse_reply,
                 memory_limit: int | None = None) -> None:
        if deadline_s <= 0:
            raise ValueError("deadline_s must be positive")
        self.deadline_s = deadline_s
        self.memory_limit = memory_limit
        self._name = _function_name(parse)
        self._proc: subprocess.Popen[bytes] | None = None
        self._conn: Connection | None = None
        self._lock = threading.Lock()
        self._finalizer: weakref.finalize[Any, Any] | None = None
        self._closing = threading.Event()  # close() ends a start under way (warm() at the daemon's start)
        self._closed = False
        #: How many workers were started (the first, then one after each kill or crash).
        self.starts = 0

    @property
    def pid(self) -> int | None:
        """The running worker's process id (None before the first message or after close)."""
        return self._proc.pid if self._proc is not None and self._alive() else None

    def _start(self) -> Connection:
        try:
            proc, conn = spawn("mailer.inbound.parse_worker", self._name, str(self.memory_limit or 0))
        except OSError as exc:
            raise ParserUnavailable(f"the parser worker did not start: {exc}") from exc
        self._proc, self._conn = proc, conn
        # a worker whose owner is dropped without close() (or the interpreter exits) is still reaped
        self._finalizer = weakref.finalize(self, _reap, proc, conn, 0.0)
        self.starts += 1
        try:
            if not self._answered(conn):
                raise ParserUnavailable("the parser worker did not start in time" if not self._closing.is_set()
                                        else "the parser worker was stopped while it started")
            _load_answer(conn.recv_bytes())
        except (EOFError, OSError, pickle.UnpicklingError) as exc:
            code = self._stop()
            raise ParserUnavailable(f"the parser worker did not start: {_describe_exit(code)}") from exc
        except ParserUnavailable:
            self._stop()
            raise
        return conn

    def _answered(self, conn: Connection) -> bool:
        """Whether a new worker said it is ready within START_TIMEOUT_S; close() in another thread ends the wait."""
        end = time.monotonic() + START_TIMEOUT_S
        while not self._closing.is_set():
            if conn.poll(max(0.0, min(0.05, end - time.monotonic()))):
                return True
            if time.monotonic() >= end:
                return False
        return False

    def warm(self) -> None:
        """Start the worker now if none runs, so the first message does not wait for it (the daemon does this
        as it starts); one that does not start is logged, and the first message tries again."""
        with self._lock:
            if self._closed or self._alive():
                return
            if self._proc is not None:
                self._stop()
            try:
                self._start()
            except ParserUnavailable as exc:
                if not self._closing.is_set():
                    log.warning("%s; the first message to read tries again", exc)

    def _alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def _stop(self, grace_s: float = 0.0) -> int | None:
        """Kill the worker (if alive, after `grace_s` to exit by itself) and reap it; returns its exit code."""
        proc, conn = self._proc, self._conn
        self._proc = self._conn = None
        if self._finalizer is not None:
            self._finalizer.detach()
            self._finalizer = None
        if proc is None or conn is None:
            return None
        return _reap(proc, conn, grace_s)

    def parse(self, raw: bytes) -> ParsedReply:
        """The parsed reply, or ParseTimeout / ParserCrashed (whose text is the reason to quarantine), or
        ParserUnavailable when no worker starts (nothing is wrong with the message)."""
        with self._lock:
            conn = self._conn
            if conn is None or not self._alive():
                if self._proc is not None:
                    self._stop()
                conn = self._start()
            try:
                conn.send_bytes(raw)
            except OSError:  # it died while idle (before reading this message): a new one gets it
                self._stop()
                conn = self._start()
                conn.send_bytes(raw)
            try:
                ready = conn.poll(self.deadline_s)
            except (OSError, EOFError):
                ready = True  # the worker is gone: recv below says how
            if not ready:
                self._stop()
                log.warning("parsing overran %s s; worker killed and restarted for the next message",
                            f"{self.deadline_s:g}")
                raise ParseTimeout(f"parsing took longer than {self.deadline_s:g} s")
            try:
                kind, value = _load_answer(conn.recv_bytes())
            except (EOFError, OSError):
                code = self._stop(grace_s=1.0)  # its socket closed: it is exiting; learn how
                raise ParserCrashed(f"the parser crashed: {_describe_exit(code)}") from None
            except (pickle.UnpicklingError, AttributeError, ValueError, TypeError) as exc:
                self._stop()  # a worker that answers with anything else is not trusted again
                raise ParserCrashed(f"the parser crashed: its answer was refused ({exc})") from None
            if kind == "ok" and isinstance(value, ParsedReply):
                return value
            if kind == "fatal":  # the worker is exiting: the next message gets a new one
                self._stop(grace_s=1.0)
            raise ParserCrashed(f"the parser crashed: {value}")

    def close(self) -> None:
        """Stop the worker: its socket closes, so it exits; killed if it does not within a second. A worker
        still starting is stopped at once; warm() starts none after this."""
        self._closed = True
        self._closing.set()
        try:
            with self._lock:
                self._stop(grace_s=1.0)
        finally:
            self._closing.clear()
