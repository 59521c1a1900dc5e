"""Needs meet offers: a meeting's needs paired with other members' offers (parsers/matching.py reads them)."""

from __future__ import annotations

from typing import Any

from mailer.models import Meeting
from mailer.state.store import Store
from parsers.matching import Item, match


def meeting_matches(store: Store, meeting: Meeting) -> list[dict[str, Any]]:
    """Each pair of a need and another member's offer for this meeting, with both members' names."""
    rows = {int(t["id"]): t for kind in ("need", "offer") for t in store.topics(meeting.id, kind=kind)
            if t["member_id"] is not None}

    def items(kind: str) -> list[Item]:
        return [Item(i, int(t["member_id"]), str(t["text"])) for i, t in rows.items() if t["kind"] == kind]

    out = []
    for pair in match(items("need"), items("offer")):
        need, offer = rows[pair.need.id], rows[pair.offer.id]
        out.append({"need": need["text"], "need_member": pair.need.member_id, "need_name": need["name"] or "",
                    "need_organisation": need["organisation"], "offer": offer["text"],
                    "offer_member": pair.offer.member_id, "offer_name": offer["name"] or "",
                    "offer_organisation": offer["organisation"], "shared": list(pair.shared)})
    return out
