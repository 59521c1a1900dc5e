"""Pure inbound-mail parsing: raw bytes of a member's mail in, a `ParsedReply` out.

Never imports mailer, aiosmtplib, imap_tools or sqlite_utils; `parse_reply` never raises on bad input.
"""

# The names below are loaded on first use, so that a process needing one small module of the package (the
# outbox's workers use `parsers.needs`) does not load the whole reader.

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from parsers.imip import ImipReply
    from parsers.reply import ParsedReply, parse_reply

__all__ = ["ImipReply", "ParsedReply", "parse_reply"]


def __getattr__(name: str) -> Any:
    if name in ("ParsedReply", "parse_reply"):
        from parsers import reply

        return getattr(reply, name)
    if name == "ImipReply":
        from parsers import imip

        return imip.ImipReply
    raise AttributeError(f"module 'parsers' has no attribute {name!r}")
