"""Hostile mail for the parsers: the pathological families of issue 7 and the mutations of the fuzzer.

Shared by tests/parsers/test_pathological.py, test_property.py and bench/fuzz_parse.py.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass

HEAD = (
    "From: Anna Andersson <anna@example.fi>\r\nTo: Träffpunkt <natverk@example.org>\r\n"
    "Subject: Re: Inbjudan till träffen\r\nDate: Tue, 24 Nov 2026 10:15:00 +0100\r\n"
    "Message-ID: <hostile@example.fi>\r\nMIME-Version: 1.0\r\n"
)

BOUNCE_HEAD = (
    "From: Mailer-Daemon@example.co.uk (Mail Delivery System)\r\nTo: natverk@example.org\r\n"
    "Subject: Mail delivery failed: returning message to sender\r\nReturn-Path: <>\r\n"
)
BOUNCE_BODY = (
    "A message that you sent could not be delivered to one or more of its\nrecipients. This is a permanent "
    "error. The following address(es) failed:\n\n"
)


def plain(body: str, head: str = HEAD) -> bytes:
    """A text/plain UTF-8 reply with `body`."""
    return f"{head}Content-Type: text/plain; charset=utf-8\r\n\r\n{body}".encode()


def html(body: str) -> bytes:
    """A text/html-only UTF-8 reply with `body`."""
    return f"{HEAD}Content-Type: text/html; charset=utf-8\r\n\r\n{body}".encode()


def calendar(n: int) -> bytes:
    """An iMIP REPLY whose ATTENDEE line is repeated n times."""
    ics = (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:m-7@example.org\r\n"
        + "ATTENDEE;PARTSTAT=ACCEPTED;CN=Anna:mailto:anna@example.fi\r\n" * n
        + "DESCRIPTION:" + "x" * n + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    return f"{HEAD}Content-Type: text/calendar; method=REPLY; charset=utf-8\r\n\r\n{ics}".encode()


def report(status: str, returned: str = "Subject: x\r\n", to: str = "natverk@example.org") -> bytes:
    """A multipart/report bounce with `status` as its delivery-status part and `returned` as the returned
    message's header block."""
    head = BOUNCE_HEAD.replace("To: natverk@example.org", f"To: {to}")
    return (f"{head}Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n"
            f"--b\r\nContent-Type: text/plain\r\n\r\n{BOUNCE_BODY}--b\r\n"
            f"Content-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n{status}\r\n"
            f"--b\r\nContent-Type: message/rfc822\r\n\r\n{returned}\r\nhi\r\n--b--\r\n").encode()


def alternative(boundary: str) -> bytes:
    """A multipart/alternative reply whose parts are delimited by `boundary`."""
    return (f"{HEAD}Content-Type: multipart/alternative; boundary=\"{boundary}\"\r\n\r\n"
            f"--{boundary}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nJa, jag kommer.\r\n"
            f"--{boundary}--\r\n").encode()


def many_params(n: int) -> bytes:
    """A multipart reply whose Content-Type, its text part's Content-Type and Content-Disposition each carry
    n parameters after the ones that matter (the stdlib parses parameters in quadratic time)."""
    junk = "; a=1" * n
    return (f"{HEAD}Content-Type: multipart/alternative; boundary=\"bb\"{junk}\r\n\r\n"
            f"--bb\r\nContent-Type: text/plain; charset=utf-8{junk}\r\n"
            f"Content-Disposition: inline; filename=svar.txt{junk}\r\n\r\nJa, jag kommer.\r\n--bb--\r\n").encode()


def _outlook_block(n: int) -> str:
    fields = ("From: Träffpunkt <natverk@example.org>", "Sent: Tuesday", "To: Anna", "Cc: a", "Subject: Re")
    return "\n".join(fields[i % len(fields)] for i in range(n))


@dataclass(frozen=True, slots=True)
class Family:
    """A pathological input that grows with n, and the n at which the issue measured it."""

    name: str
    build: Callable[[int], bytes]
    issue_n: int
    timing_n: int  # a size where parse time is measurable and no cap is reached yet


FAMILIES = (
    # Header-like lines before the new text: exponential backtracking in the old bottom-post pattern.
    Family("header_lines", lambda n: plain("Cc: a\n" * n + "Ja, jag kommer."), 24, 2000),
    Family("outlook_block", lambda n: plain("Ja, jag kommer.\n\n" + _outlook_block(n)), 2000, 2000),
    Family("trailing_spaces", lambda n: plain("Yes." + " " * n + "x"), 5000, 50000),
    Family("quote_lines", lambda n: plain("> \n" * n), 350_000, 8000),
    Family("html_open_tags", lambda n: html("<a" * n), 50_000, 8000),
    Family("plus_one", lambda n: plain("+1 " * n), 330_000, 2000),
    Family("wrote_lines", lambda n: plain("wrote:\n" * n), 50_000, 4000),
    Family("plain_lines", lambda n: plain("Ja, jag kommer. Hälsningar Anna\n" * n), 650_000, 2000),
    Family("encoded_words", lambda n: plain("Ja", HEAD + "Subject: " + "=?utf-8?q?" * n + "\r\n"), 3000, 1500),
    Family("from_comments", lambda n: plain("Ja", "From: " + "(" * n + "\r\n" + HEAD), 5000, 8000),
    Family("from_groups", lambda n: plain("Ja", "From: " + "a:" * n + "\r\n" + HEAD), 5000, 8000),
    # Thousands of header lines: the stdlib scans them all on every header lookup.
    Family("header_flood", lambda n: plain("Ja", HEAD + "Received: x\r\n" * n), 20_000, 2000),
    # A calendar answer with thousands of lines (icalendar costs ~30 us a line).
    Family("calendar_lines", lambda n: calendar(n), 20_000, 2000),
    # One long line in a bounce: flufl.bounce's address patterns are quadratic in a line's length.
    Family("bounce_long_line", lambda n: plain(BOUNCE_BODY + "=?" * n + "\n", BOUNCE_HEAD), 30_000, 8000),
    # Found by bench/fuzz_parse.py: a bounce's delivery-status part with thousands of blank lines (the bounce
    # proof once parsed the raw mail again without the guards), its returned message with thousands of header
    # fields (every lookup scans them), nested comments in its To (the stdlib's address parser recurses).
    # Short lines in a plain-text bounce: flufl.bounce's 50 pattern sets run over each (a fuzzer find, 0.5 s).
    Family("bounce_short_lines", lambda n: plain(BOUNCE_BODY + "-- \n" * n, BOUNCE_HEAD), 7000, 2000),
    # Parameters in a bounce's Content-Type: every parameter lookup parses all of them.
    Family("bounce_type_params", lambda n: plain(BOUNCE_BODY, BOUNCE_HEAD.replace(
        "Return-Path: <>\r\n", "Return-Path: <>\r\n") + "X-Y: 1\r\n").replace(
        b"Content-Type: text/plain; charset=utf-8", b"Content-Type: text/plain; charset=utf-8" + b"; a=1" * n),
        5000, 8000),
    # Found in session 11: thousands of parameters in the fields the reader asks for a boundary, a charset or
    # a file name (every lookup parsed them all again, each in quadratic time: 0.47 s at 480 KB).
    Family("many_params", many_params, 32_000, 8000),
    Family("bounce_blank_lines", lambda n: report("\r\n" * n), 20_000, 2000),
    Family("bounce_part_headers", lambda n: report("", "Received: x\r\n" * n), 10_000, 2000),
    Family("bounce_to_comments", lambda n: report("", to="(" * n + " natverk@example.org"), 5000, 2000),
    # A boundary of 100 KB: the stdlib compiles each boundary into a regex (a fuzzer find, 0.6 s).
    Family("long_boundary", lambda n: alternative("b" * n), 100_000, 20_000),
    Family(
        "failed_recipients",
        lambda n: plain("x", HEAD + "Return-Path: <>\r\nX-Failed-Recipients: " + "a" * n + "\r\n"),
        30_000,
        8000,
    ),
    # A list of failed recipients: flufl's Exim detector parses each address with the stdlib (a fuzzer find).
    Family(
        "failed_recipient_list",
        lambda n: plain("x", HEAD + "Return-Path: <>\r\nX-Failed-Recipients: " + "a@b.fi, " * n + "\r\n"),
        9000,
        2000,
    ),
)


# --- mutations of real mails (the fuzzer and the property test) ---


def flip_bytes(data: bytes, rng: random.Random) -> bytes:
    """A few bytes replaced by random ones."""
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def duplicate_line(data: bytes, rng: random.Random) -> bytes:
    """One line repeated many times in place (a long header block, a column of quotes)."""
    lines = data.split(b"\n")
    i = rng.randrange(len(lines))
    return b"\n".join(lines[:i] + [lines[i]] * rng.choice((2, 10, 100, 1000)) + lines[i:])


def splice(data: bytes, other: bytes, rng: random.Random) -> bytes:
    """The start of one mail with the end of another."""
    return data[: rng.randint(0, len(data))] + other[rng.randint(0, len(other)) :]


INJECTED_HEADERS = (
    b"From: =?utf-8?q?Bcc:_victim=40example.fi?= <eve@evil.example>",
    b"From: second@example.org",
    b"Content-Type: text/plain; charset=\"utf-8\x00\"",
    b"Content-Type: multipart/mixed; boundary=\"",
    b"Content-Transfer-Encoding: base64",
    b"Subject: =?utf-8?b?!!!?= =?x-klingon?q?=ZZ?=",
    b"Auto-Submitted: auto-replied",
    b"To: " + b"(" * 500,
)


def inject_header(data: bytes, rng: random.Random) -> bytes:
    """A hostile header line put at the top or among the headers."""
    line = rng.choice(INJECTED_HEADERS) + b"\r\n"
    end = data.find(b"\n\n")
    at = 0 if end < 0 else rng.randint(0, end)
    at = data.rfind(b"\n", 0, at) + 1
    return data[:at] + line + data[at:]


REPEATS = (b"Cc: a\n", b"> ", b"<a", b"+1 ", b"wrote:\n", b" ", b"=?", b"\n", b"-- \n", b"From: x\n")


def big_repeat(data: bytes, rng: random.Random, limit: int = 100_000) -> bytes:
    """A pathological unit repeated up to `limit` bytes somewhere in the mail."""
    unit = rng.choice(REPEATS)
    at = rng.randint(0, len(data))
    return data[:at] + unit * rng.randint(1, max(1, limit // len(unit))) + data[at:]


def mutate(data: bytes, other: bytes, rng: random.Random, limit: int = 100_000) -> bytes:
    """One to three random mutations of `data` (`other` is another mail to splice with)."""
    for _ in range(rng.randint(1, 3)):
        kind = rng.randrange(5)
        if kind == 0:
            data = flip_bytes(data, rng)
        elif kind == 1:
            data = duplicate_line(data, rng)
        elif kind == 2:
            data = splice(data, other, rng)
        elif kind == 3:
            data = inject_header(data, rng)
        else:
            data = big_repeat(data, rng, limit)
    return data
