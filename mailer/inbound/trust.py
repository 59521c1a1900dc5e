"""Proof for inbound mail: our server's verdict on the sender, and whether a bounce answers mail we sent
(VERP token or our Message-ID). Reads what the parser read (ParsedReply) and the store; changes nothing."""

from __future__ import annotations

from typing import TYPE_CHECKING

from mailer.outbound.tokens import bounce_token, verify
from mailer.state.store import Store
from parsers import authres

if TYPE_CHECKING:
    from mailer.config import Config
    from mailer.outbound.tokens import Token
    from parsers import ParsedReply
    from parsers.bounceproof import BounceProof


def server_vouches(trace: tuple[tuple[str, str], ...], address: str | None, authserv_id: str | None) -> bool:
    """Whether our receiving server's own Authentication-Results among the mail's trace fields
    (`ParsedReply.trace`) prove `address`'s domain (see parsers.authres)."""
    if not address or not authserv_id:
        return False
    return authres.vouches(list(trace), authserv_id, address)


def unproven_coordinator(config: Config, p: ParsedReply, token: Token | None, *, not_coordinator: str,
                         unverified: str) -> str | None:
    """Why `p` does not count as a coordinator's mail (None when it does): its From must be one of the
    coordinators, and it must carry the coordinators' token or our server must vouch for that From.
    `not_coordinator` may name the sender as `{sender}`."""
    sender = p.from_address or ""
    if sender not in config.network.coordinators:
        return not_coordinator.format(sender=sender or "?")
    coordinator_token = token is not None and token.member_id == 0 and token.meeting_id == 0
    if not coordinator_token and not server_vouches(p.trace, sender, config.mail.authserv_id):
        return unverified
    return None


def proven_bounce_addresses(proof: BounceProof | None, failed: tuple[str, ...], *, store: Store, secret: bytes,
                            from_address: str, plus_addressing: bool) -> list[str]:
    """The failed addresses this bounce proves it answers our mail to, in order; [] when it proves none.

    Proof is either our VERP envelope sender (natverk+bounce-TOKEN@...) among the addresses the bounce was
    delivered to, with TOKEN that member's own token and the member's address among the failed ones; or
    the Message-ID of a message we sent, quoted in the bounce, whose recipient is a failed address.
    """
    if proof is None:
        return []
    wanted = {a.strip().lower() for a in failed}
    proven: list[str] = []
    if plus_addressing:
        for rcpt in proof.recipients:
            text = bounce_token(from_address, rcpt)
            token = verify(secret, text) if text else None
            if token is None or token.member_id == 0:
                continue
            member = store.member(token.member_id)
            if member is not None and member.address.lower() in wanted and member.address.lower() not in proven:
                proven.append(member.address.lower())
    for mid in proof.original_message_ids:
        row = store.sent_mail(mid)
        if row is not None and row.recipient.lower() in wanted and row.recipient.lower() not in proven:
            proven.append(row.recipient.lower())
    return proven
