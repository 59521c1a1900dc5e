"""Cut a member's text into sentences and clauses, each with its normalised words and the cues found in it.

Clauses end at commas, dashes, colons and the language's conjunctions ("but", "men", "mutta", "so", ...);
the reader decides per clause, so a negation or a doubt reaches no further than its clause.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from dataclasses import dataclass, field

from parsers.words import Cue, Lexicon, Span, tokens

_SENTENCE = re.compile(r"(?:[^.!?;\n]|[.!?;](?=[^\s.!?;]))+[.!?;]*")  # "info@x.fi" stays whole
_CUT = re.compile(r"[,:–—()]|\s-+\s|\.\.+")
# Labels of the lexicon that cut a clause before them.
_ANSWERS = frozenset({"yes", "no", "maybe", "filler"})
_KEEP_NEGATOR = _ANSWERS | {"aux"}
# Labels naming what a clause is about; they hide no answer cue ("kommer med" keeps its "kommer").
_CONTEXT = frozenset(
    {"company", "with", "bring", "person", "list", "we", "party", "unit", "topic_word", "pair", "relative",
     "copula", "self", "diet", "diet_identity", "wh", "first", "third", "anaphor", "plus", "extra", "some", "other"}
)  # "kommer inte att delta": the auxiliary hides "kommer", not "inte"
# Labels about the answer, which a longer cue hides; context labels (list, person, diet, ...) always count.
_SHADOWED = _ANSWERS | frozenset(
    {"attend", "against", "negator", "uncertain", "try", "doubt", "hedge", "greet_yes", "weak_no", "modal",
     "event", "depends", "later", "limit"}
)
BOUNDARIES = frozenset({"contrast", "split", "otherwise", "condition", "that"})


@dataclass(slots=True)
class Clause:
    """A piece of a sentence: its text, normalised words and cues (start, end, cue) by position."""

    text: str
    words: list[str]
    cues: list[tuple[int, int, Cue]]
    offsets: list[tuple[int, int]]
    sentence: int
    index: int
    question: bool
    opener: str | None = None  # the boundary label that opened it ("contrast", "condition", ...)
    labels: set[str] = field(default_factory=set)

    def has(self, *labels: str) -> bool:
        """True when any cue of these labels occurs in the clause."""
        return any(label in self.labels for label in labels)

    def cues_at(self, position: int) -> bool:
        """True when some cue starts at `position`."""
        return any(start == position for start, _end, _cue in self.cues)

    def cues_of(self, label: str) -> list[tuple[int, int, Cue]]:
        """The (start, end, cue) of every cue of `label`."""
        return [(start, end, cue) for start, end, cue in self.cues if cue.label == label]

    def at(self, label: str) -> list[int]:
        """Start positions of the cues of `label`."""
        return [start for start, _end, cue in self.cues if cue.label == label]


@dataclass(slots=True)
class Sentence:
    """A sentence with its clauses."""

    text: str
    clauses: list[Clause]
    question: bool
    index: int

    @property
    def labels(self) -> set[str]:
        """Every cue label of every clause."""
        return {label for clause in self.clauses for label in clause.labels}


def _unshadowed(cues: list[tuple[int, int, Cue]]) -> list[tuple[int, int, Cue]]:
    """Cues not lying inside a longer cue ("ser fram emot" hides "emot", "räkna inte med mig" its "inte")."""
    kept: list[tuple[int, int, Cue]] = []
    by_start: dict[int, list[tuple[int, int, Cue]]] = {}  # a cover of a hit starts at most `widest` before it
    widest = max((e - s for s, e, _cue in cues), default=0)
    for hit in sorted(cues, key=lambda h: h[0] - h[1]):
        s, e, cue = hit
        covered = cue.label in _SHADOWED and any(
            ks <= s and e <= ke and (ke - ks) > (e - s) and not (cue.label == "negator" and c.label in _KEEP_NEGATOR)
            and c.label not in _CONTEXT
            for start in range(s - widest, s + 1) for ks, ke, c in by_start.get(start, ())
        )
        if not covered:
            kept.append(hit)
            by_start.setdefault(s, []).append(hit)
    return sorted(kept, key=lambda h: (h[0], h[0] - h[1]))


def _pieces(text: str) -> list[str]:
    return [p for p in _CUT.split(text) if p.strip()]


def _clauses_of(piece: str, lex: Lexicon, sentence: int, first: int, question: bool) -> list[Clause]:
    spans: list[Span] = tokens(piece)
    words = [lex.normal(s.word) for s in spans]
    cues = _unshadowed(lex.find(words))
    whether = {e for _s, e, c in cues if c.label in ("doubt", "uncertain")}
    inside = {at for s, e, c in cues if c.label not in BOUNDARIES for at in range(s + 1, e)}  # cues are short
    cuts = sorted(
        {
            start
            for start, _end, cue in cues
            if cue.label in BOUNDARIES and start > 0
            and not (cue.label == "condition" and any(start - d in whether for d in range(3)))
            and start not in inside
        }
    )
    starts = [start for start, _end, _cue in cues]  # sorted: _unshadowed returns cues by start
    openers = {start: cue.label for start, _end, cue in reversed(cues) if cue.label in BOUNDARIES}
    out: list[Clause] = []
    bounds = [0, *cuts, len(words)]
    for a, b in zip(bounds, bounds[1:], strict=False):
        if a >= b:
            continue
        text = piece[spans[a].start : spans[b - 1].end]
        local = [(s - a, e - a, c) for s, e, c in cues[bisect_left(starts, a):bisect_left(starts, b)] if e <= b]
        base = spans[a].start
        offsets = [(x.start - base, x.end - base) for x in spans[a:b]]
        clause = Clause(text, words[a:b], local, offsets, sentence, first + len(out), question, openers.get(a))
        clause.labels = {c.label for _s, _e, c in local}
        out.append(clause)
    return out


#: The reader reads at most this many words (about 3.5 KB of prose; the longest of 2,773 corpus replies has 110): a
#: text dense with cues ("+1 " x 5,000) costs what ordinary text does.
MAX_WORDS = 600


def split(text: str, lex: Lexicon) -> list[Sentence]:
    """The sentences of `text` (at most what the caller passes, and MAX_WORDS words), each cut into clauses."""
    sentences: list[Sentence] = []
    budget = MAX_WORDS
    for match in _SENTENCE.finditer(text):
        if budget <= 0:
            break
        raw = match.group().strip()
        words = raw.split(maxsplit=budget)
        budget -= len(words)
        if budget < 0:
            raw = " ".join(words[:budget])  # over the budget: keep the words within it
        if not raw or not any(ch.isalnum() or ord(ch) > 0x2000 for ch in raw):
            continue
        question = "?" in raw
        clauses: list[Clause] = []
        for piece in _pieces(raw):
            clauses += _clauses_of(piece, lex, len(sentences), len(clauses), question)
        if clauses:
            sentences.append(Sentence(raw, clauses, question, len(sentences)))
    return sentences
