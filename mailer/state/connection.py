"""The one connection and transaction owner: opening (WAL, synchronous=FULL), locks, BEGIN IMMEDIATE writes
(and the -wal's fsync that makes the outbox's unsynced sent marks durable), settings and the event log."""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, Self, TextIO

from sqlite_utils import Database

from mailer.errors import AlreadyRunning, StoreError
from mailer.state.migrations import migrations
from mailer.state.rows import iso

log = logging.getLogger("traffpunkt.store")

#: The database holds the token secret and members' addresses: owner-only, like its -wal, -shm and lock.
PRIVATE_FILE_MODE = 0o600


def _make_private(path: Path, quiet: bool = False) -> None:
    """Owner-only read/write for one of the database's files; a looser existing file is tightened (logged,
    unless `quiet`: a file just created)."""
    try:
        mode = path.stat().st_mode & 0o777
        if mode != PRIVATE_FILE_MODE:
            os.chmod(path, PRIVATE_FILE_MODE)
            if not quiet:
                log.warning("%s was readable by others (mode %o); now %o", path, mode, PRIVATE_FILE_MODE)
    except FileNotFoundError:
        return
    except OSError as exc:  # not ours to change: say so, keep going
        log.warning("cannot make %s private: %s", path, exc)


class StoreBase:
    """State of one network in one SQLite file: the connection, its transactions and its log."""

    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path
        self._lock_file: TextIO | None = None
        #: In WAL mode (a file): commits may skip their fsync (`unsynced`) and `sync_wal` makes them durable.
        self.wal = False
        self._wal_dir_synced = False

    @classmethod
    def open(cls, path: Path | str, *, lock: bool = False) -> Self:
        """Open (creating if needed) the database and bring its schema up to date; with `lock`, claim it
        for this daemon first (AlreadyRunning if another has it), so migrations run under the lock."""
        p = Path(path)
        existed = p.exists()
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(str(p), timeout=30.0, check_same_thread=False)  # ticks are sequential
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot open database {p}: {exc}") from None
        store = cls(Database(conn), p)
        try:
            if lock:
                store.acquire_lock()
            store._configure(wal=True)
            store.make_private(quiet=not existed)
        except BaseException:
            store.close()
            raise
        return store

    @classmethod
    def open_readonly(cls, path: Path | str) -> Self:
        """A connection that only reads an existing database (no migrations, no lock, writes refused by
        SQLite): for a worker process beside the daemon."""
        p = Path(path)
        try:
            conn = sqlite3.connect(f"{p.resolve().as_uri()}?mode=ro", uri=True, timeout=30.0,
                                   check_same_thread=False)
            conn.execute("PRAGMA busy_timeout=30000")
            conn.execute("PRAGMA query_only=ON")
        except (OSError, sqlite3.Error) as exc:
            raise StoreError(f"cannot read database {p}: {exc}") from None
        return cls(Database(conn), p)

    def make_private(self, quiet: bool = False) -> None:
        """Tighten the database, its -wal and -shm to owner-only (0600); SQLite gives new -wal/-shm files
        the database's own mode, so they stay private. A looser file is logged unless `quiet`."""
        if self.path is None:
            return
        for suffix in ("", "-wal", "-shm"):
            _make_private(self.path.with_name(self.path.name + suffix), quiet)

    @classmethod
    def memory(cls) -> Self:
        store = cls(Database(sqlite3.connect(":memory:", check_same_thread=False)))
        store._configure(wal=False)
        return store

    def _configure(self, wal: bool) -> None:
        try:
            self.db.execute("PRAGMA busy_timeout=30000")
            with self._migration_lock():  # two first opens of a new database take turns
                if wal:
                    mode = self.db.execute("PRAGMA journal_mode=WAL").fetchone()
                    self.wal = bool(mode) and str(mode[0]).lower() == "wal"
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.execute("PRAGMA foreign_keys=ON")
                migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot use database {self.path}: {exc}") from None

    def close(self) -> None:
        self.release_lock()
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Self]:
        """One write transaction (BEGIN IMMEDIATE): everything inside commits together or not at all."""
        conn = self.db.conn
        if conn.in_transaction:
            with self.db.atomic():
                yield self
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self
            conn.execute("COMMIT")  # may fail (disk full): then nothing of it stays, not even open
        except BaseException:
            if conn.in_transaction:
                try:
                    conn.execute("ROLLBACK")
                except sqlite3.Error:  # pragma: no cover - SQLite rolled back by itself
                    pass
            raise

    def sync_wal(self) -> None:
        """Make every commit so far durable, the sent marks' too (`sent_marks.MarkConnection`): fsync of the
        -wal (and once of its folder, as SQLite does for a new -wal). No SQL: safe in another thread."""
        if self.path is None or not self.wal:
            return
        real = Path(os.path.realpath(self.path))  # SQLite keeps the -wal beside the real file
        try:
            fd = os.open(real.with_name(real.name + "-wal"), os.O_RDONLY)
        except FileNotFoundError:  # no -wal: everything is in the database file, synced by its checkpoint
            return
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        if not self._wal_dir_synced:
            fd = os.open(real.parent, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
            self._wal_dir_synced = True

    def _one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    def _lock_path(self, suffix: str) -> Path:
        """Beside the database's real file (symlinks resolved), so every way to reach it shares the lock."""
        assert self.path is not None
        real = Path(os.path.realpath(self.path))
        return real.with_name(real.name + suffix)

    @contextmanager
    def _migration_lock(self) -> Iterator[None]:
        """Held while the schema is brought up to date: two first runs on a new database take turns."""
        if self.path is None:
            yield
            return
        try:
            f = open(self._lock_path(".migrate.lock"), "a+")  # noqa: SIM115 - closed below
        except OSError:  # a read-only directory (status by another user): nothing to migrate there anyway
            yield
            return
        with f:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX)
            yield

    def acquire_lock(self) -> None:
        """Claim the database for one daemon; a second one gets AlreadyRunning. The OS frees it on exit."""
        if self.path is None or self._lock_file is not None:
            return
        lock_path = self._lock_path(".lock")
        fd = os.open(lock_path, os.O_RDWR | os.O_CREAT | os.O_APPEND, PRIVATE_FILE_MODE)
        f = os.fdopen(fd, "a+")  # held for the daemon's lifetime
        _make_private(lock_path, quiet=True)
        try:
            fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            f.seek(0)
            holder = f.read().strip() or "another process"
            f.close()
            raise AlreadyRunning(
                f"another traffpunkt daemon ({holder}) is already running on {self.path} "
                f"({lock_path.with_suffix('')}); stop it first"
            ) from None
        f.seek(0)
        f.truncate()
        f.write(f"pid {os.getpid()}")
        f.flush()
        self._lock_file = f

    def release_lock(self) -> None:
        if self._lock_file is not None:
            self._lock_file.close()
            self._lock_file = None

    def setting(self, key: str) -> str | None:
        row = self._one("SELECT value FROM settings WHERE key = ?", [key])
        return str(row["value"]) if row else None

    def set_setting(self, key: str, value: str | None) -> None:
        with self.write():
            if value is None:
                self.db.execute("DELETE FROM settings WHERE key = ?", [key])
            else:
                self.db.execute("INSERT OR REPLACE INTO settings (key, value) VALUES (?, ?)", [key, value])

    def token_secret(self, from_env: str | None = None) -> bytes:
        """The HMAC secret for reply tokens: from the named environment variable, else one kept in the db."""
        if from_env:
            value = os.environ.get(from_env)
            if value:
                return value.encode()
        row = self._one("SELECT value FROM settings WHERE key = 'token_secret'")
        if row:
            return str(row["value"]).encode()
        with self.write():
            self.db.execute("INSERT OR IGNORE INTO settings (key, value) VALUES ('token_secret', ?)",
                            [secrets.token_urlsafe(32)])
        row = self._one("SELECT value FROM settings WHERE key = 'token_secret'")
        assert row is not None
        return str(row["value"]).encode()

    def log(self, event: str, now: datetime, *, member_id: int | None = None, meeting_id: int | None = None,
            detail: str = "") -> None:
        """Append to the log of what happened (call inside write(), or it commits on its own)."""
        if self.db.conn.in_transaction:
            self.db.execute("INSERT INTO log (at, event, member_id, meeting_id, detail) VALUES (?,?,?,?,?)",
                            [iso(now), event, member_id, meeting_id, detail])
        else:
            with self.write():
                self.log(event, now, member_id=member_id, meeting_id=meeting_id, detail=detail)

    def log_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM log ORDER BY id DESC LIMIT ?", [limit]))[::-1]

    def log_since(self, event: str, since: datetime) -> list[dict[str, Any]]:
        """Log entries of one event at or after `since`, oldest first."""
        rows = self.db.query("SELECT * FROM log WHERE event = ? ORDER BY id DESC LIMIT 1000", [event])
        return [r for r in rows if datetime.fromisoformat(r["at"]) >= since][::-1]
