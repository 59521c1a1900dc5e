"""Questions reach a person: a member's question (or proposed new time) goes to the coordinators, Reply-To
the member, and the member is told it was passed on."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from mailer.models import Meeting, Member
from parsers import ParsedReply
from parsers.counter import parse_interval

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler

#: At most this much of the member's text is copied into the forward.
TEXT_CHARS = 20_000


def _key(p: ParsedReply) -> str:
    """The message the question came in, for keys: its Message-ID, else a digest of what it says."""
    if p.message_id:
        return p.message_id
    return hashlib.sha256(f"{p.from_address}\n{p.subject}\n{p.body}".encode()).hexdigest()[:24]


def reading(p: ParsedReply, held: tuple[str, ...]) -> list[dict[str, str]]:
    """What was applied from a mail, as `{what, value}` items (what: answer, guests, dietary, topic, need,
    offer, asked) for the coordinators' copy; the template words them."""
    items = [{"what": "answer", "value": p.rsvp}] if p.rsvp else []
    items += [{"what": "guests", "value": str(p.guests)}] if p.rsvp and p.guests else []
    items += [{"what": "dietary", "value": p.dietary}] if p.dietary else []
    for what, texts in (("topic", p.topics), ("need", p.needs), ("offer", p.offers)):
        items += [{"what": what, "value": t} for t in texts]
    items += [{"what": "asked", "value": field} for field in held]
    return items


def forward(h: ReplyHandler, p: ParsedReply, member: Member, meeting: Meeting | None, now: datetime,
            applied: list[dict[str, str]] | None = None) -> bool:
    """Queue a copy of the member's new text to every coordinator, once per message (inside the handler's
    transaction). `applied` says what was taken from the same mail as an answer. True when queued."""
    proposed = None
    if "counter" in p.why:
        start, end = parse_interval(p.why["counter"])
        proposed = {"start": start.isoformat(), "end": end.isoformat() if end else None} if start else None
    text = p.body.strip()[:TEXT_CHARS]
    context = {"address": member.address, "sender_name": member.name, "subject": p.subject, "text": text,
               "proposed": proposed, "comment": p.why.get("question") if proposed else None,
               "applied": applied or [], "reply_to": member.address}
    queued = False
    for coordinator in h.config.network.coordinators:
        queued |= h.enqueue(key=f"question:{_key(p)}:{coordinator}", kind="question", member=None,
                            recipient=coordinator, now=now, meeting_id=meeting.id if meeting else None,
                            context=context)
    h.store.log("question-forwarded", now, member_id=member.id, meeting_id=meeting.id if meeting else None,
                detail=(p.subject or "")[:200])
    return queued


def acknowledge(h: ReplyHandler, p: ParsedReply, member: Member, meeting: Meeting | None, now: datetime) -> bool:
    """Tell the member, in their language, that the question was passed on (once per message)."""
    return h.enqueue(key=f"question-ack:{_key(p)}", kind="question-ack", member=member, recipient=member.address,
                     now=now, meeting_id=meeting.id if meeting else None,
                     context={"counter": "counter" in p.why, "subject": p.subject})


def pass_on(h: ReplyHandler, p: ParsedReply, member: Member, meeting: Meeting | None,
            now: datetime) -> str:
    """Forward the question and acknowledge it; nothing else in the mail is applied. Returns the reason
    recorded with the inbound message."""
    forward(h, p, member, meeting, now)
    acknowledge(h, p, member, meeting, now)
    if "counter" in p.why:
        return "a new time proposed (COUNTER): passed on to the coordinators, nothing applied"
    return "a question: passed on to the coordinators"
