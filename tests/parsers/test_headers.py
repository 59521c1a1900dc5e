"""The quick reading of a plain single-part mail gives exactly the Message the stdlib's parser gives, and
leaves every other mail to the stdlib."""

from __future__ import annotations

import email
import email.policy
from email.message import Message
from pathlib import Path

import pytest

from parsers.headers import quick_message

DATA = Path(__file__).resolve().parents[1] / "data"


def _state(msg: Message) -> tuple[object, ...]:
    return (list(msg.raw_items()), msg.get_payload(), [type(d) for d in msg.defects],
            msg.get_unixfrom(), msg.get_default_type(), msg.preamble, msg.epilogue, msg.get_charset())


def _stdlib(raw: bytes) -> Message:
    return email.message_from_bytes(raw, policy=email.policy.compat32)


@pytest.mark.parametrize("path", sorted(DATA.glob("*.eml")), ids=lambda p: p.name)
def test_every_sample_mail_reads_as_the_stdlib_reads_it(path: Path) -> None:
    raw = path.read_bytes()
    quick = quick_message(raw)
    if quick is not None:
        assert _state(quick) == _state(_stdlib(raw))


def test_folded_headers_crlf_and_8bit_read_as_the_stdlib_reads_them() -> None:
    raw = (b"From: =?utf-8?q?=C3=85sa?= <asa@example.fi>\r\nSubject: Re: a long\r\n \tfolded subject \r\n"
           b"X-Empty:\r\nX-Odd~Name:  v\xc3\xa4rde\r\n\r\nJa, jag kommer.\r\n\r\n> quoted\r\n")
    quick = quick_message(raw)
    assert quick is not None
    assert _state(quick) == _state(_stdlib(raw))
    assert quick["subject"] == "Re: a long\r\n \tfolded subject "


@pytest.mark.parametrize(
    "raw",
    [
        b"From: a@b.fi\rSubject: lone CR\r\rbody\r",  # a lone CR ends a line for the stdlib
        b" continued first line\nFrom: a@b.fi\n\nbody\n",  # a defect the stdlib records
        b"From a@b.fi Mon Jan  1 00:00:00 2026\nFrom: a@b.fi\n\nbody\n",  # an mbox "From " line
        b"From: a@b.fi\nnot a header line\n\nbody\n",  # the body starts early, with a defect
        b"From: a@b.fi\nSubject: no blank line\n",
        b"\nFrom: a@b.fi\n\nbody\n",  # no headers at all
        b'From: a@b.fi\nContent-Type: multipart/alternative; boundary="b"\n\n--b\n\nx\n--b--\n',
        b"From: a@b.fi\nContent-Type: message/rfc822\n\nFrom: c@d.fi\n\nx\n",
    ],
)
def test_mail_the_quick_reading_cannot_vouch_for_is_left_to_the_stdlib(raw: bytes) -> None:
    assert quick_message(raw) is None


def test_a_boundary_of_70_characters_still_splits_the_parts() -> None:
    from _hostile import alternative

    from parsers import parse_reply

    reply = parse_reply(alternative("=_" + "b" * 68))
    assert reply.rsvp == "yes"


def test_a_boundary_longer_than_any_mailer_writes_is_read_as_none_and_compiles_no_pattern() -> None:
    import re

    from _hostile import alternative

    from parsers.headers import MAX_BOUNDARY, stdlib_message

    re.purge()
    msg = stdlib_message(alternative("b" * (MAX_BOUNDARY + 1)))
    assert msg.get_boundary() is None and not msg.is_multipart()
    assert any(type(d).__name__ == "NoBoundaryInMultipartDefect" for d in msg.defects)
    assert _stdlib(alternative("b" * (MAX_BOUNDARY + 1))).is_multipart()  # the stdlib alone splits it
