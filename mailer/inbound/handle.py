"""Apply one parsed inbound mail to the state: RSVPs, topics, bounces, join/leave; queue the answers it earns.

Who a reply is from is decided by the reply token (an HMAC the sender got from us) matched against the
sender's raw From address, or by our receiving server's own verdict (mailer/inbound/trust.py). A token that is
not the sender's own changes nothing; so does mail from a stranger, except a join request (capped per
day). A bounce counts only when it proves it answers our mail. Auto-replies, bounces and list mail are
never answered.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, Protocol

from mailer.addresses import is_valid as is_valid_address
from mailer.config import Config
from mailer.inbound import ask, corrections, questions
from mailer.inbound.inbox import InboundMessage, Outcome
from mailer.inbound.trust import proven_bounce_addresses, server_vouches
from mailer.meeting.briefing import memo_context
from mailer.models import Meeting, Member
from mailer.outbound.tokens import Token, verify
from mailer.outbound.tokens import make as make_token
from mailer.state.store import Store
from parsers import ParsedReply, parse_reply
from parsers.forward import date_in_subject, forwarded_notes, plain_notes
from parsers.message import parse_message

log = logging.getLogger("traffpunkt.handle")

#: An answer to a memo draft that is only this approves it ("OK!", "Godkänt, tack", "Hyväksytty, kiitos").
_APPROVAL = re.compile(
    r"^(ok|okay|okej|okei|godkänn|godkänt|godkänd|hyväksy|hyväksytty|hyväksyn|approved?)[\s.,!]*"
    r"((tack|kiitos|thanks|thank you|skicka|skicka den|lähetä|send it)[\s.,!]*)?$", re.IGNORECASE)


def _is_approval(body: str) -> bool:
    """The first line approves and nothing but a short sign-off follows (so "OK men stryk ..." is no)."""
    lines = [line.strip() for line in body.strip().splitlines() if line.strip()]
    return bool(lines) and bool(_APPROVAL.match(lines[0])) and len(lines) <= 3 and sum(map(len, lines[1:])) <= 40
#: Hard bounces after which a member is marked bouncing and the coordinator told.
BOUNCE_LIMIT = 3
CONFIRMATION_INTERVAL = timedelta(hours=1)
#: The rolling window of mail.join_confirmations_per_day.
JOIN_CAP_WINDOW = timedelta(hours=24)


class Enqueue(Protocol):
    def __call__(self, *, key: str, kind: str, member: Member | None, recipient: str, now: datetime,
                 meeting_id: int | None = None, context: dict[str, Any] | None = None,
                 join_request: int | None = None) -> bool: ...


class ReplyHandler:
    """Turns inbound mail into state changes and queued answers, one transaction per message."""

    def __init__(self, config: Config, store: Store, secret: bytes, enqueue: Enqueue, *,
                 parse: Callable[[bytes], ParsedReply] = parse_reply) -> None:
        self.config = config
        self.store = store
        self.secret = secret
        self.enqueue = enqueue
        #: Reads a message: the service passes its ParseWorker's (deadline-bounded, in a worker process).
        self.parse = parse

    def for_time(self, now: datetime) -> Callable[[InboundMessage], tuple[Outcome, str | None]]:
        return lambda message: self.handle(message, now)

    # -- entry point ---------------------------------------------------------------------------------

    def handle(self, message: InboundMessage, now: datetime) -> tuple[Outcome, str | None]:
        parsed = self.parse(message.raw)  # may raise ParseFailure: the inbox quarantines with its reason
        summary = parsed.to_json_dict()
        summary.pop("body", None)
        with self.store.write():  # the effect, the answers it queues and the inbound record: one transaction
            outcome, reason, member_id = self._dispatch(message, parsed, now)
            self.store.record_inbound(message.source, status=outcome.value, now=now,
                                      message_id=message.message_id, category=parsed.category, reason=reason,
                                      member_id=member_id, summary=summary)
            if outcome is not Outcome.PROCESSED:
                self.store.log(f"inbound-{outcome.value}", now, member_id=member_id,
                               detail=f"{parsed.category} from {parsed.from_address or '?'}: {reason}")
        return outcome, reason

    def _dispatch(self, message: InboundMessage, p: ParsedReply,
                  now: datetime) -> tuple[Outcome, str | None, int | None]:
        if p.category == "bounce":
            return self._bounce(message, p, now)
        if p.category == "auto_reply":
            log.info("auto-reply from %s ignored", p.from_address)
            return Outcome.IGNORED, "auto-reply", None
        if p.is_list_mail:
            return Outcome.IGNORED, "mail from a mailing list", None
        if p.from_address in self._own_addresses():
            return Outcome.IGNORED, "mail from traffpunkt itself", None
        if p.category == "unknown" and p.reason:
            return Outcome.QUARANTINED, p.reason, None
        sender = self.store.member_by_address(p.from_address) if p.from_address else None
        token = self._token(p, sender)
        lines = corrections.lines_of(p)
        if corrections.is_correction_mail(p, lines, sender):
            return corrections.apply(self, message, p, token, lines, now)
        if self._is_memo_mail(p, token):
            return self._memo(message, p, token, now)
        if token is not None and token.member_id == 0:
            return self._confirm_join(p, token, now)
        if p.command == "join" and (sender is None or sender.status != "active"):
            return self._join_request(p, now)
        if sender is None:
            return Outcome.QUARANTINED, f"{p.from_address or 'unknown sender'} is not a member", None
        if token is None and not server_vouches(message.raw, sender.address, self.config.mail.authserv_id):
            foreign = [t for t in p.tokens if verify(self.secret, t)]
            why = "reply token of another member" if foreign else "no reply token and sender not authenticated"
            return Outcome.QUARANTINED, why, sender.id
        if p.command == "leave" and "command" not in p.unsure:
            return self._leave(sender, now)
        if p.command == "help" and "command" not in p.unsure:
            self.enqueue(key=f"help:{sender.id}:{now:%Y-%m-%dT%H}", kind="help", member=sender,
                         recipient=sender.address, now=now)
            return Outcome.PROCESSED, None, sender.id
        if sender.status != "active":
            return Outcome.QUARANTINED, f"{sender.address} is not an active member ({sender.status})", sender.id
        return self._reply(p, sender, token, now)

    def _own_addresses(self) -> set[str]:
        n = self.config.network
        return {n.list_address, n.memo_address, self.config.mail.from_address}

    def _token(self, p: ParsedReply, sender: Member | None) -> Token | None:
        """The first valid token that belongs to the sender (or a join or coordinator token); others are ignored."""
        for text in p.tokens:
            token = verify(self.secret, text)
            if token is None:
                continue
            if token.member_id == 0 or (sender is not None and token.member_id == sender.id):
                return token
        return None

    # -- memos ---------------------------------------------------------------------------------------

    def _is_memo_mail(self, p: ParsedReply, token: Token | None) -> bool:
        memo = self.config.network.memo_address
        local, _, domain = memo.partition("@")
        for address in p.to_addresses:
            a_local, _, a_domain = address.lower().partition("@")
            if a_domain == domain and a_local.partition("+")[0] == local:
                return True
        # an answer to a memo draft whose reply address a forwarder rewrote still counts as memo mail
        return any(".memo-draft." in ref for ref in (p.in_reply_to or "", *p.references))

    def _memo(self, message: InboundMessage, p: ParsedReply, token: Token | None,
              now: datetime) -> tuple[Outcome, str | None, int | None]:
        """Notes from a coordinator become a draft; "OK" to a draft sends the memo to every member."""
        coordinators = self.config.network.coordinators
        if p.from_address not in coordinators:
            return Outcome.QUARANTINED, f"memo notes from {p.from_address or '?'}, who is not a coordinator", None
        coordinator_token = token is not None and token.member_id == 0 and token.meeting_id == 0
        if not coordinator_token and not server_vouches(message.raw, p.from_address, self.config.mail.authserv_id):
            return Outcome.QUARANTINED, "memo notes without the coordinator's token from an unverified sender", None
        draft = self.store.current_draft()
        replying_to_draft = draft is not None and any(
            ".memo-draft." in ref for ref in (p.in_reply_to or "", *p.references))
        # In an answer to the draft the quoted draft (Outlook quotes it under "-----Original Message-----",
        # which looks like a forward) is not notes: look for a forward only in the new text.
        forwarded = forwarded_notes(p.body if replying_to_draft else parse_message(message.raw).text)
        approval = p.approval or (replying_to_draft and _is_approval(p.body))
        if approval and forwarded is None:
            if draft is None:
                return Outcome.QUARANTINED, "an approval, but there is no memo draft waiting", None
            self._send_memo(int(draft["id"]), now)
            return Outcome.PROCESSED, None, None
        if replying_to_draft and forwarded is None:
            assert draft is not None
            meeting = self.store.meeting(int(draft["meeting_id"]))
            notes = p.body.strip()
        else:
            meeting = self._memo_meeting(p, now)
            notes = forwarded if forwarded is not None else plain_notes(p.body)
        if meeting is None:
            return Outcome.QUARANTINED, "memo notes, but no past meeting to attach them to", None
        if not notes:
            return Outcome.QUARANTINED, "memo mail without notes", None
        memo_id = self.store.add_memo_draft(meeting.id, notes, p.from_address, now, p.message_id)
        if not self.config.meetings.memo_review:
            self._send_memo(memo_id, now)
            return Outcome.PROCESSED, None, None
        memo = self.store.memo(memo_id)
        assert memo is not None
        context = memo_context(self.config, self.store, meeting, notes, now)
        for address in coordinators:
            self.enqueue(key=f"memo-draft:{memo_id}:{address}", kind="memo-draft", member=None, recipient=address,
                         now=now, meeting_id=meeting.id,
                         context={**context, "memo_id": memo_id, "version": memo["version"],
                                  "token": make_token(self.secret, 0, 0)})
        return Outcome.PROCESSED, None, None

    def _memo_meeting(self, p: ParsedReply, now: datetime) -> Meeting | None:
        """The meeting the subject names, else the most recent one that has started."""
        tz = self.config.network.tz
        named = date_in_subject(p.subject, now.astimezone(tz).date())
        if named is not None:
            meeting = self.store.meeting_on(named)
            if meeting is not None:
                return meeting
        past = [m for m in self.store.meetings().values() if m.start <= now and not m.cancelled]
        return past[-1] if past else None

    def _send_memo(self, memo_id: int, now: datetime) -> None:
        """Approve a draft and queue the memo to every active member, once each."""
        memo = self.store.memo(memo_id)
        assert memo is not None
        meeting = self.store.meeting(int(memo["meeting_id"]))
        assert meeting is not None
        contexts: dict[str, dict[str, Any]] = {}  # one per language: the agenda's headings are translated
        self.store.approve_memo(memo_id, now)
        for member in self.store.members_in_batches("active"):
            context = contexts.get(member.language)
            if context is None:
                context = memo_context(self.config, self.store, meeting, str(memo["notes"]), now, member.language)
                context["version"] = memo["version"]
                contexts[member.language] = context
            self.enqueue(key=f"memo:{meeting.id}:{member.id}", kind="memo", member=member, recipient=member.address,
                         now=now, meeting_id=meeting.id, context=context)

    # -- replies -------------------------------------------------------------------------------------

    def _meeting(self, p: ParsedReply, token: Token | None, now: datetime) -> Meeting | None:
        if token is not None and token.meeting_id:
            meeting = self.store.meeting(token.meeting_id)
            if meeting is not None:
                return meeting
        if p.imip is not None and p.imip.uid:
            meeting = self.store.meeting_by_uid(p.imip.uid)
            if meeting is not None:
                return meeting
        upcoming = [m for m in self.store.meetings(now.astimezone(self.config.network.tz).date()).values()
                    if not m.cancelled and m.end > now]
        return upcoming[0] if upcoming else None

    def _reply(self, p: ParsedReply, member: Member, token: Token | None,
               now: datetime) -> tuple[Outcome, str | None, int | None]:
        meeting = self._meeting(p, token, now)
        held, asked = ask.held(p), p
        p = ask.sure_part(p)  # never act on an unsure reading: it is asked about instead
        if "counter" in p.why or (p.question and not (p.rsvp or p.topics or p.dietary or p.needs or p.offers
                                                       or held)):
            return Outcome.PROCESSED, questions.pass_on(self, p, member, meeting, now), member.id
        if meeting is None:
            return Outcome.QUARANTINED, "no upcoming meeting to apply the reply to", member.id
        if not (p.rsvp or p.topics or p.dietary or p.needs or p.offers or held):
            return Outcome.QUARANTINED, "no answer, topic or diet found in the text", member.id
        if meeting.end <= now or meeting.cancelled:
            # an answer to the thank-you, the memo or a cancellation: its topics are for the next meeting
            why = "is over" if meeting.end <= now else "is cancelled"
            if p.question and not (p.topics or p.needs or p.offers):
                return Outcome.PROCESSED, questions.pass_on(self, p, member, meeting, now), member.id
            if (p.rsvp or held) and not (p.topics or p.needs or p.offers):
                return Outcome.QUARANTINED, f"an answer for the meeting {meeting.date}, which {why}", member.id
            nxt = self._meeting(p, None, now) if p.imip is None else None
            if nxt is None or nxt.id == meeting.id:
                return Outcome.QUARANTINED, f"the meeting {meeting.date} {why} and no next one is planned", member.id
            meeting = nxt
            p = replace(p, rsvp=None)  # the answer was about the other meeting
            held = tuple(f for f in held if f not in ("rsvp", "guests", "dietary"))
        changed: dict[str, Any] = {}
        standing = self.store.rsvp_of(meeting.id, member.id)
        with self.store.write():
            if p.rsvp:
                guests = p.guests if "guests" not in held else int((standing or {}).get("guests") or 0)
                before = self.store.set_rsvp(meeting.id, member.id, p.rsvp, now, guests=guests,
                                             dietary=p.dietary, source=p.message_id)
                changed["rsvp"] = p.rsvp
                changed["changed_from"] = before if before and before != p.rsvp else None
                changed["guests"] = p.guests
            new_topics, capped = self._add_topics(p.topics, meeting, member, now)
            for need in p.needs:
                self.store.add_topic(meeting.id, member.id, need, now, kind="need")
            for offer in p.offers:
                self.store.add_topic(meeting.id, member.id, offer, now, kind="offer")
            if p.dietary and not p.rsvp:
                self.store.log("dietary", now, member_id=member.id, meeting_id=meeting.id, detail=p.dietary)
            forwarded = p.question and questions.forward(self, p, member, meeting, now,
                                                          applied=questions.reading(p, held))
            if held and p.imip is None:  # one mail: the question, and what was noted anyway (a calendar's
                # machine-made answer is never answered: what it left unsure is simply not applied)
                ask.ask(self, asked, member, meeting, now, applied=replace(p, topics=tuple(new_topics)),
                        fields=held, question_forwarded=forwarded)
                return Outcome.PROCESSED, "asked the member: unsure " + ", ".join(held), member.id
            # A calendar's Accept/Decline is machine-made (Google marks it Auto-Submitted): the member's
            # calendar already shows the answer, and RFC 3834 says not to answer it.
            if p.imip is None and not self.store.mail_queued_since(member.id, "confirmation",
                                                                   now - CONFIRMATION_INTERVAL):
                self.enqueue(
                    key=f"confirmation:{meeting.id}:{member.id}:{p.message_id or now.isoformat()}",
                    kind="confirmation", member=member, recipient=member.address, now=now, meeting_id=meeting.id,
                    context={"answer": p.rsvp, "guests": p.guests, "topics": new_topics, "dietary": p.dietary,
                             "previous_answer": changed.get("changed_from"), "needs": list(p.needs),
                             "offers": list(p.offers), "topics_capped": capped,
                             "max_topics": self.config.meetings.max_topics_per_member,
                             "question_forwarded": forwarded,
                             "standing_answer": None if p.rsvp or not standing else standing["answer"]})
            elif forwarded:
                questions.acknowledge(self, p, member, meeting, now)
        return Outcome.PROCESSED, None, member.id

    def _add_topics(self, topics: tuple[str, ...], meeting: Meeting, member: Member,
                    now: datetime) -> tuple[list[str], bool]:
        """Add the member's new topics up to meetings.max_topics_per_member; (added, whether any were left out)."""
        room = self.config.meetings.max_topics_per_member - self.store.count_topics(meeting.id, member.id)
        added: list[str] = []
        for i, text in enumerate(topics):
            if len(added) >= room:
                self.store.log("topic-over-cap", now, member_id=member.id, meeting_id=meeting.id,
                               detail=f"{len(topics) - i} not added")
                return added, True
            if self.store.add_topic(meeting.id, member.id, text, now):
                added.append(text)
        return added, False

    # -- bounces -------------------------------------------------------------------------------------

    def _bounce(self, message: InboundMessage, p: ParsedReply,
                now: datetime) -> tuple[Outcome, str | None, int | None]:
        """A bounce counts only for the addresses it proves it answers our mail to (VERP or our Message-ID)."""
        if not p.failed_recipients:
            return Outcome.QUARANTINED, "a bounce that names no failed address", None
        proven = proven_bounce_addresses(message.raw, p.failed_recipients, store=self.store, secret=self.secret,
                                         from_address=self.config.mail.from_address,
                                         plus_addressing=self.config.network.plus_addressing)
        if not proven:
            return Outcome.QUARANTINED, "a bounce that does not prove it answers our mail", None
        permanent = p.bounce_permanent is not False
        member_id = None
        for address in proven:
            member = self.store.member_by_address(address)
            if member is None:
                continue
            member_id = member.id
            newly_bouncing = self.store.record_bounce(address, permanent, now, BOUNCE_LIMIT)
            if newly_bouncing is not None:
                for coordinator in self.config.network.coordinators:
                    self.enqueue(key=f"bounce-notice:{member.id}:{coordinator}:{now:%Y-%m-%d}", kind="bounce-notice",
                                 member=None, recipient=coordinator, now=now,
                                 context={"member_name": member.name, "address": member.address,
                                          "bounces": BOUNCE_LIMIT})
        if member_id is None:
            return Outcome.IGNORED, "a bounce for an address that is not a member", None
        return Outcome.PROCESSED, None, member_id

    # -- join and leave ------------------------------------------------------------------------------

    def _join_request(self, p: ParsedReply, now: datetime) -> tuple[Outcome, str | None, int | None]:
        if not p.from_address:
            return Outcome.QUARANTINED, "a join request without a sender address", None
        if not is_valid_address(p.from_address):
            return Outcome.QUARANTINED, f"a join request from {p.from_address!r}, not one plain address", None
        language = p.language or self.config.network.language
        request_id = self.store.add_join_request(p.from_address, p.from_name or "", language, now)
        cap = self.config.mail.join_confirmations_per_day
        if self.store.join_confirmations_since(now - JOIN_CAP_WINDOW) >= cap:
            # a flood of requests must not make us mail strangers in bulk: it waits in the coordinators' digest
            with self.store.write():
                self.store.hold_join_request(request_id, now)
            return (Outcome.QUARANTINED, f"join request waits for a coordinator: {cap} join confirmations went out "
                    "in the last 24 hours (mail.join_confirmations_per_day)", None)
        with self.store.write():
            self.enqueue(key=f"join-confirm:{request_id}:{now:%Y-%m-%d}", kind="join-confirm", member=None,
                         recipient=p.from_address, now=now, join_request=request_id,
                         context={"name": p.from_name or "", "language": language, "request_id": request_id})
        return Outcome.PROCESSED, None, None

    def _confirm_join(self, p: ParsedReply, token: Token,
                      now: datetime) -> tuple[Outcome, str | None, int | None]:
        request = self.store.join_request(token.meeting_id)
        if request is None or request["address"].lower() != p.from_address:
            return Outcome.QUARANTINED, "a join confirmation from another address than the request", None
        member, created = self.store.add_member(request["address"], request["name"], request["language"], now,
                                                source="join")
        with self.store.write():
            self.store.confirm_join_request(token.meeting_id, now)
            if created:
                self.enqueue(key=f"welcome:{member.id}:{now:%Y-%m-%d}", kind="welcome", member=member,
                             recipient=member.address, now=now)
        return Outcome.PROCESSED, None, member.id

    def _leave(self, member: Member, now: datetime) -> tuple[Outcome, str | None, int | None]:
        with self.store.write():
            self.store.remove_member(member.address, now, reason="asked by mail")
            self.enqueue(key=f"leave-confirm:{member.id}:{now:%Y-%m-%d}", kind="leave-confirm", member=member,
                         recipient=member.address, now=now)
        return Outcome.PROCESSED, None, member.id
