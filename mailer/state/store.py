"""The Store: one SQLite file of one network, its tables by concern (the only package that speaks SQL)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from datetime import date

from mailer.models import Member, PlannerState
from mailer.state.attendance import AttendanceTables
from mailer.state.connection import StoreBase
from mailer.state.inbound import InboundTable
from mailer.state.meetings import MeetingTables
from mailer.state.members import MemberTables
from mailer.state.outbox import OutboxTable
from mailer.state.rows import InboundRow, OutboxRow

__all__ = ["InboundRow", "OutboxRow", "Store"]


class _MemberStream:
    """The active members, streamed from the store afresh on every iteration (never all in memory)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def __iter__(self) -> Iterator[Member]:
        return self._store.members_in_batches("active")


class Store(MemberTables, MeetingTables, AttendanceTables, OutboxTable, InboundTable, StoreBase):
    """State of one network in one SQLite file (WAL, synchronous=FULL, BEGIN IMMEDIATE writes)."""

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
            absent = self.absent(ids)
        return PlannerState(meetings=meetings, members=members, invited=invited, answers=answers,
                            reminded={k: frozenset(v) for k, v in reminded.items()},
                            cancelled_to={k: frozenset(v) for k, v in cancelled.items()},
                            queued_keys=queued_keys, absent=absent)

