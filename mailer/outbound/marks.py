"""The drain's "sent" marks: committed in groups of 32 (or 20 ms), without an fsync each; an fsync of the -wal
(in a thread) makes them durable 50 ms after a commit, every 32 marks and when the drain ends. `Unmarked`: marks the
database refused."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from mailer.state.sent_marks import MarkConnection
from mailer.state.store import Store

#: A sync of the -wal begins once this many marks wait for it ...
SYNC_EVERY = 32
#: ... or this many seconds after the first of them was committed.
SYNC_WITHIN = 0.05
#: At most this many marks wait for their durable sync: what a power loss may repeat (same Message-IDs).
MAX_UNSYNCED = 64
#: Marks are committed in groups of this many, or this many seconds after the first of a group: what a
#: kill -9 may repeat besides the messages in flight. (Each commit rewrites the pages of the outbox rows and
#: of the four indexes naming their status: a group of 32 costs a drain over two connections 14% less CPU
#: a message than groups of 8, measured side by side.)
GROUP = 32
GROUP_WITHIN = 0.02

#: Told of a group of marks (row id, when sent) the database refused, and why.
Refused = Callable[[list[tuple[int, datetime]], BaseException], None]


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
    """Records "sent" marks for one drain. A mark is kept for a moment and committed with the others of
    that moment: every `group` marks or `group_within` seconds after the first, one transaction on a
    connection without an fsync per commit (`state.sent_marks.MarkConnection`), so the event loop spends a
    few microseconds a mark and senders never wait for one. A kill -9 of the daemon repeats at most the
    messages in flight and the marks not yet committed (at most `group`, none older than `group_within`).
    `Store.sync_wal` (an fsync of the -wal, in a thread so that sending goes on) makes them durable against
    an OS crash or power loss `within` seconds after a commit, after `every` marks, and at `aclose()`; a
    mark waits while `limit` are not yet durable: what a power loss may repeat, each with its Message-ID.
    A group the database refuses goes to `refused` (the drain keeps it in `Unmarked` and stops). A store
    in memory or without WAL commits each mark in place (synchronous=FULL)."""

    def __init__(self, store: Store, refused: Refused, *, every: int = SYNC_EVERY,
                 within: float = SYNC_WITHIN, limit: int = MAX_UNSYNCED, group: int = GROUP,
                 group_within: float = GROUP_WITHIN) -> None:
        self._store, self._refused, self._every, self._within = store, refused, max(1, every), within
        self._limit, self._group_size, self._group_within = max(self._every, limit), max(1, group), group_within
        self._threaded = store.path is not None and store.wal
        self._conn: MarkConnection | None = None
        self._group: list[tuple[int, datetime]] = []
        self._group_timer: asyncio.TimerHandle | None = None
        self._executor: ThreadPoolExecutor | None = None
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
        """Marks committed or waiting to be that an OS crash or power loss could still undo."""
        return self._covering + self._fresh + len(self._group)

    async def mark_sent(self, row_id: int, at: datetime) -> None:
        """Take one mark (committed with its group); raises when the database refused a group or the last
        sync failed: this mark is then not taken (the caller keeps it in `Unmarked`)."""
        if not self._threaded:
            self._store.mark_sent(row_id, at)
            return
        while self.unsynced >= self._limit and self._failed is None:  # a power loss repeats <= `limit`
            self._commit()
            if self._sync is None:
                self._start()
            if self._sync is None:  # (nothing committed to sync: the group was refused)
                break
            await asyncio.shield(self._sync)
        if self._failed is not None:
            raise self._failed
        self._group.append((row_id, at))
        if len(self._group) >= self._group_size:
            self._commit()
        elif self._group_timer is None:
            self._group_timer = asyncio.get_running_loop().call_later(self._group_within, self._commit)

    def _commit(self) -> None:
        """Commit the waiting group of marks in one transaction."""
        if self._group_timer is not None:
            self._group_timer.cancel()
            self._group_timer = None
        group, self._group = self._group, []
        if not group:
            return
        try:
            if self._conn is None:
                assert self._store.path is not None
                self._conn = MarkConnection(self._store.path)
            self._conn.commit(group)
        except Exception as exc:  # disk full, database locked: none of this group is recorded
            if self._failed is None:
                self._failed = exc
            self._refused(group, exc)
            return
        if self._closing:
            self._fresh += len(group)
            return
        loop = asyncio.get_running_loop()
        if self._fresh == 0:
            self._fresh_since = loop.time()
        self._fresh += len(group)
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
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="traffpunkt-sync")
            await asyncio.get_running_loop().run_in_executor(self._executor, self._store.sync_wal)
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
            self._commit()  # the last group
            if self._sync is not None:
                await asyncio.gather(asyncio.shield(self._sync), return_exceptions=True)
            if self._fresh or self._covering or self._failed is not None:
                self._store.sync_wal()  # in this thread: one fsync, and nothing else is waiting now
                self.syncs += 1
                self._fresh = self._covering = 0
                self._failed = None
        finally:
            if self._executor is not None:
                self._executor.shutdown(wait=True)
                self._executor = None
            if self._conn is not None:
                self._conn.close()
                self._conn = None
