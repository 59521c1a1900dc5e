"""The planner's questions "who is due this mail?" as SQL anti-joins over the outbox's (meeting, member)
index: a tick with nothing due reads no member rows, only index entries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mailer.models import Member
from mailer.state.connection import StoreBase
from mailer.state.rows import to_member

#: Members read per query; no cursor stays open between batches, so the caller may write meanwhile.
BATCH = 2000
_TOLD = "('invitation', 'update')"
_REMINDED = "('reminder')"
_CANCELLED = "('cancellation')"


def _sent(kinds: str, extra: str = "") -> str:
    """A correlated test: the member `m` was queued mail of `kinds` about meeting `:meeting` (not dropped),
    among the rows that existed when the state was read (`:high`)."""
    return (f"SELECT 1 FROM outbox o WHERE o.meeting_id = :meeting AND o.member_id = m.id AND o.kind IN {kinds} "
            f"AND o.status != 'dropped' AND +o.id <= :high{extra}")


class SqlAudience:
    """Who of the active members is due a meeting's mail, answered by the store (see `models.Audience`).

    `high` is the outbox's highest row id when the planner's state was read: rows queued later in the same
    tick do not count, so a member invited in this tick is not also reminded in it.
    """

    def __init__(self, store: StoreBase, high: int) -> None:
        self.store = store
        self.high = high

    def _stream(self, where: str, params: dict[str, Any], source: str = "members m") -> Iterator[Member]:
        last = 0
        sql = (f"SELECT m.* FROM {source} WHERE m.status = 'active' AND m.id > :last AND {where} "
               "ORDER BY m.id LIMIT :batch")
        while True:
            rows = list(self.store.db.query(sql, {**params, "high": self.high, "last": last, "batch": BATCH}))
            for row in rows:
                yield to_member(row)
            if len(rows) < BATCH:
                return
            last = rows[-1]["id"]

    def any_invited(self, meeting_id: int) -> bool:
        row = self.store.db.execute(
            f"SELECT 1 FROM outbox WHERE meeting_id = ? AND kind IN {_TOLD} AND status != 'dropped' AND id <= ? "
            "LIMIT 1", [meeting_id, self.high]).fetchone()
        return row is not None

    def not_invited(self, meeting_id: int | None) -> Iterator[Member]:
        if meeting_id is None:
            return self._stream("1", {})
        return self._stream(f"NOT EXISTS ({_sent(_TOLD)})", {"meeting": meeting_id})

    def told_before(self, meeting_id: int, sequence: int) -> Iterator[Member]:
        if not self._anyone_told_before(meeting_id, sequence):
            return iter(())
        return self._stream(f"NOT EXISTS ({_sent(_TOLD, ' AND o.sequence >= :seq')}) AND EXISTS ({_sent(_TOLD)})",
                            {"meeting": meeting_id, "seq": sequence})

    def _anyone_told_before(self, meeting_id: int, sequence: int) -> bool:
        """The cheap check first: a row with a lower SEQUENCE whose member has none as high."""
        row = self.store.db.execute(
            f"SELECT 1 FROM outbox m WHERE m.meeting_id = :meeting AND m.kind IN {_TOLD} AND m.status != 'dropped' "
            f"AND m.id <= :high AND m.sequence < :seq AND NOT EXISTS (SELECT 1 FROM outbox o WHERE "
            f"o.meeting_id = :meeting AND o.member_id = m.member_id AND o.kind IN {_TOLD} AND o.status != 'dropped' "
            "AND o.id <= :high AND o.sequence >= :seq) LIMIT 1",
            {"meeting": meeting_id, "high": self.high, "seq": sequence}).fetchone()
        return row is not None

    def not_reminded(self, meeting_id: int, answers: frozenset[str | None]) -> Iterator[Member]:
        # The test that fails for most members once the reminders went out comes first.
        given = sorted(a for a in answers if a is not None)
        names = {f"a{i}": a for i, a in enumerate(given)}
        marks = ", ".join(f":{n}" for n in names) or "NULL"
        answered = "SELECT 1 FROM rsvps r WHERE r.meeting_id = :meeting AND r.member_id = m.id"
        answer = (f"NOT EXISTS ({answered} AND r.answer NOT IN ({marks}))" if None in answers
                  else f"EXISTS ({answered} AND r.answer IN ({marks}))")
        return self._stream(f"NOT EXISTS ({_sent(_REMINDED)}) AND {answer} AND EXISTS ({_sent(_TOLD)})",
                            {"meeting": meeting_id, **names})

    def not_cancelled(self, meeting_id: int) -> Iterator[Member]:
        return self._stream(f"NOT EXISTS ({_sent(_CANCELLED)}) AND EXISTS ({_sent(_TOLD)})", {"meeting": meeting_id})

    def not_thanked(self, meeting_id: int) -> Iterator[Member]:
        # Driven by the meeting's yes answers (few), not by the members; a thank-you of any status counts.
        thanked = ("SELECT 1 FROM outbox o WHERE o.meeting_id = :meeting AND o.member_id = m.id "
                   "AND o.kind = 'thanks' AND o.id <= :high")
        return self._stream(f"r.meeting_id = :meeting AND r.answer = 'yes' AND NOT EXISTS ({thanked})",
                            {"meeting": meeting_id}, source="rsvps r JOIN members m ON m.id = r.member_id")
