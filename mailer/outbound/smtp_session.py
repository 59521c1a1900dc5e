"""One SMTP connection after its set-up (EHLO, TLS, login): sends a transaction with PIPELINING (RFC 2920)
when the server offers it, else command by command, reading the replies itself (bounded in size)."""

from __future__ import annotations

import asyncio

from aiosmtplib import SMTP

#: A reply line longer than this is a broken or hostile server (RFC 5321 allows 512 octets).
MAX_LINE = 4096
#: A reply with more lines than this, or more unread bytes than MAX_BUFFER, likewise.
MAX_LINES = 64
MAX_BUFFER = 64 * 1024


def wire_data(data: bytes) -> bytes:
    """The message as DATA carries it: CRLF line ends, each line's leading dot doubled, ending in CRLF.CRLF.

    The composer already writes CRLF; counting is cheaper than normalising, so a message with a bare CR or
    LF (which some servers would read as an end of data) is normalised first, as aiosmtplib does."""
    crlf = data.count(b"\r\n")
    if data.count(b"\n") != crlf or data.count(b"\r") != crlf:
        data = data.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(b"\n", b"\r\n")
    if data.startswith(b"."):
        data = b"." + data
    data = data.replace(b"\r\n.", b"\r\n..")
    return data + (b".\r\n" if data.endswith(b"\r\n") else b"\r\n.\r\n")


class Refused(Exception):
    """The server answered `code message` to `stage` (MAIL, RCPT or DATA); code -1: an unreadable answer."""

    def __init__(self, stage: str, code: int, message: str) -> None:
        super().__init__(f"{code} {message}")
        self.stage, self.code, self.message = stage, code, message


class Dropped(Exception):
    """The connection closed or broke at `stage`; `body_sent`: after the message's bytes were written, so
    the server may or may not have it."""

    def __init__(self, stage: str, body_sent: bool, detail: str) -> None:
        super().__init__(detail)
        self.stage, self.body_sent = stage, body_sent


class _Lost(Exception):
    """The connection ended before a whole reply arrived."""


class _Garbled(Exception):
    """The server's answer cannot be read as an SMTP reply: the session is not to be trusted further."""


class _Wire(asyncio.Protocol):
    """The connection's protocol once set up: buffers what the server sends, so pipelined replies that
    arrive together are all kept (aiosmtplib's protocol keeps one reply per command written)."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self.transport = transport
        self.buffer = bytearray()
        self.ended = False
        self.error: str | None = None
        self._waiter: asyncio.Future[None] | None = None
        self._paused = False
        self._drain: asyncio.Future[None] | None = None

    def _wake(self) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        if len(self.buffer) > MAX_BUFFER:
            self.error = f"the server sent more than {MAX_BUFFER} bytes unasked"
            self.transport.close()
        self._wake()

    def eof_received(self) -> bool:
        self.ended = True
        self._wake()
        return False  # close the transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.ended = True
        self._wake()
        self.resume_writing()

    def pause_writing(self) -> None:
        self._paused = True

    def resume_writing(self) -> None:
        self._paused = False
        if self._drain is not None and not self._drain.done():
            self._drain.set_result(None)

    async def drain(self) -> None:
        """Wait while the transport's write buffer is over its high-water mark."""
        while self._paused and not self.ended:
            self._drain = asyncio.get_running_loop().create_future()
            await self._drain
        if self.ended:
            raise _Lost(self.error or "the connection closed")

    async def line(self) -> bytes:
        """The next line the server sent (up to LF), at most MAX_LINE bytes."""
        while True:
            end = self.buffer.find(b"\n", 0, MAX_LINE)
            if end >= 0:
                line = bytes(self.buffer[:end + 1])
                del self.buffer[:end + 1]
                return line
            if len(self.buffer) >= MAX_LINE:
                raise _Garbled(f"a reply line longer than {MAX_LINE} bytes")
            if self.ended:
                raise _Lost(self.error or "the connection closed")
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter


class SmtpSession:
    """A set-up connection taken over from aiosmtplib: it sends transactions and RSET/QUIT itself.

    After a failure it has closed itself where the session cannot go on (connection lost, an unreadable or
    421 answer); the caller resets (RSET) or discards it."""

    def __init__(self, smtp: SMTP) -> None:
        transport = smtp.transport
        if not isinstance(transport, asyncio.Transport) or not smtp.is_connected:
            raise ConnectionError("the connection closed during its set-up")
        self._smtp = smtp
        self.pipelining = smtp.supports_extension("pipelining")
        self.smtputf8 = smtp.supports_extension("smtputf8")
        self.eightbitmime = smtp.supports_extension("8bitmime")
        self._wire = _Wire(transport)
        transport.set_protocol(self._wire)
        self._transport = transport
        #: Where the current transaction is (MAIL, RCPT, DATA): for a deadline's message.
        self.stage = "MAIL"

    @property
    def usable(self) -> bool:
        """Open, and the server has said nothing unasked (a 421 before closing an idle connection)."""
        return not (self._wire.ended or self._transport.is_closing() or self._wire.buffer)

    def close(self) -> None:
        self._smtp.close()

    async def _reply(self) -> tuple[int, str]:
        lines: list[str] = []
        for _ in range(MAX_LINES):
            line = await self._wire.line()
            code, sep = line[:3], line[3:4]
            if not (code.isdigit() and sep in (b" ", b"-", b"\r", b"\n")):
                raise _Garbled(f"malformed reply line {line[:80]!r}")
            lines.append(line[4:].strip(b" \t\r\n").decode("utf-8", "replace"))
            if sep != b"-":
                return int(code), "\n".join(lines)
        raise _Garbled(f"a reply of more than {MAX_LINES} lines")

    async def send(self, mail: bytes, rcpt: bytes, body: bytes) -> None:
        """One transaction. `mail`, `rcpt`: the command lines (with CRLF); `body`: from wire_data().
        Returns after the server's 250 to the end of data; raises Refused or Dropped."""
        self.stage = "MAIL"
        body_sent = False
        try:
            if self.pipelining:
                await self._pipelined(mail, rcpt)
            else:
                await self._command(mail, "MAIL", (250,))
                await self._command(rcpt, "RCPT", (250, 251))
                await self._command(b"DATA\r\n", "DATA", (354,))
            self._transport.write(body)
            body_sent = True
            await self._wire.drain()
            code, text = await self._reply()
        except (_Lost, OSError) as exc:
            self.close()
            raise Dropped(self.stage, body_sent, str(exc) or type(exc).__name__) from None
        except _Garbled as exc:
            self.close()  # the session cannot be trusted further
            raise Refused(self.stage, -1, str(exc)) from None
        if code != 250:
            self._refused(code, text)

    async def _command(self, line: bytes, stage: str, ok: tuple[int, ...]) -> None:
        self.stage = stage
        self._transport.write(line)
        code, text = await self._reply()
        if code not in ok:
            self._refused(code, text)

    def _refused(self, code: int, text: str) -> None:
        if code == 421:  # the server is closing the session
            self.close()
        raise Refused(self.stage, code, text)

    async def _pipelined(self, mail: bytes, rcpt: bytes) -> None:
        """MAIL, RCPT and DATA in one write, then their three replies; the first refusal is the one that
        counts (the later commands fail because of it). A 354 despite a refusal gets an empty message."""
        self._transport.write(mail + rcpt + b"DATA\r\n")
        refusal: tuple[str, int, str] | None = None
        for stage, ok in (("MAIL", (250,)), ("RCPT", (250, 251)), ("DATA", (354,))):
            self.stage = stage
            try:
                code, text = await self._reply()
            except (_Lost, OSError, _Garbled):
                if refusal is None:
                    raise
                self.close()
                break
            if refusal is None and code not in ok:
                refusal = (stage, code, text)
            elif refusal is not None and stage == "DATA" and code == 354:
                self._transport.write(b".\r\n")
                try:
                    await self._reply()
                except (_Lost, OSError, _Garbled):
                    self.close()
        if refusal is not None:
            self.stage = refusal[0]
            self._refused(refusal[1], refusal[2])

    async def rset(self) -> bool:
        """RSET; False when the server did not answer 250 (the caller then discards the session)."""
        try:
            self._transport.write(b"RSET\r\n")
            code, _ = await self._reply()
        except (_Lost, OSError, _Garbled):
            return False
        return code == 250

    async def quit(self) -> None:
        """QUIT, and close whatever the answer."""
        try:
            if self.usable:
                self._transport.write(b"QUIT\r\n")
                await self._reply()
        except (_Lost, OSError, _Garbled):
            pass
        finally:
            self.close()
