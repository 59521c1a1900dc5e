"""Coordinators correct answers by mail: `Anna Berg: ja +1` lines from a proven coordinator are applied as
those members' answers for the next meeting and confirmed in one mail."""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailer.inbound.inbox import InboundMessage, Outcome
from mailer.inbound.trust import unproven_coordinator
from mailer.models import Member
from mailer.outbound.tokens import Token
from parsers import ParsedReply
from parsers.corrections import Correction, read_corrections

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler

#: At most this many lines of one mail are applied; the rest are listed as not understood.
MAX_APPLIED = 100


def answers_digest(p: ParsedReply) -> bool:
    """Whether the mail answers the coordinators' digest (whose Message-ID names its kind)."""
    return any(".digest." in ref for ref in (p.in_reply_to or "", *p.references))


def lines_of(p: ParsedReply) -> list[Correction]:
    """The correction lines of the mail's new text (quotes and forwarded parts are not read)."""
    if p.category not in ("reply", "command"):
        return []
    return read_corrections(p.body)


def is_correction_mail(p: ParsedReply, lines: list[Correction], sender: Member | None = None) -> bool:
    """An answer to the digest, or mail whose new text has an understood `who: answer` line naming someone
    other than the sender (a member who signs "Anna Berg: ja" answers for herself, the ordinary way)."""
    def other(c: Correction) -> bool:
        if sender is None:
            return True
        return c.who != sender.address and c.who.casefold() != " ".join(sender.name.split()).casefold()

    return answers_digest(p) or any(c.answer and other(c) for c in lines)


def _member(h: ReplyHandler, c: Correction) -> tuple[Member | None, str]:
    """The one active member a line names, or None and why not ("unknown", "ambiguous:<addresses>")."""
    if c.is_address:
        member = h.store.member_by_address(c.who)
        if member is None or member.status != "active":
            return None, "unknown"
        return member, ""
    found = h.store.members_named(c.who)
    if not found:
        return None, "unknown"
    if len(found) > 1:
        return None, "ambiguous:" + ", ".join(m.address for m in found[:5])
    return found[0], ""


def apply(h: ReplyHandler, message: InboundMessage, p: ParsedReply, token: Token | None,
          lines: list[Correction], now: datetime) -> tuple[Outcome, str | None, int | None]:
    """Apply a coordinator's correction lines (inside the handler's transaction) and confirm them."""
    unproven = unproven_coordinator(
        h.config, p, token, not_coordinator="answers for other members from {sender}, who is not a coordinator",
        unverified="answers for other members without the coordinators' token from an unverified sender")
    if unproven is not None:
        return Outcome.QUARANTINED, unproven, None
    sender = p.from_address or ""
    if not lines:
        return Outcome.QUARANTINED, "an answer to the digest without lines like 'Anna Berg: ja'", None
    meeting = h.meeting_for(p, None, now)
    if meeting is None:
        return Outcome.QUARANTINED, "answers for other members, but no upcoming meeting", None
    applied: list[dict[str, Any]] = []
    not_understood: list[dict[str, str]] = []
    for c in lines:
        if c.answer is None:
            not_understood.append({"line": c.line, "why": "answer", "detail": ""})
            continue
        if len(applied) >= MAX_APPLIED:
            not_understood.append({"line": c.line, "why": "too_many", "detail": str(MAX_APPLIED)})
            continue
        member, why = _member(h, c)
        if member is None:
            code, _, detail = why.partition(":")
            not_understood.append({"line": c.line, "why": code, "detail": detail})
            continue
        before = h.store.set_rsvp(meeting.id, member.id, c.answer, now, guests=c.guests, source=p.message_id)
        h.store.log("rsvp-by-coordinator", now, member_id=member.id, meeting_id=meeting.id,
                    detail=f"{sender}: {c.line}"[:500])
        applied.append({"line": c.line, "name": member.name, "address": member.address, "answer": c.answer,
                        "guests": c.guests, "previous": before})
    key = p.message_id or hashlib.sha256(message.raw[:100_000]).hexdigest()[:24]
    h.enqueue(key=f"corrections:{key}", kind="corrections", member=None, recipient=sender, now=now,
              meeting_id=meeting.id, context={"applied": applied, "not_understood": not_understood})
    return Outcome.PROCESSED, None, None
