"""Every input the parse benchmarks know (the fuzzer's seeds and the rendered reply corpus), parsed once for
a before/after comparison of what is read, or timed one by one for the slowest inputs.

    python bench/parse_corpus.py dump OUT.jsonl          # one JSON object per input (no demo mail): every field
    python bench/parse_corpus.py diff A.jsonl B.jsonl    # the inputs whose readings differ, field by field
    python bench/parse_corpus.py slowest [--repeat 5] [--top 10]   # CPU time per input, median of --repeat
"""

from __future__ import annotations

import argparse
import gc
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "parsers"))

from fuzz_parse import named_seeds  # noqa: E402 - after the path set-up above
from reply_corpus import load, render  # noqa: E402

from parsers import parse_reply  # noqa: E402


def inputs(demo: bool = True) -> list[tuple[str, bytes]]:
    """(name, raw mail) of every seed and every rendered dev and test reply, in a fixed order (`demo=False`:
    without the demo's mails, whose tokens differ from run to run)."""
    found = named_seeds(demo)
    found += [(case.id, render(case)) for part in ("dev", "test") for case in load(part)]
    return found


def reading(raw: bytes) -> dict[str, Any]:
    """Everything parse_reply returns, JSON-serialisable (the `parse --json` fields, the text and trace)."""
    reply = parse_reply(raw)
    data = reply.to_json_dict()
    data["text"] = reply.text
    data["trace"] = [list(pair) for pair in reply.trace]
    data["bounce_proof"] = repr(reply.bounce_proof)
    data["speakers"] = list(reply.speakers)
    return data


def dump(out: Path) -> None:
    with out.open("w", encoding="utf-8") as handle:
        for name, raw in inputs(demo=False):
            handle.write(json.dumps({"input": name} | reading(raw), ensure_ascii=False, sort_keys=True) + "\n")


def diff(a: Path, b: Path) -> int:
    left = [json.loads(line) for line in a.read_text(encoding="utf-8").splitlines()]
    right = [json.loads(line) for line in b.read_text(encoding="utf-8").splitlines()]
    if len(left) != len(right):
        print(f"{len(left)} against {len(right)} inputs")
    differing = 0
    for x, y in zip(left, right, strict=False):
        fields = sorted(k for k in set(x) | set(y) if x.get(k) != y.get(k))
        if fields:
            differing += 1
            print(f"{x['input']}: " + "; ".join(f"{k}: {str(x.get(k))[:120]!r} -> {str(y.get(k))[:120]!r}"
                                                for k in fields))
    print(f"{differing} of {len(left)} inputs read differently")
    return 1 if differing else 0


def slowest(repeat: int, top: int) -> None:
    timed = []
    every = inputs()
    # The inputs held here (thousands of mails) are no part of one parse's cost; without the freeze the
    # cyclic collector's full passes over them land on whichever parse triggers them (20-30 ms each).
    gc.collect()
    gc.freeze()
    for name, raw in every:
        runs = []
        for _ in range(repeat):
            start = time.process_time()
            parse_reply(raw)
            runs.append(time.process_time() - start)
        timed.append((statistics.median(runs), min(runs), name, len(raw)))
    timed.sort(reverse=True)
    print(f"{len(timed)} inputs; median input {statistics.median(t[0] for t in timed) * 1e3:.2f} ms CPU")
    for median, least, name, size in timed[:top]:
        print(f"{median * 1e3:7.2f} ms (min {least * 1e3:.2f})  {size:7d} B  {name}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("dump").add_argument("out", type=Path)
    compare = commands.add_parser("diff")
    compare.add_argument("a", type=Path)
    compare.add_argument("b", type=Path)
    timing = commands.add_parser("slowest")
    timing.add_argument("--repeat", type=int, default=5)
    timing.add_argument("--top", type=int, default=10)
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out)
    elif args.command == "diff":
        return diff(args.a, args.b)
    else:
        slowest(args.repeat, args.top)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
