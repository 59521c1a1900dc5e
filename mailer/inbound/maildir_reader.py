"""The Maildir reader: new/ and cur/ read oldest first, each file's size checked before it is read, moved into
the Maildir++ folders `.processed` and `.quarantine` (owner-only) after its effect committed."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path

from mailer.inbound import intake
from mailer.inbound.inbox import (
    PRIVATE_DIR_MODE,
    PRIVATE_FILE_MODE,
    Handler,
    InboundMessage,
    InboxReport,
    folder_for,
    message_id_of,
    settle,
    tighten,
    utcnow,
)
from mailer.state.store import Store

log = logging.getLogger("mailer.inbox")

class MaildirInbox:
    """A Maildir's new/ and cur/ read the same way; messages move into its Maildir++ folders `.processed`
    and `.quarantine` (a rename on the same file system, so a message is never in two places or none)."""

    def __init__(self, path: Path | str, store: Store, *, clock: Callable[[], datetime] = utcnow,
                 poll_interval: float = 2.0, max_bytes: int | None = None) -> None:
        self.path = Path(path)
        self.store = store
        self.clock = clock
        self.poll_interval = poll_interval
        #: Larger messages are quarantined unread (mail.max_message_bytes); None: no limit.
        self.max_bytes = max_bytes
        self._seen: set[str] = set()
        self._interrupted = threading.Event()
        self._tightened = False

    def _ensure(self) -> None:
        for sub in ("cur", "new", "tmp"):  # created owner-only; an existing one may be shared with the MDA
            (self.path / sub).mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
        for folder in (".processed", ".quarantine"):  # members' mail, kept: owner-only, tightened if looser
            for sub in ("", "cur", "new", "tmp"):
                (self.path / folder / sub).mkdir(mode=PRIVATE_DIR_MODE, parents=True, exist_ok=True)
                tighten(self.path / folder / sub, PRIVATE_DIR_MODE)
            marker = self.path / folder / "maildirfolder"
            os.close(os.open(marker, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE_MODE))
        if not self._tightened:  # once per run: mail kept by an older version may still be world-readable
            self._tightened = True
            for folder in (".processed", ".quarantine"):
                for sub in ("cur", "new"):
                    with os.scandir(self.path / folder / sub) as entries:
                        for entry in entries:
                            if entry.is_file(follow_symlinks=False):
                                tighten(Path(entry.path), PRIVATE_FILE_MODE)

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
        tighten(target, PRIVATE_FILE_MODE)

    def _move(self, path: Path, status: str, report: InboxReport) -> None:
        folder = ".quarantine" if folder_for(status) == "quarantine" else ".processed"
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
            status = settle(self.store, handler, msg, now, report, size)
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
