"""A display name never supplies an address, and one broken header, charset or part never hides the mail."""

from __future__ import annotations

import base64

import pytest
from _mails import TOKEN, headers, multipart, plain

from parsers import parse_reply
from parsers.decode import decode_bytes, decode_header_value

ANSWER = "Ja, jag kommer gärna!"


def _mail(sender: str, *, extra: str = "", to: str = "Träffpunkt <natverk@example.org>") -> bytes:
    return (
        f"From: {sender}\r\nTo: {to}\r\n{extra}Subject: Re: Inbjudan\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n{ANSWER}\r\n"
    ).encode()


def test_an_encoded_word_naming_an_address_stays_a_display_name() -> None:
    reply = parse_reply(_mail("=?utf-8?q?Bcc:_victim=40example.fi?= <eve@evil.example>"))
    assert reply.from_address == "eve@evil.example"
    assert reply.from_name == "Bcc: victim@example.fi"


@pytest.mark.parametrize(
    "sender",
    [
        "=?utf-8?q?victim=40example.fi?=",  # only an encoded-word: no address at all
        "<=?utf-8?q?victim=40example.fi?=>",
        "=?utf-8?q?victim?=@example.fi",
        "victim@example.fi <eve@evil.example>",  # an unquoted address as display name: ambiguous
        "anna@example.fi, eve@evil.example",  # two addresses in From
        "Team: anna@example.fi, eve@evil.example;",
        "undisclosed-recipients:;",
        "(" * 5000,  # nested comments make the stdlib parser recurse
        "a:" * 5000,  # nested groups too
    ],
)
def test_a_from_header_without_exactly_one_plain_address_gives_no_sender(sender: str) -> None:
    reply = parse_reply(_mail(sender))
    assert reply.from_address is None
    assert reply.rsvp == "yes"  # the mail is still read; the handler quarantines it for "no sender"


def test_two_from_headers_give_no_sender() -> None:
    assert parse_reply(_mail("anna@example.fi", extra="From: eve@evil.example\r\n")).from_address is None


def test_a_quoted_display_name_that_looks_like_an_address_is_only_a_name() -> None:
    reply = parse_reply(_mail('"anna@example.fi" <eve@evil.example>'))
    assert (reply.from_address, reply.from_name) == ("eve@evil.example", "anna@example.fi")


def test_encoded_display_names_are_decoded_and_joined() -> None:
    reply = parse_reply(_mail("=?utf-8?q?=C3=85sa?= =?utf-8?q?_Lind?= <Asa.Lind@Example.fi>"))
    assert (reply.from_address, reply.from_name) == ("asa.lind@example.fi", "Åsa Lind")


def test_a_token_in_a_recipient_display_name_is_no_token() -> None:
    hostile = f"=?utf-8?q?natverk+{TOKEN}=40example.org?= <natverk@example.org>"
    reply = parse_reply(_mail("anna@example.fi", to=hostile).replace(b"Subject: Re: Inbjudan", b"Subject: Re"))
    assert reply.tokens == ()
    assert reply.to_addresses == ("natverk@example.org",)


def test_a_noreply_display_name_does_not_make_a_member_a_machine() -> None:
    reply = parse_reply(_mail('"noreply@example.org" <anna@example.fi>'))
    assert (reply.category, reply.from_address) == ("reply", "anna@example.fi")


@pytest.mark.parametrize(
    "subject",
    [
        "=?utf-8?q?Re:_Inbjudan",  # never closed
        "=?utf-8?b?!!!?=",  # not base64
        "=?utf-8?b?SGVq?= =?x-klingon?q?=ZZ?=",  # unknown charset, bad escape
        "=?utf-8\x00?q?Re?=",  # NUL in the charset name
        "=?" * 5000,
        "Re: \udce4",  # placeholder for a raw 8-bit byte (replaced below)
    ],
)
def test_a_broken_encoded_word_in_the_subject_leaves_the_rest_readable(subject: str) -> None:
    raw = _mail("Anna <anna@example.fi>").replace(b"Subject: Re: Inbjudan", b"Subject: " + subject.encode(
        "utf-8", "surrogateescape"))  # fmt: skip
    reply = parse_reply(raw)
    assert (reply.category, reply.rsvp, reply.from_address) == ("reply", "yes", "anna@example.fi")
    assert reply.body == ANSWER


def test_one_broken_encoded_word_among_good_ones_is_kept_as_written() -> None:
    assert decode_header_value("=?utf-8?q?J=C3=A4?= =?utf-8?b?!?= ok") == "Jä =?utf-8?b?!?= ok"


@pytest.mark.parametrize(
    "charset",
    ['"utf-8\x00"', "utf-8\x00", "x" * 5000, "x-klingon", "unicode_escape", "rot13", "base64", '""', "idna"],
)
def test_a_hostile_or_unknown_charset_name_falls_back_to_utf8(charset: str) -> None:
    raw = f"{headers()}\nContent-Type: text/plain; charset={charset}\n\n{ANSWER}\n".encode()
    reply = parse_reply(raw)
    assert (reply.category, reply.body, reply.rsvp) == ("reply", ANSWER, "yes")


def test_a_few_broken_bytes_in_utf8_text_are_replaced_and_the_rest_kept() -> None:
    text = decode_bytes("Hälsningar från Åsa ".encode() + b"\xff" + " och Göran".encode(), "utf-8")
    assert text == "Hälsningar från Åsa \ufffd och Göran"


def test_bad_base64_is_read_as_far_as_it_goes() -> None:
    good = base64.b64encode(ANSWER.encode()).decode()
    raw = f"{headers()}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
    reply = parse_reply((raw + good + "\n!!!*** not base64 @@@\n").encode())
    assert reply.rsvp == "yes"
    assert reply.body.startswith("Ja, jag kommer")


def test_a_truncated_multipart_still_gives_its_text() -> None:
    raw = multipart([("text/plain; charset=utf-8", ANSWER), ("text/html; charset=utf-8", "<p>Ja</p>")])
    cut = raw.rfind(b"--", 0, len(raw) - 10)  # drop the closing boundary and the tail of the last part
    reply = parse_reply(raw[:cut])
    assert (reply.category, reply.rsvp, reply.body) == ("reply", "yes", ANSWER)


def test_a_binary_plain_part_gives_way_to_the_html_alternative() -> None:
    boundary = "b1"
    raw = (
        f"{headers()}\nContent-Type: multipart/alternative; boundary={boundary}\n\n"
        f"--{boundary}\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n"
        f"{base64.b64encode(bytes(range(256)) * 4).decode()}\n"
        f"--{boundary}\nContent-Type: text/html; charset=utf-8\n\n<p>{ANSWER}</p>\n--{boundary}--\n"
    ).encode()
    reply = parse_reply(raw)
    assert (reply.category, reply.rsvp, reply.body) == ("reply", "yes", ANSWER)


def test_a_mail_that_is_only_binary_is_still_called_unreadable() -> None:
    reply = parse_reply(plain("\x00\x01\x02\x03\x04" * 200))
    assert reply.category == "unknown"
    assert "not readable" in (reply.reason or "")
