"""A real aiosmtpd server on 127.0.0.1 (port 0) for tests: it records what it receives, and each test can
inject failures at MAIL, RCPT or DATA: an SMTP error reply, a dropped connection, or no answer at all. It
offers PIPELINING (as Postfix, Exim and the hosted servers do) unless told not to."""

from __future__ import annotations

import asyncio
import ssl
import subprocess
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP as AiosmtpdSMTP
from aiosmtpd.smtp import syntax

from mailer.config import SmtpSettings


class _Action:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: Close the connection without answering (after DATA: the server has the message, the client never hears).
DROP = _Action("DROP")
#: Never answer (until the server stops): the client's deadline must fire.
HANG = _Action("HANG")

#: What a hook returns: None to accept, an SMTP reply such as "451 4.3.0 Try later", DROP or HANG.
Reply = str | _Action | None


@dataclass(frozen=True)
class Delivery:
    """One message as the server received it."""

    sender: str
    recipient: str
    data: bytes
    peer: Any

    def message(self) -> EmailMessage:
        msg = BytesParser(policy=policy.default).parsebytes(self.data)
        assert isinstance(msg, EmailMessage)
        return msg


@dataclass
class SinkHandler:
    """aiosmtpd handler: `delivered` holds messages answered with 250; hooks inject failures."""

    on_mail: Callable[[str], Reply] | None = None
    on_rcpt: Callable[[str], Reply] | None = None
    on_data: Callable[[Delivery], Reply] | None = None
    #: Called at the DATA command itself, before the 354 (aiosmtpd has no hook there; SinkSMTP adds it).
    on_data_command: Callable[[], Reply] | None = None
    #: How long HANG waits (the server's stop cancels it sooner).
    hang_seconds: float = 30.0
    delivered: list[Delivery] = field(default_factory=list)
    #: Messages the server received but never answered (DROP or HANG after DATA).
    unanswered: list[Delivery] = field(default_factory=list)
    #: Peers (client host, port) that began a transaction: one per connection used.
    peers: list[Any] = field(default_factory=list)
    resets: int = 0
    #: The MAIL FROM parameters of each transaction (e.g. BODY=8BITMIME), in order.
    mail_options: list[list[str]] = field(default_factory=list)
    #: Offer PIPELINING (RFC 2920) in the EHLO reply (aiosmtpd reads pipelined commands either way).
    pipelining: bool = True
    #: For each transaction: had RCPT already arrived when MAIL was answered (the client pipelined)?
    pipelined: list[bool] = field(default_factory=list)
    #: Connections open now, and the most that were ever open at once.
    open_now: int = 0
    most_open: int = 0
    #: Each MAIL waits 50 ms until this many peers have begun a transaction: a test that needs a late sender
    #: (a worker process) to take part slows the early ones until it has come.
    slow_until_peers: int = 0
    #: Each message waits this long before it is answered (a slow server: a test that counts what a kill
    #: repeats sees one message at a time in flight on each connection).
    answer_seconds: float = 0.0

    async def handle_EHLO(self, server: Any, session: Any, envelope: Any, hostname: str,
                          responses: list[str]) -> list[str]:
        session.host_name = hostname  # aiosmtpd leaves this to a handler that has the hook
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def _act(self, server: Any, reply: Reply) -> str | None:
        if reply is DROP:
            server.transport.close()
            return "421 4.4.2 never seen: the connection is closed"
        if reply is HANG:
            await asyncio.sleep(self.hang_seconds)
            return "421 4.4.2 too late"
        assert reply is None or isinstance(reply, str)
        return reply

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if session.peer not in self.peers:
            self.peers.append(session.peer)
        self.mail_options.append([o for o in mail_options if not o.upper().startswith("SIZE=")])
        self.pipelined.append(b"RCPT TO:" in bytes(server._reader._buffer).upper())  # aiosmtpd's unread input
        if len(self.peers) < self.slow_until_peers:
            await asyncio.sleep(0.05)
        reply = await self._act(server, self.on_mail(address) if self.on_mail else None)
        if reply:
            return reply
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        return "250 OK"

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str,
                          rcpt_options: list[str]) -> str:
        reply = await self._act(server, self.on_rcpt(address) if self.on_rcpt else None)
        if reply:
            return reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_RSET(self, server: Any, session: Any, envelope: Any) -> str:
        self.resets += 1
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        assert len(envelope.rcpt_tos) == 1, "traffpunkt sends one recipient per transaction"
        delivery = Delivery(envelope.mail_from, envelope.rcpt_tos[0], bytes(envelope.original_content),
                            session.peer)
        action = self.on_data(delivery) if self.on_data else None
        if action is DROP or action is HANG:
            self.unanswered.append(delivery)
        if self.answer_seconds:
            await asyncio.sleep(self.answer_seconds)
        reply = await self._act(server, action)
        if reply:
            return reply
        self.delivered.append(delivery)
        return "250 OK queued"


class SinkSMTP(AiosmtpdSMTP):  # type: ignore[misc]
    """aiosmtpd's server with a hook at the DATA command (to refuse it, or drop the connection there), and
    a count of the connections open at once."""

    def connection_made(self, transport: Any) -> None:
        handler = self.event_handler
        handler.open_now += 1
        handler.most_open = max(handler.most_open, handler.open_now)
        super().connection_made(transport)

    def connection_lost(self, exc: Exception | None) -> None:
        self.event_handler.open_now -= 1
        super().connection_lost(exc)

    @syntax("DATA")
    async def smtp_DATA(self, arg: str) -> None:
        hook = getattr(self.event_handler, "on_data_command", None)
        reply = hook() if hook else None
        if reply is not None:
            reply = await self.event_handler._act(self, reply)
            if self.transport is not None and not self.transport.is_closing():
                await self.push(reply)
            return
        await super().smtp_DATA(arg)


class _PortZeroController(Controller):  # type: ignore[misc]
    """aiosmtpd's threaded Controller, bound to a free port the OS picks."""

    def factory(self) -> Any:
        return SinkSMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self) -> Any:
        async def bind() -> asyncio.AbstractServer:
            server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=0,
                                                   ssl=self.ssl_context)
            self.port = server.sockets[0].getsockname()[1]
            return server

        return bind()


@dataclass
class Server:
    host: str
    port: int
    handler: SinkHandler

    def settings(self, **overrides: Any) -> SmtpSettings:
        """SMTP settings pointing at this server: plain text, short deadline, no rate limit by default."""
        base = SmtpSettings(host=self.host, port=self.port, tls="none", username=None, password_env=None,
                            timeout_seconds=5.0, max_connections=1, messages_per_minute=0)
        return replace(base, **overrides)


@contextmanager
def smtp_server(handler: SinkHandler | None = None, **kwargs: Any) -> Iterator[Server]:
    """Run a server for the `with` block. kwargs go to aiosmtpd (tls_context, require_starttls, ssl_context,
    authenticator, auth_require_tls...)."""
    handler = handler or SinkHandler()
    controller = _PortZeroController(handler, hostname="127.0.0.1", server_hostname="sink.test",
                                     ready_timeout=10.0, **kwargs)
    controller.start()
    try:
        yield Server("127.0.0.1", controller.port, handler)
    finally:
        controller.stop()


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(self.cert, self.key)
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client context that trusts exactly this certificate (and checks the host name)."""
        return ssl.create_default_context(cafile=str(self.cert))


def self_signed(directory: Path) -> Certificate:
    """A throwaway certificate for 127.0.0.1 made with the openssl command-line tool."""
    cert, key = directory / "cert.pem", directory / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
         "-keyout", str(key), "-out", str(cert), "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1"],
        check=True, capture_output=True)
    return Certificate(cert, key)
