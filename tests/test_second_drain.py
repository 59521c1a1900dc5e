"""A large drain over two or more connections is sent from two processes: the daemon and a worker each take
ranges of rows from one cursor, so each member gets one message; a worker that dies costs at most its messages
in flight and a group of marks, and its rows go from the daemon; a stop ends both within the grace."""

from __future__ import annotations

import asyncio
import os
import signal
import time
from collections import Counter
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

from smtp_server import Delivery, Server, SinkHandler
from test_render_worker import alive, copies, network

from mailer.config import SmtpSettings
from mailer.outbound.marks import GROUP
from mailer.outbound.render_worker import WorkerSpec
from mailer.outbound.smtp import SmtpTransport
from mailer.service import Service


def spec_of(service: Service) -> WorkerSpec:
    spec = service.sending.render_worker
    assert spec is not None
    return spec


def without_date(data: bytes) -> bytes:
    """The message without its Date header (the worker's clock runs on from the daemon's at the start)."""
    lines = data.replace(b"\r\n", b"\n").split(b"\n")
    return b"\n".join(line for line in lines if not line.startswith(b"Date: "))


async def test_a_large_drain_over_two_connections_is_sent_from_two_processes_each_member_once(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 600
    service = network(tmp_path, server.port, members, connections=2)
    handler.slow_until_peers = 3  # (on a slow machine the daemon alone could finish before the worker starts)
    now = datetime.now(UTC).replace(microsecond=0)
    report = await service.send(lambda: now)
    spec = spec_of(service)
    assert len(spec.pids) == 1 and spec.pids[0] != os.getpid()
    assert 0 < spec.rendered < members, "the worker sent a share, the daemon the rest"
    assert report.sent == members and report.failed == 0
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(members)}
    assert not alive(spec.pids[0]), "the worker ends with its drain"
    sent = {r.message_id: r for r in service.store.outbox_rows(status="sent", limit=10_000)}
    assert len(sent) == members
    for d in handler.delivered:  # whichever process sent it: the message the daemon renders for that row
        row = sent[str(BytesHeaderParser().parsebytes(d.data)["Message-ID"])]
        assert without_date(service.composer.render(row, now).data) == without_date(d.data)
    await service.aclose()
    service.store.close()


async def test_a_small_drain_over_two_connections_starts_no_worker(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    service = network(tmp_path, server.port, 50, connections=2)
    await service.send(lambda: datetime.now(UTC))
    assert spec_of(service).pids == []
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(50)}
    await service.aclose()
    service.store.close()


async def test_a_rate_limit_that_can_be_felt_keeps_the_drain_in_one_process(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    service = network(tmp_path, server.port, 250, connections=2, rate=12_000)
    await service.send(lambda: datetime.now(UTC))
    spec = spec_of(service)
    assert len(copies(handler.delivered)) == 250
    assert spec.rendered > 0 and len(spec.pids) == 1, "rendered in the render worker, all sent from here"
    await service.aclose()
    service.store.close()


def smtp(connections: int, per_minute: int, auth: str = "password") -> SmtpSettings:
    return SmtpSettings(host="127.0.0.1", port=9, tls="none", username="a@example.org", password_env=None,
                        timeout_seconds=5, auth=auth, max_connections=connections, messages_per_minute=per_minute)


async def test_a_loan_takes_its_connections_and_its_share_of_the_rate_until_given_back() -> None:
    transport = SmtpTransport(smtp(4, 600_000), None)
    loan = transport.lend(2)
    assert loan is not None
    assert loan.settings.max_connections == 2 and loan.settings.messages_per_minute == 300_000
    assert transport._slots._value == 4, "until taken, this side may use every connection"
    assert transport.lend(1) is None, "one loan at a time"
    await loan.take()
    assert transport._slots._value == 2 and transport._limiter.lent == 0.5
    loan.give_back()
    assert transport._slots._value == 4 and transport._limiter.lent == 0.0
    again = transport.lend(1)
    assert again is not None, "given back: it may lend again"
    loan.give_back()  # (the first loan's second give_back: nothing of the new loan is undone)
    assert transport.lend(1) is None, "the new loan still stands"
    await loan.take()  # (a loan given back takes nothing)
    assert transport._slots._value == 4
    slow = SmtpTransport(smtp(4, 120), None)
    assert slow.lend(2) is None, "120 a minute: one process keeps up"
    oauth = SmtpTransport(smtp(4, 0, auth="xoauth2"), None)
    assert oauth.lend(2) is None, "XOAUTH2 tokens live in the daemon"


async def test_a_worker_killed_mid_drain_repeats_at_most_its_messages_in_flight_and_a_group_of_marks(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 800
    service = network(tmp_path, server.port, members, connections=2)
    spec = spec_of(service)

    def kill_the_worker(d: Delivery) -> None:
        if len(handler.delivered) == 300 and spec.pids:
            os.kill(spec.pids[-1], signal.SIGKILL)

    handler.on_data = kill_the_worker
    handler.slow_until_peers = 3
    report = await service.send(lambda: datetime.now(UTC))
    got = copies(handler.delivered)
    assert set(got) == {f"medlem{i}@example.org" for i in range(members)}, "nobody missed"
    duplicates = sum(n - 1 for n in got.values())
    assert duplicates <= 1 + GROUP, f"{duplicates} sent twice"
    ids: dict[str, set[str]] = {}
    for d in handler.delivered:
        ids.setdefault(d.recipient, set()).add(str(BytesHeaderParser().parsebytes(d.data)["Message-ID"]))
    assert all(len(v) == 1 for v in ids.values()), "a repeat has the Message-ID of the first"
    assert report.failed == 0 and service.store.outbox_counts() == {"sent": members}
    assert any("second sender stopped" in e for e in report.errors)
    await service.aclose()
    service.store.close()


async def test_a_worker_that_cannot_start_leaves_the_whole_drain_to_the_daemon(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 300
    service = network(tmp_path, server.port, members, connections=2)
    spec = spec_of(service)
    spec.database = tmp_path / "elsewhere.db"  # the worker finds no database there: it says so and exits
    report = await service.send(lambda: datetime.now(UTC))
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(members)}
    assert report.failed == 0 and spec.rendered == 0
    assert any("second sender stopped" in e for e in report.errors)
    await service.aclose()
    service.store.close()


async def test_refusals_are_recorded_whichever_process_met_them(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 400
    service = network(tmp_path, server.port, members, connections=2)
    refused = {f"medlem{i}@example.org" for i in range(0, members, 7)}
    handler.on_rcpt = lambda address: "550 5.1.1 no such user" if address in refused else None
    handler.slow_until_peers = 3  # the daemon's two connections go slowly until the worker's comes
    report = await service.send(lambda: datetime.now(UTC))
    assert spec_of(service).rendered > 0
    assert report.failed == len(refused) and report.sent == members - len(refused)
    failed = {r.recipient for r in service.store.outbox_rows(status="failed", limit=10_000)}
    assert failed == refused
    await service.aclose()
    service.store.close()


async def test_a_stop_mid_drain_ends_both_within_the_grace_and_leaves_the_rest_queued(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 1200
    service = network(tmp_path, server.port, members, connections=2)
    spec = spec_of(service)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stop_at_400(d: Delivery) -> None:  # (in the server's thread)
        if len(handler.delivered) == 400:
            loop.call_soon_threadsafe(stop.set)

    handler.on_data = stop_at_400
    handler.slow_until_peers = 3
    drain = asyncio.ensure_future(service.send(lambda: datetime.now(UTC), stop))
    await asyncio.wait_for(stop.wait(), 60)
    started = time.monotonic()
    await drain
    assert time.monotonic() - started < 2.5
    assert spec.pids and not alive(spec.pids[-1])
    counts = service.store.outbox_counts()
    assert counts.get("queued", 0) > 0, "the rest waits for the next drain"
    got: Counter[str] = copies(handler.delivered)
    assert len(got) == counts["sent"] and max(got.values()) == 1
    await service.aclose()
    service.store.close()
