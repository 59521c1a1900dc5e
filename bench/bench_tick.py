"""Tick benchmark (run by hand): the daemon's tick when nothing is due, at N members, side by side with
baselines measured in the same run.

    .venv/bin/python bench/bench_tick.py --members 10000

Sets up the example network with N members in a SQLite file, queues the invitations (and later the
reminders) the way the daemon does and marks them sent, 40% answering yes and 20% no. Then, after the
invitations and again after the reminders, it times (median of --repeat):

- `tick`: `Service.tick` with nothing due (plan, send, an empty Maildir inbox, digest, site);
- `plan`: the planner alone, asking SQLite who is due (what the tick does);
- `plan_whole_state`: the same plan over every member and every invitation read into memory (how the planner
  worked before: it streamed all members once per kind of mail);
- `count_members`: the bare `SELECT count(*) FROM members`, and `count_active` the same `WHERE status =
  'active'` (one pass over the member rows: what streaming the members once costs SQLite at least).

Target: tick <= 0.1 s at 10,000 members. The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer.config import Config, load_config  # noqa: E402
from mailer.meeting.planner import invitation_due, plan, reminder_due  # noqa: E402
from mailer.meeting.schedule import next_occurrence  # noqa: E402
from mailer.models import PlannerState  # noqa: E402
from mailer.outbound.transport import MemoryTransport  # noqa: E402
from mailer.service import Service, build_inbox  # noqa: E402
from mailer.state.store import Store  # noqa: E402


def whole_state(store: Store, since: date) -> PlannerState:
    """Every active member and every invitation, reminder and answer in memory (the planner's old input)."""
    meetings = store.meetings(since)
    invited: dict[int, dict[int, int]] = defaultdict(dict)
    reminded: dict[int, set[int]] = defaultdict(set)
    cancelled: dict[int, set[int]] = defaultdict(set)
    answers: dict[int, dict[int, str]] = defaultdict(dict)
    for m in meetings.values():
        for row in store.db.execute("SELECT member_id, kind, max(sequence) FROM outbox WHERE meeting_id = ? AND "
                                    "status != 'dropped' GROUP BY member_id, kind", [m.id]).fetchall():
            member_id, kind, seq = row
            if kind in ("invitation", "update"):
                invited[m.id][member_id] = max(seq, invited[m.id].get(member_id, -1))
            elif kind == "reminder":
                reminded[m.id].add(member_id)
            elif kind == "cancellation":
                cancelled[m.id].add(member_id)
        for member_id, answer in store.db.execute("SELECT member_id, answer FROM rsvps WHERE meeting_id = ?",
                                                  [m.id]).fetchall():
            answers[m.id][member_id] = answer
    keys = frozenset(r[0] for r in store.db.execute(
        "SELECT key FROM outbox WHERE kind IN ('agenda', 'catering', 'thanks')").fetchall())

    class Stream:  # streamed afresh per kind of mail, as the store used to
        def __iter__(self) -> Any:
            return store.members_in_batches("active")

    return PlannerState(meetings=meetings, members=Stream(), invited=invited, answers=answers,
                        reminded={k: frozenset(v) for k, v in reminded.items()},
                        cancelled_to={k: frozenset(v) for k, v in cancelled.items()}, queued_keys=keys,
                        absent=store.absent([m.id for m in meetings.values()]))


def median_of(repeat: int, fn: Callable[[], Any]) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def setup(workdir: Path, members: int) -> tuple[Config, Store, date]:
    example = load_config(ROOT / "config" / "network.example.toml")
    config = replace(example, database=workdir / "bench.db", site=replace(example.site, output=workdir / "site"),
                     mail=replace(example.mail, outbox_maildir=workdir / "outbox", inbox_maildir=workdir / "inbox"))
    store = Store.open(config.database)
    tz = config.network.tz
    occ = next_occurrence(config.meetings, tz, datetime(2026, 10, 20, tzinfo=tz))
    assert occ is not None
    joined = invitation_due(config.meetings, occ.date, tz) - timedelta(days=30)
    with store.write():
        store.db.conn.executemany(
            "INSERT INTO members (name, address, language, status, joined) VALUES (?, ?, 'sv', 'active', ?)",
            [(f"Medlem {i}", f"medlem{i}@bench.example", joined.isoformat()) for i in range(1, members + 1)])
    return config, store, occ.date


def queue_and_mark_sent(service: Service, now: datetime) -> dict[str, int]:
    report = service.queue(now)
    with service.store.write():
        service.store.db.execute("UPDATE outbox SET status = 'sent', sent_at = ? WHERE status = 'queued'",
                                 [now.isoformat()])
    return report.queued


def measure(service: Service, store: Store, config: Config, now: datetime, repeat: int) -> dict[str, float]:
    since = now.astimezone(config.network.tz).date() - timedelta(days=3)
    ticks = iter(range(1, 10_000))

    def tick() -> None:
        report = asyncio.run(service.tick(now + timedelta(minutes=next(ticks))))
        assert not report.queued and not report.sent, report.summary()

    def new_plan() -> None:
        assert plan(now, config, store.planner_state(since)) == []

    def old_plan() -> None:
        assert plan(now, config, whole_state(store, since)) == []

    tick()  # the first publishes the site; the rest have nothing to do
    return {"tick": median_of(repeat, tick), "plan": median_of(repeat, new_plan),
            "plan_whole_state": median_of(max(3, repeat // 3), old_plan),
            "count_members": median_of(repeat, lambda: store.db.execute("SELECT count(*) FROM members").fetchone()),
            "count_active": median_of(repeat, lambda: store.db.execute(
                "SELECT count(*) FROM members WHERE status = 'active'").fetchone())}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--repeat", type=int, default=9, help="ticks per figure; the median is reported (9)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-tick-") as tmp:
        config, store, day = setup(Path(tmp), args.members)
        tz = config.network.tz
        clock_now = [invitation_due(config.meetings, day, tz)]
        service = Service(config, store, transport=MemoryTransport(), inbox=build_inbox(config, store),
                          clock=lambda: clock_now[0])
        results: dict[str, Any] = {"members": args.members, "repeat": args.repeat}
        for name, at in (("after_invitations", invitation_due(config.meetings, day, tz)),
                         ("after_reminders", reminder_due(config.meetings, day, tz))):
            clock_now[0] = at
            queued = queue_and_mark_sent(service, at)
            if name == "after_invitations":  # 40% yes, 20% no; the rest have not answered
                meeting = store.meeting_on(day)
                assert meeting is not None
                with store.write():
                    store.db.conn.executemany(
                        "INSERT INTO rsvps (meeting_id, member_id, answer, updated_at) VALUES (?, ?, ?, ?)",
                        [(meeting.id, i, "yes" if i % 5 < 2 else "no", at.isoformat())
                         for i in range(1, args.members + 1) if i % 5 < 3])
            figures = measure(service, store, config, at + timedelta(hours=1), args.repeat)
            results[name] = {"queued": queued, **{k: round(v, 5) for k, v in figures.items()}}
            print(f"{name}: queued {queued}; tick with nothing due {figures['tick'] * 1000:.1f} ms, "
                  f"plan {figures['plan'] * 1000:.1f} ms, plan over the whole state "
                  f"{figures['plan_whole_state'] * 1000:.1f} ms, SELECT count(*) FROM members "
                  f"{figures['count_members'] * 1000:.2f} ms, ... WHERE status = 'active' "
                  f"{figures['count_active'] * 1000:.2f} ms")
        asyncio.run(service.aclose())
        store.close()
    worst = max(results["after_invitations"]["tick"], results["after_reminders"]["tick"])
    results["tick_ok"] = worst <= 0.1
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
