"""Guest speaker proposals members sent by reply (SQL): for the coordinators' catering mail and digest."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from mailer.state.store import Store


def proposed_since(store: Store, since: datetime) -> list[dict[str, Any]]:
    """Proposals recorded after `since`, with who proposed them and for which meeting."""
    return [{"text": r["text"], "name": r["name"] or r["address"] or "", "meeting": r["date"]}
            for r in store.db.query(
                "SELECT t.text, m.name, m.address, me.date FROM topics t LEFT JOIN members m ON m.id = t.member_id "
                "JOIN meetings me ON me.id = t.meeting_id WHERE t.kind = 'speaker' AND t.created_at > ? "
                "ORDER BY t.id", [since.isoformat(timespec="seconds")])]
