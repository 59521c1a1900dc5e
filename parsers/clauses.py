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
# A child's age in brackets ("our little one (3)", "pojan (3 v) kanssa", "lillkillen (3 år)"): no count and no
# cut, it is blanked out (the offsets stay).
_AGE = re.compile(r"\((?:age |ikä )?\d{1,2} ?(?:v|v\.|vuotta|vuotias|år|års|y|yo|yrs|years|years old)?\)",
                  re.IGNORECASE)
# Labels of the lexicon that cut a clause before them.
_ANSWERS = frozenset({"yes", "no", "maybe", "filler"})
_KEEP_NEGATOR = _ANSWERS | {"aux"}
# Labels naming what a clause is about; they hide no answer cue ("kommer med" keeps its "kommer").
_CONTEXT = frozenset(
    {"company", "with", "bring", "person", "list", "we", "party", "unit", "topic_word", "pair", "relative", "dual",
     "org", "copula", "self", "diet", "diet_identity", "wh", "first", "third", "anaphor", "plus", "extra", "some",
     "other"}
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
        return not self.labels.isdisjoint(labels)

    def cues_at(self, position: int) -> bool:
        """True when some cue starts at `position`."""
        return any(start == position for start, _end, _cue in self.cues)

    def cues_of(self, label: str) -> list[tuple[int, int, Cue]]:
        """The (start, end, cue) of every cue of `label`."""
        if label not in self.labels:
            return []
        return [(start, end, cue) for start, end, cue in self.cues if cue.label == label]

    def at(self, label: str) -> list[int]:
        """Start positions of the cues of `label`."""
        if label not in self.labels:
            return []
        return [start for start, _end, cue in self.cues if cue.label == label]


def named(clause: Clause, at: int) -> bool:
    """True when the word at `at` is a name: capitalised in the member's text, no cue on it."""
    if not 0 <= at < len(clause.offsets):
        return False
    start, end = clause.offsets[at]
    word = clause.text[start:end]
    return word[:1].isupper() and word[1:].islower() and len(word) > 1 and not clause.cues_at(at)


@dataclass(slots=True)
class Sentence:
    """A sentence with its clauses."""

    text: str
    clauses: list[Clause]
    question: bool
    index: int
    #: Every cue label of every clause (the readers ask it of each sentence several times).
    labels: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        if not self.labels:
            self.labels = {label for clause in self.clauses for label in clause.labels}


def _unshadowed(cues: list[tuple[int, int, Cue]]) -> list[tuple[int, int, Cue]]:
    """Cues not lying inside a longer cue ("ser fram emot" hides "emot", "räkna inte med mig" its "inte")."""
    if len(cues) < 2:
        return cues
    widest = max([e - s for s, e, _cue in cues])
    if widest <= 1:
        return cues  # no cue is longer than another: none hides one (and `cues` is in the order returned below)
    kept: list[tuple[int, int, Cue]] = []
    by_start: dict[int, list[tuple[int, int, Cue]]] = {}  # a cover of a hit starts at most `widest` before it
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


def _clauses_of(piece: str, spans: list[Span], lex: Lexicon, sentence: int, first: int, question: bool) -> list[Clause]:
    """The clauses of one piece of a sentence (`spans`: its tokens, with offsets in `piece`)."""
    normal = lex.normal
    words = [normal(s.word) for s in spans]
    cues = _unshadowed(lex.find(words))
    if not cues:  # one clause without cues (many pieces)
        base = spans[0].start
        offsets = [(x.start - base, x.end - base) for x in spans]
        return [Clause(piece[base : spans[-1].end], words, cues, offsets, sentence, first, question, None, set())]
    whether = {e for _s, e, c in cues if c.label in ("doubt", "uncertain")}
    # "vad det handlar om", "övertygad om förslaget": "om" after a word it completes, or ending the piece, is
    # a preposition ("about"), no condition
    about = {e for _s, e, c in cues if c.label == "governs_om"} | {len(words) - 1}
    inside = {at for s, e, c in cues if c.label not in BOUNDARIES for at in range(s + 1, e)}  # cues are short
    # "Jag kommer alltså inte", "jag kommer ändå inte": an adverb between a verb and its negator cuts nothing
    # (a conjunction does: "tuun mut ei onnistukaan")
    verbs = {e for _s, e, c in cues if c.label in ("attend", "modal")}
    negators = {s for s, _e, c in cues if c.label == "negator"}
    inside |= {s for s, _e, c in cues if c.label == "adverb" and s in verbs and s + 1 in negators}
    # "There's nothing that could keep me away": "that" after "nothing" opens what the negation reaches
    wide = {e for _s, e, c in cues if c.label == "nobody"}
    inside |= {s for s, _e, c in cues if c.label == "that" and s in wide}
    cuts = sorted(
        {
            start
            for start, _end, cue in cues
            if cue.label in BOUNDARIES and start > 0
            and not (cue.label == "condition" and any(start - d in whether for d in range(3)))
            and not (cue.label == "condition" and start in about)
            and start not in inside
        }
    )
    if not cuts:  # one clause: the whole piece (most pieces)
        offsets = [(x.start - spans[0].start, x.end - spans[0].start) for x in spans]
        text = piece[spans[0].start : spans[-1].end]
        opener = next((cue.label for start, _end, cue in cues if start == 0 and cue.label in BOUNDARIES), None)
        return [Clause(text, words, cues, offsets, sentence, first, question, opener, {c.label for _s, _e, c in cues})]
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
#: ... and at most this many tokens (600 words of prose are ~650; a header dump or "a,a,a,..." has many more).
MAX_TOKENS = 1000


@dataclass(frozen=True, slots=True)
class _Segment:
    """A sentence before any language is applied: its text, question mark, and its pieces' tokens."""

    text: str
    question: bool
    pieces: tuple[list[Span], ...]  # offsets in `text`


def _cut(raw: str, spans: list[Span]) -> tuple[list[Span], ...]:
    """The tokens of `raw` grouped into its pieces (between commas, dashes, colons, brackets, "..")."""
    pieces: list[list[Span]] = []
    current: list[Span] = []
    cuts = [m.end() for m in _CUT.finditer(raw)]  # no token holds a cut character
    k = 0
    for span in spans:
        if k < len(cuts) and cuts[k] <= span.start:
            while k < len(cuts) and cuts[k] <= span.start:
                k += 1
            if current:
                pieces.append(current)
                current = []
        current.append(span)
    if current:
        pieces.append(current)
    return tuple(pieces)


def _segments(text: str) -> list[_Segment]:
    """The sentences of `text` within MAX_WORDS words and MAX_TOKENS tokens, tokenised once and cut into
    pieces: what every language's reading shares."""
    found: list[_Segment] = []
    budget = MAX_WORDS
    left = MAX_TOKENS
    for match in _SENTENCE.finditer(text):
        if budget <= 0 or left <= 0:
            break
        raw = match.group().strip()
        if "(" in raw:
            raw = _AGE.sub(lambda m: " " * len(m.group()), raw)
        words = raw.split(maxsplit=budget)
        budget -= len(words)
        if budget < 0:
            raw = " ".join(words[:budget])  # over the budget: keep the words within it
        if not raw or not any(ch.isalnum() or ord(ch) > 0x2000 for ch in raw):
            continue
        spans = tokens(raw)
        if len(spans) > left:
            spans = spans[:left]
            raw = raw[: spans[-1].end]
        left -= len(spans)
        if spans:
            found.append(_Segment(raw, "?" in raw, _cut(raw, spans)))
    return found


class Text:
    """A member's text cut into sentences and tokenised once; its clauses and cues read once per lexicon.

    The reader reads the same text in its own language and, for a few fields, in the network's others:
    the cutting and tokenising are shared, and each language's reading is kept for the next field that asks.
    """

    __slots__ = ("text", "_segments", "_read", "_words")

    def __init__(self, text: str) -> None:
        self.text = text
        self._segments: list[_Segment] | None = None
        self._read: dict[int, tuple[Lexicon, list[Sentence]]] = {}
        self._words: list[str] | None = None

    def segments(self) -> list[_Segment]:
        if self._segments is None:
            self._segments = _segments(self.text)
        return self._segments

    def words(self) -> list[str]:
        """Every token the reader reads (folded, not yet normalised for a language), in order."""
        if self._words is None:
            self._words = [s.word for seg in self.segments() for spans in seg.pieces for s in spans]
        return self._words

    def sentences(self, lex: Lexicon) -> list[Sentence]:
        """The sentences as `lex` reads them (computed once per lexicon; callers must not change them)."""
        known = self._read.get(id(lex))
        if known is not None and known[0] is lex:
            return known[1]
        sentences: list[Sentence] = []
        for seg in self.segments():
            clauses: list[Clause] = []
            for spans in seg.pieces:
                clauses += _clauses_of(seg.text, spans, lex, len(sentences), len(clauses), seg.question)
            sentences.append(Sentence(seg.text, clauses, seg.question, len(sentences)))
        self._read[id(lex)] = (lex, sentences)
        return sentences

    def mentions(self, lex: Lexicon, labels: frozenset[str]) -> bool:
        """False when no clause `lex` reads in the text can hold a cue of `labels` (no word starts one)."""
        return lex.starts_any(self.words(), labels)


def split(text: str, lex: Lexicon) -> list[Sentence]:
    """The sentences of `text` (at most what the caller passes, and MAX_WORDS words), each cut into clauses."""
    return Text(text).sentences(lex)
