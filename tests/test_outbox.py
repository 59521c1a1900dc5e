"""The outbox drain: rows are marked sent only after the server's 250; failures are retried, failed or
paused as a coordinator would expect. Against a real aiosmtpd server on loopback where it matters."""

from __future__ import annotations

import asyncio
import socket
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from smtp_server import DROP, HANG, Delivery, Server, SinkHandler

from mailer.config import Mail
from mailer.errors import TemporaryFailure, TransportSetupError
from mailer.outbound.outbox import DrainReport, Unmarked, drain, retry_delay
from mailer.outbound.smtp import SmtpTransport
from mailer.outbound.transport import Envelope, MemoryTransport
from mailer.state.store import OutboxRow, Store

T0 = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)
SENDER = "natverk@example.org"


class Clock:
    def __init__(self, at: datetime = T0) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **kwargs: float) -> None:
        self.at += timedelta(**kwargs)


@dataclass(frozen=True)
class FakeRendered:
    sender: str
    recipient: str
    data: bytes
    message_id: str


def render(row: OutboxRow) -> FakeRendered:
    """A tiny message for the row; its Message-ID is the row's, as compose.py's must be."""
    data = (f"From: {SENDER}\r\nTo: {row.recipient}\r\nSubject: {row.kind}\r\n"
            f"Message-ID: {row.message_id}\r\n\r\n{row.key}\r\n").encode()
    return FakeRendered(SENDER, row.recipient, data, row.message_id)


def mail_settings(max_attempts: int = 4, retry_base_seconds: int = 60) -> Mail:
    return Mail(transport="smtp", from_address=SENDER, outbox_maildir=Path("unused"),
                inbox_maildir=Path("unused"), smtp=None, imap=None, poll_seconds=60,
                max_attempts=max_attempts, retry_base_seconds=retry_base_seconds)


def queue(store: Store, *recipients: str, kind: str = "invitation") -> list[int]:
    """Queue one row per recipient (as the service does: in one transaction); returns the new rows' ids."""
    before = {r.id for r in store.outbox_rows(limit=100_000)}
    with store.write():
        for n, rcpt in enumerate(recipients):
            key = f"{kind}:2026-12-03:{n}"
            store.enqueue(key=key, kind=kind, recipient=rcpt, message_id=f"<{kind}.{n}.test@example.org>",
                          now=T0)
    return [r.id for r in store.outbox_rows(limit=100_000) if r.id not in before]


def row(store: Store, row_id: int) -> OutboxRow:
    return next(r for r in store.outbox_rows() if r.id == row_id)


def message_ids(deliveries: list[Delivery]) -> list[str]:
    return [str(d.message()["Message-ID"]) for d in deliveries]


@pytest.fixture
def store() -> Iterator[Store]:
    s = Store.memory()
    yield s
    s.close()


async def test_a_4xx_is_retried_after_the_backoff_with_the_same_message_id_and_delivered_once(
        store: Store, server: Server, handler: SinkHandler) -> None:
    seen: list[Delivery] = []
    answers = iter(["451 4.7.1 Greylisted, try again later", None])

    def on_data(d: Delivery) -> str | None:
        seen.append(d)
        return next(answers)

    handler.on_data = on_data
    (rid,) = queue(store, "anna@example.org")
    clock = Clock()
    transport = SmtpTransport(server.settings(), None)

    first = await drain(store, render, transport, clock, config=mail_settings())
    assert (first.sent, first.retried, first.failed) == (0, 1, 0)
    assert "451" in first.errors[0]
    after = row(store, rid)
    assert (after.status, after.attempts) == ("queued", 1)
    assert datetime.fromisoformat(after.next_attempt_at) == T0 + timedelta(seconds=60)

    clock.advance(seconds=30)  # not due yet
    assert (await drain(store, render, transport, clock, config=mail_settings())).attempted == 0

    clock.advance(seconds=31)
    second = await drain(store, render, transport, clock, config=mail_settings())
    await transport.aclose()
    assert second.sent == 1
    assert row(store, rid).status == "sent"
    assert len(handler.delivered) == 1
    assert message_ids(seen) == ["<invitation.0.test@example.org>"] * 2


async def test_a_5xx_fails_the_row_marks_the_address_failing_and_its_other_rows_are_not_sent(
        store: Store, server: Server, handler: SinkHandler) -> None:
    rcpts: list[str] = []

    def on_rcpt(address: str) -> str | None:
        rcpts.append(address)
        if address == "gone@example.org":
            return "550 5.1.1 <gone@example.org>: Recipient address rejected"
        return None

    handler.on_rcpt = on_rcpt
    ids = queue(store, "gone@example.org", "anna@example.org")
    ids += queue(store, "gone@example.org", kind="reminder")
    clock = Clock()
    transport = SmtpTransport(server.settings(), None)
    report = await drain(store, render, transport, clock, config=mail_settings())
    clock.advance(hours=7)
    later = await drain(store, render, transport, clock, config=mail_settings())
    await transport.aclose()

    assert (report.sent, report.retried, report.failed) == (1, 0, 2)
    assert later.attempted == 0  # nothing is retried
    assert store.address_failing("gone@example.org")
    assert [row(store, i).status for i in ids] == ["failed", "sent", "failed"]
    assert "550 5.1.1" in (row(store, ids[0]).last_error or "")
    assert "marked as failing" in (row(store, ids[2]).last_error or "")
    assert rcpts.count("gone@example.org") == 1  # the reminder never reached the server
    assert [d.recipient for d in handler.delivered] == ["anna@example.org"]


async def test_a_connection_dropped_after_data_is_not_marked_sent_and_is_retried_with_the_same_message_id(
        store: Store, server: Server, handler: SinkHandler) -> None:
    actions = iter([DROP, None])
    handler.on_data = lambda d: next(actions)
    (rid,) = queue(store, "anna@example.org")
    clock = Clock()
    transport = SmtpTransport(server.settings(), None)

    first = await drain(store, render, transport, clock, config=mail_settings())
    assert (first.sent, first.retried) == (0, 1)
    assert row(store, rid).status == "queued"  # the server has it, but never said 250
    assert len(handler.unanswered) == 1 and handler.delivered == []

    clock.advance(minutes=2)
    second = await drain(store, render, transport, clock, config=mail_settings())
    await transport.aclose()
    assert second.sent == 1 and row(store, rid).status == "sent"
    assert message_ids(handler.unanswered) == message_ids(handler.delivered)


async def test_a_server_that_never_answers_hits_the_deadline_and_the_row_is_retried(
        store: Store, server: Server, handler: SinkHandler) -> None:
    actions = iter([HANG, None])
    handler.on_data = lambda d: next(actions)
    (rid,) = queue(store, "anna@example.org")
    clock = Clock()
    transport = SmtpTransport(server.settings(timeout_seconds=0.3), None)
    report = await asyncio.wait_for(drain(store, render, transport, clock, config=mail_settings()), timeout=3)
    assert report.retried == 1 and "did not answer within 0.3 s" in report.errors[0]
    assert row(store, rid).status == "queued"
    clock.advance(minutes=2)
    assert (await drain(store, render, transport, clock, config=mail_settings())).sent == 1
    await transport.aclose()


async def test_an_unreachable_server_pauses_the_drain_and_charges_no_attempt(store: Store) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    ids = queue(store, "anna@example.org", "bertil@example.org")
    transport = SmtpTransport(Server("127.0.0.1", port, SinkHandler()).settings(), None)
    report = await drain(store, render, transport, Clock(), config=mail_settings())
    await transport.aclose()
    assert report.attempted == 0
    assert report.stopped is not None and "cannot connect" in report.stopped
    assert [(row(store, i).status, row(store, i).attempts) for i in ids] == [("queued", 0), ("queued", 0)]


async def test_a_transport_that_cannot_send_as_configured_stops_the_drain(store: Store) -> None:
    def refuse(envelope: Envelope) -> None:
        raise TransportSetupError("smtp.example.org:587 does not offer STARTTLS")

    ids = queue(store, "anna@example.org", "bertil@example.org", "cecilia@example.org")
    transport = MemoryTransport(refuse)
    report = await drain(store, render, transport, Clock(), config=mail_settings())
    assert len(transport.attempts) == 1
    assert report.stopped == "smtp.example.org:587 does not offer STARTTLS"
    assert all(row(store, i).status == "queued" and row(store, i).attempts == 0 for i in ids)


async def test_temporary_failures_back_off_and_give_up_after_max_attempts(store: Store) -> None:
    def greylist(envelope: Envelope) -> None:
        raise TemporaryFailure("451 try later")

    (rid,) = queue(store, "anna@example.org")
    clock = Clock()
    transport = MemoryTransport(greylist)
    waits = []
    for _ in range(3):
        report = await drain(store, render, transport, clock, config=mail_settings(max_attempts=3))
        assert report.attempted == 1
        waits.append(datetime.fromisoformat(row(store, rid).next_attempt_at) - clock())
        clock.at = datetime.fromisoformat(row(store, rid).next_attempt_at)
    assert waits[:2] == [timedelta(seconds=60), timedelta(seconds=120)]
    final = row(store, rid)
    assert (final.status, final.attempts) == ("failed", 3)
    assert "gave up after 3 attempts" in (final.last_error or "")
    assert not store.address_failing("anna@example.org")


def test_the_retry_delay_doubles_and_is_capped_at_six_hours() -> None:
    assert [retry_delay(n, 60).total_seconds() for n in range(5)] == [60, 120, 240, 480, 960]
    assert retry_delay(9, 60) == timedelta(hours=6)
    assert retry_delay(500, 60) == timedelta(hours=6)


async def test_a_render_error_fails_only_that_row_and_the_drain_goes_on(store: Store) -> None:
    def flaky_render(r: OutboxRow) -> FakeRendered:
        if r.recipient == "bertil@example.org":
            raise KeyError("meeting_place")
        return render(r)

    ids = queue(store, "anna@example.org", "bertil@example.org", "cecilia@example.org")
    transport = MemoryTransport()
    report = await drain(store, flaky_render, transport, Clock(), config=mail_settings())
    assert (report.sent, report.failed) == (2, 1)
    assert [row(store, i).status for i in ids] == ["sent", "failed", "sent"]
    assert "render failed: KeyError" in (row(store, ids[1]).last_error or "")
    assert not store.address_failing("bertil@example.org")


async def test_a_rendered_message_id_other_than_the_rows_is_refused(store: Store) -> None:
    def wrong_id(r: OutboxRow) -> FakeRendered:
        m = render(r)
        return FakeRendered(m.sender, m.recipient, m.data, "<fresh-every-time@example.org>")

    (rid,) = queue(store, "anna@example.org")
    transport = MemoryTransport()
    report = await drain(store, wrong_id, transport, Clock(), config=mail_settings())
    assert report.failed == 1 and transport.sent == []
    assert "Message-ID" in (row(store, rid).last_error or "")


async def test_the_stop_event_finishes_the_message_in_flight_then_returns(store: Store) -> None:
    stop = asyncio.Event()

    async def slow(envelope: Envelope) -> None:
        if envelope.recipient == "m1@example.org":
            stop.set()  # SIGTERM arrives while the second message is being sent
        await asyncio.sleep(0)

    ids = queue(store, *(f"m{n}@example.org" for n in range(5)))
    transport = MemoryTransport(slow)
    report = await drain(store, render, transport, Clock(), config=mail_settings(), stop=stop)
    assert report == DrainReport(sent=2, stopped="stop requested")
    assert [row(store, i).status for i in ids] == ["sent", "sent", "queued", "queued", "queued"]
    assert [e.recipient for e in transport.sent] == ["m0@example.org", "m1@example.org"]


async def test_limit_sends_at_most_that_many_and_leaves_the_rest_queued(store: Store) -> None:
    queue(store, *(f"m{n}@example.org" for n in range(5)))
    report = await drain(store, render, MemoryTransport(), Clock(), config=mail_settings(), limit=3)
    assert report.sent == 3
    assert store.outbox_counts() == {"sent": 3, "queued": 2}


async def test_parallel_senders_deliver_every_row_exactly_once_and_record_it_in_the_database_file(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    store = Store.open(tmp_path / "traffpunkt.db")  # a file: "sent" marks commit on a second connection
    recipients = [f"m{n}@example.org" for n in range(1200)]  # more than one batch of due rows
    queue(store, *recipients)
    transport = SmtpTransport(server.settings(max_connections=3), None)
    report = await drain(store, render, transport, Clock(), config=mail_settings(), concurrency=3)
    await transport.aclose()
    assert report.sent == 1200
    assert sorted(d.recipient for d in handler.delivered) == sorted(recipients)
    assert store.outbox_counts() == {"sent": 1200}
    store.close()
    reopened = Store.open(tmp_path / "traffpunkt.db")
    assert reopened.outbox_counts() == {"sent": 1200}
    reopened.close()
    assert len(handler.peers) <= 3


async def test_a_sent_message_whose_mark_cannot_be_written_is_never_sent_again_and_is_marked_first_later(
        store: Store) -> None:
    ids = queue(store, "anna@example.org", "bertil@example.org")
    real_mark_sent = store.mark_sent
    disk_full = True

    def mark_sent(row_id: int, now: datetime) -> None:
        if disk_full:
            raise sqlite3.OperationalError("database or disk is full")
        real_mark_sent(row_id, now)

    store.mark_sent = mark_sent  # type: ignore[method-assign]
    transport = MemoryTransport()
    unmarked = Unmarked()
    first = await drain(store, render, transport, Clock(), config=mail_settings(), unmarked=unmarked)
    assert first.database and "disk is full" in first.database
    assert len(transport.sent) == 1  # it did not go on sending mail it cannot record
    again = await drain(store, render, transport, Clock(), config=mail_settings(), unmarked=unmarked)
    assert again.database and len(transport.sent) == 1, "still full: nothing is sent, nothing twice"
    disk_full = False
    last = await drain(store, render, transport, Clock(), config=mail_settings(), unmarked=unmarked)
    assert last.database is None and len(unmarked) == 0
    assert [e.recipient for e in transport.sent] == ["anna@example.org", "bertil@example.org"]
    assert [row(store, i).status for i in ids] == ["sent", "sent"]


async def test_an_address_the_smtp_library_refuses_fails_only_its_row_and_the_drain_goes_on(
        store: Store, server: Server, handler: SinkHandler) -> None:
    ids = queue(store, "anna@example.org", "nul\x00@example.org", "bertil@example.org")
    transport = SmtpTransport(server.settings(), None)
    report = await drain(store, render, transport, Clock(), config=mail_settings())
    await transport.aclose()
    assert (report.sent, report.failed) == (2, 1)
    assert [row(store, i).status for i in ids] == ["sent", "failed", "sent"]
    assert "not a valid e-mail address" in (row(store, ids[1]).last_error or "")
    assert sorted(d.recipient for d in handler.delivered) == ["anna@example.org", "bertil@example.org"]


async def test_any_unexpected_error_of_one_send_retries_that_row_and_the_others_go_out(store: Store) -> None:
    def handler(envelope: Envelope) -> None:
        if envelope.recipient == "bertil@example.org":
            raise RuntimeError("library bug")
        if envelope.recipient == "cecilia@example.org":
            raise ValueError("cannot encode this")

    ids = queue(store, "anna@example.org", "bertil@example.org", "cecilia@example.org", "david@example.org")
    transport = MemoryTransport(handler)
    report = await drain(store, render, transport, Clock(), config=mail_settings())
    assert (report.sent, report.retried, report.failed) == (2, 1, 1)
    assert [row(store, i).status for i in ids] == ["sent", "queued", "failed", "sent"]
    assert "library bug" in (row(store, ids[1]).last_error or "")


async def test_a_refused_address_marks_its_member_bouncing_for_the_coordinators_notice(
        store: Store, server: Server, handler: SinkHandler) -> None:
    member, _ = store.add_member("gone@example.org", "Gone Member", "sv", T0)
    with store.write():
        store.enqueue(key="invitation:x:1", kind="invitation", recipient="gone@example.org", member_id=member.id,
                      message_id="<gone.test@example.org>", now=T0)
    handler.on_rcpt = lambda address: "550 5.1.1 No such user"
    transport = SmtpTransport(server.settings(), None)
    await drain(store, render, transport, Clock(), config=mail_settings())
    await transport.aclose()
    assert store.member(member.id).status == "bouncing"  # type: ignore[union-attr]
    refused = store.members_refused_since(0)
    assert [r["address"] for r in refused] == ["gone@example.org"] and "550" in refused[0]["reason"]


async def test_a_stop_abandons_a_message_the_server_does_not_answer_after_the_grace_and_keeps_it_queued(
        store: Store, server: Server, handler: SinkHandler) -> None:
    handler.on_data = lambda d: HANG
    handler.hang_seconds = 20
    (rid,) = queue(store, "anna@example.org")
    stop = asyncio.Event()
    transport = SmtpTransport(server.settings(timeout_seconds=30), None)
    asyncio.get_running_loop().call_later(0.3, stop.set)
    started = time.monotonic()
    report = await drain(store, render, transport, Clock(), config=mail_settings(), stop=stop, stop_grace=0.5)
    took = time.monotonic() - started
    await transport.aclose()
    assert took < 3, f"the drain waited {took:.1f} s after the stop"
    assert report.aborted == 1 and report.sent == 0
    assert (row(store, rid).status, row(store, rid).attempts) == ("queued", 0)
