"""Benchmark: what the parse worker costs per message, and what one big reply costs the real daemon.

Run: `python bench/bench_parse_worker.py [--count N] [--big-mb 20]`.

1. Overhead: the project's own test replies (tests/data/*.eml) parsed N times in-process with `parse_reply`
   and N times through a `ParseWorker` (bytes over a socket pair, the ParsedReply pickled back); prints
   the median per message of each and the difference (the worker's overhead), and the worker's start time.
2. Big reply: `traffpunkt run --once` as a subprocess on a Maildir holding one plain reply of `--big-mb` MB,
   once with the default `mail.max_message_bytes` (10 MB: quarantined unread) and once with a limit above
   its size (parsed in the worker, bounded by `mail.parse_deadline_seconds`). Prints wall time, the
   daemon's peak RSS (VmHWM of that process alone) and the worker's, and what became of the message.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer.inbound.parse_worker import ParseWorker  # noqa: E402 - after the path set-up above
from parsers import parse_reply  # noqa: E402


def overhead(count: int) -> None:
    raws = [p.read_bytes() for p in sorted((ROOT / "tests" / "data").glob("*.eml"))]
    worker = ParseWorker(10.0, memory_limit=1_100_000_000)
    t = time.perf_counter()
    worker.parse(raws[0])
    start_s = time.perf_counter() - t
    inproc: list[float] = []
    viaworker: list[float] = []
    for n in range(count):
        raw = raws[n % len(raws)]
        t = time.perf_counter()
        parse_reply(raw)
        inproc.append(time.perf_counter() - t)
        t = time.perf_counter()
        worker.parse(raw)
        viaworker.append(time.perf_counter() - t)
    worker.close()
    a, b = statistics.median(inproc) * 1000, statistics.median(viaworker) * 1000
    size = statistics.median(len(r) for r in raws) / 1000
    print(f"{count} parses of {len(raws)} test replies (median {size:.1f} kB): in-process {a:.3f} ms, "
          f"via the worker {b:.3f} ms, overhead {b - a:.3f} ms per message; worker start {start_s * 1000:.0f} ms")


CONFIG = """
[network]
name = "Bench"
language = "sv"
timezone = "Europe/Helsinki"
list_address = "natverk@example.org"
memo_address = "memo@example.org"
coordinators = ["koordinator@example.org"]

[meetings]
rrule = "FREQ=MONTHLY;BYDAY=1TH"
first_date = "2026-01-01"
start_time = "17:00"
duration_minutes = 120
place = "Kulturhuset"

[mail]
transport = "maildir"
max_message_bytes = {limit}

[mail.maildir]
outbox = "{dir}/outbox"
inbox = "{dir}/inbox"

[storage]
database = "{dir}/tp.db"

[site]
output = "{dir}/site"
"""


def _peak_kb(pid: int) -> int:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except (FileNotFoundError, ProcessLookupError):
        pass
    return 0


def _children(pid: int) -> list[int]:
    """Child processes of any of the daemon's threads (the worker is started from the inbox's thread)."""
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.extend(int(p) for p in (task / "children").read_text().split())
        except (FileNotFoundError, ProcessLookupError):
            continue
    return found


def big_reply(megabytes: int, limit: int) -> None:
    import mailbox

    from mailer.state.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "network.toml").write_text(CONFIG.format(dir=tmp, limit=limit), encoding="utf-8")
        line = "Ja, jag kommer gärna och tar med en kollega. " * 2 + "\n"
        body = line * (megabytes * 1_000_000 // len(line.encode()))
        raw = ("From: Anna <anna@example.org>\nTo: natverk@example.org\nSubject: Re: Inbjudan\n"
               "Message-ID: <big@example.org>\nContent-Type: text/plain; charset=utf-8\n"
               "Content-Transfer-Encoding: 8bit\n\n" + body).encode()
        mailbox.Maildir(Path(tmp) / "inbox", create=True).add(raw)
        del body
        t = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-m", "mailer.cli", "run", "--once", "--config",
                                 f"{tmp}/network.toml", "--now", "2026-11-20T10:00+02:00"], cwd=ROOT,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        daemon = worker = 0
        while proc.poll() is None:
            daemon = max(daemon, _peak_kb(proc.pid))
            for child in _children(proc.pid):
                worker = max(worker, _peak_kb(child))
            time.sleep(0.01)
        elapsed = time.perf_counter() - t
        out, err = proc.communicate()
        store = Store.open(Path(tmp) / "tp.db")
        rows = store.inbound_rows()
        store.close()
        fate = f"{rows[0].status}: {rows[0].reason}" if rows else "not recorded"
        print(f"{len(raw) / 1e6:.1f} MB reply, mail.max_message_bytes {limit:,}: {elapsed:.2f} s wall, "
              f"daemon peak RSS {daemon / 1024:.0f} MB, worker peak RSS {worker / 1024:.0f} MB; {fate}"
              + (f"; exit {proc.returncode}: {err.decode()[-300:]}" if proc.returncode else ""))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--big-mb", type=int, default=20)
    args = parser.parse_args()
    overhead(args.count)
    big_reply(args.big_mb, 10_000_000)
    big_reply(args.big_mb, (args.big_mb + 5) * 1_000_000)


if __name__ == "__main__":
    main()
