"""Meetings, answers (RSVPs), topics and memos."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from mailer.models import Meeting, MeetingChange
from mailer.state.connection import StoreBase
from mailer.state.rows import iso, to_meeting


class MeetingTables(StoreBase):
    """Meetings, answers (RSVPs), topics and memos."""

    def meetings(self, since: date | None = None) -> dict[date, Meeting]:
        rows = self.db.query("SELECT * FROM meetings WHERE date >= ? ORDER BY date", [(since or date.min).isoformat()])
        return {m.date: m for m in map(to_meeting, rows)}

    def meeting(self, meeting_id: int) -> Meeting | None:
        row = self._one("SELECT * FROM meetings WHERE id = ?", [meeting_id])
        return to_meeting(row) if row else None

    def meeting_on(self, day: date) -> Meeting | None:
        row = self._one("SELECT * FROM meetings WHERE date = ?", [day.isoformat()])
        return to_meeting(row) if row else None

    def meeting_by_uid(self, uid: str) -> Meeting | None:
        row = self._one("SELECT * FROM meetings WHERE uid = ?", [uid])
        return to_meeting(row) if row else None

    def meeting_update_times(self) -> dict[int, datetime]:
        """meeting id -> when the meeting was last stored or changed (the public feed's `updated`)."""
        return {int(r["id"]): datetime.fromisoformat(r["updated_at"])
                for r in self.db.query("SELECT id, updated_at FROM meetings")}

    def site_data_version(self, names: bool) -> str:
        """A fingerprint of the rows the public site shows (meetings, approved memos, who came and, with
        `names`, who said yes to a meeting with a memo): it changes whenever one of them does."""
        parts = self.db.execute(
            "SELECT (SELECT group_concat(id || ':' || updated_at || ':' || sequence || ':' || cancelled, ',') "
            "FROM meetings), (SELECT count(*) || ':' || coalesce(max(id), 0) || ':' || coalesce(max(approved_at), '') "
            "|| ':' || total(length(notes)) FROM memos WHERE status = 'approved'), "
            "(SELECT count(*) || ':' || total(member_id) FROM absences), "
            "(SELECT count(*) || ':' || total(meeting_id) FROM attendance_reports)").fetchone()
        version = "|".join(str(p) for p in parts)
        if names:
            row = self.db.execute(
                "SELECT group_concat(r.meeting_id || ':' || r.member_id || ':' || m.name, ',') FROM rsvps r "
                "JOIN members m ON m.id = r.member_id WHERE r.answer = 'yes' AND r.meeting_id IN "
                "(SELECT meeting_id FROM memos WHERE status = 'approved')").fetchone()
            version += "|" + str(row[0])
        return version

    def apply_meeting_change(self, change: MeetingChange, uid_domain: str, now: datetime) -> Meeting:
        """Store an occurrence as the meeting's truth (the caller holds the write transaction)."""
        occ = change.occurrence
        values = [iso(occ.start), iso(occ.end), occ.place, occ.address, occ.online_link, occ.theme,
                  occ.guest_speaker, int(occ.cancelled), occ.fingerprint, change.sequence, iso(now)]
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

    def set_rsvp(self, meeting_id: int, member_id: int, answer: str, now: datetime, guests: int = 0,
                 dietary: str | None = None, source: str | None = None) -> str | None:
        """Record an answer (a changed mind overwrites); returns the earlier answer, if any."""
        with self.write():
            old = self._one("SELECT answer FROM rsvps WHERE meeting_id = ? AND member_id = ?", [meeting_id, member_id])
            self.db.execute(
                "INSERT INTO rsvps (meeting_id, member_id, answer, guests, dietary, source, updated_at) "
                "VALUES (?,?,?,?,?,?,?) ON CONFLICT (meeting_id, member_id) DO UPDATE SET answer=excluded.answer, "
                "guests=excluded.guests, dietary=COALESCE(excluded.dietary, rsvps.dietary), source=excluded.source, "
                "updated_at=excluded.updated_at", [meeting_id, member_id, answer, guests, dietary, source, iso(now)])
            before = old["answer"] if old else None
            event = "rsvp" if before is None else ("rsvp-changed" if before != answer else "rsvp-repeated")
            self.log(event, now, member_id=member_id, meeting_id=meeting_id,
                     detail=f"{before} -> {answer}" if before else answer)
        return before

    def rsvps(self, meeting_id: int) -> list[dict[str, Any]]:
        return list(self.db.query(
            "SELECT r.*, m.name, m.address, m.organisation FROM rsvps r JOIN members m ON m.id = r.member_id "
            "WHERE r.meeting_id = ? ORDER BY r.updated_at", [meeting_id]))

    def rsvp_of(self, meeting_id: int, member_id: int) -> dict[str, Any] | None:
        """One member's recorded answer (answer, guests, dietary) for a meeting, or None."""
        return self._one("SELECT answer, guests, dietary FROM rsvps WHERE meeting_id = ? AND member_id = ?",
                         [meeting_id, member_id])

    def add_topic(self, meeting_id: int, member_id: int | None, text: str, now: datetime,
                  kind: str = "topic") -> bool:
        """Record a proposed topic (or a need/offer); False when the same member proposed the same text."""
        with self.write():
            dup = self._one("SELECT id FROM topics WHERE meeting_id = ? AND member_id IS ? AND kind = ? "
                            "AND lower(text) = lower(?)", [meeting_id, member_id, kind, text])
            if dup:
                return False
            self.db.execute("INSERT INTO topics (meeting_id, member_id, text, kind, created_at) VALUES (?,?,?,?,?)",
                            [meeting_id, member_id, text, kind, iso(now)])
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

    def count_topics(self, meeting_id: int, member_id: int) -> int:
        """How many topics this member has on this meeting (the per-member cap)."""
        row = self._one("SELECT count(*) AS n FROM topics WHERE meeting_id = ? AND member_id = ? AND kind = 'topic'",
                        [meeting_id, member_id])
        return int(row["n"]) if row else 0

    def add_memo_draft(self, meeting_id: int, notes: str, author: str, now: datetime,
                       source_message_id: str | None = None) -> int:
        """A new draft for the meeting; earlier drafts are superseded. Call inside write()."""
        row = self._one("SELECT max(version) AS v FROM memos WHERE meeting_id = ?", [meeting_id])
        version = int(row["v"] or 0) + 1 if row else 1
        self.db.execute("UPDATE memos SET status = 'superseded' WHERE meeting_id = ? AND status = 'draft'",
                        [meeting_id])
        cur = self.db.execute("INSERT INTO memos (meeting_id, version, notes, status, author, source_message_id, "
                              "created_at) VALUES (?,?,?,'draft',?,?,?)",
                              [meeting_id, version, notes, author, source_message_id, iso(now)])
        self.log("memo-draft", now, meeting_id=meeting_id, detail=f"version {version} from {author}")
        return int(cur.lastrowid or 0)

    def approve_memo(self, memo_id: int, now: datetime) -> None:
        """Mark a draft approved (call inside write(), with the outbox rows it causes)."""
        self.db.execute("UPDATE memos SET status = 'approved', approved_at = ? WHERE id = ?", [iso(now), memo_id])
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
