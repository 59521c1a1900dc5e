"""Join and leave by mail: a join request is confirmed by a token mail (capped per day); leave is at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from mailer.addresses import is_valid as is_valid_address
from mailer.inbound.inbox import Outcome
from mailer.models import Member
from mailer.outbound.tokens import Token
from parsers import ParsedReply

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler

#: The rolling window of mail.join_confirmations_per_day.
JOIN_CAP_WINDOW = timedelta(hours=24)


def join_request(h: ReplyHandler, p: ParsedReply, now: datetime) -> tuple[Outcome, str | None, int | None]:
    if not p.from_address:
        return Outcome.QUARANTINED, "a join request without a sender address", None
    if not is_valid_address(p.from_address):
        return Outcome.QUARANTINED, f"a join request from {p.from_address!r}, not one plain address", None
    language = p.language or h.config.network.language
    request_id = h.store.add_join_request(p.from_address, p.from_name or "", language, now)
    cap = h.config.mail.join_confirmations_per_day
    if h.store.join_confirmations_since(now - JOIN_CAP_WINDOW) >= cap:
        # a flood of requests must not make us mail strangers in bulk: it waits in the coordinators' digest
        with h.store.write():
            h.store.hold_join_request(request_id, now)
        return (Outcome.QUARANTINED, f"join request waits for a coordinator: {cap} join confirmations went out "
                "in the last 24 hours (mail.join_confirmations_per_day)", None)
    with h.store.write():
        h.enqueue(key=f"join-confirm:{request_id}:{now:%Y-%m-%d}", kind="join-confirm", member=None,
                     recipient=p.from_address, now=now, join_request=request_id,
                     context={"name": p.from_name or "", "language": language, "request_id": request_id})
    return Outcome.PROCESSED, None, None


def confirm_join(h: ReplyHandler, p: ParsedReply, token: Token,
                  now: datetime) -> tuple[Outcome, str | None, int | None]:
    request = h.store.join_request(token.meeting_id)
    if request is None or request["address"].lower() != p.from_address:
        return Outcome.QUARANTINED, "a join confirmation from another address than the request", None
    member, created = h.store.add_member(request["address"], request["name"], request["language"], now,
                                            source="join")
    with h.store.write():
        h.store.confirm_join_request(token.meeting_id, now)
        if created:
            h.enqueue(key=f"welcome:{member.id}:{now:%Y-%m-%d}", kind="welcome", member=member,
                         recipient=member.address, now=now)
    return Outcome.PROCESSED, None, member.id


def leave(h: ReplyHandler, member: Member, now: datetime) -> tuple[Outcome, str | None, int | None]:
    with h.store.write():
        h.store.remove_member(member.address, now, reason="asked by mail")
        h.enqueue(key=f"leave-confirm:{member.id}:{now:%Y-%m-%d}", kind="leave-confirm", member=member,
                     recipient=member.address, now=now)
    return Outcome.PROCESSED, None, member.id
