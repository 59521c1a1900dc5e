"""Drain the outbox: render each due row, send it, record the outcome (sent only after the server's 250)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator, AsyncIterable, Callable
from contextlib import aclosing
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Protocol

from mailer.addresses import is_valid as is_valid_address
from mailer.config import Mail
from mailer.errors import (
    PermanentFailure,
    ServerUnreachable,
    TransportError,
    TransportSetupError,
)
from mailer.outbound.marks import SentMarks, Unmarked
from mailer.outbound.render_worker import WorkerSpec, prerendered
from mailer.outbound.report import DrainReport as DrainReport
from mailer.outbound.second_drain import SecondDrain, merge
from mailer.outbound.spare import prepare_of
from mailer.outbound.transport import Transport
from mailer.state.store import OutboxRow, Store

#: The longest wait between two attempts of one message.
MAX_RETRY_DELAY = timedelta(hours=6)


class Rendered(Protocol):
    """What the outbox needs of a rendered message (mailer.outbound.compose.Rendered has more)."""

    @property
    def sender(self) -> str: ...

    @property
    def recipient(self) -> str: ...

    @property
    def data(self) -> bytes: ...

    @property
    def message_id(self) -> str: ...


Render = Callable[[OutboxRow], Rendered]


#: How long a message in flight may still take once a stop was requested before it is abandoned.
STOP_GRACE_SECONDS = 2.0


def retry_delay(attempts: int, base_seconds: int) -> timedelta:
    """Wait before the next attempt after `attempts` earlier failed ones: base * 2**attempts, at most 6 h."""
    if attempts >= 20:  # 2**20 * base is far past the cap; avoid huge numbers
        return MAX_RETRY_DELAY
    return min(timedelta(seconds=base_seconds * 2 ** attempts), MAX_RETRY_DELAY)


def _same_id(a: str, b: str) -> bool:
    return a.strip().strip("<>") == b.strip().strip("<>")


@dataclass(frozen=True)
class _Unrendered:
    """A row whose rendering raised `error` (rendered ahead of its send)."""

    error: Exception


class _Halt(Exception):
    """The transport cannot send now, or the database cannot record: stop the whole drain."""


class _Aborted(Exception):
    """A stop was requested and the message in flight was not answered within the grace period."""


def _reason(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"


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
    unmarked: Unmarked | None = None,
    warn: Callable[[str], None] | None = None,
    stop_grace: float = STOP_GRACE_SECONDS,
    render_worker: WorkerSpec | None = None,
    rows: AsyncIterable[OutboxRow] | None = None,
) -> DrainReport:
    """Send every due outbox row once; rows are streamed from the store, never all held in memory.

    - sent: marked only after the transport returned (the server's 250);
    - temporary failure: retried after `retry_delay`, failed after `config.max_attempts` attempts;
    - permanent failure: failed; when the address was refused it is remembered as failing and its
      member becomes 'bouncing' (in the same transaction), and later rows to it fail without being sent;
    - any error of one row (a template bug, an address the transport refuses to write): that row fails
      (or is retried, when it may be the server's fault) with the reason; the drain goes on;
    - server unreachable or transport misconfigured: the row is left as it was and the drain stops
      (nothing was sent, so no attempt is charged); `report.unreachable` says why;
    - the "sent" mark cannot be written (disk full, database locked): the row is kept in `unmarked`, the
      drain stops, and the next drain writes those marks before it sends anything; they are never sent
      twice (`report.database` says why);
    - `stop` set: the messages in flight get `stop_grace` seconds to finish, then are abandoned (left
      queued, sent later with the same Message-ID); the drain returns.

    `warn` is called with each error as it happens. `concurrency` senders work in parallel (bounded
    again by the transport's own connection limit); a crash can then re-send up to that many messages
    (each with the Message-ID it had before). "Sent" marks are committed in groups of 32 or within 20 ms,
    without an fsync of their own (`marks.SentMarks`): a kill -9 can also repeat those not yet committed
    (at most 32 per sending process), an OS crash or power loss the up to 64 not yet synced, each with the
    same Message-ID.
    With `render_worker`, a drain of at least its threshold of rows goes partly through a worker process:
    over two or more connections that the transport can lend, a second drain (outbound/second_drain) sends
    the ranges of rows it asks for over half of them, with its own marks (a kill -9 then repeats what both
    had in flight and up to a group of marks each); over one connection the rows are rendered there
    (outbound/render_worker) and sent here. `rows`: drain these instead of the due rows (the second drain's).
    """
    report = DrainReport()
    unmarked = unmarked if unmarked is not None else Unmarked()
    if unmarked.rows:
        try:
            unmarked.flush(store)
        except Exception as exc:  # still not writable: send nothing that could not be recorded
            report.database = report.stopped = (f"{len(unmarked)} sent messages still cannot be recorded: "
                                                 f"{_reason(exc)}")
            return report
    queue: asyncio.Queue[tuple[OutboxRow, Rendered | _Unrendered] | None] = asyncio.Queue(
        maxsize=max(1, concurrency) * 2)
    halted = asyncio.Event()

    def refused(group: list[tuple[int, datetime]], exc: BaseException) -> None:
        # accepted by the server, their marks not recorded: kept in `unmarked`, never sent again
        unmarked.rows.update(group)
        ctx.database(f"{len(group)} sent messages cannot be recorded: {_reason(exc)}; their marks wait")
        halt()

    def halt() -> None:  # this drain stops, and the second with it
        halted.set()
        if second is not None:
            second.stop()

    marks = SentMarks(store, refused)
    ctx = _Drain(store, render, transport, now, config, report, marks, unmarked, stop, stop_grace, warn)

    def stopping() -> bool:
        return halted.is_set() or (stop is not None and stop.is_set())

    second = None
    if render_worker is not None and rows is None and limit is None:  # a large fan-out: two processes
        second = await SecondDrain.start(render_worker, store, transport, now(), concurrency, stop_grace)
        if second is not None:
            second.on_halt = halted.set  # it found the server or the database down: so do we
    senders = max(1, concurrency)  # (once a second drain is ready, the transport holds its connections)

    async def source() -> AsyncGenerator[tuple[OutboxRow, Rendered | None], None]:
        if rows is not None:  # (the second drain's rows, from the ranges the daemon hands it)
            async for row in rows:
                yield row, None
        elif second is None:
            async with aclosing(prerendered(store.due_outbox(now()), render_worker, now)) as items:
                async for item in items:
                    yield item
        else:
            for row in second.ranges.rows():
                yield row, None
            await second.wait(stopping, stop_grace)
            if second.took_over and not stopping():  # it never started, or died: its ranges are ours
                ctx.error(f"the second sender stopped ({second.failed or 'without a report'}); "
                          "the rest of its messages go from here")
                for row in second.ranges.taken_back():
                    yield row, None

    async def produce() -> None:
        taken = 0
        try:
            async with aclosing(source()) as items:
                async for row, message in items:
                    if stopping() or (limit is not None and taken >= limit):
                        break
                    # rendered here, ahead of the senders: while they wait for the server's answers
                    await queue.put((row, message if message is not None else ctx.render_ahead(row)))
                    taken += 1
        except Exception as exc:  # the database cannot be read: stop
            ctx.database(f"the outbox cannot be read: {_reason(exc)}")
            halt()
        finally:
            if second is not None:
                second.ranges.end()
            for _ in range(senders):
                await queue.put(None)

    async def work() -> None:
        while True:
            item = await queue.get()
            if item is None:
                return
            if stopping():
                continue  # left queued, untouched: a later drain sends it
            try:
                await ctx.one(*item)
            except _Halt:
                halt()

    workers = [asyncio.create_task(work()) for _ in range(senders)]
    watch = asyncio.create_task(ctx.abandon_after_stop()) if stop is not None else None
    try:
        await produce()
        await asyncio.gather(*workers)
        if second is not None:
            await second.wait(stopping, stop_grace)
    except BaseException:
        for w in workers:
            w.cancel()
        await asyncio.gather(*workers, return_exceptions=True)
        raise
    finally:
        if watch is not None:
            watch.cancel()
            await asyncio.gather(watch, return_exceptions=True)
        if second is not None:
            await asyncio.shield(second.close())
            merge(report, unmarked.rows, second)
            if second.report is not None and render_worker is not None:
                render_worker.rendered += second.report.sent
            if render_worker is not None and render_worker.spare is not None and not stopping():
                render_worker.spare.top_up(prepare_of(render_worker.config, render_worker.secret,
                                                      render_worker.database))  # for the next fan-out
        try:
            await marks.aclose()  # the drain's marks made durable (fsync) before it returns
        except Exception as exc:  # the disk refuses the fsync: recorded, but maybe not durable
            ctx.database(f"the sent marks cannot be synced to disk: {_reason(exc)}")
    if report.stopped is None and stop is not None and stop.is_set():
        report.stopped = "stop requested"
    return report


class _Drain:
    """One drain's shared state; `one(row)` renders, sends and records one row."""

    def __init__(self, store: Store, render: Render, transport: Transport, now: Callable[[], datetime],
                 config: Mail, report: DrainReport, marks: SentMarks, unmarked: Unmarked,
                 stop: asyncio.Event | None, stop_grace: float, warn: Callable[[str], None] | None) -> None:
        self.store, self.render, self.transport, self.now = store, render, transport, now
        self.config, self.report, self.marks, self.unmarked = config, report, marks, unmarked
        self.stop, self.stop_grace, self.warn = stop, stop_grace, warn
        #: Addresses this drain found failing (the rows already read say only what was known before).
        self.failing: set[str] = set()
        #: The senders' tasks waiting for the server, and those of them abandoned after a stop.
        self.sending: set[asyncio.Task[object]] = set()
        self.abandoned: set[asyncio.Task[object]] = set()

    def error(self, text: str) -> None:
        self.report.errors.append(text)
        if self.warn is not None:
            self.warn(text)

    def database(self, reason: str) -> None:
        if self.report.database is None:
            self.report.database = reason
            self.report.stopped = reason
            self.error(f"outbox stopped: {reason}")

    def _write(self, what: Callable[[], object]) -> None:
        """A state write for one row; when the database refuses, the drain stops (nothing else is lost:
        a row whose retry or failure is not recorded is simply tried again later)."""
        try:
            what()
        except Exception as exc:
            self.database(f"the database refuses writes: {_reason(exc)}")
            raise _Halt() from None

    def _fail(self, row: OutboxRow, error: str, *, address_failing: bool) -> None:
        self._write(lambda: self.store.mark_failed(row.id, error, self.now(), address_failing=address_failing))
        if address_failing:  # later rows to it in this drain fail unsent, as those read after it would
            self.failing.add(row.recipient.lower())
        self.report.failed += 1
        self.error(f"outbox {row.id} ({row.key}): {error}")

    def _retry(self, row: OutboxRow, error: str) -> None:
        attempts = row.attempts + 1
        if attempts >= self.config.max_attempts:
            self._fail(row, f"gave up after {attempts} attempts: {error}", address_failing=False)
            return
        at = self.now()
        self._write(lambda: self.store.mark_retry(
            row.id, f"{error} (at {at:%Y-%m-%d %H:%M:%S} UTC)",
            at + retry_delay(row.attempts, self.config.retry_base_seconds)))
        self.report.retried += 1
        self.error(f"outbox {row.id} ({row.key}): {error}")

    def render_ahead(self, row: OutboxRow) -> Rendered | _Unrendered:
        """The row's message, or why it could not be rendered (said when the row's turn comes)."""
        try:
            return self.render(row)
        except Exception as exc:  # noqa: BLE001 - recorded by `one` as the row's render failure
            return _Unrendered(exc)

    async def one(self, row: OutboxRow, rendered: Rendered | _Unrendered | None = None) -> None:
        """Raises _Halt when the transport cannot send at all or the database cannot record; `rendered`: the
        row's message when the render worker made it."""
        if not is_valid_address(row.recipient):
            self._fail(row, f"not sent: {row.recipient!r} is not a valid e-mail address", address_failing=True)
            return
        if row.address_failing or row.recipient.lower() in self.failing:  # (read with the row; or failed since)
            self._fail(row, f"not sent: {row.recipient} is marked as failing", address_failing=False)
            return
        try:
            message = rendered if rendered is not None else self.render(row)
            if isinstance(message, _Unrendered):
                raise message.error
            if not _same_id(message.message_id, row.message_id):
                raise ValueError(f"rendered Message-ID {message.message_id!r} is not the row's "
                                 f"{row.message_id!r}")
        except Exception as exc:  # a template bug must not stop the other members' mail
            self.report.render_failed += 1
            self._fail(row, f"render failed: {_reason(exc)}", address_failing=False)
            return
        try:
            await self._send(message)
        except _Aborted:
            self.report.aborted += 1
            self.report.stopped = (f"stop requested: a message the server had not answered within "
                                   f"{self.stop_grace:g} s was abandoned; it stays queued")
            return
        except (ServerUnreachable, TransportSetupError) as exc:  # the caller's backoff says it, once
            self.report.stopped = self.report.unreachable = str(exc)
            raise _Halt() from None
        except PermanentFailure as exc:
            self._fail(row, str(exc), address_failing=exc.address_failing)
            return
        except TransportError as exc:  # temporary, or unknown state: retry with backoff
            self._retry(row, str(exc))
            return
        except (ValueError, UnicodeError) as exc:  # the message cannot be written as SMTP: never will be
            self._fail(row, f"cannot be sent: {_reason(exc)}", address_failing=False)
            return
        except Exception as exc:  # anything else of this one message: retry it later, go on
            self._retry(row, f"send failed: {_reason(exc)}")
            return
        self.report.sent += 1
        try:
            await self.marks.mark_sent(row.id, self.now())
        except Exception as exc:  # accepted by the server but not recorded: never send it again
            self.unmarked.rows[row.id] = self.now()
            self.database(f"a sent message cannot be recorded: {_reason(exc)}; its mark waits")
            raise _Halt() from None

    async def _send(self, message: Rendered) -> None:
        """transport.send, in the sender's own task (no task of its own: it costs the loop more than the
        send); `abandon_after_stop` cancels it `stop_grace` seconds after a stop request if still unanswered."""
        task = asyncio.current_task()
        assert task is not None
        self.sending.add(task)
        try:
            await self.transport.send(message.sender, message.recipient, message.data)
        except asyncio.CancelledError:
            if task not in self.abandoned:
                raise
            self.abandoned.discard(task)
            task.uncancel()
            raise _Aborted() from None
        finally:
            self.sending.discard(task)

    async def abandon_after_stop(self) -> None:
        """Once a stop is requested, give the messages in flight `stop_grace` seconds, then abandon those
        still unanswered (left queued: sent later with the same Message-ID)."""
        assert self.stop is not None
        await self.stop.wait()
        await asyncio.sleep(self.stop_grace)
        for task in list(self.sending):
            self.abandoned.add(task)
            task.cancel()
