"""Bounces: counted only for the addresses a bounce proves it answers our mail to; the coordinator is told."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from mailer.inbound.inbox import Outcome
from mailer.inbound.trust import proven_bounce_addresses
from parsers import ParsedReply

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler

#: Hard bounces after which a member is marked bouncing and the coordinator told.
BOUNCE_LIMIT = 3


def handle(h: ReplyHandler, p: ParsedReply,
            now: datetime) -> tuple[Outcome, str | None, int | None]:
    """A bounce counts only for the addresses it proves it answers our mail to (VERP or our Message-ID)."""
    if not p.failed_recipients:
        return Outcome.QUARANTINED, "a bounce that names no failed address", None
    proven = proven_bounce_addresses(p.bounce_proof, p.failed_recipients, store=h.store, secret=h.secret,
                                     from_address=h.config.mail.from_address,
                                     plus_addressing=h.config.network.plus_addressing)
    if not proven:
        return Outcome.QUARANTINED, "a bounce that does not prove it answers our mail", None
    permanent = p.bounce_permanent is not False
    member_id = None
    for address in proven:
        member = h.store.member_by_address(address)
        if member is None:
            continue
        member_id = member.id
        newly_bouncing = h.store.record_bounce(address, permanent, now, BOUNCE_LIMIT)
        if newly_bouncing is not None:
            for coordinator in h.config.network.coordinators:
                h.enqueue(key=f"bounce-notice:{member.id}:{coordinator}:{now:%Y-%m-%d}", kind="bounce-notice",
                             member=None, recipient=coordinator, now=now,
                             context={"member_name": member.name, "address": member.address,
                                      "bounces": BOUNCE_LIMIT})
    if member_id is None:
        return Outcome.IGNORED, "a bounce for an address that is not a member", None
    return Outcome.PROCESSED, None, member_id
