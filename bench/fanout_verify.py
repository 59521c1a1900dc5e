"""Fan-out bench verification: every invitation the sink received, parsed back with the stdlib in worker
processes (after the timed part) and checked for what a member would see."""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Iterable, Iterator
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from typing import Any

from fanout_setup import member_name

# An item is (recipient, message bytes) from the aiosmtpd spool, or the path of an smtp-sink dump file.
Item = tuple[str, bytes] | str


def read_dump(path: str) -> tuple[str, bytes]:
    """(recipient, message) from an smtp-sink `-d` dump: its own X-*-Args headers and a three-line
    Received header, the message (dot-unstuffed, LF line ends), then one empty line. The message is given
    back with the CRLF line ends it had on the wire (a bare LF inside a base64 part stays visible)."""
    with open(path, "rb") as f:
        data = f.read()
    rcpt, pos = "", 0
    while True:
        end = data.index(b"\n", pos)
        line = data[pos:end]
        pos = end + 1
        if line.startswith(b"X-Rcpt-Args:") and not rcpt:
            rcpt = line.split(b":", 1)[1].split()[0].strip(b"<>").decode()
        elif line.startswith(b"Received:"):
            while data[pos:pos + 1] in (b"\t", b" "):
                pos = data.index(b"\n", pos) + 1
            break
    body = data[pos:]
    body = body[:-1] if body.endswith(b"\n\n") else body
    return rcpt, body.replace(b"\n", b"\r\n")


def _batches(items: Iterable[Item], size: int = 250) -> Iterator[list[Item]]:
    out: list[Item] = []
    for item in items:
        out.append(item)
        if len(out) == size:
            yield out
            out = []
    if out:
        yield out


Batch = tuple[list[Item], bytes, int, str]


def _verify_batch(args: Batch) -> tuple[int, list[int], int, list[str]]:
    from mailer.outbound import tokens

    items, secret, meeting_id, list_address = args
    parser = BytesParser(policy=policy.default)
    seen, errors, non_ascii = [], [], 0
    for item in items:
        rcpt, data = read_dump(item) if isinstance(item, str) else item
        try:
            i = int(rcpt.split("@")[0].removeprefix("member"))
        except ValueError:
            errors.append(f"{rcpt!r}: not a bench member")
            continue
        problems = check_message(parser.parsebytes(data), i, rcpt, secret, meeting_id, list_address, tokens)
        if problems:
            errors.append(f"{rcpt}: {'; '.join(problems)}")
        seen.append(i)
        non_ascii += not member_name(i).isascii()
    return len(items), seen, non_ascii, errors


def verify(items: Iterable[Item], secret: bytes, meeting_id: int, list_address: str) -> dict[str, Any]:
    """Parse every invitation with the stdlib (on every CPU) and check what a member would see."""
    checked, errors, non_ascii, seen = 0, [], 0, set()
    cpus = os.cpu_count() or 1
    with mp.get_context("spawn").Pool(cpus) as pool:
        pending: list[Any] = []
        batches = _batches(items)
        while True:
            while len(pending) < 2 * cpus and (batch := next(batches, None)) is not None:
                pending.append(pool.apply_async(_verify_batch, ((batch, secret, meeting_id, list_address),)))
            if not pending:
                break
            n, batch_seen, batch_non_ascii, batch_errors = pending.pop(0).get()
            checked += n
            seen.update(batch_seen)
            non_ascii += batch_non_ascii
            errors.extend(batch_errors[: max(0, 20 - len(errors))])
    return {"checked": checked, "distinct": len(seen), "non_ascii_names": non_ascii,
            "errors": errors, "failed": bool(errors)}


def check_message(msg: Any, i: int, rcpt: str, secret: bytes, meeting_id: int, list_address: str,
                  tokens: Any) -> list[str]:
    problems = []
    assert isinstance(msg, EmailMessage)
    if msg.defects:
        problems.append(f"defects {msg.defects}")
    to = msg["To"].addresses if msg["To"] else ()
    if len(to) != 1 or to[0].display_name != member_name(i) or to[0].addr_spec != rcpt:
        problems.append(f"To is {msg['To']!r}, expected {member_name(i)!r} <{rcpt}>")
    token = tokens.make(secret, i, meeting_id)
    reply_to = msg["Reply-To"].addresses if msg["Reply-To"] else ()
    local, _, domain = list_address.partition("@")
    if [a.addr_spec for a in reply_to] != [f"{local}+{token}@{domain}"]:
        problems.append(f"Reply-To {msg['Reply-To']!r} lacks the member's token {token}")
    if token not in str(msg["Message-ID"]):
        problems.append("Message-ID lacks the token")
    if msg["X-Traffpunkt-Kind"] != "invitation":
        problems.append(f"X-Traffpunkt-Kind {msg['X-Traffpunkt-Kind']!r}")
    parts = [(p.get_content_type(), p) for p in msg.walk()]  # each type parsed once (it is not cached)
    cal = [p for ctype, p in parts if ctype == "text/calendar"]
    if len(cal) != 1 or cal[0].get_param("method") != "REQUEST":
        problems.append("no text/calendar; method=REQUEST part")
    else:
        raw = cal[0].get_payload(decode=True)
        if raw.count(b"\n") != raw.count(b"\r\n") or not raw.endswith(b"\r\n"):
            problems.append("calendar part has bare LF line ends")
        unfolded = raw.replace(b"\r\n ", b"").decode()
        attendee = [line for line in unfolded.split("\r\n") if line.startswith("ATTENDEE")]
        if (len(attendee) != 1 or not attendee[0].endswith(f"mailto:{rcpt}")
                or member_name(i) not in attendee[0]):
            problems.append(f"ATTENDEE line {attendee!r}")
    plain = [p for ctype, p in parts if ctype == "text/plain" and not p.is_attachment()]
    if len(plain) != 1 or member_name(i).split()[0] not in plain[0].get_content():
        problems.append("the text part does not greet the member by name")
    return problems
