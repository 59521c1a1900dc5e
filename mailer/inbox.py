"""Reads inbound mail (IMAP or a Maildir) and hands each message's exact bytes to a handler; a message moves
to the processed or quarantine folder only after its effect has committed, and nothing is ever deleted.

The order for each message: the handler applies and commits its effect -> the `inbound` row is recorded
(the handler may record it in its own transaction with `Store.record_inbound(msg.source, ...)`; otherwise
the inbox does it right after the handler returns) -> the message is moved. A run that dies between the
commit and the move finds the message's source (or, after a UIDVALIDITY reset, its Message-ID) in
`inbound` next time and only moves it: nothing is applied twice. A message whose Message-ID (or, without
one, whose bytes) were already processed is moved to the processed folder without calling the handler.
A quarantined message is not an applied one: moved back into the inbox, it is handled again.

Before that order begins, a message over `max_bytes` (IMAP: its RFC822.SIZE, asked before the body) is
quarantined unread, and every other one is recorded as 'handling' in its own committed transaction, so a
message that hangs the parser or kills the daemon ends in quarantine instead of a loop (mailer/intake.py).
"""

from __future__ import annotations

import enum
import hashlib
import imaplib
import logging
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.parser import BytesHeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any, Protocol

from imap_tools import BaseMailBox, MailBox, MailBoxUnencrypted
from imap_tools.errors import ImapToolsError
from imap_tools.utils import encode_folder

from mailer import intake
from mailer.config import ImapSettings
from mailer.errors import TraffpunktError
from mailer.parse_worker import ParseFailure, ParserUnavailable
from mailer.store import Store

log = logging.getLogger(__name__)

#: RFC 2177: a client must re-issue IDLE within 29 minutes; we do it at least every 10.
IDLE_RENEW_SECONDS = 600.0
FETCH_BATCH = 20
#: A body fetch asks for at most this many bytes of mail at once (one message may be larger, up to the limit).
FETCH_BATCH_BYTES = 32_000_000
#: Processed and quarantined mail is members' mail: owner-only folders and files.
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


class InboxError(TraffpunktError, ConnectionError):
    """The inbox cannot be read now (connection, TLS, login, timeout, a refused command): try again later."""


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


def _utcnow() -> datetime:
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


def _tighten(path: Path, mode: int) -> None:
    """Give a folder or file traffpunkt keeps `mode` when it is looser; best effort (it may not be ours)."""
    try:
        if path.stat().st_mode & 0o777 & ~mode:
            os.chmod(path, mode)
    except OSError:
        pass


def _folder_for(status: str) -> str:
    return "quarantine" if status == Outcome.QUARANTINED.value else "processed"


def _settle(store: Store, handler: Handler, msg: InboundMessage, now: datetime, report: InboxReport,
            size: int | None = None) -> str:
    """Handle one message not applied under this source; returns the inbound status that decides its folder.

    It is recorded as 'handling' (committed) before the handler parses it: see mailer/intake.py."""
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


# -- IMAP -------------------------------------------------------------------------------------------

_UID = re.compile(rb"\bUID (\d+)")
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)")
_LIST_DELIM = re.compile(r'\([^)]*\) (?:"(.)"|NIL)')


def _parse_fetch(data: Iterable[Any]) -> dict[int, bytes]:
    """{uid: raw bytes} from a `UID FETCH ... (UID BODY.PEEK[])` answer, whichever order the items come in."""
    found: dict[int, bytes] = {}
    orphan: bytes | None = None
    for item in data:
        if isinstance(item, tuple) and len(item) >= 2:
            head, body = item[0], item[1]
            match = _UID.search(head)
            if match:
                found[int(match.group(1))] = body
                orphan = None
            else:
                orphan = body
        elif isinstance(item, bytes) and orphan is not None:
            match = _UID.search(item)
            if match:
                found[int(match.group(1))] = orphan
            orphan = None
    return found


def _check(result: tuple[str, Any], what: str) -> Any:
    typ, data = result
    if typ != "OK":
        detail = b" ".join(d for d in data if isinstance(d, bytes)).decode(errors="replace") if data else ""
        raise imaplib.IMAP4.error(f"{what}: {typ} {detail}".strip())
    return data


_CONNECTION_ERRORS = (ImapToolsError, imaplib.IMAP4.error, OSError, ssl.SSLError)


class ImapInbox:
    """An IMAP folder read with imap-tools; the processed and quarantine folders are created when missing.

    Folder names in the config use "/" between levels; they are translated to the server's delimiter.
    Every network call has the configured timeout. TLS is as configured: `tls`, `starttls` (fails if the
    server does not offer it) or `none`; never a silent downgrade.
    """

    def __init__(self, settings: ImapSettings, password: str | None, store: Store, *,
                 clock: Callable[[], datetime] = _utcnow, ssl_context: ssl.SSLContext | None = None,
                 batch: int = FETCH_BATCH, max_bytes: int | None = None) -> None:
        self.settings = settings
        self.password = password
        self.store = store
        self.clock = clock
        self.ssl_context = ssl_context
        self.batch = max(1, batch)
        #: Larger messages (by RFC822.SIZE, asked before the body) are quarantined unread; None: no limit.
        self.max_bytes = max_bytes
        self.mailbox_key = f"imap:{settings.username}@{settings.host}:{settings.port}/{settings.folder}"
        self._caps: frozenset[str] = frozenset()
        self._delim = "/"
        # What the last fetch saw (UIDVALIDITY, highest UID looked at): wait_for_mail compares against it.
        self._seen: tuple[int, int] | None = None
        self._idle_box: BaseMailBox | None = None
        self._idle_validity = 0
        self._idle_lock = threading.Lock()
        self._interrupted = threading.Event()

    # -- connection --------------------------------------------------------------------------------

    def _connect(self) -> BaseMailBox:
        s = self.settings
        if not s.username:
            raise InboxError(f"{self.mailbox_key}: mail.imap.username is not set")
        box: BaseMailBox | None = None
        try:
            context = self.ssl_context or ssl.create_default_context()
            if s.tls == "tls":
                box = MailBox(s.host, s.port, timeout=s.timeout_seconds, ssl_context=context)
            elif s.tls == "starttls":  # MailBoxStartTls, but keeping the socket to close if STARTTLS fails
                box = MailBoxUnencrypted(s.host, s.port, timeout=s.timeout_seconds)
                try:
                    box.client.starttls(ssl_context=context)
                except (imaplib.IMAP4.error, ssl.SSLError, OSError) as exc:
                    raise InboxError(f"{self.mailbox_key}: STARTTLS failed ({exc}); "
                                     "not falling back to an unencrypted connection") from exc
            elif s.tls == "none":
                box = MailBoxUnencrypted(s.host, s.port, timeout=s.timeout_seconds)
            else:
                raise InboxError(f"{self.mailbox_key}: unknown tls mode {s.tls!r}")
            box.login(s.username, self.password or "", initial_folder=None)
            # imaplib keeps the pre-login CAPABILITY; servers (Dovecot) announce MOVE, UIDPLUS... only after.
            caps = b" ".join(c for c in _check(box.client.capability(), "CAPABILITY") if isinstance(c, bytes))
            self._caps = frozenset(caps.decode().upper().split())
            delim = box.folder.list("", "")
            self._delim = delim[0].delim if delim and delim[0].delim not in ("", "NIL") else "/"
            return box
        except InboxError:
            self._drop(box)
            raise
        except _CONNECTION_ERRORS as exc:
            self._drop(box)
            raise InboxError(f"{self.mailbox_key}: {type(exc).__name__}: {exc}") from exc

    @staticmethod
    def _drop(box: BaseMailBox | None) -> None:
        if box is None:
            return
        try:
            box.logout()
        except Exception:
            try:
                box.client.shutdown()
            except Exception:  # already gone
                pass

    def _server_name(self, folder: str) -> str:
        return folder.replace("/", self._delim) if self._delim != "/" else folder

    def _select(self, box: BaseMailBox, readonly: bool = False) -> int:
        """Select the inbox folder; returns its UIDVALIDITY."""
        box.folder.set(self._server_name(self.settings.folder), readonly=readonly)
        values: list[Any] = box.client.untagged_responses.get("UIDVALIDITY") or [b"0"]
        return int(values[-1])

    def _ensure_folders(self, box: BaseMailBox) -> None:
        for folder in (self.settings.processed_folder, self.settings.quarantine_folder):
            name = self._server_name(folder)
            if not box.folder.exists(name):
                log.info("creating IMAP folder %s", name)
                box.folder.create(name)
                try:
                    box.folder.subscribe(name, True)
                except ImapToolsError:  # subscribing is a courtesy to mail clients
                    pass

    # -- moving ------------------------------------------------------------------------------------

    def _move_uid(self, box: BaseMailBox, uid: int, folder: str) -> None:
        """Move one message: MOVE, else COPY + \\Deleted + UID EXPUNGE of that UID, else COPY + \\Deleted."""
        target = encode_folder(self._server_name(folder)).decode("ascii")
        client = box.client
        if "MOVE" in self._caps:
            _check(client.uid("MOVE", str(uid), target), f"UID MOVE {uid}")
            return
        _check(client.uid("COPY", str(uid), target), f"UID COPY {uid}")
        _check(client.uid("STORE", str(uid), "+FLAGS.SILENT", r"(\Deleted)"), f"UID STORE {uid}")
        if "UIDPLUS" in self._caps:
            _check(client.uid("EXPUNGE", str(uid)), f"UID EXPUNGE {uid}")
        # Without UIDPLUS a plain EXPUNGE would also remove what others flagged: leave it flagged instead
        # (the inbox reads UNDELETED messages only).

    def _move(self, box: BaseMailBox, uid: int, status: str, report: InboxReport) -> None:
        folder = self.settings.quarantine_folder if _folder_for(status) == "quarantine" \
            else self.settings.processed_folder
        try:
            self._move_uid(box, uid, folder)
        except imaplib.IMAP4.abort:
            raise
        except (ImapToolsError, imaplib.IMAP4.error) as exc:
            report.move_failed += 1
            report.errors.append(f"moving UID {uid} to {folder} failed: {exc}")
            log.warning("moving UID %s to %s failed (retried next run): %s", uid, folder, exc)

    # -- reading -----------------------------------------------------------------------------------

    def fetch_and_handle(self, handler: Handler, *, limit: int | None = None,
                         now: datetime | None = None) -> InboxReport:
        """Hand every unhandled message in the folder to `handler`, oldest first; move each on after."""
        now = now or self.clock()
        report = InboxReport()
        box = self._connect()
        try:
            self._ensure_folders(box)
            uidvalidity = self._select(box)
            cursor = self.store.inbound_cursor(self.mailbox_key)
            last_uid = 0
            if cursor is not None and cursor[0] != uidvalidity:
                log.warning("%s: UIDVALIDITY changed from %s to %s; Message-IDs keep mail from being "
                            "applied twice", self.mailbox_key, cursor[0], uidvalidity)
                self.store.log("inbox-uidvalidity-changed", now,
                               detail=f"{self.mailbox_key}: {cursor[0]} -> {uidvalidity}")
            elif cursor is not None:
                last_uid = cursor[1]
            uids = sorted(int(u) for u in box.uids("UNDELETED"))
            prefix = f"imap:{self.settings.folder}:{uidvalidity}:"
            known = self.store.inbound_statuses([f"{prefix}{uid}" for uid in uids])
            fresh: list[int] = []
            for uid in uids:
                status = known.get(f"{prefix}{uid}")
                if status is None:
                    fresh.append(uid)
                elif status == "handling":  # the daemon stopped while reading it
                    why = intake.retry_or_reason(self.store, f"{prefix}{uid}")
                    if why is None:
                        fresh.append(uid)
                    else:
                        self._quarantine_unread(box, uid, prefix, why, None, now, report)
                        last_uid = max(last_uid, uid)
                else:  # handled before, not moved (the run died or the move failed): move it now
                    report.already_handled += 1
                    self._move(box, uid, status, report)
                    last_uid = max(last_uid, uid)
            if limit is not None and len(fresh) > limit:
                report.left = len(fresh) - limit
                fresh = fresh[:limit]
            for start in range(0, len(fresh), self.batch):
                chunk = fresh[start:start + self.batch]
                sizes = self._sizes(box, chunk)
                for group in self._groups(chunk, sizes):
                    if len(group) == 1 and (why := intake.size_reason(sizes[group[0]], self.max_bytes)):
                        self._quarantine_unread(box, group[0], prefix, why, sizes[group[0]], now, report,
                                                intake.TOO_BIG)
                        last_uid = max(last_uid, group[0])
                        continue
                    data = _check(box.client.uid("FETCH", ",".join(map(str, group)), "(UID BODY.PEEK[])"),
                                  "UID FETCH")
                    raws = _parse_fetch(data)
                    del data
                    for uid in group:
                        raw = raws.pop(uid, None)
                        if raw is None:  # expunged by someone else meanwhile
                            continue
                        msg = InboundMessage(f"{prefix}{uid}", raw, message_id_of(raw))
                        status = _settle(self.store, handler, msg, now, report, sizes[uid])
                        del msg, raw
                        self._move(box, uid, status, report)
                        last_uid = max(last_uid, uid)
                self.store.set_inbound_cursor(self.mailbox_key, uidvalidity, last_uid, now)
            self.store.set_inbound_cursor(self.mailbox_key, uidvalidity, last_uid, now)
            self._seen = (uidvalidity, last_uid)
        except _CONNECTION_ERRORS as exc:
            raise InboxError(f"{self.mailbox_key}: {type(exc).__name__}: {exc}") from exc
        finally:
            self._drop(box)
        return report

    def _sizes(self, box: BaseMailBox, uids: list[int]) -> dict[int, int]:
        """{uid: RFC822.SIZE}, asked before any body is fetched; a UID missing was expunged meanwhile."""
        data = _check(box.client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)"), "UID FETCH")
        sizes: dict[int, int] = {}
        for item in data:
            line = item[0] if isinstance(item, tuple) else item
            if isinstance(line, bytes):
                uid, size = _UID.search(line), _SIZE.search(line)
                if uid and size:
                    sizes[int(uid.group(1))] = int(size.group(1))
        return sizes

    def _groups(self, uids: list[int], sizes: dict[int, int]) -> Iterable[list[int]]:
        """UIDs in order, in body fetches of at most FETCH_BATCH_BYTES; an oversized one alone."""
        group: list[int] = []
        total = 0
        for uid in uids:
            size = sizes.get(uid)
            if size is None:
                continue
            oversized = intake.size_reason(size, self.max_bytes) is not None
            if group and (oversized or total + size > FETCH_BATCH_BYTES):
                yield group
                group, total = [], 0
            if oversized:
                yield [uid]
                continue
            group.append(uid)
            total += size
        if group:
            yield group

    def _quarantine_unread(self, box: BaseMailBox, uid: int, prefix: str, reason: str, size: int | None,
                           now: datetime, report: InboxReport, category: str = intake.POISON) -> None:
        """Quarantine without downloading the body: only the first 64 KB of the header, for the digest."""
        data = _check(box.client.uid("FETCH", str(uid), f"(UID BODY.PEEK[HEADER]<0.{intake.HEAD_BYTES}>)"),
                      "UID FETCH")
        head = _parse_fetch(data).get(uid, b"")
        status = intake.quarantine_unread(self.store, f"{prefix}{uid}", now=now, reason=reason, head=head,
                                          message_id=message_id_of(head), size=size, report=report,
                                          category=category)
        self._move(box, uid, status, report)

    # -- waiting -----------------------------------------------------------------------------------

    @property
    def capabilities(self) -> frozenset[str]:
        """What the server announced after login (empty before the first connection)."""
        return self._caps

    def _has_new(self, box: BaseMailBox, uidvalidity: int) -> bool:
        _check(box.client.noop(), "NOOP")
        box.client.untagged_responses.clear()  # EXISTS/EXPUNGE/FETCH pile up on a long-lived connection
        seen = self._seen
        if seen is None or seen[0] != uidvalidity:
            return bool(box.uids("UNDELETED"))
        return any(int(u) > seen[1] for u in box.uids(f"UID {seen[1] + 1}:* UNDELETED"))

    def wait_for_mail(self, timeout_s: float) -> bool:
        """Block until new mail may be there (True) or `timeout_s` passed (False): IDLE when the server has
        it (re-issued at least every 10 minutes), else a poll at the end. `interrupt()` ends it early."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        if not self._idle_lock.acquire(timeout=max(0.0, timeout_s)):
            return False
        try:
            if self._idle_box is None:
                self._idle_box = self._connect()
                self._idle_validity = self._select(self._idle_box, readonly=True)
                self._seen_validity(self._idle_validity)
            box = self._idle_box
            if self._has_new(box, self._idle_validity):
                return True
            if not (self.settings.idle and "IDLE" in self._caps):
                self._interrupted.wait(max(0.0, deadline - time.monotonic()))
                return not self._interrupted.is_set() and self._has_new(box, self._idle_validity)
            while not self._interrupted.is_set():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                lines = box.idle.wait(timeout=min(remaining, IDLE_RENEW_SECONDS))
                if any(b"EXISTS" in line or b"RECENT" in line for line in lines):
                    return True
            return False
        except _CONNECTION_ERRORS as exc:
            self._drop(self._idle_box)
            self._idle_box = None
            if self._interrupted.is_set():
                return False
            raise InboxError(f"{self.mailbox_key}: waiting for mail: {type(exc).__name__}: {exc}") from exc
        finally:
            self._interrupted.clear()
            self._idle_lock.release()

    def _seen_validity(self, uidvalidity: int) -> None:
        if self._seen is None:
            cursor = self.store.inbound_cursor(self.mailbox_key)
            if cursor is not None and cursor[0] == uidvalidity:
                self._seen = cursor

    def interrupt(self) -> None:
        """End a wait_for_mail in another thread (it returns False)."""
        self._interrupted.set()
        box = self._idle_box
        if box is not None:
            try:
                box.client.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def close(self) -> None:
        self._drop(self._idle_box)
        self._idle_box = None


# -- Maildir ----------------------------------------------------------------------------------------


class MaildirInbox:
    """A Maildir's new/ and cur/ read the same way; messages move into its Maildir++ folders `.processed`
    and `.quarantine` (a rename on the same file system, so a message is never in two places or none)."""

    def __init__(self, path: Path | str, store: Store, *, clock: Callable[[], datetime] = _utcnow,
                 poll_interval: float = 2.0, max_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.store = store
        self.clock = clock
        self.poll_interval = poll_interval
        #: Larger messages are quarantined unread (mail.max_message_bytes); None: no limit.
        self.max_bytes = max_bytes
        self._seen: set[str] = set()
        self._interrupted = threading.Event()

    def _ensure(self) -> None:
        for sub in ("cur", "new", "tmp"):
            (self.path / sub).mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        for folder in (".processed", ".quarantine"):  # members' mail, kept: owner-only, tightened if looser
            for sub in ("", "cur", "new", "tmp"):
                (self.path / folder / sub).mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
                _tighten(self.path / folder / sub, PRIVATE_DIR_MODE)
            marker = self.path / folder / "maildirfolder"
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))

    def _pending(self) -> list[Path]:
        files: list[Path] = []
        for sub in ("new", "cur"):
            try:
                with os.scandir(self.path / sub) as entries:
                    files.extend(Path(e.path) for e in entries if not e.name.startswith(".") and e.is_file())
            except FileNotFoundError:
                continue

        def order(p: Path) -> tuple[float, str]:
            try:
                return (p.stat().st_mtime, p.name)
            except FileNotFoundError:
                return (0.0, p.name)

        return sorted(files, key=order)

    @staticmethod
    def _source(path: Path) -> str:
        return "maildir:" + path.name.split(":", 1)[0]

    def _move_file(self, path: Path, folder: str) -> None:
        name = path.name if ":" in path.name else path.name + ":2,"
        target = self.path / folder / "cur" / name
        n = 1
        while target.exists():  # never overwrite
            target = target.with_name(f"{name.split(':', 1)[0]}.{n}:{name.split(':', 1)[1]}")
            n += 1
        os.rename(path, target)
        _tighten(target, PRIVATE_FILE_MODE)

    def _move(self, path: Path, status: str, report: InboxReport) -> None:
        folder = ".quarantine" if _folder_for(status) == "quarantine" else ".processed"
        try:
            self._move_file(path, folder)
        except OSError as exc:
            report.move_failed += 1
            report.errors.append(f"moving {path.name} to {folder} failed: {exc}")
            log.warning("moving %s to %s failed (retried next run): %s", path, folder, exc)

    def fetch_and_handle(self, handler: Handler, *, limit: int | None = None,
                         now: datetime | None = None) -> InboxReport:
        now = now or self.clock()
        report = InboxReport()
        self._ensure()
        files = self._pending()
        self._seen = {p.name for p in files}
        known = self.store.inbound_statuses([self._source(p) for p in files])
        fresh: list[Path] = []
        for path in files:
            status = known.get(self._source(path))
            if status is None:
                fresh.append(path)
            elif status == "handling":  # the daemon stopped while reading it
                why = intake.retry_or_reason(self.store, self._source(path))
                if why is None:
                    fresh.append(path)
                else:
                    self._quarantine_unread(path, why, now, report)
            else:
                report.already_handled += 1
                self._move(path, status, report)
        if limit is not None and len(fresh) > limit:
            report.left = len(fresh) - limit
            fresh = fresh[:limit]
        for path in fresh:
            try:
                with open(path, "rb") as f:
                    size = os.fstat(f.fileno()).st_size
                    too_big = intake.size_reason(size, self.max_bytes)
                    raw = b"" if too_big else f.read() if self.max_bytes is None else f.read(self.max_bytes + 1)
                    if too_big is None and self.max_bytes is not None and len(raw) > self.max_bytes:
                        size = max(os.fstat(f.fileno()).st_size, len(raw))  # it grew after the stat
                        too_big, raw = intake.size_reason(size, self.max_bytes), b""
            except FileNotFoundError:  # taken by someone else meanwhile
                continue
            if too_big is not None:
                self._quarantine_unread(path, too_big, now, report, size, intake.TOO_BIG)
                continue
            msg = InboundMessage(self._source(path), raw, message_id_of(raw))
            status = _settle(self.store, handler, msg, now, report, size)
            self._move(path, status, report)
        return report

    def _quarantine_unread(self, path: Path, reason: str, now: datetime, report: InboxReport,
                           size: int | None = None, category: str = intake.POISON) -> None:
        """Quarantine without parsing: only the first 64 KB are read, for the digest's From and Subject."""
        try:
            with open(path, "rb") as f:
                head = f.read(intake.HEAD_BYTES)
        except FileNotFoundError:
            return
        status = intake.quarantine_unread(self.store, self._source(path), now=now, reason=reason, head=head,
                                          message_id=message_id_of(head), size=size, report=report,
                                          category=category)
        self._move(path, status, report)

    def wait_for_mail(self, timeout_s: float) -> bool:
        """Poll new/ and cur/ every `poll_interval` seconds for files the last fetch did not see."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        try:
            while True:
                if any(p.name not in self._seen for p in self._pending()):
                    return True
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._interrupted.wait(min(remaining, self.poll_interval)):
                    return False
        finally:
            self._interrupted.clear()

    def interrupt(self) -> None:
        self._interrupted.set()

    def close(self) -> None:
        pass
