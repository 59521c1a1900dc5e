"""Fuzz `parse_reply` with mutated real mail; run by hand, not in CI.

Run: `python bench/fuzz_parse.py [--n 1000000] [--workers 2] [--limit 100000] [--seed 1]`.
Seeds: tests/data/*.eml, every file of the shared corpora ($TRAFFPUNKT_CORPORA, default ../shared/corpora;
bare reply texts get a header) and the mails the daemon sends and reads in `traffpunkt demo`. Mutations
(tests/parsers/_hostile.py): byte flips, line duplication, splicing, header-line injection, big repeats.
Reports uncaught exceptions (must be 0), internal errors caught by parse_reply's last resort (should be 0),
the slowest input (target < 100 ms up to 100 KB; written to --out) and time(2n)/time(n) per pathological
family (target < 3).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import traceback
from collections import Counter
from multiprocessing import Pool
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "parsers"))

from _hostile import FAMILIES, mutate  # noqa: E402 - after the path set-up above

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


def seeds() -> list[bytes]:
    """Every seed mail as raw bytes."""
    found = [p.read_bytes() for p in sorted((ROOT / "tests" / "data").glob("*.eml"))]
    corpora = _corpora()
    if corpora.is_dir():
        for path in sorted(corpora.rglob("*")):
            if not path.is_file() or path.name in ("LICENSE", "SOURCE.md", "README.md", ".gitattributes"):
                continue
            data = path.read_bytes()
            found.append(data if b"\nFrom:" in data[:4000] or data.startswith(b"From") else BARE_HEAD + data)
    found += _demo_mails()
    return found


_SEEDS: list[bytes] = []


def _init(seed_mails: list[bytes]) -> None:
    _SEEDS[:] = seed_mails


def _run_chunk(args: tuple[int, int, int]) -> dict[str, object]:
    """Parse `count` mutated inputs from random seed `seed`; the statistics of the chunk."""
    seed, count, limit = args
    rng = random.Random(seed)
    uncaught: list[str] = []
    internal: Counter[str] = Counter()
    slowest = (0.0, b"")
    slowest_small = (0.0, b"")
    for _ in range(count):
        raw = mutate(rng.choice(_SEEDS), rng.choice(_SEEDS), rng, limit)[: 4 * limit]
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
        if seconds > slowest[0]:
            slowest = (seconds, raw)
        if len(raw) <= 100_000 and seconds > slowest_small[0]:
            slowest_small = (seconds, raw)
    return {"uncaught": uncaught, "internal": internal, "slowest": slowest, "slowest_small": slowest_small}


def _median_cpu(raw: bytes, runs: int = 3) -> float:
    times = []
    for _ in range(runs):
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="mutated inputs to parse")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--limit", type=int, default=100_000, help="largest repeat a mutation adds (bytes)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=ROOT / "var" / "fuzz", help="where the slowest input goes")
    args = parser.parse_args(argv)
    mails = seeds()
    print(f"{len(mails)} seed mails; {args.n} mutated inputs on {args.workers} workers")
    chunk = 500
    jobs = [(args.seed * 1_000_003 + i, min(chunk, args.n - i * chunk), args.limit)
            for i in range((args.n + chunk - 1) // chunk)]  # fmt: skip
    uncaught: list[str] = []
    internal: Counter[str] = Counter()
    slowest = (0.0, b"")
    slowest_small = (0.0, b"")
    started = time.perf_counter()
    with Pool(args.workers, initializer=_init, initargs=(mails,)) as pool:
        for done, result in enumerate(pool.imap_unordered(_run_chunk, jobs), start=1):
            uncaught += result["uncaught"]  # type: ignore[arg-type]
            internal.update(result["internal"])  # type: ignore[arg-type]
            slowest = max(slowest, result["slowest"], key=lambda s: s[0])  # type: ignore[arg-type]
            slowest_small = max(slowest_small, result["slowest_small"], key=lambda s: s[0])  # type: ignore[arg-type]
            if done % 20 == 0:
                print(f"  {done * chunk} inputs, {time.perf_counter() - started:.0f} s", flush=True)
    wall = time.perf_counter() - started
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "slowest.eml").write_bytes(slowest[1])
    (args.out / "slowest_under_100k.eml").write_bytes(slowest_small[1])
    print(f"\nparsed {args.n} inputs in {wall:.0f} s wall ({args.n / wall:.0f}/s)")
    print(f"uncaught exceptions: {len(uncaught)}")
    for text in uncaught[:3]:
        print(text)
    print(f"internal errors (caught as 'parser error'/'unreadable message'): {sum(internal.values())}")
    for reason, count in internal.most_common(5):
        print(f"  {count} x {reason}")
    print(f"slowest input: {slowest[0] * 1000:.1f} ms CPU, {len(slowest[1])} bytes ({args.out / 'slowest.eml'})")
    print(f"slowest input up to 100 KB: {slowest_small[0] * 1000:.1f} ms CPU, {len(slowest_small[1])} bytes")
    print("\ntime(2n)/time(n) per pathological family (median of 3, CPU):")
    for name, n, small, large in doubling():
        ratio = large / max(small, 1e-4)
        print(f"  {name:18} n={n:<7} {small * 1000:8.1f} ms  2n {large * 1000:8.1f} ms  ratio {ratio:.2f}")
    return 1 if uncaught else 0


if __name__ == "__main__":
    raise SystemExit(main())
