"""The token file: the refresh token and the current access token, owner-only (0600), replaced atomically."""

from __future__ import annotations

import fcntl
import json
import logging
import os
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

from mailer.errors import TraffpunktError

log = logging.getLogger("traffpunkt")
MAX_BYTES = 256 * 1024


class OAuthError(TraffpunktError):
    """OAuth2 failed; the subclasses say whether the admin must act."""


class NotLoggedIn(OAuthError):
    """No usable refresh token: `traffpunkt auth login` must be run (again)."""


class TokenRevoked(NotLoggedIn):
    """The token server refused the refresh token (revoked, expired, password changed, consent withdrawn)."""


class TokenServerUnreachable(OAuthError):
    """The token server did not answer usefully: try again later; nothing is lost."""


@dataclass(frozen=True)
class Tokens:
    refresh_token: str
    access_token: str | None = None
    #: Unix time the access token expires.
    expires_at: float | None = None
    scope: str | None = None
    #: Why the token server refused this grant (set when it did; a new login clears it), and when.
    refused: str | None = None
    refused_at: float | None = None


class TokenFile:
    """One JSON file; `locked()` serialises refreshes across threads and processes (SMTP, IMAP, networks)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock_path = path.with_name(path.name + ".lock")

    def load(self) -> Tokens:
        """The stored tokens; NotLoggedIn when there are none. A file others could read is tightened first."""
        try:
            fd = os.open(self.path, os.O_RDONLY | os.O_NOFOLLOW)
        except FileNotFoundError:
            raise NotLoggedIn(f"no OAuth2 token in {self.path}: run `traffpunkt auth login`") from None
        except OSError as exc:
            raise NotLoggedIn(f"the OAuth2 token file {self.path} cannot be read ({exc.strerror})") from None
        with os.fdopen(fd, "rb") as f:
            mode = stat.S_IMODE(os.fstat(f.fileno()).st_mode)
            if mode & 0o077:
                log.warning("%s was readable by others (mode %04o); now 0600", self.path, mode)
                os.fchmod(f.fileno(), 0o600)
            raw = f.read(MAX_BYTES + 1)
        try:
            data = json.loads(raw)
            tokens = Tokens(refresh_token=str(data["refresh_token"]), access_token=data.get("access_token"),
                            expires_at=float(data["expires_at"]) if data.get("expires_at") is not None else None,
                            scope=data.get("scope"), refused=data.get("refused"),
                            refused_at=float(data["refused_at"]) if data.get("refused_at") is not None else None)
        except (ValueError, KeyError, TypeError) as exc:
            raise NotLoggedIn(f"the OAuth2 token file {self.path} is damaged ({exc}): run `traffpunkt auth "
                              "login` again") from None
        if not tokens.refresh_token:
            raise NotLoggedIn(f"no refresh token in {self.path}: run `traffpunkt auth login`")
        return tokens

    def save(self, tokens: Tokens) -> None:
        """Write owner-only through a temporary file and a rename: a reader sees the old or the new, whole."""
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        try:
            os.fchmod(fd, 0o600)
            with os.fdopen(fd, "w", closefd=False) as f:
                json.dump(asdict(tokens), f)
                f.flush()
                os.fsync(f.fileno())
        finally:
            os.close(fd)
        os.replace(tmp, self.path)

    @contextmanager
    def locked(self) -> Iterator[None]:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd = os.open(self.lock_path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)
