"""A throwaway Dovecot IMAP server on loopback for tests: own config, port and temp folder, removed after.

Used by the `dovecot` fixture in conftest.py. Run as root it gives mail to a non-root system user
(`traffpunkt-test`, created if missing); run as anyone else, every Dovecot process runs as that user.
"""

from __future__ import annotations

import imaplib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

TEST_USER = os.environ.get("TRAFFPUNKT_TEST_MAIL_USER", "traffpunkt-test")  # as in .ci/dovecot-setup.sh
REQUIRE_ENV = "TRAFFPUNKT_REQUIRE_SERVERS"
POOL = 64  # accounts written before the server starts


class DovecotUnavailable(Exception):
    """Dovecot is not installed or would not start here (the fixture skips, or fails in CI)."""


@dataclass(frozen=True)
class Account:
    """One mail account on the test server."""

    host: str
    port: int
    user: str
    password: str
    maildir: Path

    def imap(self) -> imaplib.IMAP4:
        """A logged-in plain imaplib client, for arranging and checking a test's mailbox."""
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        return client


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _mail_owner() -> tuple[int, int, str | None]:
    """(uid, gid, user to run Dovecot's own processes as, None for the shipped defaults)."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        return me.pw_uid, me.pw_gid, me.pw_name
    try:
        entry = pwd.getpwnam(TEST_USER)
    except KeyError:
        try:
            subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin",
                            TEST_USER], check=True, capture_output=True)
        except (OSError, subprocess.CalledProcessError) as exc:
            raise DovecotUnavailable(f"cannot create the mail user {TEST_USER}: {exc}") from None
        entry = pwd.getpwnam(TEST_USER)
    return entry.pw_uid, entry.pw_gid, None


class DovecotServer:
    """A running Dovecot; `account()` adds a fresh user (the passwd file is re-read when it changes)."""

    def __init__(self) -> None:
        sbin = Path("/usr/sbin/dovecot")
        self.dovecot = shutil.which("dovecot") or (str(sbin) if sbin.exists() else None)
        self.doveadm = shutil.which("doveadm") or "/usr/bin/doveadm"
        if self.dovecot is None:
            raise DovecotUnavailable("dovecot is not installed (apt-get install dovecot-imapd)")
        version = subprocess.run([self.dovecot, "--version"], capture_output=True, text=True).stdout.strip()
        if not version.startswith("2.3."):
            # 2.4 renamed most settings (auth_allow_cleartext, mail_driver/mail_path, passdb blocks).
            raise DovecotUnavailable(f"tests/dovecot.py writes a Dovecot 2.3 config; found {version or '?'}")
        self.host = "127.0.0.1"
        self.port = _free_port()
        self.uid, self.gid, self.run_as = _mail_owner()
        # Under /tmp (o+x) and world-traversable: the mail processes run as another user than the test.
        self.root = Path(tempfile.mkdtemp(prefix="traffpunkt-dovecot-", dir="/tmp"))
        self.root.chmod(0o755)
        self.config = self.root / "dovecot.conf"
        self.passwd = self.root / "passwd"
        self.homes = self.root / "home"
        self.log = self.root / "dovecot.log"
        self._counter = itertools.count(1)
        self._created = 0
        self._proc: subprocess.Popen[bytes] | None = None

    # -- lifecycle -----------------------------------------------------------------------------------

    def start(self, timeout: float = 15.0) -> None:
        try:
            self._start(timeout)
        except BaseException:
            self.stop()
            raise

    def _start(self, timeout: float) -> None:
        for d in (self.root / "run", self.root / "state", self.homes):
            d.mkdir(mode=0o755)
        os.chown(self.homes, self.uid, self.gid)
        self.passwd.write_text("")
        self.passwd.chmod(0o644)
        self._add_users(POOL)
        self.config.write_text(self._config_text())
        assert self.dovecot is not None
        self._proc = subprocess.Popen([self.dovecot, "-F", "-c", str(self.config)],
                                      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                raise DovecotUnavailable(
                    f"dovecot exited with {self._proc.returncode}: {err}{self._log_tail()}")
            try:
                with socket.create_connection((self.host, self.port), timeout=1) as s:
                    s.settimeout(2)
                    if s.recv(100).startswith(b"* OK"):
                        return
            except OSError:
                time.sleep(0.05)
        raise DovecotUnavailable(f"dovecot did not accept connections within {timeout}s{self._log_tail()}")

    def stop(self) -> None:
        if self._proc is not None and self._proc.poll() is None:
            # SIGTERM to the master is what `doveadm stop` does, without doveadm's 3 s of polling.
            self._proc.terminate()
            try:
                self._proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                subprocess.run([self.doveadm, "-c", str(self.config), "stop"], capture_output=True,
                               timeout=15)
                self._proc.wait(timeout=10)
        if self._proc is not None and self._proc.stderr:
            self._proc.stderr.close()
        self._cleanup()

    def _cleanup(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _log_tail(self) -> str:
        try:
            lines = self.log.read_text(errors="replace").splitlines()[-20:]
            return "\n--- dovecot log ---\n" + "\n".join(lines)
        except OSError:
            return ""

    # -- accounts ------------------------------------------------------------------------------------

    def account(self) -> Account:
        """A new, empty account (its own INBOX and Maildir), so tests never see each other's mail."""
        n = next(self._counter)
        if n > self._created:
            self._add_users(n + POOL)
            time.sleep(1.1)  # Dovecot stats the passwd-file at most once a second; rarely reached
        user = f"user{n}"
        return Account(self.host, self.port, user, f"secret-{n}", self.homes / user / "Maildir")

    def _add_users(self, upto: int) -> None:
        """Users are written ahead: Dovecot looks at a changed passwd-file at most once a second."""
        with self.passwd.open("a") as f:
            for n in range(self._created + 1, upto + 1):
                home = self.homes / f"user{n}"
                home.mkdir(mode=0o700)
                os.chown(home, self.uid, self.gid)
                f.write(f"user{n}:{{PLAIN}}secret-{n}:{self.uid}:{self.gid}::{home}\n")
        self._created = upto

    def _config_text(self) -> str:
        own_users = (f"default_login_user = {self.run_as}\ndefault_internal_user = {self.run_as}\n"
                     if self.run_as else "")
        return f"""# throwaway test server written by tests/dovecot.py
protocols = imap
listen = {self.host}
base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.log}
info_log_path = {self.log}
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
# answer a wrong password at once (the per-IP auth penalty still delays the next login by ~4 s)
auth_failure_delay = 0
mail_location = maildir:~/Maildir
first_valid_uid = {self.uid}
first_valid_gid = {self.gid}
{own_users}namespace inbox {{
  inbox = yes
}}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.passwd}
}}
userdb {{
  driver = passwd-file
  args = username_format=%u {self.passwd}
}}
service imap-login {{
  inet_listener imap {{
    address = {self.host}
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
  chroot =
}}
service anvil {{
  chroot =
}}
"""
