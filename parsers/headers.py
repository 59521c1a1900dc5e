"""A plain single-part mail read into a compat32 `Message` without the stdlib's feed parser (which costs more
than the rest of reading a short reply), and the stdlib's parse of any other mail with bounded MIME boundaries."""

from __future__ import annotations

import email.parser
import email.policy
import re
from email.message import Message
from typing import Any

# A header line as the stdlib's feed parser takes one: a field name of printable ASCII but ":", then ":".
_FIELD = re.compile(r"[\041-\071\073-\176]++:")


def _header_end(text: str) -> tuple[int, int] | None:
    """Where the blank line after the header block starts and where the body starts; None without one."""
    ends = [(at + 1, at + 2) for at in (text.find("\n\n"),) if at >= 0]
    ends += [(at + 1, at + 3) for at in (text.find("\n\r\n"),) if at >= 0]
    return min(ends) if ends else None


def quick_message(raw: bytes) -> Message | None:
    """`raw` as `email.message_from_bytes(raw, policy=compat32)` reads it, for a mail with well-formed header
    lines, a blank line after them, no line ended by a lone CR, and no multipart or message/* body; else None.

    The feed parser gives such a mail its header lines as (name, value) pairs, unfolded by nothing but the
    strip of the first line's leading blanks and of the last line end, and the rest of the text as payload.
    """
    if raw.count(b"\r") != raw.count(b"\r\n"):
        return None  # a lone CR ends a line for the stdlib: leave such mail to it
    text = raw.decode("ascii", "surrogateescape")
    found = _header_end(text)
    if found is None or found[0] == 0:
        return None
    blank, body = found
    msg = BoundedMessage(policy=email.policy.compat32)
    lines = text[:blank].split("\n")
    lines.pop()  # "" after the last line end
    group: list[str] = []
    for line in lines:
        if line[:1] in (" ", "\t"):
            if not group:
                return None  # a first line that is a continuation: a defect the stdlib records
            group.append(line + "\n")
            continue
        if _FIELD.match(line) is None:
            return None  # no field name (a "From " line, a body line): the stdlib's rules apply
        if group:
            _add(msg, group)
        group = [line + "\n"]
    if group:
        _add(msg, group)
    if msg.get_content_maintype() in ("multipart", "message"):
        return None
    msg.set_payload(text[body:])
    return msg


def _add(msg: Message, lines: list[str]) -> None:
    """compat32's header_source_parse, then set_raw (what the feed parser does for one field)."""
    name, value = lines[0].split(":", 1)
    msg.set_raw(name, (value.lstrip(" \t") + "".join(lines[1:])).rstrip("\r\n"))


#: RFC 2046 allows a boundary of 70 characters; some generators overshoot a little. A longer one is read as no
#: boundary (the body stays one text): the feed parser compiles every boundary into a regex, and one of 100 KB
#: costs it half a second of CPU.
MAX_BOUNDARY = 200


#: A Content-Type or Content-Disposition longer than this is read up to its last ";" within it: the stdlib
#: parses a field's parameters in time quadratic in their number (each step copies the rest of the field),
#: and every lookup (boundary, charset, file name) parses them again: 16,000 of them cost 0.1 s a lookup.
MAX_PARAMS_FIELD = 2000


class BoundedMessage(Message):
    """compat32's `Message`, whose multipart boundary counts as absent when longer than MAX_BOUNDARY, and
    whose parameters are read from the first MAX_PARAMS_FIELD characters of their field."""

    def get_boundary(self, failobj: Any = None) -> Any:
        found = super().get_boundary(failobj)
        return failobj if isinstance(found, str) and len(found) > MAX_BOUNDARY else found

    def _get_params_preserve(self, failobj: Any, header: str) -> Any:
        value = self.get(header)
        if not isinstance(value, str) or len(value) <= MAX_PARAMS_FIELD:
            return super()._get_params_preserve(failobj, header)  # type: ignore[misc]
        cut = value.rfind(";", 0, MAX_PARAMS_FIELD)
        short = Message(policy=email.policy.compat32)
        short[header] = value[:cut] if cut > 0 else value[:MAX_PARAMS_FIELD]
        return Message._get_params_preserve(short, failobj, header)  # type: ignore[attr-defined]


def stdlib_message(raw: bytes, *, headersonly: bool = False) -> Message:
    """`email.message_from_bytes(raw, policy=compat32)`, every part a BoundedMessage."""
    parser = email.parser.BytesParser(_class=BoundedMessage, policy=email.policy.compat32)
    return parser.parsebytes(raw, headersonly=headersonly)
