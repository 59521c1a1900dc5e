"""`traffpunkt run`: the daemon until SIGTERM/SIGINT, or one tick with --once (exit 1 when mail failed to render)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from typing import TYPE_CHECKING

from mailer.cli import Terminated
from mailer.cli.common import EXIT_FAIL, EXIT_OK, common_options, load, now_of

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers
    from mailer.service import Service, TickReport


def register(sub: SubParsers) -> None:
    help_ = "Run the daemon until SIGTERM/SIGINT, or one tick with --once."
    sp = sub.add_parser("run", help=help_, description=help_ + " With --once the exit code is 1 when mail it "
                        "should send could not be rendered (a template error; `traffpunkt status` lists it).")
    common_options(sp)
    sp.add_argument("--once", action="store_true", help="one tick (plan, send, read inbox), then exit")
    sp.add_argument("--now", metavar="ISO", help="with --once: pretend it is this time (for tests and catch-up)")
    sp.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except Terminated:  # a SIGTERM while starting: exit cleanly, nothing was half done
        return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from mailer.service import Service, build_inbox
    from mailer.state.store import Store

    cfg = load(args)
    store = Store.open(cfg.database, lock=True)  # the lock first: migrations run under it
    try:
        service = Service(cfg, store, inbox=build_inbox(cfg, store))
        if args.once:
            report = asyncio.run(_once(service, now_of(args) if args.now else None))
            print(report.summary())
            for err in report.errors:
                print(f"warning: {err}", file=sys.stderr)
            if report.render_failed:
                print(f"traffpunkt: {report.render_failed} mail(s) could not be rendered and were marked failed; "
                      "fix the templates (`traffpunkt check`), see `traffpunkt status`", file=sys.stderr)
                return EXIT_FAIL
            return EXIT_OK
        setup_logging()
        asyncio.run(service.run_forever())
        return EXIT_OK
    finally:
        store.close()


def setup_logging() -> None:
    """The daemon's log: INFO and up, each line written when it happens; APScheduler's per-poll lines off."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


async def _once(service: Service, now: datetime | None) -> TickReport:
    try:
        return await service.tick(now)
    finally:
        await service.aclose()
