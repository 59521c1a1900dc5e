"""Each server backs off on its own: 5 s doubling to 5 min, one log line per change of state."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from mailer.backoff import Backoff

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
