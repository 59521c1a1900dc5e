"""A loopback OAuth2 provider for tests: device authorization (RFC 8628), token endpoint (device code and
refresh grants), and token introspection for Dovecot's oauth2 passdb. Tests approve logins, expire access
tokens and revoke grants, and XOAUTH2 servers (aiosmtpd, Dovecot) ask it whether a token is good."""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from aiosmtpd.smtp import AuthResult
from dovecot import DovecotServer
from smtp_server import SinkHandler, smtp_server

from mailer.config.oauth import OAuthSettings
from mailer.oauth.tokens import TokenFile, Tokens


@dataclass
class Grant:
    user: str
    refresh_token: str
    revoked: bool = False


@dataclass
class Provider:
    """The provider's state; every method is safe to call from the test while servers call the endpoints."""

    access_ttl: float = 3600.0
    rotate_refresh_tokens: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)
    grants: dict[str, Grant] = field(default_factory=dict)  # by refresh token
    access: dict[str, tuple[str, float]] = field(default_factory=dict)  # token -> (user, expires_at)
    pending: dict[str, dict[str, Any]] = field(default_factory=dict)  # device_code -> {user_code, user}
    codes: dict[str, dict[str, Any]] = field(default_factory=dict)  # authorization code -> its login
    #: (grant_type, client_id) of every token request, in order.
    requests: list[tuple[str, str]] = field(default_factory=list)
    introspections: int = 0
    port: int = 0
    _n: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    # -- what tests do ---------------------------------------------------------------------------------

    def settings(self, token_file: Path, **overrides: Any) -> OAuthSettings:
        base = f"http://127.0.0.1:{self.port}"
        values: dict[str, Any] = {"provider": "generic", "client_id": "traffpunkt-test",
                                  "token_url": f"{base}/token", "device_url": f"{base}/devicecode",
                                  "scopes": ("mail",), "token_file": token_file}
        values.update(overrides)
        return OAuthSettings(**values)

    def login(self, settings: OAuthSettings, user: str, ttl: float | None = None) -> None:
        """What a finished `traffpunkt auth login` leaves: the grant in the settings' token file."""
        body = self.issue(user, ttl)
        TokenFile(settings.token_file).save(Tokens(body["refresh_token"], body["access_token"],
                                                   time.time() + body["expires_in"], body["scope"]))

    def approve(self, user_code: str, user: str) -> None:
        with self.lock:
            for entry in self.pending.values():
                if entry["user_code"] == user_code:
                    entry["user"] = user
                    return
        raise KeyError(user_code)

    def issue(self, user: str, ttl: float | None = None) -> dict[str, Any]:
        """A fresh grant for `user` (as a finished login would give): the token endpoint's JSON."""
        with self.lock:
            return self._issue(user, None, ttl)

    def authorize(self, authorization_url: str, user: str) -> str:
        """What the browser does when `user` allows access: the address it is sent to, with a code."""
        q = {k: v[0] for k, v in parse_qs(urlsplit(authorization_url).query).items()}
        assert q["response_type"] == "code" and q["code_challenge_method"] == "S256"
        with self.lock:
            code = f"ac-{next(self._n)}"
            self.codes[code] = {"user": user, "challenge": q["code_challenge"], "redirect_uri": q["redirect_uri"]}
        return f"{q['redirect_uri']}?state={q['state']}&code={code}&scope=mail"

    def expire_access_tokens(self) -> None:
        with self.lock:
            self.access = {t: (u, 0.0) for t, (u, _) in self.access.items()}

    def revoke(self, user: str) -> None:
        """The admin (or the password change) withdrew every grant of `user`."""
        with self.lock:
            for g in self.grants.values():
                if g.user == user:
                    g.revoked = True
            self.access = {t: v for t, v in self.access.items() if v[0] != user}

    def user_of(self, token: str) -> str | None:
        """Whom an access token logs in, if it is valid now."""
        with self.lock:
            found = self.access.get(token)
            return found[0] if found and found[1] > time.time() else None

    # -- the endpoints ---------------------------------------------------------------------------------

    def _issue(self, user: str, old: Grant | None, ttl: float | None) -> dict[str, Any]:
        n = next(self._n)
        access = f"at-{n}-{user}"
        ttl = self.access_ttl if ttl is None else ttl
        self.access[access] = (user, time.time() + ttl)
        if old is None or self.rotate_refresh_tokens:
            if old is not None:
                old.revoked = True
            refresh = f"rt-{n}-{user}"
            self.grants[refresh] = Grant(user, refresh)
        else:
            refresh = old.refresh_token
        return {"access_token": access, "token_type": "Bearer", "expires_in": int(ttl), "refresh_token": refresh,
                "scope": "mail"}

    def token(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        grant_type = form.get("grant_type", "")
        with self.lock:
            self.requests.append((grant_type, form.get("client_id", "")))
            if grant_type == "refresh_token":
                grant = self.grants.get(form.get("refresh_token", ""))
                if grant is None or grant.revoked:
                    return 400, {"error": "invalid_grant", "error_description": "AADSTS50173: the grant was "
                                 "revoked"}
                return 200, self._issue(grant.user, grant, None)
            if grant_type == "authorization_code":
                entry = self.codes.pop(form.get("code", ""), None)
                verifier = form.get("code_verifier", "")
                challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=")
                if entry is None or challenge.decode() != entry["challenge"] \
                        or form.get("redirect_uri") != entry["redirect_uri"]:
                    return 400, {"error": "invalid_grant", "error_description": "bad code, verifier or redirect"}
                return 200, self._issue(entry["user"], None, None)
            if grant_type == "urn:ietf:params:oauth:grant-type:device_code":
                entry = self.pending.get(form.get("device_code", ""))
                if entry is None:
                    return 400, {"error": "expired_token"}
                if entry["user"] is None:
                    return 400, {"error": "authorization_pending"}
                del self.pending[form["device_code"]]
                return 200, self._issue(entry["user"], None, None)
        return 400, {"error": "unsupported_grant_type"}

    def device(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            n = next(self._n)
            code, user_code = f"dc-{n}", f"CODE-{n}"
            self.pending[code] = {"user_code": user_code, "user": None, "scope": form.get("scope")}
        return 200, {"device_code": code, "user_code": user_code, "expires_in": 60, "interval": 1,
                     "verification_uri": f"http://127.0.0.1:{self.port}/device"}

    def introspect(self, form: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.introspections += 1
        user = self.user_of(form.get("token", ""))
        return 200, ({"active": True, "username": user} if user else {"active": False})


@dataclass
class XOAuth2Sink(SinkHandler):
    """The test SMTP sink, offering AUTH XOAUTH2 and checking each bearer token with `provider`."""

    provider: Provider | None = None
    #: Users whose XOAUTH2 login was accepted, and how many were refused.
    logins: list[str] = field(default_factory=list)
    refused: int = 0

    async def handle_MAIL(self, server: Any, session: Any, envelope: Any, address: str,
                          mail_options: list[str]) -> str:
        if not session.authenticated:
            return "530 5.7.0 Authentication required"
        return await super().handle_MAIL(server, session, envelope, address, mail_options)

    async def auth_XOAUTH2(self, server: Any, args: list[str]) -> AuthResult:  # noqa: N802 - aiosmtpd's name
        raw = args[1] if len(args) > 1 else await server.challenge_auth("", encode_to_b64=False)
        try:
            fields = base64.b64decode(raw).decode().split("\x01")
            user = next(f[5:] for f in fields if f.startswith("user="))
            token = next(f[12:] for f in fields if f.startswith("auth=Bearer "))
        except (ValueError, StopIteration, TypeError):
            return AuthResult(success=False, handled=False, message="501 5.5.2 malformed XOAUTH2")
        assert self.provider is not None
        if self.provider.user_of(token) == user:
            self.logins.append(user)
            return AuthResult(success=True, auth_data=user)
        self.refused += 1
        error = base64.b64encode(json.dumps({"status": "401", "schemes": "Bearer"}).encode()).decode()
        await server.challenge_auth(error, encode_to_b64=False)  # the client answers with an empty line
        return AuthResult(success=False, handled=False, message="535 5.7.3 Authentication unsuccessful")


def xoauth2_smtp(provider: Provider) -> Any:
    """An aiosmtpd server (context manager) that accepts only XOAUTH2 logins with `provider`'s tokens."""
    return smtp_server(XOAuth2Sink(provider=provider), auth_require_tls=False,
                       auth_exclude_mechanism=["PLAIN", "LOGIN"])


class _Handler(BaseHTTPRequestHandler):
    provider: Provider

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet test server
        pass

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        length = int(self.headers.get("Content-Length") or 0)
        form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        route = {"/token": self.provider.token, "/devicecode": self.provider.device,
                 "/introspect": self.provider.introspect}.get(self.path.split("?")[0])
        status, body = route(form) if route else (404, {"error": "not_found"})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


@contextmanager
def oauth_provider(**kwargs: Any) -> Iterator[Provider]:
    provider = Provider(**kwargs)
    handler = type("Handler", (_Handler,), {"provider": provider})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    httpd.daemon_threads = True
    provider.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield provider
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(5)


class OAuthDovecot(DovecotServer):
    """A second throwaway Dovecot whose users may also log in with XOAUTH2: its oauth2 passdb asks
    `provider`'s introspection endpoint about each bearer token (passwords still work, for arranging)."""

    def __init__(self, provider: Provider) -> None:
        super().__init__()
        self.provider = provider

    def _config_text(self) -> str:
        oauth_conf = self.root / "dovecot-oauth2.conf.ext"
        oauth_conf.write_text(f"""introspection_mode = post
introspection_url = http://127.0.0.1:{self.provider.port}/introspect
username_attribute = username
active_attribute = active
active_value = true
""")
        oauth_conf.chmod(0o644)
        text = super()._config_text().replace("auth_mechanisms = plain login",
                                              "auth_mechanisms = plain login xoauth2 oauthbearer")
        return text.replace("passdb {\n  driver = passwd-file\n", f"""passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {oauth_conf}
}}
passdb {{
  driver = passwd-file
  mechanisms = plain login
""", 1)
