"""What a bounce offers as proof that it answers our mail: the addresses it was delivered to (a VERP
envelope sender comes back as one of them) and the Message-IDs of the original message it quotes."""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from parsers.message import Normalised, decode_bytes

#: Where the receiving server writes the envelope recipient (the VERP address a bounce was sent to).
RECIPIENT_HEADERS = ("to", "delivered-to", "x-original-to", "envelope-to")
MAX_PARTS = 100
MAX_TEXT = 256 * 1024
MAX_IDS = 50
# An angle-bracketed id: the left side has no '@', so the match is linear.
_MSGID = re.compile(r"<([^<>\s@]{1,200}@[^<>\s@]{1,200})>")


@dataclass(frozen=True, slots=True)
class BounceProof:
    """Envelope recipients (lower-cased addresses) and original Message-IDs (without brackets), in order."""

    recipients: tuple[str, ...]
    original_message_ids: tuple[str, ...]


def _text(part: Message) -> str:
    try:
        payload = part.get_payload(decode=True)
    except (ValueError, TypeError, AssertionError):
        return ""
    if not isinstance(payload, bytes):
        raw = part.get_payload()
        return raw[:MAX_TEXT] if isinstance(raw, str) else ""
    try:
        charset = part.get_content_charset()
    except (ValueError, LookupError):
        charset = None
    return decode_bytes(payload[:MAX_TEXT], charset)


def _original_ids(msg: Message) -> list[str]:
    """Message-IDs from message/rfc822 parts' headers, text/rfc822-headers parts and the text of a plain bounce."""
    found: list[str] = []

    def add(ids: list[str]) -> None:
        for mid in ids:
            if mid not in found and len(found) < MAX_IDS:
                found.append(mid)

    own = set(_MSGID.findall(str(msg.get("message-id", ""))))
    stack: list[Message] = [msg]
    seen = 0
    while stack and seen < MAX_PARTS:
        part = stack.pop()
        seen += 1
        ctype = part.get_content_type()
        payload = part.get_payload()
        if ctype in ("message/rfc822", "message/global") and isinstance(payload, list):
            for inner in payload:
                if isinstance(inner, Message):
                    add(_MSGID.findall(str(inner.get("message-id", ""))))
            continue
        if isinstance(payload, list):
            stack.extend(child for child in reversed(payload) if isinstance(child, Message))
            continue
        if ctype in ("text/rfc822-headers", "text/plain", "message/rfc822-headers"):
            add([mid for mid in _MSGID.findall(_text(part)) if mid not in own])
    return found


def read(message: Normalised) -> BounceProof:
    """The proof material of one parsed mail (the bounded parse of parsers.message, never the raw bytes
    again); never raises on malformed input (it then offers nothing)."""
    recipients = tuple(message.recipients(*RECIPIENT_HEADERS))
    try:
        ids = _original_ids(message.msg)
    except Exception:  # noqa: BLE001 - hostile input: no proof rather than a crash
        ids = []
    return BounceProof(recipients=recipients, original_message_ids=tuple(ids))
