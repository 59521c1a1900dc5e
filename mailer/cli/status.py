"""`traffpunkt status`: the next meetings, who has answered what, and the state of the outbox."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from babel.dates import format_datetime

from mailer.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, common_options, config_paths, load, now_of, open_store
from mailer.config import Config
from mailer.errors import TraffpunktError
from mailer.state.store import Store

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    help_ = "Show the next meetings, who answered what, and the outbox."
    sp = sub.add_parser("status", help=help_, description=help_)
    common_options(sp)
    sp.add_argument("--now", metavar="ISO", help=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_status)


def cmd_status(args: argparse.Namespace) -> int:
    """One network's status; with several, one block per network under a line naming it and its file (an
    invalid file or a database that cannot be read is said in its block: exit 2 or 1, the others shown)."""
    from mailer.config.networks import discover, load_networks

    paths = config_paths(getattr(args, "config", None))
    if len(paths) == 1 and not paths[0].is_dir():
        cfg = load(args)
        store = open_store(cfg)
        try:
            print(render_status(cfg, store, now_of(args)))
        finally:
            store.close()
        return EXIT_OK
    code = EXIT_OK
    for i, item in enumerate(load_networks(discover(paths).networks)):
        print(("\n" if i else "") + f"==> {item.path} <==")
        if item.config is None:
            print("  invalid config, not running:")
            print("\n".join(f"  {p}" for p in item.problems))
            code = EXIT_USAGE
            continue
        try:
            store = open_store(item.config)
        except TraffpunktError as exc:
            print(f"  database unavailable: {exc}")
            code = code or EXIT_FAIL
            continue
        try:
            print(render_status(item.config, store, _now(args, item.config)))
        finally:
            store.close()
    return code


def _now(args: argparse.Namespace, cfg: Config) -> datetime:
    """--now, an offset-less time read in this network's zone."""
    if getattr(args, "now", None):
        parsed = now_of(argparse.Namespace(now=args.now, config=[str(cfg.path)]))
        return parsed
    return now_of(args)


def render_status(config: Config, store: Store, now: datetime, meetings_shown: int = 3) -> str:
    """A plain-text report for the admin's terminal."""
    tz = config.network.tz
    lines = [f"{config.network.name} — {store.count_members()} active members"]
    today = now.astimezone(tz).date()
    upcoming = list(store.meetings(today - timedelta(days=1)).values())[:meetings_shown]
    if not upcoming:
        lines.append("No meetings planned yet (they appear when their invitation is due).")
    for m in upcoming:
        when = format_datetime(m.start.astimezone(tz), "EEEE d.M.yyyy HH:mm", locale=config.network.locale)
        state = "CANCELLED" if m.cancelled else f"sequence {m.sequence}"
        lines.append("")
        lines.append(f"{m.date}  {when}  {m.place}  ({state})")
        rsvps = store.rsvps(m.id)
        counts = Counter(r["answer"] for r in rsvps)
        guests = sum(r["guests"] for r in rsvps if r["answer"] == "yes")
        lines.append(f"  answers: {counts.get('yes', 0)} yes (+{guests} guests), {counts.get('maybe', 0)} maybe, "
                     f"{counts.get('no', 0)} no")
        for r in rsvps:
            extra = f" +{r['guests']}" if r["guests"] else ""
            diet = f" — {r['dietary']}" if r["dietary"] else ""
            lines.append(f"    {r['answer']:<5}{extra:<4} {r['name'] or r['address']}{diet}")
    outbox = store.outbox_counts()
    lines.append("")
    lines.append("Outbox: " + (", ".join(f"{n} {s}" for s, n in sorted(outbox.items())) or "empty"))
    from mailer.oauth.notice import status_lines

    lines.extend(status_lines(config))
    server_state = store.setting("service_state")
    if server_state:
        lines.append("Waiting for a server (the daemon retries with backoff):")
        lines.extend(f"  {line}" for line in server_state.splitlines())
    queued = outbox.get("queued", 0)
    for row in store.outbox_rows("queued", limit=10):
        why = f" — waiting: {row.last_error}" if row.last_error else ""
        lines.append(f"  queued {row.kind} to {row.recipient} (attempt {row.attempts + 1}, next try "
                     f"{_when(row.next_attempt_at, config)}){why}")
    if queued > 10:
        lines.append(f"  ... and {queued - 10} more queued")
    failed = outbox.get("failed", 0)
    if failed:
        lines.append(f"Failed: {failed} (newest first{', the 10 newest shown' if failed > 10 else ''}):")
    for row in store.outbox_rows("failed", limit=10, newest_first=True):
        lines.append(f"  FAILED {row.kind} to {row.recipient!r}: {row.last_error}")
    return "\n".join(lines)


def _when(iso: str, config: Config) -> str:
    try:
        return datetime.fromisoformat(iso).astimezone(config.network.tz).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso
