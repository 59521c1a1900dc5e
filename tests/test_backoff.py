"""Each server backs off on its own: 5 s doubling to 5 min, one log line per change of state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from mailer.outbound.backoff import Backoff

T0 = datetime(2026, 12, 1, 10, 2, tzinfo=UTC)


def test_waits_double_from_5_seconds_to_5_minutes_and_reset_when_the_server_answers(
        caplog: pytest.LogCaptureFixture) -> None:
    b = Backoff("SMTP server mx:25", logging.getLogger("test"))
    now, waits = T0, []
    with caplog.at_level(logging.INFO, logger="test"):
        for _ in range(10):
            assert b.ready(now)
            b.failed("connection refused", now)
            assert not b.ready(now + timedelta(seconds=4))
            assert b.next_at is not None
            waits.append((b.next_at - now).total_seconds())
            now = b.next_at
        b.succeeded(now)
    assert waits == [5, 10, 20, 40, 80, 160, 300, 300, 300, 300]
    assert b.ready(now) and not b.down
    assert [r.getMessage().split(":")[0] for r in caplog.records] == ["SMTP server mx", "SMTP server mx"]
    assert "failing" in caplog.records[0].getMessage() and "working again" in caplog.records[1].getMessage()


def test_it_describes_why_it_waits_and_until_when() -> None:
    b = Backoff("SMTP server mx:25", logging.getLogger("test"))
    assert b.describe() is None
    b.failed("connection refused", T0)
    assert b.describe() == "connection refused at 10:02:00, next try 10:02:05"


class _Nothing:
    def counts(self) -> dict[str, int]:
        return {}


class _Inbox:
    """An inbox whose server refuses (`down`) or whose IDLE fails at once: the old busy loop's trigger."""

    def __init__(self, down: bool) -> None:
        self.down = down
        self.fetches = 0
        self.waits = 0

    def fetch_and_handle(self, handler: object, now: datetime) -> object:
        self.fetches += 1
        if self.down:
            raise ConnectionRefusedError("connection refused")
        return _Nothing()

    def wait_for_mail(self, seconds: float) -> bool:
        self.waits += 1
        raise ConnectionResetError("IDLE dropped")


@pytest.mark.parametrize("down", [True, False])
async def test_an_inbox_that_fails_at_once_is_retried_with_backoff_not_in_a_busy_loop(down: bool) -> None:
    import asyncio

    from mailer import PROJECT_ROOT
    from mailer.config import load_config
    from mailer.outbound.transport import MemoryTransport
    from mailer.service import Service
    from mailer.state.store import Store

    inbox = _Inbox(down)
    service = Service(load_config(PROJECT_ROOT / "config" / "network.example.toml"), Store.memory(),
                      transport=MemoryTransport(), inbox=inbox)
    stop = asyncio.Event()
    asyncio.get_running_loop().call_later(1.5, stop.set)
    await service.run_forever(stop)
    assert inbox.fetches <= 2 and inbox.waits <= 1, (inbox.fetches, inbox.waits)
