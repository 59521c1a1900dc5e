"""Raw bytes in any charset, transfer encoding or MIME shape become text; nothing ever raises."""

from __future__ import annotations

import json
from datetime import datetime

import pytest
from _mails import INVITATION_SV, TOKEN, headers, html_only, multipart, plain, quoted

from parsers import parse_reply
from parsers.html_text import html_to_text
from parsers.message import decode_bytes, parse_message

BODY = "Ja, jag kommer gärna!\nKost: laktosfri\n\nHälsningar, Åsa"


@pytest.mark.parametrize(
    ("charset", "cte"),
    [
        ("utf-8", "8bit"),
        ("utf-8", "quoted-printable"),
        ("utf-8", "base64"),
        ("iso-8859-1", "8bit"),
        ("iso-8859-1", "quoted-printable"),
        ("windows-1252", "base64"),
        ("iso-8859-15", "quoted-printable"),
    ],
)
def test_charsets_and_transfer_encodings_decode_to_the_same_body(charset: str, cte: str) -> None:
    reply = parse_reply(plain(BODY, charset=charset, cte=cte))
    assert reply.body == BODY
    assert (reply.rsvp, reply.dietary, reply.language) == ("yes", "laktosfri", "sv")


def test_crlf_line_ends_are_normalised() -> None:
    reply = parse_reply(
        plain(f"{BODY}\n\nDen 2026-11-24 kl. 10:02, skrev Träffpunkt:\n{quoted(INVITATION_SV)}", crlf=True)
    )
    assert reply.body == BODY


def test_unknown_charset_falls_back_without_raising() -> None:
    raw = f"{headers()}\nContent-Type: text/plain; charset=x-klingon\n\nJa, jag kommer!\n".encode()
    assert parse_reply(raw).body == "Ja, jag kommer!"
    assert decode_bytes("Hälsningar".encode("latin-1"), "x-klingon") == "Hälsningar"


def test_mislabelled_utf8_in_us_ascii_part_is_read_as_utf8() -> None:
    raw = f"{headers()}\nContent-Type: text/plain; charset=us-ascii\n\nJa, vi ses på torsdag!\n".encode()
    assert parse_reply(raw).body == "Ja, vi ses på torsdag!"


def test_format_flowed_soft_breaks_are_joined() -> None:
    reply = parse_reply(plain("Ja, jag kommer gärna och tar med \ntvå praktikanter.\n", flowed=True))
    assert reply.body == "Ja, jag kommer gärna och tar med två praktikanter."
    assert reply.guests == 2


def test_html_only_outlook_reply_drops_the_quoted_message() -> None:
    html = (
        "<html><head><style>p {margin:0}</style></head><body><div><p>Tyvärr kan jag inte komma.</p>"
        "<p>Hälsningar,<br>Johan</p></div><hr style='display:inline-block'><div id='divRplyFwdMsg'>"
        "<b>Från:</b> Träffpunkt<br><b>Skickat:</b> tisdag<br></div><div>Svara JA, NEJ eller KANSKE</div>"
        "</body></html>"
    )
    reply = parse_reply(html_only(html))
    assert reply.body == "Tyvärr kan jag inte komma.\n\nHälsningar,\nJohan"
    assert reply.rsvp == "no"


def test_gmail_quote_and_blockquote_are_dropped_from_html() -> None:
    html = (
        '<div dir="ltr">Kyllä, tulen!</div><br><div class="gmail_quote">'
        '<div class="gmail_attr">ti 24.11.2026 '
        "klo 10.02 Träffpunkt kirjoitti:</div><blockquote>Vastaa KYLLÄ, EI tai EHKÄ</blockquote></div>"
    )
    assert html_to_text(html) == "Kyllä, tulen!"
    assert (
        html_to_text("<p>Ja</p><blockquote type='cite'><div>Svara JA</div></blockquote><p>Anna</p>")
        == "Ja\n\nAnna"
    )


def test_plain_part_is_preferred_over_html() -> None:
    raw = multipart([("text/plain; charset=utf-8", "Nej tack."), ("text/html; charset=utf-8", "<p>Ja!</p>")])
    assert parse_reply(raw).rsvp == "no"


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"\x00\xff\xfe garbage",
        b'Content-Type: multipart/mixed; boundary="x"\n\n--x\nContent-Type: text/plain\n\nno end',
        b'From: <>\nContent-Type: text/plain; charset="\n\nJa',
        b"Content-Transfer-Encoding: base64\nContent-Type: text/plain\n\n!!!not base64!!!",
        b"Content-Type: text/calendar; method=REPLY\n\nBEGIN:VCALENDAR\nMETHOD:REPLY\nBEGIN:VEVENT",
        b"Subject: =?utf-8?B?broken?=\nDate: not a date\n\nJa",
    ],
)
def test_malformed_mail_never_raises(raw: bytes) -> None:
    reply = parse_reply(raw)
    assert reply.category in ("reply", "unknown", "auto_reply", "bounce", "command")
    json.dumps(reply.to_json_dict())


def test_mail_without_text_is_unknown_with_a_reason() -> None:
    reply = parse_reply(b"From: a@b.fi\nSubject: hi\n\n")
    assert reply.category == "unknown"
    assert reply.reason


def test_envelope_fields_are_read_and_lower_cased() -> None:
    reply = parse_reply(plain(BODY, sender="=?utf-8?q?=C3=85sa_=C3=96berg?= <Asa.Oberg@Example.COM>"))
    assert reply.from_address == "asa.oberg@example.com"
    assert reply.from_name == "Åsa Öberg"
    assert reply.to_addresses == (f"natverk+{TOKEN}@example.org",)
    assert reply.message_id == "reply-1@example.com"
    assert reply.in_reply_to == f"{TOKEN}.invitation.1.x@example.org"
    assert reply.references == (f"{TOKEN}.invitation.1.x@example.org",)
    assert isinstance(reply.date, datetime) and reply.date.tzinfo is not None


def test_tokens_are_found_in_addresses_subject_and_threading_headers_in_order() -> None:
    other = "tp7-0-zzzzzzzzzzzz"
    raw = plain(
        "Ja",
        to=f"natverk+{TOKEN.upper()}@example.org",
        subject=f"Ja [{other}]",
        extra="Delivered-To: natverk+tp42-7-abcdefghjkmn@example.org",
    )
    assert parse_reply(raw).tokens == (TOKEN, other)


def test_parsed_header_values_come_from_one_read() -> None:
    message = parse_message(plain(BODY))
    assert set(message.headers) >= {"from", "to", "subject", "date", "message-id"}
    assert "mime-version" not in message.headers
