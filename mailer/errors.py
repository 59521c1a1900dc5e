"""The exceptions traffpunkt raises; every one derives from TraffpunktError.

    TraffpunktError
    ├── ConfigError            a config file is malformed (carries one ConfigProblem per fault)
    ├── StoreError             the database cannot be used
    │   └── AlreadyRunning     another daemon holds the database's lock
    ├── TemplateError          a mail template is missing or does not render
    └── TransportError         sending failed
        ├── TemporaryFailure   4xx, timeout, dropped connection: retry later
        │   ├── DeadlineExceeded    no answer within the per-message deadline (also a TimeoutError)
        │   └── ServerUnreachable   no connection at all: nothing was sent; the drain pauses
        ├── PermanentFailure   5xx: do not retry (`address_failing` when the address itself was refused)
        └── TransportSetupError  the connection cannot be set up as configured (no STARTTLS offered,
                               certificate or login refused, sender refused): nothing was sent
"""

from __future__ import annotations

from dataclasses import dataclass


class TraffpunktError(Exception):
    """Root of every error traffpunkt raises on purpose."""


@dataclass(frozen=True)
class ConfigProblem:
    """One fault in a config: where it is and what was expected."""

    file: str
    key: str
    expected: str

    def __str__(self) -> str:
        return f"{self.file}: {self.key}: {self.expected}"


class ConfigError(TraffpunktError):
    """The config is malformed; `problems` lists every fault found, not only the first."""

    def __init__(self, problems: list[ConfigProblem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


class StoreError(TraffpunktError):
    """The database cannot be opened or used."""


class AlreadyRunning(StoreError):
    """Another traffpunkt daemon is already running on this database."""


class TemplateError(TraffpunktError):
    """A mail template is missing or fails to render."""


class TransportError(TraffpunktError):
    """Sending a message failed."""


class TemporaryFailure(TransportError):
    """A failure worth retrying later: 4xx, a timeout, a dropped connection."""


class DeadlineExceeded(TemporaryFailure, TimeoutError):
    """The server did not answer within the per-message deadline."""


class ServerUnreachable(TemporaryFailure):
    """No connection to the server could be made: no message reached it, so none is charged an attempt."""


class PermanentFailure(TransportError):
    """A 5xx answer: the message must not be retried; `address_failing` when the address was refused."""

    def __init__(self, message: str, *, address_failing: bool = True) -> None:
        super().__init__(message)
        self.address_failing = address_failing


class TransportSetupError(TransportError):
    """The transport cannot send as configured (no STARTTLS, login or sender refused): fix the config."""
