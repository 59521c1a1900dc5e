"""Who did not come: absences a coordinator reported after a meeting, and the mail they were reported to."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime

from mailer.state.connection import StoreBase
from mailer.state.rows import iso

#: The coordinators' mail an attendance report answers.
REPORTED_TO = ("catering", "agenda")
#: At most this many Message-IDs of one mail's In-Reply-To and References are looked up.
MAX_LOOKUPS = 20


class AttendanceTables(StoreBase):
    """Absences, by meeting."""

    def meeting_of_coordinator_mail(self, message_ids: Iterable[str]) -> int | None:
        """The meeting of the catering or agenda mail one of `message_ids` names (with or without <>)."""
        wanted = [f"<{m.strip().strip('<>')}>" for m in list(message_ids)[:MAX_LOOKUPS] if m and m.strip()]
        if not wanted:
            return None
        marks = ",".join("?" * len(wanted))
        row = self._one(f"SELECT meeting_id FROM outbox WHERE message_id IN ({marks}) AND kind IN (?, ?) "
                        "AND meeting_id IS NOT NULL ORDER BY id DESC LIMIT 1", [*wanted, *REPORTED_TO])
        return int(row["meeting_id"]) if row else None

    def mark_reported(self, meeting_id: int, now: datetime) -> None:
        """Record that a coordinator has said who came (everyone, or all but the absent ones)."""
        self.db.execute("INSERT OR IGNORE INTO attendance_reports (meeting_id, recorded_at) VALUES (?, ?)",
                        [meeting_id, iso(now)])

    def mark_absent(self, meeting_id: int, member_id: int, now: datetime, source: str | None = None) -> bool:
        """Record that a member did not come; False when already recorded. Their queued thank-you is dropped."""
        self.mark_reported(meeting_id, now)
        cur = self.db.execute("INSERT OR IGNORE INTO absences (meeting_id, member_id, recorded_at, source_message_id) "
                              "VALUES (?, ?, ?, ?)", [meeting_id, member_id, iso(now), source])
        self.db.execute("UPDATE outbox SET status = 'dropped', last_error = 'did not come' WHERE status = 'queued' "
                        "AND kind = 'thanks' AND meeting_id = ? AND member_id = ?", [meeting_id, member_id])
        return cur.rowcount > 0

    def thanked(self, meeting_id: int, member_id: int) -> bool:
        """Whether the member's thank-you for the meeting has already gone out."""
        return self._one("SELECT 1 AS x FROM outbox WHERE kind = 'thanks' AND status = 'sent' AND meeting_id = ? "
                         "AND member_id = ? LIMIT 1", [meeting_id, member_id]) is not None

    def memo_approved(self, meeting_id: int) -> bool:
        """Whether the meeting's memo has already been approved (and so sent)."""
        return self._one("SELECT 1 AS x FROM memos WHERE status = 'approved' AND meeting_id = ? LIMIT 1",
                         [meeting_id]) is not None

    def absent(self, meeting_ids: Iterable[int]) -> dict[int, frozenset[int]]:
        """Meeting id -> the members reported absent (empty when everyone came; meetings without a report are
        left out)."""
        ids = list(meeting_ids)
        if not ids:
            return {}
        marks = ",".join("?" * len(ids))
        out: dict[int, set[int]] = defaultdict(set)
        for (meeting_id,) in self.db.execute(
                f"SELECT meeting_id FROM attendance_reports WHERE meeting_id IN ({marks})", ids).fetchall():
            out[meeting_id] = set()
        for meeting_id, member_id in self.db.execute(
                f"SELECT meeting_id, member_id FROM absences WHERE meeting_id IN ({marks})", ids).fetchall():
            out[meeting_id].add(member_id)
        return {k: frozenset(v) for k, v in out.items()}
