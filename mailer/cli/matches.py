"""`traffpunkt matches [--meeting DATE]`: which member's need another member's offer might meet."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mailer.cli.common import EXIT_OK, common_options, load, meeting_for, now_of, open_store

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    help_ = "Print the needs of a meeting paired with other members' offers (across sv, fi and en)."
    sp = sub.add_parser("matches", help=help_, description=help_)
    common_options(sp)
    sp.add_argument("--meeting", metavar="DATE", help="the meeting's date YYYY-MM-DD (default: the next)")
    sp.add_argument("--now", metavar="ISO", help=argparse.SUPPRESS)
    sp.set_defaults(func=cmd_matches)


def _who(name: str, organisation: str | None) -> str:
    return f"{name or '?'}" + (f" ({organisation})" if organisation else "")


def cmd_matches(args: argparse.Namespace) -> int:
    from mailer.outbound.matches import meeting_matches

    cfg = load(args)
    store = open_store(cfg)
    try:
        meeting = meeting_for(cfg, store, args.meeting, now_of(args))
        pairs = meeting_matches(store, meeting) if meeting.id else []
        print(f"{meeting.date.isoformat()}: {len(pairs)} need(s) met by an offer")
        for m in pairs:
            print(f"- {_who(m['need_name'], m['need_organisation'])} needs: {m['need']}")
            print(f"  {_who(m['offer_name'], m['offer_organisation'])} offers: {m['offer']}"
                  f"  [{', '.join(m['shared'])}]")
    finally:
        store.close()
    return EXIT_OK
