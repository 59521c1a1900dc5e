"""parsers/ against third-party corpora in ../shared/corpora (read as bytes, never copied here).

The folder is found through TRAFFPUNKT_CORPORA (default `<repo>/../shared/corpora`). When it is absent the
tests skip, unless TRAFFPUNKT_REQUIRE_CORPORA=1 (CI), which turns the skip into a failure.
Only email_reply_trimmer ships expected outputs; every other expectation here is our own judgement
from the file names and SOURCE.md notes, and is labelled so.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

import pytest

from parsers import ParsedReply, parse_reply
from parsers.quotes import strip_quotes

REPO = Path(__file__).resolve().parents[2]
CORPORA = Path(os.environ.get("TRAFFPUNKT_CORPORA", REPO.parent / "shared" / "corpora"))
REQUIRED = os.environ.get("TRAFFPUNKT_REQUIRE_CORPORA") == "1"

# email_reply_trimmer inputs in client languages we do not cover (the quote markers of de, fr, nl, it, es,
# pt, da, nb, et, pl, ru, uk, zh and ja are in parsers/lang/quotes/; they were written without these files).
OTHER_LANGUAGE: dict[str, str] = {}
# Supported-language inputs where we deliberately differ from Discourse's expected output.
DIVERGES = {
    "signatures.txt": (
        "every phone signature line of every language is dropped, but 'Someone from mobile' is no phone "
        "signature and stays (text after a signature that is not one is the member's); Discourse drops it"
    ),
    "embedded_email_17.txt": (
        "'On 8 May 2017 6:51 pm, \"Andy Jones\" <...> wrote:' is an attribution and we cut the quoted "
        "history below it; Discourse's regex misses the lower-case 'pm' and keeps the quote"
    ),
}


def corpus(name: str) -> Path:
    """The folder of one corpus; skips (or fails under TRAFFPUNKT_REQUIRE_CORPORA=1) when absent."""
    folder = CORPORA / name
    if not folder.is_dir():
        message = f"shared corpus {folder} not found (set TRAFFPUNKT_CORPORA)"
        if REQUIRED:
            pytest.fail(message)
        pytest.skip(message)
    return folder


def _normalise(text: str) -> str:
    return "\n".join(line.rstrip() for line in text.replace("\r\n", "\n").split("\n")).strip("\n")


def _trimmer_names() -> list[str]:
    folder = CORPORA / "email_reply_trimmer" / "emails"
    names = sorted(p.name for p in folder.glob("*.txt")) if folder.is_dir() else ["(corpus absent)"]
    return names


@pytest.mark.parametrize("name", _trimmer_names())
def test_email_reply_trimmer_expected_trimmed_text(name: str) -> None:
    folder = corpus("email_reply_trimmer")
    if name in OTHER_LANGUAGE:
        pytest.skip(f"language not supported: {OTHER_LANGUAGE[name]}")
    if name in DIVERGES:
        pytest.skip(f"deliberate divergence: {DIVERGES[name]}")
    text = (folder / "emails" / name).read_bytes().decode("utf-8")
    expected = _normalise((folder / "trimmed" / name).read_bytes().decode("utf-8"))
    # Discourse keeps "> " lines between pieces of new text; so does keep_inline_quotes.
    assert _normalise(strip_quotes(text, keep_inline_quotes=True)) == expected
    # Our own body rule drops every quoted line and otherwise keeps the same lines.
    strict = _normalise(strip_quotes(text))
    assert not any(line.lstrip().startswith(">") for line in strict.split("\n"))
    assert set(strict.split("\n")) <= set(expected.split("\n")) | {""}


def test_email_reply_trimmer_selection_keeps_most_inputs() -> None:
    folder = corpus("email_reply_trimmer")
    names = {p.name for p in (folder / "emails").glob("*.txt")}
    assert set(OTHER_LANGUAGE) | set(DIVERGES) <= names
    assert len(names - set(OTHER_LANGUAGE) - set(DIVERGES)) >= 40


@cache
def _sisimai_in(folder: Path) -> list[tuple[str, str, ParsedReply]]:
    labelled: list[tuple[str, str, ParsedReply]] = []
    for path in sorted(folder.rglob("*.eml")):
        if path.parent.name == "not":
            label = "not"
        elif path.name.startswith("rfc3834-"):
            label = "auto_reply"
        else:
            label = "bounce"
        labelled.append((path.name, label, parse_reply(path.read_bytes())))
    return labelled


def _sisimai() -> list[tuple[str, str, ParsedReply]]:
    """(file name, label from the name, what we read) for every sisimai sample, parsed once."""
    return _sisimai_in(corpus("sisimai") / "maildir")


def test_sisimai_no_bounce_or_auto_reply_is_ever_an_rsvp() -> None:
    offenders = []
    for name, label, reply in _sisimai():
        if label != "not" and (reply.rsvp is not None or reply.category in ("reply", "command")):
            offenders.append(f"{name}: {reply.category} {reply.rsvp}")
    assert offenders == []


# Our measurement: 609 of 629 bounce-labelled files are read as bounces (96.8%); the rest are read as
# auto-replies (Amazon SES JSON notifications from no-reply senders, fml list errors) or as unknown
# (ARF reports without a text part). The floor leaves a little room for the rules to change.
BOUNCE_FLOOR = 0.95


def test_sisimai_bounces_are_mostly_read_as_bounces() -> None:
    bounces = [reply for _name, label, reply in _sisimai() if label == "bounce"]
    detected = sum(reply.category == "bounce" for reply in bounces)
    assert detected / len(bounces) >= BOUNCE_FLOOR, f"{detected}/{len(bounces)}"


def test_sisimai_rfc3834_auto_replies_are_machine_mail() -> None:
    for name, label, reply in _sisimai():
        if label == "auto_reply":
            assert reply.category in ("auto_reply", "bounce"), name


def test_sisimai_not_bounces_are_not_read_as_bounces() -> None:
    for name, _label, reply in _sisimai():
        if name.startswith("is-not-bounce"):
            assert reply.category != "bounce", name


@pytest.mark.parametrize("name", ["good_reply", "good_reply_past", "good_reply_future"])
def test_ccs_imip_accepted_replies_are_yes(name: str) -> None:
    reply = parse_reply((corpus("ccs_imip") / name).read_bytes())
    assert (reply.category, reply.rsvp, reply.body) == ("reply", "yes", "")
    assert reply.imip is not None
    assert reply.imip.partstat == "ACCEPTED"
    assert reply.imip.uid == "1E71F9C8-AEDA-48EB-98D0-76E898F6BB5C"
    assert reply.imip.attendee == "xyzzy@example.com"


@pytest.mark.parametrize(
    "name", ["reply_missing_attachment", "reply_missing_attendee", "reply_missing_organizer"]
)
def test_ccs_imip_incomplete_replies_are_no_calendar_answer(name: str) -> None:
    reply = parse_reply((corpus("ccs_imip") / name).read_bytes())
    assert (reply.imip, reply.rsvp) == (None, None)


@pytest.mark.parametrize("name", ["dsn_failure_no_ics", "dsn_failure_no_original", "dsn_failure_with_ics"])
def test_ccs_imip_dsns_are_bounces(name: str) -> None:
    reply = parse_reply((corpus("ccs_imip") / name).read_bytes())
    assert reply.category == "bounce"
    assert reply.failed_recipients
    assert reply.rsvp is None


def test_every_eml_of_every_corpus_parses_without_a_parser_error() -> None:
    root = corpus("talon").parent
    failures = []
    for path in sorted(root.rglob("*.eml")) + sorted((root / "ccs_imip").glob("*_*")):
        reply = parse_reply(path.read_bytes())
        if reply.reason and reply.reason.startswith("parser error"):
            failures.append(f"{path.relative_to(root)}: {reply.reason}")
    assert failures == []
