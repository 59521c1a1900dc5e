"""Calibrate when the learned models make the reader ask: a small grid on the held 30% of dev, models fitted on 70%.

Needs scikit-learn (as bench/train_reply_model.py); reads the rules-alone dump and the dev labels only:

    .venv/bin/python bench/reply_rules_dump.py > /tmp/rules-dev.jsonl
    /tmp/trainenv/bin/python bench/reply_policy_grid.py /tmp/rules-dev.jsonl            # the grid
    /tmp/trainenv/bin/python bench/reply_policy_grid.py /tmp/rules-dev.jsonl --shipped  # learned.py's policy

Each held text's reading is replayed through the same rules as parsers/learned.review_reading (what the
rules read and whether they were unsure is in the dump), so a policy is judged in milliseconds; the whole
reader (bench/reply_dev_split.py held --models DIR) gives the same figures for the chosen one.
"""

from __future__ import annotations

import argparse
import itertools
import json
import sys
from collections import Counter
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import train_reply_model as trm  # noqa: E402

learned = trm.learned
ASKABLE = ("rsvp", "guests", "dietary", "command")  # the fields the daemon can ask a member about


def _labels() -> dict[str, dict[str, Any]]:
    labels: dict[str, dict[str, Any]] = {}
    for path in sorted(trm.DEV.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                labels[item["id"]] = item
    return labels


def _fit(rows: list[dict[str, Any]], labels: dict[str, dict[str, Any]], field: str, c: float) -> Any:
    trm.CLASSES = trm.FIELDS[field][0]
    tune = [r for r in rows if not trm.held_back(r["id"])]
    data = trm.train([r["body"] for r in tune], [trm.FIELDS[field][1](labels[r["id"]]) for r in tune], c, 10**9, 2)
    return learned.Model(data)


def _top(p: dict[str, float]) -> tuple[str, float]:
    best = max(p, key=lambda k: p[k])
    return best, p[best]


def replay(row: dict[str, Any], label: dict[str, Any], p: dict[str, dict[str, float]], pol: dict[str, float]) -> str:
    """"right", "asked" or "wrong" for one held text under policy `pol` (as learned.review_reading reads).

    A key "<name>@<lang>" overrides "<name>" for texts read in that language."""
    pol = {**pol, **{k.split("@")[0]: v for k, v in pol.items() if k.endswith("@" + row["lang"])}}
    asked, wrong = set(row["asked"]), set(row["wrong"])
    rule = row["rsvp"] or "none"
    best, conf = _top(p["rsvp"])
    if best == rule:
        unsure = row["rsvp_unsure"] and conf <= pol["settle"]
    else:
        unsure = row["rsvp_unsure"] or conf > pol["rsvp"]
    unsure = unsure or p["rsvp"][rule] < pol["confirm"]  # the model hardly believes the rules' reading
    # "resolve": the model's answer is taken where the rules, unsure, read none; "resolve_read": also
    # against an answer the rules read and doubted (learned.resolve does the first only)
    resolve = pol.get("resolve", 2.0) if rule == "none" else pol.get("resolve_read", 2.0)
    taken = row["rsvp_unsure"] and best != rule and best in learned.RESOLVED and conf > resolve
    if taken:  # the rules could not settle it, the model is very sure of another answer: it stands
        unsure, rule = False, best
        if best == "no":  # a "no" brings nobody: the guests read go
            asked.discard("guests")
            wrong.discard("guests")
            if int(label.get("guests", 0)):
                wrong.add("guests")
    if unsure:
        asked.add("rsvp")
        wrong.discard("rsvp")
    elif row["rsvp_unsure"]:  # settled: the rules' (or the model's) reading stands, right or wrong
        asked.discard("rsvp")
        if rule != (label.get("rsvp") or "none"):
            wrong.add("rsvp")
    checks = (("guests", learned.guest_class(int(row["guests"])), row["rsvp"] != "no"),
              ("dietary", "some" if row["dietary"] else "none", True),
              ("command", row["command"] or "none", row["command"] in ("join", "leave")))
    for field, rule_class, applies in checks:
        if field in p and applies and field not in asked:
            best, conf = _top(p[field])
            if (best != rule_class and conf > pol[field]) or p[field][rule_class] < pol.get(field + "_confirm", 0.0):
                asked.add(field)
                wrong.discard(field)
    return "wrong" if wrong else "asked" if asked else "right"


def judge(held: list[tuple[dict[str, Any], dict[str, Any], dict[str, dict[str, float]]]],
          pol: dict[str, float]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {"all": Counter()}
    for row, label, p in held:
        verdict = replay(row, label, p, pol)
        out["all"][verdict] += 1
        out.setdefault(row["lang"], Counter())[verdict] += 1
    return out


def _cell(c: Counter[str]) -> str:
    n = sum(c.values()) or 1
    return f"{c['right'] / n:6.1%} {c['asked'] / n:5.1%} {c['wrong'] / n:5.1%}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dump", type=Path)
    parser.add_argument("--C", type=float, default=20.0)
    parser.add_argument("--fields", default="rsvp,guests,command,dietary")
    parser.add_argument("--max-asked", type=float, default=0.09, help="the held asked rate a policy may reach")
    parser.add_argument("--shipped", action="store_true", help="only learned.py's thresholds")
    parser.add_argument("--per-language", help="vary the thresholds of this language's texts only")
    args = parser.parse_args()
    labels = _labels()
    rows = [json.loads(line) for line in args.dump.read_text(encoding="utf-8").splitlines()]
    fields = args.fields.split(",")
    models = {f: _fit(rows, labels, f, args.C) for f in fields}
    held = [(r, labels[r["id"]], {f: m.probabilities(r["body"]) for f, m in models.items()})
            for r in rows if trm.held_back(r["id"])]
    shipped = {"rsvp": learned.ASK_ABOVE, "settle": learned.SETTLE_ABOVE, "confirm": learned.CONFIRM_BELOW,
               "resolve": learned.RESOLVE_ABOVE, "resolve_read": 2.0,
               "guests": learned.FIELD_ASK_ABOVE["guests"], "command": learned.FIELD_ASK_ABOVE["command"],
               "dietary": 2.0}
    print(f"{len(held)} held texts, models on the tune 70% (C={args.C}); right / asked / wrong")
    print(f"{'policy':60} {'en':^18} {'fi':^18} {'sv':^18} {'all':^18}")

    def show(name: str, res: dict[str, Counter[str]]) -> None:
        print(f"{name:60} " + " ".join(_cell(res[k]) for k in ("en", "fi", "sv", "all")))

    show("shipped " + json.dumps(shipped), judge(held, shipped))
    if args.shipped:
        return 0
    grid: dict[str, tuple[float, ...]] = {
        "rsvp": (0.85, 0.9), "settle": (0.6, 0.7), "confirm": (0.0, 0.05, 0.1, 0.15),
        "resolve": (0.6, 0.7, 0.8, 0.9, 2.0), "resolve_read": (2.0,), "guests": (0.7, 0.8, 0.9, 0.95),
        "guests_confirm": (0.0, 0.05, 0.1),
        "command": (0.7,), "dietary": (2.0,)}
    if args.per_language:  # the shipped policy, with the thresholds of one language's texts varied
        grid = {k: (v,) for k, v in shipped.items()}
        for key, values in (("rsvp", (0.7, 0.8, 0.9)), ("confirm", (0.1, 0.2, 0.3)), ("guests", (0.5, 0.6, 0.7, 0.8)),
                            ("guests_confirm", (0.0, 0.1, 0.2)), ("command", (0.5, 0.7))):
            grid[f"{key}@{args.per_language}"] = values
    results = []
    for values in itertools.product(*grid.values()):
        pol = dict(zip(grid, values, strict=True))
        res = judge(held, pol)
        n = sum(res["all"].values())
        if res["all"]["asked"] / n <= args.max_asked:
            results.append((res["all"]["wrong"] - 0.0 * res["all"]["asked"], -res["all"]["right"], pol, res))
    results.sort(key=lambda t: (t[0], t[1]))
    for _w, _r, pol, res in results[:15]:
        show(json.dumps(pol), res)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
