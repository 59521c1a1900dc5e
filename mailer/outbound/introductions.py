"""Introductions: with `[network] introductions = true`, the two members of each need/offer pair of a
meeting get one short mail each when the memo goes out; once per pair of members, ever."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from mailer.config import Config
from mailer.models import Meeting
from mailer.outbound.matches import meeting_matches
from mailer.state.store import Store


def queue_introductions(config: Config, store: Store, enqueue: Callable[..., bool], meeting: Meeting,
                        now: datetime) -> int:
    """Queue the introductions of the meeting's pairs (inside the memo's transaction); how many mails.
    Each other's address is given only when `[network] introduction_addresses` says the members agreed."""
    if not config.network.introductions:
        return 0
    queued = 0
    done: set[tuple[int, int]] = set()
    for m in meeting_matches(store, meeting):
        a, b = int(m["need_member"]), int(m["offer_member"])
        pair = (min(a, b), max(a, b))
        if pair in done:
            continue
        done.add(pair)
        need_member, offer_member = store.member(a), store.member(b)
        if need_member is None or offer_member is None or "active" != need_member.status \
                or offer_member.status != "active":
            continue
        share = config.network.introduction_addresses
        for me, other, role in ((need_member, offer_member, "need"), (offer_member, need_member, "offer")):
            context = {"role": role, "need": m["need"], "offer": m["offer"], "other_name": other.name,
                       "other_organisation": other.organisation, "other_address": other.address if share else None}
            if enqueue(key=f"introduction:{pair[0]}-{pair[1]}:{me.id}", kind="introduction", member=me,
                       recipient=me.address, now=now, meeting_id=meeting.id, context=context):
                queued += 1
    return queued
