"""Load the per-language rule files `parsers/lang/*.toml` into compiled, immutable rules.

A new language is a new data file: nothing here names a language.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from typing import Any

from parsers.numerals import inflected

_FLAGS = re.IGNORECASE | re.UNICODE
#: The commands a language file names ([commands]: whole-line words and `<kind>_phrases`); erase and
#: export (a member's data under the GDPR) come first: "radera mina uppgifter" is not leaving the list;
#: stay answers "are you still interested?".
COMMANDS = ("erase", "export", "stay", "leave", "join", "help")


@dataclass(frozen=True, slots=True)
class Sections:
    """Line markers ("Kost:", "Topic:") that introduce a kind of content, lower-cased."""

    dietary: tuple[str, ...]
    topics: tuple[str, ...]
    needs: tuple[str, ...]
    offers: tuple[str, ...]
    #: Guest speaker proposals ("Gästtalare: Maria Lind, Kulturkontakt Nord, Norden, hon vet allt om bidrag").
    speakers: tuple[str, ...] = ()


#: Each language's vocabulary, built once (the language objects live as long as the process).
_VOCABULARY: dict[int, tuple[Language, frozenset[str]]] = {}


@dataclass(frozen=True, slots=True)
class Language:
    """Every keyword and pattern of one language, compiled."""

    code: str
    words: frozenset[str]
    greetings: tuple[str, ...]
    signoffs: tuple[str, ...]
    attribution_verbs: tuple[str, ...]
    header_from: tuple[str, ...]
    header_fields: tuple[str, ...]
    separators: tuple[str, ...]
    signatures: tuple[str, ...]
    disclaimers: tuple[str, ...]
    calendar_generated: tuple[str, ...]
    autoreply_subjects: tuple[str, ...]
    answers: dict[str, frozenset[str]]
    corrections: tuple[str, ...]
    partial: re.Pattern[str] | None
    rsvp: dict[str, tuple[re.Pattern[str], ...]]
    guests_total: tuple[re.Pattern[str], ...]
    guests_extra: tuple[re.Pattern[str], ...]
    numbers: dict[str, int]
    sections: Sections
    dietary_keywords: tuple[str, ...]
    topic_phrases: tuple[str, ...]
    commands: dict[str, frozenset[str]]
    command_phrases: dict[str, re.Pattern[str] | None]
    approval: frozenset[str]
    reader: dict[str, tuple[str, ...]]
    reader_numbers: dict[str, int]
    negation_after: int

    @property
    def vocabulary(self) -> frozenset[str]:
        """Every word this language's data uses to recognise it: characteristic words and keyword words."""
        found = _VOCABULARY.get(id(self))
        if found is None or found[0] is not self:
            phrases = [*self.greetings, *self.signoffs, *self.approval]
            phrases += [p for kind in self.answers.values() for p in kind]
            phrases += [p for kind in self.commands.values() for p in kind]
            words = self.words | {
                word for phrase in phrases for word in re.findall(r"[^\W\d_]+(?:'[^\W\d_]+)?", phrase)
            }
            found = _VOCABULARY[id(self)] = (self, words)
        return found[1]

    def number(self, word: str) -> int | None:
        """The value of a number written as digits or as a word of this language."""
        word = word.casefold()
        if word.isascii() and word.isdigit() and len(word) <= 6:
            return int(word)
        return self.numbers.get(word)


def _strs(table: dict[str, Any], key: str) -> tuple[str, ...]:
    value = table.get(key, [])
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise ValueError(f"{key}: expected a list of strings")
    return tuple(value)


def _lower(table: dict[str, Any], key: str) -> tuple[str, ...]:
    return tuple(item.casefold() for item in _strs(table, key))


def _alternation(patterns: tuple[str, ...], flags: int = _FLAGS) -> re.Pattern[str] | None:
    if not patterns:
        return None
    return re.compile("|".join(f"(?:{p})" for p in patterns), flags)


def _lowercase_alternation(patterns: tuple[str, ...], where: str) -> re.Pattern[str] | None:
    """An alternation for text already lower-cased: without IGNORECASE, which makes sre try every branch at
    every position case by case (5x slower over a long text). Its patterns must hold no capital letter."""
    for p in patterns:
        if any(c.isupper() for c in re.sub(r"\\.", "", p)):  # (escapes such as \S or \W aside)
            raise ValueError(f"{where}: {p!r} has a capital letter; the phrases are matched on lower-cased text")
    return _alternation(patterns, re.UNICODE)


def _number_pattern(numbers: dict[str, int]) -> str:
    words = sorted(numbers, key=len, reverse=True)
    return r"(?P<n>\d+|" + "|".join(re.escape(w) for w in words) + ")"


def _build(data: dict[str, Any]) -> Language:
    quotes = data.get("quotes", {})
    rsvp = data.get("rsvp", {})
    guests = data.get("guests", {})
    sections = data.get("sections", {})
    commands = data.get("commands", {})
    reader = data.get("reader", {})
    numbers = {str(k).casefold(): int(v) for k, v in guests.get("numbers", {}).items()}
    num = _number_pattern(numbers)
    return Language(
        code=str(data["code"]),
        words=frozenset(_lower(data, "words")),
        greetings=_lower(data, "greetings"),
        signoffs=_lower(data, "signoffs"),
        attribution_verbs=_lower(quotes, "attribution_verbs"),
        header_from=_lower(quotes, "header_from"),
        header_fields=_lower(quotes, "header_fields"),
        separators=_lower(quotes, "separators"),
        signatures=_strs(quotes, "signatures"),
        disclaimers=_strs(quotes, "disclaimers"),
        calendar_generated=_strs(quotes, "calendar_generated"),
        autoreply_subjects=_lower(data.get("autoreply", {}), "subjects"),
        answers={kind: frozenset(_lower(rsvp, f"answer_{kind}")) for kind in ("yes", "no", "maybe")},
        corrections=_lower(rsvp, "corrections"),
        partial=_alternation(_strs(rsvp, "partial")),
        rsvp={
            kind: tuple(re.compile(p, _FLAGS) for p in _strs(rsvp, kind)) for kind in ("yes", "no", "maybe")
        },
        guests_total=tuple(re.compile(p.replace("{n}", num), _FLAGS) for p in _strs(guests, "total")),
        guests_extra=tuple(re.compile(p.replace("{n}", num), _FLAGS) for p in _strs(guests, "extra")),
        numbers=numbers,
        sections=Sections(
            dietary=_lower(sections, "dietary"),
            topics=_lower(sections, "topics"),
            needs=_lower(sections, "needs"),
            offers=_lower(sections, "offers"),
            speakers=_lower(sections, "speakers"),
        ),
        dietary_keywords=_lower(data.get("dietary", {}), "keywords"),
        topic_phrases=_lower(data.get("topics", {}), "phrases"),
        commands={kind: frozenset(_lower(commands, kind)) for kind in COMMANDS},
        command_phrases={  # (matched on lower-cased text: parsers/intent.read_command)
            kind: _lowercase_alternation(_strs(commands, f"{kind}_phrases"), f"[commands] {kind}_phrases")
            for kind in COMMANDS
        },
        approval=frozenset(_lower(data.get("approval", {}), "words")),
        reader={key: _lower(reader, key) for key, value in reader.items() if isinstance(value, list)},
        reader_numbers=inflected(str(data["code"]))
        | {str(k).casefold(): int(v) for k, v in reader.get("numbers", {}).items()},
        negation_after=int(reader.get("negation_after", 0)),
    )


def load_folder(folder: Traversable) -> tuple[Language, ...]:
    """Every `*.toml` language file in `folder`, sorted by file name; errors name the file."""
    found: list[Language] = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            try:
                found.append(_build(tomllib.loads(entry.read_text(encoding="utf-8"))))
            except (KeyError, ValueError, TypeError, re.error, tomllib.TOMLDecodeError) as exc:
                raise ValueError(f"{entry.name}: {exc}") from exc
    return tuple(found)


@cache
def languages() -> tuple[Language, ...]:
    """All languages shipped in `parsers/lang/`, sorted by code."""
    return load_folder(resources.files("parsers").joinpath("lang"))


@cache
def by_code() -> dict[str, Language]:
    """Languages keyed by their code ("sv", "fi", "en")."""
    return {lang.code: lang for lang in languages()}

