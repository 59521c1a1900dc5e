"""What one drain did (DrainReport): counts, errors, and why it stopped early."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class DrainReport:
    """What one drain did; `stopped` says why it ended early (stop requested, server unreachable...);
    `unreachable` and `database` name the server or database fault that stopped it, for the backoff."""

    sent: int = 0
    retried: int = 0
    failed: int = 0
    #: Of the failed: rows whose mail could not be rendered (a template bug); `run --once` exits 1 on them.
    render_failed: int = 0
    errors: list[str] = field(default_factory=list)
    stopped: str | None = None
    unreachable: str | None = None
    database: str | None = None
    #: Messages abandoned mid-transaction at shutdown (they stay queued and go out later, same Message-ID).
    aborted: int = 0

    @property
    def attempted(self) -> int:
        return self.sent + self.retried + self.failed
