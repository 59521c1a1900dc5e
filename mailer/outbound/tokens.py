"""Reply tokens: an HMAC over member and meeting, so a reply proves whose it is; checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import re
from dataclasses import dataclass
from functools import lru_cache

TOKEN_RE = re.compile(r"tp(\d{1,10})-(\d{1,10})-([a-z2-7]{12})", re.IGNORECASE)


@dataclass(frozen=True)
class Token:
    member_id: int
    meeting_id: int  # 0 when the mail is about no meeting

    def __str__(self) -> str:  # pragma: no cover - use make()
        return f"tp{self.member_id}-{self.meeting_id}"


@lru_cache(maxsize=16)
def _keyed(secret: bytes) -> hmac.HMAC:
    return hmac.new(secret, digestmod=hashlib.sha256)  # the key's pads hashed once, copied per token


_B32 = "abcdefghijklmnopqrstuvwxyz234567"
_PAIRS = tuple(a + b for a in _B32 for b in _B32)  # 10 bits -> two base32 letters


def _mac(secret: bytes, member_id: int, meeting_id: int) -> str:
    """The first 60 bits of HMAC-SHA256 over "member-meeting", in lower-case base32 (RFC 4648): 12 letters."""
    h = _keyed(secret).copy()
    h.update(f"{member_id}-{meeting_id}".encode())
    v = int.from_bytes(h.digest()[:8], "big") >> 4
    return (_PAIRS[v >> 50] + _PAIRS[(v >> 40) & 1023] + _PAIRS[(v >> 30) & 1023] + _PAIRS[(v >> 20) & 1023]
            + _PAIRS[(v >> 10) & 1023] + _PAIRS[v & 1023])


def make(secret: bytes, member_id: int, meeting_id: int = 0) -> str:
    """The token for this member (and meeting), e.g. 'tp42-7-abcdefghjkmn'."""
    return f"tp{member_id}-{meeting_id}-{_mac(secret, member_id, meeting_id)}"


def verify(secret: bytes, text: str) -> Token | None:
    """The token's member and meeting if `text` is exactly a token this secret made, else None.

    Only the one canonical spelling make() writes counts: no leading zeros, no upper case, nothing around it
    (the parsers lower-case the tokens they find, which is that spelling), so one token has one text.
    """
    m = TOKEN_RE.fullmatch(text) if text.isascii() else None
    if not m:
        return None
    member_id, meeting_id = int(m.group(1)), int(m.group(2))
    if hmac.compare_digest(make(secret, member_id, meeting_id).encode(), text.encode()):
        return Token(member_id, meeting_id)
    return None


def find_all(text: str) -> list[str]:
    """Every token-shaped string in `text`, lower-cased (not yet verified)."""
    return [m.group(0).lower() for m in TOKEN_RE.finditer(text)]


def bounce_address(from_address: str, token: str) -> str:
    """The VERP envelope sender for mail to one member: natverk+bounce-TOKEN@example.org (RFC 5321 MAIL FROM).

    A bounce comes back to it, so the token it carries proves the bounce answers our mail to that member.
    """
    local, _, domain = from_address.rpartition("@")
    return f"{local}+bounce-{token}@{domain}"


def bounce_token(from_address: str, recipient: str) -> str | None:
    """The token text of a VERP address made by bounce_address(from_address, ...), else None (unverified)."""
    local, _, domain = from_address.lower().rpartition("@")
    r_local, _, r_domain = recipient.strip().lower().rpartition("@")
    prefix = f"{local}+bounce-"
    if r_domain != domain or not r_local.startswith(prefix):
        return None
    return r_local[len(prefix):] or None
