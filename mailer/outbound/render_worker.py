"""Renders a large drain's messages in a worker process on the other core; the daemon still sends and marks."""

# Rendering is pure: Composer.render reads the member and the meeting and writes nothing (the worker's
# connection is read-only, `PRAGMA query_only`), so a batch the worker did not return is simply rendered
# again in the daemon. The daemon sends the worker (config, secret, database path) once, then batches of due
# rows with the drain's clock value; the worker answers each batch in order with one (row id, sender,
# recipient, message_id, data) per row, or (row id, None) where rendering raised (the daemon renders that
# row itself and records the reason). A few batches are in flight at a time, so memory stays bounded. The
# worker is a `python -c` child importing this module (never the daemon's `__main__`); it dies with the
# daemon (PR_SET_PDEATHSIG, and it exits at its socket's EOF) and is stopped when the drain ends.

from __future__ import annotations

import asyncio
import io
import logging
import os
import pickle
import signal
import socket
import struct
import subprocess
import threading
from collections import deque
from collections.abc import AsyncGenerator, Callable, Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import aclosing
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from mailer.children import die_with_parent, reap, spawn
from mailer.config import Config
from mailer.outbound.spare import Spare
from mailer.state.store import OutboxRow

log = logging.getLogger("traffpunkt")

#: Rows per batch sent to the worker, and batches in flight (rendered or being rendered, not yet sent).
BATCH_ROWS = 64
IN_FLIGHT = 3
#: How long a new worker may take to start; how long one batch may take before the worker is given up.
START_TIMEOUT_S = 30.0
BATCH_TIMEOUT_S = 30.0


@dataclass(frozen=True)
class Prerendered:
    """A message the worker rendered (the outbox's `Rendered`)."""

    sender: str
    recipient: str
    data: bytes
    message_id: str


@dataclass
class WorkerSpec:
    """What a render worker needs (the daemon's config and token secret, the database file), from how many
    due rows a drain uses it (0: never), and what the last drains did with it."""

    config: Config
    secret: bytes
    database: Path
    threshold: int = 200
    #: The pid of every worker started so far (newest last), and how many messages workers rendered.
    pids: list[int] = field(default_factory=list)
    rendered: int = 0
    #: A second-drain worker started ahead of the next large fan-out (the daemon keeps one: outbound/spare).
    spare: Spare | None = None


class WorkerGone(Exception):
    """The worker did not start, died or stopped answering: the daemon renders the rest itself."""


# -- the worker process -----------------------------------------------------------------------------------


def _read_batches(conn: Connection, batches: deque[bytes], ready: threading.Condition) -> None:
    """The worker's reader thread: takes every batch off the socket at once (so the daemon never blocks on a
    full socket while the worker writes an answer); at EOF the daemon is gone or done, and so is the worker."""
    while True:
        try:
            raw = conn.recv_bytes()
        except (EOFError, OSError):
            os._exit(0)
        with ready:
            batches.append(raw)
            ready.notify()


def _render_batch(composer: Any, now: datetime, rows: Sequence[OutboxRow]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for row in rows:
        try:
            m = composer.render(row, now)
            out.append((row.id, m.sender, m.recipient, m.message_id, m.data))
        except Exception:  # noqa: BLE001 - the daemon renders this row again itself and records why
            out.append((row.id, None))
    return out


def _serve(conn: Connection, parent_pid: int) -> None:
    die_with_parent(parent_pid)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the daemon's; it ends us by EOF
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    from mailer.outbound.compose import Composer
    from mailer.state.store import Store

    try:
        config, secret, database = pickle.loads(conn.recv_bytes())  # noqa: S301 - from the daemon that started us
        composer = Composer(config, Store.open_readonly(database), secret)
    except Exception as exc:  # noqa: BLE001 - said to the daemon, which renders itself
        conn.send(("failed", f"{type(exc).__name__}: {exc}"[:500]))
        return
    conn.send(("ready", os.getpid()))
    batches: deque[bytes] = deque()
    ready = threading.Condition()
    threading.Thread(target=_read_batches, args=(conn, batches, ready), daemon=True).start()
    while True:
        with ready:
            while not batches:
                ready.wait()
            raw = batches.popleft()
        now, rows = pickle.loads(raw)  # noqa: S301 - from the daemon
        answer = pickle.dumps(_render_batch(composer, now, rows), protocol=pickle.HIGHEST_PROTOCOL)
        try:
            conn.send_bytes(answer)
        except OSError:
            os._exit(0)


def _main(argv: Sequence[str]) -> None:
    """The worker process: argv is (fd of its socket, the daemon's pid)."""
    fd, parent = argv
    _serve(Connection(int(fd)), int(parent))


# -- the daemon's side ------------------------------------------------------------------------------------

class _AnswerUnpickler(pickle.Unpickler):
    """An answer is tuples of str, bytes, int and None: no class may be loaded."""

    def find_class(self, module: str, name: str) -> Any:
        raise pickle.UnpicklingError(f"{module}.{name} is not allowed in a render worker's answer")


def _parse_answer(data: bytes, rows: Sequence[OutboxRow]) -> list[Prerendered | None]:
    answer = _AnswerUnpickler(io.BytesIO(data)).load()
    if not isinstance(answer, list) or len(answer) != len(rows):
        raise WorkerGone("the render worker answered another batch")
    out: list[Prerendered | None] = []
    for row, item in zip(rows, answer, strict=True):
        if not isinstance(item, tuple) or not item or item[0] != row.id:
            raise WorkerGone("the render worker answered out of order")
        if len(item) == 5 and all(isinstance(v, str) for v in item[1:4]) and isinstance(item[4], bytes):
            out.append(Prerendered(sender=item[1], recipient=item[2], message_id=item[3], data=item[4]))
        else:
            out.append(None)
    return out


#: The largest answer taken from a worker (a batch of 64 messages is about 1 MB).
MAX_ANSWER_BYTES = 256 << 20


def frame(data: bytes) -> bytes:
    """multiprocessing.Connection's framing: a 4-byte big-endian length (-1 and 8 bytes when larger)."""
    if len(data) > 0x7FFFFFFF:
        return struct.pack("!i", -1) + struct.pack("!Q", len(data)) + data
    return struct.pack("!i", len(data)) + data


async def read_frame(reader: asyncio.StreamReader, limit: int = MAX_ANSWER_BYTES) -> bytes:
    """One frame as `frame` writes it; WorkerGone when it is larger than `limit`."""
    (size,) = struct.unpack("!i", await reader.readexactly(4))
    if size == -1:
        (size,) = struct.unpack("!Q", await reader.readexactly(8))
    if size < 0 or size > limit:
        raise WorkerGone(f"a worker process sent a frame of {size} bytes")
    return await reader.readexactly(size)


class RenderWorker:
    """One worker process for one drain: `spawn` and `wait_ready` (blocking: the drain runs them in `io`),
    then `open_stream`, `send_batch` and `answer` in order, on the event loop; `close` stops it."""

    def __init__(self, spec: WorkerSpec) -> None:
        self.spec = spec
        self.io = ThreadPoolExecutor(max_workers=1, thread_name_prefix="traffpunkt-render")
        self.proc: subprocess.Popen[bytes] | None = None
        self.conn: Connection | None = None
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    def spawn(self) -> int:
        """Start the process (from the daemon's own thread: PR_SET_PDEATHSIG is tied to it); its pid."""
        try:
            self.proc, self.conn = spawn("mailer.outbound.render_worker")
        except OSError as exc:
            raise WorkerGone(f"the render worker did not start: {exc}") from exc
        return self.proc.pid

    def wait_ready(self) -> None:
        conn = self._conn()
        try:
            conn.send_bytes(pickle.dumps((self.spec.config, self.spec.secret, str(self.spec.database))))
            if not conn.poll(START_TIMEOUT_S):
                raise WorkerGone("the render worker did not start in time")
            kind, value = _AnswerUnpickler(io.BytesIO(conn.recv_bytes())).load()
        except Exception as exc:  # whatever went wrong, the daemon renders itself
            raise WorkerGone(f"the render worker did not start: {type(exc).__name__}: {exc}") from None
        if kind != "ready":
            raise WorkerGone(f"the render worker did not start: {value}")

    async def open_stream(self) -> None:
        """Once ready: the batches go over the same socket through the event loop (no thread: a thread
        taking each answer off the socket waited for the GIL, and stalled the drain, at every batch)."""
        conn = self._conn()
        sock = socket.socket(fileno=os.dup(conn.fileno()))
        try:
            self.reader, self.writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
        except BaseException:
            sock.close()
            raise

    async def send_batch(self, now: datetime, rows: Sequence[OutboxRow]) -> None:
        """One batch to the worker, framed as multiprocessing.Connection frames it (its reader takes it)."""
        if self.writer is None:
            raise WorkerGone("the render worker is not running")
        try:
            data = pickle.dumps((now, list(rows)), protocol=pickle.HIGHEST_PROTOCOL)
            self.writer.write(frame(data))
            await asyncio.wait_for(self.writer.drain(), BATCH_TIMEOUT_S)
        except Exception as exc:  # gone, or a row that cannot be pickled: the daemon renders the rest
            raise WorkerGone(f"the render worker cannot take a batch: {type(exc).__name__}: {exc}") from None

    async def answer(self, rows: Sequence[OutboxRow]) -> list[Prerendered | None]:
        """The worker's answer to the oldest batch in flight."""
        if self.reader is None:
            raise WorkerGone("the render worker is not running")
        try:
            data = await asyncio.wait_for(read_frame(self.reader), BATCH_TIMEOUT_S)
        except TimeoutError:
            raise WorkerGone(f"the render worker gave no answer within {BATCH_TIMEOUT_S:g} s") from None
        except (asyncio.IncompleteReadError, OSError) as exc:
            raise WorkerGone(f"the render worker is gone ({type(exc).__name__})") from None
        try:
            return _parse_answer(data, rows)
        except WorkerGone:
            raise
        except Exception as exc:  # a worker that answers anything else is not trusted again
            raise WorkerGone(f"the render worker's answer was refused: {type(exc).__name__}: {exc}") from None

    def _conn(self) -> Connection:
        if self.conn is None:
            raise WorkerGone("the render worker is not running")
        return self.conn

    def close(self, busy: bool) -> None:
        """Stop the worker: it exits at its socket's EOF; when `busy` (an `io` call may still wait on it) or
        if it has not exited within a second, it is killed (it only renders: nothing is lost)."""
        proc, conn = self.proc, self.conn
        if proc is not None and busy:
            proc.kill()
        if self.writer is not None:  # (its transport holds a second descriptor of the socket)
            self.writer.transport.abort()
            self.reader = self.writer = None
        self.io.shutdown(wait=True)  # (the call waiting on the killed worker returns at its EOF)
        if conn is not None:
            conn.close()
        if proc is not None:
            reap(proc, 1.0)
        self.proc = self.conn = None


async def prerendered(rows: Iterable[OutboxRow], spec: WorkerSpec | None, now: Callable[[], datetime],
                      ) -> AsyncGenerator[tuple[OutboxRow, Prerendered | None], None]:
    """Each due row with its message when the worker rendered it, else None (the drain renders it).

    Fewer than `spec.threshold` rows (or no spec): all None, no worker. Else a worker starts; until it is
    ready the rows are rendered in the daemon, then batches go through the worker. If the worker dies or
    stalls, the rows it held and all the rest come back as None."""
    source = iter(rows)
    threshold = spec.threshold if spec is not None else 0
    head = list(islice(source, threshold)) if threshold > 0 else []
    if spec is None or len(head) < threshold or threshold <= 0:
        for row in head:
            yield row, None
        for row in source:
            yield row, None
        return
    worker = RenderWorker(spec)
    loop = asyncio.get_running_loop()
    busy = False
    try:
        try:
            pid = worker.spawn()
        except WorkerGone as exc:
            log.warning("%s; rendering in the daemon", exc)
            for row in [*head, *source]:
                yield row, None
            return
        spec.pids[:] = [*spec.pids[-9:], pid]
        log.info("rendering a drain of %d+ messages in worker process %d", threshold, pid)
        busy = True
        started = loop.run_in_executor(worker.io, worker.wait_ready)
        started.add_done_callback(lambda f: f.cancelled() or f.exception())  # (read in `_through`, if reached)
        for row in head:  # rendered here while the worker starts ...
            yield row, None
        while not started.done():  # ... and more, until it is ready (it takes about 0.3 s to start)
            next_row = next(source, None)
            if next_row is None:
                break
            yield next_row, None
        async with aclosing(_through(worker, started, source, now)) as through:
            async for item in through:
                yield item
        busy = False
    finally:
        await asyncio.shield(loop.run_in_executor(None, worker.close, busy))


async def _through(worker: RenderWorker, started: asyncio.Future[None], source: Iterator[OutboxRow],
                   now: Callable[[], datetime]) -> AsyncGenerator[tuple[OutboxRow, Prerendered | None], None]:
    pending: deque[list[OutboxRow]] = deque()
    try:
        await started
        await worker.open_stream()
        while True:
            while len(pending) < IN_FLIGHT:
                batch = list(islice(source, BATCH_ROWS))
                if not batch:
                    break
                pending.append(batch)
                await worker.send_batch(now(), batch)
            if not pending:
                return
            batch = pending[0]
            messages = await worker.answer(batch)
            pending.popleft()
            worker.spec.rendered += sum(1 for m in messages if m is not None)
            for row, message in zip(batch, messages, strict=True):
                yield row, message
    except WorkerGone as exc:
        log.warning("%s; the daemon renders the rest of this drain", exc)
    for batch in pending:  # the rows the worker held: rendered here (rendering is pure: none sent twice)
        for row in batch:
            yield row, None
    for row in source:
        yield row, None
