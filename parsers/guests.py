"""Guests from clauses: a party size ("we are three", "meitä tulee kolme"), companions ("my partner",
"kolmen harjoittelijan kanssa") and "+N"; companions who do not come, or come instead, do not count.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from parsers.clauses import Clause, Sentence, named
from parsers.commands import asks

_PLUS = re.compile(r"(?<![\w+])\+\s?([1-9])(?![\d\s]*\d{2})(?!\w)")
_MAX = 20
_TIME = frozenset({"kl", "klo", "at", "kello", "after", "before", "efter", "före", "innan", "ennen", "jälkeen", "till",
                   # a number naming a house, room or table, not counting people ("two of us from number 7")
                   "number", "nr", "nro", "numero", "nummer", "room", "rum", "flat", "apt", "table", "bord", "pöytä"})


@dataclass(frozen=True, slots=True)
class Guests:
    """How many extra people come, whether to ask, and the words it was read from."""

    count: int
    unsure: bool
    why: str


def _number(word: str, numbers: dict[str, int]) -> int | None:
    if word.isascii() and word.isdigit() and len(word) <= 6:  # "¹" is a digit to isdigit() but not to int()
        value = int(word)
        return value if 0 < value <= _MAX else None
    return numbers.get(word)


def _party(clause: Clause, numbers: dict[str, int]) -> int | None:
    """The whole party size a clause names ("vi blir tre", "four of us", "neljän hengen"), if any."""
    we = set(clause.at("we"))
    party = set(clause.at("party"))
    units = set(clause.at("unit"))
    best: int | None = None
    for i, word in enumerate(clause.words):
        value = _number(word, numbers)
        digits = word.isdigit() and (value is None or value > 9 or (i + 1 < len(clause.words)
                                                                   and clause.words[i + 1].isdigit()))
        if value is None or digits or (i + 1) in units or (i > 0 and clause.words[i - 1] in _TIME):
            continue
        if any(0 < i - w <= 3 for w in we) or any(0 < p - i <= 2 for p in party) or (i + 1) in we:
            best = max(best or 0, value)
    return best


_AND = frozenset({"and", "och", "o", "samt", "ja", "&"})
_ANSWER = frozenset({"yes", "maybe"})


def _partner(clause: Clause, start: int, end: int) -> bool:
    """True when a pair names its other one: "Tobias and I" (opening the clause), "mä ja Jussi" (one name)."""
    if clause.words[start] in _AND and end - start == 2 and clause.words[start + 1] not in _AND:  # not "ja och"
        return start - 1 >= 0 and named(clause, start - 1) and (start == 1 or clause.cues_at(start - 2))
    return named(clause, end) and not named(clause, end + 1)


# "with" written after its word, the name in the genitive: "Amirin kanssa", "Liisan ja Pekan kera".
_POSTPOSITIONS = frozenset({"kanssa", "kaa", "kans", "kera", "seurassa", "seurana"})


def _names(clause: Clause, at: int, step: int) -> int:
    """How many names a list from `at` holds, read forward ("Amir", "Eetu and Aino") or, for a Finnish
    postposition, backward ("Liisan ja Pekan kanssa"); 0 when `at` is no name."""
    count = 0
    while named(clause, at) and "'" not in _written(clause, at) and (step > 0 or _written(clause, at).endswith("n")):
        count += 1
        conjunction = at + step if step > 0 else at - 1
        if not 0 <= conjunction < len(clause.words) or clause.words[conjunction] not in _AND:
            break
        at = conjunction + step
    return count


# "It's a bit too tight", "That's me too": a pronoun with 's, never a name.
_NOT_NAMES = frozenset({"it's", "that's", "there's", "here's", "what's", "who's", "let's", "he's", "she's",
                        "where's", "everyone's", "everybody's", "someone's", "somebody's", "nobody's", "one's"})


def _subject(clause: Clause, at: int) -> bool:
    """True when the word at `at` is a name, also with 's ("Dave's coming"), as the subject of coming."""
    said = _written(clause, at).replace("’", "'")
    return named(clause, at) and said not in _NOT_NAMES and (
        "'" not in said or (said.endswith("'s") and said.count("'") == 1))


def _by_name(clause: Clause, attending: bool) -> int:
    """Companions named only by their name: "coming with Amir", "kommer med Sara", "Tulen Pekan kanssa"
    (right after coming, or opening a clause of a sentence about coming), or a name that is the subject of
    coming along: "Erik följer med", "Liisa tulee mukaan", "Dave's coming with me", "Priya will join me"."""
    came = [e for _s, e, _c in clause.cues_of("attend")] + ([0] if attending else [])
    for start, end, _cue in clause.cues_of("with"):
        if clause.words[start] in _POSTPOSITIONS:
            count = _names(clause, start - 1, -1)
            first = start - count * 2 + 1
        else:
            count, first = _names(clause, end, 1), start
        if count and any(0 <= first - e <= 1 for e in came):
            return count
    firsts = clause.at("first")
    for start, end, _cue in clause.cues_of("company"):
        if start == 0 and end - start == 1 and (listed := _names(clause, end, 1)):  # "Also Kalle and Emma"
            return listed
        # a cue of coming along ("följer med", "tulee mukaan", "coming ... with me"), or any in a clause after
        # another ("..., Lisa too"); not a bare "also" opening a sentence ("Voin myös tuoda", "Skulle också")
        if not (end - start > 1 or clause.has("attend") or clause.index > 0):
            continue
        for p in range(start):
            listed = (_names(clause, p, 1) or 1) if _subject(clause, p) else 0  # "Lisa och Kalle från styrelsen också"
            if not listed or (p > 0 and clause.words[p - 1] not in _AND) or start - (p + 2 * listed - 2) > 3 or any(
                    p < f < start for f in firsts):
                continue
            # a sentence's first word is capitalised anyway: a name there is followed by its verb at once
            if clause.index == 0 and p == 0 and p + 1 != start and listed == 1 and not any(
                    s == p + 1 and c.label in ("attend", "copula") for s, _e, c in clause.cues):
                continue
            return listed
    return 0


# Plural person nouns ("colleagues", "kollegor", "kollegoiden", "ystävät"): without a number, how many is unsaid.
# Not "vaimoineni", nor "veljeni" (a plural genitive in -jen follows a vowel: "kollegojen").
_PLURAL_FI = re.compile(r"\w{3,}(?:t|[oi]iden\w*|ien\w*|[aeiouyäö]jen\w*|oit[aä]|eit[aä])$")
_PLURAL_SV_ENDS = ("or", "ar", "orna", "arna", "erna", "ner")
_SINGULAR_SV = frozenset({"bror", "partner", "syster", "dotter", "moster", "faster", "mormor", "farmor"})


def plural(word: str, lang: str) -> bool:
    """True when a person noun is plural in `lang` ("colleagues", "kollegor", "kollegoideni")."""
    if lang == "en":
        return len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "'s", "us"))
    if lang == "sv":
        return word.endswith(_PLURAL_SV_ENDS) and word not in _SINGULAR_SV
    return lang == "fi" and _PLURAL_FI.match(word) is not None


def _written(clause: Clause, at: int) -> str:
    """The word at `at` as the member wrote it (folded), not as normalised ("colleague" is not "colleagues")."""
    start, end = clause.offsets[at]
    return clause.text[start:end].casefold()


def _vague(sentence: Sentence, numbers: dict[str, int], lang: str) -> bool:
    """True for companions named only in the plural, with no number in the sentence ("with my colleagues")."""
    if any(_number(w, numbers) is not None for c in sentence.clauses for w in c.words):
        return False
    return any(e == s + 1 and plural(_written(c, s), lang) and s not in c.at("dual")
               for c in sentence.clauses for s, e, _k in c.cues_of("person"))


def _companions(
    clause: Clause, numbers: dict[str, int], attending: bool, company: bool
) -> tuple[int, int, bool, int]:
    """Companions a clause names: (count, plus, unsure, of which from "bringing two"). Needs bringing or
    company ("me and", "följer med") in the sentence, or a plain "with" in a clause of a sentence about
    coming ("check with my director" is none)."""
    spoken = clause.has("attend", "company", "bring") or len(clause.words) <= 5  # "min sambo och jag väntar på"
    pairs = clause.at("pair") if spoken or (attending and clause.opener != "contrast") else []
    relative = min(clause.at("relative"), default=len(clause.words))
    joined = [(s, e) for s, e, _c in clause.cues_of("company")]  # "so is my husband": not a description
    described = {e for s, e, c in clause.cues if c.label == "copula" and not any(a <= s < b for a, b in joined)}
    after = {s: e for s, e, c in clause.cues if c.label == "person"}
    qualifies = set(clause.at("org"))  # "two guests from our partner organisation": "partner" names none
    persons = [
        p
        for p in dict.fromkeys(clause.at("person"))
        if after.get(p, p + 1) not in qualifies
        and (p < relative or p == min(clause.at("person"))) and not any(0 <= p - d <= 2 for d in described)
    ] if relative > 0 else []  # "..., hon har just börjat som dramaturg": describes who was named
    context = company or clause.has("bring") or (clause.has("with") and attending)
    if not context:  # a count right before the person in a short clause is company too: "ja yksi vieras"
        persons = [p for p in persons if any(0 < p - q <= 4 or 0 < q - p <= 2 for q in pairs)
                   or (len(clause.words) <= 5 and p > 0 and _number(clause.words[p - 1], numbers) is not None)]
    if clause.has("negator", "instead", "report"):
        return 0, 0, False, 0
    count = numbered = 0
    plus = 0
    unsure = False
    for start, end, cue in clause.cues:
        if cue.label == "bring" and not persons and named(clause, end):  # "Ja tar me mej Kenneth", "Ahmed och Lisa"
            count += _names(clause, end, 1) or 1
        if cue.label == "bring":  # "tar med två från vår ensemble": a number >= 2 without a person noun
            for j in range(end, min(end + 2, len(clause.words))):
                value = _number(clause.words[j], numbers)
                if value is not None and value >= 2 and not any(0 < p - j <= 3 for p in persons):
                    count += value
                    numbered += value
                    break
        if cue.label == "plus" and end < len(clause.words):  # "jag plus tre"
            value = _number(clause.words[end], numbers)
            if value is not None and not any(0 < p - end <= 3 for p in persons):
                plus = max(plus, value)
        if cue.label == "extra":  # "jag och två till"
            value = _number(clause.words[start - 1], numbers) if start else None
            count += value or 0
    if not persons and clause.has("attend", "company") and not clause.has("against"):
        count += sum(1 for start, end, _c in clause.cues_of("pair") if _partner(clause, start, end))
    if not persons and not count and (attending or clause.has("attend", "company")):
        count = _by_name(clause, attending)
    previous = -1
    duals = set(clause.at("dual"))
    ends = {s: e for s, e, c in sorted(clause.cues_of("person"), key=lambda h: h[0] - h[1], reverse=True)}
    for start in persons:
        if start <= previous + 1 and previous >= 0:
            # "two board members": one person cue inside another is the same people; so is one right after
            # another ("kolmen ensemblemme jäsenen kanssa": the members of the ensemble)
            previous = max(previous, ends.get(start, start + 1) - 1)
            continue
        previous = ends.get(start, start + 1) - 1
        values = [v for j in range(max(0, start - 3), start) if (v := _number(clause.words[j], numbers))]
        if not values and any(0 <= start - s <= 3 for s in clause.at("some")):
            unsure = True
        count += max(values, default=2 if start in duals else 1)  # "my parents", "vanhempieni kanssa": two
    return count, plus, unsure, numbered


def _enumerated(sentence: Sentence) -> int:
    """The names listed after the member in a sentence: "Jag, Tove och Alfred från föreningen", "tullaan
    porukalla: mä, Ville, Essi ja Joonas" (each name after "I" alone in its clause is a companion)."""
    clauses = sentence.clauses
    start = next((n for n, c in enumerate(clauses) if len(c.words) == 1 and c.has("first")), None)
    count = 0
    for clause in clauses[start + 1:] if start is not None else ():
        at = 1 if clause.words and clause.words[0] in _AND else 0
        listed = _names(clause, at, 1)
        if not listed:
            break
        count += listed
    return count


def _joins(clause: Clause) -> bool:
    """True for a relative clause that says its person comes along ("who's coming with me", "som följer med")."""
    return 0 in clause.at("relative") and clause.has("attend", "company") and not clause.has("negator")


def _doubted(clause: Clause, before: list[Clause]) -> bool:
    """True when bringing someone is only wondered about or depends on a condition (a polite one aside)."""
    if clause.has("polite"):
        return False
    first = min(clause.at("bring") + clause.at("person") + clause.at("with"), default=len(clause.words))
    conditional = clause.opener == "condition" or any(c < first for c in clause.at("condition"))
    # "Tulen, ehkä otan kollegan mukaan": a hedge on the bringing (not on coming: "probably with a colleague")
    # or a hedge between coming and the person brought along: "Jag kommer och kanske min man också" (not
    # "kommer eventuellt med en kollega", "tulen ehkä kollegan kanssa": the hedge is on coming)
    hedges, attends = clause.at("hedge") + clause.at("maybe"), clause.at("attend")
    hedged = bool(hedges) and (not attends or (not clause.has("with") and any(
        min(attends) < h < first for h in hedges)))
    return conditional or hedged or clause.has("doubt") or any(c.has("doubt") for c in before[-1:])


def read_guests(sentences: list[Sentence], text: str, numbers: dict[str, int], lang: str = "") -> Guests:
    """Extra people: the people named across sentences, or the largest party size - 1; "+N" as floor."""
    named = 0
    party = 0
    unsure = False
    why: list[str] = []
    for sentence in sentences:
        last = sentence.clauses[-1] if sentence.clauses else None
        checks = (last is not None and last.index > 0 and last.has("polite") and len(last.words) <= 4
                  and 0 not in sentence.clauses[0].at("interrogative"))
        if asks(sentence) and sentence.question and not checks:
            continue  # "Can my colleague come too?" asks; "I have a question: my colleague who comes ..." tells
            # ("Vi blir sex personer, är det ok?" tells the party, then checks it)
        # "Kanske, och i så fall med min man", "Maybe, and if so with my husband": a sentence opened by a bare
        # answer is about coming
        opening = sentence.clauses[0] if sentence.clauses else None
        attending = "attend" in sentence.labels or (
            opening is not None and len(sentence.clauses) > 1 and bool(opening.labels & _ANSWER)
            and opening.labels <= _ANSWER | {"hedge", "filler"}
            and not any(c.has("first") for c in sentence.clauses[1:]))  # "Yes, I checked with my director"
        company = bool(sentence.labels & {"company", "bring", "plus"})
        persons = plus = numbered = 0
        size = 0
        for n, clause in enumerate(sentence.clauses):
            if not clause.labels:
                continue  # no cue: no party size, no companion (what _party and _companions give it)
            later = sentence.clauses[n + 1 :]
            if clause.has("person") and any(c.has("negator") and c.has("attend") and not c.has("first") for c in later):
                continue  # "kollegani, joka aikoi tulla mukaan, ei pääse"
            got = _party(clause, numbers)
            if got is not None and not clause.has("negator", "aside"):
                size = max(size, got - 1)
            joined = bool(later) and _joins(later[0])  # "My colleague Lars, who's coming with me, ..."
            count, more, doubt, listed = _companions(clause, numbers, attending, company or joined)
            numbered += listed
            if count and _doubted(clause, sentence.clauses[:n]):
                unsure = True  # "Jag funderar på om jag ska ta med min kollega", "if I can, I'll bring a friend"
            persons += count
            plus = max(plus, more)
            unsure = unsure or doubt
        persons = max(persons, _enumerated(sentence))
        if persons and not size and not plus and _vague(sentence, numbers, lang):
            unsure = True  # "with my colleagues", "kollegoideni kanssa": how many is not said
        if size or persons or plus:
            why.append(sentence.text)
        if numbered:  # "I'm bringing two people: my collaborator Henrik ... and our intern Aino"
            persons = max(numbered, persons - numbered)
        named += max(persons, plus)
        party = max(party, size)
    total = max(named, party)
    for match in _PLUS.finditer(text):
        if int(match.group(1)) > total:
            total = int(match.group(1))
            why = [match.group()]
    return Guests(min(total, _MAX), unsure, " / ".join(why))
