"""The drain's "sent" marks: each commits on its own without an fsync; one fsync of the -wal makes them
durable every 16 marks, 50 ms after a mark and when the drain ends. `Unmarked`: marks the database refused."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from mailer.state.store import Store

#: At most this many marks wait for their durable sync: what a power loss may repeat (same Message-IDs).
SYNC_EVERY = 16
#: ... and none of them waits longer than this many seconds for it.
SYNC_WITHIN = 0.05


class Unmarked:
    """Messages the server accepted (250) whose "sent" mark could not be written (disk full, database
    locked). Kept across drains: their marks are written first, and nothing is sent until they are."""

    def __init__(self) -> None:
        self.rows: dict[int, datetime] = {}

    def __len__(self) -> int:
        return len(self.rows)

    def flush(self, store: Store) -> None:
        """Write every waiting mark; raises (keeping the rest) when the database still refuses."""
        for row_id, at in sorted(self.rows.items()):
            store.mark_sent(row_id, at)
            del self.rows[row_id]


class SentMarks:
    """Records "sent" marks for one drain. A mark commits before its sender takes the next row, with
    synchronous=NORMAL (`Store.unsynced`): a kill -9 of the process loses none, so a crash repeats only the
    messages in flight. `Store.sync_wal` (an fsync, in a thread so that sending goes on) makes them
    durable against an OS crash or power loss: after `every` marks, `within` seconds after a mark, and at
    `aclose()`. A mark waits while `every` marks are not yet durable, so a power loss repeats at most
    those (and the messages in flight), each with the Message-ID it had."""

    def __init__(self, store: Store, *, every: int = SYNC_EVERY, within: float = SYNC_WITHIN,
                 threaded: bool = True) -> None:
        self._store, self._every, self._within = store, max(1, every), within
        self._executor: ThreadPoolExecutor | None = None
        self._threaded = threaded and store.path is not None and store.wal
        self._covering = 0  # marks the sync in flight makes durable
        self._fresh = 0  # marks committed since it started
        self._fresh_since = 0.0  # loop time of the first of those
        self._sync: asyncio.Task[None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._failed: BaseException | None = None
        self._closing = False  # aclose() began: it syncs what is left itself
        #: Durable syncs done (for the tests and the benchmark).
        self.syncs = 0

    @property
    def unsynced(self) -> int:
        """Marks committed that an OS crash or power loss could still undo."""
        return self._covering + self._fresh

    async def mark_sent(self, row_id: int, at: datetime) -> None:
        """Commit one mark (cheaply); raises when it cannot be written, or the last sync failed."""
        while self.unsynced >= self._every and self._failed is None:  # a power loss repeats <= `every`
            if self._sync is None:
                self._start()
            assert self._sync is not None  # (marks not durable and no sync in flight: _start began one)
            await asyncio.shield(self._sync)
        if self._failed is not None:
            raise self._failed
        with self._store.unsynced():
            self._store.mark_sent(row_id, at)
        loop = asyncio.get_running_loop()
        if self._fresh == 0:
            self._fresh_since = loop.time()
        self._fresh += 1
        if self._fresh >= self._every:
            self._start()
        elif self._timer is None and self._sync is None:
            self._timer = loop.call_later(self._within, self._start)

    def _start(self) -> None:
        """Begin a sync of every mark committed so far (unless one is in flight: it starts the next)."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if self._sync is not None or self._fresh == 0 or self._closing:
            return
        self._covering, self._fresh = self._fresh, 0
        self._sync = asyncio.get_running_loop().create_task(self._run())

    async def _run(self) -> None:
        try:
            if self._threaded:
                if self._executor is None:
                    self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="traffpunkt-sync")
                await asyncio.get_running_loop().run_in_executor(self._executor, self._store.sync_wal)
            else:
                self._store.sync_wal()
            self.syncs += 1
            self._covering = 0
        except Exception as exc:  # the disk fails its fsync: the drain stops at the next mark
            self._failed = exc
            self._fresh += self._covering
            self._covering = 0
        finally:
            self._sync = None
        if self._fresh and self._failed is None and not self._closing:
            if self._fresh >= self._every:
                self._start()
            else:
                loop = asyncio.get_running_loop()
                delay = max(0.0, self._fresh_since + self._within - loop.time())
                self._timer = loop.call_later(delay, self._start)

    async def aclose(self) -> None:
        """The drain ends: every mark made durable before it returns; raises when the disk refuses."""
        self._closing = True
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        try:
            if self._sync is not None:
                await asyncio.gather(asyncio.shield(self._sync), return_exceptions=True)
            if self.unsynced or self._failed is not None:
                self._store.sync_wal()  # in this thread: one fsync, and nothing else is waiting now
                self.syncs += 1
                self._fresh = self._covering = 0
                self._failed = None
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
