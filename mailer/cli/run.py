"""`traffpunkt run`: the daemon (every network given) until SIGTERM/SIGINT, SIGHUP re-reading the configs; or
one tick of each with --once (exit 1 when mail failed to render or a network failed, 2 for an invalid file)."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.cli import Terminated
from mailer.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, common_options, config_paths, now_of
from mailer.errors import ConfigError, TraffpunktError

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers
    from mailer.config import Config


def register(sub: SubParsers) -> None:
    help_ = "Run the daemon until SIGTERM/SIGINT, or one tick with --once."
    sp = sub.add_parser("run", help=help_, description=help_ + " Several networks run in one daemon when "
                        "--config is given several times or names a folder (one *.toml per network); SIGHUP "
                        "re-reads their files. With --once the exit code is 1 when mail it should send could "
                        "not be rendered (a template error; `traffpunkt status` lists it) or a network could "
                        "not run, 2 when a config file is invalid (the other networks still run).")
    common_options(sp)
    sp.add_argument("--once", action="store_true", help="one tick of each network (plan, send, read inbox), then exit")
    sp.add_argument("--now", metavar="ISO", help="with --once: pretend it is this time (for tests and catch-up)")
    sp.set_defaults(func=cmd_run)


def cmd_run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except Terminated:  # a SIGTERM while starting: exit cleanly, nothing was half done
        return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    paths = config_paths(getattr(args, "config", None))
    if args.once:
        return asyncio.run(_once_all(paths, args))
    from mailer.supervisor import Supervisor

    setup_logging()
    supervisor = Supervisor(paths)
    if asyncio.run(supervisor.run()):
        return EXIT_OK
    return EXIT_FAIL if supervisor.failed else EXIT_USAGE  # a database failed, else every file was invalid


def setup_logging() -> None:
    """The daemon's log: INFO and up, each line written when it happens and naming its network when several
    run; APScheduler's per-poll lines off."""
    from mailer.network import NetworkLogFilter

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(network)s%(message)s")
    for handler in logging.getLogger().handlers:
        handler.addFilter(NetworkLogFilter())
    logging.getLogger("apscheduler").setLevel(logging.WARNING)


async def _once_all(paths: list[Path], args: argparse.Namespace) -> int:
    """One tick of each valid network, one after the other, sharing SMTP connections per account."""
    from mailer.config.networks import discover, load_networks, shared_problems
    from mailer.network import NetworkLoop
    from mailer.outbound.pool import SmtpPool
    from mailer.supervisor import label_of

    files = discover(paths)
    loaded = load_networks(files.networks)
    several = len(loaded) > 1
    code = EXIT_OK
    problems = [*files.missing, *(p for item in loaded for p in item.problems), *shared_problems(loaded)]
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        code = EXIT_USAGE
    skipped = {p.file for p in problems}
    if not several and problems:
        return code
    pool = SmtpPool(keep_open=True)  # the networks tick one after the other over the same connections
    ran: list[Config] = []
    try:
        for item in loaded:
            cfg = item.config
            if cfg is None or str(item.path) in skipped:
                continue
            prefix = f"{label_of(cfg)}: " if several else ""
            loop = NetworkLoop(cfg, pool, label_of(cfg))
            try:
                loop.open()
                report = await loop.once(_now(args, cfg))
            except ConfigError:
                raise
            except TraffpunktError as exc:
                if not several:
                    raise
                print(f"traffpunkt: {prefix}{exc}", file=sys.stderr)
                code = code or EXIT_FAIL
                continue
            ran.append(cfg)
            print(prefix + report.summary())
            for err in report.errors:
                print(f"warning: {prefix}{err}", file=sys.stderr)
            if report.render_failed:
                print(f"traffpunkt: {prefix}{report.render_failed} mail(s) could not be rendered and were marked "
                      "failed; fix the templates (`traffpunkt check`), see `traffpunkt status`", file=sys.stderr)
                code = code or EXIT_FAIL
    finally:
        await pool.aclose()
    if files.umbrella is not None:
        code = _umbrella_once(files.umbrella, ran, _now(args, ran[0]) if ran else None, code)
    return code


def _umbrella_once(path: Path, configs: list[Config], now: datetime | None, code: int) -> int:
    from datetime import UTC

    from mailer.config.umbrella import load_umbrella
    from mailer.supervisor import publish_umbrella_now

    try:
        umbrella = load_umbrella(path)
        publish_umbrella_now(umbrella, configs, now or datetime.now(UTC))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except (TraffpunktError, OSError) as exc:
        print(f"traffpunkt: umbrella page: {exc}", file=sys.stderr)
        return code if code == EXIT_USAGE else EXIT_FAIL
    return code


def _now(args: argparse.Namespace, cfg: Config) -> datetime | None:
    """--now for this network (an offset-less time is read in its own zone), None for the real clock."""
    if not args.now:
        return None
    naive = argparse.Namespace(now=args.now)
    try:
        parsed = datetime.fromisoformat(args.now)
    except ValueError:
        return now_of(naive)  # raises the CliError that explains the format
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=cfg.network.tz)
