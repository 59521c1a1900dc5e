"""Find candidate reply tokens `tp<member>-<meeting>-<mac>` in addresses, subject and threading headers."""

from __future__ import annotations

import re

TOKEN = re.compile(r"(?<![a-z0-9])tp\d{1,10}-\d{1,10}-[a-z2-7]{12}(?![a-z0-9])", re.IGNORECASE)
_PLUS = re.compile(r"\+(tp\d{1,10}-\d{1,10}-[a-z2-7]{12})@", re.IGNORECASE)


def find_tokens(recipients: list[str], subject: str, in_reply_to: str, references: str) -> tuple[str, ...]:
    """Tokens in order: recipient plus-addresses, subject, In-Reply-To, References; lower-cased, unique."""
    found: list[str] = []

    def add(token: str) -> None:
        token = token.casefold()
        if token not in found:
            found.append(token)

    for recipient in recipients:
        for match in _PLUS.finditer(recipient):
            add(match.group(1))
    for text in (subject, in_reply_to, references):
        for match in TOKEN.finditer(text):
            add(match.group(0))
    return tuple(found)
