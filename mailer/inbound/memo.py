"""Memo mail from a coordinator: notes become a draft, an "OK" to the draft sends the memo to every member."""

from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING, Any

from mailer.inbound.inbox import Outcome
from mailer.inbound.trust import unproven_coordinator
from mailer.models import Meeting
from mailer.outbound.briefing import memo_context
from mailer.outbound.introductions import queue_introductions
from mailer.outbound.tokens import Token
from mailer.outbound.tokens import make as make_token
from parsers import ParsedReply
from parsers.forward import date_in_subject, forwarded_notes, plain_notes

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler

#: An answer to a memo draft that is only this approves it ("OK!", "Godkänt, tack", "Hyväksytty, kiitos").
_APPROVAL = re.compile(
    r"^(ok|okay|okej|okei|godkänn|godkänt|godkänd|hyväksy|hyväksytty|hyväksyn|approved?)[\s.,!]*"
    r"((tack|kiitos|thanks|thank you|skicka|skicka den|lähetä|send it)[\s.,!]*)?$", re.IGNORECASE)


def _is_approval(body: str) -> bool:
    """The first line approves and nothing but a short sign-off follows (so "OK men stryk ..." is no)."""
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    return bool(lines) and bool(_APPROVAL.match(lines[0])) and len(lines) <= 3 and sum(map(len, lines[1:])) <= 40


def is_memo_mail(h: ReplyHandler, p: ParsedReply, token: Token | None) -> bool:
    memo = h.config.network.memo_address
    local, _, domain = memo.partition("@")
    for address in p.to_addresses:
        a_local, _, a_domain = address.lower().partition("@")
        if a_domain == domain and a_local.partition("+")[0] == local:
            return True
    # an answer to a memo draft whose reply address a forwarder rewrote still counts as memo mail
    return any(".memo-draft." in ref for ref in (p.in_reply_to or "", *p.references))


def handle(h: ReplyHandler, p: ParsedReply, token: Token | None,
          now: datetime) -> tuple[Outcome, str | None, int | None]:
    """Notes from a coordinator become a draft; "OK" to a draft sends the memo to every member."""
    unproven = unproven_coordinator(
        h.config, p, token, not_coordinator="memo notes from {sender}, who is not a coordinator",
        unverified="memo notes without the coordinator's token from an unverified sender")
    if unproven is not None:
        return Outcome.QUARANTINED, unproven, None
    coordinators, sender = h.config.network.coordinators, p.from_address or ""
    draft = h.store.current_draft()
    replying_to_draft = draft is not None and any(
        ".memo-draft." in ref for ref in (p.in_reply_to or "", *p.references))
    # In an answer to the draft the quoted draft (Outlook quotes it under "-----Original Message-----",
    # which looks like a forward) is not notes: look for a forward only in the new text.
    forwarded = forwarded_notes(p.body if replying_to_draft else p.text)
    approval = p.approval or (replying_to_draft and _is_approval(p.body))
    if approval and forwarded is None:
        if draft is None:
            return Outcome.QUARANTINED, "an approval, but there is no memo draft waiting", None
        send_memo(h, int(draft["id"]), now)
        return Outcome.PROCESSED, None, None
    if replying_to_draft and forwarded is None:
        assert draft is not None
        meeting = h.store.meeting(int(draft["meeting_id"]))
        notes = p.body.strip()
    else:
        meeting = _memo_meeting(h, p, now)
        notes = forwarded if forwarded is not None else plain_notes(p.body)
    if meeting is None:
        return Outcome.QUARANTINED, "memo notes, but no past meeting to attach them to", None
    if not notes:
        return Outcome.QUARANTINED, "memo mail without notes", None
    memo_id = h.store.add_memo_draft(meeting.id, notes, sender, now, p.message_id)
    if not h.config.meetings.memo_review:
        send_memo(h, memo_id, now)
        return Outcome.PROCESSED, None, None
    memo = h.store.memo(memo_id)
    assert memo is not None
    context = memo_context(h.config, h.store, meeting, notes, now)
    for address in coordinators:
        h.enqueue(key=f"memo-draft:{memo_id}:{address}", kind="memo-draft", member=None, recipient=address,
                     now=now, meeting_id=meeting.id,
                     context={**context, "memo_id": memo_id, "version": memo["version"],
                              "token": make_token(h.secret, 0, 0)})
    return Outcome.PROCESSED, None, None


def _memo_meeting(h: ReplyHandler, p: ParsedReply, now: datetime) -> Meeting | None:
    """The meeting the subject names, else the most recent one that has started."""
    tz = h.config.network.tz
    named = date_in_subject(p.subject, now.astimezone(tz).date())
    if named is not None:
        meeting = h.store.meeting_on(named)
        if meeting is not None:
            return meeting
    past = [m for m in h.store.meetings().values() if m.start <= now and not m.cancelled]
    return past[-1] if past else None


def send_memo(h: ReplyHandler, memo_id: int, now: datetime) -> None:
    """Approve a draft and queue the memo to every active member, once each."""
    memo = h.store.memo(memo_id)
    assert memo is not None
    meeting = h.store.meeting(int(memo["meeting_id"]))
    assert meeting is not None
    contexts: dict[str, dict[str, Any]] = {}  # one per language: the agenda's headings are translated
    h.store.approve_memo(memo_id, now)
    for member in h.store.members_in_batches("active"):
        context = contexts.get(member.language)
        if context is None:
            context = memo_context(h.config, h.store, meeting, str(memo["notes"]), now, member.language)
            context["version"] = memo["version"]
            contexts[member.language] = context
        h.enqueue(key=f"memo:{meeting.id}:{member.id}", kind="memo", member=member, recipient=member.address,
                     now=now, meeting_id=meeting.id, context=context)
    queue_introductions(h.config, h.store, h.enqueue, meeting, now)  # needs meet offers: once per pair
