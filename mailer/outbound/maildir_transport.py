"""Deliver sent mail into a Maildir folder, one file per message, named after its Message-ID."""

from __future__ import annotations

import asyncio
import itertools
import mailbox
import os
import re
import socket
import time
from pathlib import Path

from mailer.errors import TransportError, TransportSetupError

_MESSAGE_ID = re.compile(rb"^message-id:[ \t]*(.*(?:\r?\n[ \t].*)*)", re.IGNORECASE | re.MULTILINE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._@+=-]")
_counter = itertools.count()


def _header_block(data: bytes) -> bytes:
    for sep in (b"\r\n\r\n", b"\n\n"):
        i = data.find(sep)
        if i >= 0:
            return data[:i + len(sep) // 2]
    return data


def message_id_of(data: bytes) -> str | None:
    """The Message-ID header's value without angle brackets, or None."""
    m = _MESSAGE_ID.search(_header_block(data))
    if not m:
        return None
    value = re.sub(rb"\s+", b"", m.group(1)).decode("ascii", "replace").strip("<>")
    return value or None


def file_name_for(data: bytes) -> str:
    """The file's name in the Maildir: the Message-ID made safe for a file name (no '/' nor ':').

    A retry of the same outbox row carries the same Message-ID, so it replaces the earlier file rather
    than adding a second copy. Without a Message-ID the name is the usual unique `time.Ppid_Qn.host`.
    """
    mid = message_id_of(data)
    if mid:
        return _UNSAFE.sub("_", mid)[:200]
    host = socket.gethostname().replace("/", r"\057").replace(":", r"\072")
    return f"{int(time.time())}.P{os.getpid()}Q{next(_counter)}.{host}"


class MaildirTransport:
    """Writes each message to `path` as a Maildir: written in tmp/, synced, then renamed into new/.

    Return-Path and Delivered-To carry the envelope, as a mail server's delivery agent would add them.
    """

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self._closed = False
        self._ready = False

    def _deliver(self, sender: str, recipient: str, data: bytes) -> Path:
        if not self._ready:
            mailbox.Maildir(self.path, create=True)  # creates cur/, new/, tmp/
            self._ready = True
        eol = b"\r\n" if b"\r\n" in data[:2000] else b"\n"
        envelope = (f"Return-Path: <{sender}>".encode() + eol + f"Delivered-To: {recipient}".encode() + eol)
        name = file_name_for(data)
        tmp = self.path / "tmp" / f"{name}.{os.getpid()}.{next(_counter)}"
        final = self.path / "new" / name
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(envelope)
                f.write(data)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return final

    async def send(self, sender: str, recipient: str, data: bytes) -> None:
        if self._closed:
            raise TransportError("the Maildir transport is closed")
        try:
            await asyncio.to_thread(self._deliver, sender, recipient, data)
        except OSError as exc:
            # the folder, not the message, is the problem (permissions, disk full): stop the drain without
            # charging the message an attempt, so nothing is given up while the admin fixes it
            raise TransportSetupError(f"cannot write to the Maildir {self.path}: {exc}") from None

    async def aclose(self) -> None:
        self._closed = True
