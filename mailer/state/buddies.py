"""Newcomers' buddies per meeting (SQL)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from mailer.state.store import Store


def pairs(store: Store, meeting_id: int) -> list[dict[str, Any]]:
    """The meeting's newcomer/buddy pairs with both names and organisations, in the order chosen."""
    return list(store.db.query(
        "SELECT b.newcomer_id, b.buddy_id, n.name AS newcomer_name, n.address AS newcomer_address, "
        "n.organisation AS newcomer_organisation, u.name AS buddy_name, u.address AS buddy_address, "
        "u.organisation AS buddy_organisation FROM buddies b JOIN members n ON n.id = b.newcomer_id "
        "JOIN members u ON u.id = b.buddy_id WHERE b.meeting_id = ? ORDER BY b.rowid", [meeting_id]))


def add_pair(store: Store, meeting_id: int, newcomer_id: int, buddy_id: int, now: datetime) -> None:
    """Record a pair (inside write())."""
    store.db.execute("INSERT OR IGNORE INTO buddies (meeting_id, newcomer_id, buddy_id, created_at) "
                     "VALUES (?, ?, ?, ?)",
                     [meeting_id, newcomer_id, buddy_id, now.astimezone(UTC).isoformat(timespec="seconds")])


def offers_of(store: Store, meeting_id: int) -> dict[int, str]:
    """Each member's offers for the meeting, joined."""
    out: dict[int, str] = {}
    for r in store.db.query("SELECT member_id, text FROM topics WHERE meeting_id = ? AND kind = 'offer' "
                            "AND member_id IS NOT NULL ORDER BY id", [meeting_id]):
        out[int(r["member_id"])] = f"{out.get(int(r['member_id']), '')} {r['text']}".strip()
    return out
