"""Pure inbound-mail parsing: raw bytes of a member's mail in, a `ParsedReply` out.

Never imports mailer, aiosmtplib, imap_tools or sqlite_utils; `parse_reply` never raises on bad input.
"""

from parsers.imip import ImipReply
from parsers.reply import ParsedReply, parse_reply

__all__ = ["ImipReply", "ParsedReply", "parse_reply"]
