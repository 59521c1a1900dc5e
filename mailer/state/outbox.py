"""The outbox: queued mail, its retries, and what was sent."""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import datetime
from typing import Any

from mailer.state.connection import StoreBase
from mailer.state.rows import OutboxRow, iso, to_outbox

#: The due rows with what the composer and the drain need of each: the member's fields, the failing address.
_DUE = ("SELECT o.*, m.id AS m_id, m.name AS m_name, m.address AS m_address, m.organisation AS m_organisation, "
        "m.language AS m_language, m.status AS m_status, m.joined AS m_joined, "
        "EXISTS (SELECT 1 FROM address_failures f WHERE f.address = o.recipient) AS address_failing "
        "FROM outbox o INDEXED BY outbox_queued LEFT JOIN members m ON m.id = o.member_id "
        "WHERE o.status = 'queued' AND o.next_attempt_at <= ? AND o.id > ? {upto}ORDER BY o.id LIMIT ?")

MARK_SENT_SQL = ("UPDATE outbox SET status = 'sent', sent_at = ?, attempts = attempts + 1, last_error = NULL "
                 "WHERE id = ?")


class OutboxTable(StoreBase):
    """The outbox: queued mail, its retries, and what was sent."""

    def enqueue(self, *, key: str, kind: str, recipient: str, message_id: str, now: datetime,
                member_id: int | None = None, meeting_id: int | None = None, sequence: int = 0,
                context: Mapping[str, Any] | None = None) -> bool:
        """Queue one mail unless its key was queued before; True when it was new. Call inside write()."""
        cur = self.db.execute(
            "INSERT OR IGNORE INTO outbox (key, kind, member_id, meeting_id, recipient, sequence, context, "
            "message_id, status, attempts, next_attempt_at, created_at) VALUES (?,?,?,?,?,?,?,?,'queued',0,?,?)",
            [key, kind, member_id, meeting_id, recipient, sequence, json.dumps(dict(context or {}),
                                                                                 ensure_ascii=False),
             message_id, iso(now), iso(now)])
        return cur.rowcount == 1

    def due_outbox(self, now: datetime, batch: int = 500, *, after: int = 0,
                   upto: int | None = None) -> Iterator[OutboxRow]:
        """Queued rows whose time has come, oldest first, read in batches so memory stays flat; each with its
        member and whether its address was known to fail (`OutboxRow.member`, `address_failing`), so that
        sending a row asks the database nothing more. Only ids in (`after`, `upto`] when given."""
        last_id = after
        sql = _DUE.format(upto="AND o.id <= ? " if upto is not None else "")
        extra = [upto] if upto is not None else []
        while True:
            rows = list(self.db.query(sql, [iso(now), last_id, *extra, batch]))
            if not rows:
                return
            for row in rows:
                yield to_outbox(row)
            last_id = rows[-1]["id"]

    def due_count(self, now: datetime, at_most: int) -> int:
        """How many queued rows are due now, counted up to `at_most` (enough to decide whether to split)."""
        return int(self.db.execute(
            "SELECT count(*) FROM (SELECT 1 FROM outbox WHERE status = 'queued' AND next_attempt_at <= ? "
            "LIMIT ?)", [iso(now), at_most]).fetchone()[0])

    def due_range_end(self, now: datetime, after: int, count: int) -> int | None:
        """The id that ends a range of `count` due rows after id `after` (fewer if fewer are left); None when
        none is left. Two drains take such ranges from one cursor, so no row is in both."""
        row = self.db.execute(
            "SELECT max(id) FROM (SELECT id FROM outbox INDEXED BY outbox_queued WHERE status = 'queued' "
            "AND next_attempt_at <= ? AND id > ? ORDER BY id LIMIT ?)", [iso(now), after, count]).fetchone()
        return int(row[0]) if row is not None and row[0] is not None else None

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
        """One statement: inside a transaction a part of it; else a transaction of its own (autocommit takes
        the write lock at the statement's start, as BEGIN IMMEDIATE would, and rolls back whole on an error)."""
        conn = self.db.conn
        if conn.in_transaction:
            conn.execute(MARK_SENT_SQL, (iso(now), row_id))
            return
        level = conn.isolation_level
        conn.isolation_level = None  # autocommit: no BEGIN and COMMIT of their own (issue 14: 5 -> 3 statements)
        try:
            conn.execute(MARK_SENT_SQL, (iso(now), row_id))
        finally:
            conn.isolation_level = level

    def mark_retry(self, row_id: int, error: str, next_at: datetime) -> None:
        with self.write():
            self.db.execute("UPDATE outbox SET attempts = attempts + 1, last_error = ?, next_attempt_at = ? "
                            "WHERE id = ?", [error[:500], iso(next_at), row_id])

    def mark_failed(self, row_id: int, error: str, now: datetime, address_failing: bool) -> None:
        """Give up on a row; with `address_failing`, remember the address so it is not tried again, and an
        active member with it becomes 'bouncing' (gets no more mail until `members add` activates them)."""
        with self.write():
            row = self._one("SELECT recipient, member_id FROM outbox WHERE id = ?", [row_id])
            self.db.execute("UPDATE outbox SET status = 'failed', attempts = attempts + 1, last_error = ?, "
                            "failed_at = ? WHERE id = ?", [error[:500], iso(now), row_id])
            if row and address_failing:
                self.db.execute("INSERT OR REPLACE INTO address_failures (address, reason, at) VALUES (?,?,?)",
                                [row["recipient"], error[:500], iso(now)])
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
        return [to_outbox(r) for r in rows]

    def outbox_counts(self) -> dict[str, int]:
        return {r["status"]: r["n"] for r in self.db.query("SELECT status, count(*) AS n FROM outbox GROUP BY status")}

    def mail_queued_since(self, member_id: int, kind: str, since: datetime) -> bool:
        """Whether a mail of `kind` was queued to this member since `since` (rate limits for answers)."""
        return self._one("SELECT 1 AS x FROM outbox WHERE member_id = ? AND kind = ? AND created_at >= ?",
                         [member_id, kind, iso(since)]) is not None

    def sent_mail(self, message_id: str) -> OutboxRow | None:
        """The outbox row that carried this Message-ID (with or without angle brackets), if we sent it."""
        mid = message_id.strip().strip("<>")
        if not mid:
            return None
        row = self._one("SELECT * FROM outbox WHERE message_id = ? AND status = 'sent'", [f"<{mid}>"])
        return to_outbox(row) if row else None
