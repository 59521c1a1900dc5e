"""Drain the outbox: render each due row, send it, record the outcome (sent only after the server's 250)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Protocol

from mailer.config import Mail
from mailer.errors import (
    PermanentFailure,
    ServerUnreachable,
    TemporaryFailure,
    TransportError,
    TransportSetupError,
)
from mailer.store import OutboxRow, Store
from mailer.transport import Transport

#: The longest wait between two attempts of one message.
MAX_RETRY_DELAY = timedelta(hours=6)


class Rendered(Protocol):
    """What the outbox needs of a rendered message (mailer.compose.Rendered has more)."""

    @property
    def sender(self) -> str: ...

    @property
    def recipient(self) -> str: ...

    @property
    def data(self) -> bytes: ...

    @property
    def message_id(self) -> str: ...


Render = Callable[[OutboxRow], Rendered]


@dataclass
class DrainReport:
    """What one drain did; `stopped` says why it ended early (stop requested, server unreachable...)."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed


def retry_delay(attempts: int, base_seconds: int) -> timedelta:
    """Wait before the next attempt after `attempts` earlier failed ones: base * 2**attempts, at most 6 h."""
    if attempts >= 20:  # 2**20 * base is far past the cap; avoid huge numbers
        return MAX_RETRY_DELAY
    return min(timedelta(seconds=base_seconds * 2 ** attempts), MAX_RETRY_DELAY)


def _same_id(a: str, b: str) -> bool:
    return a.strip().strip("<>") == b.strip().strip("<>")


class _Halt(Exception):
    """The transport cannot send now: stop the whole drain."""


class _SentMarks:
    """Records "sent" marks. With parallel senders and a database file, each mark commits on a second
    connection in its own thread, so one message's fsync (synchronous=FULL) overlaps the sending of the
    others; a sender still waits for its own mark before it takes its next row."""

    def __init__(self, store: Store, threaded: bool) -> None:
        self._store = store
        self._executor: ThreadPoolExecutor | None = None
        self._own: Store | None = None
        if threaded and store.path is not None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="traffpunkt-outbox")

    async def mark_sent(self, row_id: int, at: datetime) -> None:
        if self._executor is None:
            self._store.mark_sent(row_id, at)
            return
        await asyncio.get_running_loop().run_in_executor(self._executor, self._mark_in_thread, row_id, at)

    def _mark_in_thread(self, row_id: int, at: datetime) -> None:
        if self._own is None:
            assert self._store.path is not None
            self._own = Store.open(self._store.path)
        self._own.mark_sent(row_id, at)

    def _close_in_thread(self) -> None:
        if self._own is not None:
            self._own.close()

    async def aclose(self) -> None:
        if self._executor is not None:
            await asyncio.get_running_loop().run_in_executor(self._executor, self._close_in_thread)
            self._executor.shutdown(wait=True)


async def drain(
    store: Store,
    render: Render,
    transport: Transport,
    now: Callable[[], datetime],
    *,
    config: Mail,
    stop: asyncio.Event | None = None,
    limit: int | None = None,
    concurrency: int = 1,
) -> DrainReport:
    """Send every due outbox row once; rows are streamed from the store, never all held in memory.

    - sent: marked only after the transport returned (the server's 250);
    - temporary failure: retried after `retry_delay`, failed after `config.max_attempts` attempts;
    - permanent failure: failed; when the address was refused it is remembered as failing, and later
      rows to it fail without being sent;
    - render error (a template bug): that row fails with the reason; the drain goes on;
    - server unreachable or transport misconfigured: the row is left as it was and the drain stops
      (nothing was sent, so no attempt is charged);
    - `stop` set: the messages in flight are finished, then the drain returns.

    `concurrency` senders work in parallel (bounded again by the transport's own connection limit); a
    crash can then re-send up to that many messages (each with the Message-ID it had before).
    """
    report = DrainReport()
    queue: asyncio.Queue[OutboxRow | None] = asyncio.Queue(maxsize=max(1, concurrency) * 2)
    marks = _SentMarks(store, threaded=concurrency > 1)
    halted = asyncio.Event()

    def stopping() -> bool:
        return halted.is_set() or (stop is not None and stop.is_set())

    async def produce() -> None:
        taken = 0
        try:
            for row in store.due_outbox(now()):
                if stopping() or (limit is not None and taken >= limit):
                    break
                await queue.put(row)
                taken += 1
        finally:
            for _ in range(max(1, concurrency)):
                await queue.put(None)

    failures: list[Exception] = []

    async def work() -> None:
        while True:
            row = await queue.get()
            if row is None:
                return
            if stopping():
                continue  # left queued, untouched: a later drain sends it
            try:
                await _one(store, render, transport, now, config, row, report, marks)
            except _Halt:
                halted.set()
            except Exception as exc:  # e.g. the database failed: stop, then raise it to the caller
                failures.append(exc)
                halted.set()

    workers = [asyncio.create_task(work()) for _ in range(max(1, concurrency))]
    try:
        await produce()
        await asyncio.gather(*workers)
    except BaseException:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    finally:
        await marks.aclose()
    if failures:
        raise failures[0]
    if report.stopped is None and stop is not None and stop.is_set():
        report.stopped = "stop requested"
    return report


async def _one(store: Store, render: Render, transport: Transport, now: Callable[[], datetime], config: Mail,
               row: OutboxRow, report: DrainReport, marks: _SentMarks) -> None:
    """Render, send and record one row; raises _Halt when the transport cannot send at all."""
    if store.address_failing(row.recipient):
        store.mark_failed(row.id, f"not sent: {row.recipient} is marked as failing", now(),
                          address_failing=False)
        report.failed += 1
        return
    try:
        message = render(row)
        if not _same_id(message.message_id, row.message_id):
            raise ValueError(f"rendered Message-ID {message.message_id!r} is not the row's "
                             f"{row.message_id!r}")
    except Exception as exc:  # a template bug must not stop the other members' mail
        error = f"render failed: {type(exc).__name__}: {exc}"
        store.mark_failed(row.id, error, now(), address_failing=False)
        report.failed += 1
        report.errors.append(f"outbox {row.id} ({row.key}): {error}")
        return
    try:
        await transport.send(message.sender, message.recipient, message.data)
    except (ServerUnreachable, TransportSetupError) as exc:
        report.errors.append(f"outbox {row.id} ({row.key}): {exc}")
        report.stopped = str(exc)
        raise _Halt() from None
    except TemporaryFailure as exc:
        attempts = row.attempts + 1
        if attempts >= config.max_attempts:
            store.mark_failed(row.id, f"gave up after {attempts} attempts: {exc}", now(),
                              address_failing=False)
            report.failed += 1
        else:
            store.mark_retry(row.id, str(exc), now() + retry_delay(row.attempts, config.retry_base_seconds))
            report.retried += 1
        report.errors.append(f"outbox {row.id} ({row.key}): {exc}")
        return
    except PermanentFailure as exc:
        store.mark_failed(row.id, str(exc), now(), address_failing=exc.address_failing)
        report.failed += 1
        report.errors.append(f"outbox {row.id} ({row.key}): {exc}")
        return
    except TransportError as exc:  # any other transport error: unknown state, treat as temporary
        store.mark_retry(row.id, str(exc), now() + retry_delay(row.attempts, config.retry_base_seconds))
        report.retried += 1
        report.errors.append(f"outbox {row.id} ({row.key}): {exc}")
        return
    await marks.mark_sent(row.id, now())
    report.sent += 1
