"""Dump what a rule reader reads from each dev text (as JSON lines), for bench/train_reply_model.py.

    cd /work/wt-reader && .venv/bin/python /work/wt-model/bench/reply_rules_dump.py > /tmp/rules-dev.jsonl

Runs the `parsers` of the current directory (the reader under test) on the dev part only.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path.cwd()))
sys.path.insert(0, str(Path.cwd() / "tests" / "parsers"))

from reply_corpus import grade, load  # noqa: E402


def main() -> int:
    for case in load("dev"):
        g = grade(case)
        print(json.dumps({
            "id": case.id, "lang": case.lang, "body": g.reply.body, "subject": g.reply.subject,
            "rsvp": g.reply.rsvp, "rsvp_unsure": "rsvp" in g.asked,
            "other_wrong": [n for n in g.wrong if n != "rsvp"],
            "other_asked": [n for n in g.asked if n != "rsvp"],
        }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
