"""Finnish number words in their case forms, written and spoken ("kolmen", "kahdella", "neljää", "kahel"),
built from each numeral's stems so a form no list holds still counts ("viidellä kollegalla" is five).
"""

from __future__ import annotations

from functools import cache

# numeral: (nominative forms, weak-grade stem, strong-grade stem, partitive, back vowels (-lla, not -llä)?)
# Cases a head count is written in: genitive -n ("kolmen harjoittelijan kanssa"), partitive ("neljää"),
# essive -na ("kolmena"), adessive -lla ("kahdella vieraalla"), allative -lle and "-stAAn" (kolmestaan,
# "the three of us"). Left out: inessive and illative (yhdessä, yhteen: "together"; "kolmeen asti"), elative
# and ablative (kahdesta, kuudelta: "from two", "at six o'clock"), and "yhtä" ("equally").
_PARADIGMS: dict[int, tuple[tuple[str, ...], str, str, str, bool]] = {
    1: (("yksi", "yks"), "yhde", "yhte", "yhden", False),
    2: (("kaksi", "kaks"), "kahde", "kahte", "kahta", True),
    3: (("kolme",), "kolme", "kolme", "kolmea", True),
    4: (("neljä",), "neljä", "neljä", "neljää", False),
    5: (("viisi", "viis"), "viide", "viite", "viittä", False),
    6: (("kuusi", "kuus"), "kuude", "kuute", "kuutta", True),
    7: (("seitsemän", "seittemän", "seiska"), "seitsemä", "seitsemä", "seitsemää", False),
    8: (("kahdeksan", "kaheksan"), "kahdeksa", "kahdeksa", "kahdeksaa", True),
    9: (("yhdeksän", "yheksän"), "yhdeksä", "yhdeksä", "yhdeksää", False),
    10: (("kymmenen", "kymppi"), "kymmene", "kymmene", "kymmentä", False),
}
# Spoken Finnish drops the "d" of the weak grade and the final vowel of -lla/-llä: "kahen", "kahel", "viiel".
_SPOKEN = {"yhde": "yhe", "kahde": "kahe", "viide": "viie", "kuude": "kuue", "kahdeksa": "kaheksa",
           "yhdeksä": "yheksä"}


def _forms(weak: str, strong: str, back: bool) -> list[str]:
    a = "a" if back else "ä"
    forms = [weak + "n", weak + "ll" + a, weak + "lle", weak + "st" + a + a + "n", strong + "n" + a]
    spoken = _SPOKEN.get(weak, weak)
    forms += [spoken + "n", spoken + "l", spoken + "ll" + a, spoken + "lle", spoken + "st" + a + a + "n"]
    if weak == strong:  # "kolmee", "neljää" with the spoken long vowel, "kolmel"
        forms += [weak + weak[-1], weak + "l"]
    return forms


@cache
def finnish() -> dict[str, int]:
    """Every generated form of the numerals 1-10 and its value ("kahdella" -> 2, "kolmee" -> 3)."""
    found: dict[str, int] = {}
    for value, (bases, weak, strong, partitive, back) in _PARADIGMS.items():
        for form in (*bases, partitive, *_forms(weak, strong, back)):
            found.setdefault(form, value)
    return found


def inflected(code: str) -> dict[str, int]:
    """The generated number forms of a language (only Finnish has them); {} for the others."""
    return finnish() if code == "fi" else {}
