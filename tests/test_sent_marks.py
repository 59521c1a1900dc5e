"""Sent marks committed in groups without an fsync each: they survive a kill -9 of the process that wrote
them, the -wal is synced before 64 wait, within ~50 ms of a commit and when the drain ends, a kill -9
repeats at most a group, and every other write stays FULL."""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from mailer.config import Mail
from mailer.outbound.marks import GROUP, MAX_UNSYNCED, Unmarked
from mailer.outbound.outbox import drain
from mailer.outbound.transport import MemoryTransport
from mailer.state.store import OutboxRow, Store

T0 = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
SENDER = "natverk@example.org"
FULL, NORMAL = 2, 1


@dataclass(frozen=True)
class Message:
    sender: str
    recipient: str
    data: bytes
    message_id: str


def render(row: OutboxRow) -> Message:
    data = f"From: {SENDER}\r\nTo: {row.recipient}\r\nMessage-ID: {row.message_id}\r\n\r\n{row.key}\r\n".encode()
    return Message(SENDER, row.recipient, data, row.message_id)


def settings() -> Mail:
    return Mail(transport="smtp", from_address=SENDER, outbox_maildir=Path("unused"),
                inbox_maildir=Path("unused"), smtp=None, imap=None, poll_seconds=60, max_attempts=4,
                retry_base_seconds=60)


def queue(store: Store, n: int) -> list[int]:
    with store.write():
        for i in range(n):
            store.enqueue(key=f"invitation:2026-12-03:{i}", kind="invitation", recipient=f"m{i}@example.org",
                          message_id=f"<invitation.{i}.test@example.org>", now=T0)
    return [r.id for r in store.outbox_rows(limit=100_000)]


def sent_count(path: Path) -> int:
    """What a fresh connection (another process, or the daemon after a restart) reads as sent."""
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM outbox WHERE status = 'sent'").fetchone()[0])
    finally:
        conn.close()


def synchronous(store: Store) -> int:
    return int(store.db.execute("PRAGMA synchronous").fetchone()[0])


@pytest.fixture
def file_store(tmp_path: Path) -> Iterator[Store]:
    store = Store.open(tmp_path / "traffpunkt.db")
    yield store
    store.close()


class WalSyncs:
    """Every fsync of the database's -wal made from Python, with how many marks were visible just before it."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
        self.path = path
        self.counts: list[int] = []
        self.times: list[float] = []
        real = os.fsync

        def fsync(fd: int) -> None:
            wal = path.with_name(path.name + "-wal")
            if wal.exists() and os.fstat(fd).st_ino == wal.stat().st_ino:
                self.counts.append(sent_count(path))  # all of these were written before the fsync began
                self.times.append(time.monotonic())
            real(fd)

        monkeypatch.setattr(os, "fsync", fsync)


def test_marks_committed_without_fsync_are_read_by_a_fresh_connection_after_the_writer_is_killed(
        tmp_path: Path) -> None:
    path = tmp_path / "traffpunkt.db"
    store = Store.open(path)
    ids = queue(store, 40)
    store.close()
    child = textwrap.dedent(f"""
        import sys, time
        from datetime import datetime, UTC
        from mailer.state.sent_marks import MarkConnection
        marks = MarkConnection({str(path)!r})
        ids = {ids!r}
        for k in range(0, len(ids), 8):
            marks.commit([(row_id, datetime.now(UTC)) for row_id in ids[k:k + 8]])
        print("marked", [marks.synchronous()], flush=True)
        time.sleep(60)  # killed here: no close, no checkpoint, no sync
    """)
    proc = subprocess.Popen([sys.executable, "-c", child], stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        line = proc.stdout.readline()
        assert line.split(None, 1) == ["marked", f"[{NORMAL}]\n"], line  # each commit skipped its fsync
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(timeout=10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stdout is not None:
            proc.stdout.close()
    assert sent_count(path) == 40
    reopened = Store.open(path)
    assert reopened.outbox_counts() == {"sent": 40}
    reopened.close()


async def test_a_drain_syncs_the_wal_before_64_marks_wait_and_before_it_returns(
        file_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    queue(file_store, 200)
    assert file_store.path is not None
    syncs = WalSyncs(monkeypatch, file_store.path)
    report = await drain(file_store, render, MemoryTransport(), lambda: T0, config=settings(), concurrency=2)
    assert report.sent == 200
    assert syncs.counts, "the -wal was never synced"
    assert syncs.counts[-1] == 200, "the drain returned with marks an OS crash could still undo"
    steps = [b - a for a, b in zip([0, *syncs.counts], syncs.counts, strict=False)]
    assert max(steps) <= MAX_UNSYNCED, f"more than {MAX_UNSYNCED} marks waited for one sync: {syncs.counts}"
    assert len(syncs.counts) >= 200 // MAX_UNSYNCED
    assert synchronous(file_store) == FULL


async def test_a_mark_is_synced_within_50_ms_even_when_the_next_message_takes_long(
        file_store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    queue(file_store, 3)
    assert file_store.path is not None
    syncs = WalSyncs(monkeypatch, file_store.path)
    accepted: list[float] = []

    class SlowServer(MemoryTransport):
        async def send(self, sender: str, recipient: str, data: bytes) -> None:
            await asyncio.sleep(0.5)
            await super().send(sender, recipient, data)
            accepted.append(time.monotonic())

    report = await drain(file_store, render, SlowServer(), lambda: T0, config=settings())
    assert report.sent == 3
    # the first two marks were each synced on their own, long before the next message was accepted
    for n in (1, 2):
        first = syncs.counts.index(n)
        assert syncs.times[first] < accepted[n], f"mark {n} waited for the next message: {syncs.counts}"
        assert syncs.times[first] - accepted[n - 1] < 0.4
    assert syncs.counts[-1] == 3


async def test_a_mark_the_database_refuses_waits_in_unmarked_and_the_connection_stays_full(
        file_store: Store) -> None:
    ids = queue(file_store, 20)
    file_store.db.execute(  # the UPDATE of a mark fails inside SQLite, as on a full disk (on every connection)
        "CREATE TRIGGER full_disk BEFORE UPDATE OF status ON outbox WHEN NEW.status = 'sent' "
        "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END")
    transport = MemoryTransport()
    unmarked = Unmarked()
    report = await drain(file_store, render, transport, lambda: T0, config=settings(), unmarked=unmarked)
    assert report.database and "disk is full" in report.database
    sent_first = [e.recipient for e in transport.sent]
    assert 1 <= len(sent_first) <= GROUP + 1, "the drain went on sending what it could not record"
    assert sorted(unmarked.rows) == ids[:len(sent_first)], "an accepted message's mark was lost"
    assert synchronous(file_store) == FULL
    assert not file_store.db.conn.in_transaction
    assert file_store.outbox_counts() == {"queued": 20}
    file_store.db.execute("DROP TRIGGER full_disk")
    again = await drain(file_store, render, transport, lambda: T0, config=settings(), unmarked=unmarked)
    assert again.database is None and again.sent == 20 - len(sent_first)
    assert sorted(e.recipient for e in transport.sent) == sorted(f"m{i}@example.org" for i in range(20))
    assert file_store.outbox_counts() == {"sent": 20}
    assert not unmarked.rows


def test_only_marks_skip_the_fsync_the_stores_own_connection_stays_full(file_store: Store) -> None:
    from mailer.state.sent_marks import MarkConnection

    ids = queue(file_store, 9)
    assert file_store.path is not None and file_store.wal and synchronous(file_store) == FULL
    marks = MarkConnection(file_store.path)
    try:
        assert marks.synchronous() == NORMAL
        marks.commit([(ids[0], T0)])
        marks.commit([(i, T0) for i in ids[1:]])
    finally:
        marks.close()
    assert synchronous(file_store) == FULL
    assert file_store.outbox_counts() == {"sent": 9}
