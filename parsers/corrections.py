"""A coordinator's correction lines (`Anna Berg: ja +1`, `paivi@example.fi: ei`) read as (who, answer, guests).

Linear and bounded: at most MAX_LINES lines of at most MAX_LINE characters are looked at, with plain string
operations (the one regular expression is a full match of a short token with no nested repetition).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_LINES = 300
MAX_LINE = 200
MAX_WHO = 80
MAX_GUESTS = 20

#: What may follow the colon, in any of the three languages (case-folded, punctuation trimmed).
ANSWERS: dict[str, str] = {
    "ja": "yes", "kommer": "yes", "nej": "no", "kommer inte": "no", "kanske": "maybe",
    "kyllä": "yes", "tulee": "yes", "tulen": "yes", "ei": "no", "ei tule": "no", "en pääse": "no", "ehkä": "maybe",
    "yes": "yes", "no": "no", "maybe": "maybe", "coming": "yes", "not coming": "no",
}  # fmt: skip
_FIRST_WORDS = frozenset(phrase.split()[0] for phrase in ANSWERS)
#: Words before a colon that are markers or header fields, never a member (case-folded).
_NOT_WHO = frozenset(
    """från from lähettäjä till to vastaanottaja kopia cc ämne subject aihe datum date päivämäärä skickat sent
    lähetetty svar answer vastaus re sv vs fwd fw vb ärende topic kost diet ruokavalio erityisruokavalio
    behöver need needs tarvitsen erbjuder offer offers tarjoan obs ps note huom rsvp ja nej kanske kyllä ei ehkä
    yes no maybe hej hei hi hello tack kiitos thanks jag vi minä me i we""".split()
)
_PARTICLES = frozenset({"af", "av", "von", "van", "de", "der", "den", "la", "le", "di", "da", "du"})
_ADDRESS = re.compile(r"[^\s@<>:,;]{1,64}@[^\s@<>:,;.]{1,63}(?:\.[^\s@<>:,;.]{1,63}){1,8}")


@dataclass(frozen=True, slots=True)
class Correction:
    """One line that names a member and (when understood) the answer to record for them."""

    line: str
    who: str  # an address (lower-case) or a name as written
    answer: str | None  # "yes", "no", "maybe"; None when the text after the colon was not understood
    guests: int = 0

    @property
    def is_address(self) -> bool:
        return "@" in self.who


def _who(text: str) -> str | None:
    """The member a line's left side names: an address (also inside <...>), or a capitalised name of 1-5
    words ("Anna Berg", "Carl von Linné")."""
    text = text.strip().strip("-*•").strip()
    if not text or len(text) > MAX_WHO:
        return None
    if "<" in text and text.endswith(">"):
        text = text[text.rindex("<") + 1 : -1].strip()
    if "@" in text:
        return text.lower() if _ADDRESS.fullmatch(text) else None
    words = text.split()
    if not 1 <= len(words) <= 5 or text.casefold() in _NOT_WHO:
        return None
    if not all(w.replace("-", "").replace("'", "").replace(".", "").isalpha() for w in words):
        return None
    if not all(w[0].isupper() or w in _PARTICLES for w in words):  # a name is capitalised ("Jag och min": no)
        return None
    return " ".join(words)


#: The member a line names (an address or a capitalised name), for the other readers of coordinators' lines.
who_of = _who


def _answer(text: str) -> tuple[str | None, int, bool]:
    """(answer, guests, looks like an answer) for the text after the colon."""
    words = text.replace(",", " ").replace("(", " ").replace(")", " ").casefold().split()
    if not words or len(words) > 6:
        return None, 0, False
    looks = words[0].strip(".!") in _FIRST_WORDS or words[0].startswith("+")
    guests = 0
    if "+" in text:
        head, _, tail = " ".join(words).rpartition("+")
        tail = tail.strip().strip(".!")
        if not (tail.isascii() and tail.isdigit() and len(tail) <= 2 and int(tail) <= MAX_GUESTS):
            return None, 0, looks
        guests, words = int(tail), head.split()
    phrase = " ".join(w.strip(".!") for w in words).strip()
    answer = ANSWERS.get(phrase)
    if answer is None:
        return None, 0, looks
    return answer, guests if answer != "no" else 0, True


def read_corrections(text: str) -> list[Correction]:
    """Every line of `text` of the form `who: answer [+N]`, in order; lines that only look like one (an
    answer word after a name, or an address before the colon) come back with answer None."""
    out: list[Correction] = []
    for raw in text.splitlines()[:MAX_LINES]:
        line = raw.strip().lstrip(">").strip()
        if len(line) > MAX_LINE or ":" not in line:
            continue
        left, _, right = line.partition(":")
        who = _who(left)
        if who is None:
            continue
        answer, guests, looks = _answer(right)
        if answer is not None or looks or "@" in who:
            out.append(Correction(line=line, who=who, answer=answer, guests=guests))
    return out
