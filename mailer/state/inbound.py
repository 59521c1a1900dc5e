"""Inbound mail as handled: one row per message, the mailbox cursors."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from mailer.state.connection import StoreBase
from mailer.state.rows import InboundRow, iso, to_inbound


class InboundTable(StoreBase):
    """Inbound mail as handled: one row per message, the mailbox cursors."""

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
                [source, message_id, digest, size, iso(now.astimezone(UTC))])
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
             json.dumps(dict(summary or {}), ensure_ascii=False), iso(now.astimezone(UTC)), size])

    def inbound_by_source(self, source: str) -> InboundRow | None:
        row = self._one("SELECT * FROM inbound WHERE source = ?", [source])
        return to_inbound(row) if row else None

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
        return to_inbound(row) if row else None

    def inbound_poisoned(self, digest: str) -> InboundRow | None:
        """The first message with these exact bytes quarantined as poison (it hung, crashed or killed the
        parser), if any."""
        row = self._one("SELECT * FROM inbound WHERE digest = ? AND status = 'quarantined' AND category = 'poison' "
                        "ORDER BY id LIMIT 1", [digest])
        return to_inbound(row) if row else None

    def inbound_rows(self, status: str | None = None, limit: int = 1000) -> list[InboundRow]:
        if status:
            rows = self.db.query("SELECT * FROM inbound WHERE status = ? ORDER BY id LIMIT ?",
                                 [status, limit])
        else:
            rows = self.db.query("SELECT * FROM inbound ORDER BY id LIMIT ?", [limit])
        return [to_inbound(r) for r in rows]

    def quarantined_since(self, since: datetime) -> list[InboundRow]:
        """Messages quarantined at or after `since`, oldest first (for the coordinator's daily digest)."""
        rows = self.db.query("SELECT * FROM inbound WHERE status = 'quarantined' AND received_at >= ? "
                             "ORDER BY received_at, id", [iso(since.astimezone(UTC))])
        return [to_inbound(r) for r in rows]

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
                            [mailbox, uidvalidity, last_uid, iso(now)])
