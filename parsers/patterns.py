"""The pattern tables of `parsers/lang/*.toml` (`[rsvp]`, `[guests]`, `[dietary]`): the reader for a language
file without a `[reader]` table, and the bare answer words of a subject line ("Ja", "Ei")."""

from __future__ import annotations

import re
from itertools import islice

from parsers.languages import Language, languages

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n")
_PLUS = re.compile(r"(?<![\w+])\+\s?([1-9])(?![\d\s]*\d{2})(?!\w)")
_TRIM = " \t.,!?:;-–—\"'()[]*_"


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(_TRIM)


def _fold(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold().replace("’", "'")))


def sentences_of(lines: list[str]) -> list[str]:
    return [s for line in lines for s in _SENTENCE_END.split(line) if s.strip()]


def answer_word(text: str, lang: Language) -> str | None:
    folded = _fold(text)
    for kind in ("no", "maybe", "yes"):
        if folded in lang.answers[kind]:
            return kind
    return None


#: Sentences and characters read for an answer: each character costs every pattern of every candidate language
#: (about 8 us a character when the language is unknown), and an answer comes early.
MAX_SENTENCES = 60
MAX_ANSWER_CHARS = 2000


def _sentence_answer(sentence: str, langs: tuple[Language, ...]) -> str | None:
    for candidate in langs:
        if candidate.partial is not None:
            sentence = candidate.partial.sub(" ", sentence)  # "can't stay long" limits the visit, no more
        answer = answer_word(sentence, candidate)
        if answer:
            return answer
        for kind in ("no", "maybe", "yes"):
            if any(p.search(sentence) for p in candidate.rsvp[kind]):
                return kind
    return None


def read_rsvp(lines: list[str], subject: str, lang: Language | None) -> str | None:
    """yes/no/maybe: a bare answer in the subject, else the first sentence that answers (no > maybe > yes
    within it); a later answering sentence with a correction word ("förresten", "actually") replaces it."""
    langs = (lang,) if lang else languages()
    for candidate in langs:
        answer = answer_word(subject, candidate)
        if answer:
            return answer
    decision: str | None = None
    budget = MAX_ANSWER_CHARS
    for sentence in islice(sentences_of(lines), MAX_SENTENCES):
        if budget <= 0:
            break
        sentence = sentence[:budget]
        budget -= len(sentence)
        answer = _sentence_answer(sentence, langs)
        if answer is None:
            continue
        if decision is None:
            decision = answer
        else:
            folded = sentence.casefold()
            if any(word in folded for candidate in langs for word in candidate.corrections):
                decision = answer
    return decision


def read_guests(text: str, lang: Language | None) -> int:
    """Extra people the member brings: the largest count any guests pattern finds in the first MAX_ANSWER_CHARS."""
    text = text[:MAX_ANSWER_CHARS]
    best = 0
    for match in _PLUS.finditer(text):
        best = max(best, int(match.group(1)))
    for candidate in (lang,) if lang else languages():
        flat = " ".join(text.split())
        for pattern in candidate.guests_extra:
            for match in pattern.finditer(flat):
                value = (
                    candidate.number(match.group("n"))
                    if "n" in pattern.groupindex and match.group("n")
                    else 1
                )
                best = max(best, value or 0)
        for pattern in candidate.guests_total:
            for match in pattern.finditer(flat):
                value = candidate.number(match.group("n")) if match.group("n") else None
                if value:
                    best = max(best, value - 1)
    return best


def read_dietary(lines: list[str], marked: list[str], lang: Language | None) -> str | None:
    """The dietary need: text after a marker ("Kost: ..."), else the sentence naming a diet word."""
    if marked:
        return "; ".join(marked)
    keywords = sorted(
        {k for candidate in languages() for k in candidate.dietary_keywords}, key=len, reverse=True
    )
    for sentence in sentences_of(lines):
        folded = sentence.casefold()
        for keyword in keywords:
            at = folded.find(keyword)
            if at >= 0 and (at == 0 or not folded[at - 1].isalnum()):
                return _clean(sentence)
    return None
