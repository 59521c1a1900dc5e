"""Grade the reader on the dev part split by id hash: 70% to tune on, 30% held back (checked now and then).

    .venv/bin/python bench/reply_dev_split.py tune --failures
    .venv/bin/python bench/reply_dev_split.py held --models /tmp/tune-models   # models fitted on tune only

The shipped models are trained on the whole dev part, so `held` with them flatters the models; fit them on
the tune part (bench/train_reply_model.py fit DUMP --field F --tune-only --out DIR) and pass `--models DIR`.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "parsers"))

from reply_corpus import Case, load, run, summary  # noqa: E402


def held_back(case: Case) -> bool:
    """True for the ~30% of dev cases kept apart from tuning (fixed by the id's hash)."""
    return int(hashlib.sha256(("split:" + case.id).encode()).hexdigest(), 16) % 10 < 3


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("part", choices=("tune", "held", "all"))
    parser.add_argument("--failures", action="store_true")
    parser.add_argument("--lang")
    parser.add_argument("--models", type=Path, help="read the learned models from this folder instead")
    args = parser.parse_args()
    if args.models:
        from functools import cache

        from parsers import learned

        folder: Path = args.models
        learned._model = cache(lambda name=learned.MODEL_FILE: learned.load((folder / name).read_bytes()))
    cases = [c for c in load("dev") if (not args.lang or c.lang == args.lang)
             and (args.part == "all" or held_back(c) == (args.part == "held"))]
    print(summary(f"dev/{args.part}", run(cases), args.failures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
