"""The cue lexicon and the number words the reader uses per language, built once from `parsers/lang/*.toml`."""

from __future__ import annotations

from functools import cache

from parsers.languages import by_code, languages
from parsers.words import Lexicon


@cache
def lexicon(code: str) -> Lexicon | None:
    """The cue lexicon of a language with a `[reader]` table; None for a language without one."""
    lang = by_code().get(code)
    if lang is None or not lang.reader:
        return None
    own = [(label, p) for label, phrases in lang.reader.items() for p in phrases]
    # Members mix languages in naming people ("jag kommer kahden kollegan kanssa"): borrow those words.
    borrowed = [
        (label, p)
        for other in languages()
        if other.code != code
        for label in BORROWED
        for p in other.reader.get(label, ())
        if p not in lang.vocabulary
    ]
    return Lexicon(code, own + borrowed)


BORROWED = ("person", "with", "bring", "diet", "condition", "depends", "future")


@cache
def numbers(code: str) -> dict[str, int]:
    """Number words of the language, and the longer ones of the others ("kahden" in a Swedish text)."""
    found = {w: n for other in languages() if other.code != code for w, n in other.reader_numbers.items()
             if n >= 2 and len(w) >= 4}
    return found | by_code()[code].reader_numbers
