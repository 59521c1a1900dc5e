"""Silent members: who neither answered nor wrote for N meetings, who was asked, who is dormant (SQL)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from mailer.state.store import Store


def _iso(dt: datetime) -> str:
    return dt.astimezone(UTC).isoformat(timespec="seconds")


def _window(store: Store, now: datetime, meetings: int, lead_days: int) -> tuple[list[int], str] | None:
    """The ids of the last `meetings` meetings held before now (not cancelled) and the moment the oldest
    one's invitation went out; None when fewer were held."""
    rows = list(store.db.query("SELECT id, date FROM meetings WHERE cancelled = 0 AND start < ? "
                               "ORDER BY date DESC LIMIT ?", [now.isoformat(timespec="seconds"), meetings]))
    if len(rows) < meetings:
        return None
    oldest = datetime.fromisoformat(rows[-1]["date"]) - timedelta(days=lead_days)
    return [int(r["id"]) for r in rows], oldest.date().isoformat()


def silent_members(store: Store, now: datetime, meetings: int, lead_days: int,
                   not_asked: bool = False) -> list[dict[str, Any]]:
    """Active members who were members for all of the last `meetings` meetings and neither answered any
    of them nor wrote anything we processed since the oldest one's invitation. With `not_asked`, only
    those not yet asked "are you still interested?" during this silence."""
    window = _window(store, now, meetings, lead_days)
    if window is None:
        return []
    ids, since = window
    marks = ",".join("?" * len(ids))
    sql = (f"SELECT m.id, m.name, m.address, m.language, m.organisation, "
           f"(SELECT max(me.date) FROM rsvps r JOIN meetings me ON me.id = r.meeting_id "
           f" WHERE r.member_id = m.id) AS last_answer "
           f"FROM members m LEFT JOIN member_checks c ON c.member_id = m.id "
           f"WHERE m.status = 'active' AND m.joined < ? "
           f"AND NOT EXISTS (SELECT 1 FROM rsvps r WHERE r.member_id = m.id AND r.meeting_id IN ({marks})) "
           f"AND NOT EXISTS (SELECT 1 FROM inbound i WHERE i.member_id = m.id AND i.status = 'processed' "
           f"  AND i.received_at >= ?) ")
    if not_asked:
        sql += "AND (c.asked_at IS NULL OR c.asked_at < ?) "
    params: list[Any] = [since, *ids, since] + ([since] if not_asked else [])
    return list(store.db.query(sql + "ORDER BY m.name, m.address", params))


def record_ask(store: Store, member_id: int, now: datetime) -> None:
    """Note that the member was asked whether they are still interested (inside write())."""
    store.db.execute("INSERT INTO member_checks (member_id, asked_at) VALUES (?, ?) ON CONFLICT (member_id) "
                     "DO UPDATE SET asked_at = excluded.asked_at, dormant_at = NULL", [member_id, _iso(now)])


def due_dormant(store: Store, now: datetime, wait: timedelta) -> list[dict[str, Any]]:
    """Active members asked at least `wait` ago who have not answered anything since."""
    return list(store.db.query(
        "SELECT m.id, m.name, m.address, c.asked_at FROM member_checks c JOIN members m ON m.id = c.member_id "
        "WHERE m.status = 'active' AND c.dormant_at IS NULL AND c.asked_at <= ? AND NOT EXISTS "
        "(SELECT 1 FROM inbound i WHERE i.member_id = m.id AND i.status = 'processed' AND i.received_at > c.asked_at)"
        " ORDER BY m.id", [_iso(now - wait)]))


def make_dormant(store: Store, member_id: int, now: datetime) -> None:
    with store.write():
        store.db.execute("UPDATE members SET status = 'dormant' WHERE id = ? AND status = 'active'", [member_id])
        store.db.execute("UPDATE member_checks SET dormant_at = ? WHERE member_id = ?", [_iso(now), member_id])
        store.log("member-dormant", now, member_id=member_id, detail="no answer to 'are you still interested?'")


def wake(store: Store, member_id: int, now: datetime) -> bool:
    """Any reply of a dormant (or asked) member: active again, the question closed. Inside write(); True
    when the member was dormant."""
    cur = store.db.execute("UPDATE members SET status = 'active' WHERE id = ? AND status = 'dormant'", [member_id])
    store.db.execute("DELETE FROM member_checks WHERE member_id = ?", [member_id])
    if cur.rowcount:
        store.log("member-woken", now, member_id=member_id, detail="wrote after being made dormant")
    return bool(cur.rowcount)


def dormant_members(store: Store) -> list[dict[str, Any]]:
    return list(store.db.query(
        "SELECT m.id, m.name, m.address, m.organisation, c.asked_at, c.dormant_at FROM members m "
        "LEFT JOIN member_checks c ON c.member_id = m.id WHERE m.status = 'dormant' ORDER BY m.name, m.address"))


def made_dormant_since(store: Store, since: str) -> list[dict[str, Any]]:
    return list(store.db.query(
        "SELECT m.name, m.address, l.at FROM log l JOIN members m ON m.id = l.member_id "
        "WHERE l.event = 'member-dormant' AND l.at > ? AND m.status = 'dormant' ORDER BY l.id", [since]))


def failing_addresses(store: Store) -> list[dict[str, Any]]:
    """Members whose address is refused or bounces ('bouncing'), with the reason last seen."""
    return list(store.db.query(
        "SELECT m.name, m.address, m.hard_bounces, f.reason FROM members m "
        "LEFT JOIN address_failures f ON f.address = m.address WHERE m.status = 'bouncing' "
        "OR (m.status = 'active' AND (m.hard_bounces > 0 OR f.address IS NOT NULL)) ORDER BY m.name, m.address"))
