"""Typed reading of TOML values: each bad value becomes a ConfigProblem naming its key and what is expected."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from datetime import date, time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from dateutil.rrule import rrulestr

from mailer.addresses import check as check_address
from mailer.errors import ConfigProblem

T = TypeVar("T")


class Reader:
    """Reads typed values from a TOML table and records a problem for each bad one."""

    def __init__(self, file: Path, problems: list[ConfigProblem]) -> None:
        self.file = str(file)
        self.problems = problems

    def problem(self, key: str, expected: str) -> None:
        self.problems.append(ConfigProblem(self.file, key, expected))

    def get(
        self,
        table: Mapping[str, Any],
        prefix: str,
        key: str,
        kind: type[T] | tuple[type, ...],
        expected: str,
        default: Any = ...,
    ) -> Any:
        full = f"{prefix}.{key}" if prefix else key
        if key not in table:
            if default is ...:
                self.problem(full, f"missing; expected {expected}")
            return None if default is ... else default
        value = table[key]
        if isinstance(value, bool) and kind is not bool and kind != (bool,):
            self.problem(full, f"expected {expected}, got {value!r}")
            return None if default is ... else default
        if not isinstance(value, kind):
            self.problem(full, f"expected {expected}, got {value!r}")
            return None if default is ... else default
        return value

    def convert(self, full: str, value: Any, fn: Callable[[Any], T], expected: str) -> T | None:
        if value is None:
            return None
        try:
            return fn(value)
        except (ValueError, TypeError, KeyError, ZoneInfoNotFoundError):
            self.problem(full, f"expected {expected}, got {value!r}")
            return None


def positive(r: Reader, full: str, value: Any, default: Any, expected: str) -> Any:
    """`value` when it is above 0, else a problem and the default."""
    if value is not None and value <= 0:
        r.problem(full, f"expected {expected}, got {value!r}")
        return default
    return value


def to_address(value: str) -> str:
    """One plain address (mailer/addresses.py); InvalidAddress (a ValueError) says why not."""
    return check_address(value.strip())


def at_least(r: Reader, key: str, value: Any, low: int, default: int) -> int:
    """An integer setting that must be `low` or more; a smaller one is a problem (and reads as the default)."""
    if not isinstance(value, int):
        return default
    if value < low:
        r.problem(key, f"expected {low} or more, got {value}")
        return default
    return value


def to_time(value: Any) -> time:
    if isinstance(value, time):
        return value
    hh, _, mm = str(value).replace(".", ":").partition(":")
    return time(int(hh), int(mm or 0))


def to_date(value: Any) -> date:
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


def to_zone(value: str) -> str:
    if not value or "/" not in value and value != "UTC":
        raise ValueError(value)
    ZoneInfo(value)
    return value


def to_rrule(value: str) -> str:
    text = value.strip()
    if text.upper().startswith("RRULE:"):
        text = text[6:]
    rrulestr(text, dtstart=None, ignoretz=True)  # raises ValueError on a bad rule
    if "FREQ=" not in text.upper():
        raise ValueError(value)
    return text


def table(reader: Reader, data: Mapping[str, Any], key: str, required: bool = True) -> Mapping[str, Any]:
    value = data.get(key)
    if value is None:
        if required:
            reader.problem(f"[{key}]", "missing table")
        return {}
    if not isinstance(value, dict):
        reader.problem(key, "expected a table")
        return {}
    return value


def resolve(base: Path, value: str) -> Path:
    p = Path(os.path.expanduser(value))
    return p if p.is_absolute() else (base / p)
