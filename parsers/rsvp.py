"""yes / no / maybe from clauses: what each clause asserts about attending, then one answer or "unsure".

A negation binds to the nearest cue in its clause ("nothing stops me" negates "stop", not the attendance);
doubt and conditions count only where they govern attending; lateness, food, bringing and other people
are read as about something else; a later "but" clause or a correction ("after all") replaces earlier ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from parsers import clause_cues as cues
from parsers.clauses import Clause, Sentence, named

STRONG, PARTICLE, WEAK = 3, 2, 1


@dataclass(frozen=True, slots=True)
class Reading:
    """One clause's answer about attending."""

    value: str
    strength: int
    sentence: int
    clause: int
    text: str
    correction: bool = False
    contrast: bool = False
    state: bool = False  # a "no" read only from a reason word ("sick", "förkyld"), no verb of attending
    gladly: bool = False  # "Tulen mielelläni, mutta ...", "Jag kommer gärna, men ...": the polite start of a no
    concludes: bool = False  # "Hur som helst kommer ja!", "So count me in", "Eli tulen": the member's conclusion


@dataclass(frozen=True, slots=True)
class Answer:
    """The RSVP read from the text: value, whether to ask, and the words it came from."""

    value: str | None
    unsure: bool
    why: str
    changed: bool
    strong: bool = True  # read from a clause about attending, not only from "tyvärr" or "see you"


def read_clause(clause: Clause, after: int) -> Reading | None:
    """What one clause says about attending, or None when it says nothing about it."""
    def reading(value: str, strength: int, state: bool = False) -> Reading:
        return Reading(value, strength, clause.sentence, clause.index, clause.text, state=state,
                       gladly=clause.has("gladly"))

    marked = cues.marked(clause)
    if marked is not None:
        return reading(marked, STRONG)
    if cues.signs_up(clause):
        return reading("yes", STRONG)
    particle = cues.particle_only(clause)
    if particle == "conflict":
        return reading("conflict", PARTICLE)
    if particle is not None:
        return reading(particle, PARTICLE)
    other = clause.has("other")
    limited = clause.has("limit")
    # "after the surgery I'm on sick leave": a bare "after" / "before" dates the reason, it does not make it
    # lateness ("I'll come after the rehearsal" keeps it: the clause is about coming)
    times = set(clause.at("time"))
    late = limited and (clause.has("attend") or any(s not in times for s in clause.at("limit")))
    negated = cues.negated(clause, after)
    values: list[str] = []
    # "en ole varma ehdinkö", "not sure whether I make it": attending inside the doubt is the doubt's
    doubting = not (other or limited) and (
        clause.has("doubt") or any(c.label == "uncertain" and negated.get(s, False) for s, _e, c in clause.cues))
    wh = clause.at("wh") if doubting else []
    whether = {s for s, _e, c in clause.cues if c.label == "attend" and any(0 <= s - w <= 2 for w in wh)}
    for start, _end, cue in clause.cues:
        flip = negated.get(start, False)
        if start in whether:
            values.append("maybe")
        elif cue.label == "attend":
            # "en voi osallistua äänestykseen", "can't attend the dinner": a part of the evening, not the meeting
            # ("en pääse mukaan": "mukaan" is being along, no task)
            task = flip and any(0 <= o - _end <= 1 for o in set(clause.at("other")) - set(clause.at("belong")))
            values.append("aside" if task else "yes" if limited or not flip else "no")
        elif cue.label == "against":
            # "skip the dinner", "jään pois illalliselta", "keep peanuts away": the food, not the meeting
            skipped = any(0 < o - _end + 1 <= 3 for o in clause.at("other")) or clause.has("diet")
            values.append("aside" if late or skipped else "yes" if flip else "no")
        elif cue.label == "uncertain" and flip and not other and not limited:
            values.append("maybe" if not clause.has("wh") else "aside")
    if not limited and not other and not clause.has("polite"):
        if clause.has("try", "depends"):
            values.append("maybe")
        if clause.has("doubt"):  # "en tiedä, uskallanko sanoa mitään": a whether about something else
            values.append("aside" if clause.has("wh", "whether") and not clause.has("attend") else "maybe")
        if clause.has("hedge") and "yes" in values:
            values = ["maybe"]
        if clause.has("maybe") and values and set(values) <= {"yes", "no"}:
            values = ["maybe"]  # "Not sure whether I can make it", "En tiedä vielä pääsenkö": a maybe governs it
    values = [v for v in values if v != "aside"]
    if values:
        if "maybe" in values:
            return reading("maybe", STRONG)
        if len(set(values)) == 1:
            # ("men är tyvärr sjuk": with a regret it declines)
            state = values[0] == "no" and not clause.has("attend", "negator", "modal", "weak_no")
            return reading(values[0], STRONG, state)
        return reading("conflict", STRONG)
    if cues.negated_modal(clause) and not (other or limited or clause.has("diet", "diet_identity")):  # "can't have soy"
        # "Kan tyvärr inte, jobbar kväll": the verb is understood; "I'm not sure I can": its "not" is the doubt's
        return reading("maybe" if clause.has("maybe") else "no", STRONG)
    if clause.has("greet_yes") and not clause.has("negator", "future"):
        return reading("yes", PARTICLE)
    if clause.has("later") and not other:
        return reading("maybe", PARTICLE)
    if clause.has("weak_no", "event") and not limited:
        return reading("no", WEAK)
    first = next(((c.label, e) for s, e, c in clause.cues if s == 0 and c.label in ("yes", "no")), None)
    if first is not None and not clause.has("diet", "diet_identity", "other", "person") and not _placed(clause, *first):
        return reading(first[0], PARTICLE)
    return None


def _placed(clause: Clause, label: str, end: int) -> bool:
    """True for "I'm in Tampere that week": "i'm in" followed by a name is a place, not agreement."""
    if label != "yes" or end >= len(clause.words) or clause.words[end - 1] not in ("in", "i", "på"):
        return False
    start, stop = clause.offsets[end]
    word = clause.text[start:stop]
    return word[:1].isupper() and word[1:].islower()


def _skipped(clause: Clause, joining: bool, leaving: bool = False) -> bool:
    """Clauses about the past answer, another time, someone else, or the mailing list."""
    # "no longer", "inte längre", "enää": about attending ("I can no longer come") it is a decline, read as
    # one; without a verb of attending ("I don't want the invitations any more") it is about the future
    # (a text that leaves the list: "vill inte vara med längre" is about the network)
    # ("Maybe next time", "Toisella kertaa sitten!", "see you next time": another time alone is this one declined)
    declined = clause.has("weak_no") and not clause.has("attend", "modal", "yes", "no") and not clause.question
    later = clause.has("future") and not clause.has("against") and not declined or clause.has("anymore") and (
        leaving or not clause.has("attend", "against", "modal"))
    if clause.has("discuss") and not (later or clause.has("instead", "leave")):
        first = min(clause.at("discuss"))  # "Jag är med och vill lyfta frågan om ...": the answer comes first
        if not any(s < first for s, _e, c in clause.cues if c.label in ("attend", "yes")):
            return True
    elif (later or clause.has("instead", "leave")
          or clause.has("join_verb") and clause.has("list") and not cues.signs_up(clause)):
        return True
    if joining and clause.has("belong"):
        return True  # "Lägg till mig på listan, jag vill vara med!": being part of the network
    polar = [s for s, _e, c in clause.cues if c.label in ("attend", "against", "modal")]
    if not polar:
        return False
    # "..., mut Jarkko ei pääse", "Unfortunately Sara has a clash": a name (not a sentence's first word) is
    # someone else
    persons = clause.at("person") + clause.at("third") + [
        p for p in range(min(polar)) if (p > 0 or clause.index > 0) and named(clause, p)]
    firsts = [f for f in clause.at("first") if f + 1 not in persons]  # "mun kollega": a possessive, not "I"
    if persons and polar and min(persons) < min(polar) and not any(f < min(polar) for f in firsts):
        return True
    return False


def _conditional(sentence: Sentence) -> bool:
    """True when a condition in the sentence governs attending ("if the ferry runs", "jos ehdin")."""
    for n, clause in enumerate(sentence.clauses):
        opens = clause.opener == "condition" or 0 in clause.at("condition")
        # "... mat om det går", "vill lyfta frågan om transporter": "om" about the food or a topic
        before = sentence.clauses[n - 1] if n > 0 else None
        about_food = before is not None and before.has(
            "other", "bring", "diet", "diet_identity", "discuss", "topic_word")
        # "not sure if I stay for the food", "jag undrar om ...": "if" after a doubt or a wondering is "whether"
        whether = before is not None and before.has("maybe", "doubt", "ask") and not before.has("attend")
        # "If my dog recovers, I'll come": a condition about a thing governs a verb of coming next to it, not
        # "... jos näytän väsyneeltä niin tiedätte miks"
        beside = [c for c in (before, sentence.clauses[n + 1] if n + 1 < len(sentence.clauses) else None) if c]
        about_thing = clause.has("other") and not any(c.has("attend") for c in beside)
        # "Coming, and happy to take minutes if Sheila's away": the condition is the offer's, not the coming's
        offer = before is not None and before.has("gladly", "want") and not before.has("attend", "against")
        if opens and not clause.has("polite", "bring") and not (about_food or whether or about_thing or offer):
            return True
    return False


def _wished(sentence: Sentence) -> tuple[int, int] | None:
    """"I'd love to come, but ...", "Hade velat komma men ...": (the wish clause, the first "but" after it)."""
    wish = next((c.index for c in sentence.clauses if c.has("wish") and c.has("attend")), None)
    if wish is None:
        return None
    but = next((c.index for c in sentence.clauses[wish + 1:] if c.opener == "contrast" or 0 in c.at("contrast")),
               None)
    return None if but is None else (wish, but)


def _after_wish(sentence: Sentence, but: int) -> str:
    """What a wish followed by "but" and nothing read after it means: a decline ("but the car broke
    down"), doubt ("but I'm not sure I make it": maybe), or, with lateness or a question, ask."""
    rest = sentence.clauses[but:]
    if any(c.has("doubt", "uncertain", "hedge", "try", "depends") for c in rest):
        return "maybe"
    if sentence.question or any(c.has("limit", "later", "condition") for c in rest):
        return "conflict"
    return "no"


def _asks_generally(sentence: Sentence) -> bool:
    """"Kan man komma fast man inte är medlem?", "Voiko tulla, vaikka ...?", "Can anyone come?": a question
    opening with its verb and no "I" asks whether one may come; it answers nothing (its later clauses neither)."""
    if not sentence.question or not sentence.clauses:
        return False
    first = sentence.clauses[0]  # "Is it ok if I come a bit late?" asks how the member comes, not whether
    return 0 in first.at("interrogative") and not first.has("first") and not any(
        c.has("first") and c.has("attend") for c in sentence.clauses)


def _sentence_readings(
    sentence: Sentence, after: int, joining: bool = False, leaving: bool = False
) -> tuple[list[Reading], bool]:
    found: list[Reading] = []
    changed = False
    correction = "correction" in sentence.labels
    contrast = False
    last = len(sentence.clauses) - 1
    conditional = _conditional(sentence)
    reported = False
    wished = _wished(sentence)
    if _asks_generally(sentence):
        return found, changed
    for clause in sentence.clauses:
        if clause.opener == "otherwise" or clause.has("otherwise"):
            # "I don't eat meat, but otherwise I'm happy to come", "Ei kalaa, muuten tulen": after a clause
            # about food with no answer yet, "otherwise" is "apart from that", not "or else"
            apart = not found and any(c.has("diet", "diet_identity") for c in sentence.clauses[: clause.index])
            if not apart:
                break
        if wished and clause.index == wished[0]:
            continue  # the wish says nothing until the "but" clause says why not
        if not clause.labels:  # no cue (most clauses of a long text): it reads as nothing and reports nothing
            reported = False
            continue
        if reported and clause.opener == "that":
            reported = False
            continue
        reported = False
        contrast = clause.opener == "contrast" or clause.has("contrast")
        if 0 in clause.at("concede") and any(r.value == "yes" for r in found):
            # "Kommer, även om jag inte hunnit läsa protokollet", "I'll be there, even if I have to walk":
            # a concession after a yes is what the member comes despite, not a doubt about the coming
            continue
        if clause.has("report"):
            changed = reported = True
            continue
        if (sentence.question and clause.index == last) or _skipped(clause, joining, leaving):
            continue
        in_condition = clause.opener == "condition" or 0 in clause.at("condition")
        firsts = set(clause.at("first"))
        inverted = any(p + 1 in firsts for p in clause.at("attend"))  # "Om det fungerar kommer jag gärna"
        if in_condition and (inverted or clause.has("attend")) and not clause.has("negator", "polite", "other"):
            # "Om det fungerar kommer jag gärna", "If the ferry is on time I'll be there": coming, if
            found.append(Reading("maybe", STRONG, sentence.index, clause.index, clause.text, correction, contrast))
            continue
        if in_condition and not clause.has("depends"):
            continue
        got = read_clause(clause, after)
        if got is None:
            continue
        following = sentence.clauses[clause.index + 1] if clause.index < last else None
        if got.value == "maybe" and clause.has("doubt", "uncertain") and following and 0 in following.at("wh"):
            continue  # "epävarma siitä, mitä kertoa": the doubt is about what follows
        before = sentence.clauses[clause.index - 1] if clause.index > 0 else None
        if (got.value == "maybe" and before is not None and before.has("other", "bring", "diet")
                and not before.has("attend") and not clause.has("attend", "against", "yes", "no", "modal")):
            continue  # "Kanske tar jag med några affischer, vi får se": the doubt is about the posters
        if got.value == "no" and any(r.value == "yes" for r in found) and cues.task(clause):
            continue  # "Jag kommer, men kan inte hjälpa till med disken": a task they will not do, not the coming
        value = got.value
        if conditional and value == "yes" and got.strength >= PARTICLE:  # "If nothing comes up at work, yes."
            value = "maybe"
        found.append(Reading(value, got.strength, got.sentence, got.clause, got.text, correction, contrast, got.state,
                             got.gladly, clause.has("conclude") and not (
                                 before is not None and before.has("diet", "diet_identity", "other"))))
    if wished and not any(r.clause >= wished[1] for r in found):
        wish = sentence.clauses[wished[0]]
        found.append(Reading(_after_wish(sentence, wished[1]), STRONG, sentence.index, wish.index, sentence.text,
                             correction, True))
    return found, changed


def _resolve(readings: list[Reading]) -> tuple[str | None, bool, list[Reading]]:
    if not readings:
        return None, False, []
    top = max(r.strength for r in readings)
    best = [r for r in readings if r.strength == top]
    # Within a sentence, a clause after "but" replaces what came before it.
    kept: list[Reading] = []
    for r in best:
        if r.state and any(k.value == "yes" and not k.gladly for k in kept):
            continue  # "Jag kommer, men jag är lite förkyld", "Tuun. Selkä on kipee": how they come, not whether
        if r.contrast:
            kept = [k for k in kept if k.sentence != r.sentence or k.value == r.value]
        kept.append(r)
    values = {r.value for r in kept}
    if "conflict" in values:
        return None, True, kept
    if len(values) == 1:
        value = kept[0].value
        weaker = {r.value for r in readings if r.strength == PARTICLE and top == STRONG}
        # "Kanske, jag har ett annat möte" / "No, ... see you": a clear answer word against the verbs: ask
        doubtful = "maybe" in weaker and value != "maybe" or value == "no" and "yes" in weaker
        return value, doubtful, kept
    if values == {"yes", "maybe"}:
        return "maybe", False, [r for r in kept if r.value == "maybe"]
    return kept[-1].value, True, kept


def read_answer(sentences: list[Sentence], after: int, joining: bool = False, leaving: bool = False) -> Answer:
    """The member's answer about attending, from every clause of their text (`joining`: the text asks to
    join the list, so "I want to be part of it" is about the network, not the meeting; `leaving`: it asks to
    leave it, so "I don't want to be part of it any more" is too)."""
    readings: list[Reading] = []
    changed = False
    for sentence in sentences:
        found, did_change = _sentence_readings(sentence, after, joining, leaving)
        changed = changed or did_change
        readings += found
    corrected = [r for r in readings if r.correction]
    if corrected:
        last = corrected[-1]
        return Answer(last.value, last.value == "conflict", last.text, True)
    if changed and readings:
        strong = [r for r in readings if r.strength == STRONG] or readings
        last = strong[-1]
        return Answer(last.value, last.value == "conflict", last.text, True)
    final = readings[-1] if readings else None
    if final is not None and final.concludes and final.value != "conflict" and final.strength >= PARTICLE and any(
            r.value != final.value for r in readings):
        # "Kanske blir ja sen, kanske int. Hur som helst kommer ja!", "Enda sättet jag inte kommer är om jag blir
        # sjuk. Alltså ja!": after the doubts and reasons, the conclusion is the answer
        return Answer(final.value, False, final.text, False)
    value, unsure, used = _resolve(readings)
    if value == "conflict":
        value = None
    why = " / ".join(dict.fromkeys(r.text for r in used))
    return Answer(value, unsure, why, changed, any(r.strength >= PARTICLE for r in used))
