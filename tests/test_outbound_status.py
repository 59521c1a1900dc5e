"""What the admin sees of the outbox (`status`), and the single-daemon lock on the database's real file."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from mailer import PROJECT_ROOT
from mailer.cli.status import render_status
from mailer.config import load_config
from mailer.errors import AlreadyRunning
from mailer.state.store import Store

T0 = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def test_status_shows_the_newest_failures_first_with_their_count_and_why_rows_wait() -> None:
    config = load_config(PROJECT_ROOT / "config" / "network.example.toml")
    store = Store.memory()
    with store.write():
        for n in range(14):
            store.enqueue(key=f"k{n}", kind="invitation", recipient=f"m{n}@example.org",
                          message_id=f"<{n}@x>", now=T0)
    rows = store.outbox_rows()
    for n, row in enumerate(rows[:12]):
        store.mark_failed(row.id, f"550 refused m{n}", T0 + timedelta(minutes=n), address_failing=False)
    store.mark_retry(rows[12].id, "451 try later (at 2026-12-01 10:02:00 UTC)", T0 + timedelta(minutes=5))
    store.set_setting("service_state", "SMTP server mx:25: connection refused at 12:02:00, next try 12:07:00")
    text = render_status(config, store, T0)
    assert "Failed: 12 (newest first, the 10 newest shown)" in text
    failed = [line for line in text.splitlines() if line.strip().startswith("FAILED")]
    assert len(failed) == 10 and "m11@" in failed[0] and "m2@" in failed[-1]
    assert "waiting: 451 try later (at 2026-12-01 10:02:00 UTC)" in text
    assert "connection refused at 12:02:00, next try 12:07:00" in text


def test_the_lock_is_on_the_real_file_so_a_symlinked_path_is_refused(tmp_path: Path) -> None:
    first = Store.open(tmp_path / "tp.db", lock=True)
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "link.db").symlink_to(tmp_path / "tp.db")
    with pytest.raises(AlreadyRunning, match="already running"):
        Store.open(tmp_path / "other" / "link.db", lock=True)
    first.close()
    second = Store.open(tmp_path / "other" / "link.db", lock=True)  # free again once the first is gone
    second.close()


def test_a_commit_that_fails_leaves_no_transaction_open_and_the_next_write_commits(tmp_path: Path) -> None:
    store = Store.open(tmp_path / "tp.db")
    store.db.execute("CREATE TABLE p (id INTEGER PRIMARY KEY)")
    store.db.execute("CREATE TABLE c (pid INTEGER REFERENCES p(id) DEFERRABLE INITIALLY DEFERRED)")
    with pytest.raises(sqlite3.IntegrityError), store.write():  # checked at COMMIT, as a full disk fails it
        store.db.execute("INSERT INTO c VALUES (99)")
    assert not store.db.conn.in_transaction
    with store.write():
        store.db.execute("INSERT INTO p VALUES (1)")
        store.db.execute("INSERT INTO c VALUES (1)")
    store.close()
    reopened = Store.open(tmp_path / "tp.db")
    assert [r["pid"] for r in reopened.db.query("SELECT pid FROM c")] == [1]
    reopened.close()


async def test_fifty_refused_addresses_are_one_notice_per_coordinator_and_each_member_is_told_once() -> None:
    from mailer.errors import PermanentFailure
    from mailer.outbound.transport import Envelope, MemoryTransport
    from mailer.service import Service

    def refuse(envelope: Envelope) -> None:
        if envelope.recipient.startswith("gone"):
            raise PermanentFailure("550 5.1.1 No such user", address_failing=True)

    config = load_config(PROJECT_ROOT / "config" / "network.example.toml")
    store = Store.memory()
    joined = datetime(2026, 10, 1, tzinfo=UTC)
    for n in range(50):
        store.add_member(f"gone{n}@example.org", f"Gone {n}", "sv", joined)
    store.add_member("kept@example.org", "Kept", "sv", joined)
    service = Service(config, store, transport=MemoryTransport(refuse))
    now = datetime(2026, 11, 19, 7, 0, tzinfo=UTC)  # the 3.12 meeting's invitations are due
    await service.tick(now)
    await service.tick(now + timedelta(minutes=5))
    notices = [r for r in store.outbox_rows(limit=10_000) if r.kind == "bounce-notice"]
    assert len(notices) == len(config.network.coordinators)
    assert sorted(m["address"] for m in notices[0].context["members"]) == sorted(
        f"gone{n}@example.org" for n in range(50))
    assert {m.status for m in store.members(None) if m.address.startswith("gone")} == {"bouncing"}
    assert service.sending.notify_refused(now + timedelta(minutes=10)) == 0  # told once
