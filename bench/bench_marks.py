"""What a "sent" mark costs the drain (run by hand): N queued rows drained through a transport that only
waits `--latency-ms`, so the time left is the drain's own, mostly its marks. Compares source trees side by
side in one run (each round of each tree in its own process, alternating), e.g. this one and an older commit:

    git archive 6135d19 | tar -x -C /tmp/before
    .venv/bin/python bench/bench_marks.py --tree . --tree /tmp/before --rows 2000 --connections 2 --rounds 3

Prints per tree the medians of wall and CPU milliseconds per mark; the last line is one JSON object.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ONE = r'''
import asyncio, json, sys, tempfile, time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from mailer.config import Mail
from mailer.outbound.outbox import drain
from mailer.state.store import Store
rows, connections, latency = int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]) / 1000
T0 = datetime(2026, 11, 19, 9, 0, tzinfo=UTC)

@dataclass(frozen=True)
class Message:
    sender: str
    recipient: str
    data: bytes
    message_id: str

class Waiting:
    async def send(self, sender, recipient, data):
        await asyncio.sleep(latency)
    async def aclose(self):
        pass

with tempfile.TemporaryDirectory(prefix="traffpunkt-marks-") as d:
    store = Store.open(Path(d) / "traffpunkt.db")
    with store.write():
        for i in range(rows):
            store.enqueue(key=f"k{i}", kind="invitation", recipient=f"m{i}@example.org",
                          message_id=f"<{i}@example.org>", now=T0)
    mail = Mail(transport="smtp", from_address="a@example.org", outbox_maildir=Path("u"), inbox_maildir=Path("u"),
                smtp=None, imap=None, poll_seconds=60, max_attempts=4, retry_base_seconds=60)
    render = lambda row: Message("a@example.org", row.recipient, b"x", row.message_id)
    t, c = time.perf_counter(), time.process_time()
    report = asyncio.run(drain(store, render, Waiting(), lambda: T0, config=mail, concurrency=connections))
    wall, cpu = time.perf_counter() - t, time.process_time() - c
    assert report.sent == rows and store.outbox_counts() == {"sent": rows}
    store.close()
print(json.dumps({"wall_ms": 1000 * wall / rows, "cpu_ms": 1000 * cpu / rows}))
'''


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tree", action="append", type=Path, help="a source tree to measure (repeatable; default .)")
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--connections", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--latency-ms", type=float, default=0.0, help="the transport's wait per message (0)")
    args = ap.parse_args()
    trees = [t.resolve() for t in (args.tree or [Path(__file__).resolve().parent.parent])]
    results: dict[str, list[dict[str, float]]] = {str(t): [] for t in trees}
    for _ in range(args.rounds):
        for tree in trees:
            out = subprocess.run([sys.executable, "-c", ONE, str(tree), str(args.rows), str(args.connections),
                                  str(args.latency_ms)], capture_output=True, text=True, check=True, cwd=tree)
            results[str(tree)].append(json.loads(out.stdout.strip().splitlines()[-1]))
    summary = {}
    for tree, runs in results.items():
        wall = statistics.median(r["wall_ms"] for r in runs)
        cpu = statistics.median(r["cpu_ms"] for r in runs)
        summary[tree] = {"wall_ms_per_mark": round(wall, 3), "cpu_ms_per_mark": round(cpu, 3)}
        print(f"{tree}: {wall:.2f} ms wall, {cpu:.3f} ms CPU per message ({args.rows} rows, "
              f"{args.connections} connections, transport wait {args.latency_ms:g} ms, median of {len(runs)})")
    print(json.dumps({"rows": args.rows, "connections": args.connections, "latency_ms": args.latency_ms,
                      "trees": summary}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
