"""The kinds of mail: which need a meeting or carry a calendar, and the context each kind's templates get."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from mailer.errors import TemplateError

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
    "attendance",
    "auth-lost",
    "privacy-confirm",
    "privacy-export",
    "privacy-erased",
    "privacy-notice",
    "still-interested",
    "members-report",
    "introduction",
    "buddy",
)
#: Kinds that cannot be written without a meeting.
MEETING_KINDS = frozenset(
    {"invitation", "reminder", "cancellation", "update", "agenda", "catering", "memo-draft", "memo", "thanks",
     "buddy"}
)
#: Kinds that go to a coordinator, not to the list: they carry no List-Unsubscribe.
COORDINATOR_KINDS = frozenset(
    {"digest", "bounce-notice", "agenda", "catering", "memo-draft", "question", "corrections", "auth-lost",
     "privacy-notice", "members-report", "attendance"}
)
#: Kinds that carry a calendar part, and its iTIP method.
CALENDAR_METHODS = {"invitation": "REQUEST", "update": "REQUEST", "cancellation": "CANCEL"}
#: Kinds mailed to the whole list at once (a fan-out): what a spare drain worker compiles ahead.
FANOUT_KINDS = ("invitation", "reminder", "update", "cancellation", "memo", "thanks")
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
    "sv": {"yes": "Ja", "no": "Nej", "maybe": "Kanske", "leave": "Avregistrera", "help": "Hjälp",
           "stay": "Jag vill vara kvar"},
    "fi": {"yes": "Kyllä", "no": "En pääse", "maybe": "Ehkä", "leave": "Eroa", "help": "Ohje",
           "stay": "Haluan pysyä mukana"},
    "en": {"yes": "Yes", "no": "No", "maybe": "Maybe", "leave": "Leave", "help": "Help", "stay": "Keep me on the list"},
}

#: Per kind: context keys the caller must give, and optional ones with their defaults.
#: What the memo and its draft both know by default.
_MEMO_DEFAULTS: dict[str, Any] = {
    "version": 1, "attendees": [], "present": False, "agenda": [], "needs": [], "offers": [], "matches": [],
    "rolled_over": [], "next_meeting": None, "next_invitation": None,
}
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
    "digest": (("messages",), {"period": None, "asked": [], "speakers": []}),
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
            "buddies": [],
            "speakers": [],
            "name": None,
        },
    ),
    # The draft is the memo as the members will get it, plus what the coordinator needs to approve it.
    "memo-draft": (("token", "notes"), {**_MEMO_DEFAULTS, "memo_id": None, "name": None}),
    "memo": (("notes",), _MEMO_DEFAULTS),
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
    # A member's data under the GDPR (mailer/inbound/privacy.py): the one-tap confirmation, the copy, the
    # goodbye, and the coordinators' notice (which names nobody after an erase).
    "privacy-confirm": (("action", "code"), {}),
    "privacy-export": (("data",), {}),
    "privacy-erased": ((), {}),
    "privacy-notice": (("action",), {"member_name": None, "name": None}),
    # Silent members (mailer/outbound/silence.py): the one question to the member, the coordinators' report.
    "still-interested": ((), {"meetings": 3}),
    "members-report": (
        (),
        {"silent_after": 3, "silent": [], "failing": [], "dormant": [], "asked": 0, "meeting_date": None,
         "name": None},
    ),
    # Needs meet offers (mailer/outbound/introductions.py), newcomers' buddies (mailer/outbound/buddies.py).
    "introduction": (("role", "need", "offer"), {"other_name": "", "other_organisation": None,
                                                 "other_address": None}),
    "buddy": (("role",), {"other_name": "", "other_organisation": None}),
    "attendance": ((), {"absent": [], "not_recognised": [], "memo_sent": False, "all_came": False,
                        "name": None}),
}
#: Per kind and list key: the fields each item of the list has. The first is the item's text (never none;
#: an item given as plain text becomes it); a missing other field reads as none.
_RECORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "agenda": {"rolled_over": ("text", "proposer")},
    "catering": {
        "dietary": ("dietary", "name"),
        "sheet": ("name", "organisation", "need", "offer"),
        "buddies": ("newcomer", "buddy"),
        "speakers": ("text", "name"),
    },
    "memo-draft": {
        "attendees": ("name", "organisation"),
        "needs": ("text", "name"),
        "offers": ("text", "name"),
        "matches": ("need", "need_name", "offer", "offer_name"),
        "rolled_over": ("text", "proposer"),
    },
}
_RECORDS["memo"] = _RECORDS["memo-draft"]
_RECORDS["question"] = {"applied": ("value", "what")}
_RECORDS["digest"] = {"asked": ("quote", "name", "address", "received"), "speakers": ("text", "name", "meeting")}
_RECORDS["members-report"] = {"silent": ("address", "name", "last_answer"), "failing": ("address", "name", "reason"),
                              "dormant": ("address", "name")}
_RECORDS["corrections"] = {
    "applied": ("line", "name", "address", "answer", "guests", "previous"),
    "not_understood": ("line", "why", "detail"),
}
_RECORDS["attendance"] = {
    "absent": ("name", "address", "answer", "thanked"),
    "not_recognised": ("line", "why", "detail"),
}
#: Per kind: context keys that are counts (none reads as 0).
_COUNTS: dict[str, tuple[str, ...]] = {
    "agenda": ("attendees",),
    "catering": ("head_count", "members_yes", "guests", "maybe"),
    "memo-draft": ("version",),
    "memo": ("version",),
}


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
