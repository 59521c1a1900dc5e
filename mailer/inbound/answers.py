"""A member's reply: the RSVP, guests, diet, topics, needs and offers applied, and the confirmation queued."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from mailer.inbound import ask, questions
from mailer.inbound.inbox import Outcome
from mailer.models import Meeting, Member
from mailer.outbound.tokens import Token
from parsers import ParsedReply

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler

CONFIRMATION_INTERVAL = timedelta(hours=1)


def handle(h: ReplyHandler, p: ParsedReply, member: Member, token: Token | None,
           now: datetime) -> tuple[Outcome, str | None, int | None]:
    meeting = h.meeting_for(p, token, now)
    held, asked = ask.held(p), p
    p = ask.sure_part(p)  # never act on an unsure reading: it is asked about instead
    if "counter" in p.why or (p.question and not (p.rsvp or p.topics or p.dietary or p.needs or p.offers
                                                   or held)):
        return Outcome.PROCESSED, questions.pass_on(h, p, member, meeting, now), member.id
    if meeting is None:
        return Outcome.QUARANTINED, "no upcoming meeting to apply the reply to", member.id
    if not (p.rsvp or p.topics or p.dietary or p.needs or p.offers or held):
        return Outcome.QUARANTINED, "no answer, topic or diet found in the text", member.id
    if meeting.end <= now or meeting.cancelled:
        # an answer to the thank-you, the memo or a cancellation: its topics are for the next meeting
        why = "is over" if meeting.end <= now else "is cancelled"
        if p.question and not (p.topics or p.needs or p.offers):
            return Outcome.PROCESSED, questions.pass_on(h, p, member, meeting, now), member.id
        if (p.rsvp or held) and not (p.topics or p.needs or p.offers):
            return Outcome.QUARANTINED, f"an answer for the meeting {meeting.date}, which {why}", member.id
        nxt = h.meeting_for(p, None, now) if p.imip is None else None
        if nxt is None or nxt.id == meeting.id:
            return Outcome.QUARANTINED, f"the meeting {meeting.date} {why} and no next one is planned", member.id
        meeting = nxt
        p = replace(p, rsvp=None)  # the answer was about the other meeting
        held = tuple(f for f in held if f not in ("rsvp", "guests", "dietary"))
    changed: dict[str, Any] = {}
    standing = h.store.rsvp_of(meeting.id, member.id)
    with h.store.write():
        if p.rsvp:
            guests = p.guests if "guests" not in held else int((standing or {}).get("guests") or 0)
            before = h.store.set_rsvp(meeting.id, member.id, p.rsvp, now, guests=guests,
                                         dietary=p.dietary, source=p.message_id)
            changed["rsvp"] = p.rsvp
            changed["changed_from"] = before if before and before != p.rsvp else None
            changed["guests"] = p.guests
        new_topics, capped = _add_topics(h, p.topics, meeting, member, now)
        for need in p.needs:
            h.store.add_topic(meeting.id, member.id, need, now, kind="need")
        for offer in p.offers:
            h.store.add_topic(meeting.id, member.id, offer, now, kind="offer")
        if p.dietary and not p.rsvp:
            h.store.log("dietary", now, member_id=member.id, meeting_id=meeting.id, detail=p.dietary)
        forwarded = p.question and questions.forward(h, p, member, meeting, now,
                                                      applied=questions.reading(p, held))
        if held and p.imip is None:  # one mail: the question, and what was noted anyway (a calendar's
            # machine-made answer is never answered: what it left unsure is simply not applied)
            ask.ask(h, asked, member, meeting, now, applied=replace(p, topics=tuple(new_topics)),
                    fields=held, question_forwarded=forwarded)
            return Outcome.PROCESSED, "asked the member: unsure " + ", ".join(held), member.id
        # A calendar's Accept/Decline is machine-made (Google marks it Auto-Submitted): the member's
        # calendar already shows the answer, and RFC 3834 says not to answer it.
        if p.imip is None and not h.store.mail_queued_since(member.id, "confirmation",
                                                               now - CONFIRMATION_INTERVAL):
            h.enqueue(
                key=f"confirmation:{meeting.id}:{member.id}:{p.message_id or now.isoformat()}",
                kind="confirmation", member=member, recipient=member.address, now=now, meeting_id=meeting.id,
                context={"answer": p.rsvp, "guests": p.guests, "topics": new_topics, "dietary": p.dietary,
                         "previous_answer": changed.get("changed_from"), "needs": list(p.needs),
                         "offers": list(p.offers), "topics_capped": capped,
                         "max_topics": h.config.meetings.max_topics_per_member,
                         "question_forwarded": forwarded,
                         "standing_answer": None if p.rsvp or not standing else standing["answer"]})
        elif forwarded:
            questions.acknowledge(h, p, member, meeting, now)
    return Outcome.PROCESSED, None, member.id


def _add_topics(h: ReplyHandler, topics: tuple[str, ...], meeting: Meeting, member: Member,
                now: datetime) -> tuple[list[str], bool]:
    """Add the member's new topics up to meetings.max_topics_per_member; (added, whether any were left out)."""
    room = h.config.meetings.max_topics_per_member - h.store.count_topics(meeting.id, member.id)
    added: list[str] = []
    for i, text in enumerate(topics):
        if len(added) >= room:
            h.store.log("topic-over-cap", now, member_id=member.id, meeting_id=meeting.id,
                           detail=f"{len(topics) - i} not added")
            return added, True
        if h.store.add_topic(meeting.id, member.id, text, now):
            added.append(text)
    return added, False
