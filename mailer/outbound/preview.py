"""`traffpunkt preview`: a mail as the member reads it (decoded headers, the text), with the member's real answer."""

from __future__ import annotations

from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from mailer.config import DEFAULT_LOCALES, Config
from mailer.models import Meeting, Member
from mailer.outbound.compose import sample_context
from mailer.state.store import Store

#: The headers a member's mail program shows, in that order.
SHOWN = ("From", "To", "Reply-To", "Subject", "Date", "In-Reply-To")


def context_for(config: Config, store: Store, kind: str, member: Member, meeting: Meeting | None) -> dict[str, Any]:
    """What the daemon would give `kind` for this member and meeting now: their recorded answer, the agenda as it
    stands, the head count; made-up values only where nothing is recorded (and for kinds that answer a mail)."""
    from mailer.meeting.agenda import template_items
    from mailer.outbound.briefing import agenda_context, catering_context, head_count, meeting_agenda

    ctx = sample_context(kind)
    if meeting is None:
        return ctx
    stored = store.meeting_on(meeting.date)
    if stored is None or stored.id != meeting.id:
        store = Store.memory()  # a meeting not yet planned has no answers or topics (and its id is not ours)
    recorded = store.rsvp_of(meeting.id, member.id) if member.id else None
    answer = recorded["answer"] if recorded else None
    if kind == "reminder":
        language = member.language or config.network.language
        locale = config.network.locale if language == config.network.language else DEFAULT_LOCALES[language]
        count = head_count(store.attendance(meeting.id))
        built = meeting_agenda(config, store, meeting)
        return {"agenda": template_items(built.agenda, language, locale), "answer": answer,
                "attending": count.attending, "maybe": count.maybe}
    if kind == "confirmation":
        guests = int(recorded["guests"] or 0) if recorded else 0
        return {**ctx, "answer": answer, "guests": guests if answer else 0,
                "dietary": recorded["dietary"] if recorded else None, "previous_answer": None,
                "standing_answer": None}
    if kind == "catering":
        return catering_context(store, meeting)
    if kind == "agenda":
        return agenda_context(config, store, meeting, meeting_agenda(config, store, meeting))
    return ctx


def _message(data: bytes) -> EmailMessage:
    msg = BytesParser(policy=policy.default).parsebytes(data)
    assert isinstance(msg, EmailMessage)
    return msg


def readable(data: bytes) -> str:
    """The headers a member sees, decoded, then the text part as it reads, and what else the mail carries."""
    msg = _message(data)
    lines = [f"{name}: {msg[name]}" for name in SHOWN if msg[name] is not None]
    extras = []
    for part in msg.walk():
        kind = part.get_content_type()
        if kind == "text/calendar":
            extras.append(f"a calendar entry (METHOD:{part.get_param('method') or '?'}): Accept / Decline")
        elif part.get_filename():
            extras.append(f"attachment {part.get_filename()}")
    if msg.get_body(("html",)) is not None:
        extras.insert(0, "an HTML version (--html FILE writes it)")
    body = msg.get_body(("plain",))
    text = body.get_content() if isinstance(body, EmailMessage) else ""
    tail = "".join(f"[also: {e}]\n" for e in extras)
    return "\n".join(lines) + "\n\n" + text.replace("\r\n", "\n").rstrip("\n") + "\n" + ("\n" + tail if tail else "")


def html_part(data: bytes) -> str:
    """The HTML alternative of the mail, decoded ("" when it has none)."""
    body = _message(data).get_body(("html",))
    return body.get_content() if isinstance(body, EmailMessage) else ""
