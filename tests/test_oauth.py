"""OAuth2 for hosted mail against a loopback provider and a real aiosmtpd: the device login keeps the
refresh token owner-only, tokens are refreshed before they expire and once after a refusal, and a revoked
grant stops sending with a message saying what to do, sending nothing."""

from __future__ import annotations

import io
import json
import socket
import stat
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from example_network import example_text
from oauth_server import Provider, XOAuth2Sink, oauth_provider, xoauth2_smtp

from mailer.cli import main
from mailer.cli.check import setup_problems
from mailer.config import load_config
from mailer.errors import ServerUnreachable
from mailer.oauth.source import TokenSource
from mailer.oauth.tokens import NotLoggedIn, TokenFile, TokenRevoked, TokenServerUnreachable
from mailer.oauth.xoauth2 import LoginLost
from mailer.outbound.smtp import SmtpTransport

USER = "natverk@kulturnatverket.fi"
MESSAGE = b"From: natverk@kulturnatverket.fi\r\nTo: asa@example.org\r\nSubject: hej\r\n\r\nHej!\r\n"


@pytest.fixture
def provider() -> Iterator[Provider]:
    with oauth_provider() as p:
        yield p


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_stored_token_is_used_until_it_nears_expiry_then_refreshed_and_the_new_grant_kept(
        provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "var" / "token.json", refresh_margin_seconds=300)
    provider.login(settings, USER, ttl=3600)
    first = TokenFile(settings.token_file).load()
    source = TokenSource(settings)
    assert source.access_token() == first.access_token and source.refreshes == 0
    later = TokenSource(settings, clock=lambda: time.time() + 3600 - 299)  # 299 s left: under the margin
    token = later.access_token()
    assert token != first.access_token and provider.user_of(token) == USER and later.refreshes == 1
    kept = TokenFile(settings.token_file).load()
    assert kept.access_token == token and kept.refresh_token != first.refresh_token  # the rotated grant
    assert mode(settings.token_file) == 0o600
    assert [g for g, _ in provider.requests] == ["refresh_token"]


def test_a_refused_token_is_refreshed_once_and_a_second_caller_reuses_that_refresh(
        provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "token.json")
    provider.login(settings, USER)
    smtp_side, imap_side = TokenSource(settings), TokenSource(settings)
    old = smtp_side.access_token()
    provider.expire_access_tokens()  # the server says no although the token looks valid here
    new = smtp_side.refresh(old)
    assert new != old and provider.user_of(new) == USER
    assert imap_side.refresh(old) == new  # the other side's refusal of the old token needs no second refresh
    assert len(provider.requests) == 1


def test_a_revoked_grant_says_to_log_in_again(provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "token.json")
    provider.login(settings, USER, ttl=0)
    provider.revoke(USER)
    with pytest.raises(TokenRevoked, match=r"invalid_grant.*traffpunkt auth login.*mail stays queued"):
        TokenSource(settings).access_token()


def test_no_token_file_says_to_log_in(provider: Provider, tmp_path: Path) -> None:
    with pytest.raises(NotLoggedIn, match="traffpunkt auth login"):
        TokenSource(provider.settings(tmp_path / "none.json")).access_token()


def test_an_unreachable_token_server_is_a_temporary_failure(provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "token.json")
    provider.login(settings, USER, ttl=0)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    moved = provider.settings(settings.token_file, token_url=f"http://127.0.0.1:{dead}/token")
    with pytest.raises(TokenServerUnreachable):
        TokenSource(moved).access_token()
    assert TokenFile(settings.token_file).load().refresh_token  # the grant is kept for the next try


def test_a_token_file_others_can_read_is_tightened(provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "token.json")
    provider.login(settings, USER)
    settings.token_file.chmod(0o644)
    TokenSource(settings).access_token()
    assert mode(settings.token_file) == 0o600


# -- SMTP ------------------------------------------------------------------------------------------------


async def send_one(server: object, source: TokenSource) -> None:
    settings = server.settings(auth="xoauth2", username=USER)  # type: ignore[attr-defined]
    transport = SmtpTransport(settings, None, tokens=source)
    try:
        await transport.send(USER, "asa@example.org", MESSAGE)
    finally:
        await transport.aclose()


async def test_smtp_logs_in_with_xoauth2_and_sends(provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "token.json")
    provider.login(settings, USER)
    with xoauth2_smtp(provider) as server:
        await send_one(server, TokenSource(settings))
        sink = server.handler
        assert isinstance(sink, XOAuth2Sink)
        assert sink.logins == [USER] and len(sink.delivered) == 1 and not provider.requests


async def test_smtp_refreshes_an_expired_token_before_logging_in(provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "token.json")
    provider.login(settings, USER, ttl=0)
    with xoauth2_smtp(provider) as server:
        await send_one(server, TokenSource(settings))
        assert server.handler.refused == 0 and len(server.handler.delivered) == 1  # type: ignore[attr-defined]
    assert [g for g, _ in provider.requests] == ["refresh_token"]


async def test_smtp_refreshes_once_after_the_server_refuses_the_token(provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "token.json")
    provider.login(settings, USER)
    provider.expire_access_tokens()
    with xoauth2_smtp(provider) as server:
        await send_one(server, TokenSource(settings))
        sink = server.handler
        assert isinstance(sink, XOAuth2Sink)
        assert sink.refused == 1 and sink.logins == [USER] and len(sink.delivered) == 1
    assert len(provider.requests) == 1


async def test_smtp_with_a_revoked_grant_sends_nothing_and_says_to_log_in_again(
        provider: Provider, tmp_path: Path) -> None:
    settings = provider.settings(tmp_path / "token.json")
    provider.login(settings, USER)
    provider.revoke(USER)
    with xoauth2_smtp(provider) as server:
        with pytest.raises(LoginLost, match=r"cannot log in as natverk@.*invalid_grant.*auth login"):
            await send_one(server, TokenSource(settings))
        assert server.handler.delivered == [] and server.handler.refused == 1  # type: ignore[attr-defined]


async def test_smtp_with_the_token_server_down_waits_as_for_an_unreachable_server(
        provider: Provider, tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        dead = s.getsockname()[1]
    settings = provider.settings(tmp_path / "token.json", token_url=f"http://127.0.0.1:{dead}/token")
    provider.login(settings, USER, ttl=0)
    with xoauth2_smtp(provider) as server:
        with pytest.raises(ServerUnreachable, match="no access token"):
            await send_one(server, TokenSource(settings))


# -- the config and the login command ------------------------------------------------------------------


def oauth_config(tmp_path: Path, provider: Provider, smtp_port: int = 2525, extra: str = "") -> Path:
    text = example_text(tmp_path).replace('transport = "maildir"', 'transport = "smtp"') + f"""
[mail.smtp]
host = "127.0.0.1"
port = {smtp_port}
tls = "none"
auth = "xoauth2"
username = "{USER}"
messages_per_minute = 0

[mail.imap]
host = "127.0.0.1"
tls = "none"
auth = "xoauth2"
username = "{USER}"

[mail.oauth]
provider = "generic"
client_id = "traffpunkt-test"
token_url = "http://127.0.0.1:{provider.port}/token"
device_url = "http://127.0.0.1:{provider.port}/devicecode"
scopes = ["mail"]
token_file = "{tmp_path}/var/oauth-token.json"
{extra}"""
    path = tmp_path / "network.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_auth_login_runs_the_device_flow_and_keeps_the_grant_owner_only(
        provider: Provider, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = oauth_config(tmp_path, provider)
    result: list[int] = []
    thread = threading.Thread(target=lambda: result.append(main(["auth", "login", "--config", str(path)])))
    thread.start()
    deadline = time.monotonic() + 10
    while not provider.pending and time.monotonic() < deadline:
        time.sleep(0.05)
    user_code = next(iter(provider.pending.values()))["user_code"]
    time.sleep(0.3)
    provider.approve(user_code, USER)
    thread.join(20)
    assert result == [0]
    out = capsys.readouterr().out
    assert user_code in out and f"http://127.0.0.1:{provider.port}/device" in out and USER in out
    token_file = tmp_path / "var" / "oauth-token.json"
    assert mode(token_file) == 0o600 and mode(token_file.parent) & 0o077 == 0
    stored = json.loads(token_file.read_text())
    assert provider.user_of(stored["access_token"]) == USER and stored["refresh_token"].startswith("rt-")
    assert ("authorization_pending" not in out) and provider.requests[-1][0].endswith("device_code")


def test_auth_login_refused_by_the_provider_exits_non_zero(provider: Provider, tmp_path: Path) -> None:
    path = oauth_config(tmp_path, provider)
    cfg = load_config(path)
    from mailer.oauth.login import login

    def refuse(_: float) -> None:  # the admin pressed "Cancel": the provider forgets the code
        provider.pending.clear()

    with pytest.raises(TokenRevoked, match="refused the login: expired_token"):
        login(cfg, out=io.StringIO(), sleep=refuse)
    assert not (tmp_path / "var" / "oauth-token.json").exists()


def test_auth_login_in_a_browser_trades_the_pasted_address_for_the_grant(
        provider: Provider, tmp_path: Path) -> None:
    from mailer.oauth.login import login

    path = oauth_config(tmp_path, provider, extra=f'login_flow = "browser"\n'
                                                   f'auth_url = "http://127.0.0.1:{provider.port}/authorize"\n')
    cfg = load_config(path)
    out = io.StringIO()
    shown: list[str] = []

    def browser(prompt: str) -> str:  # the admin opens the printed address, allows access, pastes where it went
        url = next(line.strip() for line in out.getvalue().splitlines() if "/authorize?" in line)
        shown.append(url)
        return provider.authorize(url, USER)

    assert login(cfg, out=out, ask=browser) == 0
    assert "client_id=traffpunkt-test" in shown[0] and "access_type=offline" in shown[0]
    stored = TokenFile(tmp_path / "var" / "oauth-token.json").load()
    assert stored.access_token is not None and provider.user_of(stored.access_token) == USER
    assert mode(tmp_path / "var" / "oauth-token.json") == 0o600
    # an address from another login (another state) is refused, and nothing is written
    (tmp_path / "var" / "oauth-token.json").unlink()
    with pytest.raises(TokenRevoked, match="state differs"):
        login(cfg, out=io.StringIO(), ask=lambda _: "http://127.0.0.1:8765/?state=forged&code=ac-1")
    assert not (tmp_path / "var" / "oauth-token.json").exists()


def test_xoauth2_config_needs_no_password_but_an_oauth_table_and_no_secret_in_the_toml(
        provider: Provider, tmp_path: Path) -> None:
    cfg = load_config(oauth_config(tmp_path, provider))
    assert cfg.mail.smtp is not None and cfg.mail.smtp.auth == "xoauth2" and cfg.mail.oauth is not None
    assert cfg.mail.oauth.scopes == ("mail",) and cfg.mail.oauth.provider == "generic"
    assert not [p for p in setup_problems(cfg) if "password" in p.key]
    [not_logged_in] = [p for p in setup_problems(cfg) if p.key == "mail.oauth.token_file"]
    assert "traffpunkt auth login" in not_logged_in.expected
    assert cfg.mail.oauth is not None
    provider.login(cfg.mail.oauth, USER)
    assert not [p for p in setup_problems(cfg) if p.key.startswith("mail.oauth")]
    bad = oauth_config(tmp_path, provider, extra='client_secret = "s3cret"\n')
    with pytest.raises(Exception, match="mail.oauth.client_secret: no secret in the TOML"):
        load_config(bad)
    text = bad.read_text().replace('client_secret = "s3cret"\n', "")
    no_table = text[:text.rindex("\n[mail.oauth]")]
    bad.write_text(no_table)
    with pytest.raises(Exception, match=r"mail.smtp.auth: an \[mail.oauth\] table"):
        load_config(bad)


def test_microsoft_and_google_defaults_need_only_a_client_id(tmp_path: Path, provider: Provider) -> None:
    path = oauth_config(tmp_path, provider)
    text = path.read_text()
    head = text[:text.rindex("\n[mail.oauth]") + 1]
    path.write_text(head + '[mail.oauth]\nprovider = "microsoft"\ntenant = "kulturnatverket.fi"\n'
                           'client_id = "00000000-aaaa"\n')
    ms = load_config(path).mail.oauth
    assert ms is not None
    assert ms.token_url == "https://login.microsoftonline.com/kulturnatverket.fi/oauth2/v2.0/token"
    assert ms.device_url == "https://login.microsoftonline.com/kulturnatverket.fi/oauth2/v2.0/devicecode"
    assert ms.scopes == ("https://outlook.office.com/IMAP.AccessAsUser.All",
                         "https://outlook.office.com/SMTP.Send", "offline_access")
    path.write_text(head + '[mail.oauth]\nprovider = "google"\nclient_id = "x.apps.googleusercontent.com"\n'
                           'client_secret_env = "TP_GOOGLE_SECRET"\n')
    google = load_config(path).mail.oauth
    path.write_text(path.read_text().replace('client_secret_env = "TP_GOOGLE_SECRET"\n', ""))
    with pytest.raises(Exception, match="mail.oauth.client_secret_env: the environment variable"):
        load_config(path)
    assert google is not None and google.scopes == ("https://mail.google.com/",)
    assert google.login_flow == "browser" and google.auth_url == "https://accounts.google.com/o/oauth2/v2/auth"
    assert google.token_url == "https://oauth2.googleapis.com/token"
