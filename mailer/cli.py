"""The `traffpunkt` command: check, members, preview, run, status, demo, parse; every command has --help."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import signal
import sys
from collections.abc import Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from mailer.config import Config, environment_problems, load_config
from mailer.errors import ConfigError, ConfigProblem, TraffpunktError

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG_NAMES = ("traffpunkt.toml", "config/network.toml")


class CliError(TraffpunktError):
    """A problem the user can fix; printed as one line, exit code 2."""


def _config_path(arg: str | None) -> Path:
    if arg:
        return Path(arg)
    env = os.environ.get("TRAFFPUNKT_CONFIG")
    if env:
        return Path(env)
    for name in DEFAULT_CONFIG_NAMES:
        if Path(name).exists():
            return Path(name)
    raise CliError("no config given: pass --config PATH or set TRAFFPUNKT_CONFIG "
                   "(start from config/network.example.toml)")


def _load(args: argparse.Namespace) -> Config:
    return load_config(_config_path(args.config))


def _open_store(cfg: Config):  # type: ignore[no-untyped-def]
    from mailer.state.store import Store

    return Store.open(cfg.database)


def _now(args: argparse.Namespace) -> datetime:
    """--now as an aware time; without an offset it is read in the network's time zone."""
    value = getattr(args, "now", None)
    if not value:
        return datetime.now(UTC)
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--now: expected an ISO date-time such as 2026-11-19T09:00+02:00, got {value!r}") from None
    if dt.tzinfo:
        return dt
    return dt.replace(tzinfo=load_config(_config_path(getattr(args, "config", None))).network.tz)


# -- commands -------------------------------------------------------------------------------------------


def cmd_check(args: argparse.Namespace) -> int:
    path = _config_path(args.config)
    problems: list[ConfigProblem] = []
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        problems = exc.problems
        cfg = None
    if cfg is not None:
        problems.extend(environment_problems(cfg))
        from mailer.outbound.compose import Composer
        from mailer.state.store import Store

        store = Store.memory()
        for text in Composer(cfg, store, b"check").check_templates():
            problems.append(ConfigProblem(str(cfg.templates_dir), "templates", text))
        if cfg.members_csv and not cfg.members_csv.exists():
            problems.append(ConfigProblem(str(path), "members.import_csv", f"an existing file ({cfg.members_csv})"))
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return EXIT_USAGE
    assert cfg is not None
    print(f"{path}: OK — {cfg.network.name}, {cfg.meetings.rrule} at {cfg.meetings.start_time:%H:%M} "
          f"{cfg.network.timezone}, transport {cfg.mail.transport}")
    return EXIT_OK


def cmd_members(args: argparse.Namespace) -> int:
    cfg = _load(args)
    store = _open_store(cfg)
    now = datetime.now(UTC)
    if args.action == "list":
        rows = list(store.members(None if args.all else "active"))
        for m in rows:
            org = f", {m.organisation}" if m.organisation else ""
            print(f"{m.id:>5}  {m.status:<8} {m.language}  {m.name} <{m.address}>{org}")
        print(f"{len(rows)} member(s)")
    elif args.action == "add":
        from mailer.addresses import InvalidAddress, check

        language = args.language or cfg.network.language
        try:
            address = check(args.address.strip())
        except InvalidAddress as exc:
            raise CliError(f"members add: expected an e-mail address, got {args.address!r}: {exc}") from None
        if any(not ch.isprintable() for ch in args.name or ""):
            raise CliError(f"members add: the name {args.name!r} contains control characters")
        member, created = store.add_member(address, args.name or "", language, now, args.organisation)
        print(("added" if created else "already a member:") + f" {member.name} <{member.address}>")
    elif args.action == "remove":
        removed = store.remove_member(args.address, now)
        if removed is None:
            raise CliError(f"no active member with address {args.address}")
        print(f"removed {removed.address} (kept in the history as 'left')")
    elif args.action == "import":
        path = Path(args.file) if args.file else cfg.members_csv
        if path is None:
            raise CliError("members import: give FILE.csv or set members.import_csv in the config")
        added, seen, errors = import_members(store, path, cfg.network.language, now)
        for e in errors:
            print(e, file=sys.stderr)
        print(f"{added} added, {seen - added - len(errors)} already members, {len(errors)} rows skipped")
        return EXIT_USAGE if errors and not added else EXIT_OK
    return EXIT_OK


def import_members(store, path: Path, default_language: str, now: datetime  # type: ignore[no-untyped-def]
                   ) -> tuple[int, int, list[str]]:
    """Add members from a CSV (mailer/members.py); returns (added, rows, problems)."""
    from mailer.members import UnreadableCsv
    from mailer.members import import_members as import_csv

    try:
        return import_csv(store, path, default_language, now)
    except UnreadableCsv as exc:
        raise CliError(str(exc)) from None


def cmd_preview(args: argparse.Namespace) -> int:
    from mailer.models import Member
    from mailer.outbound.compose import Composer

    cfg = _load(args)
    store = _open_store(cfg)
    now = datetime.now(UTC)
    if args.member:
        member = store.member_by_address(args.member)
        if member is None:
            raise CliError(f"--member: no member with address {args.member}")
    else:
        member = next(store.members(), None) or Member(
            id=0, name="Anna Exempel", address="anna@example.org", organisation="Exempelteatern",
            language=cfg.network.language, status="active", joined=now)
    meeting = _meeting_for(cfg, store, args.meeting, now)
    composer = Composer(cfg, store, store.token_secret(cfg.network.token_secret_env))
    rendered = composer.preview(args.kind, member, meeting)
    sys.stdout.write(rendered.data.decode("utf-8", "replace").replace("\r\n", "\n"))
    return EXIT_OK


def _meeting_for(cfg: Config, store, day: str | None, now: datetime):  # type: ignore[no-untyped-def]
    """The stored meeting on `day` (or the next one); computed from the schedule if not yet stored."""
    from mailer.meeting.schedule import occurrences
    from mailer.models import MeetingChange

    tz = cfg.network.tz
    if day:
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            raise CliError(f"--meeting: expected a date YYYY-MM-DD, got {day!r}") from None
        stored = store.meeting_on(wanted)
        if stored:
            return stored
        occ = [o for o in occurrences(cfg.meetings, tz, wanted, wanted)]
        if not occ:
            raise CliError(f"--meeting: the series has no meeting on {wanted}")
    else:
        today = now.astimezone(tz).date()
        upcoming = [m for m in store.meetings(today).values() if not m.cancelled]
        if upcoming:
            return upcoming[0]
        occ = [o for o in occurrences(cfg.meetings, tz, today, today + timedelta(days=400)) if not o.cancelled][:1]
        if not occ:
            raise CliError("the series has no upcoming meeting")
    from mailer.state.store import Store

    scratch = Store.memory()  # never write a preview's meeting into the real database
    with scratch.write():
        return scratch.apply_meeting_change(MeetingChange(occ[0], 0, "preview"), cfg.network.domain, now)


def cmd_run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except _Terminated:  # a SIGTERM while starting: exit cleanly, nothing was half done
        return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    from mailer.service import Service, build_inbox
    from mailer.state.store import Store

    cfg = _load(args)
    store = Store.open(cfg.database, lock=True)  # the lock first: migrations run under it
    try:
        service = Service(cfg, store, inbox=build_inbox(cfg, store))
        if args.once:
            report = asyncio.run(_once(service, _now(args) if args.now else None))
            print(report.summary())
            for err in report.errors:
                print(f"warning: {err}", file=sys.stderr)
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


class _Terminated(BaseException):
    """SIGTERM arrived before the daemon's own handler was in place (during start-up)."""


def _terminate_during_startup(signum: int, frame: object) -> None:
    raise _Terminated()


async def _once(service, now: datetime | None):  # type: ignore[no-untyped-def]
    try:
        return await service.tick(now)
    finally:
        await service.aclose()


def cmd_status(args: argparse.Namespace) -> int:
    from mailer.status import render_status

    cfg = _load(args)
    store = _open_store(cfg)
    print(render_status(cfg, store, _now(args)))
    return EXIT_OK


def cmd_agenda(args: argparse.Namespace) -> int:
    from mailer.meeting.agenda import render_text
    from mailer.meeting.briefing import meeting_agenda

    cfg = _load(args)
    store = _open_store(cfg)
    try:
        meeting = _meeting_for(cfg, store, args.meeting, _now(args))
        built = meeting_agenda(cfg, store, meeting)
        title = cfg.meetings.title or cfg.network.name
        print(f"{title} {meeting.date.isoformat()} — {meeting.place}")
        print()
        print(render_text(built.agenda, cfg.network.language, cfg.network.locale, notes=True), end="")
    finally:
        store.close()
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    from mailer.site.publish import publish

    cfg = _load(args)
    store = _open_store(cfg)
    try:
        report = publish(cfg, store, _now(args))
    except OSError as exc:
        raise CliError(f"publish: cannot write the site to {cfg.site.output}: {exc.strerror or exc}") from None
    finally:
        store.close()
    state = "updated" if report.changed else "unchanged"
    print(f"{report.output}: {state} ({len(report.files)} files)")
    return EXIT_OK


def cmd_demo(args: argparse.Namespace) -> int:
    from mailer.demo import run_demo

    return run_demo(Path(args.workdir), speed=args.speed)


def cmd_parse(args: argparse.Namespace) -> int:
    from parsers.cli import main as parse_main

    return parse_main(["parse", *(["--json"] if args.json else []), *args.files])


# -- the parser -----------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="traffpunkt", description="Runs a network's regular meetings by mail.")
    p.add_argument("--debug", action="store_true", help="show tracebacks of unexpected errors")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help_, description=help_)
        sp.add_argument("--config", metavar="PATH", help="the network's TOML config (default: $TRAFFPUNKT_CONFIG "
                                                          "or ./traffpunkt.toml)")
        return sp

    sp = add("check", "Validate the config, templates and environment; exit 0, or 2 listing every problem.")
    sp.set_defaults(func=cmd_check)

    sp = add("members", "List, add, remove or import members.")
    msub = sp.add_subparsers(dest="action", required=True, metavar="ACTION")
    ml = msub.add_parser("list", help="list members", description="List members (active ones unless --all).")
    ml.add_argument("--all", action="store_true", help="include members who left or bounce")
    ma = msub.add_parser("add", help="add a member", description="Add a member (or re-activate one who left).")
    ma.add_argument("address")
    ma.add_argument("--name", default="")
    ma.add_argument("--organisation")
    ma.add_argument("--language", choices=["sv", "fi", "en"])
    mr = msub.add_parser("remove", help="remove a member", description="Mark a member as left; history is kept.")
    mr.add_argument("address")
    mi = msub.add_parser("import", help="import a CSV", description="Import members from a CSV with a header "
                                                                     "row: name,address,organisation,language.")
    mi.add_argument("file", nargs="?", help="CSV file (default: members.import_csv from the config)")
    for s in (ml, ma, mr, mi):
        s.add_argument("--config", metavar="PATH", help=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_members)

    sp = add("preview", "Print a rendered mail as a member would get it.")
    sp.add_argument("kind", help="invitation, reminder, cancellation, update, ...")
    sp.add_argument("--member", metavar="ADDRESS", help="render for this member (default: the first)")
    sp.add_argument("--meeting", metavar="DATE", help="the meeting's date YYYY-MM-DD (default: the next)")
    sp.set_defaults(func=cmd_preview)

    sp = add("run", "Run the daemon until SIGTERM/SIGINT, or one tick with --once.")
    sp.add_argument("--once", action="store_true", help="one tick (plan, send, read inbox), then exit")
    sp.add_argument("--now", metavar="ISO", help="with --once: pretend it is this time (for tests and catch-up)")
    sp.set_defaults(func=cmd_run)

    sp = add("agenda", "Print the time-boxed agenda of a meeting as it stands now.")
    sp.add_argument("--meeting", metavar="DATE", help="the meeting's date YYYY-MM-DD (default: the next)")
    sp.add_argument("--now", metavar="ISO", help=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_agenda)

    sp = add("publish", "Write the public page, the .ics calendar and the Atom feed to the site folder.")
    sp.add_argument("--now", metavar="ISO", help=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_publish)

    sp = add("status", "Show the next meetings, who answered what, and the outbox.")
    sp.add_argument("--now", metavar="ISO", help=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_status)

    sp = sub.add_parser("demo", help="Run a whole meeting cycle on a simulated clock with the Maildir transport.",
                        description="Run a whole meeting cycle of the example network on a fast simulated clock "
                                    "through the real daemon code; leaves the database, DIR/outbox/ and "
                                    "DIR/site/ for you to look at.")
    sp.add_argument("--workdir", metavar="DIR", default="traffpunkt-demo", help="where to put everything "
                                                                                "(default: ./traffpunkt-demo)")
    sp.add_argument("--speed", type=float, default=0.0, help="seconds to pause per simulated step (default 0)")
    sp.set_defaults(func=cmd_demo)

    sp = sub.add_parser("parse", help="Show how traffpunkt reads reply mails (.eml files).",
                        description="Show how traffpunkt reads reply mails: RSVP, guests, topics, diet, command.")
    sp.add_argument("--json", action="store_true", help="one JSON object per file per line")
    sp.add_argument("files", nargs="+", metavar="FILE.eml")
    sp.set_defaults(func=cmd_parse)
    return p


#: Files the daemon and the commands create (database, lock, Maildirs, kept mail) are owner-only.
PRIVATE_UMASK = 0o077


def main(argv: Sequence[str] | None = None) -> int:
    try:  # until the daemon's loop takes over, SIGTERM ends the command cleanly (no -15 at start-up)
        previous = signal.signal(signal.SIGTERM, _terminate_during_startup)
    except ValueError:  # not the main thread (tests): leave signals alone
        previous = None
    try:
        return _main(argv)
    except _Terminated:
        return 128 + signal.SIGTERM
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    umask = os.umask(PRIVATE_UMASK)  # the published site sets its own modes (mailer/site/publish.py)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except CliError as exc:
        print(f"traffpunkt: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TraffpunktError as exc:
        print(f"traffpunkt: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # no user should read a traceback; --debug shows it
        if args.debug:
            raise
        print(f"traffpunkt: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return EXIT_FAIL
    finally:
        os.umask(umask)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
