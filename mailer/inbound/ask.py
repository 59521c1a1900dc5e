"""Never act on an unsure reading: hold back what the reader is unsure of and ask the member, once a day."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailer.models import Meeting, Member
from mailer.state.store import Store
from parsers import ParsedReply

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler

#: The readings that are held back (and asked about) when unsure; topics, needs and offers are applied.
HELD = ("rsvp", "guests", "dietary", "command")
QUOTE_CHARS = 300


def held(p: ParsedReply) -> tuple[str, ...]:
    """The fields of `p` that must not be acted on: unsure and actually read (an answer, guests, ...)."""
    present = {"rsvp": p.rsvp is not None or "rsvp" in p.why, "guests": p.guests > 0 or "guests" in p.why,
               "dietary": bool(p.dietary) or "dietary" in p.why, "command": p.command is not None}
    return tuple(f for f in HELD if f in p.unsure and present[f])


def sure_part(p: ParsedReply) -> ParsedReply:
    """`p` without what it is unsure of. An unsure answer takes its guests and diet with it: they are
    recorded with the answer, so they wait for the member's answer to the question."""
    changes: dict[str, Any] = {}
    if "rsvp" in p.unsure:
        changes.update(rsvp=None, guests=0, dietary=None)
    if "guests" in p.unsure:
        changes["guests"] = 0
    if "dietary" in p.unsure:
        changes["dietary"] = None
    if "command" in p.unsure:
        changes["command"] = None
    return replace(p, **changes) if changes else p


def quote(p: ParsedReply, fields: tuple[str, ...]) -> str:
    """The member's words the unsure reading came from; else the first lines of the new text."""
    for name in fields:
        words = " ".join(p.why.get(name, "").split())
        if words:
            return words[:QUOTE_CHARS]
    lines = [line.strip() for line in p.body.splitlines() if line.strip()][:3]
    return " / ".join(lines)[:QUOTE_CHARS]


def ask(h: ReplyHandler, p: ParsedReply, member: Member, meeting: Meeting | None, now: datetime, *,
        applied: ParsedReply, fields: tuple[str, ...] | None = None, question_forwarded: bool = False) -> bool:
    """Queue the one question to the member (at most once per member, meeting and day) and log it for the
    coordinators' digest. `applied` is what was taken from the same mail anyway (topics, needs, offers).
    Call inside the handler's transaction. True when a mail was queued."""
    fields = held(p) if fields is None else fields
    words = quote(p, fields)
    day = now.astimezone(h.config.network.tz).date()
    meeting_id = meeting.id if meeting else None
    queued = h.enqueue(
        key=f"ask:{meeting_id or 0}:{member.id}:{day}", kind="ask", member=member, recipient=member.address,
        now=now, meeting_id=meeting_id,
        context={"unsure": list(fields), "quote": words, "guests": p.guests, "dietary": p.dietary,
                 "topics": list(applied.topics), "needs": list(applied.needs), "offers": list(applied.offers),
                 "question_forwarded": question_forwarded})
    h.store.log("asked", now, member_id=member.id, meeting_id=meeting_id,
                detail=json.dumps({"quote": words, "fields": list(fields), "mailed": queued}, ensure_ascii=False))
    return queued


def asked_since(store: Store, since: datetime) -> list[dict[str, Any]]:
    """The replies asked about since `since`, for the digest: {quote, name, address, received}."""
    out = []
    for entry in store.log_since("asked", since):
        member = store.member(entry["member_id"]) if entry["member_id"] else None
        try:
            detail = json.loads(entry["detail"] or "{}")
        except ValueError:
            detail = {}
        out.append({"quote": str(detail.get("quote") or ""), "name": member.name if member else "",
                    "address": member.address if member else "", "received": str(entry["at"])[:16].replace("T", " ")})
    return out
