"""IMAP connections whose sockets are known from the moment they exist, so a stopping daemon can shut down one
that hangs in the greeting, TLS or any command (imaplib hands over no socket until its constructor returns)."""

from __future__ import annotations

import imaplib
import socket
import ssl
import threading
from collections.abc import Callable

from imap_tools import BaseMailBox

from mailer.config import ImapSettings


class Sockets:
    """The sockets of an inbox's connections; `shutdown_all()` (any thread) ends the calls blocked on them."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: list[socket.socket] = []

    def add(self, sock: socket.socket) -> None:
        with self._lock:
            self._open = [s for s in self._open if s.fileno() != -1]
            self._open.append(sock)

    def shutdown_all(self) -> None:
        with self._lock:
            live = list(self._open)
        for sock in live:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:  # closed meanwhile
                pass


class _Client(imaplib.IMAP4):
    """imaplib's client, TLS from the first byte when given a context; each socket is tracked as it is made."""

    def __init__(self, host: str, port: int, timeout: float, sockets: Sockets,
                 tls: ssl.SSLContext | None) -> None:
        self._sockets, self._tls = sockets, tls
        super().__init__(host, port, timeout)

    def _create_socket(self, timeout: float | None = None) -> socket.socket:
        sock: socket.socket = super()._create_socket(timeout)  # type: ignore[misc]  # (not in typeshed)
        self._sockets.add(sock)
        if self._tls is None:
            return sock
        wrapped = self._tls.wrap_socket(sock, server_hostname=self.host, do_handshake_on_connect=False)
        self._sockets.add(wrapped)
        wrapped.do_handshake()
        return wrapped


class _Box(BaseMailBox):
    def __init__(self, client: _Client) -> None:
        self._client = client
        super().__init__()

    def _get_mailbox_client(self) -> imaplib.IMAP4:
        return self._client


def open_box(host: str, port: int, timeout: float, sockets: Sockets,
             tls: ssl.SSLContext | None = None) -> BaseMailBox:
    """A connected (not logged-in) mailbox; TLS from the start with `tls`, plain otherwise (then STARTTLS
    may follow: add the new `box.client.sock` to `sockets`)."""
    return _Box(_Client(host, port, timeout, sockets, tls))


def connect(s: ImapSettings, sockets: Sockets, context: ssl.SSLContext, key: str,
            error: Callable[[str], Exception]) -> BaseMailBox:
    """A connected mailbox with TLS as configured (`tls`, `starttls` that fails when refused, or `none`);
    never a silent downgrade. A refused STARTTLS or an unknown mode is raised as `error`."""
    if s.tls == "tls":
        return open_box(s.host, s.port, s.timeout_seconds, sockets, context)
    if s.tls == "starttls":  # MailBoxStartTls, but keeping the socket to close if STARTTLS fails
        box = open_box(s.host, s.port, s.timeout_seconds, sockets)
        try:
            box.client.starttls(ssl_context=context)
        except (imaplib.IMAP4.error, ssl.SSLError, OSError) as exc:
            drop(box)
            raise error(f"{key}: STARTTLS failed ({exc}); not falling back to an unencrypted connection") from exc
        sockets.add(box.client.sock)
        return box
    if s.tls == "none":
        return open_box(s.host, s.port, s.timeout_seconds, sockets)
    raise error(f"{key}: unknown tls mode {s.tls!r}")


def drop(box: BaseMailBox | None) -> None:
    """Log out, or failing that shut the connection; never raises."""
    if box is None:
        return
    try:
        box.logout()
    except Exception:
        try:
            box.client.shutdown()
        except Exception:  # already gone
            pass
