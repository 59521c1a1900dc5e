"""Every tests/data/*.eml is read as its .json says, field by field, by the rules of tests/data/README.md."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from parsers import ParsedReply, parse_reply
from parsers.message import parse_message

DATA = Path(__file__).resolve().parents[1] / "data"
FIELDS = (
    "category", "rsvp", "guests", "topics", "dietary", "command", "needs", "offers", "body",
    "failed_recipients", "language",
)  # fmt: skip
OPTIONAL = ("tokens", "imip_partstat")
FLOOR = 0.98
# Phrases of traffpunkt's own invitations: a body that contains one has kept quoted history.
INVITATION_PHRASES = (
    "Svara JA, NEJ eller KANSKE",
    "Vastaa KYLLÄ, EI tai EHKÄ",
    "Reply YES, NO or MAYBE",
)
_ATTRIBUTION = re.compile(r"(?:wrote|skrev|kirjoitti)\s*:\s*$", re.IGNORECASE)


def _files() -> list[Path]:
    return sorted(path for path in DATA.glob("*.eml") if path.with_suffix(".json").exists())


def _item(text: str) -> str:
    return " ".join(text.casefold().split()).rstrip(".!?:;,")


def _items(values: Any) -> list[str]:
    return [_item(str(value)) for value in values or []]


def _body(text: str | None) -> str:
    return " ".join((text or "").split())


def field_matches(name: str, expected: Any, reply: ParsedReply) -> bool:
    """One field of the contract compared the way tests/data/README.md says."""
    if name in ("topics", "needs", "offers"):
        return _items(expected) == _items(getattr(reply, name))
    if name == "dietary":
        if expected is None or reply.dietary is None:
            return expected is None and reply.dietary is None
        return str(expected).casefold() in reply.dietary.casefold()
    if name == "body":
        return _body(expected) == _body(reply.body)
    if name == "failed_recipients":
        return sorted(a.casefold() for a in expected or []) == sorted(reply.failed_recipients)
    if name == "tokens":
        return list(expected) == list(reply.tokens)
    if name == "imip_partstat":
        return expected == (reply.imip.partstat if reply.imip else None)
    return bool(expected == getattr(reply, name))


@cache
def _read(path: Path) -> tuple[dict[str, Any], ParsedReply]:
    return json.loads(path.with_suffix(".json").read_text(encoding="utf-8")), parse_reply(path.read_bytes())


def mismatches(path: Path) -> dict[str, tuple[Any, Any]]:
    """Field -> (expected, read) for every field of `path` that does not match."""
    expected, reply = _read(path)
    found: dict[str, tuple[Any, Any]] = {}
    for name in FIELDS + OPTIONAL:
        if name in expected and not field_matches(name, expected[name], reply):
            actual = reply.to_json_dict().get(name)
            found[name] = (expected[name], actual)
    return found


def quoted_lines_in_body(path: Path) -> list[str]:
    """Quoted lines (">" lines, attribution lines, invitation phrases) of the mail found in its body."""
    _expected, reply = _read(path)
    text = parse_message(path.read_bytes()).text
    body_lines = {" ".join(line.split()) for line in reply.body.split("\n") if line.strip()}
    leaks = [line for line in reply.body.split("\n") if line.lstrip().startswith(">")]
    for line in text.split("\n"):
        stripped = " ".join(line.strip().split())
        if len(stripped) < 12 or stripped not in body_lines:
            continue
        if line.lstrip().startswith(">") or _ATTRIBUTION.search(stripped):
            leaks.append(stripped)
    leaks += [phrase for phrase in INVITATION_PHRASES if phrase.casefold() in reply.body.casefold()]
    return leaks


def _ids() -> list[str]:
    return [path.stem for path in _files()] or ["(corpus empty)"]


@pytest.mark.parametrize("stem", _ids())
def test_corpus_mail_is_read_as_its_json_says(stem: str) -> None:
    if stem == "(corpus empty)":
        pytest.skip("tests/data has no .eml/.json pairs yet")
    path = DATA / f"{stem}.eml"
    assert mismatches(path) == {}
    assert quoted_lines_in_body(path) == []


def test_corpus_scores_at_least_98_percent_per_field_and_never_leaks_quotes() -> None:
    files = _files()
    if not files:
        pytest.skip("tests/data has no .eml/.json pairs yet")
    totals: dict[str, int] = {}
    good: dict[str, int] = {}
    leaks: dict[str, list[str]] = {}
    for path in files:
        expected, _reply = _read(path)
        wrong = mismatches(path)
        for name in FIELDS + OPTIONAL:
            if name in expected:
                totals[name] = totals.get(name, 0) + 1
                good[name] = good.get(name, 0) + (name not in wrong)
        found = quoted_lines_in_body(path)
        if found:
            leaks[path.name] = found
    scores = {name: good[name] / totals[name] for name in totals}
    low = {name: f"{good[name]}/{totals[name]}" for name, score in scores.items() if score < FLOOR}
    assert low == {}
    assert leaks == {}
