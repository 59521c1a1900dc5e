"""A member's data by mail: "radera mina uppgifter" / "send me my data", confirmed by a one-tap answer."""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING

from mailer.inbound.inbox import Outcome
from mailer.models import Member
from mailer.state import privacy
from parsers import ParsedReply
from parsers.commands import privacy_confirmation

if TYPE_CHECKING:
    from mailer.inbound.handle import ReplyHandler

Result = tuple[Outcome, str | None, int | None]


def is_privacy(p: ParsedReply) -> bool:
    return p.command in ("erase", "export", "confirm-erase", "confirm-export")


def handle(h: ReplyHandler, p: ParsedReply, sender: Member, now: datetime) -> Result:
    """A proven member's request gets one confirmation mail; its one-tap answer (the code, from the same
    member, within two weeks) sends the export, or queues the goodbye and marks the erase due."""
    assert p.command is not None
    if not p.command.startswith("confirm-"):
        code = privacy.add_request(h.store, sender.id, p.command, now)
        h.enqueue(key=f"privacy-confirm:{sender.id}:{code}", kind="privacy-confirm", member=sender,
                  recipient=sender.address, now=now, context={"action": p.command, "code": code})
        h.store.log("privacy-requested", now, member_id=sender.id, detail=p.command)
        return Outcome.PROCESSED, None, sender.id
    found = privacy_confirmation(p.subject) or privacy_confirmation(p.body[:2000])
    action = p.command.removeprefix("confirm-")
    if found is None or found[0] != action or not privacy.confirm_request(h.store, sender.id, action, found[1], now):
        return Outcome.QUARANTINED, f"a {action} confirmation without a valid code of this member's", sender.id
    if action == "export":
        data = privacy.export(h.store, sender.address)
        h.enqueue(key=f"privacy-export:{sender.id}:{found[1]}", kind="privacy-export", member=sender,
                  recipient=sender.address, now=now,
                  context={"data": json.dumps(data, ensure_ascii=False, indent=2, default=str)})
    else:
        h.enqueue(key=f"privacy-erased:{sender.id}:{found[1]}", kind="privacy-erased", member=sender,
                  recipient=sender.address, now=now)
    for address in h.config.network.coordinators:  # after an erase the notice names nobody
        h.enqueue(key=f"privacy-notice:{found[1]}:{address}", kind="privacy-notice", member=None,
                  recipient=address, now=now,
                  context={"action": action, "member_name": sender.name if action == "export" else None})
    h.store.log("privacy-confirmed", now, member_id=sender.id, detail=action)
    return Outcome.PROCESSED, None, sender.id
