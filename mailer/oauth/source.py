"""Access tokens for XOAUTH2 logins: the stored one while it has time left, else refreshed (once per expiry,
under the token file's lock, so SMTP, IMAP and other networks sharing the file refresh it once)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from typing import TYPE_CHECKING, Protocol

from mailer.config.oauth import OAuthSettings
from mailer.oauth.tokens import TokenFile, TokenRevoked, Tokens

if TYPE_CHECKING:
    from mailer.config import Config, ServerSettings


class Refresher(Protocol):
    def refresh(self, refresh_token: str) -> Tokens: ...


class TokenSource:
    """`access_token()` before a login; `refresh(rejected)` once after the server refused that token."""

    def __init__(self, settings: OAuthSettings, client: Refresher | None = None, *,
                 clock: Callable[[], float] = time.time) -> None:
        if client is None:
            from mailer.oauth.client import OAuthClient

            client = OAuthClient(settings)
        self.settings = settings
        self.file = TokenFile(settings.token_file)
        self.client = client
        self.clock = clock
        self._lock = threading.Lock()
        #: How many refreshes this source made (for logs and tests).
        self.refreshes = 0

    def _fresh(self, tokens: Tokens) -> bool:
        return bool(tokens.access_token) and (
            tokens.expires_at is None or tokens.expires_at - self.clock() > self.settings.refresh_margin_seconds)

    def access_token(self) -> str:
        """A token with more than `refresh_margin_seconds` left; NotLoggedIn/TokenRevoked/Unreachable else."""
        with self._lock:
            tokens = self.file.load()
            if self._fresh(tokens):
                assert tokens.access_token is not None
                return tokens.access_token
            return self._refresh(None)

    def refresh(self, rejected: str) -> str:
        """A new token after the server refused `rejected` (unless another login already replaced it)."""
        with self._lock:
            return self._refresh(rejected)

    def _refresh(self, rejected: str | None) -> str:
        with self.file.locked():
            tokens = self.file.load()  # another thread or process may have refreshed meanwhile
            if self._fresh(tokens) and tokens.access_token != rejected:
                assert tokens.access_token is not None
                return tokens.access_token
            if tokens.refused:  # refused for good: asking again only hammers the provider
                raise TokenRevoked(tokens.refused)
            try:
                new = self.client.refresh(tokens.refresh_token)
            except TokenRevoked as exc:  # kept in the file for `status` and the coordinators' notice
                self.file.save(replace(tokens, access_token=None, refused=str(exc), refused_at=self.clock()))
                raise
            self.file.save(new)
            self.refreshes += 1
            assert new.access_token is not None
            return new.access_token


def token_source(config: Config, server: ServerSettings) -> TokenSource | None:
    """The token source a server's login needs: None for password logins."""
    if server.auth != "xoauth2":
        return None
    if config.mail.oauth is None:  # load_config refuses this; kept for configs built in code
        from mailer.errors import TransportSetupError

        raise TransportSetupError(f"{config.path}: auth is 'xoauth2' but there is no [mail.oauth] table")
    return TokenSource(config.mail.oauth)
