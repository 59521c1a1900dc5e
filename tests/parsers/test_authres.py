"""Reading Authentication-Results: which verdicts are our server's, what they prove, robustly and in linear time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from parsers import authres, bounceproof, parse_reply
from parsers.message import parse_message

ROOT = Path(__file__).resolve().parents[2]
CORPORA = Path(os.environ.get("TRAFFPUNKT_CORPORA", ROOT.parent / "shared" / "corpora"))
OURS = "mx.ours.example"
RECEIPT = "Received: from mail.sender.example (mail.sender.example [192.0.2.1]) by mx.ours.example with ESMTPS id 1"


def _fields(*lines: str) -> list[tuple[str, str]]:
    return authres.header_fields(("\r\n".join(lines) + "\r\n\r\nbody\r\n").encode())


@pytest.mark.parametrize("value, method, result, props", [
    ("mx.ours.example 1; dkim=pass (2048-bit key; secure) header.d=Example.ORG header.s=s1",
     "dkim", "pass", {"header.d": "Example.ORG", "header.s": "s1"}),
    ('mx.ours.example; dmarc = pass (p=reject; dis=none) header.from = "example.org"',
     "dmarc", "pass", {"header.from": "example.org"}),
    ("mx.ours.example (comment (nested; x=y)); dkim/1=fail reason=\"bad sig\" header.i=@example.org",
     "dkim", "fail", {"reason": "bad sig", "header.i": "@example.org"}),
])
def test_a_verdict_is_read_through_comments_quotes_versions_and_spaces(
        value: str, method: str, result: str, props: dict[str, str]) -> None:
    parsed = authres.parse(value)
    assert parsed is not None and parsed.authserv_id == OURS
    assert parsed.results[0].method == method and parsed.results[0].result == result
    assert parsed.results[0].props == props


def test_a_field_without_an_authserv_id_names_nobody() -> None:
    assert authres.parse("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.org; dkim=pass") is None
    assert authres.parse("") is None
    assert authres.parse('"mx.ours.example"; none') == authres.AuthResults(OURS, ())


def test_only_verdicts_above_our_servers_smtp_receipt_are_ours() -> None:
    fields = _fields(
        "Received: from mx.ours.example by imap.ours.example (Dovecot) with LMTP id x",
        f"Authentication-Results: {OURS}; dmarc=pass header.from=a.example",
        "Authentication-Results: other.example; dmarc=pass header.from=b.example",
        RECEIPT,
        f"Authentication-Results: {OURS}; dmarc=pass header.from=c.example",
    )
    trusted = authres.trusted(fields, OURS)
    assert [r.results[0].props["header.from"] for r in trusted] == ["a.example"]
    assert authres.vouches(fields, OURS, "x@a.example")
    assert not authres.vouches(fields, OURS, "x@b.example") and not authres.vouches(fields, OURS, "x@c.example")


def test_without_a_verdict_above_the_receipt_only_the_first_right_under_it_is_ours() -> None:
    fields = _fields(
        "Received: by 2002:a05:7300:8f0b with SMTP id x1",  # an internal hop of our own, by no name of ours
        RECEIPT,
        "Received-SPF: pass",
        f"Authentication-Results: {OURS}; dkim=none; dmarc=fail header.from=a.example",
        f"Authentication-Results: {OURS}; dmarc=pass header.from=a.example",  # the sender's: below ours
    )
    assert [r.results[0].method for r in authres.trusted(fields, OURS)] == ["dkim"]
    assert not authres.vouches(fields, OURS, "x@a.example")
    behind_a_foreign_hop = _fields(RECEIPT, "Received: from x by mail.sender.example with ESMTP id 3",
                                   f"Authentication-Results: {OURS}; dmarc=pass header.from=a.example")
    assert authres.trusted(behind_a_foreign_hop, OURS) == []
    reinjected = _fields("Received: from localhost by mx.ours.example with ESMTP id 2", RECEIPT,
                         f"Authentication-Results: {OURS}; dmarc=pass header.from=a.example")
    assert authres.vouches(reinjected, OURS, "x@a.example")  # a content filter's second receipt by our host


def test_without_our_receipt_nothing_is_ours() -> None:
    fields = _fields(f"Authentication-Results: {OURS}; dmarc=pass header.from=a.example",
                     "Received: from x by mx.other.example with ESMTP id 2")
    assert authres.trusted(fields, OURS) == []
    assert authres.trusted(_fields(f"Authentication-Results: {OURS}; dmarc=pass header.from=a.example"), OURS) == []
    assert authres.trusted(_fields(f"Authentication-Results: {OURS}; dmarc=pass", RECEIPT), None) == []


@pytest.mark.parametrize("verdict, address, proven", [
    ("dmarc=pass header.from=example.org", "a@example.org", True),
    ("dmarc=pass header.from=EXAMPLE.org", "a@example.org", True),
    ("dmarc=pass", "a@example.org", False),  # a pass for no named domain counts for none
    ("dmarc=pass header.from=example.org.evil.example", "a@example.org", False),
    ("dkim=pass header.d=example.org", "a@example.org", True),
    ("dkim=pass header.d=example.org", "a@lists.example.org", True),  # relaxed alignment
    ("dkim=pass header.d=mail.example.org", "a@example.org", True),
    ("dkim=pass header.i=@example.org", "a@example.org", True),
    ("dkim=pass header.d=org", "a@example.org", False),  # a bare TLD never aligns
    ("dkim=pass header.d=evil-example.org", "a@example.org", False),
    ("dkim=fail header.d=example.org", "a@example.org", False),
    ("dkim=pass header.d=example.org; dmarc=fail header.from=example.org", "a@example.org", False),
    ("spf=pass smtp.mailfrom=example.org", "a@example.org", False),
])
def test_a_verdict_proves_only_the_from_domain_it_names(verdict: str, address: str, proven: bool) -> None:
    fields = _fields(f"Authentication-Results: {OURS}; {verdict}", RECEIPT)
    assert authres.vouches(fields, OURS, address) is proven


@pytest.mark.parametrize("header, address", [
    ("From: Anna <anna@example.org>", "anna@example.org"),
    ("From: =?utf-8?q?Anna_L=C3=B6?= <Anna@Example.org>", "anna@example.org"),
    ("From: =?utf-8?q?Bcc:_victim=40x.fi?= <eve@evil.example>", "eve@evil.example"),
    ('From: "victim@x.fi" <eve@evil.example>', "eve@evil.example"),
    ("From: =?utf-8?q?victim=40x.fi?=", None),  # only a display name: no address at all
    ("From: a@example.org, b@example.org", None),
])
def test_the_from_address_comes_from_the_raw_header_never_a_display_name(header: str, address: str | None) -> None:
    assert authres.from_address(_fields(header, "To: x@example.org")) == address


def test_two_from_fields_name_nobody() -> None:
    assert authres.from_address(_fields("From: a@example.org", "From: b@example.org")) is None


@pytest.mark.parametrize("value", [
    "(" * 200_000, ")" * 200_000, "a=" * 100_000, ";" * 200_000, '"' * 200_000, "\\" * 200_000,
    "x " * 100_000, "by with " * 25_000,
])
def test_hostile_values_are_read_in_linear_time(value: str) -> None:
    raw = ("\r\n".join([f"Authentication-Results: {OURS}; {value}", f"Received: {value}"] * 20)
           + "\r\nFrom: a@example.org\r\n\r\n").encode()
    start = time.perf_counter()
    fields = authres.header_fields(raw)
    authres.vouches(fields, OURS, "a@example.org")
    bounceproof.read(parse_message(raw + b"<" + b"a" * 100_000 + b"@" + b"b" * 100_000))
    assert time.perf_counter() - start < 2.0


def test_a_bounce_with_thousands_of_blank_lines_or_nested_comments_is_read_quickly() -> None:
    # Found by bench/fuzz_parse.py: the proof reader parsed the raw mail a second time without the guards
    # of parsers.message (39,000 blank lines: 1.4 s), and nested comments in To overflowed the stack.
    head = (b"From: MAILER-DAEMON@mx.example\r\nTo: (" + b"(" * 5000 + b" a@ours.example\r\n"
            b"Subject: Undelivered Mail Returned to Sender\r\n"
            b"Content-Type: multipart/report; report-type=delivery-status; boundary=b\r\n\r\n")
    body = (b"--b\r\nContent-Type: text/plain\r\n\r\nYour message could not be delivered.\r\n"
            b"--b\r\nContent-Type: message/delivery-status\r\n\r\nReporting-MTA: dns; mx.example\r\n"
            + b"\r\n" * 40_000 + b"--b--\r\n")
    start = time.process_time()
    reply = parse_reply(head + body)
    assert time.process_time() - start < 0.5
    assert reply.category == "bounce" and not (reply.reason or "").startswith("parser error")


def test_a_header_of_many_continuation_lines_is_read_in_linear_time() -> None:
    raw = b"Authentication-Results: mx.ours.example;\r\n" + b" x\r\n" * 60_000 + b"From: a@example.org\r\n\r\n"
    start = time.perf_counter()
    assert authres.from_address(authres.header_fields(raw)) == "a@example.org"
    assert time.perf_counter() - start < 2.0


def test_a_bounce_offers_its_envelope_recipients_and_the_quoted_message_ids() -> None:
    raw = (b"From: MAILER-DAEMON@mx.example\r\nTo: list+bounce-tp1-0-abcdefghijkm@ours.example\r\n"
           b"Delivered-To: list+bounce-tp1-0-abcdefghijkm@ours.example\r\nEnvelope-To: <other@ours.example>\r\n"
           b"Message-ID: <own@mx.example>\r\nContent-Type: multipart/report; boundary=b\r\n\r\n"
           b"--b\r\nContent-Type: text/plain\r\n\r\nFailed. Your message <in-text@ours.example> bounced.\r\n"
           b"--b\r\nContent-Type: message/rfc822\r\n\r\nMessage-ID: <original@ours.example>\r\n\r\nhi\r\n--b--\r\n")
    proof = bounceproof.read(parse_message(raw))
    assert proof.recipients == ("list+bounce-tp1-0-abcdefghijkm@ours.example", "other@ours.example")
    assert proof.original_message_ids == ("in-text@ours.example", "original@ours.example")


@pytest.mark.parametrize("name, authserv_id, sender, proven", [
    ("rhost-gsuite-09.eml", "mx.google.com", "x@googlemail.com", True),  # Gmail: right under its receipt
    ("rhost-gsuite-05.eml", "mx.google.com", "x@googlemail.com", True),
    ("lhost-amazonses-13.eml", "mx.google.com", "x@sns.amazonaws.com", False),  # DKIM by amazonses.com only
    ("lhost-amazonses-13.eml", "aneyakoji.example.jp", "x@sns.amazonaws.com", False),  # sender-id is no proof
    ("rhost-gsuite-09.eml", "mx.example.org", "x@googlemail.com", False),  # another server's verdict
])
def test_real_receivers_layouts_are_read_as_the_rule_says(name: str, authserv_id: str, sender: str,
                                                          proven: bool) -> None:
    path = CORPORA / "sisimai" / "maildir" / "bsd" / name
    if not path.exists():
        if os.environ.get("TRAFFPUNKT_REQUIRE_CORPORA") == "1":
            pytest.fail(f"shared corpora required but {path} is missing")
        pytest.skip(f"shared corpora not found at {CORPORA}")
    assert authres.vouches(authres.header_fields(path.read_bytes()), authserv_id, sender) is proven


def test_the_new_parsers_import_nothing_from_the_daemon() -> None:
    script = ("import json, sys; import parsers.authres, parsers.bounceproof; "
              "print(json.dumps(sorted(sys.modules)))")
    out = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True,
                         timeout=60)
    loaded = [m for m in json.loads(out.stdout) if m.split(".")[0] in ("mailer", "aiosmtplib", "imap_tools",
                                                                       "sqlite_utils")]
    assert loaded == []
