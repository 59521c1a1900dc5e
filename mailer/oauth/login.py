"""`traffpunkt auth login`: the device-code flow (RFC 8628) once, then the refresh token in the token file."""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from mailer.errors import TraffpunktError
from mailer.oauth.client import OAuthClient
from mailer.oauth.tokens import TokenFile

if TYPE_CHECKING:
    from mailer.config import Config


def _ask(prompt: str) -> str:
    return input(prompt)


def login(config: Config, *, out: TextIO | None = None, sleep: Callable[[float], None] | None = None,
          ask: Callable[[str], str] = _ask) -> int:
    """Show the admin a code to enter in a browser (or an address to open), wait for the approval, keep the
    tokens (0600)."""
    out = out or sys.stdout
    oauth = config.mail.oauth
    if oauth is None:
        raise TraffpunktError(f"{config.path}: no [mail.oauth] table; see the README's OAuth2 section")
    users = sorted({s.username for s in (config.mail.smtp, config.mail.imap)
                    if s is not None and s.auth == "xoauth2" and s.username})
    client = OAuthClient(oauth)
    who = f" as {', '.join(users)}" if users else ""
    if oauth.login_flow == "browser":
        started = client.start_browser_login()
        print(f"To let traffpunkt use the mailbox, open this address in a browser and sign in{who}:\n\n"
              f"  {started.url}\n\nAfter you allow access the browser is sent to {started.redirect_uri}... "
              "(the page will not load: that is expected).", file=out, flush=True)
        tokens = client.finish_browser_login(started, ask("Paste the whole address from the browser's "
                                                          "address bar here: "))
    else:
        code = client.start_device_login()
        print(f"To let traffpunkt use the mailbox, open {code.verification_uri} in a browser, sign in{who}\n"
              f"and enter the code {code.user_code} (valid {max(1, code.expires_in // 60)} minutes). "
              "Waiting...", file=out, flush=True)
        tokens = client.finish_device_login(code, sleep=sleep or time.sleep)
    file = TokenFile(oauth.token_file)
    with file.locked():
        file.save(tokens)
    print(f"Logged in. The refresh token is kept in {oauth.token_file} (readable only by this user); "
          "the daemon refreshes its access tokens from it.", file=out)
    return 0
