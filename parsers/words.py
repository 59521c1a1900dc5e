"""Words of a member's text as the reader sees them: folded tokens, cue phrases, stems and typo-tolerant lookup.

A cue phrase is words separated by spaces; `word*` matches any word starting so, `*word` ending so,
`*word*` holding it in a compound ("avopuolisoni"), `word~` any word with the same Snowball stem, `?` any one
word. Lookups are dictionary based (no regex), so time is linear in words.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple, Protocol

import snowballstemmer  # type: ignore[import-untyped]

_TOKEN = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*|\d+|[+&]|[\U0001F300-\U0001FAFF\u2600-\u27BF]", re.UNICODE)
_RUN3 = re.compile(r"([^\W\d_])\1{2,}")
_RUN2 = re.compile(r"([^\W\d_])\1+")
_STEMMERS = {"sv": "swedish", "fi": "finnish", "en": "english"}
_IRREGULAR_PLURALS = frozenset({"children", "grandchildren", "people", "men", "women", "folks"})


class Span(NamedTuple):
    """A token of the text: its folded form and where it stands in the original (a tuple: made by the thousand)."""

    word: str
    start: int
    end: int


def tokens(text: str) -> list[Span]:
    """The words (and digits, "+", emoji) of `text`, case-folded, apostrophes unified."""
    return [Span(m.group().casefold().replace("’", "'"), *m.span()) for m in _TOKEN.finditer(text)]


@lru_cache(maxsize=16384)
def stem(word: str, lang: str) -> str:
    """The Snowball stem of `word` in `lang` (the word itself for a language without a stemmer)."""
    name = _STEMMERS.get(lang)
    if name is None or len(word) > 40:
        return word
    return str(_stemmer(name).stemWord(word))


class _Stemmer(Protocol):
    def stemWord(self, word: str) -> str: ...  # noqa: N802 - the library's name


@lru_cache(maxsize=8)
def _stemmer(name: str) -> _Stemmer:
    found: _Stemmer = snowballstemmer.stemmer(name)
    if hasattr(found, "maxCacheSize"):  # PyStemmer's own cache: stem() caches already, in untracked tuples
        found.maxCacheSize = 0
    return found


#: Finnish clitics that add emphasis, not meaning, to the word before them ("tuunhan mä", "kylhän", "eihän").
_CLITICS = ("han", "hän")


def _undoubled(word: str) -> list[str]:
    return [word[:i] + word[i + 1 :] for i in range(1, len(word)) if word[i] == word[i - 1]]


def _deletes(word: str) -> set[str]:
    return {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass(frozen=True, slots=True)
class Matcher:
    """One word of a cue: exact, prefix (`*`), stem (`~`) or any word (`?`)."""

    kind: str  # "word" | "prefix" | "suffix" | "infix" | "stem" | "any"
    value: str


@dataclass(frozen=True, slots=True)
class Cue:
    """A compiled cue phrase and the label it carries."""

    phrase: str
    label: str
    matchers: tuple[Matcher, ...]
    final: bool = False  # written with a trailing "$": only at the end of a clause ("i'm in $")


def _matcher(word: str, lang: str) -> Matcher:
    if word == "?":
        return Matcher("any", "")
    if word.startswith("*") and word.endswith("*") and len(word) > 6:
        return Matcher("infix", word[1:-1])
    if word.startswith("*") and len(word) > 3:
        return Matcher("suffix", word[1:])
    if word.endswith("*") and len(word) > 1:
        return Matcher("prefix", word[:-1])
    if word.endswith("~") and len(word) > 1:
        return Matcher("stem", stem(word[:-1], lang))
    return Matcher("word", word)


class Lexicon:
    """Cue phrases of one language, indexed by their first word, with typo-tolerant word lookup."""

    def __init__(self, lang: str, cues: Iterable[tuple[str, str]]) -> None:
        self.lang = lang
        self.cues: list[Cue] = []
        self._exact: dict[str, list[Cue]] = {}
        self._prefix: dict[str, list[Cue]] = {}
        self._stem: dict[str, list[Cue]] = {}
        self._suffix: dict[str, list[Cue]] = {}
        self._infix: list[Cue] = []
        self._any: list[Cue] = []
        self.vocabulary: set[str] = set()
        for label, phrase in cues:
            words = phrase.casefold().split()
            final = len(words) > 1 and words[-1] == "$"
            words = words[:-1] if final else words
            if not words:
                continue
            cue = Cue(phrase, label, tuple(_matcher(w, lang) for w in words), final)
            self.cues.append(cue)
            first = cue.matchers[0]
            if first.kind == "word":
                self._exact.setdefault(first.value, []).append(cue)
            elif first.kind == "prefix":
                self._prefix.setdefault(first.value[:3], []).append(cue)
            elif first.kind == "suffix":
                self._suffix.setdefault(first.value[-3:], []).append(cue)
            elif first.kind == "infix":
                self._infix.append(cue)
            elif first.kind == "stem":
                self._stem.setdefault(first.value, []).append(cue)
            else:
                self._any.append(cue)
            self.vocabulary.update(m.value for m in cue.matchers if m.kind == "word")
        self._fuzzy: dict[str, str] = {}
        for word in sorted(self.vocabulary):
            if len(word) >= 6 and word.isalpha():
                for variant in _deletes(word):  # the word with one letter missing: "kommr" -> "kommer"
                    self._fuzzy.setdefault(variant, word)
        self._cache: dict[str, str] = {}
        # Per-word caches hold tuples and shared label sets: a word without cues costs no object of its own,
        # so the garbage collector's full passes (which visit every cached object) stay short.
        self._starts: dict[str, tuple[Cue, ...]] = {}
        self._start_labels: dict[str, frozenset[str]] = {}
        self._label_sets: dict[frozenset[str], frozenset[str]] = {}

    def normal(self, word: str) -> str:
        """`word` as a vocabulary word when it is one misspelt: "kommmer" -> "kommer", "comming" -> "coming"."""
        known = self._cache.get(word)
        if known is not None:
            return known
        found = word
        if self.lang == "en" and word.endswith("'s") and word not in self.vocabulary:
            # "my brother's coming", "my son's tagging along", "my colleague's partner": a singular person noun
            # with its clitic ("is", "has" or the possessive) is the person noun; a plural's "'s" is only the
            # possessive, mostly of a name ("the Children's Theatre")
            base = word[:-2]
            if base not in _IRREGULAR_PLURALS and any(c.label == "person" for c in self._starting(base)):
                found = base
        if word not in self.vocabulary and word.isalpha():
            if _RUN3.search(word):
                for variant in (_RUN3.sub(r"\1\1", word), _RUN3.sub(r"\1", word), _RUN2.sub(r"\1", word)):
                    if variant in self.vocabulary:
                        found = variant
                        break
                else:
                    found = _RUN3.sub(r"\1\1", word)
            if found == word:  # "tuleen" -> "tulen", "yess" -> "yes"
                found = next((v for v in _undoubled(word) if v in self.vocabulary), word)
            if found == word and self.lang == "fi" and word.endswith(_CLITICS):  # "tuunhan", "kylhän": "tuun"
                found = next((w for c in _CLITICS if word.endswith(c) and (w := word[: -len(c)]) in self.vocabulary),
                             word)
            if found == word and self.lang != "fi" and len(word) >= 5:  # Finnish endings carry meaning
                hit = self._fuzzy.get(word)  # a letter missing; or one letter too many: "comming" -> "coming"
                if hit is None and len(word) >= 7:
                    hit = next((v for v in _deletes(word) if v in self.vocabulary and len(v) >= 6), None)
                if hit is not None and hit[0] == word[0]:
                    found = hit
        if len(self._cache) < 20000:
            self._cache[word] = found
        return found

    def _fits(self, matcher: Matcher, word: str) -> bool:
        if matcher.kind == "word":
            return word == matcher.value
        if matcher.kind == "prefix":
            return word.startswith(matcher.value)
        if matcher.kind == "suffix":
            return word.endswith(matcher.value) and len(word) > len(matcher.value)
        if matcher.kind == "infix":
            return matcher.value in word and len(word) > len(matcher.value)
        if matcher.kind == "stem":
            return len(word) < 41 and stem(word, self.lang) == matcher.value
        return True

    def _starting(self, word: str) -> tuple[Cue, ...]:
        """The cues whose first word fits `word` (cached per word, bounded)."""
        known = self._starts.get(word)
        if known is not None:
            return known
        candidates = list(self._exact.get(word, ()))
        candidates += [c for c in self._prefix.get(word[:3], ()) if word.startswith(c.matchers[0].value)]
        candidates += [c for c in self._suffix.get(word[-3:], ()) if self._fits(c.matchers[0], word)]
        candidates += [c for c in self._infix if self._fits(c.matchers[0], word)]
        if self._stem and len(word) < 41:
            candidates += self._stem.get(stem(word, self.lang), ())
        candidates += self._any
        found = tuple(candidates) if candidates else ()
        if len(self._starts) < 20000:
            self._starts[word] = found
        return found

    def starts_any(self, words: Iterable[str], labels: frozenset[str]) -> bool:
        """True when a cue of `labels` starts at some of the (folded, not normalised) `words`."""
        known = self._start_labels
        for word in words:
            found = known.get(word)
            if found is None:
                labels_of = frozenset(c.label for c in self._starting(self.normal(word)))
                found = self._label_sets.setdefault(labels_of, labels_of)
                if len(known) < 20000:
                    known[word] = found
            if not labels.isdisjoint(found):
                return True
        return False

    def find(self, words: list[str], labels: frozenset[str] | None = None) -> list[tuple[int, int, Cue]]:
        """Every cue occurring in `words` (already normalised): (start, end, cue), longest first per start."""
        found: list[tuple[int, int, Cue]] = []
        known = self._starts
        count = len(words)
        longer = False
        for i, word in enumerate(words):
            candidates = known.get(word)
            if candidates is None:
                candidates = self._starting(word)
            for cue in candidates:
                if labels is not None and cue.label not in labels:
                    continue
                n = len(cue.matchers)
                if n == 1:
                    if not cue.final or i + 1 == count:
                        found.append((i, i + 1, cue))
                    continue
                if (cue.final and i + n != count) or i + n > count:
                    continue
                for k in range(1, n):
                    if not self._fits(cue.matchers[k], words[i + k]):
                        break
                else:
                    found.append((i, i + n, cue))
                    longer = True
        if longer:  # one-word hits are in order already
            found.sort(key=lambda hit: (hit[0], -(hit[1] - hit[0])))
        return found
