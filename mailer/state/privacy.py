"""A member's data under the GDPR: everything kept about them (export) and removing every trace (erase)."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from mailer.state.store import Store

#: What an erased member's name and address become where other people's data mentions them.
REMOVED = "[removed]"

#: Tables a member's own rows live in, with the column naming them.
_OWN_ROWS = (("rsvps", "member_id"), ("topics", "member_id"), ("outbox", "member_id"),
             ("inbound", "member_id"), ("log", "member_id"), ("privacy_requests", "member_id"),
             ("member_checks", "member_id"), ("absences", "member_id"))
#: A confirmation link older than this is void (the member asks again).
REQUEST_VALID = timedelta(days=14)
#: A confirmed erase waits for the member's last mail (the goodbye) to leave, at most this long.
ERASE_WAIT = timedelta(days=1)


@dataclass
class Erased:
    """What an erase removed or rewrote, per table (row counts)."""

    deleted: dict[str, int] = field(default_factory=dict)
    rewritten: dict[str, int] = field(default_factory=dict)

    def summary(self) -> str:
        parts = [f"{n} {t}" for t, n in self.deleted.items() if n]
        parts += [f"{n} {t} rewritten" for t, n in self.rewritten.items() if n]
        return ", ".join(parts) or "nothing else"


def _json(value: str | None) -> Any:
    try:
        return json.loads(value or "{}")
    except ValueError:
        return value


def export(store: Store, address: str) -> dict[str, Any] | None:
    """Every row kept about the member with this address (None if there is none), as plain JSON data."""
    address = address.strip().lower()
    member = store._one("SELECT * FROM members WHERE address = ?", [address])
    if member is None:
        return None
    mid = member["id"]
    q = store.db.query
    topics = list(q("SELECT t.id, me.date AS meeting, t.kind, t.text, t.status, t.created_at FROM topics t "
                    "JOIN meetings me ON me.id = t.meeting_id WHERE t.member_id = ? ORDER BY t.id", [mid]))
    return {
        "member": member,
        "answers": list(q("SELECT me.date AS meeting, r.answer, r.guests, r.dietary, r.source, r.updated_at "
                          "FROM rsvps r JOIN meetings me ON me.id = r.meeting_id WHERE r.member_id = ? "
                          "ORDER BY me.date", [mid])),
        "absences": list(q("SELECT me.date AS meeting, a.recorded_at FROM absences a JOIN meetings me "
                           "ON me.id = a.meeting_id WHERE a.member_id = ? ORDER BY me.date", [mid])),
        "topics": [t for t in topics if t["kind"] not in ("need", "offer")],
        "needs_and_offers": [t for t in topics if t["kind"] in ("need", "offer")],
        "inbound": [{**r, "summary": _json(r["summary"])} for r in q(
            "SELECT id, source, message_id, status, category, reason, summary, received_at FROM inbound "
            "WHERE member_id = ? ORDER BY id", [mid])],
        "outbox": [{**r, "context": _json(r["context"])} for r in q(
            "SELECT id, kind, recipient, status, context, message_id, created_at, sent_at FROM outbox "
            "WHERE member_id = ? OR recipient = ? ORDER BY id", [mid, address])],
        "log": list(q("SELECT at, event, detail FROM log WHERE member_id = ? OR instr(lower(detail), ?) > 0 "
                      "ORDER BY id", [mid, address])),
        "join_requests": list(q("SELECT name, language, created_at, confirmed_at FROM join_requests "
                                "WHERE address = ? ORDER BY id", [address])),
        "address_failures": list(q("SELECT reason, at FROM address_failures WHERE address = ?", [address])),
    }


def _scrub(value: Any, needles: list[str]) -> Any:
    """`value` (JSON data) with every needle replaced, case-insensitively, in every string it holds."""
    if isinstance(value, str):
        return scrub_text(value, needles)
    if isinstance(value, list):
        return [_scrub(v, needles) for v in value]
    if isinstance(value, dict):
        return {scrub_text(k, needles): _scrub(v, needles) for k, v in value.items()}
    return value


def scrub_text(text: str, needles: list[str]) -> str:
    """`text` with each needle (case-insensitive, longest first) replaced by REMOVED; linear per needle."""
    for needle in sorted((n for n in needles if n), key=len, reverse=True):
        low, n = text.lower(), needle.lower()
        out, start = [], 0
        while (i := low.find(n, start)) >= 0:
            out += [text[start:i], REMOVED]
            start = i + len(n)
        text = "".join(out) + text[start:] if out else text
    return text


def needles_for(member: dict[str, Any]) -> list[str]:
    """The strings that identify a member in others' data: address, name, and the address's local part."""
    return [s for s in (member["address"], member["name"].strip()) if s]


def _rewrite(store: Store, table: str, column: str, needles: list[str], as_json: bool) -> int:
    """Rewrite `column` of every row of `table` that mentions a needle; returns how many rows changed."""
    where = " OR ".join(f"instr(lower({column}), ?) > 0" for _ in needles)
    params = [n.lower() for n in needles]
    changed = 0
    for row in list(store.db.query(f"SELECT rowid AS rid, {column} AS v FROM {table} WHERE {where}", params)):
        if as_json:
            new = json.dumps(_scrub(_json(row["v"]), needles), ensure_ascii=False)
        else:
            new = scrub_text(row["v"], needles)
        store.db.execute(f"UPDATE {table} SET {column} = ? WHERE rowid = ?", [new, row["rid"]])
        changed += 1
    return changed


def erase(store: Store, address: str, now: datetime) -> Erased | None:
    """Remove the member with this address and every trace of them, in one transaction; then compact the
    file so that no free page nor WAL frame keeps the old bytes. None if there is no such member."""
    address = address.strip().lower()
    result = Erased()
    store.db.execute("PRAGMA secure_delete = ON")  # freed pages are zeroed, not just unlinked
    with store.write():
        member = store._one("SELECT * FROM members WHERE address = ?", [address])
        if member is None:
            return None
        needles = needles_for(member)
        # ASCII-escaped JSON written by older code holds non-ASCII names as \\u escapes: match those too.
        needles += [e for e in (json.dumps(n)[1:-1] for n in needles) if e not in needles]
        mid = member["id"]
        for table, column in _OWN_ROWS:
            result.deleted[table] = store.db.execute(f"DELETE FROM {table} WHERE {column} = ?", [mid]).rowcount
        result.deleted["outbox"] += store.db.execute("DELETE FROM outbox WHERE recipient = ?", [address]).rowcount
        for table in ("join_requests", "address_failures"):
            result.deleted[table] = store.db.execute(f"DELETE FROM {table} WHERE address = ?", [address]).rowcount
        result.deleted["buddies"] = store.db.execute(
            "DELETE FROM buddies WHERE newcomer_id = ? OR buddy_id = ?", [mid, mid]).rowcount
        store.db.execute("DELETE FROM members WHERE id = ?", [mid])
        for table, column, as_json in (("outbox", "context", True), ("inbound", "summary", True),
                                       ("inbound", "reason", False), ("log", "detail", False),
                                       ("topics", "text", False), ("memos", "notes", False),
                                       ("meetings", "guest_speaker", False)):
            n = _rewrite(store, table, column, needles, as_json)
            result.rewritten[table] = result.rewritten.get(table, 0) + n
        store.log("member-erased", now.astimezone(UTC), detail=f"member #{mid}")
    compact(store)
    return result


def compact(store: Store) -> None:
    """VACUUM and checkpoint the WAL to zero bytes: the file then holds live rows only. A reader elsewhere
    (a running daemon mid-read) can keep the checkpoint from finishing: StoreError says so."""
    from mailer.errors import StoreError

    store.db.execute("VACUUM")
    row = list(store.db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall())
    if row and row[0][0]:
        raise StoreError("the database is busy (is the daemon reading it?): the WAL could not be emptied; "
                         "run the erase again")


# -- requests by mail ------------------------------------------------------------------------------------


def add_request(store: Store, member_id: int, action: str, now: datetime) -> str:
    """Record a member's request (call inside write()); returns the code their one-tap answer must carry."""
    code = "".join(secrets.choice("abcdefghijklmnopqrstuvwxyz0123456789") for _ in range(20))
    store.db.execute("INSERT INTO privacy_requests (member_id, action, code, created_at) VALUES (?,?,?,?)",
                     [member_id, action, code, now.astimezone(UTC).isoformat(timespec="seconds")])
    return code


def confirm_request(store: Store, member_id: int, action: str, code: str, now: datetime) -> bool:
    """Mark the member's own, still valid request with this code confirmed (inside write()); False if
    there is none (another member's code, a void or already confirmed one)."""
    since = (now - REQUEST_VALID).astimezone(UTC).isoformat(timespec="seconds")
    cur = store.db.execute(
        "UPDATE privacy_requests SET confirmed_at = ? WHERE member_id = ? AND action = ? AND code = ? "
        "AND confirmed_at IS NULL AND created_at >= ?",
        [now.astimezone(UTC).isoformat(timespec="seconds"), member_id, action, code.lower(), since])
    return cur.rowcount == 1


def due_erasures(store: Store, now: datetime) -> list[str]:
    """Addresses of members whose confirmed erase is due: nothing of theirs is still queued, or it waited
    ERASE_WAIT (a goodbye that cannot be delivered does not keep their data)."""
    cutoff = (now - ERASE_WAIT).astimezone(UTC).isoformat(timespec="seconds")
    return [r["address"] for r in store.db.query(
        "SELECT DISTINCT m.address FROM privacy_requests p JOIN members m ON m.id = p.member_id "
        "WHERE p.action = 'erase' AND p.confirmed_at IS NOT NULL AND (p.confirmed_at < ? OR NOT EXISTS "
        "(SELECT 1 FROM outbox o WHERE o.member_id = m.id AND o.status = 'queued')) ORDER BY m.address",
        [cutoff])]
