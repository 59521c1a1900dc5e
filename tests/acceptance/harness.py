"""What the acceptance tests share: a network config pointing at a loopback sink, the real daemon as a
subprocess (logs to files), its CPU time, and counts of what the sink and the database saw."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from example_network import weekly_series
from smtp_server import SinkHandler, SinkSMTP

from mailer.state.store import Store

ROOT = Path(__file__).resolve().parents[2]
COORDINATOR = "koordinator@example.org"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Controller(Controller):  # type: ignore[misc]
    """aiosmtpd's Controller with the test server's SMTP class (it counts the connections open at once)."""

    def factory(self) -> Any:
        return SinkSMTP(self.handler, **self.SMTP_kwargs)


@contextmanager
def sink_on(port: int, handler: SinkHandler) -> Iterator[SinkHandler]:
    """A real aiosmtpd server on 127.0.0.1:`port` for the `with` block."""
    controller = _Controller(handler, hostname="127.0.0.1", port=port, server_hostname="sink.test",
                             ready_timeout=10.0)
    controller.start()
    try:
        yield handler
    finally:
        controller.stop()


def message_id(data: bytes) -> str:
    return str(BytesHeaderParser().parsebytes(data)["Message-ID"])


def received(handler: SinkHandler) -> Counter[str]:
    """How often the server received each Message-ID (answered or not: after DATA it has the message)."""
    return Counter(message_id(d.data) for d in [*handler.delivered, *handler.unanswered])


#: Every daemon a test started; the acceptance conftest kills those still running when the test ends, so a
#: failed test leaves no daemon behind to take the next test's ports.
STARTED: list[subprocess.Popen[str]] = []


@dataclass
class Network:
    """One test network: its config file, database, and the daemon's log files."""

    dir: Path
    config: Path
    db: Path

    def run(self, *extra: str, log: str = "daemon") -> Daemon:
        out = open(self.dir / f"{log}.out", "w")  # noqa: SIM115 - closed by Daemon.wait
        err = open(self.dir / f"{log}.err", "w")  # noqa: SIM115
        proc = subprocess.Popen([sys.executable, "-m", "mailer.cli", "run", "--config", str(self.config), *extra],
                                cwd=ROOT, stdout=out, stderr=err, text=True)
        STARTED.append(proc)
        return Daemon(proc, self.dir / f"{log}.err", [out, err])

    def cli(self, *args: str, timeout: float = 60) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "mailer.cli", *args, "--config", str(self.config)],
                              cwd=ROOT, capture_output=True, text=True, timeout=timeout)

    def store(self) -> Store:
        return Store.open(self.db)

    def outbox(self, kind: str | None = "invitation") -> dict[str, int]:
        with self.opened() as store:
            counts: Counter[str] = Counter(r.status for r in store.outbox_rows(limit=1_000_000)
                                           if kind is None or r.kind == kind)
        return dict(counts)

    @contextmanager
    def opened(self) -> Iterator[Store]:
        store = Store.open(self.db)
        try:
            yield store
        finally:
            store.close()


@dataclass
class Daemon:
    proc: subprocess.Popen[str]
    err_path: Path
    files: list[Any]

    @property
    def pid(self) -> int:
        return self.proc.pid

    def cpu_seconds(self) -> float:
        """User + system CPU time the daemon used so far (from /proc)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def log(self) -> str:
        return self.err_path.read_text(errors="replace")

    def kill9(self) -> None:
        os.kill(self.pid, signal.SIGKILL)
        self.wait(10)

    def stop(self, timeout: float = 30) -> float:
        """SIGTERM; returns the seconds until it exited."""
        started = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        self.wait(timeout)
        return time.monotonic() - started

    def wait(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout)
        finally:
            if self.proc.returncode is not None:
                for f in self.files:
                    f.close()


def wait_for(predicate: Callable[[], bool], timeout: float = 60.0, every: float = 0.05) -> float:
    """Poll until `predicate()`; returns the seconds it took; AssertionError after `timeout`."""
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError(f"timed out after {timeout:g} s")
        time.sleep(every)
    return time.monotonic() - started


def network(tmp_path: Path, smtp_port: int, *, members: int, connections: int = 1, retry_base: int = 60,
            timeout: float = 10, imap_port: int = 9, database: Path | None = None,
            names: Callable[[int], str] | None = None, imap: str = "", imap_timeout: float = 2) -> Network:
    """A weekly series whose next invitation is already due, sent by SMTP to 127.0.0.1:`smtp_port`; the
    inbox is an IMAP port where nothing listens (port 9) unless given, `imap` more lines of [mail.imap]."""
    db = database or tmp_path / "tp.db"
    text = f"""{weekly_series(COORDINATOR)}
[mail]
transport = "smtp"
poll_seconds = 3600
retry_base_seconds = {retry_base}

[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
timeout_seconds = {timeout}
max_connections = {connections}
messages_per_minute = 600000

[mail.imap]
host = "127.0.0.1"
port = {imap_port}
tls = "none"
timeout_seconds = {imap_timeout}
{imap}
[storage]
database = "{db}"
"""
    config = tmp_path / "network.toml"
    config.write_text(text, encoding="utf-8")
    store = Store.open(db)
    now = datetime.now(UTC)
    with store.write():
        for i in range(members):
            name = names(i) if names else f"Medlem Nummer{i} Åström"
            store.add_member(f"medlem{i}@example.org", name, "sv", now)
    store.close()
    return Network(tmp_path, config, db)
