"""SMTP shared between the networks of one daemon: one connection pool per (server, account), one rate limit
per account, whichever network sends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from mailer.config import Config, SmtpSettings
from mailer.errors import TransportError
from mailer.outbound.smtp import Loan, RateLimiter, SmtpTransport

#: (host, port, tls, auth, username): networks with the same key send over the same connections.
ConnectionKey = tuple[str, int, str, str, str]
#: (host, username): one account, one rate limit, whatever port or TLS mode reaches it.
AccountKey = tuple[str, str]
#: Builds the shared transport of the first network that uses a key (the pool gives it the account's limit).
Factory = Callable[[Config, RateLimiter], SmtpTransport]


def connection_key(s: SmtpSettings) -> ConnectionKey:
    return (s.host.lower(), s.port, s.tls, s.auth, s.username or "")


def account_key(s: SmtpSettings) -> AccountKey:
    return (s.host.lower(), (s.username or "").lower())


def _interval(per_minute: int) -> float:
    return 60.0 / per_minute if per_minute > 0 else 0.0


def default_factory(config: Config, limiter: RateLimiter) -> SmtpTransport:
    from mailer.oauth.source import token_source

    smtp = config.mail.smtp
    assert smtp is not None
    return SmtpTransport(smtp, smtp.password(), tokens=token_source(config, smtp), limiter=limiter)


@dataclass
class _Account:
    limiter: RateLimiter
    #: messages_per_minute of each lease on the account: the strictest positive one holds.
    rates: list[int] = field(default_factory=list)

    def tighten(self) -> None:
        self.limiter.interval = max((_interval(r) for r in self.rates), default=0.0)


@dataclass
class _Shared:
    transport: SmtpTransport
    leases: int = 0


class SmtpPool:
    """Leases each network a handle on the shared transport of its (server, account)."""

    def __init__(self, factory: Factory = default_factory, *, keep_open: bool = False) -> None:
        """With `keep_open` a transport stays open when its last lease is released, until `aclose()` (for
        `run --once`, whose networks tick one after the other)."""
        self._factory = factory
        self._keep_open = keep_open
        self._shared: dict[ConnectionKey, _Shared] = {}
        self._accounts: dict[AccountKey, _Account] = {}

    def lease(self, config: Config) -> Lease:
        """A transport for `config`'s [mail.smtp] sharing connections and the rate limit with the others.

        The connection settings (max_connections, timeouts) are those of the first network on the key; the
        account's rate is the strictest of every network on it."""
        s = config.mail.smtp
        if s is None:
            raise TransportError(f"{config.path}: mail.transport is 'smtp' but there is no [mail.smtp] table")
        account = self._accounts.get(account_key(s))
        if account is None:
            account = self._accounts[account_key(s)] = _Account(RateLimiter(s.messages_per_minute))
        key = connection_key(s)
        shared = self._shared.get(key)
        if shared is None:
            shared = _Shared(self._factory(config, account.limiter))
            self._shared[key] = shared
        shared.leases += 1
        account.rates.append(s.messages_per_minute)
        account.tighten()
        return Lease(self, key, account_key(s), s.messages_per_minute, shared.transport)

    async def release(self, lease: Lease) -> None:
        account = self._accounts.get(lease.account)
        if account is not None:
            account.rates.remove(lease.rate)
            account.tighten()
        shared = self._shared.get(lease.key)
        if shared is None or shared.transport is not lease.shared:
            return
        shared.leases -= 1
        if shared.leases <= 0 and not self._keep_open:
            del self._shared[lease.key]
            await shared.transport.aclose()
        if account is not None and not account.rates and not self._keep_open:
            del self._accounts[lease.account]

    @property
    def transports(self) -> int:
        """How many shared SMTP transports are open (one per (server, account) in use)."""
        return len(self._shared)

    async def aclose(self) -> None:
        shared, self._shared, self._accounts = list(self._shared.values()), {}, {}
        for s in shared:
            await s.transport.aclose()


class Lease:
    """A network's handle on a shared transport: `send` goes through the shared pool; `aclose` only releases."""

    def __init__(self, pool: SmtpPool, key: ConnectionKey, account: AccountKey, rate: int,
                 shared: SmtpTransport) -> None:
        self._pool, self.key, self.account, self.rate, self.shared = pool, key, account, rate, shared
        self._released = False

    async def send(self, sender: str, recipient: str, data: bytes) -> None:
        if self._released:
            raise TransportError("the SMTP transport is closed")
        await self.shared.send(sender, recipient, data)

    def lend(self, connections: int) -> Loan | None:
        """Slots of the shared connections lent to a drain in another process (SmtpTransport.lend)."""
        return None if self._released else self.shared.lend(connections)

    async def aclose(self) -> None:
        if not self._released:
            self._released = True
            await self._pool.release(self)
