"""Read what a member means from their own new text: RSVP, guests, diet, topics, needs, offers, commands.

Every word and pattern comes from `parsers/lang/*.toml`; this module only knows how to apply them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache, lru_cache

from parsers import clauses, commands, diet, guests, rsvp, topics
from parsers.languages import COMMANDS, Language, by_code, languages
from parsers.lexicons import BORROWED as _BORROWED
from parsers.lexicons import lexicon as _lexicon
from parsers.lexicons import numbers as _numbers
from parsers.patterns import answer_word, read_dietary, read_guests, read_rsvp, sentences_of
from parsers.words import Lexicon, tokens

_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)?", re.UNICODE)
_TOKEN_BRACKET = re.compile(r"\[?\btp\d+-\d+-[a-z2-7]{12}\b\]?", re.IGNORECASE)
_REPLY_PREFIX = re.compile(r"^\s*(?:(?:re|sv|vs|aw|fw|fwd|vl|antw|vast)\s*:\s*)+", re.IGNORECASE)
_TRIM = " \t.,!?:;-–—\"'()[]*_"


@dataclass(frozen=True, slots=True)
class Intent:
    """Everything read from a member's new text."""

    language: str | None
    rsvp: str | None
    guests: int
    dietary: str | None
    topics: tuple[str, ...]
    needs: tuple[str, ...]
    offers: tuple[str, ...]
    command: str | None
    approval: bool
    unsure: tuple[str, ...] = ()
    why: dict[str, str] = field(default_factory=dict)
    question: bool = False
    speakers: tuple[str, ...] = ()


def _clean(text: str) -> str:
    return " ".join(text.split()).strip(_TRIM)


def _fold(text: str) -> str:
    return " ".join(_WORD.findall(text.casefold().replace("’", "'")))


@cache
def _word_weights() -> dict[str, dict[str, float]]:
    """Per language, a weight per word of its vocabulary: words shared by several languages count less."""
    owners: dict[str, int] = {}
    for lang in languages():
        for word in lang.vocabulary:
            owners[word] = owners.get(word, 0) + 1
    return {lang.code: {w: 1.0 / owners[w] ** 2 for w in lang.vocabulary} for lang in languages()}


_KNOWN: list[tuple[object, frozenset[str]]] = []  # (the weights, every word they weigh)


def _scores(text: str) -> dict[str, float]:
    weights_of = _word_weights()
    if not _KNOWN or _KNOWN[0][0] is not weights_of:
        _KNOWN[:] = [(weights_of, frozenset(w for weights in weights_of.values() for w in weights))]
    known = _KNOWN[0][1]
    words = [w for w in _WORD.findall(text.casefold().replace("’", "'")) if w in known]  # others add 0.0
    return {code: sum(weights.get(word, 0.0) for word in words) for code, weights in weights_of.items()}


def _leader(scores: dict[str, float], minimum: float) -> str | None:
    best = max(scores.values(), default=0.0)
    leaders = [code for code, score in scores.items() if score == best]
    return leaders[0] if best >= minimum and len(leaders) == 1 else None


def detect_language(text: str) -> str | None:
    """The language of the text: its first paragraph when clear, else the whole text; None without words.

    Scores count each language's characteristic words (a bilingual out-of-office answer takes the language of
    its first paragraph); a text without known words falls back to letters only Swedish (å) or Finnish
    (ää, öö, yy) use.
    """
    if not _WORD.search(text):
        return None
    first = text.strip().split("\n\n", 1)[0]
    code = _leader(_scores(first), 2.0) or _leader(_scores(text), 0.2)
    if code is None and "sv" in by_code() and "å" in text.casefold():
        return "sv"
    if code is None and "fi" in by_code() and re.search(r"ää|öö|yy", text.casefold()):
        return "fi"
    return code


@lru_cache(maxsize=64)
def _folded(phrases: tuple[str, ...]) -> tuple[frozenset[str], int]:
    """The folded phrases, and the most words one has."""
    folded = frozenset(p for p in (_fold(x) for x in phrases) if p)
    return folded, max((p.count(" ") + 1 for p in folded), default=0)


def _starts_with(line: str, phrases: tuple[str, ...]) -> bool:
    """True when the line's first words are one of the phrases (folded)."""
    known, longest = _folded(phrases)
    words = _fold(line).split(" ")
    return any(" ".join(words[:k]) in known for k in range(1, min(longest, len(words)) + 1))


def _after_greeting(line: str) -> str:
    """What follows a greeting on its line: "Hei! Tulen." -> "Tulen."; "Hej Anna!" -> ""."""
    match = re.search(r"[!,.:]\s*", line)
    if match and len(line[: match.start()].split()) <= 4:
        return line[match.end() :].strip()
    return "" if len(line.split()) <= 4 else line


def content_lines(text: str, lang: Language | None) -> list[str]:
    """Non-empty lines without greetings ("Hej Anna!") and without the sign-off and what follows it."""
    greetings = lang.greetings if lang else tuple(g for lg in languages() for g in lg.greetings)
    signoffs = lang.signoffs if lang else tuple(s for lg in languages() for s in lg.signoffs)
    lines: list[str] = []
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        if not lines and _starts_with(line, greetings):
            line = _after_greeting(line)
            if not line:
                continue
        words = len(line.split())
        if words <= 5 and _starts_with(line, signoffs) and lines:
            break
        lines.append(line)
    return lines


@cache
def _markers() -> tuple[re.Pattern[str], dict[str, str]]:
    """One pattern for every section marker of every language, and the kind of each named group."""
    markers: dict[str, str] = {}
    for lang in languages():
        for kind in ("dietary", "topics", "needs", "offers", "speakers"):
            for marker in getattr(lang.sections, kind):
                markers.setdefault(marker, kind)
    ordered = sorted(markers, key=len, reverse=True)
    alternation = "|".join(f"(?P<m{i}>{re.escape(m)})" for i, m in enumerate(ordered))
    kinds = {f"m{i}": markers[m] for i, m in enumerate(ordered)}
    pattern = re.compile(
        rf"(?:^|(?<=[.!?])\s)\s*[*_]*(?:{alternation})[*_]*\s*[:：]\s*(?P<rest>.*)$", re.IGNORECASE
    )
    return pattern, kinds


def read_command(lines: list[str], subject: str) -> str | None:
    """A command word (languages.COMMANDS) as the subject or first line, or a command phrase; confirm-<action>."""
    first = _fold(lines[0]) if lines else ""
    said = _fold(subject)
    if confirm := commands.privacy_confirmation(subject) or commands.privacy_confirmation(lines[0] if lines else ""):
        return f"confirm-{confirm[0]}"
    for candidate in languages():
        for kind in COMMANDS:
            words = candidate.commands[kind]
            if said in words or (first and first in words):
                return kind
    # The phrases are looked for where the clause reader reads: the first MAX_WORDS words.
    joined = " ".join(" ".join(lines).split(maxsplit=clauses.MAX_WORDS)[: clauses.MAX_WORDS]).lower()
    subject_lower = subject.lower()
    for candidate in languages():
        for kind in COMMANDS:
            phrase = candidate.command_phrases[kind]  # (compiled for lower-cased text)
            if phrase is not None and (phrase.search(joined) or phrase.search(subject_lower)):
                return kind
    return None


def read_approval(lines: list[str]) -> bool:
    """True when the text is essentially an approval word ("OK", "Godkänt", "Hyväksytty", "Approved")."""
    if not lines or len(lines) > 2:
        return False
    words = {w for candidate in languages() for w in candidate.approval}
    if _fold(lines[0]) not in words:
        return False
    return len(lines) == 1 or len(lines[1].split()) <= 3


def clean_subject(subject: str) -> str:
    """The subject without "Re:"/"Sv:" prefixes and reply-token brackets."""
    return _clean(_TOKEN_BRACKET.sub(" ", _REPLY_PREFIX.sub("", subject)))


_MAX_LINES = 200
_MAX_CHARS = 16_000


@cache
def _own_phrases(code: str) -> frozenset[str]:
    """The phrases a language's own `[reader]` lists hold for the labels lexicons borrow from each other."""
    reader = by_code()[code].reader
    return frozenset(p for label in _BORROWED for p in reader.get(label, ()))


def _most_cues(text: str, detected: str | None) -> str | None:
    """For a short text ("tuun tuun", "hei! mä tuun!"): the language whose cues it uses clearly most, else
    the detected one."""
    words = [s.word for s in tokens(text)][:50]
    hits: dict[str, int] = {}
    for lang in sorted(languages(), key=lambda candidate: candidate.code != detected):
        lex = _lexicon(lang.code)
        if detected is not None and hits.get(detected, 0) >= 3:
            break  # the detected language reads it well enough
        if lex is not None:
            found = lex.find([lex.normal(w) for w in words])
            own = _own_phrases(lang.code)  # a borrowed cue ("riippuu" in the English lexicon) is no sign
            hits[lang.code] = len({s for s, _e, c in found
                                   if (c.label not in _BORROWED or c.phrase in own) and c.label != "plus"})
    best = max(hits, key=lambda code: hits[code], default=None)
    if best is None or hits[best] == 0:
        return detected
    if detected is None or hits[best] >= hits.get(detected, 0) + 2 or hits.get(detected, -1) == 0:
        return best
    return detected



def _cap(text: str) -> str:
    """At most the first 200 lines and 16 KB of the new text: what the reader reads."""
    return "\n".join(text[:_MAX_CHARS].split("\n")[:_MAX_LINES])


def _legacy(lines: list[str], subject: str, lang: Language | None) -> tuple[str | None, int]:
    """RSVP and guests by the pattern tables, for a language without a `[reader]` table."""
    answer = read_rsvp(lines, subject, lang)
    return answer, read_guests("\n".join(lines), lang) if answer != "no" else 0


def read_intent(text: str, subject: str = "") -> Intent:
    """Everything a member's new `text` (quotes already removed) and subject say."""
    text = _cap(text)
    subject = clean_subject(subject)
    code = detect_language(text) if text.strip() else None
    if text.strip() and (code is None or len(text) < 240):
        code = _most_cues(text, code)  # short, informal texts: the language whose cues they clearly use
    lang = by_code().get(code) if code else None
    lex = _lexicon(code) if code else None
    lines = content_lines(text, lang)
    sections, used = topics.read_sections(lines, _markers(), lex)
    rest = [used.get(i, line) for i, line in enumerate(lines) if used.get(i, line)]
    command = read_command(lines, subject)
    approval = read_approval(lines)
    if lex is None or lang is None:
        answer, count = _legacy(lines, subject, lang)
        return Intent(
            language=code, rsvp=answer, guests=count,
            dietary=read_dietary(lines, sections["dietary"], lang),
            topics=tuple(sections["topics"] + topics.read_topic_phrases(sentences_of(rest), lang)),
            needs=tuple(sections["needs"]), offers=tuple(sections["offers"]), command=command,
            speakers=tuple(sections["speakers"]), approval=approval,
        )  # fmt: skip
    headers = tuple(text for text in used.values() if text)
    return _read(lang, lex, lines, rest, sections, subject, command, approval, headers)


#: The cues without which `rsvp.read_answer` reads no answer and `commands.read_command_sentences` no
#: command: another language's pass is skipped when no word of the text starts one of them (the result is
#: the same; tests/parsers/test_reader_cost.py checks it on the dev corpus).
ANSWER_LABELS = frozenset(
    {"yes", "no", "maybe", "attend", "against", "uncertain", "try", "depends", "doubt", "modal", "greet_yes",
     "later", "weak_no", "event", "day", "mark"}
)  # fmt: skip
COMMAND_LABELS = frozenset({"leave", "remove_verb", "join_verb", "onto_list", "anymore", "receive"})


def _other_languages(text: clauses.Text, lang: Language, answer: rsvp.Answer, joining: bool) -> rsvp.Answer:
    """For a text with no answer in its own language: the answer in another ("tuun! could we ...")."""
    for other in languages():
        lex = _lexicon(other.code) if other.code != lang.code else None
        if lex is not None and text.mentions(lex, ANSWER_LABELS):
            found = rsvp.read_answer(text.sentences(lex), other.negation_after, joining)
            if found.value is not None and not found.unsure:
                return found
    return answer


def _other_command(text: clauses.Text, lang: Language, why: str) -> tuple[str | None, str]:
    """join/leave written in another of the network's languages ("Please ottakaa mut pois listalta")."""
    for other in languages():
        lex = _lexicon(other.code) if other.code != lang.code else None
        if lex is not None and text.mentions(lex, COMMAND_LABELS):
            found, unsure, words = commands.read_command_sentences(text.sentences(lex))
            if found is not None and not unsure:
                return found, words
    return None, why


def _read(
    lang: Language,
    lex: Lexicon,
    lines: list[str],
    rest: list[str],
    sections: dict[str, list[str]],
    subject: str,
    command: str | None,
    approval: bool,
    headers: tuple[str, ...],
) -> Intent:
    text = clauses.Text("\n".join(rest))
    sentences = text.sentences(lex)
    unsure: list[str] = []
    why: dict[str, str] = {}
    sentence_command, command_unsure, command_why = commands.read_command_sentences(sentences)
    if command is None and sentence_command:
        command = sentence_command
    if command is None and not command_unsure:
        command, command_why = _other_command(text, lang, command_why)
    if command_unsure and command is None:
        unsure.append("command")
    if command in ("join", "leave"):
        why["command"] = command_why or " ".join(lines[:1]) or subject
    said = next((a for a in (answer_word(subject, c) for c in (lang, *languages())) if a), None)
    answer = rsvp.read_answer(sentences, lang.negation_after, command == "join", command == "leave")
    if answer.value is None and not answer.unsure:
        answer = _other_languages(text, lang, answer, command == "join")
    value = answer.value
    if command == "leave" and (not answer.strong or value == "yes"):
        # "Stryk mig från listan ... lycka till!", "... det har varit fint att vara med": a farewell, not an
        # answer; a member leaving the list says no yes to a meeting
        value = None
    if said and not answer.changed:
        value, why["rsvp"] = said, subject
    elif answer.unsure:
        unsure.append("rsvp")
        why["rsvp"] = answer.why
    elif value:
        why["rsvp"] = answer.why
    question, question_why = commands.read_question(sentences)
    if question:
        why["question"] = question_why
    found_topics, topic_why = topics.read_topic_sentences(sentences, lang, headers, lex)
    all_topics = sections["topics"] + found_topics
    if all_topics:
        why["topics"] = " / ".join(sections["topics"] + topic_why)
    if sections["dietary"]:
        dietary: str | None = "; ".join(sections["dietary"])
        why["dietary"] = "; ".join(sections["dietary"])
    else:
        dietary, diet_why = diet.read_diet(sentences)
        if dietary:
            why["dietary"] = diet_why
    count = 0
    if value != "no" or not answer.strong:
        found = guests.read_guests(sentences, text.text, _numbers(lang.code), lang.code)
        count = found.count
        if value == "no" and count and "rsvp" not in unsure:  # "There will be four of us from the festival"
            unsure.append("rsvp")  # a party coming against a "no" read only from "tyvärr" or an event: ask
        if found.unsure:
            unsure.append("guests")
        if count:
            why["guests"] = found.why
    if value is None and command == "join":
        count = 0  # "Vi är fyra personer ... vill gå med i nätverket": the group joining, not a party coming
        why.pop("guests", None)
    if value is None and "rsvp" not in unsure and count and "guests" not in unsure:
        value = "yes"  # "We are three", "Jag + min fru", "+1": a party is coming
        why["rsvp"] = why["guests"]
    if value is None and "rsvp" not in unsure and sentences and not (
        all_topics or command or question or dietary or approval
    ):
        unsure.append("rsvp")  # an answer-like text the reader cannot classify
    return Intent(
        language=lang.code,
        rsvp=value,
        guests=count,
        dietary=dietary,
        topics=tuple(all_topics),
        needs=tuple(sections["needs"]),
        offers=tuple(sections["offers"]),
        speakers=tuple(sections["speakers"]),
        command=command,
        approval=approval,
        unsure=tuple(unsure),
        why=why,
        question=question,
    )
