"""The daemon's side of a second drain in a worker process (outbound/drain_worker) for a large fan-out over
several connections: the due rows handed out in id ranges from one cursor, the worker started on connections
the transport lends, stopped, waited for, and its report read."""

# Protocol (multiprocessing.Connection framing on a socket pair, mailer.children.spawn). Daemon -> worker: a
# pickled Prepare (outbound/spare; a spare got it long before), one pickled Job, then JSON frames
# {"range": [after, upto]} (drain the due rows with ids in (after, upto]), {"end": true} (no rows left: finish
# and report) or {"stop": true}. Worker -> daemon: JSON frames {"warm": pid} (prepared; ignored here),
# {"ready": pid}, {"more": true} (it wants the next range; it asks one range ahead), {"warn": text}, and one
# {"report": {...}} (its DrainReport and the marks the database refused), then it exits. Each side writes
# only the rows it holds, so each row is sent once; a worker that died is waited for before the daemon takes
# the rows of the ranges it held (those still queued: only a crash repeats the messages it had in flight).

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import os
import pickle
import socket
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from multiprocessing.connection import Connection
from typing import TYPE_CHECKING, Any

from mailer.children import reap
from mailer.config import Config
from mailer.outbound.render_worker import WorkerGone, WorkerSpec, frame, read_frame
from mailer.outbound.report import DrainReport
from mailer.outbound.spare import prepare_of
from mailer.outbound.spare import start as start_worker

if TYPE_CHECKING:
    from mailer.outbound.smtp import Loan
    from mailer.state.store import OutboxRow, Store

log = logging.getLogger("traffpunkt")

#: Rows per range: what the daemon takes for itself at a time, and hands the worker per request.
RANGE_ROWS = 64
#: How long the worker may take to stop once asked, beyond its own grace for the messages in flight.
STOP_MARGIN_S = 10.0
#: The largest frame taken from the worker (a warning or its report).
MAX_FRAME_BYTES = 16 << 20


@dataclass(frozen=True)
class Job:
    """What the worker drains with, beyond its Prepare: the config (its [mail.smtp] is the loan's), the daemon's
    clock at the start (the worker's runs on from it), the stop grace, the SMTP client name."""

    config: Config
    now: datetime
    stop_grace: float
    local_hostname: str | None


class Ranges:
    """One cursor over the due rows, in id order: the daemon's senders take rows (`rows`), the worker ranges
    (`take`); no row is in both. `given` keeps the worker's ranges, for taking them back if it dies."""

    def __init__(self, store: Store, now: datetime) -> None:
        self.store, self.now = store, now
        self.last = 0
        self.ended = False
        self.given: list[tuple[int, int]] = []

    def take(self) -> tuple[int, int] | None:
        """The next range for the worker; None when no due row is left (or `end()` was called)."""
        if self.ended:
            return None
        upto = self.store.due_range_end(self.now, self.last, RANGE_ROWS)
        if upto is None:
            return None
        span, self.last = (self.last, upto), upto
        self.given.append(span)
        return span

    def rows(self) -> Iterator[OutboxRow]:
        """The daemon's own rows, a range at a time (one query each), until none is left."""
        while not self.ended:
            batch = list(islice(self.store.due_outbox(self.now, RANGE_ROWS, after=self.last), RANGE_ROWS))
            if not batch:
                return
            self.last = batch[-1].id
            yield from batch

    def end(self) -> None:
        """Hand out nothing more (a stop, or the drain halted)."""
        self.ended = True

    def taken_back(self) -> Iterator[OutboxRow]:
        """The rows of the worker's ranges still queued, once it is gone (never while it may still send)."""
        for after, upto in self.given:
            yield from self.store.due_outbox(self.now, RANGE_ROWS, after=after, upto=upto)
        self.given = []


def _report(data: dict[str, Any]) -> tuple[DrainReport, dict[int, datetime]]:
    """The worker's report as a DrainReport and its refused marks; raises on anything else."""
    names = {f.name for f in dataclasses.fields(DrainReport)}
    report = DrainReport(**{k: v for k, v in data.items() if k in names})
    for name in ("sent", "retried", "failed", "render_failed", "aborted"):
        if not isinstance(getattr(report, name), int):
            raise ValueError(f"{name} is not a number")
    if not isinstance(report.errors, list) or not all(isinstance(e, str) for e in report.errors):
        raise ValueError("errors is not a list of text")
    for name in ("stopped", "unreachable", "database"):
        if not isinstance(getattr(report, name), str | None):
            raise ValueError(f"{name} is not text")
    unmarked = {int(row_id): datetime.fromisoformat(at) for row_id, at in data.get("unmarked", [])}
    return report, unmarked


class SecondDrain:
    """The daemon's handle on one drain worker: `start` (None when no worker is worth it or possible), then
    `stop` at any time, `wait` until it is done or gone, `close`. Until the worker is ready the daemon sends
    over every connection; then the lent ones are taken from it before the worker gets its first range.
    `report` is its DrainReport once it answered; `took_over` says its ranges are the daemon's again (it
    never started, or died)."""

    def __init__(self, proc: subprocess.Popen[bytes], conn: Connection, loan: Loan, ranges: Ranges) -> None:
        self.proc, self.conn, self.loan, self.ranges = proc, conn, loan, ranges
        self.report: DrainReport | None = None
        self.unmarked: dict[int, datetime] = {}
        self.failed: str | None = None
        self.done = asyncio.Event()
        self.writer: asyncio.StreamWriter | None = None
        self._events: asyncio.Task[None] | None = None
        self._stopped = False
        #: Called when the worker's report says the server or the database stopped it.
        self.on_halt: Callable[[], None] | None = None

    @classmethod
    async def start(cls, spec: WorkerSpec, store: Store, transport: object, now: datetime,
                    concurrency: int, stop_grace: float) -> SecondDrain | None:
        """A worker for half the connections, when at least `spec.threshold` rows are due and the transport
        lends connections (SMTP without a felt rate limit: SmtpTransport.lend)."""
        lend = getattr(transport, "lend", None)
        if lend is None or spec.threshold <= 0 or concurrency < 2 or store.path is None:
            return None
        if store.due_count(now, spec.threshold) < spec.threshold:
            return None
        loan: Loan | None = lend(concurrency // 2)
        if loan is None:
            return None
        config = dataclasses.replace(spec.config, mail=dataclasses.replace(spec.config.mail, smtp=loan.settings))
        job = Job(config, now, stop_grace, loan.local_hostname)
        prepare = prepare_of(spec.config, spec.secret, spec.database)
        try:
            proc, conn = spec.spare.take(prepare) if spec.spare is not None else start_worker(prepare)
        except OSError as exc:
            loan.give_back()
            log.warning("the second sender did not start (%s); the daemon sends it all", exc)
            return None
        second = cls(proc, conn, loan, Ranges(store, now))
        try:
            conn.send_bytes(pickle.dumps(job, protocol=pickle.HIGHEST_PROTOCOL))
            sock = socket.socket(fileno=os.dup(conn.fileno()))
            reader, second.writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
        except Exception as exc:  # noqa: BLE001 - the daemon sends it all
            await second.close()
            log.warning("the second sender did not start (%s: %s); the daemon sends it all",
                        type(exc).__name__, exc)
            return None
        spec.pids[:] = [*spec.pids[-9:], proc.pid]
        second._events = asyncio.create_task(second._read(reader))
        log.info("sending a drain of %d+ messages from two processes (worker %d)", spec.threshold, proc.pid)
        return second

    @property
    def took_over(self) -> bool:
        """The worker's ranges are the daemon's: it is done without a report (never started, or died)."""
        return self.done.is_set() and self.report is None

    def _say(self, obj: dict[str, Any]) -> None:
        if self.writer is not None and not self.done.is_set():
            self.writer.write(frame(json.dumps(obj).encode()))

    async def _read(self, reader: asyncio.StreamReader) -> None:
        try:
            while True:
                message = json.loads(await read_frame(reader, MAX_FRAME_BYTES))
                if not isinstance(message, dict):
                    raise ValueError("not an object")
                if "ready" in message:  # from now on it sends: the daemon's side leaves it its connections
                    await self.loan.take()
                elif "more" in message:
                    span = None if self._stopped else self.ranges.take()
                    self._say({"range": list(span)} if span is not None else {"end": True})
                elif "warn" in message:
                    log.warning("%s", str(message["warn"]))
                elif "failed" in message:
                    self.failed = str(message["failed"])[:500]
                elif "report" in message:
                    self.report, self.unmarked = _report(message["report"])
                    if (self.report.unreachable or self.report.database) and self.on_halt is not None:
                        self.on_halt()
                    return
        except (asyncio.IncompleteReadError, OSError, WorkerGone) as exc:
            self.failed = self.failed or f"the second sender is gone ({type(exc).__name__})"
        except Exception as exc:  # noqa: BLE001 - a worker that says anything else is not trusted
            self.failed = f"the second sender's answer was refused: {type(exc).__name__}: {exc}"
        finally:
            if self.report is None:  # gone without a report: make sure it is, before its ranges are taken
                await asyncio.get_running_loop().run_in_executor(None, self._end, True)
            self.loan.give_back()  # its connections are closed: the daemon's side may use them again
            self.done.set()

    def stop(self) -> None:
        """Ask the worker to stop (it gives its messages in flight the same grace as the daemon's)."""
        if self._stopped:
            return
        self._stopped = True
        try:
            self._say({"stop": True})
        except Exception:  # noqa: S110, BLE001 - gone: `done` follows
            pass

    async def wait(self, stopping: Callable[[], bool], grace: float) -> None:
        """Until the worker reported or is gone; once stopping, at most grace + STOP_MARGIN_S more."""
        while not self.done.is_set():
            if stopping():
                self.stop()
                try:
                    await asyncio.wait_for(asyncio.shield(self.done.wait()), grace + STOP_MARGIN_S)
                except TimeoutError:
                    self._end(True)
                    await self.done.wait()
                return
            try:
                await asyncio.wait_for(asyncio.shield(self.done.wait()), 0.05)
            except TimeoutError:
                continue

    def _end(self, kill: bool) -> None:
        reap(self.proc, 0.0 if kill else 5.0)

    async def close(self) -> None:
        """The drain ends: the worker is gone (killed if it still runs) and its connections are given back."""
        if self._events is not None and not self._events.done():
            self._events.cancel()
            await asyncio.gather(self._events, return_exceptions=True)
        if self.writer is not None:
            self.writer.transport.abort()
            self.writer = None
        await asyncio.get_running_loop().run_in_executor(None, self._end, self.report is None)
        self.conn.close()
        self.loan.give_back()


def merge(report: DrainReport, unmarked: dict[int, datetime], second: SecondDrain) -> None:
    """The second drain's outcome into the daemon's report (its warnings were logged as they came)."""
    theirs = second.report
    if theirs is None:
        return
    report.sent += theirs.sent
    report.retried += theirs.retried
    report.failed += theirs.failed
    report.render_failed += theirs.render_failed
    report.aborted += theirs.aborted
    report.errors.extend(theirs.errors)
    report.unreachable = report.unreachable or theirs.unreachable
    report.database = report.database or theirs.database
    report.stopped = report.stopped or theirs.stopped
    unmarked.update(second.unmarked)

