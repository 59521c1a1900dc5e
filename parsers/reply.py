"""`parse_reply(raw) -> ParsedReply`: one inbound mail read as reply, auto-reply, bounce, command, unknown."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

from parsers import authres, autoreply, bounce, bounceproof, learned
from parsers.bounceproof import BounceProof
from parsers.calendar_text import strip_calendar_text
from parsers.clauses import MAX_WORDS
from parsers.counter import read_counter
from parsers.decode import garbled
from parsers.imip import ImipReply, read_reply
from parsers.intent import detect_language, read_intent
from parsers.message import Normalised, date, message_ids, parse_message
from parsers.quotes import strip_quotes
from parsers.tokens import find_tokens

Category = Literal["reply", "auto_reply", "bounce", "command", "unknown"]

#: The intent reader sees at most the first INTENT_MAX_LINES lines and INTENT_MAX_CHARS characters of the
#: member's new text (what a member means is at the top); the body returned is at most BODY_MAX_CHARS.
INTENT_MAX_LINES = 200
INTENT_MAX_CHARS = 16 * 1024
BODY_MAX_CHARS = 64 * 1024
#: The learned second opinion reads at most this much of the member's text (MAX_WORDS words at most too).
MODEL_MAX_CHARS = 2048
_SPACE_RUN = re.compile(r"[^\S\n]{2,}+")
_NON_SPACE = re.compile(r"\S++")

# The fields of the tests/data contract, in the order `to_json_dict` writes them.
CONTRACT_FIELDS = (
    "category", "rsvp", "guests", "topics", "dietary", "command", "needs", "offers", "body",
    "failed_recipients", "language",
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class ParsedReply:
    """What one inbound mail says, and where it came from."""

    category: Category
    rsvp: str | None = None
    guests: int = 0
    topics: tuple[str, ...] = ()
    dietary: str | None = None
    command: str | None = None
    needs: tuple[str, ...] = ()
    offers: tuple[str, ...] = ()
    body: str = ""
    failed_recipients: tuple[str, ...] = ()
    bounce_permanent: bool | None = None
    language: str | None = None
    approval: bool = False
    reason: str | None = None
    tokens: tuple[str, ...] = ()
    message_id: str | None = None
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    from_address: str | None = None
    from_name: str | None = None
    to_addresses: tuple[str, ...] = ()
    subject: str = ""
    date: datetime | None = None
    imip: ImipReply | None = None
    is_list_mail: bool = False
    unsure: tuple[str, ...] = ()
    why: dict[str, str] = field(default_factory=dict)
    question: bool = False
    #: Read here once for the daemon's sender and bounce checks (never parsed again downstream): the
    #: Received and Authentication-Results fields in order (top = newest, see authres), the whole text part
    #: (`body` is only the new text), and a bounce's proof material (see bounceproof).
    trace: tuple[tuple[str, str], ...] = ()
    text: str = ""
    bounce_proof: BounceProof | None = None
    #: Guest speaker proposals, each as the member wrote it (person, organisation, region or sector, why).
    speakers: tuple[str, ...] = ()

    def to_json_dict(self) -> dict[str, Any]:
        """The contract fields of tests/data/README.md first, then the rest; JSON-serialisable."""
        data: dict[str, Any] = {name: getattr(self, name) for name in CONTRACT_FIELDS}
        data["tokens"] = list(self.tokens)
        data["imip_partstat"] = self.imip.partstat if self.imip else None
        data.update(
            approval=self.approval,
            bounce_permanent=self.bounce_permanent,
            reason=self.reason,
            message_id=self.message_id,
            in_reply_to=self.in_reply_to,
            references=list(self.references),
            from_address=self.from_address,
            from_name=self.from_name,
            to_addresses=list(self.to_addresses),
            subject=self.subject,
            date=self.date.isoformat() if self.date else None,
            imip=asdict(self.imip) if self.imip else None,
            is_list_mail=self.is_list_mail,
            unsure=list(self.unsure),
            why=dict(self.why),
            question=self.question,
        )
        for name in ("topics", "needs", "offers", "failed_recipients"):
            data[name] = list(data[name])
        return data


def _envelope(message: Normalised) -> dict[str, Any]:
    # Addresses come from the raw headers (parsers.decode): a display name never supplies one.
    subject = message.header("subject")
    in_reply_to = message.header("in-reply-to")
    references = message.header("references")
    recipients = message.recipients("to", "cc", "delivered-to", "x-original-to")
    irt_ids = message_ids(in_reply_to)
    return {
        "from_address": message.from_address,
        "from_name": message.from_name or None,
        "to_addresses": tuple(message.recipients("to", "cc")),
        "subject": subject,
        "message_id": next(iter(message_ids(message.header("message-id"))), None),
        "in_reply_to": irt_ids[0] if irt_ids else None,
        "references": tuple(message_ids(references)),
        "date": date(message.header("date")),
        "tokens": find_tokens(recipients, subject, in_reply_to, references),
    }


def _header_guests(message: Normalised) -> int:
    value = message.header("x-num-guests").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) < 4 else 0


def _read(message: Normalised) -> ParsedReply:
    envelope = _envelope(message)
    sender = envelope["from_address"]
    imip = next((r for r in (read_reply(c, sender) for c in message.calendars) if r is not None), None)
    auto = autoreply.detect(message)
    body = _head(strip_quotes(message.text), BODY_MAX_CHARS)
    counter = next((c for c in map(read_counter, message.calendars) if c is not None), None)
    if imip is None and counter is not None:  # "propose a new time": a question for a person, never an answer
        body = strip_calendar_text(body)
        return ParsedReply(
            category="reply", body=body, language=detect_language(body) if body else None,
            reason="iMIP COUNTER: a new time proposed", question=True,
            why={"counter": counter.describe(), **({"question": counter.comment} if counter.comment else {})},
            is_list_mail=auto.is_list_mail, **envelope,
        )  # fmt: skip
    if imip is None:
        failure = bounce.detect(message)
        if failure is not None:
            return ParsedReply(
                category="bounce",
                body=body,
                failed_recipients=failure.failed_recipients,
                bounce_permanent=failure.permanent,
                reason=failure.reason,
                is_list_mail=auto.is_list_mail,
                **envelope,
            )
        if auto.automatic:
            language = detect_language(_for_intent(body)) if body else None
            return ParsedReply(
                category="auto_reply", body=body, language=language, reason=auto.reason,
                is_list_mail=auto.is_list_mail, **envelope,
            )  # fmt: skip
    if imip is not None:
        body = strip_calendar_text(body)
    intent_text = _for_intent(body)
    intent = read_intent(intent_text, "" if imip else envelope["subject"])
    category: Category = "reply"
    reason = None
    rsvp = intent.rsvp
    guests = intent.guests
    unsure, why = intent.unsure, intent.why
    if imip is None:  # no answer the rules could settle: a very sure model's answer (off as shipped)
        rsvp, guests, unsure, why = learned.resolve(rsvp, guests, unsure, why, _model_text(body))
    if imip is not None:
        rsvp = imip.rsvp or rsvp
        guests = max(imip.guests, _header_guests(message), guests if rsvp != "no" else 0)
        reason = f"iMIP REPLY PARTSTAT={imip.partstat}"
    elif garbled(body):
        reason = "text is not readable (binary or wrong charset)"
        return ParsedReply(category="unknown", reason=reason, is_list_mail=auto.is_list_mail, **envelope)
    elif not message.text.strip() and not rsvp and not intent.command:
        reason = "no text part" if message.text_source is None else "empty message"
        return ParsedReply(category="unknown", reason=reason, is_list_mail=auto.is_list_mail, **envelope)
    elif intent.command and not (rsvp or intent.topics or intent.needs or intent.offers or intent.dietary):
        category = "command"  # the mail's only meaning is join/leave/help
    elif not body:
        reason = "no new text"  # an empty answer: only a signature, a quote or "Sent from my iPhone"
    return ParsedReply(
        category=category,
        rsvp=rsvp,
        guests=guests,
        topics=intent.topics,
        dietary=intent.dietary,
        command=intent.command,
        needs=intent.needs,
        offers=intent.offers,
        speakers=intent.speakers,
        body=body,
        language=intent.language,
        approval=intent.approval,
        reason=reason,
        imip=imip,
        is_list_mail=auto.is_list_mail,
        **envelope,
        # The learned model is a second opinion: where it disagrees strongly the member is asked.
        **_intent_extras(*(learned.review_reading(rsvp, guests, intent.dietary, intent.command, unsure, why,
                                                  _model_text(body))
                           if imip is None else (intent.unsure, intent.why)),
                         intent.question, imip is not None),
    )


def _intent_extras(unsure: tuple[str, ...], why: dict[str, str], question: bool, imip: bool) -> dict[str, Any]:
    """The reader's doubts, reasons and question flag; a calendar answer's RSVP and guests (its PARTSTAT and
    the attendee's guest count) are never in doubt, whatever the text beside them says."""
    if imip:
        unsure = tuple(name for name in unsure if name not in ("rsvp", "guests"))
    return {"unsure": unsure, "why": why, "question": question}


def _head(text: str, limit: int) -> str:
    """At most `limit` characters of `text`, cut at a line end when there is one."""
    if len(text) <= limit:
        return text
    cut = text.rfind("\n", 0, limit)
    return text[: cut if cut > 0 else limit].rstrip()


def _for_intent(body: str) -> str:
    """The bounded top of the member's text that the intent reader reads, runs of spaces made one.

    (Intent patterns are written for text whose whitespace runs are one space; a long run would also make
    a pattern with neighbouring whitespace quantifiers quadratic.)
    """
    head = _head(body, INTENT_MAX_CHARS)
    cut = -1
    for _ in range(INTENT_MAX_LINES):
        cut = head.find("\n", cut + 1)
        if cut < 0:
            break
    else:
        head = head[:cut]
    return _SPACE_RUN.sub(" ", head)


def _model_text(text: str) -> str:
    """What the learned models read: the text up to its MAX_WORDS-th word (as the rules), at most
    MODEL_MAX_CHARS, cut at a space. Their features are a few per character; they were trained on texts of
    at most ~600 characters."""
    if len(text) > MODEL_MAX_CHARS:
        cut = max(text.rfind(" ", 0, MODEL_MAX_CHARS + 1), text.rfind("\n", 0, MODEL_MAX_CHARS + 1))
        text = text[: cut if cut > 0 else MODEL_MAX_CHARS]
    for n, word in enumerate(_NON_SPACE.finditer(text), start=1):
        if n == MAX_WORDS:
            return text[: word.end()]
    return text


def parse_reply(raw: bytes) -> ParsedReply:
    """Read one raw mail; malformed input gives category "unknown" with a `reason`, never an exception."""
    try:
        message = parse_message(raw)
    except Exception as exc:  # noqa: BLE001 - the email package can fail in many ways on hostile input
        return ParsedReply(category="unknown", reason=f"unreadable message: {type(exc).__name__}: {exc}")
    try:
        return _with_evidence(_read(message), raw, message)
    except Exception as exc:  # noqa: BLE001 - quarantine the mail rather than crash the inbox loop
        return ParsedReply(category="unknown", reason=f"parser error: {type(exc).__name__}: {exc}")


#: The header fields the sender checks read (parsers.authres.vouches).
TRACE_FIELDS = frozenset({"received", "authentication-results"})


def _with_evidence(parsed: ParsedReply, raw: bytes, message: Normalised) -> ParsedReply:
    """`parsed` with what the daemon's checks need of the raw mail: trace fields, whole text, bounce proof."""
    trace = tuple((name, value) for name, value in authres.header_fields(raw) if name in TRACE_FIELDS)
    proof = bounceproof.read(message) if parsed.category == "bounce" else None
    return replace(parsed, trace=trace, text=message.text, bounce_proof=proof)
