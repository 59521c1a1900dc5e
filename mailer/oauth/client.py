"""Talks to the provider's token endpoint with authlib: refresh an access token, run the device-code flow
(RFC 8628). Every failure becomes NotLoggedIn/TokenRevoked (the admin must act) or TokenServerUnreachable."""

from __future__ import annotations

import hmac
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError

from mailer.config.oauth import OAuthSettings
from mailer.oauth.tokens import TokenRevoked, Tokens, TokenServerUnreachable

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"
TIMEOUT_SECONDS = 20.0
#: Answers that mean the grant itself is gone: only a new login helps (RFC 6749 5.2).
REFUSALS = frozenset({"invalid_grant", "invalid_client", "unauthorized_client", "invalid_scope",
                      "access_denied", "expired_token"})


@dataclass(frozen=True)
class DeviceCode:
    """What the admin is shown: open `verification_uri` and enter `user_code`."""

    device_code: str
    user_code: str
    verification_uri: str
    expires_in: int
    interval: int
    message: str | None = None


@dataclass(frozen=True)
class BrowserLogin:
    """An authorization-code login in progress: the admin opens `url`, the browser is sent to redirect_uri."""

    url: str
    state: str
    verifier: str
    redirect_uri: str


class OAuthClient:
    """One provider's endpoints for one client id."""

    def __init__(self, settings: OAuthSettings, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.settings = settings
        self.timeout = timeout

    def _session(self) -> OAuth2Session:
        secret = self.settings.client_secret()
        return OAuth2Session(self.settings.client_id, secret, scope=" ".join(self.settings.scopes),
                             token_endpoint_auth_method="client_secret_post" if secret else "none")

    def _where(self) -> str:
        return self.settings.token_url

    def refresh(self, refresh_token: str) -> Tokens:
        """A new access token (and the refresh token the server rotated to, or the same one)."""
        with self._session() as session:
            token = self._call(lambda: session.refresh_token(self.settings.token_url, refresh_token=refresh_token,
                                                             timeout=self.timeout), "refreshing the access token")
        return _tokens(token, refresh_token)

    def start_device_login(self) -> DeviceCode:
        """Step 1 of RFC 8628: ask for a user code to show the admin."""
        url = self.settings.device_url
        if not url:
            raise TokenRevoked(f"mail.oauth: provider {self.settings.provider!r} has no device_url; set one")
        data = {"client_id": self.settings.client_id, "scope": " ".join(self.settings.scopes)}
        secret = self.settings.client_secret()
        if secret:
            data["client_secret"] = secret
        try:
            resp = requests.post(url, data=data, timeout=self.timeout, headers={"Accept": "application/json"})
            body = resp.json()
        except (requests.RequestException, ValueError) as exc:
            raise TokenServerUnreachable(f"{url} did not answer the device login: {exc}") from None
        if not isinstance(body, dict) or resp.status_code != 200 or "device_code" not in body:
            detail = body.get("error_description") or body.get("error") if isinstance(body, dict) else body
            raise TokenRevoked(f"{url} refused the device login (HTTP {resp.status_code}): {detail}")
        return DeviceCode(device_code=str(body["device_code"]), user_code=str(body["user_code"]),
                          verification_uri=str(body.get("verification_uri") or body.get("verification_url")),
                          expires_in=int(body.get("expires_in", 900)), interval=int(body.get("interval", 5)),
                          message=body.get("message"))

    def finish_device_login(self, code: DeviceCode, *, sleep: Callable[[float], None] = time.sleep,
                            clock: Callable[[], float] = time.monotonic) -> Tokens:
        """Step 2: poll until the admin has approved (or refused, or the code expired)."""
        deadline = clock() + code.expires_in
        interval = max(1, code.interval)
        with self._session() as session:
            while True:
                try:
                    token = session.fetch_token(self.settings.token_url, grant_type=DEVICE_GRANT,
                                                device_code=code.device_code, timeout=self.timeout)
                    if not token.get("refresh_token"):
                        raise TokenRevoked(f"{self._where()} gave no refresh token: add the offline_access "
                                           "scope (Microsoft) or allow offline access")
                    return _tokens(token, "")
                except OAuthError as exc:
                    if exc.error == "slow_down":
                        interval += 5
                    elif exc.error != "authorization_pending":
                        raise TokenRevoked(f"{self._where()} refused the login: {exc.error}: "
                                           f"{exc.description or ''}".rstrip(": ")) from None
                except (requests.RequestException, ValueError) as exc:
                    raise TokenServerUnreachable(f"{self._where()}: {exc}") from None
                if clock() + interval > deadline:
                    raise TokenRevoked("the login code expired before it was entered; run `traffpunkt auth "
                                       "login` again")
                sleep(interval)

    def start_browser_login(self, redirect_uri: str = "http://127.0.0.1:8765/") -> BrowserLogin:
        """The authorization-code flow with PKCE (RFC 7636): the address to open in a browser."""
        if not self.settings.auth_url:
            raise TokenRevoked("mail.oauth.auth_url is not set (needed for login_flow = 'browser')")
        verifier = secrets.token_urlsafe(64)
        with self._session() as session:
            session.redirect_uri = redirect_uri
            session.code_challenge_method = "S256"
            url, state = session.create_authorization_url(self.settings.auth_url, code_verifier=verifier,
                                                          access_type="offline", prompt="consent")
        return BrowserLogin(str(url), str(state), verifier, redirect_uri)

    def finish_browser_login(self, login: BrowserLogin, pasted: str) -> Tokens:
        """Trade the code in the address the browser was sent to (pasted by the admin) for the grant."""
        text = pasted.strip()
        query = parse_qs(urlsplit(text).query) if "?" in text else {}
        if "error" in query:
            raise TokenRevoked(f"the provider refused the login: {query['error'][0]}: "
                               f"{query.get('error_description', [''])[0]}".rstrip(": "))
        if query:
            if not hmac.compare_digest(query.get("state", [""])[0], login.state):
                raise TokenRevoked("that address belongs to another login (its state differs); start again")
            code = query.get("code", [""])[0]
        else:
            code = text
        if not code:
            raise TokenRevoked("no code in what was pasted; paste the whole address from the browser")
        with self._session() as session:
            token = self._call(lambda: session.fetch_token(
                self.settings.token_url, grant_type="authorization_code", code=code,
                redirect_uri=login.redirect_uri, code_verifier=login.verifier, timeout=self.timeout),
                "the login code")
        if not token.get("refresh_token"):
            raise TokenRevoked(f"{self._where()} gave no refresh token: the consent must allow offline access")
        return _tokens(token, "")

    def _call(self, fn: Callable[[], Any], what: str) -> Any:
        try:
            return fn()
        except OAuthError as exc:
            text = f"{self._where()} refused {what}: {exc.error}: {exc.description or ''}".rstrip(": ")
            if exc.error in REFUSALS:
                raise TokenRevoked(f"{text}. Run `traffpunkt auth login` again; until then mail stays "
                                   "queued and replies wait on the server") from None
            raise TokenServerUnreachable(text) from None
        except (requests.RequestException, ValueError) as exc:
            raise TokenServerUnreachable(f"{self._where()}: {what} failed: {exc}") from None


def _tokens(token: Any, previous_refresh: str) -> Tokens:
    access = token.get("access_token")
    if not access:
        raise TokenServerUnreachable("the token endpoint answered without an access token")
    expires_at = token.get("expires_at")
    if expires_at is None and token.get("expires_in") is not None:
        expires_at = time.time() + float(token["expires_in"])
    return Tokens(refresh_token=str(token.get("refresh_token") or previous_refresh), access_token=str(access),
                  expires_at=float(expires_at) if expires_at is not None else None, scope=token.get("scope"))
