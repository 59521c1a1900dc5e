"""Fan-out matrix (run by hand): bench_fanout.py per (members, connections, round) in a subprocess, each
result saved as it comes (rerun to resume: cells done are skipped), then medians as a markdown table + JSON.

    .venv/bin/python bench/fanout_matrix.py --members 10000 100000 --connections 1 2 4 --rounds 3

Rounds are the outer loop, so an interrupted matrix has every cell at least once before any third round.
Each size's set-up database is built once (per version of mailer/, templates/ and config/) in
`<results>.setup/` and copied for later runs.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
COLUMNS = [  # (JSON field, column title)
    ("smtp_source_msg_s", "smtp-source msg/s"),
    ("prebuilt_msg_s", "pre-built msg/s"),
    ("end_to_end_msg_s", "end to end msg/s"),
    ("ratio", "ratio e2e / pre-built"),
    ("end_to_end_sender_cpu_ms", "sender CPU ms/msg e2e"),
    ("prebuilt_sender_cpu_ms", "sender CPU ms/msg pre-built"),
    ("smtp_source_sender_cpu_ms", "smtp-source CPU ms/msg"),
    ("end_to_end_sink_cpu_ms", "sink CPU ms/msg e2e"),
    ("peak_rss_mb", "peak RSS MB"),
]


def load(path: Path) -> dict[str, Any]:
    if path.exists():
        data: dict[str, Any] = json.loads(path.read_text())
        return data
    return {"runs": []}


def save(path: Path, data: dict[str, Any]) -> None:
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(data, indent=1) + "\n")
    tmp.replace(path)  # a run interrupted while saving keeps the previous file


def run_cell(members: int, connections: int, sink: str, cache: Path, extra: list[str]) -> dict[str, Any]:
    cmd = [sys.executable, str(HERE / "bench_fanout.py"), "--members", str(members), "--connections",
           str(connections), "--sink", sink, "--setup-cache", str(cache), *extra]
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    result: dict[str, Any] = {}
    if lines and lines[-1].startswith("{"):
        result = json.loads(lines[-1])
    return {"returncode": proc.returncode, "wall_seconds": round(time.perf_counter() - t, 1), "result": result,
            "output": lines[:-1] if result else lines[-30:], "stderr": proc.stderr[-3000:]}


def done(data: dict[str, Any], members: int, connections: int, round_: int, sink: str) -> bool:
    return any(r["members"] == members and r["connections"] == connections and r["round"] == round_
               and r["sink"] == sink and r["returncode"] == 0 and r["result"].get("checked_ok")
               for r in data["runs"])


def medians(data: dict[str, Any], sink: str) -> list[dict[str, Any]]:
    cells: dict[tuple[int, int], list[dict[str, Any]]] = {}
    for r in data["runs"]:
        if r["sink"] == sink and r["returncode"] == 0 and r["result"].get("checked_ok"):
            cells.setdefault((r["members"], r["connections"]), []).append(r["result"])
    rows = []
    for (members, connections), results in sorted(cells.items()):
        row: dict[str, Any] = {"members": members, "connections": connections, "rounds": len(results),
                               "checked": f"{sum(x['checked'] for x in results):,} of "
                                          f"{sum(x['members'] for x in results):,} OK",
                               "commits": sorted({x.get("commit", "?") for x in results}),
                               "load": [x.get("load_start") for x in results]}
        for key, _ in COLUMNS:
            values = [x[key] for x in results if x.get(key) is not None]
            row[key] = statistics.median(values) if values else None
            row[key + "_all"] = values
        rows.append(row)
    return rows


def markdown(rows: list[dict[str, Any]]) -> str:
    head = ["members", "connections", *(title for _, title in COLUMNS), "checked", "rounds"]
    out = ["| " + " | ".join(head) + " |", "|" + "--:|" * (len(head) - 2) + "---|--:|"]
    for row in rows:
        cells = [f"{row['members']:,}", str(row["connections"])]
        for key, _ in COLUMNS:
            v = row[key]
            cells.append("—" if v is None else f"{v:,.0f}" if key.endswith("msg_s") else
                         f"{v:.0f}" if key == "peak_rss_mb" else f"{v:.2f}")
        cells += [row["checked"], str(row["rounds"])]
        out.append("| " + " | ".join(cells) + " |")
    return "\n".join(out)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--connections", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--sink", choices=["smtp-sink", "aiosmtpd"],
                    default="smtp-sink" if os.path.exists("/usr/sbin/smtp-sink") else "aiosmtpd")
    ap.add_argument("--results", type=Path, default=Path("fanout-matrix.json"),
                    help="results file, written after every run and read to resume (default ./fanout-matrix.json)")
    ap.add_argument("--table-only", action="store_true", help="print the table of what the file holds; run nothing")
    args, extra = ap.parse_known_args()  # anything else goes to bench_fanout.py (e.g. --synchronous normal)
    data = load(args.results)
    cache = args.results.with_name(args.results.name + ".setup")
    cells = [(round_, m, c) for round_ in range(1, args.rounds + 1) for m in args.members for c in args.connections]
    failures = 0
    for round_, members, connections in ([] if args.table_only else cells):
        if done(data, members, connections, round_, args.sink):
            print(f"skip {members:,} members x {connections} connections, round {round_}: done", file=sys.stderr)
            continue
        print(f"run {members:,} members x {connections} connections, round {round_} ...", file=sys.stderr, flush=True)
        run = run_cell(members, connections, args.sink, cache, extra)
        data["runs"] = [r for r in data["runs"] if not (r["members"] == members and r["connections"] == connections
                                                         and r["round"] == round_ and r["sink"] == args.sink)]
        data["runs"].append({"members": members, "connections": connections, "round": round_, "sink": args.sink,
                             **run})
        save(args.results, data)
        res = run["result"]
        if run["returncode"] != 0 or not res.get("checked_ok"):
            failures += 1
            print(f"  FAILED (exit {run['returncode']}): {run['stderr'][-800:]}", file=sys.stderr)
        else:
            print(f"  e2e {res['end_to_end_msg_s']} msg/s, pre-built {res['prebuilt_msg_s']}, smtp-source "
                  f"{res['smtp_source_msg_s']}, ratio {res['ratio']}, {run['wall_seconds']} s", file=sys.stderr)
    rows = medians(data, args.sink)
    print(f"Sink {args.sink}; medians of the rounds; results in {args.results}\n")
    print(markdown(rows))
    print()
    print(json.dumps({"sink": args.sink, "cells": rows}))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
