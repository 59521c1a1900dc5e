"""Who did not come: a proven coordinator's answer to the catering or agenda mail, after the meeting started,
marks the members it names absent (the memo then lists who was present; no thank-you for them) and is confirmed."""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mailer.inbound import memo
from mailer.inbound.inbox import InboundMessage, Outcome
from mailer.inbound.trust import unproven_coordinator
from mailer.models import Meeting, Member
from mailer.outbound.tokens import Token
from parsers import ParsedReply
from parsers.attendance import read_absences

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler


#: Lines marked "Ei tullut:" under the coordinators' token count for the latest meeting started this recently.
RECENT = timedelta(days=14)


def meeting_reported(h: ReplyHandler, p: ParsedReply, token: Token | None, now: datetime) -> Meeting | None:
    """The meeting a report of who did not come is about, when that meeting has started: the one whose catering
    or agenda mail this answers, or (mail with the coordinators' token and a line like "Kom inte: ...") the
    latest one started; None when the mail is no such report."""
    meeting_id = h.store.meeting_of_coordinator_mail(r for r in (p.in_reply_to or "", *p.references) if r)
    if meeting_id is not None:
        if memo.is_memo_mail(h, p, token) and not read_absences(p.body).marked:
            return None  # notes sent to the memo address in answer to the agenda are the memo's
        meeting = h.store.meeting(meeting_id)
        return meeting if meeting is not None and meeting.start <= now else None
    if token is None or token.member_id != 0 or token.meeting_id != 0 or memo.is_memo_mail(h, p, token):
        return None
    if not read_absences(p.body).marked:
        return None
    started = [m for m in h.store.meetings((now - RECENT).date()).values() if m.start <= now and not m.cancelled]
    return started[-1] if started else None


def _member(h: ReplyHandler, meeting: Meeting, who: str) -> tuple[Member | None, str, str]:
    """The one member `who` names (among several of that name, the one who signed up), or why not."""
    if "@" in who:
        member = h.store.member_by_address(who)
        return (member, "", "") if member is not None else (None, "unknown", "")
    found = h.store.members_named(who)
    if len(found) > 1:
        signed_up = [m for m in found if (h.store.rsvp_of(meeting.id, m.id) or {}).get("answer") == "yes"]
        found = signed_up if len(signed_up) == 1 else found
    if not found:
        return None, "unknown", ""
    if len(found) > 1:
        return None, "ambiguous", ", ".join(m.address for m in found[:5])
    return found[0], "", ""


def handle(h: ReplyHandler, message: InboundMessage, p: ParsedReply, token: Token | None, meeting: Meeting,
           now: datetime) -> tuple[Outcome, str | None, int | None]:
    """Mark the named members absent (inside the handler's transaction) and confirm what was applied."""
    unproven = unproven_coordinator(
        h.config, p, token, not_coordinator="who did not come, from {sender}, who is not a coordinator",
        unverified="who did not come, without the coordinators' token from an unverified sender")
    if unproven is not None:
        return Outcome.QUARANTINED, unproven, None
    sender = p.from_address or ""
    read = read_absences(p.body)
    if read.all_came and read.who:
        return Outcome.QUARANTINED, "says both that everyone came and that some did not", None
    if read.all_came:
        h.store.mark_reported(meeting.id, now)
    elif not read.who:
        return Outcome.QUARANTINED, "an answer to the catering or agenda mail after the meeting without names " \
                                    "of who did not come", None
    applied: list[dict[str, Any]] = []
    not_recognised: list[dict[str, str]] = [{"line": line, "why": "not_a_name", "detail": ""}
                                            for line in read.unrecognised]
    for who in read.who:
        member, why, detail = _member(h, meeting, who)
        if member is None:
            not_recognised.append({"line": who, "why": why, "detail": detail})
            continue
        answer = (h.store.rsvp_of(meeting.id, member.id) or {}).get("answer")
        thanked = h.store.thanked(meeting.id, member.id)
        h.store.mark_absent(meeting.id, member.id, now, p.message_id)
        h.store.log("absent-by-coordinator", now, member_id=member.id, meeting_id=meeting.id,
                    detail=f"{sender}: {who}"[:500])
        applied.append({"name": member.name, "address": member.address, "answer": answer, "thanked": thanked})
    key = p.message_id or hashlib.sha256(message.raw[:100_000]).hexdigest()[:24]
    h.enqueue(key=f"attendance:{key}", kind="attendance", member=None, recipient=sender, now=now,
              meeting_id=meeting.id, context={"absent": applied, "not_recognised": not_recognised,
                                              "all_came": read.all_came,
                                              "memo_sent": h.store.memo_approved(meeting.id)})
    return Outcome.PROCESSED, None, None
