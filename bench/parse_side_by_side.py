"""Interleaved timing of `parse_reply` and the bare stdlib parse on bench_parse.py's replies (one message each
in turn, so both see the same machine load); prints the rate ratio. `python bench/parse_side_by_side.py`."""

from __future__ import annotations

import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_parse import bare_stdlib, make_reply  # noqa: E402

from parsers import parse_reply  # noqa: E402


def main() -> int:
    rng = random.Random(20261124)
    raws = [make_reply(i, rng) for i in range(2000)]
    for raw in raws[:50]:
        parse_reply(raw)
        bare_stdlib(raw)
    stdlib = ours = 0.0
    for _round in range(3):
        for raw in raws:
            a = time.perf_counter()
            bare_stdlib(raw)
            b = time.perf_counter()
            parse_reply(raw)
            c = time.perf_counter()
            stdlib += b - a
            ours += c - b
    n = 3 * len(raws)
    print(f"stdlib {stdlib / n * 1e6:.0f} us/msg, parse_reply {ours / n * 1e6:.0f} us/msg, "
          f"ratio (ours/stdlib rate) {stdlib / ours:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
