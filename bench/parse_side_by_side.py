"""Interleaved timing of `parse_reply` and the bare stdlib parse on bench_parse.py's replies (one message each
in turn, so both see the same machine load); prints the rate ratio per round and the median of 3, by wall
clock and by CPU time (on a shared machine the CPU figure leaves out the time either was not running).

    python bench/parse_side_by_side.py [--count 2000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_parse import bare_stdlib, make_reply  # noqa: E402

from parsers import parse_reply  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = random.Random(20261124)
    raws = [make_reply(i, rng) for i in range(args.count)]
    for raw in raws[:50]:
        parse_reply(raw)
        bare_stdlib(raw)
    wall_ratios, cpu_ratios = [], []
    for n in range(1, args.rounds + 1):
        wall = [0.0, 0.0]
        cpu = [0.0, 0.0]
        for raw in raws:
            a, ca = time.perf_counter(), time.process_time()
            bare_stdlib(raw)
            b, cb = time.perf_counter(), time.process_time()
            parse_reply(raw)
            c, cc = time.perf_counter(), time.process_time()
            wall[0] += b - a
            wall[1] += c - b
            cpu[0] += cb - ca
            cpu[1] += cc - cb
        wall_ratios.append(wall[0] / wall[1])
        cpu_ratios.append(cpu[0] / cpu[1])
        print(f"round {n}: wall stdlib {wall[0] / len(raws) * 1e6:.0f} us/msg, parse_reply "
              f"{wall[1] / len(raws) * 1e6:.0f} us/msg, ratio {wall_ratios[-1]:.2f}; CPU stdlib "
              f"{cpu[0] / len(raws) * 1e6:.0f}, parse_reply {cpu[1] / len(raws) * 1e6:.0f}, ratio {cpu_ratios[-1]:.2f}")
    print(f"ratio (ours/stdlib rate), median of {args.rounds}: wall {statistics.median(wall_ratios):.2f}, "
          f"CPU {statistics.median(cpu_ratios):.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
