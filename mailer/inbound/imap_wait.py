"""Waiting for new mail on the IMAP session kept for it: a NOOP poll where asking often is cheap and IDLE is
slow (a Dovecot on loopback, or as configured), else IDLE (re-issued every 10 minutes)."""

from __future__ import annotations

import ipaddress
import threading
import time
from collections.abc import Callable

from imap_tools import BaseMailBox

from mailer.config import ImapSettings
from mailer.inbound.imap_protocol import check

#: RFC 2177: a client must re-issue IDLE within 29 minutes; we do it at least every 10.
IDLE_RENEW_SECONDS = 600.0
#: The NOOP poll's interval for a Dovecot on loopback. Dovecot tells a client in IDLE of new mail 500 ms
#: after the change (NOTIFY_DELAY_MSECS in its mailbox-watch.c, no setting); a NOOP is answered at once.
LOOPBACK_NOOP_SECONDS = 0.1


def is_loopback(host: str) -> bool:
    """`localhost` or a loopback address (127.0.0.0/8, ::1), read from the text alone (no DNS look-up)."""
    name = host.strip().strip("[]").rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def noop_interval(settings: ImapSettings, greeting: bytes | None) -> float:
    """Seconds between NOOPs while waiting (0: wait in IDLE): the configured `noop_seconds`, else 0.1 for a
    Dovecot (by its greeting) on loopback, else 0. A hosted server (Gmail, Outlook) or a local gateway to one
    (DavMail, a tunnel) is never polled fast unless the admin asks for it."""
    if settings.noop_seconds is not None:
        return settings.noop_seconds
    dovecot = b"dovecot" in (greeting or b"").lower()
    return LOOPBACK_NOOP_SECONDS if dovecot and is_loopback(settings.host) else 0.0


def announced(box: BaseMailBox) -> bool:
    """One NOOP: whether the server announced messages (EXISTS, RECENT) since the untagged answers were last
    cleared; they are cleared (they pile up on a long-lived connection)."""
    check(box.client.noop(), "NOOP")
    untagged = box.client.untagged_responses
    found = "EXISTS" in untagged or "RECENT" in untagged
    untagged.clear()
    return found


def poll(box: BaseMailBox, every_s: float, deadline: float, interrupted: threading.Event,
         confirm: Callable[[], bool]) -> bool:
    """A NOOP every `every_s` until the server announces mail that `confirm()` finds new (True), or the
    deadline (time.monotonic) passes or `interrupted` is set (False)."""
    while not interrupted.wait(max(0.0, min(every_s, deadline - time.monotonic()))):
        if announced(box) and confirm():
            return True
        if time.monotonic() >= deadline:
            return False
    return False


def idle(box: BaseMailBox, deadline: float, interrupted: threading.Event) -> bool:
    """Wait in IDLE until the server announces mail (True), the deadline passes or `interrupted` is set."""
    while not interrupted.is_set():
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        lines = box.idle.wait(timeout=min(remaining, IDLE_RENEW_SECONDS))
        if any(b"EXISTS" in line or b"RECENT" in line for line in lines):
            return True
    return False
