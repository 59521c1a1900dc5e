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

from parsers import learned  # noqa: E402


def _no_model(name: str = learned.MODEL_FILE) -> learned.Model:
    raise OSError("the rules alone: the models' second opinion is what is being trained")


def main() -> int:
    learned._model = _no_model  # type: ignore[assignment]  # what the rules read, without any model
    for case in load("dev"):
        g = grade(case)
        print(json.dumps({
            "id": case.id, "lang": case.lang, "body": g.reply.body, "subject": g.reply.subject,
            "rsvp": g.reply.rsvp, "rsvp_unsure": "rsvp" in g.asked,
            "other_wrong": [n for n in g.wrong if n != "rsvp"],
            "other_asked": [n for n in g.asked if n != "rsvp"],
            "wrong": list(g.wrong), "asked": list(g.asked), "guests": g.reply.guests,
            "dietary": bool(g.reply.dietary), "command": g.reply.command if g.reply.command in ("join", "leave")
            else None, "question": g.reply.question, "topics": len(g.reply.topics),
        }, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
