"""Grade `parse_reply` on the reply-understanding corpus: right / asked / wrong per field and language.

    .venv/bin/python bench/reply_understanding.py test            # the figures of docs/reply-understanding.md
    .venv/bin/python bench/reply_understanding.py dev --failures  # what to work on
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "parsers"))

from reply_corpus import load, run, summary  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("dev", "test"), nargs="?", default="dev")
    parser.add_argument("--failures", action="store_true", help="list the wrong and asked texts")
    parser.add_argument("--lang", help="only this language")
    args = parser.parse_args()
    cases = [c for c in load(args.part) if not args.lang or c.lang == args.lang]
    print(summary(args.part, run(cases), args.failures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
