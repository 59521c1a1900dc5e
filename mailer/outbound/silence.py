"""Silent members, before each invitation round: the coordinators' report, "still interested?", dormancy.

Each tick (before planning, so a member made dormant gets no invitation): members asked two weeks ago who
wrote nothing since become `dormant`. When a meeting's invitation is due and its round was not yet
looked at, the members silent for `[members] dormant_after` meetings are asked once, and the
coordinators get a report of who is silent for `silent_after` meetings, failing addresses, and who was
made dormant since the last report. All of a round's mail commits in one transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from mailer.config import Config
from mailer.meeting.planner import invitation_due
from mailer.meeting.schedule import occurrences
from mailer.state import silence
from mailer.state.store import Store

#: A member asked "are you still interested?" who writes nothing for this long becomes dormant.
ASK_WAIT = timedelta(days=14)
#: The round already looked at (the date of the meeting whose invitations follow).
ROUND_SETTING = "members-round"
#: When the last report went out: "made dormant since" counts from here.
REPORT_SETTING = "members-report-at"

Enqueue = Callable[..., bool]


def round_due(config: Config, store: Store, now: datetime) -> date | None:
    """The date of the meeting whose invitations are due now and whose round was not yet looked at."""
    tz = config.network.tz
    today = now.astimezone(tz).date()
    lead = config.meetings.invitation_lead_days
    for occ in occurrences(config.meetings, tz, today, today + timedelta(days=lead + 1)):
        if occ.cancelled or occ.start <= now or invitation_due(config.meetings, occ.date, tz) > now:
            continue
        done = store.setting(ROUND_SETTING)
        if done is not None and done >= occ.date.isoformat():
            return None
        return occ.date
    return None


def tend(config: Config, store: Store, enqueue: Enqueue, now: datetime) -> dict[str, int]:
    """Make due members dormant, then run the round if one is due; counts of what was done."""
    counts = {"dormant": 0, "asked": 0, "reports": 0}
    policy = config.members
    if policy.dormant_after is not None:
        for row in silence.due_dormant(store, now, ASK_WAIT):
            silence.make_dormant(store, int(row["id"]), now)
            counts["dormant"] += 1
    day = round_due(config, store, now)
    if day is None:
        return counts
    lead = config.meetings.invitation_lead_days
    with store.write():
        if policy.dormant_after is not None:
            for row in silence.silent_members(store, now, policy.dormant_after, lead, not_asked=True):
                member = store.member(int(row["id"]))
                assert member is not None
                enqueue(key=f"still-interested:{member.id}:{day}", kind="still-interested", member=member,
                        recipient=member.address, now=now, context={"meetings": policy.dormant_after})
                silence.record_ask(store, member.id, now)
                counts["asked"] += 1
        context = report_context(config, store, now, asked=counts["asked"])
        if context["silent"] or context["failing"] or context["dormant"] or counts["asked"]:
            for address in config.network.coordinators:
                enqueue(key=f"members-report:{day}:{address}", kind="members-report", member=None,
                        recipient=address, now=now, context={**context, "meeting_date": day.isoformat()})
                counts["reports"] += 1
            store.set_setting(REPORT_SETTING, now.isoformat(timespec="seconds"))  # as the log writes it
        store.set_setting(ROUND_SETTING, day.isoformat())
    return counts


def report_context(config: Config, store: Store, now: datetime, asked: int = 0) -> dict[str, Any]:
    """What the coordinators' report lists (names and addresses: it goes to the coordinators only)."""
    since = store.setting(REPORT_SETTING) or ""
    silent = silence.silent_members(store, now, config.members.silent_after, config.meetings.invitation_lead_days)
    return {
        "silent_after": config.members.silent_after,
        "silent": [{"name": r["name"], "address": r["address"], "last_answer": r["last_answer"]} for r in silent],
        "failing": [{"name": r["name"], "address": r["address"], "reason": r["reason"]}
                    for r in silence.failing_addresses(store)],
        "dormant": [{"name": r["name"], "address": r["address"]} for r in silence.made_dormant_since(store, since)],
        "asked": asked,
    }



def tend_members(config: Config, store: Store, enqueue: Enqueue, now: datetime, queued: dict[str, int]) -> None:
    """The tick's step before planning: silent members (above) and newcomers' buddies (mailer/outbound/
    buddies.py, before the catering list that shows them); adds what it queued to `queued` by kind."""
    from mailer.outbound import buddies

    counts = tend(config, store, enqueue, now)
    for kind, n in (("still-interested", counts["asked"]), ("members-report", counts["reports"]),
                    ("buddy", buddies.tend(config, store, enqueue, now))):
        if n:
            queued[kind] = queued.get(kind, 0) + n
