"""The exceptions traffpunkt raises; every one derives from TraffpunktError.

    TraffpunktError
    ├── ConfigError            a config file is malformed (carries one ConfigProblem per fault)
    ├── StoreError             the database cannot be used
    │   └── AlreadyRunning     another daemon holds the database's lock
    ├── TemplateError          a mail template is missing or does not render
    └── TransportError         sending failed
        ├── TemporaryFailure   4xx, timeout, dropped connection: retry later (also a TimeoutError
        │                      when it was a deadline)
        └── PermanentFailure   5xx: the address is failing; do not retry
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


class PermanentFailure(TransportError):
    """A 5xx answer: the address is failing and must not be retried."""
