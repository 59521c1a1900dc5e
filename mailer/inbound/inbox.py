"""Reads inbound mail (IMAP: imap_reader, a Maildir: maildir_reader) and hands each message's exact bytes to
a handler; what both readers share. A message moves only after its effect has committed; nothing is deleted."""

# The order for each message: the handler applies and commits its effect -> the `inbound` row is recorded
# (the handler may record it in its own transaction with `Store.record_inbound(msg.source, ...)`; otherwise
# the inbox does it right after the handler returns) -> the message is moved. A run that dies between the
# commit and the move finds the message's source (or, after a UIDVALIDITY reset, its Message-ID) in
# `inbound` next time and only moves it: nothing is applied twice. A message whose Message-ID (or, without
# one, whose bytes) were already processed is moved to the processed folder without calling the handler.
# A quarantined message is not an applied one: moved back into the inbox, it is handled again.
#
# Before that order begins, a message over `max_bytes` (IMAP: its RFC822.SIZE, asked before the body) is
# quarantined unread, and every other one is recorded as 'handling' in its own committed transaction, so a
# message that hangs the parser or kills the daemon ends in quarantine instead of a loop (mailer/inbound/intake.py).

from __future__ import annotations

import enum
import hashlib
import logging
import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any, Protocol

from mailer.errors import TraffpunktError
from mailer.inbound import intake
from mailer.inbound.parse_worker import ParseFailure, ParserUnavailable
from mailer.state.store import Store

__all__ = ["Handler", "InboundMessage", "Inbox", "InboxError", "InboxReport", "Outcome", "message_id_of"]

log = logging.getLogger("mailer.inbox")

#: Processed and quarantined mail is members' mail: owner-only folders and files.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class InboxError(TraffpunktError, ConnectionError):
    """The inbox cannot be read now (connection, TLS, login, timeout, a refused command): try again later."""

    #: What the run did before it broke off (a connection cut after some messages were applied), if known.
    report: InboxReport | None = None


class Outcome(enum.Enum):
    """What the handler made of a message; decides the folder it moves to."""

    PROCESSED = "processed"
    QUARANTINED = "quarantined"
    IGNORED = "ignored"


@dataclass(frozen=True)
class InboundMessage:
    """One message as read: a stable identity, its exact bytes and its Message-ID (with angle brackets)."""

    source: str
    raw: bytes
    message_id: str | None


#: Applies a message and commits its effect; returns (outcome, reason). An exception quarantines it.
Handler = Callable[[InboundMessage], tuple[Outcome, str | None]]


@dataclass
class InboxReport:
    """What one run did."""

    processed: int = 0
    quarantined: int = 0
    ignored: int = 0
    #: Already applied (same source or Message-ID): moved on without calling the handler.
    already_handled: int = 0
    #: Handled but not moved (the server refused); retried on the next run without handling again.
    move_failed: int = 0
    #: Not looked at because of `limit`; the next run takes them.
    left: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.processed + self.quarantined + self.ignored

    def counts(self) -> dict[str, int]:
        """The non-zero counters, for a one-line summary."""
        values = {"processed": self.processed, "quarantined": self.quarantined, "ignored": self.ignored,
                  "already-handled": self.already_handled, "move-failed": self.move_failed, "left": self.left}
        return {k: v for k, v in values.items() if v}


class Inbox(Protocol):
    def fetch_and_handle(self, handler: Handler, *, limit: int | None = None,
                         now: datetime | None = None) -> InboxReport: ...

    def wait_for_mail(self, timeout_s: float) -> bool: ...

    def interrupt(self) -> None: ...

    def close(self) -> None: ...


def utcnow() -> datetime:
    return datetime.now(UTC)


_MESSAGE_ID = re.compile(r"<[^<>\s]+>")


#: Only this much of a message is read for its Message-ID, whatever its size.
HEADER_SCAN_BYTES = 256 * 1024


def message_id_of(raw: bytes) -> str | None:
    """The Message-ID as `<local@domain>` (or its stripped text when it has no brackets); None if absent."""
    try:
        value = BytesHeaderParser(policy=compat32).parsebytes(raw[:HEADER_SCAN_BYTES]).get("Message-ID")
    except Exception:  # a header block so broken the stdlib gives up: treat as having no Message-ID
        return None
    if value is None:
        return None
    text = str(value).strip()
    found = _MESSAGE_ID.search(text)
    return found.group(0) if found else (text or None)


def tighten(path: Path, mode: int) -> None:
    """Give a folder or file traffpunkt keeps `mode` when it is looser; best effort (it may not be ours)."""
    try:
        if path.stat().st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
    except OSError:
        pass


def folder_for(status: str) -> str:
    return "quarantine" if status == Outcome.QUARANTINED.value else "processed"


def settle(store: Store, handler: Handler, msg: InboundMessage, now: datetime, report: InboxReport,
           size: int | None = None) -> str:
    """Handle one message not applied under this source (for either reader); returns the inbound status
    that decides its folder.

    It is recorded as 'handling' (committed) before the handler parses it: see mailer/inbound/intake.py."""
    digest = hashlib.sha256(msg.raw).hexdigest()
    earlier = store.inbound_applied(msg.message_id, None if msg.message_id else digest)
    if earlier is not None:
        store.record_inbound(msg.source, status=earlier.status, now=now, message_id=msg.message_id,
                             digest=digest, reason=f"already handled as {earlier.source}")
        report.already_handled += 1
        return earlier.status
    poisoned = store.inbound_poisoned(digest)
    if poisoned is not None:  # the very same bytes hung or crashed the parser before: not again
        return intake.quarantine_unread(store, msg.source, now=now, head=msg.raw[:intake.HEAD_BYTES],
                                        reason=f"{poisoned.reason} (the same message as {poisoned.source})",
                                        message_id=msg.message_id, size=size, report=report, digest=digest)
    store.begin_inbound(msg.source, now=now, message_id=msg.message_id, digest=digest,
                        size=len(msg.raw) if size is None else size)
    summary: dict[str, Any] | None = None
    category: str | None = None
    try:
        outcome, reason = handler(msg)
        outcome = Outcome(outcome)
    except ParserUnavailable as exc:  # not the message's fault: this attempt does not count; try next run
        store.abandon_inbound(msg.source)
        raise InboxError(f"cannot read mail now: {exc}") from exc
    except ParseFailure as exc:  # overran the deadline or crashed the parser: quarantined, never parsed again
        outcome, reason, summary = Outcome.QUARANTINED, str(exc), intake.head_summary(msg.raw[:intake.HEAD_BYTES])
        category = intake.POISON
    except Exception as exc:  # one bad message must not stop the others
        log.exception("handling %s (%s) failed; quarantined", msg.source, msg.message_id)
        outcome, reason = Outcome.QUARANTINED, f"{type(exc).__name__}: {exc}"
        summary = intake.head_summary(msg.raw[:intake.HEAD_BYTES])
    store.record_inbound(msg.source, status=outcome.value, now=now, message_id=msg.message_id, digest=digest,
                         reason=reason, summary=summary, category=category)
    if outcome is Outcome.QUARANTINED:
        log.warning("quarantined %s (%s): %s", msg.source, msg.message_id, reason)
        report.quarantined += 1
    elif outcome is Outcome.IGNORED:
        report.ignored += 1
    else:
        report.processed += 1
    return outcome.value
