"""The IMAP reader: one folder read with imap-tools, each message's size asked before its body, moved to the
processed or quarantine folder after its effect committed; imap_wait.py's IDLE or NOOP poll to wait for mail."""

from __future__ import annotations

import imaplib
import logging
import socket
import ssl
import threading
import time
from collections.abc import Callable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from imap_tools import BaseMailBox
from imap_tools.errors import ImapToolsError
from imap_tools.utils import encode_folder

from mailer.config import ImapSettings
from mailer.inbound import imap_wait, intake
from mailer.inbound.imap_connect import Sockets, connect, drop
from mailer.inbound.imap_protocol import check as _check
from mailer.inbound.imap_protocol import parse_fetch as _parse_fetch
from mailer.inbound.imap_protocol import parse_sizes
from mailer.inbound.inbox import (
    Handler,
    InboundMessage,
    InboxError,
    InboxReport,
    folder_for,
    message_id_of,
    settle,
    utcnow,
)
from mailer.oauth.xoauth2 import imap_login
from mailer.state.store import Store

if TYPE_CHECKING:
    from mailer.oauth.source import TokenSource

log = logging.getLogger("mailer.inbox")

FETCH_BATCH = 20
#: A body fetch asks for at most this many bytes of mail at once (one message may be larger, up to the limit).
FETCH_BATCH_BYTES = 32_000_000

_CONNECTION_ERRORS = (ImapToolsError, imaplib.IMAP4.error, OSError, ssl.SSLError)
#: The connection itself is gone (closed by the server after a while, cut): a kept session logs in again.
_LINK_ERRORS = (imaplib.IMAP4.abort, OSError)


class ImapInbox:
    """An IMAP folder read with imap-tools; the processed and quarantine folders are created when missing.

    Folder names in the config use "/" between levels; they are translated to the server's delimiter.
    Every network call has the configured timeout. TLS is as configured: `tls`, `starttls` (fails if the
    server does not offer it) or `none`; never a silent downgrade.
    """

    def __init__(self, settings: ImapSettings, password: str | None, store: Store, *,
                 clock: Callable[[], datetime] = utcnow, ssl_context: ssl.SSLContext | None = None,
                 batch: int = FETCH_BATCH, max_bytes: int | None = None,
                 tokens: TokenSource | None = None) -> None:
        self.settings = settings
        self.password = password
        self.tokens = tokens  # for auth = "xoauth2"
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
        # The logged-in session fetches use, kept between them (a new login only when it is gone).
        self._session: BaseMailBox | None = None
        self._session_lock = threading.Lock()
        #: Logins made (the session's, IDLE's), for the log and the tests.
        self.logins = 0
        self._idle_validity = 0
        self._idle_lock = threading.Lock()
        self._interrupted = threading.Event()
        # Every connection's socket, from before its greeting: abort() shuts them down when the daemon stops.
        self._sockets = Sockets()
        self._aborted = threading.Event()

    # -- connection --------------------------------------------------------------------------------

    def _connect(self) -> BaseMailBox:
        s = self.settings
        if not s.username:
            raise InboxError(f"{self.mailbox_key}: mail.imap.username is not set")
        box: BaseMailBox | None = None
        try:
            box = connect(s, self._sockets, self.ssl_context or ssl.create_default_context(), self.mailbox_key,
                          InboxError)
            if s.auth == "xoauth2":
                imap_login(box, s, self.tokens, self.mailbox_key, InboxError)
            else:
                box.login(s.username, self.password or "", initial_folder=None)
            self.logins += 1
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
        drop(box)

    def _session_box(self) -> tuple[BaseMailBox, int]:
        """The kept session with the folder selected, and its UIDVALIDITY: the last fetch's while its
        connection answers, else a new login (whose processed and quarantine folders are made sure of)."""
        if self._session is not None:
            try:
                return self._session, self._select(self._session)
            except _LINK_ERRORS as exc:  # the server closed it meanwhile, or it was cut: log in again
                log.debug("%s: the kept IMAP session is gone (%s); logging in again", self.mailbox_key, exc)
                self._end_session()
        box = self._session = self._connect()
        self._ensure_folders(box)
        return box, self._select(box)

    def _end_session(self) -> None:
        box, self._session = self._session, None
        self._drop(box)

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
        folder = self.settings.quarantine_folder if folder_for(status) == "quarantine" \
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
        with self._session_lock:
            return self._fetch_and_handle(handler, limit, now)

    def _fetch_and_handle(self, handler: Handler, limit: int | None, now: datetime) -> InboxReport:
        report = InboxReport()
        if self._aborted.is_set():
            raise InboxError(f"{self.mailbox_key}: stopping")
        keep = False
        try:
            box, uidvalidity = self._session_box()
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
                        if self._aborted.is_set():  # the daemon is stopping: the rest waits for the next run
                            raise InboxError(f"{self.mailbox_key}: stopping")
                        raw = raws.pop(uid, None)
                        if raw is None:  # expunged by someone else meanwhile
                            continue
                        msg = InboundMessage(f"{prefix}{uid}", raw, message_id_of(raw))
                        status = settle(self.store, handler, msg, now, report, sizes[uid])
                        del msg, raw
                        self._move(box, uid, status, report)
                        last_uid = max(last_uid, uid)
                self.store.set_inbound_cursor(self.mailbox_key, uidvalidity, last_uid, now)
            self.store.set_inbound_cursor(self.mailbox_key, uidvalidity, last_uid, now)
            self._seen = (uidvalidity, last_uid)
            keep = not report.move_failed  # a folder may have gone: the next login makes sure of them
        except InboxError as exc:
            exc.report = report
            raise
        except _CONNECTION_ERRORS as exc:
            error = InboxError(f"{self.mailbox_key}: {type(exc).__name__}: {exc}")
            error.report = report  # what was read before the connection broke (those moves wait for next run)
            raise error from exc
        finally:
            if not keep:  # after any failure the next fetch starts from a new login, as a first one does
                self._end_session()
        return report

    def _sizes(self, box: BaseMailBox, uids: list[int]) -> dict[int, int]:
        """{uid: RFC822.SIZE}, asked before any body is fetched; a UID missing was expunged meanwhile."""
        return parse_sizes(_check(box.client.uid("FETCH", ",".join(map(str, uids)), "(UID RFC822.SIZE)"),
                                  "UID FETCH"))

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
        imap_wait.announced(box)
        return self._unseen(box, uidvalidity)

    def _unseen(self, box: BaseMailBox, uidvalidity: int) -> bool:
        seen = self._seen
        if seen is None or seen[0] != uidvalidity:
            return bool(box.uids("UNDELETED"))
        return any(int(u) > seen[1] for u in box.uids(f"UID {seen[1] + 1}:* UNDELETED"))

    def wait_for_mail(self, timeout_s: float) -> bool:
        """Block until new mail may be there (True) or `timeout_s` passed (False): a NOOP poll where it is cheap
        (imap_wait.noop_interval), else IDLE when the server has it, else a poll at the end. `interrupt()` ends it
        early."""
        deadline = time.monotonic() + max(0.0, timeout_s)
        if self._aborted.is_set() or not self._idle_lock.acquire(timeout=max(0.0, timeout_s)):
            return False
        try:
            if self._idle_box is None:
                self._idle_box = self._connect()
                self._idle_validity = self._select(self._idle_box, readonly=True)
                self._seen_validity(self._idle_validity)
            box = self._idle_box
            if self._has_new(box, self._idle_validity):
                return True
            if (every := imap_wait.noop_interval(self.settings, box.client.welcome)) > 0:
                return imap_wait.poll(box, every, deadline, self._interrupted,
                                      lambda: self._unseen(box, self._idle_validity))
            if not (self.settings.idle and "IDLE" in self._caps):
                self._interrupted.wait(max(0.0, deadline - time.monotonic()))
                return not self._interrupted.is_set() and self._has_new(box, self._idle_validity)
            return imap_wait.idle(box, deadline, self._interrupted)
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

    def abort(self) -> None:
        """For the daemon's shutdown: every connection is shut down, even one waiting for a server that does
        not answer (the message being applied finishes first; the rest waits for the next run), and no new
        fetch or wait starts."""
        self._aborted.set()
        self._interrupted.set()
        self._sockets.shutdown_all()

    def close(self) -> None:
        self._drop(self._idle_box)
        self._idle_box = None
        if self._session_lock.acquire(timeout=10):  # (a fetch still running ends with its own error)
            try:
                self._end_session()
            finally:
                self._session_lock.release()
