"""Newcomers made welcome: with `[meetings] buddies = true`, when a meeting's catering list is due each
first-timer who said yes gets a buddy (mailer/meeting/buddies.py chooses), and both get a short mail."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from mailer.config import Config
from mailer.meeting.buddies import assign
from mailer.meeting.schedule import at_local
from mailer.state import buddies
from mailer.state.store import Store
from parsers.matching import keys

#: The concept (parsers/lang/synonyms/) of an offer to welcome newcomers: such members are asked first.
WELCOMING = "welcoming"


def tend(config: Config, store: Store, enqueue: Callable[..., bool], now: datetime) -> int:
    """Pair the first-timers of each meeting whose catering list is due and queue both mails; how many."""
    if not config.meetings.buddies:
        return 0
    m, tz = config.meetings, config.network.tz
    queued = 0
    for meeting in store.meetings(now.astimezone(tz).date()).values():
        due = at_local(meeting.date - timedelta(days=m.catering_lead_days), m.send_time, tz)
        if meeting.cancelled or meeting.start <= now or due > now:
            continue
        yes = [r for r in store.attendance(meeting.id) if r["answer"] == "yes" and r["status"] == "active"]
        offers = buddies.offers_of(store, meeting.id)
        candidates = [(int(r["member_id"]), WELCOMING in keys(offers.get(int(r["member_id"]), "")))
                      for r in yes if not r["first_time"]]
        existing = {int(p["newcomer_id"]): int(p["buddy_id"]) for p in buddies.pairs(store, meeting.id)}
        new = assign([int(r["member_id"]) for r in yes if r["first_time"]], candidates, existing)
        if not new:
            continue
        with store.write():
            for newcomer, buddy in new.items():
                buddies.add_pair(store, meeting.id, newcomer, buddy, now)
            for pair in buddies.pairs(store, meeting.id):
                if int(pair["newcomer_id"]) not in new:
                    continue
                for role, me, other in (("newcomer", "newcomer", "buddy"), ("buddy", "buddy", "newcomer")):
                    member = store.member(int(pair[f"{me}_id"]))
                    assert member is not None
                    context = {"role": role, "other_name": pair[f"{other}_name"],
                               "other_organisation": pair[f"{other}_organisation"]}
                    if enqueue(key=f"buddy:{meeting.id}:{pair['newcomer_id']}:{role}", kind="buddy", member=member,
                               recipient=member.address, now=now, meeting_id=meeting.id, context=context):
                        queued += 1
    return queued
