"""Render benchmark (run by hand): CPU ms per invitation, rendered in full per member vs. rendered once and
personalised, side by side in one run over the same outbox rows.

    .venv/bin/python bench/bench_render.py --members 2000

Members get names in three languages, most with non-ASCII letters, some with `<>&"'` and some very long.
Both composers render every row (the personalising one first warms its forms on the first rows, as in a
drain); the run fails (exit 1) unless every message is byte for byte the same from both. The last line is
one JSON object: members, kind, full_ms_per_msg, personalised_ms_per_msg, speedup, identical.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

FIRST = ["Åsa", "Päivi", "Jörg", "Anna", "Zoë", "Øystein", "Émilie", "Ahti", 'Bo "B&B"', "<Kim>"]
LAST = ["Järvinen-Öberg", "Hämäläinen", "O'Brien", "Smith", "Ångström", "Grönroos" * 12]
LANGS = ["sv", "fi", "en"]


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=2000)
    ap.add_argument("--rounds", type=int, default=3, help="interleaved rounds; the median is printed (3)")
    ap.add_argument("--kind", default="invitation", choices=["invitation", "reminder", "memo", "thanks"])
    args = ap.parse_args()

    from mailer.config import load_config
    from mailer.models import MeetingChange, Occurrence
    from mailer.outbound import tokens
    from mailer.outbound.compose import Composer, make_message_id
    from mailer.state.store import Store

    config = load_config(ROOT / "config" / "network.example.toml")
    tz = ZoneInfo(config.network.timezone)
    now = datetime(2026, 11, 19, 9, 0, tzinfo=tz)
    store = Store.memory()
    start = datetime(2026, 12, 3, 17, 0, tzinfo=tz)
    occ = Occurrence(date=date(2026, 12, 3), start=start, end=start + timedelta(hours=2), place="Caisa",
                     address="Kajsaniemigatan 4, Helsingfors", theme="Hur går vi vidare 2027?",
                     guest_speaker="Maria Lind", cancelled=False)
    secret = b"bench-secret"
    context: dict[str, object] = {}
    if args.kind == "memo":
        context = {"notes": "Vi bestämde att pröva en gemensam kalender.\n\n- Ärende ett\n- Ärende två"}
    with store.write():
        meeting = store.apply_meeting_change(MeetingChange(occ, 0, "m:0"), config.network.domain, now)
        for i in range(1, args.members + 1):
            name = f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"
            member, _ = store.add_member(f"member{i}@bench.example", name, LANGS[i % 3], now)
            key = f"{args.kind}:{meeting.id}:{member.id}"
            mid = make_message_id(tokens.make(secret, member.id, meeting.id), args.kind, key, config.network.domain)
            store.enqueue(key=key, kind=args.kind, recipient=member.address, message_id=mid, now=now,
                          member_id=member.id, meeting_id=meeting.id, sequence=0, context=context)
    rows = store.outbox_rows(limit=args.members + 1)
    results: dict[str, list[bytes]] = {}
    cpu: dict[str, list[float]] = {"full": [], "personalised": []}
    filled = 0
    for _ in range(args.rounds):  # interleaved, so both see the same load on a shared machine
        for label, flag in (("full", False), ("personalised", True)):
            composer = Composer(config, store, secret, clock=lambda: now, personalise=flag)
            composer.render(rows[0])  # templates loaded and skeletons built outside the measurement
            t = time.process_time()
            results[label] = [composer.render(row).data for row in rows]
            cpu[label].append((time.process_time() - t) * 1000 / len(rows))
            filled = composer.personalised() if flag else filled
    ms = {label: statistics.median(times) for label, times in cpu.items()}
    identical = results["full"] == results["personalised"]
    print(f"{'':22}{'full':>10}{'personalised':>14}")
    print(f"{'ms/msg (CPU, median)':22}{ms['full']:>10.3f}{ms['personalised']:>14.3f}")
    print(json.dumps({"members": len(rows), "kind": args.kind, "full_ms_per_msg": round(ms["full"], 3),
                      "personalised_ms_per_msg": round(ms["personalised"], 3),
                      "speedup": round(ms["full"] / ms["personalised"], 2), "identical": identical,
                      "personalised_share": round(filled / len(rows), 3),
                      "at": datetime.now(UTC).isoformat(timespec="seconds")}))
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
