"""Where sent mail goes: the Transport protocol and an in-memory transport for tests."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from mailer.errors import TransportError

if TYPE_CHECKING:
    pass


class Transport(Protocol):
    """Delivers one message to one recipient; returns only once the message was accepted (SMTP 250).

    Raises mailer.errors.TemporaryFailure (retry later; DeadlineExceeded and ServerUnreachable are kinds
    of it), PermanentFailure (do not retry) or TransportSetupError (the transport cannot send as configured).
    """

    async def send(self, sender: str, recipient: str, data: bytes) -> None: ...

    async def aclose(self) -> None: ...


@dataclass(frozen=True)
class Envelope:
    """One message as a transport received it."""

    sender: str
    recipient: str
    data: bytes


#: A MemoryTransport hook: sees each envelope before it is recorded; raising a TransportError refuses it.
Handler = Callable[[Envelope], Awaitable[None] | None]


class MemoryTransport:
    """Keeps sent messages in `sent`; an optional handler (sync or async) may raise to inject failures.

    In the spirit of httpx's MockTransport: `MemoryTransport(lambda env: None)` accepts everything,
    a handler raising TemporaryFailure for the first call and returning after that simulates a 4xx.
    """

    def __init__(self, handler: Handler | None = None) -> None:
        self.handler = handler
        self.sent: list[Envelope] = []
        self.attempts: list[Envelope] = []
        self.closed = False

    async def send(self, sender: str, recipient: str, data: bytes) -> None:
        if self.closed:
            raise TransportError("the transport is closed")
        envelope = Envelope(sender, recipient, bytes(data))
        self.attempts.append(envelope)
        if self.handler is not None:
            result = self.handler(envelope)
            if inspect.isawaitable(result):
                await result
        self.sent.append(envelope)

    async def aclose(self) -> None:
        self.closed = True
