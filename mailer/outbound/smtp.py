"""Send over SMTP: connections set up by aiosmtplib and reused (the transactions: smtp_session), a deadline
per message, a rate limit, and errors sorted into temporary, permanent and setup failures."""

from __future__ import annotations

import asyncio
import dataclasses
import re
import socket
import ssl
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from aiosmtplib import (
    SMTP,
    SMTPAuthenticationError,
    SMTPConnectError,
    SMTPConnectTimeoutError,
    SMTPException,
    SMTPResponseException,
    SMTPServerDisconnected,
    SMTPTimeoutError,
)

from mailer.config import SmtpSettings
from mailer.errors import (
    DeadlineExceeded,
    PermanentFailure,
    ServerUnreachable,
    TemporaryFailure,
    TransportError,
    TransportSetupError,
)
from mailer.outbound.smtp_session import Dropped, Refused, SmtpSession, wire_data

if TYPE_CHECKING:
    from mailer.oauth.source import TokenSource

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

_NOT_PLAIN = re.compile(r"[\x00-\x20<>\x7f]")  # one character class: linear, no backtracking
_ENHANCED = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})\b")


class RateLimiter:
    """Spaces sends evenly so that no minute carries more than `per_minute` of them (clock injectable)."""

    def __init__(self, per_minute: int, clock: Clock = time.monotonic, sleep: Sleep = asyncio.sleep) -> None:
        self.interval = 60.0 / per_minute if per_minute > 0 else 0.0
        #: The share of the rate lent to a drain in another process (`SmtpTransport.lend`): this side waits
        #: longer between sends, so that both sides together keep the rate.
        self.lent = 0.0
        self._clock = clock
        self._sleep = sleep
        self._next: float | None = None

    async def acquire(self) -> None:
        """Wait for this send's slot; the slot is reserved before waiting, so concurrent callers queue up."""
        if self.interval <= 0:
            return
        now = self._clock()
        slot = now if self._next is None else max(now, self._next)
        self._next = slot + self.interval / (1.0 - self.lent)
        if slot > now:
            await self._sleep(slot - now)


def _plain(address: str) -> bool:
    """An address fit for MAIL FROM / RCPT TO: not empty, no control characters, spaces or brackets."""
    return bool(address) and _NOT_PLAIN.search(address) is None


def _enhanced(message: str) -> tuple[int, int, int] | None:
    m = _ENHANCED.match(message)
    return (int(m.group(1)), int(m.group(2)), int(m.group(3))) if m else None


def _is_relay_or_auth_refusal(code: int, message: str) -> bool:
    """A refusal that is about us (not logged in, relaying denied), not about the recipient's address."""
    text = message.lower()
    return code == 530 or "relay" in text or "authenticat" in text


#: Connections are lent to a drain in another process only where the rate limit cannot be felt (at least this
#: many messages a minute, or none): below it one process sends as fast as the limit allows.
LEND_FROM_PER_MINUTE = 60_000


@dataclass(frozen=True)
class Loan:
    """Connection slots (and their share of the rate) lent by a transport to a drain in another process:
    `settings` are what that drain's own transport uses; `take` waits for the slots (from then on this side
    sends over the rest), `give_back` ends the loan (whether taken or not)."""

    settings: SmtpSettings
    local_hostname: str | None
    take: Callable[[], Awaitable[None]]
    give_back: Callable[[], None]


class SmtpTransport:
    """Sends each message as its own SMTP transaction (one recipient) over a small pool of reused connections.

    - tls "starttls": STARTTLS is required; a server that does not offer it gets nothing (never a silent
      downgrade to plain text). "tls": TLS from the first byte. "none": plain text, as configured.
    - Every message has a deadline (`timeout_seconds`) covering MAIL, RCPT and DATA; a connection that
      missed it is closed, never reused in an unknown state.
    - At most `max_connections` connections, at most `messages_per_minute` messages a minute.
    - MAIL, RCPT and DATA in one write where the server offers PIPELINING; every reply means the same either way.
    """

    def __init__(
        self,
        settings: SmtpSettings,
        password: str | None,
        *,
        tls_context: ssl.SSLContext | None = None,
        local_hostname: str | None = None,
        limiter: RateLimiter | None = None,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        tokens: TokenSource | None = None,
    ) -> None:
        if settings.tls not in ("starttls", "tls", "none"):
            raise TransportSetupError(f"mail.smtp.tls: 'starttls', 'tls' or 'none', not {settings.tls!r}")
        self.settings = settings
        self._password = password
        #: Where XOAUTH2 logins (auth = "xoauth2") get their access token.
        self._tokens = tokens
        self._tls_context = tls_context
        self._local_hostname = local_hostname
        #: `limiter` is shared by the networks that send through one account (mailer/outbound/pool.py).
        self._limiter = limiter or RateLimiter(settings.messages_per_minute, clock, sleep)
        self._slots = asyncio.Semaphore(max(1, settings.max_connections))
        self._lending = False  # a loan of slots to a drain in another process is made (one at a time)
        self._idle: list[SmtpSession] = []
        self._closed = False
        #: How many connections this transport has opened (for logs and tests).
        self.connections_opened = 0

    @property
    def _where(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    # -- connections ---------------------------------------------------------------------------------

    async def _hostname(self) -> str:
        if self._local_hostname is None:
            self._local_hostname = await asyncio.to_thread(socket.getfqdn)
        return self._local_hostname

    async def _connect(self) -> SmtpSession:
        """A new connection, greeted, encrypted and logged in as configured, then handed to SmtpSession."""
        s = self.settings
        smtp = SMTP(hostname=s.host, port=s.port, timeout=s.timeout_seconds, use_tls=s.tls == "tls",
                    start_tls=False, tls_context=self._tls_context, local_hostname=await self._hostname())
        try:
            async with asyncio.timeout(s.timeout_seconds):
                await smtp.connect()
                await smtp.ehlo()
                if s.tls == "starttls":
                    if not smtp.supports_extension("starttls"):
                        raise TransportSetupError(
                            f"{self._where} does not offer STARTTLS, and mail.smtp.tls is 'starttls': "
                            "nothing was sent (refusing to send in plain text)")
                    await smtp.starttls()
                    if smtp.get_transport_info("sslcontext") is None:  # pragma: no cover - defensive
                        raise TransportSetupError(f"{self._where}: STARTTLS did not start TLS; nothing sent")
                    await smtp.ehlo()
                if s.auth == "xoauth2":
                    await self._xoauth2(smtp)
                elif s.username:
                    await smtp.login(s.username, self._password or "")
            session = SmtpSession(smtp)
        except TransportError:
            smtp.close()
            raise
        except (SMTPException, OSError) as exc:  # TimeoutError is an OSError
            smtp.close()
            raise self._connect_failure(exc) from None
        self.connections_opened += 1
        return session

    async def _xoauth2(self, smtp: SMTP) -> None:
        """AUTH XOAUTH2 with the current access token; once more with a refreshed one if it is refused."""
        from mailer.oauth import xoauth2

        await xoauth2.smtp_login(smtp, self.settings, self._tokens, self._where)

    def _connect_failure(self, exc: BaseException) -> TransportError:
        """What a failure while connecting, starting TLS or logging in means for sending."""
        s, where = self.settings, self._where
        if isinstance(exc, SMTPAuthenticationError):
            return TransportSetupError(f"{where} refused the login of {s.username!r}: "
                                       f"{exc.code} {exc.message}")
        if isinstance(exc, (TimeoutError, SMTPConnectTimeoutError)):
            return ServerUnreachable(f"{where} did not answer within {s.timeout_seconds:g} s "
                                     "while connecting")
        tls_error = exc if isinstance(exc, ssl.SSLError) else exc.__cause__
        if isinstance(tls_error, ssl.SSLError):
            return TransportSetupError(f"{where}: TLS failed ({tls_error}); nothing was sent")
        if isinstance(exc, SMTPResponseException):  # a refusing banner, EHLO or STARTTLS answer
            if 400 <= exc.code < 500:
                return ServerUnreachable(f"{where} is not accepting mail now: {exc.code} {exc.message}")
            return TransportSetupError(f"{where} refused the session: {exc.code} {exc.message}")
        if isinstance(exc, (SMTPConnectError, SMTPServerDisconnected, SMTPTimeoutError, OSError)):
            return ServerUnreachable(f"cannot connect to {where}: {exc}")
        return TransportSetupError(f"{where}: {exc}; nothing was sent")

    async def _checkin(self, session: SmtpSession) -> None:
        if self._closed or not session.usable:
            await self._quit(session)
        else:
            self._idle.append(session)

    async def _quit(self, session: SmtpSession) -> None:
        try:
            async with asyncio.timeout(min(self.settings.timeout_seconds, 5.0)):
                await session.quit()
        except TimeoutError:
            session.close()

    # -- lending to a drain in another process ---------------------------------------------------------

    def lend(self, connections: int) -> Loan | None:
        """Terms to lend `connections` of this transport's connection slots to a drain in another process
        (which opens its own), with their share of the rate; None where it cannot: XOAUTH2 logins (their
        tokens live here), a TLS context of our own, a rate limit below LEND_FROM_PER_MINUTE, too few slots,
        or a loan already made. Until `take` this side may use every slot; from then until `give_back`
        the lent ones are held here and idle connections beyond the rest are closed, so both processes
        together keep `max_connections` and the rate."""
        s, limiter = self.settings, self._limiter
        total = max(1, s.max_connections)
        per_minute = round(60.0 / limiter.interval) if limiter.interval > 0 else 0
        if (connections < 1 or connections >= total or self._closed or s.auth == "xoauth2" or self._lending
                or (self._tls_context is not None and s.tls != "none")
                or 0 < per_minute < LEND_FROM_PER_MINUTE):
            return None
        self._lending = True
        share = connections / total
        settings = dataclasses.replace(s, max_connections=connections,
                                       messages_per_minute=max(1, int(per_minute * share)) if per_minute else 0)
        taken, ended = 0, False

        async def take() -> None:
            nonlocal taken
            while taken < connections and not ended:
                await self._slots.acquire()
                taken += 1
            if ended:  # given back while waiting for the slots
                for _ in range(taken):
                    self._slots.release()
                taken = 0
                return
            limiter.lent = share if per_minute else 0.0
            while len(self._idle) > self._slots._value:  # (open = idle + in use <= the slots left here)
                await self._quit(self._idle.pop())

        def give_back() -> None:  # (once: a second call, or a take after it, does nothing)
            nonlocal taken, ended
            if ended:
                return
            ended = True
            limiter.lent = 0.0
            for _ in range(taken):
                self._slots.release()
            taken = 0
            self._lending = False

        return Loan(settings, self._local_hostname, take, give_back)

    # -- sending -------------------------------------------------------------------------------------

    async def send(self, sender: str, recipient: str, data: bytes) -> None:
        """Deliver one message to one recipient; return only after the server's 250 to DATA."""
        if self._closed:
            raise TransportError("the SMTP transport is closed")
        if not _plain(recipient):  # never let a CR, LF or NUL reach the SMTP dialogue
            raise PermanentFailure(f"not sent: {recipient!r} cannot be written in an SMTP command",
                                   address_failing=True)
        if not _plain(sender):
            raise TransportSetupError(f"the sender {sender!r} cannot be written in an SMTP command")
        await self._limiter.acquire()
        async with self._slots:
            session = self._idle.pop() if self._idle else None
            if session is not None and not session.usable:  # closed, or said something unasked (421)
                session.close()
                session = None
            reused = session is not None
            if session is None:
                session = await self._connect()
            try:
                try:
                    await self._transaction(session, sender, recipient, data, reused=reused)
                except _StaleConnection:
                    # The server had closed our idle connection before MAIL: nothing was sent; once afresh.
                    session.close()
                    session = await self._connect()
                    await self._transaction(session, sender, recipient, data, reused=False)
            except TransportError:
                await self._after_failure(session)
                raise
            except BaseException:  # cancelled mid-transaction: the connection's state is unknown
                session.close()
                raise
            await self._checkin(session)

    async def _after_failure(self, session: SmtpSession) -> None:
        """After a refused transaction: reset the envelope (RSET) and keep the connection, or drop it."""
        if not session.usable:
            session.close()
            return
        try:
            async with asyncio.timeout(min(self.settings.timeout_seconds, 5.0)):
                reset = await session.rset()
        except TimeoutError:
            reset = False
        if not reset:
            session.close()
            return
        await self._checkin(session)

    async def _transaction(self, session: SmtpSession, sender: str, recipient: str, data: bytes, *,
                           reused: bool) -> None:
        """MAIL, RCPT and DATA (pipelined where offered). The outbox validated both addresses: they are
        written as given, only checked by `_plain` (no CR, LF, NUL) and for SMTPUTF8 here."""
        s = self.settings
        options = b""
        encoding = "ascii"
        if not (sender.isascii() and recipient.isascii()):
            if not session.smtputf8:
                raise PermanentFailure(f"{self._where} does not accept non-ASCII addresses (SMTPUTF8): "
                                       f"{recipient}", address_failing=False)
            options += b" SMTPUTF8"
            encoding = "utf-8"
        if not data.isascii():
            if not session.eightbitmime:
                raise TransportSetupError(f"{self._where} does not accept 8-bit messages (no 8BITMIME); "
                                          "nothing was sent")
            options += b" BODY=8BITMIME"
        mail = b"MAIL FROM:<" + sender.encode(encoding) + b">" + options + b"\r\n"
        rcpt = b"RCPT TO:<" + recipient.encode(encoding) + b">\r\n"
        try:
            async with asyncio.timeout(s.timeout_seconds):
                await session.send(mail, rcpt, wire_data(data))
        except TimeoutError:
            session.close()  # never reused in an unknown state
            raise DeadlineExceeded(f"{self._where} did not answer within {s.timeout_seconds:g} s "
                                   f"(at {session.stage} for {recipient})") from None
        except Refused as exc:
            raise self._refusal(exc.stage, recipient, exc.code, exc.message) from None
        except Dropped as exc:
            if exc.stage == "MAIL" and reused:
                raise _StaleConnection() from None
            if exc.body_sent:
                raise TemporaryFailure(f"{self._where} dropped the connection after DATA for {recipient} "
                                       "without answering: it may or may not have the message; "
                                       "it will be sent again with the same Message-ID") from None
            raise TemporaryFailure(f"{self._where} dropped the connection at {exc.stage} for {recipient}: "
                                   f"{exc}") from None

    def _refusal(self, stage: str, recipient: str, code: int, message: str) -> TransportError:
        text = f"{self._where} answered {code} {message} to {stage} for {recipient}"
        if 400 <= code < 500:
            return TemporaryFailure(text)
        if not 500 <= code < 600:
            return TemporaryFailure(f"{text} (an unexpected answer)")
        if stage == "MAIL":
            if code == 552:  # the declared size is too big: this message, not the sender
                return PermanentFailure(text, address_failing=False)
            return TransportSetupError(f"{text}: the server refuses the sender; check mail.from_address and "
                                       "the SMTP login")
        if stage == "RCPT":
            if _is_relay_or_auth_refusal(code, message):
                return TransportSetupError(f"{text}: the server will not relay for us; check the SMTP login")
            return PermanentFailure(text, address_failing=True)
        enhanced = _enhanced(message)
        return PermanentFailure(text, address_failing=enhanced is not None and enhanced[1] == 1)

    async def aclose(self) -> None:
        """Say QUIT on every idle connection; connections in use close when their message is done."""
        self._closed = True
        idle, self._idle = self._idle, []
        for session in idle:
            await self._quit(session)


class _StaleConnection(Exception):
    """A reused connection turned out to be closed before anything of the message was sent."""
