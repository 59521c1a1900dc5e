"""Backoff per server (SMTP, IMAP, the database): wait 5 s doubling to 5 min while it is down, and log one
line when its state changes, never one per attempt."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

FIRST_DELAY = timedelta(seconds=5)
MAX_DELAY = timedelta(minutes=5)


@dataclass
class Backoff:
    """The state of one server; `failed` and `succeeded` are called after each attempt with the time."""

    name: str
    log: logging.Logger
    first: timedelta = FIRST_DELAY
    cap: timedelta = MAX_DELAY
    failures: int = 0
    reason: str | None = None
    first_failed_at: datetime | None = None
    failed_at: datetime | None = None
    next_at: datetime | None = None

    @property
    def down(self) -> bool:
        return self.failures > 0

    def ready(self, now: datetime) -> bool:
        """Whether an attempt is due: always while the server is up, else once its wait is over."""
        return self.next_at is None or now >= self.next_at

    def failed(self, reason: str, now: datetime) -> None:
        """One more failed attempt: wait twice as long (at most `cap`); log only the change to 'down'."""
        if self.failures == 0:
            self.log.warning("%s failing: %s; retrying with backoff (%g s doubling to %g s)", self.name,
                             reason, self.first.total_seconds(), self.cap.total_seconds())
            self.first_failed_at = now
        self.failures += 1
        delay = self.cap if self.failures > 16 else min(self.first * 2 ** (self.failures - 1), self.cap)
        self.reason, self.failed_at, self.next_at = reason, now, now + delay

    def succeeded(self, now: datetime) -> None:
        """The server answered: back to normal; log the change once."""
        if self.failures:
            down_for = (now - self.first_failed_at).total_seconds() if self.first_failed_at else 0.0
            self.log.warning("%s working again after %d failed attempts (first failure %.0f s ago)", self.name,
                             self.failures, down_for)
        self.failures, self.reason, self.first_failed_at, self.failed_at, self.next_at = 0, None, None, None, None

    def describe(self, tz: object | None = None) -> str | None:
        """"connection refused at 10:02, next try 10:07" while down, else None."""
        if not self.down or self.failed_at is None or self.next_at is None:
            return None
        at, nxt = self.failed_at, self.next_at
        if tz is not None:
            at, nxt = at.astimezone(tz), nxt.astimezone(tz)  # type: ignore[arg-type]
        return f"{self.reason} at {at:%H:%M:%S}, next try {nxt:%H:%M:%S}"
