"""A refused OAuth2 grant, told where the admin looks: a `status` line and one notice per coordinator."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from mailer.oauth.tokens import OAuthError, TokenFile, Tokens

if TYPE_CHECKING:
    from mailer.config import Config
    from mailer.state.store import Store


def _uses_oauth(config: Config) -> bool:
    return config.mail.oauth is not None and any(
        s is not None and s.auth == "xoauth2" for s in (config.mail.smtp, config.mail.imap))


def refused_grant(config: Config) -> Tokens | None:
    """The stored grant when the token server has refused it (a new `auth login` clears it), else None."""
    if not _uses_oauth(config):
        return None
    assert config.mail.oauth is not None
    try:
        tokens = TokenFile(config.mail.oauth.token_file).load()
    except OAuthError:
        return None
    return tokens if tokens.refused else None


def status_lines(config: Config) -> list[str]:
    """For `traffpunkt status`: what is wrong with the login, and what to do."""
    if not _uses_oauth(config):
        return []
    assert config.mail.oauth is not None
    try:
        tokens = TokenFile(config.mail.oauth.token_file).load()
    except OAuthError as exc:
        return [f"OAuth2 login: {exc}"]
    if not tokens.refused:
        return []
    when = datetime.fromtimestamp(tokens.refused_at or 0, UTC).astimezone(config.network.tz)
    return [f"OAuth2 login REFUSED since {when:%Y-%m-%d %H:%M}: {tokens.refused}",
            f"  run: traffpunkt auth login --config {config.path}  (mail stays queued until then)"]


def queue_notice(config: Config, store: Store, enqueue_mail: Callable[..., bool], now: datetime) -> bool:
    """Queue one `auth-lost` mail per coordinator for each refused grant (the outbox key makes it once)."""
    tokens = refused_grant(config)
    if tokens is None:
        return False
    grant = hashlib.sha256(tokens.refresh_token.encode()).hexdigest()[:12]
    context: dict[str, Any] = {"reason": tokens.refused, "config_path": str(config.path),
                               "account": ", ".join(sorted({s.username or "" for s in (config.mail.smtp,
                                                                                        config.mail.imap)
                                                            if s is not None and s.auth == "xoauth2"}))}
    queued = False
    with store.write():
        for coordinator in config.network.coordinators:
            queued |= bool(enqueue_mail(key=f"auth-lost:{grant}:{coordinator}", kind="auth-lost", member=None,
                                        recipient=coordinator, now=now, context=context))
    return queued
