"""The [mail.oauth] table: provider, endpoints, client and scopes, with each provider's defaults."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

PROVIDERS = ("microsoft", "google", "generic")
LOGIN_FLOWS = ("device", "browser")
GOOGLE_AUTH_URL = "https://accounts.google.com/o/oauth2/v2/auth"
AUTH_MODES = ("password", "xoauth2")
MICROSOFT = "https://login.microsoftonline.com/{tenant}/oauth2/v2.0/"
#: What the mail needs of each provider: read and move mail by IMAP, send by SMTP, and a refresh token.
DEFAULT_SCOPES = {
    "microsoft": ("https://outlook.office.com/IMAP.AccessAsUser.All", "https://outlook.office.com/SMTP.Send",
                  "offline_access"),
    "google": ("https://mail.google.com/",),
    "generic": (),
}


class _Reader(Protocol):
    def problem(self, key: str, expected: str) -> None: ...

    def get(self, table: Mapping[str, Any], prefix: str, key: str, kind: Any, expected: str,
            default: Any = ...) -> Any: ...


@dataclass(frozen=True)
class OAuthSettings:
    """One OAuth2 client of one mail account; the refresh token lives in `token_file` (0600), never the TOML."""

    provider: str
    client_id: str
    token_url: str
    device_url: str | None
    scopes: tuple[str, ...]
    token_file: Path
    client_secret_env: str | None = None
    #: An access token is refreshed when it has less than this left.
    refresh_margin_seconds: int = 300
    #: How `traffpunkt auth login` gets the grant: "device" (RFC 8628 code) or "browser" (authorization
    #: code with PKCE; the admin pastes the address the browser was sent to). Google's default is "browser":
    #: its device flow does not grant the Gmail scope.
    login_flow: str = "device"
    #: The authorization endpoint, for the "browser" flow.
    auth_url: str | None = None

    def client_secret(self) -> str | None:
        """The client secret from the environment variable the config names (never from the TOML)."""
        return os.environ.get(self.client_secret_env) if self.client_secret_env else None


def _url_ok(url: str) -> bool:
    """https, or plain http to this machine only (a test or a local proxy)."""
    parts = urlsplit(url)
    return bool(parts.hostname) and (parts.scheme == "https" or (
        parts.scheme == "http" and parts.hostname in ("127.0.0.1", "localhost", "::1")))


def read_oauth(r: _Reader, mail: Mapping[str, Any], base: Path) -> OAuthSettings | None:
    """[mail.oauth], or None when absent."""
    t = mail.get("oauth")
    if t is None:
        return None
    p = "mail.oauth"
    if not isinstance(t, dict):
        r.problem(p, "a table with provider and client_id")
        return None
    known = ("provider", "tenant", "client_id", "client_secret_env", "token_url", "device_url", "auth_url",
             "login_flow", "scopes", "token_file", "refresh_margin_seconds")
    for key in t:
        if key not in known:
            r.problem(f"{p}.{key}", f"a [mail.oauth] setting: {', '.join(known)} (unknown key)")
    if "client_secret" in t:
        r.problem(f"{p}.client_secret", "no secret in the TOML; name an environment variable in client_secret_env")
    provider = r.get(t, p, "provider", str, "'microsoft', 'google' or 'generic'")
    if provider is not None and provider not in PROVIDERS:
        r.problem(f"{p}.provider", f"expected 'microsoft', 'google' or 'generic', got {provider!r}")
        provider = None
    client_id = r.get(t, p, "client_id", str, "the application (client) id of your app registration")
    tenant = r.get(t, p, "tenant", str, "your Microsoft 365 tenant id or domain", "organizations")
    token_default: Any
    device_default: str | None
    if provider == "microsoft":
        base_url = MICROSOFT.format(tenant=tenant)
        token_default, device_default = base_url + "token", base_url + "devicecode"
    elif provider == "google":
        token_default, device_default = "https://oauth2.googleapis.com/token", "https://oauth2.googleapis.com/device/code"
    else:
        token_default, device_default = ..., None
    token_url = r.get(t, p, "token_url", str, "the token endpoint's https URL", token_default)
    device_url = r.get(t, p, "device_url", str, "the device authorization endpoint's https URL", device_default)
    auth_url = r.get(t, p, "auth_url", str, "the authorization endpoint's https URL",
                     GOOGLE_AUTH_URL if provider == "google" else None)
    flow = r.get(t, p, "login_flow", str, "'device' or 'browser'", "browser" if provider == "google" else "device")
    if flow not in LOGIN_FLOWS:
        r.problem(f"{p}.login_flow", f"expected 'device' or 'browser', got {flow!r}")
        flow = "device"
    if flow == "browser" and not auth_url:
        r.problem(f"{p}.auth_url", "the authorization endpoint's URL (login_flow is 'browser')")
    for key, url in (("token_url", token_url), ("device_url", device_url), ("auth_url", auth_url)):
        if isinstance(url, str) and not _url_ok(url):
            r.problem(f"{p}.{key}", f"an https URL (plain http only to 127.0.0.1), got {url!r}")
    scopes_raw = r.get(t, p, "scopes", list, "a list of scopes", list(DEFAULT_SCOPES.get(provider or "generic", ())))
    scopes = tuple(s for s in scopes_raw or [] if isinstance(s, str) and s.strip())
    if scopes_raw is not None and len(scopes) != len(scopes_raw):
        r.problem(f"{p}.scopes", "a list of non-empty strings")
    if not scopes and provider is not None:
        r.problem(f"{p}.scopes", "at least one scope (the mail server's)")
    token_file = r.get(t, p, "token_file", str, "a file path", "var/oauth-token.json")
    margin = r.get(t, p, "refresh_margin_seconds", int, "seconds as an integer", 300)
    if isinstance(margin, int) and margin < 0:
        r.problem(f"{p}.refresh_margin_seconds", f"0 or more seconds, got {margin}")
    secret_env = r.get(t, p, "client_secret_env", str, "an environment variable's name", None)
    if provider == "google" and not secret_env:
        r.problem(f"{p}.client_secret_env", "the environment variable holding the client secret (Google's "
                                            "OAuth clients have one)")
    if not (isinstance(provider, str) and isinstance(client_id, str) and isinstance(token_url, str)):
        return None
    path = Path(os.path.expanduser(token_file or "var/oauth-token.json"))
    return OAuthSettings(
        provider=provider, client_id=client_id, token_url=token_url,
        device_url=device_url if isinstance(device_url, str) else None, scopes=scopes,
        token_file=path if path.is_absolute() else base / path,
        client_secret_env=secret_env,
        refresh_margin_seconds=max(0, margin) if isinstance(margin, int) else 300,
        login_flow=flow, auth_url=auth_url if isinstance(auth_url, str) else None)
