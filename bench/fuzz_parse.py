"""Fuzz `parse_reply` with mutated real mail; run by hand, not in CI.

Run: `python bench/fuzz_parse.py [--n 1000000] [--workers 1] [--limit 100000] [--seed 1]`;
`--families` prints only the time(2n)/time(n) table. Every `--every` seconds the counts so far, the slowest
inputs and the exceptions are written to `<out>/partial.json` (and the slowest inputs to `<out>/`), so a run
that is stopped (Ctrl-C, SIGTERM) still reports what it did.
Seeds: tests/data/*.eml, every file of the shared corpora ($TRAFFPUNKT_CORPORA, default ../shared/corpora;
bare reply texts get a header) and the mails the daemon sends and reads in `traffpunkt demo`. Mutations
(tests/parsers/_hostile.py): byte flips, line duplication, splicing, header-line injection, big repeats.
Reports uncaught exceptions (must be 0), internal errors caught by parse_reply's last resort (should be 0),
the slowest input (target < 100 ms up to 100 KB; written to --out) and time(2n)/time(n) per pathological
family (target < 3).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import re
import signal
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import dataclass
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "parsers"))

from _hostile import FAMILIES, mutate  # noqa: E402 - after the path set-up above

from mailer.inbound.parse_worker import WARM_UP_MAIL  # noqa: E402
from parsers import parse_reply  # noqa: E402

BARE_HEAD = b"From: Anna <anna@example.fi>\r\nTo: natverk@example.org\r\nSubject: Re: Inbjudan\r\n\r\n"


def _corpora() -> Path:
    return Path(os.environ.get("TRAFFPUNKT_CORPORA", ROOT.parent / "shared" / "corpora"))


def _demo_mails() -> list[bytes]:
    """The invitations, reminders, answers and bounces of one demo cycle (empty if the demo cannot run)."""
    try:
        from mailer.cli.demo import run_demo
    except ImportError:
        return []
    with tempfile.TemporaryDirectory() as folder:
        try:
            run_demo(Path(folder), print_fn=lambda *_args: None)
        except Exception as exc:  # noqa: BLE001 - the fuzzer still runs on the other seeds
            print(f"(demo mails left out: {type(exc).__name__}: {exc})", file=sys.stderr)
            return []
        files = [p for p in Path(folder).rglob("*") if p.is_file() and p.parent.name in ("new", "cur")]
        return [p.read_bytes() for p in sorted(files)]


def named_seeds(demo: bool = True) -> list[tuple[str, bytes]]:
    """Every seed mail as (where it comes from, raw bytes); `demo=False` leaves out the demo's mails (their
    tokens and Message-IDs differ from run to run)."""
    found = [(str(p.relative_to(ROOT)), p.read_bytes()) for p in sorted((ROOT / "tests" / "data").glob("*.eml"))]
    corpora = _corpora()
    if corpora.is_dir():
        for path in sorted(corpora.rglob("*")):
            if not path.is_file() or path.name in ("LICENSE", "SOURCE.md", "README.md", ".gitattributes"):
                continue
            data = path.read_bytes()
            wrapped = data if b"\nFrom:" in data[:4000] or data.startswith(b"From") else BARE_HEAD + data
            found.append((f"corpora/{path.relative_to(corpora)}", wrapped))
    found += [(f"demo/{n:03d}", raw) for n, raw in enumerate(_demo_mails() if demo else [])]
    return found


def seeds() -> list[bytes]:
    """Every seed mail as raw bytes."""
    return [raw for _name, raw in named_seeds()]


_SEEDS: list[bytes] = []


def _init(seed_mails: list[bytes]) -> None:
    _SEEDS[:] = seed_mails
    parse_reply(WARM_UP_MAIL)  # as the daemon's parse worker starts: warmed up, its heap frozen
    gc.freeze()


#: Inputs of a chunk slower than this (CPU) are kept, and re-timed at the end (median of 5).
KEEP_SLOW = 5


@dataclass
class Chunk:
    """The statistics of one chunk of inputs."""

    count: int
    uncaught: list[str]
    internal: Counter[str]
    slow: list[tuple[float, bytes]]  # the KEEP_SLOW slowest, any size
    slow_small: list[tuple[float, bytes]]  # the KEEP_SLOW slowest up to 100 KB
    over_100ms: int  # inputs up to 100 KB over 100 ms


def _run_chunk(args: tuple[int, int, int]) -> Chunk:
    """Parse `count` mutated inputs from random seed `seed`; the statistics of the chunk."""
    seed, count, limit = args
    rng = random.Random(seed)
    uncaught: list[str] = []
    internal: Counter[str] = Counter()
    slow: list[tuple[float, bytes]] = []
    slow_small: list[tuple[float, bytes]] = []
    over = 0
    for _ in range(count):
        raw = mutate(rng.choice(_SEEDS), rng.choice(_SEEDS), rng, limit)[: 4 * limit]
        re.purge()  # each input as a first sight: no regex compiled for it by an earlier input or run
        start = time.process_time()
        try:
            reply = parse_reply(raw)
        except Exception:  # noqa: BLE001 - counting them is the point
            uncaught.append(traceback.format_exc(limit=3))
            continue
        seconds = time.process_time() - start
        reason = reply.reason or ""
        if reason.startswith(("parser error", "unreadable message")):
            internal[reason[:120]] += 1
        _keep(slow, seconds, raw)
        if len(raw) <= 100_000:
            _keep(slow_small, seconds, raw)
            over += seconds > 0.1
    return Chunk(count, uncaught, internal, slow, slow_small, over)


def _keep(kept: list[tuple[float, bytes]], seconds: float, raw: bytes) -> None:
    if len(kept) < KEEP_SLOW or seconds > kept[-1][0]:
        kept.append((seconds, raw))
        kept.sort(key=lambda s: -s[0])
        del kept[KEEP_SLOW:]


class Totals:
    """What the run found so far; written to partial.json and printed at the end."""

    def __init__(self, planned: int) -> None:
        self.planned = planned
        self.done = 0
        self.uncaught: list[str] = []
        self.internal: Counter[str] = Counter()
        self.slow: list[tuple[float, bytes]] = []
        self.slow_small: list[tuple[float, bytes]] = []
        self.over_100ms = 0
        self.started = time.perf_counter()

    def add(self, result: Chunk) -> None:
        self.done += result.count
        self.uncaught += result.uncaught
        self.internal.update(result.internal)
        self.over_100ms += result.over_100ms
        for seconds, raw in result.slow:
            _keep(self.slow, seconds, raw)
        for seconds, raw in result.slow_small:
            _keep(self.slow_small, seconds, raw)

    def write(self, out: Path, final: bool) -> None:
        """partial.json and the slowest inputs, replaced atomically."""
        out.mkdir(parents=True, exist_ok=True)
        for name, kept in (("slowest.eml", self.slow), ("slowest_under_100k.eml", self.slow_small)):
            if kept:
                _replace(out / name, kept[0][1])
        for rank, (_seconds, raw) in enumerate(self.slow_small, 1):  # all kept, to profile while it runs
            _replace(out / f"slow_under_100k_{rank}.eml", raw)
        wall = time.perf_counter() - self.started
        data = {
            "final": final, "planned": self.planned, "done": self.done, "wall_seconds": round(wall, 1),
            "inputs_per_second": round(self.done / wall, 1) if wall else None,
            "uncaught": len(self.uncaught), "uncaught_samples": self.uncaught[:3],
            "internal_errors": sum(self.internal.values()), "internal_top": self.internal.most_common(5),
            "slowest_ms": [(round(s * 1000, 1), len(r)) for s, r in self.slow],
            "slowest_under_100k_ms": [(round(s * 1000, 1), len(r)) for s, r in self.slow_small],
            "under_100k_over_100ms": self.over_100ms,
        }  # fmt: skip
        _replace(out / "partial.json", json.dumps(data, indent=1).encode())


def _replace(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _median_cpu(raw: bytes, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
        re.purge()  # a re-run must not find the patterns the first run compiled (a MIME boundary's, say)
        start = time.process_time()
        parse_reply(raw)
        times.append(time.process_time() - start)
    return statistics.median(times)


def doubling() -> list[tuple[str, int, float, float]]:
    """(family, n, time(n), time(2n)) for each pathological family, at a measurable n."""
    rows = []
    for family in FAMILIES:
        n = family.timing_n
        small = _median_cpu(family.build(n))
        while small < 0.01 and n < 8 * family.timing_n:
            n *= 2
            small = _median_cpu(family.build(n))
        rows.append((family.name, n, small, _median_cpu(family.build(2 * n))))
    return rows


def _print_families() -> None:
    print("time(2n)/time(n) per pathological family (median of 3, CPU):")
    for name, n, small, large in doubling():
        ratio = large / max(small, 1e-4)
        print(f"  {name:18} n={n:<7} {small * 1000:8.1f} ms  2n {large * 1000:8.1f} ms  ratio {ratio:.2f}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="mutated inputs to parse")
    parser.add_argument("--workers", type=int, default=1, help="processes (the machine is shared: 1)")
    parser.add_argument("--limit", type=int, default=100_000, help="largest repeat a mutation adds (bytes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "fuzz", help="where the slowest input goes")
    parser.add_argument("--every", type=float, default=60.0, help="seconds between partial.json writes")
    parser.add_argument("--families", action="store_true", help="only the time(2n)/time(n) table")
    args = parser.parse_args(argv)
    if args.families:
        _print_families()
        return 0
    mails = seeds()
    print(f"{len(mails)} seed mails; {args.n} mutated inputs on {args.workers} workers", flush=True)
    chunk = 500
    jobs = [(args.seed * 1_000_003 + i, min(chunk, args.n - i * chunk), args.limit)
            for i in range((args.n + chunk - 1) // chunk)]  # fmt: skip
    totals = Totals(args.n)
    signal.signal(signal.SIGTERM, _stop)
    written = time.perf_counter()
    stopped = False
    try:
        with Pool(args.workers, initializer=_init, initargs=(mails,)) as pool:
            for result in pool.imap_unordered(_run_chunk, jobs):
                totals.add(result)
                if time.perf_counter() - written >= args.every:
                    totals.write(args.out, final=False)
                    written = time.perf_counter()
                    print(f"  {totals.done} inputs, {written - totals.started:.0f} s", flush=True)
    except KeyboardInterrupt:
        stopped = True
        print("\nstopped: reporting the inputs done so far", flush=True)
    totals.write(args.out, final=not stopped)
    _report(totals, args.out)
    if not stopped:
        print()
        _print_families()
    return 1 if totals.uncaught else 0


def _stop(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def _report(totals: Totals, out: Path) -> None:
    wall = time.perf_counter() - totals.started
    print(f"\nparsed {totals.done} of {totals.planned} inputs in {wall:.0f} s wall ({totals.done / wall:.0f}/s)")
    print(f"uncaught exceptions: {len(totals.uncaught)}")
    for text in totals.uncaught[:3]:
        print(text)
    print(f"internal errors (caught as 'parser error'/'unreadable message'): {sum(totals.internal.values())}")
    for reason, count in totals.internal.most_common(5):
        print(f"  {count} x {reason}")
    if totals.slow:
        seconds, raw = totals.slow[0]
        print(f"slowest input: {seconds * 1000:.1f} ms CPU, {len(raw)} bytes ({out / 'slowest.eml'})")
    if totals.slow_small:
        again = max((_median_cpu(raw, 5), len(raw)) for _s, raw in totals.slow_small)
        seconds, raw = totals.slow_small[0]
        print(f"slowest input up to 100 KB: {seconds * 1000:.1f} ms CPU, {len(raw)} bytes; re-timed, the slowest "
              f"{KEEP_SLOW} take at most {again[0] * 1000:.1f} ms ({again[1]} bytes; median of 5)")
    print(f"inputs up to 100 KB over 100 ms: {totals.over_100ms}")


if __name__ == "__main__":
    raise SystemExit(main())
