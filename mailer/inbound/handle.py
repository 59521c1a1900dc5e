"""The inbound dispatcher: one parsed mail is routed to its flow (answers, memo, membership, bounces,
corrections, attendance, questions) and applied in one transaction with the answers it queues."""

# Who a reply is from is decided by the reply token (an HMAC the sender got from us) matched against the
# sender's raw From address, or by our receiving server's own verdict (mailer/inbound/trust.py). A token that is
# not the sender's own changes nothing; so does mail from a stranger, except a join request (capped per
# day). A bounce counts only when it proves it answers our mail. Auto-replies, bounces and list mail are
# never answered.

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any, Protocol

from mailer.config import Config
from mailer.inbound import answers, attendance, bounces, corrections, membership, memo, privacy
from mailer.inbound.inbox import InboundMessage, Outcome
from mailer.inbound.trust import server_vouches
from mailer.models import Meeting, Member
from mailer.outbound import thread_headers
from mailer.outbound.tokens import Token, verify
from mailer.state import silence
from mailer.state.store import Store
from parsers import ParsedReply, parse_reply

log = logging.getLogger("traffpunkt.handle")


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
        self.enqueue = self.threaded = thread_headers.Threaded(enqueue)  # answers thread with the message handled
        #: Reads a message: the service passes its ParseWorker's (deadline-bounded, in a worker process).
        self.parse = parse

    def for_time(self, now: datetime) -> Callable[[InboundMessage], tuple[Outcome, str | None]]:
        return lambda message: self.handle(message, now)

    def handle(self, message: InboundMessage, now: datetime) -> tuple[Outcome, str | None]:
        parsed = self.parse(message.raw)  # may raise ParseFailure: the inbox quarantines with its reason
        summary = parsed.to_json_dict()
        summary.pop("body", None)
        with self.store.write():  # the effect, the answers it queues and the inbound record: one transaction
            with self.threaded.answering(parsed):
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
            return bounces.handle(self, p, now)
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
        reported = attendance.meeting_reported(self, p, token, now)
        if reported is not None:
            return attendance.handle(self, message, p, token, reported, now)
        lines = corrections.lines_of(p)
        if corrections.is_correction_mail(p, lines, sender):
            return corrections.apply(self, message, p, token, lines, now)
        if memo.is_memo_mail(self, p, token):
            return memo.handle(self, p, token, now)
        if token is not None and token.member_id == 0:
            return membership.confirm_join(self, p, token, now)
        if p.command == "join" and (sender is None or sender.status != "active"):
            return membership.join_request(self, p, now)
        if sender is None:
            return Outcome.QUARANTINED, f"{p.from_address or 'unknown sender'} is not a member", None
        if token is None and not server_vouches(p.trace, sender.address, self.config.mail.authserv_id):
            foreign = [t for t in p.tokens if verify(self.secret, t)]
            why = "reply token of another member" if foreign else "no reply token and sender not authenticated"
            return Outcome.QUARANTINED, why, sender.id
        if silence.wake(self.store, sender.id, now):  # any proven mail: a dormant member is active again
            sender = replace(sender, status="active")
        if p.command == "stay" and "command" not in p.unsure:
            return Outcome.PROCESSED, None, sender.id
        if privacy.is_privacy(p):
            return privacy.handle(self, p, sender, now)
        if p.command == "leave" and "command" not in p.unsure:
            return membership.leave(self, sender, now)
        if p.command == "help" and "command" not in p.unsure:
            self.enqueue(key=f"help:{sender.id}:{now:%Y-%m-%dT%H}", kind="help", member=sender,
                         recipient=sender.address, now=now)
            return Outcome.PROCESSED, None, sender.id
        if sender.status != "active":
            return Outcome.QUARANTINED, f"{sender.address} is not an active member ({sender.status})", sender.id
        return answers.handle(self, p, sender, token, now)

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

    def meeting_for(self, p: ParsedReply, token: Token | None, now: datetime) -> Meeting | None:
        """The meeting a reply is about: its token's, its calendar UID's, else the next one."""
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
