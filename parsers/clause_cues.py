"""What the cues of one clause say before the RSVP reader weighs them: which polar cue a negator binds to, a
clause of answer words only, an answer after "put me down as", signing up for the day, a negated task."""

from __future__ import annotations

from parsers.clauses import Clause

_PARTICLES = frozenset({"yes", "no", "maybe", "filler"})
_POLAR = ("attend", "against", "uncertain")
_KEEPS_NEGATOR = ("negator", "yes", "no", "filler", "aux", "anymore")  # "vet inte än" keeps its "inte" to itself


def negated(clause: Clause, after: int) -> dict[int, bool]:
    """For each polar cue start: True when a negator binds to it (nearest cue after, else before)."""
    spans = [(s, e) for s, e, c in clause.cues if e - s > 1 and c.label not in _KEEPS_NEGATOR]
    inside = {i for s, e in spans for i in range(s, e)}
    negators = [s for s, _e, c in clause.cues if c.label == "negator" and s not in inside]
    negators += [i for i, w in enumerate(clause.words) if w.endswith("n't") and i not in inside]
    polar = sorted({s for s, _e, c in clause.cues if c.label in _POLAR})
    bound: dict[int, bool] = dict.fromkeys(polar, False)
    wide = set(clause.at("nobody"))  # "ingen av oss på Taidehalli kan komma": reaches the whole clause
    for n in sorted(set(negators) | wide):
        following = [p for p in polar if 0 < p - n <= (len(clause.words) if n in wide else 4)]
        if following:
            # "I can't not come": a "not" right after "can't" cancels it (not "ei mitään": one negation)
            cancels = n > 0 and clause.words[n - 1].endswith("n't") and clause.words[n] == "not"
            bound[following[0]] = not bound[following[0]] if cancels else True
            continue
        preceding = [p for p in polar if 0 < n - p <= after]
        if preceding:
            bound[preceding[-1]] = True
    # "Emme pääse paikalle", "can't make it there": an attending cue right after a negated one is its phrase
    ends = {s: e for s, e, c in clause.cues if c.label == "attend"}
    for p in polar:
        if bound[p] and ends.get(p) in ends:
            bound[ends[p]] = True
    return bound


def particle_only(clause: Clause) -> str | None:
    """"Ja!", "no thanks", "kanske kanske": the clause is nothing but answer words; which answer."""
    covered: set[int] = set()
    kinds: set[str] = set()
    for s, e, cue in clause.cues:
        if cue.label in _PARTICLES or cue.label == "conclude":  # "So yes!", "Alltså ja"
            covered.update(range(s, e))
            if cue.label in _PARTICLES and cue.label != "filler":
                kinds.add(cue.label)
    if not kinds or len(covered) < len(clause.words):
        return None
    if "maybe" in kinds:
        return "maybe"
    return kinds.pop() if len(kinds) == 1 else "conflict"


_MARKED = {"yes": "yes", "attend": "yes", "no": "no", "against": "no", "maybe": "maybe", "uncertain": "maybe",
           "doubt": "maybe", "hedge": "maybe", "try": "maybe", "belong": "yes"}  # "merkitse minut mukaan"


def marked(clause: Clause) -> str | None:
    """"Put me down as a yes", "Skriv upp mig som kanske", "Merkitse minut epävarmaksi": the answer after it."""
    ends = [e for _s, e, c in clause.cues if c.label == "mark"]
    if not ends:
        return None
    found = next(((s, _MARKED[c.label]) for s, _e, c in clause.cues if s >= ends[0] and c.label in _MARKED), None)
    if found is None:
        return None
    # "put me down as not coming after all": a negator before the answer turns it
    if found[1] in ("yes", "no") and any(ends[0] <= n < found[0] for n in clause.at("negator")):
        return "no" if found[1] == "yes" else "yes"
    return found[1]


def signs_up(clause: Clause) -> bool:
    """"Put me on the list for Thursday", "Sätt upp mig på listan för torsdag", "Laita mut listoille torstaille":
    onto the bare list for the meeting's day, which is coming to it."""
    if not clause.has("day") or not clause.has("join_verb", "onto_list", "mark") or clause.has("negator", "mail"):
        return False
    return set(clause.at("list")) <= set(clause.at("roll"))


def negated_modal(clause: Clause) -> list[int]:
    """Positions of a modal ("kan", "can", "voi") with a negator next to it and no verb of attending."""
    negators = clause.at("negator") + [i for i, w in enumerate(clause.words) if w.endswith("n't")]
    return [m for m in clause.at("modal") if any(abs(m - n) <= 2 or 0 < n - m <= 3 for n in negators)]


def task(clause: Clause) -> bool:
    """True when a negated modal with no verb of attending governs a verb phrase of its own ("can't help with
    the clearing up", "kan inte sitta i valberedningen"): at least two words after it that no cue covers."""
    modals = negated_modal(clause)
    if not modals or clause.has("attend", "against", "no", "event", "weak_no"):
        return False
    negators = clause.at("negator") + [i for i, w in enumerate(clause.words) if w.endswith("n't")]
    last = max(modals + [n for n in negators if n > min(modals)])
    covered = {i for s, e, _c in clause.cues for i in range(s, e)}
    return sum(1 for i in range(last + 1, len(clause.words)) if i not in covered) >= 2
