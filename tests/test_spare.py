"""A running daemon of a large network keeps one drain worker started ahead (the spare): the next fan-out's second
process is that one, each member still gets one message, and a new spare waits once the fan-out is over; a spare
that died or was prepared for another config is never used, and none outlives the daemon."""

from __future__ import annotations

import os
import signal
from datetime import UTC, datetime
from pathlib import Path

from smtp_server import Server, SinkHandler
from test_render_worker import alive, copies, network
from test_second_drain import spec_of, without_date

from mailer.outbound.spare import Spare, prepare_of
from mailer.service import Service


def spare_of(service: Service) -> Spare:
    spare = spec_of(service).spare
    assert spare is not None, "a running daemon of a large network keeps a spare"
    return spare


async def test_the_next_fan_out_is_sent_by_the_spare_and_a_new_spare_waits_after_it(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 600
    service = network(tmp_path, server.port, members, connections=2)
    service.sending.keep_spare()
    spare = spare_of(service)
    first = spare.pid
    assert first is not None and first != os.getpid()
    assert spare.wait_warm(30.0), "the spare got ready before any fan-out"
    now = datetime.now(UTC).replace(microsecond=0)
    report = await service.send(lambda: now)
    spec = spec_of(service)
    assert spec.pids == [first] and spare.used == 1, "the second sender was the spare started ahead"
    assert report.sent == members and report.failed == 0
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(members)}
    assert 0 < spec.rendered < members, "the spare sent a share"
    sent = {r.message_id: r for r in service.store.outbox_rows(status="sent", limit=10_000)}
    for d in handler.delivered:  # the spare's messages are the daemon's, byte for byte but the Date
        mid = d.data.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()
        assert without_date(service.composer.render(sent[mid], now).data) == without_date(d.data)
    following = spare.pid
    assert following is not None and following != first and not alive(first)
    await service.aclose()
    assert not alive(following), "the daemon's spare ends with the daemon"
    service.store.close()


async def test_a_small_network_or_one_connection_keeps_no_spare(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    (tmp_path / "small").mkdir()
    (tmp_path / "single").mkdir()
    small = network(tmp_path / "small", server.port, 20, connections=2)
    small.sending.keep_spare()
    assert spec_of(small).spare is None
    single = network(tmp_path / "single", server.port, 600, connections=1)
    single.sending.keep_spare()
    assert spec_of(single).spare is None
    for service in (small, single):
        await service.aclose()
        service.store.close()


async def test_a_spare_that_died_is_not_used_and_every_member_still_gets_one_message(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 600
    service = network(tmp_path, server.port, members, connections=2)
    service.sending.keep_spare()
    spare = spare_of(service)
    dead = spare.pid
    assert dead is not None
    os.kill(dead, signal.SIGKILL)
    report = await service.send(lambda: datetime.now(UTC))
    assert report.sent == members and report.failed == 0
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(members)}
    pids = spec_of(service).pids
    assert len(pids) == 1 and pids[0] != dead and spare.used == 0, "a new worker sent the share instead"
    await service.aclose()
    service.store.close()


async def test_a_spare_prepared_for_another_secret_is_killed_not_used(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 600
    service = network(tmp_path, server.port, members, connections=2)
    spec = spec_of(service)
    spec.spare = Spare()
    spec.spare.top_up(prepare_of(spec.config, b"a secret the daemon no longer has", spec.database))
    stale = spec.spare.pid
    assert stale is not None
    now = datetime.now(UTC).replace(microsecond=0)
    report = await service.send(lambda: now)
    assert report.sent == members
    assert spec.pids and stale not in spec.pids and not alive(stale)
    sent = {r.message_id: r for r in service.store.outbox_rows(status="sent", limit=10_000)}
    for d in handler.delivered:  # every reply token is the daemon's: members' answers prove themselves
        mid = d.data.split(b"Message-ID: ", 1)[1].split(b"\r\n", 1)[0].decode()
        assert without_date(service.composer.render(sent[mid], now).data) == without_date(d.data)
    await service.aclose()
    service.store.close()
