"""make_transport(): the transport the config chooses (Maildir or SMTP), DKIM-signing when [mail.dkim] is set."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from mailer.errors import TransportError
from mailer.outbound.transport import Transport

if TYPE_CHECKING:
    from mailer.config import Config


def make_transport(config: Config, smtp: Callable[[Config], Transport] | None = None) -> Transport:
    """The transport the config chooses (a Maildir folder, the default, or an SMTP server), DKIM-signing
    every message's final bytes when [mail.dkim] is set. `smtp`, when given, supplies the SMTP transport
    (the daemon of several networks leases a shared one: mailer/outbound/pool.py)."""
    transport = smtp(config) if smtp is not None and config.mail.transport == "smtp" else _make_transport(config)
    if config.mail.dkim is None:
        return transport
    from mailer.outbound.dkim import DkimSigner, SigningTransport

    return SigningTransport(transport, DkimSigner(config.mail.dkim))


def _make_transport(config: Config) -> Transport:
    mail = config.mail
    if mail.transport == "smtp":
        from mailer.outbound.smtp import SmtpTransport

        if mail.smtp is None:
            raise TransportError(f"{config.path}: mail.transport is 'smtp' but there is no [mail.smtp] table")
        from mailer.oauth.source import token_source

        return SmtpTransport(mail.smtp, mail.smtp.password(), tokens=token_source(config, mail.smtp))
    from mailer.outbound.maildir_transport import MaildirTransport

    return MaildirTransport(mail.outbox_maildir)
