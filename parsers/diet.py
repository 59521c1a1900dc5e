"""Dietary needs from clauses: need words and foods ("coeliac", "no pork", "ei gluteenia"), also a guest's;
"no special diet", "I eat anything" and a negated identity ("not vegetarian") are no need.
"""

from __future__ import annotations

from parsers.clauses import Clause, Sentence

_OR = frozenset({"or", "nor", "and", "eller", "och", "tai", "eikä", "ja"})


def _reach(clause: Clause, end: int) -> int:
    """Where a "none" reaches: on over the items it coordinates ("inga allergier eller specialkost", "no
    allergies or restrictions", "ei allergioita tai muita rajoituksia")."""
    while end + 1 < len(clause.words) and clause.words[end] in _OR:
        end += 2 if end + 2 >= len(clause.words) or clause.words[end + 2] in _OR else 3
    return min(end, len(clause.words))


def _clause_need(clause: Clause, negated_identity: bool) -> bool:
    none = [(s, _reach(clause, e)) for s, e, c in clause.cues if c.label == "diet_none"]
    items = [s for s, _e, c in clause.cues if c.label == "diet" and not any(a <= s < b for a, b in none)]
    return bool(items) or (not none and clause.has("diet_identity") and not negated_identity)


_SOMEONE = frozenset({"first", "self", "person", "third", "we"})


def read_diet(sentences: list[Sentence]) -> tuple[str | None, str]:
    """The sentences that state a need, joined with "; " (None without any), and the words read."""
    found: list[str] = []
    for sentence in sentences:
        if sentence.question and sentence.labels.isdisjoint(_SOMEONE):
            continue  # "Onko tarjolla vegaanista ruokaa?", "Is there vegan food?": asks what is served, no need
        for clause in sentence.clauses:
            if not clause.labels:
                continue  # no diet word, no identity: no need
            negators = clause.at("negator") + clause.at("nobody")
            negators += [i for i, w in enumerate(clause.words) if w.endswith("n't")]
            identity = clause.at("diet_identity")
            negated = any(0 < i - n <= 6 for i in identity for n in negators)
            if _clause_need(clause, negated):
                found.append(sentence.text.strip(" \t.,;:"))
                break
    if not found:
        return None, ""
    text = "; ".join(dict.fromkeys(found))
    return text, text
