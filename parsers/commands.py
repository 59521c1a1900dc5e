"""Join and leave written as sentences ("please take me off the list", "lisätkää mut listalle"), and
questions a person must answer (parking, access, language) told apart from polite and topic questions.
"""

from __future__ import annotations

import re

from parsers.clauses import Clause, Sentence

#: The one-tap answer to a GDPR request's confirmation mail carries `gdpr-erase-CODE` or `gdpr-export-CODE`.
_PRIVACY_CONFIRM = re.compile(r"\bgdpr-(erase|export)-([a-z0-9]{20})\b", re.IGNORECASE)


def privacy_confirmation(text: str) -> tuple[str, str] | None:
    """(action, code) of a GDPR confirmation marker in `text` (a subject or line), or None."""
    m = _PRIVACY_CONFIRM.search(text[:2000])
    return (m.group(1).lower(), m.group(2).lower()) if m else None


def read_command_sentences(sentences: list[Sentence]) -> tuple[str | None, bool, str]:
    """join/leave from sentences: (command, unsure, words). Join needs a list or network in the sentence."""
    found: dict[str, str] = {}
    near: list[str] = []
    for n_sentence, sentence in enumerate(sentences):
        labels = sentence.labels
        # "Stryk mig till torsdag, är sjuk": a bare "me" with the meeting in the sentence is off the meeting
        objects = "list" in labels or ("self" in labels and labels.isdisjoint({"day", "attend", "against"}))
        parts = sentence.clauses
        removing = any(
            (c.has("leave") or (c.has("remove_verb") and (objects or c.has("mail"))))
            and not c.has("negator") and not _someone_else(c, ("leave", "remove_verb"))
            and not (n + 1 < len(parts) and parts[n + 1].opener == "contrast" and parts[n + 1].has("negator"))
            for n, c in enumerate(parts)
        )
        wanting = any(_wants_mail(c) for c in parts)
        joins = [c for c in parts if c.has("join_verb", "onto_list") or _wants_mail(c)]
        another = bool(joins) and all(_someone_else(c, ("join_verb", "onto_list")) for c in joins)
        # "I don't want to be on the list any more", "En halua olla enää listalla": no longer belonging
        # "Please don't email me any more", "behöver inte längre era utskick": the mail, no longer wanted
        quitting = any(c.has("anymore") and (c.has("negator") or any(e - s > 1 for s, e, _c in c.cues_of("anymore")))
                       and c.has("join_verb", "list", "mail")
                       and not c.has("keep_on", "attend", "limit")
                       and not _someone_else(c, ("join_verb", "list", "mail"))
                       for c in parts)
        if removing or quitting:
            found.setdefault("leave", sentence.text)
        elif (("join_verb" in labels or onto_list(labels) or wanting) and not _denies(sentence)
              and "keep_on" not in labels and not another and not _attendance_list(sentence)):
            if labels & {"list", "mail"}:
                found.setdefault("join", sentence.text)
            elif _near_list(sentences, n_sentence) and not _coming(sentence):
                near.append(sentence.text)  # "... era inbjudningar. Lägg till mig!": only if nothing else is read
    if not found and near:
        found["join"] = near[0]
    if len(found) == 1:
        kind, text = next(iter(found.items()))
        return kind, False, text
    if found:
        return None, True, " / ".join(found.values())
    return None, False, ""


def _attendance_list(sentence: Sentence) -> bool:
    """"Put me on the list for Thursday", "Pääsen paikalle, laita minut listalle": the list of who comes (a bare
    "list" with the meeting's day or the member's coming in the sentence), not the mailing list."""
    rolls = {(c.index, s) for c in sentence.clauses for s in c.at("roll")}
    lists = {(c.index, s) for c in sentence.clauses for s in c.at("list")}
    if not rolls or not lists <= rolls or "mail" in sentence.labels:
        return False
    first = min(n for n, _s in rolls)
    if sentence.clauses[first].has("day"):
        return True  # "Put me on the list for Thursday"
    # "Pääsen paikalle, laita minut listalle": coming said first ("Can I join the list?": "join" is no coming)
    return any(set(c.at("attend")) - set(c.at("join_verb")) and not c.has("negator")
               for c in sentence.clauses[:first])


def _wants_mail(clause: Clause) -> bool:
    """"I'd love to start receiving your invitations", "vill gärna få kallelserna via mejl", "haluaisin saada
    viestit": wanting to receive what the network sends (a verb of wanting before one of receiving)."""
    if not clause.has("mail") or not clause.has("receive"):
        return False
    wants = clause.at("want")
    return bool(wants) and min(wants) < max(clause.at("receive")) and not _someone_else(clause, ("want",))


def _someone_else(clause: Clause, verbs: tuple[str, ...]) -> bool:
    """True when the clause's subject is another person ("My colleague would like to join the network",
    "Kollegani haluaisi liittyä listalle"): not the member's own request."""
    persons = clause.at("person") + clause.at("third")
    verb = min((s for s, _e, c in clause.cues if c.label in verbs), default=None)
    if persons and verb is not None and "remove_verb" in verbs and not clause.has("self", "first"):
        return True  # "Please remove my colleague from the list": another's address, not the member's
    if not persons or verb is None or min(persons) >= verb:
        return False
    firsts = [f for f in clause.at("first") if f + 1 not in persons]  # "mun kollega": a possessive
    return not any(f < verb for f in firsts)


def _denies(sentence: Sentence) -> bool:
    """True when a negator is in the sentence; "et" opening a that-clause ("... et saan kutsut") is "että"."""
    return any(c.label == "negator" and not (s == 0 and clause.opener == "that")
               for clause in sentence.clauses for s, _e, c in clause.cues)


def onto_list(labels: set[str]) -> bool:
    """True for a sentence that puts the member onto the list ("Pääsenkö sähköpostilistalle?"), not a topic
    onto the agenda ("laittaa asian listalle"), onto an answer's list ("ehkä-listalle") nor anyone off it."""
    return "onto_list" in labels and labels.isdisjoint(_NOT_ONTO)


_NOT_ONTO = frozenset({"discuss", "topic_word", "leave", "remove_verb", "maybe"})


def _coming(sentence: Sentence) -> bool:
    """True when a clause says the member comes ("vill vara med på träffen – jag kommer!"): "vara med" there is
    the meeting, not the list a neighbouring sentence names."""
    return any(c.has("attend") and not c.has("negator") for c in sentence.clauses)


def _near_list(sentences: list[Sentence], at: int) -> bool:
    """True when the sentence before or after names the list ("Jag vill få era inbjudningar. Lägg till mig!")."""
    return any("list" in sentences[k].labels for k in (at - 1, at + 1) if 0 <= k < len(sentences))


def proposes(sentence: Sentence) -> int | None:
    """For "Could we look at X?" / "Kunde vi ta ...?": the index of the clause opening with the proposal
    (a question that puts a topic, not one a person must answer; not "Which door should we use?")."""
    if not sentence.question or 0 in sentence.clauses[0].at("wh"):
        return None
    return next((c.index for c in sentence.clauses if (0 in c.at("propose") or c.at("propose") and c.index == 0
                 and min(c.at("propose")) <= 3) and c.labels.isdisjoint(_PERMISSION)), None)


# "Can we bring our own coffee?", "Could we come a bit later?": asking leave, not proposing a topic
_PERMISSION = frozenset({"bring", "attend", "limit", "later", "person", "other", "diet", "with", "party", "company"})


def asks(sentence: Sentence) -> bool:
    """True when the sentence asks the coordinator something (not a topic, command or courtesy)."""
    labels = sentence.labels
    if labels & {"discuss", "leave", "remove_verb"} or onto_list(labels) or proposes(sentence) is not None:
        return False
    if "join_verb" in labels and not _attending_join(sentence):
        return False
    if sentence.question:
        if _answer_only(sentence):
            return False  # "I think so?", "Kanske?": an answer said with a rising tone
        last = sentence.clauses[-1]
        if _tag(sentence):
            return False  # "I couldn't not come, could I?", "I'm not going to miss it, am I?": an answer
        # "..., if that's ok?", "..., sopiiks?" are courtesies; "Vi blir sex personer, är det ok?" asks (a verb
        # opening a check of its own words)
        courtesy = last.has("polite", "smalltalk") and len(last.words) <= 4 and not (
            0 in last.at("interrogative") and len(last.words) > 1 and not last.has("smalltalk"))
        return not courtesy
    return "ask" in labels and not _asks_someone_else(sentence)


def _attending_join(sentence: Sentence) -> bool:
    """"Is it possible to join online?": "join" is coming to the meeting (no list, no address in the sentence)."""
    if not sentence.labels.isdisjoint({"list", "mail", "onto_list"}):
        return False
    return all(any(a == s and c.label == "attend" for a, _e, c in clause.cues)
               for clause in sentence.clauses for s, _e, cue in clause.cues if cue.label == "join_verb")


_TAG_VERBS = frozenset({"am", "is", "are", "was", "can", "could", "will", "would", "do", "did", "shall", "should",
                        "isn't", "aren't", "won't", "wouldn't", "can't", "couldn't", "don't", "didn't", "ain't"})
_TAG_SUBJECTS = frozenset({"i", "it", "we", "you", "they"})
_ANSWERING = ("attend", "against", "yes", "no", "uncertain")


def _tag(sentence: Sentence) -> bool:
    """True for an answer closed by a tag question ("..., could I?", "..., am I?"): no question to answer."""
    last = sentence.clauses[-1]
    return (last.index > 0 and len(last.words) == 2 and last.words[0] in _TAG_VERBS
            and last.words[1] in _TAG_SUBJECTS and any(c.has(*_ANSWERING) for c in sentence.clauses[:-1]))


_ANSWER_WORDS = frozenset({"yes", "no", "maybe", "filler", "hedge"})


def _answer_only(sentence: Sentence) -> bool:
    """True when every word of the sentence is an answer word, a hedge or a filler ("I think so?")."""
    for clause in sentence.clauses:
        covered = {i for s, e, c in clause.cues if c.label in _ANSWER_WORDS for i in range(s, e)}
        if len(covered) < len(clause.words):
            return False
    return True


def _asks_someone_else(sentence: Sentence) -> bool:
    """"Kysyn ensin esimieheltä": asking from someone (an ablative right after the verb), not the coordinator."""
    for clause in sentence.clauses:
        for _s, end, cue in clause.cues:
            if cue.label == "ask" and not any(
                len(w) >= 6 and w.endswith(("lta", "ltä")) for w in clause.words[end : end + 2]
            ):
                return False
    return True


def read_question(sentences: list[Sentence]) -> tuple[bool, str]:
    """Whether the text asks the coordinator something a person must answer, and the sentence that does."""
    for sentence in sentences:
        if asks(sentence):
            return True, sentence.text
    return False, ""
