"""What both mailbox readers do with one message: the size limit, the 'handling' record made before parsing,
the retry-once rule for interrupted handling, and a parser failure turned into a quarantine reason."""

# A message's life in `inbound`: met -> 'handling' (committed before it is parsed) -> processed, ignored or
# quarantined (committed with its effect). Met again still 'handling', the daemon died while reading it (kill
# -9, the OOM killer, a power cut). The first such interruption is forgiven, since a crash of the daemon
# while reading a good reply should not lose that reply: it is handled once more. A second one means the
# message itself is the likely cause, so it is quarantined without being parsed again ("poison", like
# Mailman's `bad` queue). A parser that overruns the deadline or crashes quarantines the message at once.

from __future__ import annotations

import logging
from datetime import datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from email.utils import parseaddr
from typing import TYPE_CHECKING, Any

from mailer.state.store import Store

if TYPE_CHECKING:
    from mailer.inbound.inbox import InboxReport

log = logging.getLogger("mailer.inbox")

#: Handling interrupted this many times quarantines a message instead of parsing it again.
INTERRUPTED_LIMIT = 2
INTERRUPTED_REASON = "handling was interrupted twice: the daemon stopped while reading it"
#: The category of a message quarantined because reading it hung, crashed or killed the daemon: an exact
#: copy of it (same bytes) met later, under another source, is quarantined unread as well.
POISON = "poison"
TOO_BIG = "too-big"
#: How much of an unread (oversized) message is read for the digest's From and Subject.
HEAD_BYTES = 64 * 1024
_FIELD_CHARS = 500


def _megabytes(n: int) -> str:
    """23.4 MB, 10 MB, 0.05 MB: one decimal, none when whole, more for tiny limits."""
    value = n / 1_000_000
    if value == int(value):
        return f"{int(value)} MB"
    return f"{value:.1f} MB" if value >= 0.1 else f"{value:.3g} MB"


def size_reason(size: int, limit: int | None) -> str | None:
    """Why a message of `size` bytes is not read ("message is 23.4 MB, over ... (10 MB)"), or None if it fits."""
    if limit is None or size <= limit:
        return None
    return f"message is {_megabytes(size)}, over mail.max_message_bytes ({_megabytes(limit)})"


def head_summary(head: bytes) -> dict[str, Any]:
    """From address and Subject read from a bounded start of a message, for the coordinators' digest only
    (never to decide who sent it); each field capped, so a hostile header costs little."""
    try:
        headers = BytesHeaderParser(policy=compat32).parsebytes(head[:HEAD_BYTES])
        sender = str(headers.get("From") or "")[:_FIELD_CHARS]
        subject = str(headers.get("Subject") or "")[:_FIELD_CHARS]
    except Exception:  # a header block the stdlib cannot read: the digest shows "?"
        return {}
    try:
        from email.header import decode_header, make_header

        subject = str(make_header(decode_header(subject)))[:_FIELD_CHARS]
    except Exception:  # undecodable encoded-words: keep the raw text
        pass
    address = parseaddr(sender)[1]
    return {"from_address": address or None, "subject": " ".join(subject.split())}


def quarantine_unread(store: Store, source: str, *, now: datetime, reason: str, head: bytes,
                      message_id: str | None, size: int | None, report: InboxReport,
                      category: str = POISON, digest: str | None = None) -> str:
    """Record a message as quarantined without parsing it (too big, interrupted twice, a poison copy)."""
    store.record_inbound(source, status="quarantined", now=now, message_id=message_id, reason=reason,
                         summary=head_summary(head), size=size, category=category, digest=digest)
    log.warning("quarantined %s (%s) unread: %s", source, message_id, reason)
    report.quarantined += 1
    return "quarantined"


def retry_or_reason(store: Store, source: str) -> str | None:
    """For a message found still 'handling': None to handle it once more, else why it is quarantined now."""
    row = store.inbound_by_source(source)
    if row is None or row.attempts < INTERRUPTED_LIMIT:
        log.warning("%s was being handled when the daemon stopped; handling it once more", source)
        return None
    return INTERRUPTED_REASON
