"""The real daemon as a subprocess against a real SMTP server: kill -9 mid-fan-out, SIGTERM, a second daemon."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

import pytest
from example_network import weekly_series
from smtp_server import Delivery, SinkHandler, smtp_server

from mailer.outbound.marks import GROUP
from mailer.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
MEMBERS = 150
pytestmark = pytest.mark.slow


class SlowSink:
    """Accepts every message after a short pause, so a fan-out takes long enough to interrupt."""

    def __init__(self) -> None:
        self.delay = 0.01
        self.handler = SinkHandler(on_data=self._pause)

    def _pause(self, delivery: Delivery) -> None:
        time.sleep(self.delay)  # blocks the server's own thread: a slow server, as intended
        return None

    @property
    def received(self) -> list[tuple[str, str]]:
        return [(d.recipient, str(BytesHeaderParser().parsebytes(d.data)["Message-ID"]))
                for d in list(self.handler.delivered)]

    def count(self) -> int:
        return len(self.handler.delivered)


@pytest.fixture
def sink() -> Iterator[tuple[SlowSink, int]]:
    slow = SlowSink()
    with smtp_server(slow.handler) as server:
        yield slow, server.port


def _config(tmp_path: Path, smtp_port: int, connections: int = 1) -> Path:
    """A weekly series whose next invitation is already due, sending by SMTP to the sink on loopback."""
    text = f"""{weekly_series()}
[mail]
transport = "smtp"
poll_seconds = 3600

[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout_seconds = 10
max_connections = {connections}
messages_per_minute = 600000

[mail.imap]
host = "127.0.0.1"
port = 9
tls = "none"
timeout_seconds = 2

[storage]
database = "{tmp_path / 'tp.db'}"
"""
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    store = Store.open(tmp_path / "tp.db")
    now = datetime.now(UTC)
    for i in range(MEMBERS):
        store.add_member(f"medlem{i}@example.org", f"Medlem Nummer{i} Åström", "sv", now)
    store.close()
    return path


def _daemon(config: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mailer.cli", "run", "--config", str(config), *extra],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def _wait_for(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.02)


def _sent_invitations(db: Path) -> Counter[int]:
    store = Store.open(db)
    try:
        return Counter(r.member_id for r in store.outbox_rows("sent", limit=100_000) if r.kind == "invitation")
    finally:
        store.close()


@pytest.mark.parametrize("connections", [1, 2])
def test_kill_9_mid_fan_out_then_restart_sends_each_invitation_once(
        tmp_path: Path, sink: tuple[SlowSink, int], connections: int) -> None:
    handler, port = sink
    config = _config(tmp_path, port, connections)
    proc = _daemon(config)
    try:
        _wait_for(lambda: handler.count() >= 30)
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    assert handler.count() < MEMBERS, "the fan-out finished before the kill; make the sink slower"

    restart = subprocess.run([sys.executable, "-m", "mailer.cli", "run", "--once", "--config", str(config)],
                             cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert restart.returncode == 0, restart.stderr

    sent = _sent_invitations(tmp_path / "tp.db")
    assert len(sent) == MEMBERS and set(sent.values()) == {1}
    by_id = Counter(message_id for _, message_id in handler.received)
    twice = [mid for mid, n in by_id.items() if n > 1]
    # in flight, and the marks of the group not yet committed (mailer.outbound.marks.GROUP)
    assert len(twice) <= connections + GROUP, f"more than the messages in flight and a group again: {twice}"
    assert max(by_id.values()) <= 2
    recipients = {rcpt for rcpt, _ in handler.received}
    assert len(recipients) == MEMBERS


def test_sigterm_finishes_the_message_in_flight_and_exits_cleanly(
        tmp_path: Path, sink: tuple[SlowSink, int]) -> None:
    handler, port = sink
    handler.delay = 0.05
    config = _config(tmp_path, port)
    proc = _daemon(config)
    _wait_for(lambda: handler.count() >= 5)
    proc.send_signal(signal.SIGTERM)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "Traceback" not in err
    sent = _sent_invitations(tmp_path / "tp.db")
    # every message the server accepted is marked sent: nothing in flight was abandoned
    assert sum(sent.values()) == handler.count() < MEMBERS


def test_a_second_daemon_on_the_same_database_refuses_to_start(
        tmp_path: Path, sink: tuple[SlowSink, int]) -> None:
    handler, port = sink
    handler.delay = 0.05
    config = _config(tmp_path, port)
    first = _daemon(config)
    try:
        _wait_for(lambda: handler.count() >= 1)
        second = subprocess.run([sys.executable, "-m", "mailer.cli", "run", "--config", str(config)],
                                cwd=ROOT, capture_output=True, text=True, timeout=30)
        assert second.returncode != 0
        assert "already running" in second.stderr and "Traceback" not in second.stderr
    finally:
        first.send_signal(signal.SIGTERM)
        first.communicate(timeout=20)
