"""Compose outgoing mail: Jinja2 templates per language, text + HTML + calendar, spliced into a MIME skeleton.

Everything members share (headers, MIME layout, the calendar without its ATTENDEE line, formatted dates) is
built once per (meeting, sequence, kind, language); per member only the bodies are rendered and encoded.
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import format_datetime
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

import jinja2
from babel.dates import format_date, format_time
from markupsafe import Markup, escape

from mailer.config import DEFAULT_LOCALES, LANGUAGES, Config
from mailer.errors import TemplateError
from mailer.models import Meeting, Member
from mailer.outbound import ics, tokens
from mailer.state.store import OutboxRow, Store

#: The kinds this module has templates for.
KINDS = (
    "invitation",
    "reminder",
    "cancellation",
    "update",
    "confirmation",
    "join-confirm",
    "welcome",
    "leave-confirm",
    "digest",
    "bounce-notice",
    "help",
    "agenda",
    "catering",
    "memo-draft",
    "memo",
    "thanks",
    "ask",
    "question",
    "question-ack",
    "corrections",
    "auth-lost",
)
#: Kinds that cannot be written without a meeting.
MEETING_KINDS = frozenset(
    {"invitation", "reminder", "cancellation", "update", "agenda", "catering", "memo-draft", "memo", "thanks"}
)
#: Kinds that go to a coordinator, not to the list: they carry no List-Unsubscribe.
COORDINATOR_KINDS = frozenset(
    {"digest", "bounce-notice", "agenda", "catering", "memo-draft", "question", "corrections", "auth-lost"}
)
#: Kinds that carry a calendar part, and its iTIP method.
CALENDAR_METHODS = {"invitation": "REQUEST", "update": "REQUEST", "cancellation": "CANCEL"}
#: The three files of each kind, inside templates/<lang>/.
PARTS = ("subject.txt", "txt", "html")

#: Date and time phrasing per language (babel patterns; "{start}"/"{end}" are babel's short times).
FORMATS: dict[str, dict[str, str]] = {
    "sv": {
        "date": "EEEE d.M",
        "date_long": "EEEE d MMMM y",
        "at": "kl. {start}",
        "span": "kl. {start}–{end}",
        "when": "{date} {span}",
    },
    "fi": {
        "date": "EEEE d.M.",
        "date_long": "EEEE d. MMMM y",
        "at": "klo {start}",
        "span": "klo {start}–{end}",
        "when": "{date} {span}",
    },
    "en": {
        "date": "EEEE d MMMM",
        "date_long": "EEEE d MMMM y",
        "at": "at {start}",
        "span": "{start}–{end}",
        "when": "{date}, {span}",
    },
}
#: Subjects of the mailto answer links; the parsers read these words in every language.
ANSWER_WORDS: dict[str, dict[str, str]] = {
    "sv": {"yes": "Ja", "no": "Nej", "maybe": "Kanske", "leave": "Avregistrera", "help": "Hjälp"},
    "fi": {"yes": "Kyllä", "no": "En pääse", "maybe": "Ehkä", "leave": "Eroa", "help": "Ohje"},
    "en": {"yes": "Yes", "no": "No", "maybe": "Maybe", "leave": "Leave", "help": "Help"},
}

#: Per kind: context keys the caller must give, and optional ones with their defaults.
CONTEXT_KEYS: dict[str, tuple[tuple[str, ...], dict[str, Any]]] = {
    "invitation": ((), {}),
    "reminder": ((), {"agenda": [], "answer": None, "attending": 0, "maybe": 0}),
    "cancellation": ((), {"reason": None}),
    "update": ((), {"previous": None}),
    "confirmation": (
        ("answer",),
        {"guests": 0, "dietary": None, "topics": [], "needs": [], "offers": [], "previous_answer": None,
         "topics_capped": False, "max_topics": 3, "standing_answer": None, "question_forwarded": False},
    ),
    "join-confirm": (("token",), {"name": None, "language": None}),
    "welcome": ((), {}),
    "leave-confirm": ((), {"name": None, "language": None}),
    "digest": (("messages",), {"period": None, "asked": []}),
    "bounce-notice": (
        ("address",),
        {"member_name": None, "bounces": 0, "reason": None, "status": "bouncing"},
    ),
    "help": ((), {}),
    "agenda": (
        (),
        {"agenda": [], "agenda_text": "", "notices": [], "rolled_over": [], "attendees": 0, "name": None},
    ),
    "catering": (
        ("head_count",),
        {
            "members_yes": 0,
            "guests": 0,
            "maybe": 0,
            "dietary": [],
            "first_timers": [],
            "sheet": [],
            "name": None,
        },
    ),
    "memo-draft": (
        ("token", "notes"),
        {
            "memo_id": None,
            "version": 1,
            "attendees": [],
            "agenda": [],
            "needs": [],
            "offers": [],
            "rolled_over": [],
            "next_meeting": None,
            "next_invitation": None,
            "name": None,
        },
    ),
    "memo": (
        ("notes",),
        {
            "version": 1,
            "attendees": [],
            "agenda": [],
            "needs": [],
            "offers": [],
            "rolled_over": [],
            "next_meeting": None,
            "next_invitation": None,
        },
    ),
    "thanks": ((), {"memo_follows": False}),
    "ask": (
        ("unsure",),
        {
            "quote": "",
            "guests": 0,
            "dietary": None,
            "topics": [],
            "needs": [],
            "offers": [],
            "question_forwarded": False,
        },
    ),
    "question": (
        ("address", "text"),
        {"sender_name": None, "subject": "", "proposed": None, "comment": None, "applied": [], "reply_to": None},
    ),
    "question-ack": ((), {"counter": False, "subject": ""}),
    "corrections": ((), {"applied": [], "not_understood": [], "name": None}),
}
#: Per kind and list key: the fields each item of the list has. The first is the item's text (never none;
#: an item given as plain text becomes it); a missing other field reads as none.
_RECORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "agenda": {"rolled_over": ("text", "proposer")},
    "catering": {
        "dietary": ("dietary", "name"),
        "sheet": ("name", "organisation", "need", "offer"),
    },
    "memo-draft": {
        "attendees": ("name", "organisation"),
        "needs": ("text", "name"),
        "offers": ("text", "name"),
        "rolled_over": ("text", "proposer"),
    },
}
_RECORDS["memo"] = _RECORDS["memo-draft"]
_RECORDS["question"] = {"applied": ("value", "what")}
_RECORDS["digest"] = {"asked": ("quote", "name", "address", "received")}
_RECORDS["corrections"] = {
    "applied": ("line", "name", "address", "answer", "guests", "previous"),
    "not_understood": ("line", "why", "detail"),
}
#: Per kind: context keys that are counts (none reads as 0).
_COUNTS: dict[str, tuple[str, ...]] = {
    "agenda": ("attendees",),
    "catering": ("head_count", "members_yes", "guests", "maybe"),
    "memo-draft": ("version",),
    "memo": ("version",),
}

_CACHE_SECONDS = 3600  # a skeleton (and its DTSTAMP) is rebuilt after an hour
_MEETING_SECONDS = 60  # a meeting read from the store is trusted this long within a fan-out
_PLAIN_ADDRESS = re.compile(r"[^\s@<>\"(),;:]{1,64}@[A-Za-z0-9.-]{1,253}")
_SPECIALS = re.compile(r'[()<>\[\]:;@\\,."]')
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
#: A display name longer than this is cut (ending in "…") in headers only; the text keeps all of it.
MAX_HEADER_NAME = 200
#: A plain word longer than this cannot be folded at spaces: such a header is RFC 2047-encoded instead.
_LONGEST_PLAIN_WORD = 60


@dataclass(frozen=True)
class Rendered:
    sender: str  # envelope MAIL FROM
    recipient: str  # envelope RCPT TO
    data: bytes  # the whole RFC 5322 message, CRLF line ends
    message_id: str


def make_message_id(token: str, kind: str, key: str, domain: str) -> str:
    """A Message-ID that is the same on every retry and carries the reply token (for References)."""
    digest = hashlib.sha256(key.encode()).hexdigest()[:10]
    return f"<{token or 'traffpunkt'}.{kind}.{digest}@{domain}>"


# -- header encoding ------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """One line of header text: control characters (CR, LF...) become single spaces."""
    return _CONTROL.sub(" ", text).strip()


def header_name(name: str) -> str:
    """A display name for a header: one line, at most MAX_HEADER_NAME characters."""
    name = _clean(name)
    return name if len(name) <= MAX_HEADER_NAME else name[:MAX_HEADER_NAME - 1].rstrip() + "…"


def _encoded_words(text: str) -> list[str]:
    """RFC 2047 B-encoded words of at most 64 characters, cut between characters."""
    words: list[str] = []
    chunk: list[str] = []
    size = 0
    for ch in text:
        n = len(ch.encode())
        if size + n > 39:
            words.append("".join(chunk))
            chunk, size = [], 0
        chunk.append(ch)
        size += n
    if chunk:
        words.append("".join(chunk))
    return [f"=?utf-8?b?{base64.b64encode(w.encode()).decode()}?=" for w in words]


def _fold_plain(name: str, value: str) -> str:
    """Fold an ASCII header at spaces so lines stay within 78 characters where possible."""
    line, lines = f"{name}: ", []
    for word in value.split(" "):
        if len(line) + len(word) + 1 > 78 and line.strip() and not line.endswith(": "):
            lines.append(line.rstrip())
            line = " "
        line += word + " "
    lines.append(line.rstrip())
    return "\r\n".join(lines)


def encode_unstructured(name: str, value: str) -> bytes:
    """`Name: value` ready for the wire (RFC 2047 when not plain ASCII), folded, CRLF at the end."""
    value = _clean(value)
    plain = value.isascii() and "=?" not in value and "  " not in value
    if plain and max((len(w) for w in value.split(" ")), default=0) <= _LONGEST_PLAIN_WORD:
        return (_fold_plain(name, value) + "\r\n").encode()
    return (f"{name}: " + "\r\n ".join(_encoded_words(value)) + "\r\n").encode()


def _phrase(name: str) -> str:
    name = header_name(name)
    if not name:
        return ""
    if name.isascii() and "=?" not in name and len(name) <= _LONGEST_PLAIN_WORD:
        if not _SPECIALS.search(name):
            return name
        return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return "\r\n ".join(_encoded_words(name))


def encode_address(name: str, display: str, address: str) -> bytes:
    """`Name: Display Name <address>` for the wire, CRLF at the end."""
    phrase = _phrase(display)
    if not phrase:
        return f"{name}: {address}\r\n".encode()
    last = phrase.rpartition("\n")[2]
    sep = "\r\n " if len(last) + len(address) + 3 + (len(name) + 2 if "\n" not in phrase else 0) > 78 else " "
    return f"{name}: {phrase}{sep}<{address}>\r\n".encode()


def _qp(text: str) -> bytes:
    """Quoted-printable UTF-8 with CRLF line ends (binascii: C speed)."""
    body = text.strip("\n").replace("\r\n", "\n").replace("\n", "\r\n") + "\r\n"
    return binascii.b2a_qp(body.encode(), quotetabs=False, istext=True, header=False)


def _b64(data: bytes) -> bytes:
    return base64.encodebytes(data).replace(b"\n", b"\r\n")


@lru_cache(maxsize=16)
def _quoted_words(language: str) -> dict[str, str]:
    return {k: quote(w, safe="") for k, w in ANSWER_WORDS.get(language, ANSWER_WORDS["en"]).items()}


# -- template context -----------------------------------------------------------------------------------


def first_name(name: str) -> str:
    parts = name.replace(",", " ").split()
    if "," in name and len(parts) > 1:  # "Lindqvist, Anna"
        return parts[1]
    return parts[0] if parts else ""


def _locale(config: Config, language: str) -> str:
    if language == config.network.language:
        return config.network.locale
    return DEFAULT_LOCALES.get(language, "en_GB")


def _when(start: datetime, end: datetime, language: str, locale: str) -> dict[str, str]:
    fmt = FORMATS.get(language, FORMATS["en"])
    s, e = (
        format_time(start.timetz(), "short", locale=locale),
        format_time(end.timetz(), "short", locale=locale),
    )
    day = format_date(start.date(), fmt["date"], locale=locale)
    span = fmt["span"].format(start=s, end=e)
    return {
        "date": day,
        "date_long": format_date(start.date(), fmt["date_long"], locale=locale),
        "weekday": format_date(start.date(), "EEEE", locale=locale),
        "start": s,
        "end": e,
        "at": fmt["at"].format(start=s),
        "span": span,
        "when": fmt["when"].format(date=day, span=span),
        "iso_date": start.date().isoformat(),
    }


def meeting_vars(meeting: Meeting, config: Config, language: str) -> dict[str, Any]:
    """What templates know of a meeting, with dates and times written for the language."""
    tz = ZoneInfo(config.network.timezone)
    start, end = meeting.start.astimezone(tz), meeting.end.astimezone(tz)
    note = next((o.note for o in config.meetings.overrides if o.date == meeting.date), None)
    return {
        "id": meeting.id,
        "title": config.meetings.title or config.network.name,
        "summary": ics.summary(meeting, config),
        "place": meeting.place,
        "address": meeting.address,
        "location": ics.location(meeting),
        "online_link": meeting.online_link,
        "theme": meeting.theme,
        "guest_speaker": meeting.guest_speaker,
        "cancelled": meeting.cancelled,
        "note": note,
        "sequence": meeting.sequence,
        "uid": meeting.uid,
        **_when(start, end, language, _locale(config, language)),
    }


def _changes(
    previous: Mapping[str, Any] | None, meeting: Meeting, config: Config, language: str
) -> list[dict[str, str]]:
    """What an update changed, from the context's `previous` (ISO start/end, place, address, online_link)."""
    if not previous:
        return []
    tz = ZoneInfo(config.network.timezone)
    now = _when(meeting.start.astimezone(tz), meeting.end.astimezone(tz), language, _locale(config, language))
    out: list[dict[str, str]] = []
    try:
        p_start = datetime.fromisoformat(str(previous.get("start") or meeting.start.isoformat())).astimezone(
            tz
        )
        p_end = datetime.fromisoformat(str(previous.get("end") or meeting.end.isoformat())).astimezone(tz)
    except ValueError:
        p_start, p_end = meeting.start, meeting.end
    if (p_start, p_end) != (meeting.start, meeting.end):
        before = _when(p_start, p_end, language, _locale(config, language))
        out.append({"what": "time", "before": before["when"], "after": now["when"]})
    place_before = ", ".join(str(p) for p in (previous.get("place"), previous.get("address")) if p)
    if ("place" in previous or "address" in previous) and place_before != ics.location(meeting):
        out.append({"what": "place", "before": place_before, "after": ics.location(meeting)})
    if "online_link" in previous and (previous.get("online_link") or None) != meeting.online_link:
        out.append(
            {
                "what": "online",
                "before": str(previous.get("online_link") or ""),
                "after": meeting.online_link or "",
            }
        )
    return out


def _agenda(items: Any) -> list[dict[str, Any]]:
    out = []
    for item in items or []:
        if isinstance(item, Mapping):
            out.append(
                {
                    "title": str(item.get("title", "")),
                    "time": item.get("time"),
                    "minutes": item.get("minutes"),
                    "by": item.get("by"),
                }
            )
        else:
            out.append({"title": str(item), "time": None, "minutes": None, "by": None})
    return out


def _records(items: Any, fields: tuple[str, ...]) -> list[dict[str, Any]]:
    """List items as mappings with every field present; the first is text, the others none when missing."""
    main, rest = fields[0], fields[1:]
    out = []
    for item in items or []:
        if isinstance(item, Mapping):
            record = {f: item.get(f) for f in rest}
            record[main] = str(item.get(main) or "")
        else:
            record = {f: None for f in rest}
            record[main] = str(item)
        out.append(record)
    return out


def plain_notes(text: Any) -> str:
    """Notes as plain text: LF line ends, no trailing blanks, no empty lines at the start or end."""
    lines = str(text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    return "\n".join(line.rstrip() for line in lines).strip("\n")


def paragraphs(text: Any) -> Markup:
    """Plain text as HTML paragraphs, line breaks kept, everything escaped (the `paragraphs` filter)."""
    blocks = re.split(r"\n[ \t]*\n", plain_notes(text))
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(escape(line) for line in block.split("\n")))
        for block in blocks
        if block.strip()
    )


def normalise_context(kind: str, context: Mapping[str, Any] | None) -> dict[str, Any]:
    """The row's context with every optional key present; a missing required key is a TemplateError."""
    required, defaults = CONTEXT_KEYS.get(kind, ((), {}))
    ctx = {**defaults, **(context or {})}
    missing = [k for k in required if k not in ctx]
    if missing:
        raise TemplateError(f"{kind}: context lacks {', '.join(missing)}")
    if "agenda" in defaults:
        ctx["agenda"] = _agenda(ctx["agenda"])
    for key, fields in _RECORDS.get(kind, {}).items():
        ctx[key] = _records(ctx[key], fields)
    if kind in ("agenda", "catering"):
        for key in ("notices", "first_timers"):
            if key in ctx:
                ctx[key] = [str(x) for x in ctx[key] or []]
    for key in _COUNTS.get(kind, ()):
        ctx[key] = int(ctx[key] or 0)
    if kind == "catering":
        new = set(ctx["first_timers"])
        for row in ctx["sheet"]:
            row["first_time"] = row["name"] in new
    if kind in ("memo", "memo-draft"):
        ctx["notes"] = plain_notes(ctx["notes"])
    return ctx


@lru_cache(maxsize=64)
def _when_iso(start: str, end: str | None, language: str, locale: str, timezone: str) -> dict[str, str] | None:
    """Date and time words for ISO start/end times (as `meeting` has them); none when they do not parse."""
    tz = ZoneInfo(timezone)
    try:
        s = datetime.fromisoformat(start)
        e = datetime.fromisoformat(end) if end else s
    except ValueError:
        return None
    s = (s if s.tzinfo else s.replace(tzinfo=tz)).astimezone(tz)
    e = (e if e.tzinfo else e.replace(tzinfo=tz)).astimezone(tz)
    return _when(s, e, language, locale)


@lru_cache(maxsize=64)
def _day_words(day: str, language: str, locale: str) -> str | None:
    """An ISO date (or datetime) written as `meeting.date` writes dates; none when it does not parse."""
    try:
        parsed = date.fromisoformat(day[:10])
    except ValueError:
        return None
    return format_date(parsed, FORMATS.get(language, FORMATS["en"])["date"], locale=locale)


def _next_meeting(ctx: dict[str, Any], config: Config, language: str) -> None:
    """`next_meeting` {start, end, place} (ISO times) and `next_invitation` (ISO date) in words, in place."""
    locale = _locale(config, language)
    nxt = ctx.get("next_meeting")
    if isinstance(nxt, Mapping) and nxt.get("start"):
        words = _when_iso(
            str(nxt["start"]), str(nxt.get("end") or "") or None, language, locale, config.network.timezone
        )
        if words is not None:
            ctx["next_meeting"] = {
                **words,
                "place": nxt.get("place"),
                "address": nxt.get("address"),
                "iso_start": str(nxt["start"]),
            }
        else:
            ctx["next_meeting"] = None
    else:
        ctx["next_meeting"] = None
    invitation = ctx.get("next_invitation")
    ctx["next_invitation"] = _day_words(str(invitation), language, locale) if invitation else None


def _proposed(ctx: dict[str, Any], config: Config, language: str) -> None:
    """A COUNTER's `proposed` {start, end} (ISO times) in words like `meeting`, in place; none when unreadable."""
    proposed = ctx.get("proposed")
    words = None
    if isinstance(proposed, Mapping) and proposed.get("start"):
        words = _when_iso(
            str(proposed["start"]),
            str(proposed.get("end") or "") or None,
            language,
            _locale(config, language),
            config.network.timezone,
        )
    ctx["proposed"] = words


def _reply_to(kind: str, ctx: Mapping[str, Any], reply_address: str) -> bytes:
    """Reply-To: the list (or memo) address; a forwarded question is answered to the member who asked."""
    member = str(ctx.get("reply_to") or "") if kind == "question" else ""
    if member and _PLAIN_ADDRESS.fullmatch(member):
        return encode_address("Reply-To", str(ctx.get("sender_name") or ""), member)
    return f"Reply-To: {reply_address}\r\n".encode()


# -- the skeleton -----------------------------------------------------------------------------------------


@dataclass
class _Skeleton:
    """What every member's copy of one mail shares."""

    subject: jinja2.Template
    text: jinja2.Template
    html: jinja2.Template
    shared: dict[str, Any]
    top: bytes  # shared headers from MIME-Version on, ending with the blank line and the first boundary
    text_head: bytes
    html_head: bytes
    tail_after_html: bytes  # after the HTML part: calendar part head, or the closing boundary
    cal_before: bytes = b""
    cal_after: bytes = b""
    attachment_head: bytes = b""
    closing: bytes = b""
    built: datetime = field(default_factory=lambda: datetime.min.replace(tzinfo=UTC))
    subjects: dict[str, bytes] = field(default_factory=dict)


class Composer:
    """Renders outbox rows (and previews) into wire-ready messages."""

    def __init__(
        self, config: Config, store: Store, secret: bytes, clock: Callable[[], datetime] | None = None
    ) -> None:
        self.config = config
        self.store = store
        self.secret = secret
        self._clock = clock or (lambda: datetime.now(UTC))
        self._envs: dict[str, jinja2.Environment] = {}
        self._skeletons: dict[tuple[Any, ...], _Skeleton] = {}
        self._meetings: dict[tuple[int, int], tuple[Meeting | None, datetime]] = {}
        net = config.network
        self._from = encode_address("From", net.from_name or net.name, config.mail.from_address)
        slug = re.sub(r"[^a-z0-9]+", "-", net.list_address.partition("@")[0].lower()).strip("-") or "list"
        self._list_id = encode_address("List-Id", net.name, f"{slug}.{net.domain}")

    # -- public ----------------------------------------------------------------------------------------

    def render(self, row: OutboxRow, now: datetime | None = None) -> Rendered:
        """The message for one outbox row (the Message-ID is the row's, so a retry sends the same one)."""
        now = now or self._clock()
        meeting = self._meeting(row.meeting_id, row.sequence, now) if row.meeting_id else None
        member = self.store.member(row.member_id) if row.member_id else None
        return self._build(
            row.kind,
            member,
            meeting,
            row.context,
            row.recipient,
            row.message_id,
            max(row.sequence, meeting.sequence) if meeting else row.sequence,
            now,
        )

    def preview(
        self,
        kind: str,
        member: Member,
        meeting: Meeting | None,
        context: dict[str, Any] | None = None,
        now: datetime | None = None,
    ) -> Rendered:
        """The mail `kind` as `member` would get it now (for `traffpunkt preview`)."""
        now = now or self._clock()
        token = tokens.make(self.secret, member.id, meeting.id if meeting else 0)
        mid = make_message_id(
            token,
            kind,
            f"preview:{kind}:{member.id}:{meeting.id if meeting else 0}",
            self.config.network.domain,
        )
        return self._build(
            kind,
            member,
            meeting,
            sample_context(kind) if context is None else context,
            member.address,
            mid,
            meeting.sequence if meeting else 0,
            now,
        )

    def check_templates(self) -> list[str]:
        """Problems with the templates: missing files per language and kind, render errors on sample data."""
        problems: list[str] = []
        base = self.config.templates_dir
        if not base.is_dir():
            return [f"{base}: templates folder missing"]
        for lang in LANGUAGES:
            for kind in KINDS:
                for part in PARTS:
                    if not (base / lang / f"{kind}.{part}").is_file():
                        problems.append(f"{base / lang / f'{kind}.{part}'}: missing")
        incomplete = {p.split("/")[-2] for p in problems}
        member = Member(
            id=1,
            name="Åsa <Öberg> & Co",
            address="asa@example.org",
            organisation="Kulturhuset",
            language="sv",
            status="active",
            joined=datetime(2026, 1, 1, tzinfo=UTC),
        )
        meetings: list[Meeting | None] = list(sample_meetings(self.config))
        for lang in LANGUAGES:
            if lang in incomplete:
                continue
            for kind in KINDS:
                for meeting in meetings if kind in MEETING_KINDS else [*meetings, None]:
                    now = (meeting.start if meeting else datetime(2026, 12, 3, tzinfo=UTC)) - timedelta(14)
                    try:
                        self._build(
                            kind,
                            replace(member, language=lang),
                            meeting,
                            sample_context(kind),
                            member.address,
                            "<check@example.org>",
                            meeting.sequence if meeting else 0,
                            now,
                            strict_language=True,
                        )
                    except TemplateError as exc:
                        problems.append(str(exc))
                        break
        return problems

    # -- internals -------------------------------------------------------------------------------------

    def _meeting(self, meeting_id: int, sequence: int, now: datetime) -> Meeting | None:
        key = (meeting_id, sequence)
        hit = self._meetings.get(key)
        if hit is None or abs((now - hit[1]).total_seconds()) > _MEETING_SECONDS:
            if len(self._meetings) > 256:
                self._meetings.clear()
            hit = (self.store.meeting(meeting_id), now)
            self._meetings[key] = hit
        return hit[0]

    def _language(self, wanted: str | None, strict: bool = False) -> str:
        if strict and wanted:
            return wanted
        if wanted and (self.config.templates_dir / wanted).is_dir():
            return wanted
        return self.config.network.language

    def _env(self, language: str, strict: bool) -> jinja2.Environment:
        key = f"{language}:{strict}"
        env = self._envs.get(key)
        if env is None:
            base = self.config.templates_dir
            paths = [base / language]
            if not strict and language != self.config.network.language:
                paths.append(base / self.config.network.language)  # a file missing here comes from there
            paths.append(base / "_shared")  # partials that read the same in every language
            env = jinja2.Environment(
                loader=jinja2.FileSystemLoader([str(p) for p in paths]),
                autoescape=jinja2.select_autoescape(enabled_extensions=("html",), default_for_string=False),
                undefined=jinja2.StrictUndefined,
                trim_blocks=True,
                lstrip_blocks=True,
                keep_trailing_newline=True,
                auto_reload=False,
            )
            env.filters["first_name"] = first_name
            env.filters["paragraphs"] = paragraphs
            env.filters["ljust"] = lambda value, width: str(value if value is not None else "").ljust(width)
            env.filters["rstrip"] = lambda value: str(value).rstrip()
            self._envs[key] = env
        return env

    def _template(self, env: jinja2.Environment, name: str, language: str) -> jinja2.Template:
        try:
            return env.get_template(name)
        except jinja2.TemplateNotFound:
            raise TemplateError(f"{self.config.templates_dir / language / name}: missing") from None
        except jinja2.TemplateSyntaxError as exc:
            raise TemplateError(f"{exc.filename or name}: line {exc.lineno}: {exc.message}") from None

    def _skeleton(
        self, kind: str, language: str, meeting: Meeting | None, sequence: int, now: datetime, strict: bool
    ) -> _Skeleton:
        key = (kind, language, meeting, sequence, strict)
        sk = self._skeletons.get(key)
        if sk is not None and abs((now - sk.built).total_seconds()) < _CACHE_SECONDS:
            return sk
        if len(self._skeletons) > 64:
            self._skeletons.clear()
        env = self._env(language, strict)
        templates = [self._template(env, f"{kind}.{part}", language) for part in PARTS]
        net = self.config.network
        shared: dict[str, Any] = {
            "kind": kind,
            "language": language,
            "network": {
                "name": net.name,
                "from_name": net.from_name,
                "list_address": net.list_address,
                "memo_address": net.memo_address,
                "public_url": net.public_url,
                "coordinator": net.coordinators[0] if net.coordinators else net.list_address,
            },
            "meeting": meeting_vars(meeting, self.config, language) if meeting else None,
        }
        tag = hashlib.sha256(
            repr((kind, language, meeting.uid if meeting else "", sequence)).encode()
        ).hexdigest()
        alt, mix = f"=_tp_alt_{tag[:16]}", f"=_tp_mix_{tag[:16]}"
        method = CALENDAR_METHODS.get(kind) if meeting else None
        common = (
            b"Auto-Submitted: auto-generated\r\nX-Auto-Response-Suppress: OOF, AutoReply\r\n"
            + f"X-Traffpunkt-Kind: {kind}\r\nMIME-Version: 1.0\r\n".encode()
        )
        text_head = (
            b'Content-Type: text/plain; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        html_head = (
            f"\r\n--{alt}\r\n".encode() + b'Content-Type: text/html; charset="utf-8"\r\n'
            b"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
        )
        if method is None or meeting is None:
            return self._keep(
                key,
                _Skeleton(
                    subject=templates[0],
                    text=templates[1],
                    html=templates[2],
                    shared=shared,
                    top=common
                    + f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n--{alt}\r\n'.encode(),
                    text_head=text_head,
                    html_head=html_head,
                    tail_after_html=f"\r\n--{alt}--\r\n".encode(),
                    built=now,
                ),
            )
        build = ics.request if method == "REQUEST" else ics.cancel
        cal = build(meeting, self.config, stamp=now, language=language, sequence=sequence)
        cal_before, cal_after = ics.split_for_attendee(cal)
        filename = "invite.ics" if method == "REQUEST" else "cancel.ics"
        return self._keep(
            key,
            _Skeleton(
                subject=templates[0],
                text=templates[1],
                html=templates[2],
                shared=shared,
                top=common
                + (
                    f'Content-Type: multipart/mixed; boundary="{mix}"\r\n\r\n--{mix}\r\n'
                    f'Content-Type: multipart/alternative; boundary="{alt}"\r\n\r\n--{alt}\r\n'
                ).encode(),
                text_head=text_head,
                html_head=html_head,
                tail_after_html=(
                    f'\r\n--{alt}\r\nContent-Type: text/calendar; charset="UTF-8"; method={method}\r\n'
                    "Content-Transfer-Encoding: base64\r\n\r\n"
                ).encode(),
                cal_before=cal_before,
                cal_after=cal_after,
                attachment_head=(
                    f'\r\n--{alt}--\r\n\r\n--{mix}\r\nContent-Type: application/ics; name="{filename}"\r\n'
                    f'Content-Disposition: attachment; filename="{filename}"\r\n'
                    "Content-Transfer-Encoding: base64\r\n\r\n"
                ).encode(),
                closing=f"\r\n--{mix}--\r\n".encode(),
                built=now,
            ),
        )

    def _keep(self, key: tuple[Any, ...], sk: _Skeleton) -> _Skeleton:
        self._skeletons[key] = sk
        return sk

    def _build(
        self,
        kind: str,
        member: Member | None,
        meeting: Meeting | None,
        context: Mapping[str, Any] | None,
        recipient: str,
        message_id: str,
        sequence: int,
        now: datetime,
        strict_language: bool = False,
    ) -> Rendered:
        if kind in MEETING_KINDS and meeting is None:
            raise TemplateError(f"{kind}: needs a meeting")
        ctx = normalise_context(kind, context)
        net = self.config.network
        name = member.name if member else str(ctx.get("name") or "")
        language = self._language(member.language if member else ctx.get("language"), strict_language)
        sk = self._skeleton(kind, language, meeting, sequence, now, strict_language)
        if member is not None and kind != "memo-draft":
            token = tokens.make(self.secret, member.id, meeting.id if meeting else 0)
        else:
            token = str(ctx.get("token") or "")
        # A memo draft is answered to the memo address: the approval (or new notes) goes where notes go.
        base = net.memo_address if kind == "memo-draft" else net.list_address
        local, _, domain = base.partition("@")
        reply_address = f"{local}+{token}@{domain}" if token and net.plus_addressing else base
        words = ANSWER_WORDS.get(language, ANSWER_WORDS["en"])
        tag = quote(f" [{token}]", safe="") if token else ""
        mailto = {k: f"mailto:{reply_address}?subject={w}{tag}" for k, w in _quoted_words(language).items()}
        mailto["approve"] = f"mailto:{reply_address}?subject=OK{tag}&body=OK"
        unsubscribe = f"mailto:{net.list_address}?subject=leave{tag}"
        if kind == "update" and meeting is not None:
            ctx["changes"] = _changes(ctx.get("previous"), meeting, self.config, language)
        if kind == "cancellation" and not ctx.get("reason") and meeting is not None:
            ctx["reason"] = sk.shared["meeting"]["note"]
        if kind in ("memo", "memo-draft"):
            _next_meeting(ctx, self.config, language)
        if kind == "question":
            _proposed(ctx, self.config, language)
        variables = {
            **sk.shared,
            "ctx": ctx,
            "token": token,
            "reply_address": reply_address,
            "mailto": mailto,
            "answer_words": words,
            "unsubscribe": unsubscribe,
            "member": {
                "name": name,
                "first_name": first_name(name),
                "address": recipient,
                "organisation": member.organisation if member else None,
            },
        }
        try:
            subject = " ".join(sk.subject.render(variables).split())
            if kind == "memo-draft" and token and f"[{token}]" not in subject:
                subject = f"{subject} [{token}]"  # the reply proves itself even when the plus part is lost
            text = sk.text.render(variables)
            html = sk.html.render(variables)
        except jinja2.TemplateError as exc:
            raise TemplateError(
                f"{self.config.templates_dir / language}/{kind}: {type(exc).__name__}: {exc}"
            ) from None
        encoded_subject = sk.subjects.get(subject)
        if encoded_subject is None:
            encoded_subject = sk.subjects[subject] = encode_unstructured("Subject", subject)
        mid = message_id if message_id.startswith("<") else f"<{message_id}>"
        date_header = (
            format_datetime(now.astimezone(ZoneInfo(net.timezone))) if now.tzinfo else format_datetime(now)
        )
        parts = [
            f"Date: {date_header}\r\n".encode(),
            self._from,
            encode_address("To", name, recipient),
            encoded_subject,
            f"Message-ID: {mid}\r\n".encode(),
            _reply_to(kind, ctx, reply_address),
            self._list_id,
        ]
        if token and kind not in COORDINATOR_KINDS:
            parts.append(f"List-Unsubscribe: <{unsubscribe}>\r\n".encode())
        parts += [sk.top, sk.text_head, _qp(text), sk.html_head, _qp(html), sk.tail_after_html]
        if sk.cal_before:
            calendar = _b64(sk.cal_before + ics.attendee_line(header_name(name), recipient) + sk.cal_after)
            parts += [calendar, sk.attachment_head, calendar, sk.closing]
        sender = self.config.mail.from_address
        if member is not None and net.plus_addressing:  # VERP: a bounce names the member it answers
            sender = tokens.bounce_address(sender, tokens.make(self.secret, member.id, 0))
        return Rendered(sender=sender, recipient=recipient, data=b"".join(parts), message_id=mid)


# -- sample data (previews and check_templates) ------------------------------------------------------------


def sample_meetings(config: Config) -> list[Meeting]:
    """Two made-up meetings on the series' settings: one with every optional detail, one with none."""
    tz = ZoneInfo(config.network.timezone)
    m = config.meetings
    day = date(2026, 12, 3)
    start = datetime.combine(day, m.start_time, tzinfo=tz)
    end = start + timedelta(minutes=m.duration_minutes)
    full = Meeting(
        id=7,
        date=day,
        uid=f"traffpunkt-sample@{config.network.domain}",
        sequence=1,
        start=start,
        end=end,
        place=m.place,
        address=m.address or "Exempelgatan 1",
        online_link=m.online_link or "https://meet.example.org/sample",
        theme="Hur går vi vidare?",
        guest_speaker="Maria Lind",
        cancelled=False,
        fingerprint="",
    )
    bare = Meeting(
        id=8,
        date=day,
        uid=f"traffpunkt-sample2@{config.network.domain}",
        sequence=0,
        start=datetime.combine(day, time(17, 0), tzinfo=tz),
        end=datetime.combine(day, time(19, 0), tzinfo=tz),
        place=m.place,
        address=None,
        online_link=None,
        theme=None,
        guest_speaker=None,
        cancelled=True,
        fingerprint="",
    )
    return [full, bare]


def sample_context(kind: str) -> dict[str, Any]:
    """A context with every key a template may use, for previews and template checks."""
    samples: dict[str, dict[str, Any]] = {
        "reminder": {
            "agenda": [
                {"time": "17.00", "title": "Presentationsrunda", "minutes": 30},
                "Aktuellt från medlemmarna",
            ],
            "answer": "yes",
            "attending": 14,
            "maybe": 3,
        },
        "cancellation": {"reason": None},
        "update": {
            "previous": {
                "start": "2026-12-03T16:00:00+02:00",
                "end": "2026-12-03T18:00:00+02:00",
                "place": "Gamla stället",
                "address": None,
            }
        },
        "confirmation": {
            "answer": "yes",
            "guests": 1,
            "dietary": "vegetarisk",
            "topics": ["Gemensam kalender"],
            "needs": ["Lokal för en workshop"],
            "offers": ["Ljusteknik"],
            "previous_answer": "maybe",
        },
        "join-confirm": {"token": "tj0-0-abcdefghjkmn", "name": "Åsa Öberg", "language": None},
        "digest": {
            "messages": [
                {
                    "from": "okand@example.org",
                    "subject": "Fråga",
                    "reason": "not a member",
                    "received": "2026-11-20 10:02",
                }
            ],
            "period": "2026-11-20",
            "asked": [
                {
                    "quote": "Jag försöker komma <om> jag hinner.",
                    "name": "Åsa Öberg",
                    "address": "asa@example.org",
                    "received": "2026-11-20 10:05",
                }
            ],
        },
        "auth-lost": {
            "reason": "https://login.microsoftonline.com/.../token refused refreshing the access token: "
                      "invalid_grant: AADSTS50173",
            "account": "natverk@kulturnatverket.fi",
            "config_path": "/etc/traffpunkt/network.toml",
        },
        "bounce-notice": {
            "address": "asa@example.org",
            "member_name": "Åsa Öberg",
            "bounces": 3,
            "reason": "550 5.1.1 user unknown",
            "status": "bouncing",
        },
        "agenda": {
            "agenda": _SAMPLE_AGENDA,
            "agenda_text": (
                "17.00–17.05  Välkommen\n"
                "17.05–17.50  Presentationsrunda (3 min per person)\n"
                "             - Åsa Öberg (Kulturhuset)\n"
                "             - Jari Mäkinen\n"
                "17.50–18.05  Aktuellt: Gemensam bokningskalender (Åsa Öberg)\n"
                "18.05–18.55  Diskussion\n"
                "18.55–19.00  Tack och avslutning\n"
                "\n"
                "Flyttas till nästa träff:\n"
                "  - Sommarens festivaler (Jari Mäkinen)\n"
                "\n"
                "Att notera:\n"
                "  - Diskussionen förkortas från 60 till 50 min så att träffen slutar i tid.\n"
            ),
            "notices": ["Diskussionen förkortas från 60 till 50 min så att träffen slutar i tid."],
            "rolled_over": [{"text": "Sommarens festivaler", "proposer": "Jari Mäkinen"}],
            "attendees": 14,
        },
        "catering": {
            "head_count": 14,
            "members_yes": 12,
            "guests": 2,
            "maybe": 3,
            "dietary": [
                {"name": "Åsa Öberg", "dietary": "vegetarisk"},
                {"name": "Jari Mäkinen", "dietary": "glutenfri, <ingen> fisk"},
            ],
            "first_timers": ["Jari Mäkinen"],
            "sheet": [
                {
                    "name": "Åsa Öberg",
                    "organisation": "Kulturhuset",
                    "need": "Lokal för en workshop i mars",
                    "offer": "Ljusteknik",
                },
                {"name": "Jari Mäkinen", "organisation": None, "need": None, "offer": None},
            ],
        },
        "memo-draft": {**_SAMPLE_MEMO, "memo_id": 3, "version": 2, "token": "tp0-7-abcdefghjkmn"},
        "memo": _SAMPLE_MEMO,
        "thanks": {"memo_follows": True},
        "ask": {
            "unsure": ["rsvp"],
            "quote": "Jag försöker komma om jag hinner <efter> repetitionen.",
            "guests": 1,
            "dietary": "vegetarisk",
            "topics": ["Gemensam kalender"],
            "needs": ["Lokal för en workshop"],
            "offers": ["Ljusteknik"],
            "question_forwarded": True,
        },
        "question": {
            "address": "asa@example.org",
            "sender_name": "Åsa Öberg",
            "subject": "Re: Inbjudan",
            "text": "Får man ta med barn <under 12>?\n\nHälsningar\nÅsa",
            "proposed": {"start": "2026-12-03T18:00:00+02:00", "end": "2026-12-03T20:00:00+02:00"},
            "comment": "Kan vi börja en timme senare?",
            "applied": [
                {"what": "answer", "value": "yes"},
                {"what": "guests", "value": "1"},
                {"what": "topic", "value": "Barn <på> träffen"},
            ],
            "reply_to": "asa@example.org",
        },
        "question-ack": {"counter": False, "subject": "Re: Inbjudan"},
        "corrections": {
            "applied": [
                {
                    "line": "Åsa Öberg: ja +1",
                    "name": "Åsa Öberg",
                    "address": "asa@example.org",
                    "answer": "yes",
                    "guests": 1,
                    "previous": "maybe",
                }
            ],
            "not_understood": [
                {"line": "Anna: kanske", "why": "ambiguous", "detail": "anna@a.example, anna@b.example"},
                {"line": "Bo: kanske inte", "why": "answer", "detail": ""},
                {"line": "Eva Ek: ja", "why": "unknown", "detail": ""},
            ],
        },
    }
    return copy.deepcopy(samples.get(kind, {}))


_SAMPLE_AGENDA: list[dict[str, Any]] = [
    {"time": "17.00", "title": "Välkommen", "minutes": 5, "by": None},
    {"time": "17.05", "title": "Presentationsrunda (3 min per person)", "minutes": 45, "by": None},
    {
        "time": "17.50",
        "title": "Aktuellt: Gemensam bokningskalender (Åsa Öberg)",
        "minutes": 15,
        "by": "Åsa Öberg",
    },
    {"time": "18.05", "title": "Diskussion", "minutes": 50, "by": None},
    {"time": "18.55", "title": "Tack och avslutning", "minutes": 5, "by": None},
]
_SAMPLE_MEMO: dict[str, Any] = {
    "version": 2,
    "notes": (
        "Vi var 14 på plats och två på distans.\n"
        "\n"
        "Bokningskalendern: Åsa visar ett förslag i januari.\n"
        "Beslut: vi prövar en gemensam kalender <under våren> & utvärderar i juni."
    ),
    "attendees": [
        {"name": "Åsa Öberg", "organisation": "Kulturhuset"},
        {"name": "Jari Mäkinen", "organisation": None},
    ],
    "agenda": _SAMPLE_AGENDA,
    "needs": [{"name": "Åsa Öberg", "text": "Lokal för en workshop i mars"}],
    "offers": [{"name": "Jari Mäkinen", "text": "Ljusteknik och en projektor"}],
    "rolled_over": [{"text": "Sommarens festivaler", "proposer": "Jari Mäkinen"}],
    "next_meeting": {
        "start": "2027-01-07T17:00:00+02:00",
        "end": "2027-01-07T19:00:00+02:00",
        "place": "Kulturhuset Caisa",
    },
    "next_invitation": "2026-12-24",
}
