"""A large drain over one connection renders in a worker process on the other core: same messages, each member
once, the daemon renders the rest itself when the worker dies, and the worker never outlives its drain or its
daemon. (Over two or more connections a second drain sends half: tests/test_second_drain.py.)"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path

import pytest
from example_network import weekly_series
from smtp_server import Delivery, Server, SinkHandler

from mailer.config import load_config
from mailer.errors import StoreError
from mailer.outbound.render_worker import WorkerSpec
from mailer.service import Service
from mailer.state.store import Store

ROOT = Path(__file__).resolve().parent.parent


def alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, killed but not yet reaped, counts as gone)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def network(tmp_path: Path, port: int, members: int, extra: str = "", connections: int = 1,
            rate: int = 600_000) -> Service:
    text = f"""{weekly_series()}
[mail]
transport = "smtp"
{extra}
[mail.smtp]
host = "127.0.0.1"
port = {port}
tls = "none"
max_connections = {connections}
messages_per_minute = {rate}

[mail.imap]
host = "127.0.0.1"
port = 9
tls = "none"

[storage]
database = "{tmp_path / 'tp.db'}"
"""
    (tmp_path / "network.toml").write_text(text, encoding="utf-8")
    config = load_config(tmp_path / "network.toml")
    store = Store.open(config.database)
    now = datetime.now(UTC)
    with store.write():
        for i in range(members):
            store.add_member(f"medlem{i}@example.org", f"Medlem Nummer{i} Åström", ("sv", "fi", "en")[i % 3], now)
    service = Service(config, store)
    service.queue(now)
    return service


def copies(deliveries: list[Delivery]) -> Counter[str]:
    return Counter(d.recipient for d in deliveries if d.recipient.startswith("medlem"))


def worker_of(service: Service) -> WorkerSpec:
    spec = service.sending.render_worker
    assert spec is not None, "a network with a database file has a render worker"
    return spec


async def test_a_large_drain_is_rendered_in_another_process_byte_for_byte_as_the_daemon_would(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 400
    service = network(tmp_path, server.port, members)
    now = datetime.now(UTC).replace(microsecond=0)
    await service.send(lambda: now)
    spec = worker_of(service)
    assert len(spec.pids) == 1 and spec.pids[0] != os.getpid()
    # the first rows, and those due while the worker starts (about 0.3 s), are rendered here; then the worker's
    assert 0 < spec.rendered <= members - spec.threshold, "the worker rendered the rows once it was ready"
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(members)}
    assert not alive(spec.pids[0]), "the worker ends with its drain"
    sent = {r.message_id: r for r in service.store.outbox_rows(status="sent", limit=10_000)}
    assert len(sent) == members
    for d in handler.delivered[-50:]:  # the last ones came from the worker: the same bytes as rendered here
        row = sent[str(BytesHeaderParser().parsebytes(d.data)["Message-ID"])]
        assert service.composer.render(row, now).data.replace(b"\r\n", b"\n") == d.data.replace(b"\r\n", b"\n")
    await service.aclose()
    service.store.close()


async def test_a_small_drain_is_rendered_in_the_daemon_without_starting_a_worker(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    service = network(tmp_path, server.port, 50)
    await service.send(lambda: datetime.now(UTC))
    assert worker_of(service).pids == []
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(50)}
    await service.aclose()
    service.store.close()


async def test_render_worker_rows_0_keeps_every_drain_in_the_daemon(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    service = network(tmp_path, server.port, 250, extra="render_worker_rows = 0")
    assert service.sending.render_worker is None
    await service.send(lambda: datetime.now(UTC))
    assert len(copies(handler.delivered)) == 250
    await service.aclose()
    service.store.close()


async def test_a_worker_killed_mid_drain_leaves_its_rows_to_the_daemon_and_no_member_gets_two(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 600
    service = network(tmp_path, server.port, members)
    spec = worker_of(service)

    def kill_the_worker(d: Delivery) -> None:
        if len(handler.delivered) == 300 and spec.pids:
            os.kill(spec.pids[-1], signal.SIGKILL)

    handler.on_data = kill_the_worker
    report = await service.send(lambda: datetime.now(UTC))
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(members)}
    assert report.failed == 0 and report.sent >= members
    assert spec.rendered < members - spec.threshold, "the worker died before it rendered its share"
    await service.aclose()
    service.store.close()


async def test_a_worker_that_cannot_start_leaves_the_whole_drain_to_the_daemon(
        tmp_path: Path, server: Server, handler: SinkHandler, caplog: pytest.LogCaptureFixture) -> None:
    members = 300
    service = network(tmp_path, server.port, members)
    spec = worker_of(service)
    spec.database = tmp_path / "not-there.db"  # the worker's read-only open fails: it exits at once
    report = await service.send(lambda: datetime.now(UTC))
    assert copies(handler.delivered) == {f"medlem{i}@example.org": 1 for i in range(members)}
    assert report.failed == 0 and spec.rendered == 0
    assert "render worker did not start" in caplog.text
    await service.aclose()
    service.store.close()


async def test_a_stop_mid_drain_ends_the_worker_within_the_grace_and_leaves_the_rest_queued(
        tmp_path: Path, server: Server, handler: SinkHandler) -> None:
    members = 800
    service = network(tmp_path, server.port, members)
    spec = worker_of(service)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()

    def stop_at_300(d: Delivery) -> None:  # (in the server's thread)
        if len(handler.delivered) == 300:
            loop.call_soon_threadsafe(stop.set)

    handler.on_data = stop_at_300
    drain = asyncio.ensure_future(service.send(lambda: datetime.now(UTC), stop))
    await asyncio.wait_for(stop.wait(), 60)
    started = time.monotonic()
    await drain
    assert time.monotonic() - started < 2.5
    assert spec.pids and not alive(spec.pids[-1])
    counts = service.store.outbox_counts()
    assert counts.get("queued", 0) > 0, "the rest waits for the next drain"
    assert len(copies(handler.delivered)) == counts["sent"] and max(copies(handler.delivered).values()) == 1
    await service.aclose()
    service.store.close()


def test_the_worker_dies_with_a_daemon_killed_by_sigkill(tmp_path: Path) -> None:
    """A stand-in daemon starts a worker, prints its pid and waits; kill -9 of it takes the worker along."""
    db = tmp_path / "tp.db"
    Store.open(db).close()
    (tmp_path / "network.toml").write_text(weekly_series() + f'\n[storage]\ndatabase = "{db}"\n', encoding="utf-8")
    script = f"""
import asyncio, sys, time
from mailer.config import load_config
from mailer.outbound.render_worker import RenderWorker, WorkerSpec
config = load_config({str(tmp_path / 'network.toml')!r})
worker = RenderWorker(WorkerSpec(config, b"secret", config.database))
print(worker.spawn(), flush=True)
worker.wait_ready()
print("ready", flush=True)
time.sleep(60)
"""
    daemon = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        assert daemon.stdout is not None
        pid = int(daemon.stdout.readline())
        assert daemon.stdout.readline().strip() == "ready" and alive(pid)
        daemon.kill()
        daemon.wait(10)
        deadline = time.monotonic() + 5
        while alive(pid) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not alive(pid), "the worker outlived its daemon"
    finally:
        daemon.kill()
        daemon.wait(10)
        if daemon.stdout is not None:
            daemon.stdout.close()


def test_the_workers_database_connection_refuses_writes(tmp_path: Path) -> None:
    Store.open(tmp_path / "tp.db").close()
    with pytest.raises(StoreError):
        Store.open_readonly(tmp_path / "missing.db")
    store = Store.open_readonly(tmp_path / "tp.db")
    try:
        assert store.setting("anything") is None
        with pytest.raises(Exception, match="readonly|read-only|query_only|attempt to write"):
            store.set_setting("anything", "x")
    finally:
        store.close()
