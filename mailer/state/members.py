"""Members and join requests: who is on the list, their status, bounces."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from mailer.models import Member
from mailer.state.connection import StoreBase
from mailer.state.rows import iso, to_member


class MemberTables(StoreBase):
    """Members and join requests: who is on the list, their status, bounces."""

    def add_member(self, address: str, name: str, language: str, now: datetime, organisation: str | None = None,
                   source: str = "admin") -> tuple[Member, bool]:
        """Add a member, or re-activate one who left; returns (member, created_or_reactivated)."""
        address = address.strip().lower()
        with self.write():
            row = self._one("SELECT * FROM members WHERE address = ?", [address])
            if row and row["status"] == "active":
                return to_member(row), False
            if row:
                self.db.execute("UPDATE members SET status = 'active', left_at = NULL, hard_bounces = 0, "
                                "name = COALESCE(NULLIF(?, ''), name), joined = ? WHERE id = ?",
                                [name, iso(now), row["id"]])
                member_id = int(row["id"])
            else:
                cur = self.db.execute(
                    "INSERT INTO members (name, address, organisation, language, status, joined, source) "
                    "VALUES (?, ?, ?, ?, 'active', ?, ?)", [name, address, organisation, language, iso(now), source])
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
            self.db.execute("UPDATE members SET status = 'left', left_at = ? WHERE id = ?", [iso(now), row["id"]])
            self.log("member-left", now, member_id=row["id"], detail=reason)
        return to_member({**row, "status": "left"})

    def set_member_status(self, member_id: int, status: str, now: datetime, detail: str = "") -> None:
        with self.write():
            self.db.execute("UPDATE members SET status = ? WHERE id = ?", [status, member_id])
            self.log(f"member-{status}", now, member_id=member_id, detail=detail)

    def member(self, member_id: int) -> Member | None:
        row = self._one("SELECT * FROM members WHERE id = ?", [member_id])
        return to_member(row) if row else None

    def member_by_address(self, address: str) -> Member | None:
        row = self._one("SELECT * FROM members WHERE address = ?", [address.strip().lower()])
        return to_member(row) if row else None

    def members(self, status: str | None = "active") -> Iterator[Member]:
        """Members in id order, streamed (never a list of all of them)."""
        if status is None:
            rows = self.db.query("SELECT * FROM members ORDER BY id")
        else:
            rows = self.db.query("SELECT * FROM members WHERE status = ? ORDER BY id", [status])
        for row in rows:
            yield to_member(row)

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
                yield to_member(row)
            last_id = rows[-1]["id"]

    def count_members(self, status: str = "active") -> int:
        row = self._one("SELECT count(*) AS n FROM members WHERE status = ?", [status])
        return int(row["n"]) if row else 0

    def members_named(self, name: str) -> list[Member]:
        """Active members whose name is `name`, or whose first name it is when it is one word (any case)."""
        wanted = " ".join(name.split()).casefold()
        first = wanted.split(" ")[0]
        rows = self.db.query("SELECT * FROM members WHERE status = 'active' AND (name LIKE ? OR name LIKE ?) "
                             "ORDER BY id LIMIT 200", [first, f"{first} %"])
        found = [to_member(r) for r in rows]
        if not found and first != first.title():  # SQLite's LIKE folds ASCII only: "åsa" for "Åsa"
            rows = self.db.query("SELECT * FROM members WHERE status = 'active' AND (name = ? OR name LIKE ?) "
                                 "ORDER BY id LIMIT 200", [first.title(), f"{first.title()} %"])
            found = [to_member(r) for r in rows]
        exact = [m for m in found if " ".join(m.name.split()).casefold() == wanted]
        if exact or " " in wanted:
            return exact
        return [m for m in found if m.name.split()[0].casefold() == wanted]

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
                return to_member({**row, "status": "bouncing"})
        return None

    def add_join_request(self, address: str, name: str, language: str, now: datetime) -> int:
        """A pending double opt-in; returns its id (an open request for the same address is reused)."""
        with self.write():
            row = self._one("SELECT id FROM join_requests WHERE address = ? AND confirmed_at IS NULL",
                            [address.lower()])
            if row:
                return int(row["id"])
            cur = self.db.execute("INSERT INTO join_requests (address, name, language, created_at) VALUES (?,?,?,?)",
                                  [address.lower(), name, language, iso(now)])
            self.log("join-requested", now, detail=address)
            return int(cur.lastrowid or 0)

    def join_confirmations_since(self, since: datetime) -> int:
        """How many join confirmations (the only mail to non-members) were queued since `since`."""
        row = self._one("SELECT count(*) AS n FROM outbox WHERE kind = 'join-confirm' AND created_at >= ?",
                        [iso(since)])
        return int(row["n"]) if row else 0

    def hold_join_request(self, request_id: int, now: datetime) -> None:
        """Mark a request whose confirmation was not sent (the daily cap): it waits for the coordinator."""
        self.db.execute("UPDATE join_requests SET held_at = COALESCE(held_at, ?) WHERE id = ?", [iso(now), request_id])
        self.log("join-held", now, detail=str(request_id))

    def held_join_requests(self) -> list[dict[str, Any]]:
        """Open join requests that got no confirmation mail, oldest first."""
        return list(self.db.query("SELECT * FROM join_requests WHERE held_at IS NOT NULL AND confirmed_at IS NULL "
                                  "ORDER BY id"))

    def join_request(self, request_id: int) -> dict[str, Any] | None:
        return self._one("SELECT * FROM join_requests WHERE id = ?", [request_id])

    def confirm_join_request(self, request_id: int, now: datetime) -> None:
        with self.write():
            self.db.execute("UPDATE join_requests SET confirmed_at = ? WHERE id = ?", [iso(now), request_id])
