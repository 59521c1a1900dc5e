"""A small learned second opinion on a reply's RSVP: a linear model over character and word n-grams.

Pure stdlib at run time; the weights (parsers/model/rsvp.json.gz) are trained by bench/train_reply_model.py.
"""

from __future__ import annotations

import gzip
import json
import math
import re
from functools import cache, lru_cache
from importlib import resources
from typing import Any

MAX_CHARS = 16 * 1024
ANSWERS = ("yes", "no", "maybe", "none")
MODEL_FILE = "rsvp.json.gz"

# Word tokens: runs of word characters, or single non-space, non-word characters (emoji, "?", "!").
_TOKEN = re.compile(r"\w+|[^\w\s]")
_DIGIT = re.compile(r"\d")


def normalise(text: str) -> str:
    """The text the features are read from: first 16 KB, case-folded, digits as 0, whitespace collapsed."""
    return " ".join(_DIGIT.sub("0", text[:MAX_CHARS].casefold()).split())


def _char_grams(word: str) -> frozenset[str]:
    """The char 2-5-grams of one space-padded word."""
    padded = f" {word} "
    return frozenset(["c" + padded[start : start + n] for n in (2, 3, 4, 5) for start in range(len(padded) - n + 1)])


_known_grams = lru_cache(maxsize=16384)(_char_grams)  # replies share most of their (short) words


def features(text: str) -> set[str]:
    """Binary features: char 2-5-grams inside each space-padded word ("c"), word 1-2-grams ("w", "b")."""
    clean = normalise(text)
    found: set[str] = set()
    for word in set(clean.split(" ")):  # a repeated word adds nothing new
        if word:
            found |= _known_grams(word) if len(word) <= 40 else _char_grams(word)
    tokens = _TOKEN.findall(clean)
    previous = "^"
    for token in tokens:
        found.add("w" + token)
        found.add(f"b{previous} {token}")
        previous = token
    if tokens:
        found.add(f"b{previous} $")
    return found


class Model:
    """Per-class weights of a multinomial logistic regression; features scaled to unit length."""

    def __init__(self, data: dict[str, Any]) -> None:
        self.classes: tuple[str, ...] = tuple(data["classes"])
        self.bias: tuple[float, ...] = tuple(float(b) for b in data["bias"])
        self.scale = float(data["scale"])
        weights: dict[str, list[float]] = data["weights"]
        self.weights = {name: tuple(w * self.scale for w in row) for name, row in weights.items()}

    def probabilities(self, text: str) -> dict[str, float]:
        """The probability of each answer ("yes", "no", "maybe", "none") for a member's new text."""
        found = features(text)
        norm = 1.0 / math.sqrt(len(found)) if found else 0.0
        get = self.weights.get
        rows = [row for row in map(get, found) if row is not None]
        scores = [math.fsum(column) for column in zip(*rows, strict=True)] if rows else [0.0] * len(self.bias)
        logits = [b + s * norm for b, s in zip(self.bias, scores, strict=True)]
        top = max(logits)
        exps = [math.exp(v - top) for v in logits]
        total = sum(exps)
        return {c: e / total for c, e in zip(self.classes, exps, strict=True)}


def load(raw: bytes) -> Model:
    """A model from the gzipped JSON written by the training script."""
    return Model(json.loads(gzip.decompress(raw)))


@cache
def _model(name: str = MODEL_FILE) -> Model:
    return load(resources.files("parsers").joinpath("model", name).read_bytes())


def rsvp_probabilities(text: str) -> dict[str, float]:
    """P(yes), P(no), P(maybe), P(none: the text gives no answer) for a member's new text (quotes removed)."""
    return _model(MODEL_FILE).probabilities(text)


# The chosen policy (bench/train_reply_model.py cv measures it against the others on out-of-fold dev texts).
ASK_ABOVE = 0.8  # the rules are sure, the model prefers another answer with p above this: ask the member
SETTLE_ABOVE = 0.7  # the rules are unsure, the model agrees with their reading with p above this: act on it


def combine(
    rule_answer: str | None,
    rule_unsure: bool,
    probabilities: dict[str, float],
    *,
    ask_above: float = ASK_ABOVE,
    settle_above: float = SETTLE_ABOVE,
) -> tuple[str | None, bool]:
    """The RSVP to act on and whether to ask instead: the rules' reading, with the model as a second opinion.

    The model never supplies an answer of its own; it only makes the daemon ask (a confident disagreement)
    or lets a doubtful rule reading stand (a confident agreement). `None` is "the text gives no answer".
    """
    if not probabilities:
        return rule_answer, rule_unsure
    best = max(probabilities, key=lambda k: probabilities[k])
    confidence = probabilities[best]
    model_answer = None if best == "none" else best
    if model_answer == rule_answer:
        return rule_answer, rule_unsure and confidence <= settle_above
    return rule_answer, rule_unsure or confidence > ask_above


def review(rule_answer: str | None, unsure: tuple[str, ...], text: str) -> tuple[str, ...]:
    """The reader's `unsure` fields after the model's second opinion on the RSVP of `text` (the new text)."""
    try:
        probabilities = rsvp_probabilities(text)
    except (OSError, ValueError, KeyError, TypeError):  # a missing or broken model file: the rules stand
        probabilities = {}
    _, rsvp_unsure = combine(rule_answer, "rsvp" in unsure, probabilities)
    others = tuple(name for name in unsure if name != "rsvp")
    return (*others, "rsvp") if rsvp_unsure else others
