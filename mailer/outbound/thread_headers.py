"""Answers to a member's mail thread with it: In-Reply-To, References and a "Re:" subject, from hostile headers."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, Protocol

#: The answers that go back to the sender of the mail that caused them, in its conversation.
KINDS = frozenset({"confirmation", "ask", "question-ack", "help", "leave-confirm", "join-confirm", "welcome",
                   "corrections", "attendance", "memo-draft"})
#: Kinds whose own subject stays (a memo draft's carries the coordinator's token and its version).
OWN_SUBJECT = frozenset({"memo-draft"})
#: References keep the newest this many Message-IDs (RFC 5322 allows dropping middle ones).
MAX_REFERENCES = 10
_MESSAGE_ID = re.compile(r"[!-;=?-~]{1,250}")  # printable ASCII but <, > and space: nothing that can break a header
_PREFIX = re.compile(r"\s*(re|sv|vs|aw|antw|vast|odp)\s*(\[\d{1,3}\])?\s*:\s*", re.IGNORECASE)
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
MAX_SUBJECT = 200


class Inbound(Protocol):
    """What the reader tells of an inbound message (parsers.ParsedReply)."""

    @property
    def message_id(self) -> str | None: ...
    @property
    def references(self) -> tuple[str, ...]: ...
    @property
    def subject(self) -> str: ...
    @property
    def from_address(self) -> str | None: ...


def _valid(mid: object) -> str | None:
    text = str(mid or "").strip().strip("<>")
    return text if _MESSAGE_ID.fullmatch(text) else None


def thread_of(message: Inbound) -> dict[str, Any] | None:
    """What an answer needs to thread with `message` (stored in the outbox row's context), or None without a
    usable Message-ID."""
    mid = _valid(message.message_id)
    if mid is None:
        return None
    refs = [r for r in (_valid(x) for x in message.references[-(MAX_REFERENCES * 4):]) if r and r != mid]
    refs = list(dict.fromkeys(refs))[-(MAX_REFERENCES - 1):]
    subject = _CONTROL.sub(" ", str(message.subject or "")).strip()[:MAX_SUBJECT]
    return {"message_id": mid, "references": [*refs, mid], "subject": subject,
            "from": (message.from_address or "").lower()}


def reply_subject(subject: str) -> str:
    """ "Re: " and the subject without the reply prefixes mail programs add ("SV: VS: Re[2]: x" -> "Re: x")."""
    text = subject
    for _ in range(10):
        found = _PREFIX.match(text)
        if not found:
            break
        text = text[found.end():]
    return f"Re: {text.strip()}" if text.strip() else "Re:"


def apply(kind: str, subject: str, thread: Mapping[str, Any]) -> tuple[str, bytes]:
    """The subject (`Re: <theirs>`, or ours where it must stay) and the In-Reply-To and References lines."""
    mid = _valid(thread.get("message_id"))
    if mid is None:
        return subject, b""
    refs = [r for r in (_valid(x) for x in list(thread.get("references") or [])[-MAX_REFERENCES:]) if r] or [mid]
    folded = "\r\n ".join(f"<{r}>" for r in refs)  # one Message-ID per line: no line over 998 octets
    headers = f"In-Reply-To: <{mid}>\r\nReferences: {folded}\r\n".encode("ascii")
    if kind in OWN_SUBJECT:
        return subject, headers
    theirs = _CONTROL.sub(" ", str(thread.get("subject") or "")).strip()[:MAX_SUBJECT]
    return reply_subject(theirs or subject), headers


class Threaded:
    """Queues mail like the `enqueue` it wraps; while `answering(message)`, an answer of KINDS to that message's
    sender carries its thread in the context (`ctx.thread`, read by the composer)."""

    def __init__(self, enqueue: Callable[..., bool]) -> None:
        self._enqueue = enqueue
        self._thread: dict[str, Any] | None = None

    @contextmanager
    def answering(self, message: Inbound) -> Iterator[None]:
        self._thread = thread_of(message)
        try:
            yield
        finally:
            self._thread = None

    def __call__(self, *, kind: str, recipient: str, context: dict[str, Any] | None = None, **rest: Any) -> bool:
        thread = self._thread
        if thread and kind in KINDS and recipient.lower() == thread["from"]:
            context = {**(context or {}), "thread": {k: v for k, v in thread.items() if k != "from"}}
        return self._enqueue(kind=kind, recipient=recipient, context=context, **rest)
