"""A second-drain worker started ahead of the next large fan-out (the spare): its interpreter, imports and templates
are ready when the fan-out comes, so the fan-out does not spend half a second of CPU starting one."""

# The daemon keeps one spare while it runs, for a network large enough for a second drain (service.py). The spare
# is a drain_worker process that was sent a Prepare (config, secret, database): it imports, opens the database,
# compiles the fan-out templates, says {"warm": pid} and waits. A second drain takes it if it is alive and was
# prepared with the same Prepare (else it is killed and a worker started the usual way), sends it the Job, and
# a new spare is started once the drain is over (idle time). A spare dies with the daemon like any worker.

from __future__ import annotations

import pickle
import subprocess
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.children import reap, spawn
from mailer.config import Config

if TYPE_CHECKING:
    from mailer.outbound.render_worker import WorkerSpec

MODULE = "mailer.outbound.drain_worker"


@dataclass(frozen=True)
class Prepare:
    """What a drain worker can get ready before it has a job: the daemon's config, token secret and database."""

    config: Config
    secret: bytes
    database: str


def start(prepare: Prepare) -> tuple[subprocess.Popen[bytes], Connection]:
    """A new drain worker, sent `prepare`; raises OSError when it cannot start."""
    proc, conn = spawn(MODULE)
    try:
        conn.send_bytes(pickle.dumps(prepare, protocol=pickle.HIGHEST_PROTOCOL))
    except OSError:
        _kill(proc, conn)
        raise
    return proc, conn


class Spare:
    """At most one prepared worker, waiting. `take` hands it over (or a new one), `top_up` starts the next."""

    def __init__(self) -> None:
        self.proc: subprocess.Popen[bytes] | None = None
        self.conn: Connection | None = None
        self.prepare: Prepare | None = None
        #: How many second drains took a spare that was already running (the rest started their own).
        self.used = 0

    @property
    def pid(self) -> int | None:
        """The waiting spare's pid, if one is alive."""
        return self.proc.pid if self.proc is not None and self.proc.poll() is None else None

    def take(self, prepare: Prepare) -> tuple[subprocess.Popen[bytes], Connection]:
        """The spare if it is alive and prepared for `prepare`, else a new worker; raises OSError as `start`."""
        proc, conn, was = self.proc, self.conn, self.prepare
        self.proc = self.conn = self.prepare = None
        if proc is not None and conn is not None:
            if proc.poll() is None and was == prepare:
                self.used += 1
                return proc, conn
            _kill(proc, conn)  # gone, or prepared with a config or database no longer the daemon's
        return start(prepare)

    def top_up(self, prepare: Prepare) -> None:
        """Start a spare for `prepare` unless one is waiting; a spare that cannot start is simply not there."""
        if self.proc is not None and self.proc.poll() is None and self.prepare == prepare:
            return
        self.close()
        try:
            self.proc, self.conn = start(prepare)
        except OSError:
            return
        self.prepare = prepare

    def wait_warm(self, timeout: float) -> bool:
        """Until the spare says it is ready (for benchmarks and tests); False when it did not within `timeout`."""
        conn = self.conn
        try:
            return conn is not None and conn.poll(timeout) and b'"warm"' in conn.recv_bytes(1 << 16)
        except (EOFError, OSError):
            return False

    def close(self) -> None:
        """The spare is killed (the daemon stops, or it is replaced)."""
        if self.proc is not None and self.conn is not None:
            _kill(self.proc, self.conn)
        self.proc = self.conn = self.prepare = None


def _kill(proc: subprocess.Popen[bytes], conn: Connection) -> None:
    conn.close()
    reap(proc)


def prepare_of(config: Config, secret: bytes, database: Path | str) -> Prepare:
    """The Prepare for a daemon's config, secret and database file."""
    return Prepare(config, secret, str(database))


def keep(spec: WorkerSpec | None, config: Config, members: int) -> None:
    """While the daemon runs, a network large enough for a second drain (`members` at least the spec's threshold,
    two or more SMTP connections, no XOAUTH2) keeps a spare, so the next fan-out's second process is ready."""
    smtp = config.mail.smtp
    if (spec is None or smtp is None or config.mail.transport != "smtp" or smtp.max_connections < 2
            or smtp.auth == "xoauth2" or members < spec.threshold):
        return
    if spec.spare is None:
        spec.spare = Spare()
    spec.spare.top_up(prepare_of(spec.config, spec.secret, spec.database))


def close(spec: WorkerSpec | None) -> None:
    """The daemon stops: its spare, if it keeps one, is killed."""
    if spec is not None and spec.spare is not None:
        spec.spare.close()
