"""`traffpunkt preview | agenda | publish`: what members and the public will see of a meeting."""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.cli.common import (
    EXIT_FAIL,
    EXIT_OK,
    EXIT_USAGE,
    CliError,
    common_options,
    config_paths,
    load,
    meeting_for,
    now_of,
    open_store,
)
from mailer.config import Config
from mailer.errors import ConfigError, TraffpunktError

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    sp = sub.add_parser("preview", help="Print a rendered mail as a member would get it.",
                        description="Print a rendered mail as a member would get it.")
    common_options(sp)
    sp.add_argument("kind", help="invitation, reminder, cancellation, update, ...")
    sp.add_argument("--member", metavar="ADDRESS", help="render for this member (default: the first)")
    sp.add_argument("--meeting", metavar="DATE", help="the meeting's date YYYY-MM-DD (default: the next)")
    sp.add_argument("--html", metavar="FILE", help="also write the HTML part to FILE (open it in a browser)")
    sp.add_argument("--raw", action="store_true", help="print the mail as sent (encoded headers, MIME parts)")
    sp.set_defaults(func=cmd_preview)

    help_ = "Print the time-boxed agenda of a meeting as it stands now."
    sp = sub.add_parser("agenda", help=help_, description=help_)
    common_options(sp)
    sp.add_argument("--meeting", metavar="DATE", help="the meeting's date YYYY-MM-DD (default: the next)")
    sp.add_argument("--now", metavar="ISO", help=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_agenda)

    help_ = "Write the public page, the .ics calendar and the Atom feed to the site folder."
    sp = sub.add_parser("publish", help=help_, description=help_)
    common_options(sp)
    sp.add_argument("--now", metavar="ISO", help=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_publish)


def cmd_preview(args: argparse.Namespace) -> int:
    from mailer.models import Member
    from mailer.outbound import preview
    from mailer.outbound.compose import Composer

    cfg = load(args)
    store = open_store(cfg)
    now = datetime.now(UTC)
    if args.member:
        member = store.member_by_address(args.member)
        if member is None:
            raise CliError(f"--member: no member with address {args.member}")
    else:
        member = next(store.members(), None) or Member(
            id=0, name="Anna Exempel", address="anna@example.org", organisation="Exempelteatern",
            language=cfg.network.language, status="active", joined=now)
    meeting = meeting_for(cfg, store, args.meeting, now)
    composer = Composer(cfg, store, store.token_secret(cfg.network.token_secret_env))
    rendered = composer.preview(args.kind, member, meeting, preview.context_for(cfg, store, args.kind, member, meeting))
    if args.html:
        Path(args.html).write_text(preview.html_part(rendered.data), encoding="utf-8")
    if args.raw:
        sys.stdout.write(rendered.data.decode("utf-8", "replace").replace("\r\n", "\n"))
    else:
        sys.stdout.write(preview.readable(rendered.data))
    return EXIT_OK


def cmd_agenda(args: argparse.Namespace) -> int:
    from mailer.meeting.agenda import render_text
    from mailer.outbound.briefing import meeting_agenda

    cfg = load(args)
    store = open_store(cfg)
    try:
        meeting = meeting_for(cfg, store, args.meeting, now_of(args))
        built = meeting_agenda(cfg, store, meeting)
        title = cfg.meetings.title or cfg.network.name
        print(f"{title} {meeting.date.isoformat()} — {meeting.place}")
        print()
        print(render_text(built.agenda, cfg.network.language, cfg.network.locale, notes=True), end="")
    finally:
        store.close()
    return EXIT_OK


def cmd_publish(args: argparse.Namespace) -> int:
    """Each network's site (one line each), then the umbrella's page when the folder has umbrella.toml."""
    from mailer.config.networks import discover, load_networks

    files = discover(config_paths(getattr(args, "config", None)))
    loaded = load_networks(files.networks)
    if len(loaded) == 1 and files.umbrella is None:
        return _publish_one(args, load(args) if loaded[0].config is None else loaded[0].config)
    code = EXIT_OK
    for problem in files.missing:
        print(problem, file=sys.stderr)
        code = EXIT_USAGE
    published = []
    for item in loaded:
        if item.config is None:
            for problem in item.problems:
                print(problem, file=sys.stderr)
            code = EXIT_USAGE
            continue
        try:
            _publish_one(args, item.config, prefix=f"{item.config.network.name}: ")
            published.append(item.config)
        except TraffpunktError as exc:
            print(f"traffpunkt: {item.path}: {exc}", file=sys.stderr)
            code = code or EXIT_FAIL
    if files.umbrella is not None:
        code = _publish_umbrella(args, files.umbrella, published) or code
    return code


def _publish_one(args: argparse.Namespace, cfg: Config, prefix: str = "") -> int:
    from mailer.site.publish import publish

    store = open_store(cfg)
    try:
        report = publish(cfg, store, _now(args, cfg))
    except OSError as exc:
        raise CliError(f"publish: cannot write the site to {cfg.site.output}: {exc.strerror or exc}") from None
    finally:
        store.close()
    state = "updated" if report.changed else "unchanged"
    print(f"{prefix}{report.output}: {state} ({len(report.files)} files)")
    return EXIT_OK


def _publish_umbrella(args: argparse.Namespace, path: Path, configs: list[Config]) -> int:
    from mailer.config.umbrella import load_umbrella
    from mailer.supervisor import publish_umbrella_now

    try:
        umbrella = load_umbrella(path)
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    try:
        changed = publish_umbrella_now(umbrella, configs, now_of(args) if getattr(args, "now", None)
                                       else datetime.now(UTC))
    except (TraffpunktError, OSError) as exc:
        print(f"traffpunkt: umbrella page: {exc}", file=sys.stderr)
        return EXIT_FAIL
    print(f"umbrella {umbrella.name}: {umbrella.output}: {'updated' if changed else 'unchanged'}")
    return EXIT_OK


def _now(args: argparse.Namespace, cfg: Config) -> datetime:
    """--now, an offset-less time read in this network's zone."""
    if getattr(args, "now", None):
        return now_of(argparse.Namespace(now=args.now, config=[str(cfg.path)]))
    return datetime.now(UTC)
