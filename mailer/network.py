"""One network in a daemon of several: its own locked database, Service and stop event, run as one task."""

from __future__ import annotations

import asyncio
import logging
from contextvars import ContextVar
from datetime import datetime
from typing import TYPE_CHECKING

from mailer.config import Config

if TYPE_CHECKING:
    from mailer.models import TickReport
    from mailer.outbound.pool import SmtpPool
    from mailer.service import Service
    from mailer.state.store import Store

#: Which network the running code works for: the daemon's log lines carry it (NetworkLogFilter).
current_network: ContextVar[str] = ContextVar("traffpunkt_network", default="")


class NetworkLogFilter(logging.Filter):
    """Adds `network` ("[name] " or "") to every log record, from the task or thread that logged it."""

    def filter(self, record: logging.LogRecord) -> bool:
        label = current_network.get()
        record.network = f"[{label}] " if label else ""
        return True


class NetworkLoop:
    """`open()` claims the network's database and builds its Service; `start()` runs it until `stop()`."""

    def __init__(self, config: Config, pool: SmtpPool | None, label: str) -> None:
        self.config, self.pool, self.label = config, pool, label
        self.store: Store | None = None
        self.service: Service | None = None
        self.task: asyncio.Task[None] | None = None
        self._stop = asyncio.Event()

    def open(self) -> None:
        """Lock and migrate the database, then build the service; raises TraffpunktError (nothing left open)."""
        from mailer.service import Service, build_inbox
        from mailer.state.store import Store

        store = Store.open(self.config.database, lock=True)  # the lock first: migrations run under it
        try:
            from mailer.outbound.factory import make_transport

            transport = make_transport(self.config, smtp=self.pool.lease if self.pool is not None else None)
            self.service = Service(self.config, store, transport=transport, inbox=build_inbox(self.config, store))
        except BaseException:
            store.close()
            raise
        self.store = store

    def start(self) -> None:
        self.task = asyncio.create_task(self._run(), name=f"network {self.label}")

    async def _run(self) -> None:
        current_network.set(self.label)
        assert self.service is not None
        try:
            await self.service.run_forever(self._stop, signals=False)
        finally:
            self._close_store()

    async def stop(self) -> None:
        """Finish the message in flight, close the service and release the database's lock."""
        self._stop.set()
        if self.task is not None:
            await asyncio.gather(self.task, return_exceptions=True)
        elif self.service is not None:
            await self.service.aclose()
        self._close_store()

    async def once(self, now: datetime | None) -> TickReport:
        """One tick (`run --once`), then close everything."""
        current_network.set(self.label)
        assert self.service is not None
        try:
            return await self.service.tick(now)
        finally:
            await self.service.aclose()
            self._close_store()

    def _close_store(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
