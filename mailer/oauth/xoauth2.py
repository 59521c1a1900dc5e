"""XOAUTH2 logins: SMTP through aiosmtplib's auth_xoauth2, IMAP through imap-tools' xoauth2; a refused
token is refreshed and tried once more, and every failure says what the admin must do."""

from __future__ import annotations

import asyncio
import imaplib
from collections.abc import Callable
from typing import TYPE_CHECKING

from aiosmtplib import SMTP, SMTPAuthenticationError

from mailer.errors import ServerUnreachable, TransportSetupError
from mailer.oauth.tokens import NotLoggedIn, OAuthError, TokenServerUnreachable

if TYPE_CHECKING:
    from imap_tools import BaseMailBox

    from mailer.config import ServerSettings
    from mailer.oauth.source import TokenSource


class LoginLost(TransportSetupError):
    """No usable OAuth2 grant (never logged in, revoked, expired): `traffpunkt auth login` must be run."""


class ImapLoginRefused(Exception):
    """The IMAP server refused the XOAUTH2 login, even with a fresh token (the inbox reports it)."""


def _need(tokens: TokenSource | None, what: str) -> TokenSource:
    if tokens is None:
        raise TransportSetupError(f"{what}: auth is 'xoauth2' but no token source was given")
    return tokens


async def smtp_login(smtp: SMTP, settings: ServerSettings, tokens: TokenSource | None, where: str) -> None:
    """AUTH XOAUTH2 on a connected (and TLS-started) session."""
    source = _need(tokens, where)
    user = settings.username or ""
    if "xoauth2" not in smtp.server_auth_methods:
        raise TransportSetupError(f"{where} does not offer AUTH XOAUTH2 (it offers "
                                  f"{', '.join(smtp.server_auth_methods) or 'no AUTH'}); nothing was sent")
    try:
        token = await asyncio.to_thread(source.access_token)
        try:
            await smtp.auth_xoauth2(user, token)
        except SMTPAuthenticationError:
            token = await asyncio.to_thread(source.refresh, token)
            await smtp.auth_xoauth2(user, token)
    except TokenServerUnreachable as exc:
        raise ServerUnreachable(f"{where}: no access token for {user}: {exc}") from None
    except NotLoggedIn as exc:
        raise LoginLost(f"{where}: cannot log in as {user}: {exc}") from None
    except SMTPAuthenticationError as exc:
        raise TransportSetupError(f"{where} refused the XOAUTH2 login of {user!r} even with a fresh token: "
                                  f"{exc.code} {exc.message} (check the app's scopes and that SMTP AUTH is "
                                  "allowed for this mailbox)") from None


def imap_login(box: BaseMailBox, settings: ServerSettings, tokens: TokenSource | None, where: str,
               error: Callable[[str], Exception]) -> None:
    """AUTHENTICATE XOAUTH2; any failure of the login is raised as `error` (the reader's InboxError) naming
    `where` and what to do."""
    try:
        _imap_login(box, settings, _need(tokens, where))
    except (OAuthError, ImapLoginRefused) as exc:
        raise error(f"{where}: {exc}") from None


def _imap_login(box: BaseMailBox, settings: ServerSettings, source: TokenSource) -> None:
    user = settings.username or ""
    token = source.access_token()
    try:
        box.xoauth2(user, token, initial_folder=None)
        return
    except imaplib.IMAP4.abort:
        raise
    except Exception as exc:  # imap-tools' MailboxLoginError, or imaplib's error for a NO
        if not _refused(exc):
            raise
    token = source.refresh(token)
    try:
        box.xoauth2(user, token, initial_folder=None)
    except imaplib.IMAP4.abort:
        raise
    except Exception as exc:
        if not _refused(exc):
            raise
        raise ImapLoginRefused(f"the server refused the XOAUTH2 login of {user!r} even with a fresh token: "
                               f"{exc} (check the app's scopes and that IMAP is allowed for this mailbox)") from None


def _refused(exc: Exception) -> bool:
    from imap_tools.errors import MailboxLoginError

    return isinstance(exc, (MailboxLoginError, imaplib.IMAP4.error))
