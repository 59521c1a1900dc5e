"""The Store: one SQLite file of one network, its tables by concern (the only package that speaks SQL)."""

from __future__ import annotations

from datetime import date

from mailer.models import PlannerState
from mailer.state.attendance import AttendanceTables
from mailer.state.audience import SqlAudience
from mailer.state.connection import StoreBase
from mailer.state.inbound import InboundTable
from mailer.state.meetings import MeetingTables
from mailer.state.members import MemberTables
from mailer.state.outbox import OutboxTable
from mailer.state.rows import InboundRow, OutboxRow

__all__ = ["InboundRow", "OutboxRow", "Store"]


class Store(MemberTables, MeetingTables, AttendanceTables, OutboxTable, InboundTable, StoreBase):
    """State of one network in one SQLite file (WAL, synchronous=FULL, BEGIN IMMEDIATE writes)."""

    def planner_state(self, since: date) -> PlannerState:
        """What the planner needs about meetings from `since` on, read in one transaction: the meetings, the
        coordinators' mail already queued, who was absent, and an audience that asks SQL who is due mail."""
        with self.db.atomic():
            meetings = self.meetings(since)
            ids = [m.id for m in meetings.values()]
            queued_keys: frozenset[str] = frozenset()
            if ids:
                marks = ",".join("?" * len(ids))
                keys_sql = f"SELECT key FROM outbox WHERE meeting_id IN ({marks}) AND kind IN ('agenda', 'catering')"
                queued_keys = frozenset(row[0] for row in self.db.execute(keys_sql, ids).fetchall())
            high = self.db.execute("SELECT coalesce(max(id), 0) FROM outbox").fetchone()[0]
            absent = self.absent(ids)
        return PlannerState(meetings=meetings, members=(), invited={}, answers={}, queued_keys=queued_keys,
                            absent=absent, audience=SqlAudience(self, int(high)))
