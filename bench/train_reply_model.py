"""Train, judge and ship the reply models (parsers/model/<field>.json.gz: rsvp, guests, command); dev only.

Needs scikit-learn and numpy at training time only (not project dependencies), e.g. in a throwaway venv:

    python3 -m venv /tmp/trainenv && /tmp/trainenv/bin/pip install scikit-learn numpy
    # what the rules alone read from each dev text (its body after quote stripping), no model involved:
    .venv/bin/python bench/reply_rules_dump.py > /tmp/rules-dev.jsonl
    /tmp/trainenv/bin/python bench/train_reply_model.py held /tmp/rules-dev.jsonl --field guests  # policies
    /tmp/trainenv/bin/python bench/train_reply_model.py cv /tmp/rules-dev.jsonl --field rsvp      # 5-fold
    /tmp/trainenv/bin/python bench/train_reply_model.py fit /tmp/rules-dev.jsonl --field rsvp     # ships it
    # models fitted on the tune 70% only, to grade the whole reader on the held 30% honestly:
    /tmp/trainenv/bin/python bench/train_reply_model.py fit /tmp/rules-dev.jsonl --field rsvp --tune-only \
        --out /tmp/tune-models && .venv/bin/python bench/reply_dev_split.py held --models /tmp/tune-models

`held` fits on the tune 70% of dev (bench/reply_dev_split.py's split) and reports the policies on the held
30%; `cv` folds the whole dev part by text id. Never reads tests/data/replies/test/.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import importlib.util
import json
import sys
from collections import Counter, defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse import csr_matrix
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedKFold

ROOT = Path(__file__).resolve().parents[1]
DEV = ROOT / "tests" / "data" / "replies" / "dev"
MODELS = ROOT / "parsers" / "model"


def _learned() -> Any:
    """parsers/learned.py by path, so training needs none of the project's dependencies."""
    spec = importlib.util.spec_from_file_location("learned", ROOT / "parsers" / "learned.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules["learned"] = module
    spec.loader.exec_module(module)
    return module


learned = _learned()
CLASSES = list(learned.ANSWERS)

# Per field: the classes a model chooses from, the class of a dev label, the class of what the rules read.
FIELDS: dict[str, tuple[list[str], Callable[[dict[str, Any]], str], Callable[[dict[str, Any]], str]]] = {
    "rsvp": (list(learned.ANSWERS), lambda x: x["rsvp"] or "none", lambda r: r["rsvp"] or "none"),
    "guests": (list(learned.GUEST_CLASSES), lambda x: learned.guest_class(int(x["guests"])),
               lambda r: learned.guest_class(int(r["guests"]))),
    "dietary": (["none", "some"], lambda x: "some" if x["dietary"] else "none",
                lambda r: "some" if r["dietary"] else "none"),
    "command": (["none", "join", "leave"], lambda x: x["command"] or "none", lambda r: r["command"] or "none"),
}


def held_back(case_id: str) -> bool:
    """The ~30% of dev that bench/reply_dev_split.py holds back (same hash of the id)."""
    return int(hashlib.sha256(("split:" + case_id).encode()).hexdigest(), 16) % 10 < 3


def load(dump: Path, field: str = "rsvp") -> list[dict[str, Any]]:
    """Dev cases with their label, joined to what the reader read (body, rsvp, unsure, other fields)."""
    labels: dict[str, dict[str, Any]] = {}
    for path in sorted(DEV.glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                item = json.loads(line)
                labels[item["id"]] = item
    rows = []
    for line in dump.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        item = labels[row["id"]]
        row["label"] = FIELDS[field][1](item)
        row["rule"] = FIELDS[field][2](row)
        row["field"] = field
        row["rule_unsure"] = field in row.get("asked", ["rsvp"] if row["rsvp_unsure"] else [])
        row["text"] = item["text"]
        rows.append(row)
    assert len(rows) == len(labels), "the dump must cover every dev text"
    return rows


def matrix(texts: list[str], vocab: dict[str, int] | None) -> tuple[csr_matrix, dict[str, int]]:
    """Binary features scaled to unit length, exactly as parsers/learned.py computes them."""
    grow = vocab is None
    vocab = {} if vocab is None else vocab
    indptr, indices, data = [0], [], []
    for text in texts:
        found = learned.features(text)
        norm = 1.0 / np.sqrt(len(found)) if found else 0.0
        for name in found:
            index = vocab.get(name)
            if index is None and grow:
                index = vocab[name] = len(vocab)
            if index is not None:
                indices.append(index)
                data.append(norm)
        indptr.append(len(indices))
    return csr_matrix((data, indices, indptr), shape=(len(texts), len(vocab))), vocab


def train(texts: list[str], labels: list[str], c: float, keep: int, min_df: int) -> dict[str, Any]:
    """Fit one model; the classes are those of CLASSES (set per field by main)."""
    """Fit, then keep the `keep` features with the largest weight; returns the model as learned.py loads it."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(learned.features(text))
    vocab = {name: i for i, name in enumerate(n for n, k in counts.items() if k >= min_df)}
    x, _ = matrix(texts, vocab)
    y = np.array([CLASSES.index(label) for label in labels])
    clf = LogisticRegression(C=c, max_iter=1000, tol=1e-3, class_weight="balanced")
    clf.fit(x, y)
    coef = clf.coef_  # (classes, features); one row for two classes: P(second) = sigmoid(row)
    intercept = clf.intercept_
    if coef.shape[0] == 1:
        coef, intercept = np.vstack([-coef / 2, coef / 2]), np.array([-intercept[0] / 2, intercept[0] / 2])
    strength = np.abs(coef).max(axis=0)
    order = np.argsort(-strength)[:keep]
    names = {i: n for n, i in vocab.items()}
    scale = float(np.abs(coef).max()) / 30000.0
    kept = [names[int(i)] for i in order]  # one flat list of scaled integers, a row of len(CLASSES) per name
    flat = [int(round(w / scale)) for i in order for w in coef[:, i]]
    return {"classes": CLASSES, "bias": [float(b) for b in intercept], "scale": scale, "names": kept, "flat": flat,
            "trained_on": f"dev part, {len(texts)} texts", "C": c, "min_df": min_df}


def out_of_fold(rows: list[dict[str, Any]], c: float, keep: int, min_df: int, folds: int) -> list[dict[str, float]]:
    """Each dev text's probabilities from a model trained on the other folds."""
    texts = [r["body"] for r in rows]
    labels = [r["label"] for r in rows]
    probs: list[dict[str, float]] = [{} for _ in rows]
    split = StratifiedKFold(n_splits=folds, shuffle=True, random_state=8)
    for train_idx, test_idx in split.split(texts, [f"{r['lang']}-{r['label']}" for r in rows]):
        model = learned.Model(train([texts[i] for i in train_idx], [labels[i] for i in train_idx], c, keep, min_df))
        for i in test_idx:
            probs[i] = model.probabilities(texts[i])
    return probs


# --- combination policies: (rule answer, rule unsure, probabilities) -> (answer, unsure) -----------------

Policy = Callable[[str | None, bool, dict[str, float]], tuple[str | None, bool]]


def _top(p: dict[str, float]) -> tuple[str | None, float]:
    best = max(p, key=lambda k: p[k])
    return (None if best == "none" else best), p[best]


def rules_only(rule: str | None, unsure: bool, p: dict[str, float]) -> tuple[str | None, bool]:
    return rule, unsure


def model_only(t: float) -> Policy:
    def policy(rule: str | None, unsure: bool, p: dict[str, float]) -> tuple[str | None, bool]:
        answer, conf = _top(p)
        return answer, conf < t
    return policy


def override(t: float) -> Policy:
    """(a) the rules' answer unless the model is confident (p > t) of another."""
    def policy(rule: str | None, unsure: bool, p: dict[str, float]) -> tuple[str | None, bool]:
        answer, conf = _top(p)
        if answer != rule and conf > t:
            return answer, False
        return rule, unsure
    return policy


def doubt(t_ask: float, t_take: float, t_resolve: float = 2.0) -> Policy:
    """(b) disagreement asks when the model's p > t_ask, takes the model's answer when p > t_take;
    a rule doubt is settled by the model when it agrees... or is very sure (p > t_resolve)."""
    def policy(rule: str | None, unsure: bool, p: dict[str, float]) -> tuple[str | None, bool]:
        answer, conf = _top(p)
        if unsure:
            return (answer, False) if conf > t_resolve else (rule, True)
        if answer == rule:
            return rule, False
        if conf > t_take:
            return answer, False
        return rule, conf > t_ask
    return policy


def fill(t: float) -> Policy:
    """(c) rules found no answer (and are not unsure) -> the model's, when p > t."""
    def policy(rule: str | None, unsure: bool, p: dict[str, float]) -> tuple[str | None, bool]:
        answer, conf = _top(p)
        if rule is None and not unsure and answer is not None and conf > t:
            return answer, False
        return rule, unsure
    return policy


def second_opinion(t_ask: float, t_settle: float) -> Policy:
    """(d) the rules' answer; a confident disagreement asks, a confident agreement settles a rule doubt."""
    def policy(rule: str | None, unsure: bool, p: dict[str, float]) -> tuple[str | None, bool]:
        return learned.combine(rule, unsure, p, ask_above=t_ask, settle_above=t_settle)  # type: ignore[no-any-return]
    return policy


def evaluate(rows: list[dict[str, Any]], probs: list[dict[str, float]], policy: Policy) -> dict[str, Counter[str]]:
    """rsvp and whole-text right / asked / wrong per language ("all" too) under `policy`."""
    out: dict[str, Counter[str]] = defaultdict(Counter)
    for row, p in zip(rows, probs, strict=True):
        rule = None if row["rule"] == "none" else row["rule"]
        answer, unsure = policy(rule, row["rule_unsure"], p)
        rsvp = "asked" if unsure else "right" if (answer or "none") == row["label"] else "wrong"
        others = [n for n in row["wrong"] if n != row["field"]], [n for n in row["asked"] if n != row["field"]]
        whole = ("wrong" if rsvp == "wrong" or others[0] else
                 "asked" if rsvp == "asked" or others[1] else "right")
        for lang in (row["lang"], "all"):
            out[f"rsvp {lang}"][rsvp] += 1
            out[f"text {lang}"][whole] += 1
    return out


def _cell(c: Counter[str]) -> str:
    n = sum(c.values()) or 1
    return f"{c['right'] / n:6.1%} {c['asked'] / n:5.1%} {c['wrong'] / n:5.1%}"


def report(rows: list[dict[str, Any]], probs: list[dict[str, float]], policies: dict[str, Policy]) -> None:
    langs = ["en", "fi", "sv", "all"]
    field = rows[0]["field"] if rows else ""
    print(f"{field} right / asked / wrong per language; last column: whole text (all fields) for all")
    print(f"{'policy':34} " + " ".join(f"{lang:^18}" for lang in langs) + f" {'whole text all':^18}")
    for name, policy in policies.items():
        res = evaluate(rows, probs, policy)
        print(f"{name:34} " + " ".join(_cell(res[f'rsvp {lang}']) for lang in langs) + " " + _cell(res["text all"]))


def policies() -> dict[str, Policy]:
    chosen: dict[str, Policy] = {"rules only": rules_only}
    for t in (0.0, 0.6, 0.8, 0.9):
        chosen[f"model only, ask below {t}"] = model_only(t)
    for t in (0.7, 0.8, 0.9, 0.95):
        chosen[f"(a) override p>{t}"] = override(t)
    for t_ask in (0.5, 0.7, 0.8, 0.9, 0.95):
        for t_take in (0.95, 2.0):
            chosen[f"(b) ask p>{t_ask} take p>{t_take}"] = doubt(t_ask, t_take)
    for t_ask in (0.7, 0.8, 0.9, 0.95, 2.0):
        for settle in (0.6, 0.7, 0.8, 0.9, 2.0):
            chosen[f"(d) ask p>{t_ask} settle p>{settle}"] = second_opinion(t_ask, settle)
    chosen[f"shipped: learned.combine {learned.ASK_ABOVE} {learned.SETTLE_ABOVE}"] = learned.combine
    for t in (0.6, 0.8, 0.9):
        chosen[f"(c) fill p>{t}"] = fill(t)
    return chosen


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=("cv", "held", "fit", "grid"))
    parser.add_argument("dump", type=Path, help="bench/reply_rules_dump.py output for the dev part")
    parser.add_argument("--C", type=float, default=20.0)
    parser.add_argument("--keep", type=int, default=40000, help="features kept after training")
    parser.add_argument("--min-df", type=int, default=2)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--field", choices=sorted(FIELDS), default="rsvp", help="which reading the model gives")
    parser.add_argument("--tune-only", action="store_true",
                        help="fit on the tune 70%% of dev only (for bench/reply_dev_split.py held --models)")
    parser.add_argument("--out", type=Path, default=MODELS, help="folder to write <field>.json.gz to")
    parser.add_argument("--save-oof", type=Path, help="write out-of-fold probabilities (JSON lines)")
    args = parser.parse_args()
    global CLASSES
    CLASSES = FIELDS[args.field][0]
    rows = load(args.dump, args.field)
    print(f"field {args.field}: classes {CLASSES}")
    if args.mode == "held":
        # Trained on the tune 70% of dev only, judged on the held 30% (bench/reply_dev_split.py's split).
        tune = [r for r in rows if not held_back(r["id"])]
        held = [r for r in rows if held_back(r["id"])]
        model = learned.Model(train([r["body"] for r in tune], [r["label"] for r in tune], args.C, args.keep,
                                    args.min_df))
        print(f"trained on {len(tune)} tune texts, judged on {len(held)} held texts, C={args.C}\n")
        report(held, [model.probabilities(r["body"]) for r in held], policies())
        return 0
    if args.mode == "grid":
        for c in (5.0, 20.0, 80.0):
            for keep in (args.keep,):
                probs = out_of_fold(rows, c, keep, args.min_df, args.folds)
                res = evaluate(rows, probs, model_only(0.0))
                loss = -np.mean([np.log(max(p[r["label"]], 1e-9)) for r, p in zip(rows, probs, strict=True)])
                print(f"C={c:<6} keep={keep:<6} model-alone rsvp right {res['rsvp all']['right'] / len(rows):.1%}"
                      f"  log loss {loss:.3f}", flush=True)
        return 0
    if args.mode == "cv":
        probs = out_of_fold(rows, args.C, args.keep, args.min_df, args.folds)
        if args.save_oof:
            args.save_oof.write_text("".join(json.dumps({"id": r["id"], "p": p}) + "\n"
                                             for r, p in zip(rows, probs, strict=True)))
        print(f"{len(rows)} dev texts, {args.folds}-fold by text id, C={args.C} keep={args.keep}\n")
        report(rows, probs, policies())
        return 0
    if args.tune_only:
        rows = [r for r in rows if not held_back(r["id"])]
    model = train([r["body"] for r in rows], [r["label"] for r in rows], args.C, args.keep, args.min_df)
    out = args.out / f"{args.field}.json.gz"
    out.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(model, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()
    out.write_bytes(gzip.compress(raw, 9, mtime=0))
    print(f"wrote {out}: {len(model['names'])} features, {out.stat().st_size} bytes")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
