"""Pair what members need with what others offer, across sv/fi/en: Snowball stems, compound heads, and the
per-language concept tables in `parsers/lang/synonyms/` (pure; linear in the words read)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib.resources import files

from parsers.words import stem, tokens

LANGS = ("sv", "fi", "en")
#: Words shorter than this match only through the concept table (short words are too often alike).
MIN_STEM_WORD = 5
#: A compound's head must be at least this long ("workshoplokal" ends in "lokal").
MIN_HEAD = 4
#: ... and its first part at least this long ("apurahahakemuksiin" starts with "apuraha").
MIN_MODIFIER = 5
#: Each need is paired with at most this many offers (the best first).
MAX_OFFERS_PER_NEED = 3
#: Only so much of one need or offer is read.
MAX_TEXT_CHARS = 500


@dataclass(frozen=True, slots=True)
class Item:
    """A need or an offer: whose, and the member's words."""

    id: int
    member_id: int
    text: str


@dataclass(frozen=True, slots=True)
class Pair:
    need: Item
    offer: Item
    #: What they share: concept names ("venue") or the shared word stems.
    shared: tuple[str, ...]


@cache
def _tables() -> dict[str, tuple[dict[str, str], tuple[tuple[str, str], ...]]]:
    """Per language: stem -> concept, and (head, concept) pairs for compound heads."""
    out: dict[str, tuple[dict[str, str], tuple[tuple[str, str], ...]]] = {}
    for lang in LANGS:
        data = tomllib.loads((files("parsers") / "lang" / "synonyms" / f"{lang}.toml").read_text("utf-8"))
        stems: dict[str, str] = {}
        heads: list[tuple[str, str]] = []
        for concept, words in data.items():
            for phrase in words:
                phrase = str(phrase).casefold()
                stems.setdefault(" ".join(stem(w.word, lang) for w in tokens(phrase)), concept)
                if " " not in phrase and len(phrase) >= MIN_HEAD:
                    heads.append((phrase, concept))
        out[lang] = (stems, tuple(heads))
    return out


def keys(text: str) -> frozenset[str]:
    """What a need or offer is about: its concepts (in any of the languages) and its longer words' stems."""
    words = [t.word for t in tokens(text[:MAX_TEXT_CHARS]) if t.word.isalpha()]
    found: set[str] = set()
    for lang, (stems, heads) in _tables().items():
        stemmed = [stem(w, lang) for w in words]
        for i, s in enumerate(stemmed):
            for phrase in (s, f"{s} {stemmed[i + 1]}" if i + 1 < len(stemmed) else None):
                if phrase is not None and phrase in stems:
                    found.add(stems[phrase])
            word = words[i]
            for head, concept in heads:
                if len(word) > len(head) and (word.endswith(head) or (len(head) >= MIN_MODIFIER
                                                                      and word.startswith(head))):
                    found.add(concept)
            if len(word) >= MIN_STEM_WORD:
                found.add(f"~{s}")
    return frozenset(found)


def match(needs: list[Item], offers: list[Item]) -> list[Pair]:
    """Each need with the offers of other members that share a concept or a word stem, best first."""
    offer_keys = [(o, keys(o.text)) for o in offers]
    pairs: list[Pair] = []
    for need in needs:
        nk = keys(need.text)
        found = [(o, nk & ok) for o, ok in offer_keys if o.member_id != need.member_id and nk & ok]
        found.sort(key=lambda f: (-sum(1 for k in f[1] if not k.startswith("~")), -len(f[1]), f[0].id))
        pairs += [Pair(need, o, tuple(sorted(k.lstrip("~") for k in shared)))
                  for o, shared in found[:MAX_OFFERS_PER_NEED]]
    return pairs
