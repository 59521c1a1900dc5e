"""The `traffpunkt` command: init, check, members, preview, agenda, publish, run, status, demo, parse.

This module stays light: `main` catches SIGTERM before the commands' modules are imported, so a daemon
stopped while it starts exits cleanly.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import argparse


class Terminated(BaseException):
    """SIGTERM arrived before the daemon's own handler was in place (during start-up)."""


def terminate_during_startup(signum: int, frame: object) -> None:
    raise Terminated()


def caused_by_termination(exc: BaseException) -> bool:
    """True when `exc` wraps a Terminated (Python wraps one raised inside a class body's __set_name__, e.g.
    while sqlite_utils' dataclasses are imported, in a RuntimeError)."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return False
        if isinstance(seen, Terminated):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; returns its exit code (0 ok, 1 failed, 2 a problem the user can fix)."""
    try:  # until the daemon's loop takes over, SIGTERM ends the command cleanly (no -15 at start-up)
        previous = signal.signal(signal.SIGTERM, terminate_during_startup)
    except ValueError:  # not the main thread (tests): leave signals alone
        previous = None
    try:
        try:
            from mailer.cli.app import run_command
        except Exception as exc:
            if caused_by_termination(exc):
                raise Terminated() from exc
            raise
        return run_command(argv)
    except Terminated:  # a daemon stopped while it starts has done nothing: a clean exit
        return 0 if "run" in (sys.argv[1:] if argv is None else argv) else 128 + signal.SIGTERM
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def build_parser() -> argparse.ArgumentParser:
    from mailer.cli.app import build_parser as build

    return build()


__all__ = ["Terminated", "build_parser", "caused_by_termination", "main", "terminate_during_startup"]
