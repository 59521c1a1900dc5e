"""The only module that speaks SQL: the SQLite state (WAL, synchronous=FULL, BEGIN IMMEDIATE writes)."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import secrets
import sqlite3
from collections import defaultdict
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database

from mailer.errors import AlreadyRunning, StoreError
from mailer.models import Meeting, MeetingChange, Member, PlannerState
from mailer.state.migrations import migrations

log = logging.getLogger("traffpunkt.store")

#: The database holds the token secret and members' addresses: owner-only, like its -wal, -shm and lock.
PRIVATE_FILE_MODE = 0o600


@dataclass(frozen=True)
class OutboxRow:
    id: int
    key: str
    kind: str
    member_id: int | None
    meeting_id: int | None
    recipient: str
    sequence: int
    context: dict[str, Any]
    message_id: str
    status: str
    attempts: int
    next_attempt_at: str
    last_error: str | None


def _iso(dt: datetime) -> str:
    return dt.isoformat(timespec="seconds")


def _member(row: Mapping[str, Any]) -> Member:
    return Member(id=row["id"], name=row["name"], address=row["address"], organisation=row["organisation"],
                  language=row["language"], status=row["status"], joined=datetime.fromisoformat(row["joined"]))


def _meeting(row: Mapping[str, Any]) -> Meeting:
    return Meeting(id=row["id"], date=date.fromisoformat(row["date"]), uid=row["uid"], sequence=row["sequence"],
                   start=datetime.fromisoformat(row["start"]), end=datetime.fromisoformat(row["end"]),
                   place=row["place"], address=row["address"], online_link=row["online_link"], theme=row["theme"],
                   guest_speaker=row["guest_speaker"], cancelled=bool(row["cancelled"]),
                   fingerprint=row["fingerprint"])


def _outbox(row: Mapping[str, Any]) -> OutboxRow:
    return OutboxRow(id=row["id"], key=row["key"], kind=row["kind"], member_id=row["member_id"],
                     meeting_id=row["meeting_id"], recipient=row["recipient"], sequence=row["sequence"],
                     context=json.loads(row["context"]), message_id=row["message_id"], status=row["status"],
                     attempts=row["attempts"], next_attempt_at=row["next_attempt_at"], last_error=row["last_error"])


@dataclass(frozen=True)
class InboundRow:
    """One inbound message as handled: where it came from and what became of it."""

    id: int
    source: str
    message_id: str | None
    digest: str | None
    status: str
    category: str | None
    reason: str | None
    member_id: int | None
    summary: dict[str, Any]
    received_at: str
    #: How many times handling it began ('handling' rows: 1 = one interrupted attempt).
    attempts: int = 0
    size: int | None = None


def _inbound(row: Mapping[str, Any]) -> InboundRow:
    return InboundRow(id=row["id"], source=row["source"], message_id=row["message_id"], digest=row["digest"],
                      status=row["status"], category=row["category"], reason=row["reason"],
                      member_id=row["member_id"], summary=json.loads(row["summary"] or "{}"),
                      received_at=row["received_at"], attempts=row["attempts"], size=row["size"])


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


class _MemberStream:
    """The active members, streamed from the store afresh on every iteration (never all in memory)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __iter__(self) -> Iterator[Member]:
        return self._store.members_in_batches("active")


class Store:
    """State of one network in one SQLite file."""

    def __init__(self, db: Database, path: Path | None = None) -> None:
        self.db = db
        self.path = path
        self._lock_file: TextIO | None = None

    # -- opening -------------------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | str, *, lock: bool = False) -> Store:
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

    def make_private(self, quiet: bool = False) -> None:
        """Tighten the database, its -wal and -shm to owner-only (0600); SQLite gives new -wal/-shm files
        the database's own mode, so they stay private. A looser file is logged unless `quiet`."""
        if self.path is None:
            return
        for suffix in ("", "-wal", "-shm"):
            _make_private(self.path.with_name(self.path.name + suffix), quiet)

    @classmethod
    def memory(cls) -> Store:
        store = cls(Database(sqlite3.connect(":memory:", check_same_thread=False)))
        store._configure(wal=False)
        return store

    def _configure(self, wal: bool) -> None:
        try:
            self.db.execute("PRAGMA busy_timeout=30000")
            with self._migration_lock():  # two first opens of a new database take turns
                if wal:
                    self.db.execute("PRAGMA journal_mode=WAL")
                self.db.execute("PRAGMA synchronous=FULL")
                self.db.execute("PRAGMA foreign_keys=ON")
                migrations.apply(self.db)
        except sqlite3.DatabaseError as exc:
            raise StoreError(f"cannot use database {self.path}: {exc}") from None

    def close(self) -> None:
        self.release_lock()
        self.db.close()

    @contextmanager
    def write(self) -> Iterator[Store]:
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

    def _one(self, sql: str, params: tuple[Any, ...] | list[Any] = ()) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None

    # -- the daemon lock -----------------------------------------------------------------------------

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

    # -- settings ------------------------------------------------------------------------------------

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

    # -- members -------------------------------------------------------------------------------------

    def add_member(self, address: str, name: str, language: str, now: datetime, organisation: str | None = None,
                   source: str = "admin") -> tuple[Member, bool]:
        """Add a member, or re-activate one who left; returns (member, created_or_reactivated)."""
        address = address.strip().lower()
        with self.write():
            row = self._one("SELECT * FROM members WHERE address = ?", [address])
            if row and row["status"] == "active":
                return _member(row), False
            if row:
                self.db.execute("UPDATE members SET status = 'active', left_at = NULL, hard_bounces = 0, "
                                "name = COALESCE(NULLIF(?, ''), name), joined = ? WHERE id = ?",
                                [name, _iso(now), row["id"]])
                member_id = int(row["id"])
            else:
                cur = self.db.execute(
                    "INSERT INTO members (name, address, organisation, language, status, joined, source) "
                    "VALUES (?, ?, ?, ?, 'active', ?, ?)", [name, address, organisation, language, _iso(now), source])
                member_id = int(cur.lastrowid or 0)
            self.db.execute("DELETE FROM address_failures WHERE address = ?", [address])  # a fresh start
            self.log("member-added", now, member_id=member_id, detail=f"{address} ({source})")
        member = self.member(member_id)
        assert member is not None
        return member, True

    def remove_member(self, address: str, now: datetime, reason: str = "admin") -> Member | None:
        """Mark a member as left (rows are kept for history); None if there is no such active member."""
        with self.write():
            row = self._one("SELECT * FROM members WHERE address = ? AND status != 'left'", [address.strip().lower()])
            if row is None:
                return None
            self.db.execute("UPDATE members SET status = 'left', left_at = ? WHERE id = ?", [_iso(now), row["id"]])
            self.log("member-left", now, member_id=row["id"], detail=reason)
        return _member({**row, "status": "left"})

    def set_member_status(self, member_id: int, status: str, now: datetime, detail: str = "") -> None:
        with self.write():
            self.db.execute("UPDATE members SET status = ? WHERE id = ?", [status, member_id])
            self.log(f"member-{status}", now, member_id=member_id, detail=detail)

    def member(self, member_id: int) -> Member | None:
        row = self._one("SELECT * FROM members WHERE id = ?", [member_id])
        return _member(row) if row else None

    def member_by_address(self, address: str) -> Member | None:
        row = self._one("SELECT * FROM members WHERE address = ?", [address.strip().lower()])
        return _member(row) if row else None

    def members(self, status: str | None = "active") -> Iterator[Member]:
        """Members in id order, streamed (never a list of all of them)."""
        if status is None:
            rows = self.db.query("SELECT * FROM members ORDER BY id")
        else:
            rows = self.db.query("SELECT * FROM members WHERE status = ? ORDER BY id", [status])
        for row in rows:
            yield _member(row)

    def members_in_batches(self, status: str = "active", batch: int = 2000) -> Iterator[Member]:
        """Members in id order, read a batch at a time: no cursor stays open between batches, so the
        caller may write to the database while iterating."""
        last_id = 0
        while True:
            rows = list(self.db.query("SELECT * FROM members WHERE status = ? AND id > ? ORDER BY id LIMIT ?",
                                      [status, last_id, batch]))
            if not rows:
                return
            for row in rows:
                yield _member(row)
            last_id = rows[-1]["id"]

    def count_members(self, status: str = "active") -> int:
        row = self._one("SELECT count(*) AS n FROM members WHERE status = ?", [status])
        return int(row["n"]) if row else 0

    # -- meetings ------------------------------------------------------------------------------------

    def meetings(self, since: date | None = None) -> dict[date, Meeting]:
        rows = self.db.query("SELECT * FROM meetings WHERE date >= ? ORDER BY date", [(since or date.min).isoformat()])
        return {m.date: m for m in map(_meeting, rows)}

    def meeting(self, meeting_id: int) -> Meeting | None:
        row = self._one("SELECT * FROM meetings WHERE id = ?", [meeting_id])
        return _meeting(row) if row else None

    def meeting_on(self, day: date) -> Meeting | None:
        row = self._one("SELECT * FROM meetings WHERE date = ?", [day.isoformat()])
        return _meeting(row) if row else None

    def apply_meeting_change(self, change: MeetingChange, uid_domain: str, now: datetime) -> Meeting:
        """Store an occurrence as the meeting's truth (the caller holds the write transaction)."""
        occ = change.occurrence
        values = [_iso(occ.start), _iso(occ.end), occ.place, occ.address, occ.online_link, occ.theme,
                  occ.guest_speaker, int(occ.cancelled), occ.fingerprint, change.sequence, _iso(now)]
        existing = self._one("SELECT id FROM meetings WHERE date = ?", [occ.date.isoformat()])
        if existing:
            self.db.execute('UPDATE meetings SET start=?, "end"=?, place=?, address=?, online_link=?, theme=?, '
                            "guest_speaker=?, cancelled=?, fingerprint=?, sequence=?, updated_at=? WHERE id=?",
                            [*values, existing["id"]])
            meeting_id = int(existing["id"])
            self.log("meeting-cancelled" if occ.cancelled else "meeting-changed", now, meeting_id=meeting_id,
                     detail=f"{occ.date} sequence {change.sequence}")
        else:
            # derived from the date, so the public feed's event and the invitation's are the same event
            uid = f"traffpunkt-{occ.date.isoformat()}-series@{uid_domain}"
            cur = self.db.execute(
                'INSERT INTO meetings (start, "end", place, address, online_link, theme, guest_speaker, cancelled, '
                "fingerprint, sequence, updated_at, date, uid) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [*values, occ.date.isoformat(), uid])
            meeting_id = int(cur.lastrowid or 0)
        meeting = self.meeting(meeting_id)
        assert meeting is not None
        return meeting

    def planner_state(self, since: date) -> PlannerState:
        """Everything the planner needs about meetings from `since` on, read in one transaction."""
        with self.db.atomic():
            meetings = self.meetings(since)
            ids = [m.id for m in meetings.values()]
            invited: dict[int, dict[int, int]] = defaultdict(dict)
            reminded: dict[int, set[int]] = defaultdict(set)
            cancelled: dict[int, set[int]] = defaultdict(set)
            answers: dict[int, dict[int, str]] = defaultdict(dict)
            if ids:
                marks = ",".join("?" * len(ids))
                for row in self.db.execute(
                    f"SELECT meeting_id, member_id, kind, max(sequence) FROM outbox WHERE meeting_id IN ({marks}) "
                    "AND kind IN ('invitation', 'update', 'reminder', 'cancellation') AND status != 'dropped' "
                    "GROUP BY meeting_id, member_id, kind", ids).fetchall():
                    meeting_id, member_id, kind, seq = row
                    if kind in ("invitation", "update"):
                        invited[meeting_id][member_id] = max(seq, invited[meeting_id].get(member_id, -1))
                    elif kind == "reminder":
                        reminded[meeting_id].add(member_id)
                    else:
                        cancelled[meeting_id].add(member_id)
                answer_sql = f"SELECT meeting_id, member_id, answer FROM rsvps WHERE meeting_id IN ({marks})"
                for meeting_id, member_id, answer in self.db.execute(answer_sql, ids).fetchall():
                    answers[meeting_id][member_id] = answer
                keys_sql = (f"SELECT key FROM outbox WHERE meeting_id IN ({marks}) "
                            "AND kind IN ('agenda', 'catering', 'thanks')")
                queued_keys = frozenset(row[0] for row in self.db.execute(keys_sql, ids).fetchall())
            else:
                queued_keys = frozenset()
            members = _MemberStream(self)
        return PlannerState(meetings=meetings, members=members, invited=invited, answers=answers,
                            reminded={k: frozenset(v) for k, v in reminded.items()},
                            cancelled_to={k: frozenset(v) for k, v in cancelled.items()},
                            queued_keys=queued_keys)

    # -- RSVPs ---------------------------------------------------------------------------------------

    def set_rsvp(self, meeting_id: int, member_id: int, answer: str, now: datetime, guests: int = 0,
                 dietary: str | None = None, source: str | None = None) -> str | None:
        """Record an answer (a changed mind overwrites); returns the earlier answer, if any."""
        with self.write():
            old = self._one("SELECT answer FROM rsvps WHERE meeting_id = ? AND member_id = ?", [meeting_id, member_id])
            self.db.execute(
                "INSERT INTO rsvps (meeting_id, member_id, answer, guests, dietary, source, updated_at) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT (meeting_id, member_id) DO UPDATE SET answer=excluded.answer, "
                "guests=excluded.guests, dietary=COALESCE(excluded.dietary, rsvps.dietary), source=excluded.source, "
                "updated_at=excluded.updated_at", [meeting_id, member_id, answer, guests, dietary, source, _iso(now)])
            before = old["answer"] if old else None
            event = "rsvp" if before is None else ("rsvp-changed" if before != answer else "rsvp-repeated")
            self.log(event, now, member_id=member_id, meeting_id=meeting_id,
                     detail=f"{before} -> {answer}" if before else answer)
        return before

    def rsvps(self, meeting_id: int) -> list[dict[str, Any]]:
        return list(self.db.query(
            "SELECT r.*, m.name, m.address, m.organisation FROM rsvps r JOIN members m ON m.id = r.member_id "
            "WHERE r.meeting_id = ? ORDER BY r.updated_at", [meeting_id]))

    # -- outbox --------------------------------------------------------------------------------------

    def enqueue(self, *, key: str, kind: str, recipient: str, message_id: str, now: datetime,
                member_id: int | None = None, meeting_id: int | None = None, sequence: int = 0,
                context: Mapping[str, Any] | None = None) -> bool:
        """Queue one mail unless its key was queued before; True when it was new. Call inside write()."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO outbox (key, kind, member_id, meeting_id, recipient, sequence, context, "
            "message_id, status, attempts, next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?,'queued',0,?,?)",
            [key, kind, member_id, meeting_id, recipient, sequence, json.dumps(dict(context or {}),
                                                                                 ensure_ascii=False),
             message_id, _iso(now), _iso(now)])
        return cur.rowcount == 1

    def due_outbox(self, now: datetime, batch: int = 500) -> Iterator[OutboxRow]:
        """Queued rows whose time has come, oldest first, read in batches so memory stays flat."""
        last_id = 0
        while True:
            rows = list(self.db.query(
                "SELECT * FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? AND id > ? ORDER BY id LIMIT ?",
                [_iso(now), last_id, batch]))
            if not rows:
                return
            for row in rows:
                yield _outbox(row)
            last_id = rows[-1]["id"]

    def drop_stale(self, now: datetime) -> int:
        """Drop queued mail that would come too late: anything before a meeting once it has started, and an
        invitation, reminder, update, agenda or catering list for a meeting since cancelled. Returns how many."""
        before_kinds: tuple[str, ...] = ("invitation", "reminder", "update", "cancellation", "agenda", "catering")
        marks = ",".join("?" * len(before_kinds))
        rows = list(self.db.query(
            f"SELECT DISTINCT m.id, m.start, m.cancelled FROM outbox o JOIN meetings m ON m.id = o.meeting_id "
            f"WHERE o.status = 'queued' AND o.kind IN ({marks})", list(before_kinds)))
        dropped = 0
        with self.write():
            for row in rows:
                started = datetime.fromisoformat(row["start"]) <= now
                if started:
                    kinds, why = before_kinds, "the meeting has started"
                elif row["cancelled"]:
                    kinds, why = tuple(k for k in before_kinds if k != "cancellation"), "the meeting is cancelled"
                else:
                    continue
                km = ",".join("?" * len(kinds))
                cur = self.db.execute(
                    f"UPDATE outbox SET status = 'dropped', last_error = ? WHERE status = 'queued' "
                    f"AND meeting_id = ? AND kind IN ({km})", [f"not sent: {why}", row["id"], *kinds])
                if cur.rowcount:
                    dropped += cur.rowcount
                    self.log("outbox-dropped", now, meeting_id=row["id"], detail=f"{cur.rowcount} mails: {why}")
        return dropped

    def next_outbox_time(self) -> datetime | None:
        row = self._one("SELECT min(next_attempt_at) AS t FROM outbox WHERE status = 'queued'")
        return datetime.fromisoformat(row["t"]) if row and row["t"] else None

    def mark_sent(self, row_id: int, now: datetime) -> None:
        with self.write():
            self.db.execute("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, "
                            "last_error = NULL WHERE id = ?", [_iso(now), row_id])

    def mark_retry(self, row_id: int, error: str, next_at: datetime) -> None:
        with self.write():
            self.db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                            "WHERE id = ?", [error[:500], _iso(next_at), row_id])

    def mark_failed(self, row_id: int, error: str, now: datetime, address_failing: bool) -> None:
        """Give up on a row; with `address_failing`, remember the address so it is not tried again, and an
        active member with it becomes 'bouncing' (gets no more mail until `members add` activates them)."""
        with self.write():
            row = self._one("SELECT recipient, member_id FROM outbox WHERE id = ?", [row_id])
            self.db.execute("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, "
                            "failed_at = ? WHERE id = ?", [error[:500], _iso(now), row_id])
            if row and address_failing:
                self.db.execute("INSERT OR REPLACE INTO address_failures (address, reason, at) VALUES (?,?,?)",
                                [row["recipient"], error[:500], _iso(now)])
                self.log("address-failing", now, member_id=row["member_id"], detail=f"{row['recipient']}: {error}")
                if row["member_id"] is not None:
                    cur = self.db.execute("UPDATE members SET status = 'bouncing' WHERE id = ? AND status = 'active'",
                                          [row["member_id"]])
                    if cur.rowcount:  # the coordinators' notice is derived from these (Sending.notify_refused)
                        self.log("member-refused", now, member_id=row["member_id"], detail=error[:500])

    def members_refused_since(self, after_log_id: int, limit: int = 200) -> list[dict[str, Any]]:
        """Members the outbox marked 'bouncing' (a refused address) after log entry `after_log_id`, oldest
        first: (log) id, at, reason, member_id, name, address."""
        return list(self.db.query(
            "SELECT l.id, l.at, l.detail AS reason, m.id AS member_id, m.name, m.address FROM log l "
            "JOIN members m ON m.id = l.member_id WHERE l.event = 'member-refused' AND l.id > ? "
            "ORDER BY l.id LIMIT ?", [after_log_id, limit]))

    def address_failing(self, address: str) -> bool:
        return self._one("SELECT 1 AS x FROM address_failures WHERE address = ?", [address]) is not None

    def outbox_rows(self, status: str | None = None, limit: int = 1000, newest_first: bool = False) -> list[OutboxRow]:
        if status == "failed" and newest_first:
            rows = self.db.query("SELECT * FROM outbox WHERE status = 'failed' ORDER BY failed_at DESC, id DESC "
                                 "LIMIT ?", [limit])
        elif status:
            rows = self.db.query("SELECT * FROM outbox WHERE status = ? ORDER BY id LIMIT ?", [status, limit])
        else:
            rows = self.db.query("SELECT * FROM outbox ORDER BY id LIMIT ?", [limit])
        return [_outbox(r) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self.db.query("SELECT status, count(*) AS n FROM outbox GROUP BY status")}

    # -- inbound (mailer/inbound/inbox.py) --------------------------------------------------------------------

    def begin_inbound(self, source: str, *, now: datetime, message_id: str | None, digest: str,
                      size: int | None = None) -> int:
        """Record, in its own committed transaction, that handling `source` begins ('handling'); returns how
        many times it has begun (2 = the first attempt was interrupted). Called before parsing, so a message
        that kills the daemon is known as such when it is met again."""
        with self.write():
            self.db.execute(
                "INSERT INTO inbound (source, message_id, digest, status, size, attempts, received_at) "
                "VALUES (?,?,?,'handling',?,1,?) ON CONFLICT (source) DO UPDATE SET status = 'handling', "
                "attempts = inbound.attempts + 1, size = COALESCE(excluded.size, inbound.size)",
                [source, message_id, digest, size, _iso(now.astimezone(UTC))])
            row = self._one("SELECT attempts FROM inbound WHERE source = ?", [source])
        return int(row["attempts"]) if row else 1

    def abandon_inbound(self, source: str) -> None:
        """Take back a `begin_inbound` that never got to the message (the parser could not start)."""
        with self.write():
            self.db.execute("DELETE FROM inbound WHERE source = ? AND status = 'handling' AND attempts <= 1",
                            [source])
            self.db.execute("UPDATE inbound SET attempts = attempts - 1 WHERE source = ? AND status = 'handling'",
                            [source])

    def record_inbound(self, source: str, *, status: str, now: datetime, message_id: str | None = None,
                       digest: str | None = None, reason: str | None = None, category: str | None = None,
                       member_id: int | None = None, summary: Mapping[str, Any] | None = None,
                       size: int | None = None) -> None:
        """Record what became of one inbound message, at `now` in UTC (inside write(), or it commits alone).

        Recording a source again updates its status and reason and keeps details it already had, so a
        handler may record category, member and summary in its own transaction and the inbox the outcome.
        """
        if not self.db.conn.in_transaction:
            with self.write():
                self.record_inbound(source, status=status, now=now, message_id=message_id, digest=digest,
                                    reason=reason, category=category, member_id=member_id, summary=summary,
                                    size=size)
            return
        self.db.execute(
            "INSERT INTO inbound (source, message_id, digest, status, category, reason, member_id, summary, "
            "received_at, size) VALUES (?,?,?,?,?,?,?,?,?,?) ON CONFLICT (source) DO UPDATE SET "
            "size = COALESCE(excluded.size, inbound.size), "
            "status = excluded.status, reason = COALESCE(excluded.reason, inbound.reason), "
            "message_id = COALESCE(excluded.message_id, inbound.message_id), "
            "digest = COALESCE(excluded.digest, inbound.digest), "
            "category = COALESCE(excluded.category, inbound.category), "
            "member_id = COALESCE(excluded.member_id, inbound.member_id), "
            "summary = CASE WHEN excluded.summary = '{}' THEN inbound.summary ELSE excluded.summary END",
            [source, message_id, digest, status, category, reason and reason[:1000], member_id,
             json.dumps(dict(summary or {}), ensure_ascii=False), _iso(now.astimezone(UTC)), size])

    def inbound_by_source(self, source: str) -> InboundRow | None:
        row = self._one("SELECT * FROM inbound WHERE source = ?", [source])
        return _inbound(row) if row else None

    def inbound_statuses(self, sources: list[str]) -> dict[str, str]:
        """{source: status} for those of `sources` already recorded."""
        found: dict[str, str] = {}
        for start in range(0, len(sources), 500):
            chunk = sources[start:start + 500]
            marks = ",".join("?" * len(chunk))
            for row in self.db.query(f"SELECT source, status FROM inbound WHERE source IN ({marks})", chunk):
                found[row["source"]] = row["status"]
        return found

    def inbound_applied(self, message_id: str | None, digest: str | None) -> InboundRow | None:
        """The first message processed or ignored with this Message-ID (or, when it has none, this digest)."""
        if message_id:
            row = self._one("SELECT * FROM inbound WHERE message_id = ? "
                            "AND status IN ('processed', 'ignored') ORDER BY id LIMIT 1", [message_id])
        elif digest:
            row = self._one("SELECT * FROM inbound WHERE digest = ? AND status IN ('processed', 'ignored') "
                            "ORDER BY id LIMIT 1", [digest])
        else:
            row = None
        return _inbound(row) if row else None

    def inbound_poisoned(self, digest: str) -> InboundRow | None:
        """The first message with these exact bytes quarantined as poison (it hung, crashed or killed the
        parser), if any."""
        row = self._one("SELECT * FROM inbound WHERE digest = ? AND status = 'quarantined' AND category = 'poison' "
                        "ORDER BY id LIMIT 1", [digest])
        return _inbound(row) if row else None

    def inbound_rows(self, status: str | None = None, limit: int = 1000) -> list[InboundRow]:
        if status:
            rows = self.db.query("SELECT * FROM inbound WHERE status = ? ORDER BY id LIMIT ?",
                                 [status, limit])
        else:
            rows = self.db.query("SELECT * FROM inbound ORDER BY id LIMIT ?", [limit])
        return [_inbound(r) for r in rows]

    def quarantined_since(self, since: datetime) -> list[InboundRow]:
        """Messages quarantined at or after `since`, oldest first (for the coordinator's daily digest)."""
        rows = self.db.query("SELECT * FROM inbound WHERE status = 'quarantined' AND received_at >= ? "
                             "ORDER BY received_at, id", [_iso(since.astimezone(UTC))])
        return [_inbound(r) for r in rows]

    def inbound_cursor(self, mailbox: str) -> tuple[int, int] | None:
        """(UIDVALIDITY, last UID handled) of an IMAP folder, or None if it was never read."""
        row = self._one("SELECT uidvalidity, last_uid FROM inbound_state WHERE mailbox = ?", [mailbox])
        return (int(row["uidvalidity"]), int(row["last_uid"])) if row else None

    def set_inbound_cursor(self, mailbox: str, uidvalidity: int, last_uid: int, now: datetime) -> None:
        with self.write():
            self.db.execute("INSERT INTO inbound_state (mailbox, uidvalidity, last_uid, updated_at) "
                            "VALUES (?,?,?,?) ON CONFLICT (mailbox) DO UPDATE SET "
                            "uidvalidity = excluded.uidvalidity, last_uid = excluded.last_uid, "
                            "updated_at = excluded.updated_at",
                            [mailbox, uidvalidity, last_uid, _iso(now)])

    # -- replies: topics, bounces, join requests ------------------------------------------------------

    def add_topic(self, meeting_id: int, member_id: int | None, text: str, now: datetime,
                  kind: str = "topic") -> bool:
        """Record a proposed topic (or a need/offer); False when the same member proposed the same text."""
        with self.write():
            dup = self._one("SELECT id FROM topics WHERE meeting_id = ? AND member_id IS ? AND kind = ? "
                            "AND lower(text) = lower(?)", [meeting_id, member_id, kind, text])
            if dup:
                return False
            self.db.execute("INSERT INTO topics (meeting_id, member_id, text, kind, created_at) VALUES (?,?,?,?,?)",
                            [meeting_id, member_id, text, kind, _iso(now)])
            self.log(f"{kind}-proposed", now, member_id=member_id, meeting_id=meeting_id, detail=text)
        return True

    def topics(self, meeting_id: int, kind: str | None = "topic") -> list[dict[str, Any]]:
        sql = ("SELECT t.*, m.name, m.organisation FROM topics t LEFT JOIN members m ON m.id = t.member_id "
               "WHERE t.meeting_id = ?")
        params: list[Any] = [meeting_id]
        if kind:
            sql += " AND t.kind = ?"
            params.append(kind)
        return list(self.db.query(sql + " ORDER BY t.id", params))

    def attendance(self, meeting_id: int) -> list[dict[str, Any]]:
        """Who answered what for a meeting, with `first_time` true for those never at an earlier meeting."""
        return list(self.db.query(
            "SELECT r.member_id, r.answer, r.guests, r.dietary, m.name, m.organisation, m.address, m.status, "
            "NOT EXISTS (SELECT 1 FROM rsvps r2 JOIN meetings me2 ON me2.id = r2.meeting_id "
            "  WHERE r2.member_id = r.member_id AND r2.answer = 'yes' AND me2.date < me.date) AS first_time "
            "FROM rsvps r JOIN members m ON m.id = r.member_id JOIN meetings me ON me.id = r.meeting_id "
            "WHERE r.meeting_id = ? ORDER BY r.updated_at, r.member_id", [meeting_id]))

    def agenda_topics(self, meeting: Meeting) -> list[dict[str, Any]]:
        """Topics for a meeting's agenda: those rolled over from earlier meetings first, then its own."""
        return list(self.db.query(
            "SELECT t.*, m.name, m.organisation, (t.meeting_id != ?) AS rolled_over FROM topics t "
            "LEFT JOIN members m ON m.id = t.member_id JOIN meetings me ON me.id = t.meeting_id "
            "WHERE t.kind = 'topic' AND ((t.meeting_id = ? AND t.status IN ('proposed', 'scheduled', 'rolled')) "
            "  OR (t.status = 'rolled' AND me.date < ?)) "
            "ORDER BY rolled_over DESC, t.created_at, t.id", [meeting.id, meeting.id, meeting.date.isoformat()]))

    def set_topic_status(self, topic_id: int, status: str, meeting_id: int, now: datetime) -> None:
        """Move a topic onto a meeting's agenda ('scheduled') or on to the next one ('rolled')."""
        with self.write():
            self.db.execute("UPDATE topics SET status = ?, meeting_id = ? WHERE id = ?", [status, meeting_id, topic_id])
            if status == "rolled":
                self.log("topic-rolled-over", now, meeting_id=meeting_id, detail=str(topic_id))

    def meeting_by_uid(self, uid: str) -> Meeting | None:
        row = self._one("SELECT * FROM meetings WHERE uid = ?", [uid])
        return _meeting(row) if row else None

    def meeting_update_times(self) -> dict[int, datetime]:
        """meeting id -> when the meeting was last stored or changed (the public feed's `updated`)."""
        return {int(r["id"]): datetime.fromisoformat(r["updated_at"])
                for r in self.db.query("SELECT id, updated_at FROM meetings")}

    def rsvp_of(self, meeting_id: int, member_id: int) -> dict[str, Any] | None:
        """One member's recorded answer (answer, guests, dietary) for a meeting, or None."""
        return self._one("SELECT answer, guests, dietary FROM rsvps WHERE meeting_id = ? AND member_id = ?",
                         [meeting_id, member_id])

    def members_named(self, name: str) -> list[Member]:
        """Active members whose name is `name`, or whose first name it is when it is one word (any case)."""
        wanted = " ".join(name.split()).casefold()
        first = wanted.split(" ")[0]
        rows = self.db.query("SELECT * FROM members WHERE status = 'active' AND (name LIKE ? OR name LIKE ?) "
                             "ORDER BY id LIMIT 200", [first, f"{first} %"])
        found = [_member(r) for r in rows]
        if not found and first != first.title():  # SQLite's LIKE folds ASCII only: "åsa" for "Åsa"
            rows = self.db.query("SELECT * FROM members WHERE status = 'active' AND (name = ? OR name LIKE ?) "
                                 "ORDER BY id LIMIT 200", [first.title(), f"{first.title()} %"])
            found = [_member(r) for r in rows]
        exact = [m for m in found if " ".join(m.name.split()).casefold() == wanted]
        if exact or " " in wanted:
            return exact
        return [m for m in found if m.name.split()[0].casefold() == wanted]

    def log_since(self, event: str, since: datetime) -> list[dict[str, Any]]:
        """Log entries of one event at or after `since`, oldest first."""
        rows = self.db.query("SELECT * FROM log WHERE event = ? ORDER BY id DESC LIMIT 1000", [event])
        return [r for r in rows if datetime.fromisoformat(r["at"]) >= since][::-1]

    def mail_queued_since(self, member_id: int, kind: str, since: datetime) -> bool:
        """Whether a mail of `kind` was queued to this member since `since` (rate limits for answers)."""
        return self._one("SELECT 1 AS x FROM outbox WHERE member_id = ? AND kind = ? AND created_at >= ?",
                         [member_id, kind, _iso(since)]) is not None

    def record_bounce(self, address: str, permanent: bool, now: datetime, limit: int) -> Member | None:
        """Count a hard bounce against a member; returns the member when this bounce made them 'bouncing'."""
        with self.write():
            row = self._one("SELECT * FROM members WHERE address = ?", [address.strip().lower()])
            if row is None:
                return None
            self.log("bounce", now, member_id=row["id"], detail=f"{address} ({'hard' if permanent else 'soft'})")
            if not permanent:
                return None
            last = self._one("SELECT at FROM log WHERE event = 'bounce-counted' AND member_id = ? "
                             "ORDER BY id DESC LIMIT 1", [row["id"]])
            if last and datetime.fromisoformat(last["at"]) > now - timedelta(hours=20):
                return None  # several reports of one outage (or a forger's burst) count once a day
            self.log("bounce-counted", now, member_id=row["id"], detail=address)
            count = int(row["hard_bounces"]) + 1
            self.db.execute("UPDATE members SET hard_bounces = ? WHERE id = ?", [count, row["id"]])
            if count >= limit and row["status"] == "active":
                self.db.execute("UPDATE members SET status = 'bouncing' WHERE id = ?", [row["id"]])
                self.log("member-bouncing", now, member_id=row["id"], detail=f"{count} hard bounces")
                return _member({**row, "status": "bouncing"})
        return None

    def add_join_request(self, address: str, name: str, language: str, now: datetime) -> int:
        """A pending double opt-in; returns its id (an open request for the same address is reused)."""
        with self.write():
            row = self._one("SELECT id FROM join_requests WHERE address = ? AND confirmed_at IS NULL",
                            [address.lower()])
            if row:
                return int(row["id"])
            cur = self.db.execute("INSERT INTO join_requests (address, name, language, created_at) VALUES (?,?,?,?)",
                                  [address.lower(), name, language, _iso(now)])
            self.log("join-requested", now, detail=address)
            return int(cur.lastrowid or 0)

    def join_confirmations_since(self, since: datetime) -> int:
        """How many join confirmations (the only mail to non-members) were queued since `since`."""
        row = self._one("SELECT count(*) AS n FROM outbox WHERE kind = 'join-confirm' AND created_at >= ?",
                        [_iso(since)])
        return int(row["n"]) if row else 0

    def hold_join_request(self, request_id: int, now: datetime) -> None:
        """Mark a request whose confirmation was not sent (the daily cap): it waits for the coordinator."""
        self.db.execute("UPDATE join_requests SET held_at = COALESCE(held_at, ?) WHERE id = ?", [_iso(now), request_id])
        self.log("join-held", now, detail=str(request_id))

    def held_join_requests(self) -> list[dict[str, Any]]:
        """Open join requests that got no confirmation mail, oldest first."""
        return list(self.db.query("SELECT * FROM join_requests WHERE held_at IS NOT NULL AND confirmed_at IS NULL "
                                  "ORDER BY id"))

    def count_topics(self, meeting_id: int, member_id: int) -> int:
        """How many topics this member has on this meeting (the per-member cap)."""
        row = self._one("SELECT count(*) AS n FROM topics WHERE meeting_id = ? AND member_id = ? AND kind = 'topic'",
                        [meeting_id, member_id])
        return int(row["n"]) if row else 0

    def sent_mail(self, message_id: str) -> OutboxRow | None:
        """The outbox row that carried this Message-ID (with or without angle brackets), if we sent it."""
        mid = message_id.strip().strip("<>")
        if not mid:
            return None
        row = self._one("SELECT * FROM outbox WHERE message_id = ? AND status = 'sent'", [f"<{mid}>"])
        return _outbox(row) if row else None

    def join_request(self, request_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM join_requests WHERE id = ?", [request_id])

    def confirm_join_request(self, request_id: int, now: datetime) -> None:
        with self.write():
            self.db.execute("UPDATE join_requests SET confirmed_at = ? WHERE id = ?", [_iso(now), request_id])

    # -- memos ---------------------------------------------------------------------------------------

    def add_memo_draft(self, meeting_id: int, notes: str, author: str, now: datetime,
                       source_message_id: str | None = None) -> int:
        """A new draft for the meeting; earlier drafts are superseded. Call inside write()."""
        row = self._one("SELECT max(version) AS v FROM memos WHERE meeting_id = ?", [meeting_id])
        version = int(row["v"] or 0) + 1 if row else 1
        self.db.execute("UPDATE memos SET status = 'superseded' WHERE meeting_id = ? AND status = 'draft'",
                        [meeting_id])
        cur = self.db.execute("INSERT INTO memos (meeting_id, version, notes, status, author, source_message_id, "
                              "created_at) VALUES (?,?,?,'draft',?,?,?)",
                              [meeting_id, version, notes, author, source_message_id, _iso(now)])
        self.log("memo-draft", now, meeting_id=meeting_id, detail=f"version {version} from {author}")
        return int(cur.lastrowid or 0)

    def approve_memo(self, memo_id: int, now: datetime) -> None:
        """Mark a draft approved (call inside write(), with the outbox rows it causes)."""
        self.db.execute("UPDATE memos SET status = 'approved', approved_at = ? WHERE id = ?", [_iso(now), memo_id])
        row = self._one("SELECT meeting_id, version FROM memos WHERE id = ?", [memo_id])
        if row:
            self.log("memo-approved", now, meeting_id=row["meeting_id"], detail=f"version {row['version']}")

    def memo(self, memo_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM memos WHERE id = ?", [memo_id])

    def current_draft(self, meeting_id: int | None = None) -> dict[str, Any] | None:
        """The newest draft awaiting approval (for one meeting, or any)."""
        if meeting_id is None:
            return self._one("SELECT * FROM memos WHERE status = 'draft' ORDER BY id DESC LIMIT 1")
        return self._one("SELECT * FROM memos WHERE status = 'draft' AND meeting_id = ? ORDER BY id DESC LIMIT 1",
                         [meeting_id])

    def approved_memos(self) -> list[dict[str, Any]]:
        """The approved memo of each meeting, newest meeting first (for the public page and feeds)."""
        return list(self.db.query(
            "SELECT mo.*, me.date AS meeting_date FROM memos mo JOIN meetings me ON me.id = mo.meeting_id "
            "WHERE mo.status = 'approved' ORDER BY me.date DESC, mo.version DESC"))

    # -- log -----------------------------------------------------------------------------------------

    def log(self, event: str, now: datetime, *, member_id: int | None = None, meeting_id: int | None = None,
            detail: str = "") -> None:
        """Append to the log of what happened (call inside write(), or it commits on its own)."""
        if self.db.conn.in_transaction:
            self.db.execute("INSERT INTO log (at, event, member_id, meeting_id, detail) VALUES (?,?,?,?,?)",
                            [_iso(now), event, member_id, meeting_id, detail])
        else:
            with self.write():
                self.log(event, now, member_id=member_id, meeting_id=meeting_id, detail=detail)

    def log_entries(self, limit: int = 200) -> list[dict[str, Any]]:
        return list(self.db.query("SELECT * FROM log ORDER BY id DESC LIMIT ?", [limit]))[::-1]
