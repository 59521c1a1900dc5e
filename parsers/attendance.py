"""Who did not come, from a coordinator's lines after a meeting (`Ei tullut: Anna Berg`, one name a line, or
"Alla kom").

Linear and bounded: at most MAX_LINES lines of at most MAX_LINE characters, at most MAX_NAMES names, read with
plain string operations; the address check is parsers.corrections' full match of one short token.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from parsers.corrections import MAX_WHO, who_of

MAX_LINES = 300
MAX_LINE = 400
MAX_NAMES = 200

#: What may stand before the colon (case-folded, trailing dots trimmed): "these did not come".
MARKERS = frozenset((
    "ei tullut", "eivät tulleet", "ei tulleet", "ei paikalla", "poissa", "poissaolijat", "poissa olleet",
    "jäi pois", "jäivät pois", "kom inte", "kom ej", "kom aldrig", "frånvarande", "uteblev", "inte där",
    "inte närvarande", "ej närvarande", "did not come", "didn't come", "didnt come", "not present", "absent",
    "no-show", "no-shows", "no show", "no shows", "missing",
))
#: A line that says everyone who signed up came (case-folded, end punctuation trimmed).
ALL_CAME = frozenset((
    "alla kom", "alla anmälda kom", "alla var där", "alla var på plats", "ingen frånvaro", "ingen uteblev",
    "kaikki tulivat", "kaikki ilmoittautuneet tulivat", "kaikki olivat paikalla", "ei poissaoloja",
    "everyone came", "everybody came", "all came", "all present", "everyone was there", "no absences",
    "no one was missing", "nobody was missing",
))
#: Lines that end the reading: a sign-off (the signature's name is not an absentee).
_SIGN_OFFS = frozenset((
    "mvh", "med vänlig hälsning", "vänliga hälsningar", "hälsningar", "hälsning", "tack", "terveisin",
    "ystävällisin terveisin", "kiitos", "regards", "best regards", "kind regards", "best", "cheers", "thanks",
    "thank you", "br", "/",
))
#: A line that is only a greeting is skipped.
_GREETINGS = frozenset({"hej", "hejsan", "hei", "moi", "terve", "hi", "hello", "hallå", "god dag", "hyvää päivää"})
_SEPARATORS = (";", ",", " och ", " ja ", " and ", " & ")


@dataclass(frozen=True, slots=True)
class Absences:
    """The names or addresses (lower-case) read as absent, in order, and the lines that were not read."""

    who: list[str] = field(default_factory=list)
    unrecognised: list[str] = field(default_factory=list)
    #: True when some line carried a marker ("Kom inte:"): the mail is surely about who did not come.
    marked: bool = False
    #: True when a line said that everyone came ("Alla kom", "Kaikki tulivat", "Everyone came").
    all_came: bool = False


def _marker(line: str) -> tuple[str | None, str]:
    """(the marker, the rest) when the line starts with `marker:`; (None, line) otherwise."""
    left, colon, right = line.partition(":")
    if not colon:
        return None, line
    key = " ".join(left.casefold().replace("’", "'").split()).rstrip(".")
    return (key, right) if key in MARKERS else (None, line)


def _names(text: str) -> list[str]:
    parts = [text]
    for sep in _SEPARATORS:
        parts = [piece for part in parts for piece in part.split(sep)]
    return [p.strip().strip(".").strip() for p in parts if p.strip().strip(".").strip()]


def _plain(line: str) -> str:
    return " ".join(line.casefold().strip(" ,.!-").split())


def read_absences(text: str) -> Absences:
    """The members a coordinator's new text names as not having come: after a marker ("Ei tullut: Anna Berg,
    Pekka Virtanen") or one name or address a line. Reading stops at a sign-off or a signature delimiter;
    a line that is neither a name nor an address is returned as not recognised, never guessed at."""
    who: list[str] = []
    unrecognised: list[str] = []
    marked = all_came = False
    for raw in text.splitlines()[:MAX_LINES]:
        line = raw.strip()
        if line in ("--", "-- ") or raw.rstrip("\r\n") == "-- ":
            break
        if not line or line.startswith(">"):
            continue
        if len(line) > MAX_LINE:
            unrecognised.append(line[:MAX_LINE] + "…")
            continue
        plain = _plain(line)
        if plain in _SIGN_OFFS or plain.rstrip(",") in _SIGN_OFFS:
            break
        if plain in _GREETINGS or plain.split(" ")[0].rstrip(",!") in _GREETINGS and len(plain) <= 30:
            continue
        if plain in ALL_CAME:
            all_came = True
            continue
        marker, rest = _marker(line)
        marked = marked or marker is not None
        for item in _names(rest) if marker is not None else [line.strip("-*• \t")]:
            found = who_of(item) if len(item) <= MAX_WHO else None
            if found is None:
                unrecognised.append(item)
            elif len(who) < MAX_NAMES and found not in who:
                who.append(found)
            elif found not in who:
                unrecognised.append(item)
    return Absences(who=who, unrecognised=unrecognised, marked=marked or all_came, all_came=all_came)
