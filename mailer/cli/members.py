"""`traffpunkt members list | add | remove | import`: the member list, with each member's status."""

from __future__ import annotations

import argparse
import sys
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.cli.common import EXIT_FAIL, EXIT_OK, CliError, common_options, load, open_store
from mailer.cli.members_csv import UnreadableCsv, import_members

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers
    from mailer.state.store import Store

#: How `members list` names a member's state: `bouncing` members get no mail until they are re-added.
STATUS_NAMES = {"active": "active", "left": "left", "bouncing": "bouncing"}


def register(sub: SubParsers) -> None:
    sp = sub.add_parser("members", help="List, add, remove or import members.",
                        description="List, add, remove or import members.")
    common_options(sp)
    msub = sp.add_subparsers(dest="action", required=True, metavar="ACTION")
    ml = msub.add_parser("list", help="list members with their status",
                         description="List members with their status: active, or bouncing (their mail is "
                                     "refused; they get none until re-added). --all includes those who left.")
    ml.add_argument("--all", action="store_true", help="include members who left")
    ma = msub.add_parser("add", help="add a member", description="Add a member (or re-activate one who left).")
    ma.add_argument("address")
    ma.add_argument("--name", default="")
    ma.add_argument("--organisation")
    ma.add_argument("--language", choices=["sv", "fi", "en"])
    mr = msub.add_parser("remove", help="remove a member", description="Mark a member as left; history is kept.")
    mr.add_argument("address")
    mi = msub.add_parser("import", help="import a CSV",
                         description="Import members from a CSV with a header row: name,address,organisation,"
                                     "language (commas, semicolons or tabs). Exits 1 when rows were skipped.")
    mi.add_argument("file", nargs="?", help="CSV file (default: members.import_csv from the config)")
    for s in (ml, ma, mr, mi):
        common_options(s, show=False)
    sp.set_defaults(func=cmd_members)


def cmd_members(args: argparse.Namespace) -> int:
    cfg = load(args)
    store = open_store(cfg)
    now = datetime.now(UTC)
    try:
        if args.action == "list":
            return _list(store, args.all)
        if args.action == "add":
            return _add(store, args, cfg.network.language, now)
        if args.action == "remove":
            removed = store.remove_member(args.address, now)
            if removed is None:
                raise CliError(f"no active member with address {args.address}")
            print(f"removed {removed.address} (kept in the history as 'left')")
            return EXIT_OK
        path = Path(args.file) if args.file else cfg.members_csv
        if path is None:
            raise CliError("members import: give FILE.csv or set members.import_csv in the config")
        try:
            report = import_members(store, path, cfg.network.language, now)
        except UnreadableCsv as exc:
            raise CliError(str(exc)) from None
        for problem in report.problems:
            print(problem, file=sys.stderr)
        print(report.summary())
        return EXIT_FAIL if report.skipped else EXIT_OK
    finally:
        store.close()


def _list(store: Store, everyone: bool) -> int:
    rows = [m for m in store.members(None) if everyone or m.status != "left"]
    for m in rows:
        org = f", {m.organisation}" if m.organisation else ""
        status = STATUS_NAMES.get(m.status, m.status)
        print(f"{m.id:>5}  {status:<8} {m.language}  {m.name} <{m.address}>{org}")
    counts = Counter(m.status for m in rows)
    detail = ", ".join(f"{n} {STATUS_NAMES.get(s, s)}" for s, n in sorted(counts.items()))
    print(f"{len(rows)} member(s)" + (f": {detail}" if detail else ""))
    return EXIT_OK


def _add(store: Store, args: argparse.Namespace, default_language: str, now: datetime) -> int:
    from mailer.addresses import InvalidAddress, check

    try:
        address = check(args.address.strip())
    except InvalidAddress as exc:
        raise CliError(f"members add: expected an e-mail address, got {args.address!r}: {exc}") from None
    if any(not ch.isprintable() for ch in args.name or ""):
        raise CliError(f"members add: the name {args.name!r} contains control characters")
    member, created = store.add_member(address, args.name or "", args.language or default_language, now,
                                       args.organisation)
    print(("added" if created else "already a member:") + f" {member.name} <{member.address}>")
    return EXIT_OK

