"""The [mail] (with its servers) and [agenda] tables, and the problems only the environment can show."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from mailer.config.dkim import read_dkim
from mailer.config.model import (
    AGENDA_BLOCKS,
    TLS_MODES,
    TRANSPORTS,
    Agenda,
    Config,
    ImapSettings,
    Mail,
    Network,
    SmtpSettings,
)
from mailer.config.oauth import AUTH_MODES, read_oauth
from mailer.config.reader import Reader, at_least, positive, resolve, table, to_address
from mailer.errors import ConfigProblem


def read_mail(r: Reader, data: Mapping[str, Any], base: Path, network: Network) -> Mail:
    """The [mail] table; [mail.smtp] and [mail.imap] are required with the smtp transport."""
    mail_t = table(r, data, "mail", required=False)
    transport = r.get(mail_t, "mail", "transport", str, "'maildir' or 'smtp'", "maildir")
    if transport not in TRANSPORTS:
        r.problem("mail.transport", f"expected 'maildir' or 'smtp', got {transport!r}")
        transport = "maildir"
    maildir_t = table(r, mail_t, "maildir", required=False)
    smtp = imap = None
    if transport == "smtp":
        smtp_t = mail_t.get("smtp")
        imap_t = mail_t.get("imap")
        if not isinstance(smtp_t, dict):
            r.problem("[mail.smtp]", "a table (transport is 'smtp')")
        else:
            smtp = SmtpSettings(**_server(r, "mail.smtp", smtp_t, 587),
                                max_connections=r.get(smtp_t, "mail.smtp", "max_connections", int, "an integer", 2),
                                messages_per_minute=r.get(smtp_t, "mail.smtp", "messages_per_minute", int,
                                                          "an integer", 120))
        if not isinstance(imap_t, dict):
            r.problem("[mail.imap]", "a table (transport is 'smtp'; replies are read by IMAP)")
        else:
            imap = ImapSettings(**_server(r, "mail.imap", imap_t, 993),
                                folder=r.get(imap_t, "mail.imap", "folder", str, "a folder name", "INBOX"),
                                processed_folder=r.get(imap_t, "mail.imap", "processed_folder", str, "a folder name",
                                                       "traffpunkt/processed"),
                                quarantine_folder=r.get(imap_t, "mail.imap", "quarantine_folder", str,
                                                        "a folder name", "traffpunkt/quarantine"),
                                idle=r.get(imap_t, "mail.imap", "idle", bool, "true or false", True),
                                noop_seconds=_noop_seconds(r, imap_t))
    mail = Mail(
        transport=transport,
        from_address=r.convert("mail.from_address", r.get(mail_t, "mail", "from_address", str, "an e-mail address",
                                                          network.list_address), to_address, "an e-mail address")
        or network.list_address,
        outbox_maildir=resolve(base, r.get(maildir_t, "mail.maildir", "outbox", str, "a folder", "var/outbox")),
        inbox_maildir=resolve(base, r.get(maildir_t, "mail.maildir", "inbox", str, "a folder", "var/inbox")),
        smtp=smtp,
        imap=imap,
        poll_seconds=r.get(mail_t, "mail", "poll_seconds", int, "seconds as an integer", 60),
        max_attempts=r.get(mail_t, "mail", "max_attempts", int, "an integer", 8),
        retry_base_seconds=r.get(mail_t, "mail", "retry_base_seconds", int, "seconds as an integer", 60),
        authserv_id=(r.get(mail_t, "mail", "authserv_id", str, "your receiving server's authserv-id", None)
                     or None),
        join_confirmations_per_day=at_least(r, "mail.join_confirmations_per_day",
                                             r.get(mail_t, "mail", "join_confirmations_per_day", int,
                                                   "a number of mails", 20), 0, 20),
        max_message_bytes=positive(r, "mail.max_message_bytes", r.get(
            mail_t, "mail", "max_message_bytes", int, "a size in bytes (an integer above 0)", 10_000_000),
            10_000_000, "a size in bytes (an integer above 0)"),
        parse_deadline_seconds=float(positive(r, "mail.parse_deadline_seconds", r.get(
            mail_t, "mail", "parse_deadline_seconds", (int, float), "seconds above 0", 10.0), 10.0, "seconds above 0")),
        render_worker_rows=at_least(r, "mail.render_worker_rows", r.get(
            mail_t, "mail", "render_worker_rows", int, "a number of messages (0: never)", 200), 0, 200),
        oauth=read_oauth(r, mail_t, base),
        dkim=read_dkim(r, mail_t, base),
    )
    for key, server in (("mail.smtp", smtp), ("mail.imap", imap)):
        if server is not None and server.auth == "xoauth2" and mail.oauth is None and "oauth" not in mail_t:
            r.problem(f"{key}.auth", "an [mail.oauth] table for 'xoauth2' (provider, client_id)")

    return mail


def _noop_seconds(r: Reader, t: Mapping[str, Any]) -> float | None:
    value = r.get(t, "mail.imap", "noop_seconds", (int, float), "seconds (0: wait in IDLE)", None)
    if value is not None and not (value == 0 or 0.01 <= value <= 3600):
        r.problem("mail.imap.noop_seconds", f"expected 0 (wait in IDLE) or seconds from 0.01 to 3600, got {value!r}")
        return None
    return None if value is None else float(value)


def _server(r: Reader, prefix: str, t: Mapping[str, Any], default_port: int) -> dict[str, Any]:
    tls = r.get(t, prefix, "tls", str, "'starttls', 'tls' or 'none'", "starttls" if default_port == 587 else "tls")
    if tls not in TLS_MODES:
        r.problem(f"{prefix}.tls", f"expected 'starttls', 'tls' or 'none', got {tls!r}")
    if "password" in t:
        r.problem(f"{prefix}.password", "no password in the TOML; name an environment variable in password_env")
    port = r.get(t, prefix, "port", int, "a port number", default_port)
    if isinstance(port, int) and not 0 < port < 65536:
        r.problem(f"{prefix}.port", f"a port number 1-65535, got {port}")
    return {
        "host": r.get(t, prefix, "host", str, "a host name"),
        "port": port,
        "tls": tls,
        "username": r.get(t, prefix, "username", str, "a user name", None),
        "password_env": r.get(t, prefix, "password_env", str, "an environment variable's name", None),
        "timeout_seconds": float(r.get(t, prefix, "timeout_seconds", (int, float), "seconds", 30)),
        "auth": _auth(r, prefix, t),
    }


def _auth(r: Reader, prefix: str, t: Mapping[str, Any]) -> str:
    auth = r.get(t, prefix, "auth", str, "'password' or 'xoauth2'", "password")
    if auth not in AUTH_MODES:
        r.problem(f"{prefix}.auth", f"expected 'password' or 'xoauth2', got {auth!r}")
        return "password"
    if auth == "xoauth2" and not t.get("username"):
        r.problem(f"{prefix}.username", "the mailbox's address (XOAUTH2 logs in as that user)")
    return str(auth)


def read_agenda(r: Reader, t: Mapping[str, Any]) -> Agenda:
    """The [agenda] table with defaults for what it leaves out; a bad value is a problem naming its key."""
    d = Agenda()
    blocks_raw = r.get(t, "agenda", "blocks", list, "a list of block names", list(d.blocks))
    blocks: list[str] = []
    for i, b in enumerate(blocks_raw):
        if b not in AGENDA_BLOCKS:
            r.problem(f"agenda.blocks[{i}]", f"expected one of {', '.join(AGENDA_BLOCKS)}, got {b!r}")
        elif b in blocks:
            r.problem(f"agenda.blocks[{i}]", f"each block once; {b!r} is listed twice")
        else:
            blocks.append(b)

    def minutes(key: str, least: int = 0) -> int:
        value: int = r.get(t, "agenda", key, int, "minutes as an integer", getattr(d, key))
        if value < least:
            r.problem(f"agenda.{key}", f"expected at least {least} minutes, got {value}")
            return int(getattr(d, key))
        return value

    def half(key: str) -> float:
        value = r.get(t, "agenda", key, (int, float), "minutes in whole or half minutes", getattr(d, key))
        if not 0 < value <= 24 * 60 or value * 2 != int(value * 2):  # also refuses nan and inf
            r.problem(f"agenda.{key}", f"expected minutes in whole or half minutes above 0, got {value!r}")
            return float(getattr(d, key))
        return float(value)

    pmin, pmax = half("presentation_min_minutes"), half("presentation_max_minutes")
    if pmin > pmax:
        r.problem("agenda.presentation_min_minutes",
                  f"expected at most presentation_max_minutes ({pmax:g}), got {pmin:g}")
    disc, disc_min = minutes("discussion_minutes"), minutes("discussion_min_minutes")
    if disc_min > disc:
        r.problem("agenda.discussion_min_minutes",
                  f"expected at most discussion_minutes ({disc}), got {disc_min}")
    max_count = r.get(t, "agenda", "topic_max_count", int, "a number of topics", None)
    if max_count is not None and max_count < 0:
        r.problem("agenda.topic_max_count", f"expected 0 or more topics, got {max_count}")
        max_count = None
    return Agenda(
        blocks=tuple(blocks),
        welcome_minutes=minutes("welcome_minutes"),
        guest_minutes=minutes("guest_minutes"),
        break_minutes=minutes("break_minutes"),
        discussion_minutes=disc,
        discussion_min_minutes=min(disc_min, disc),
        thanks_minutes=minutes("thanks_minutes"),
        presentation_min_minutes=min(pmin, pmax),
        presentation_max_minutes=pmax,
        topic_minutes=minutes("topic_minutes", least=1),
        topic_max_count=max_count,
        buffer_minutes=minutes("buffer_minutes"),
    )


def environment_problems(cfg: Config) -> list[ConfigProblem]:
    """Problems that depend on the environment: password variables named but not set."""
    out: list[ConfigProblem] = []
    for key, server in (("mail.smtp", cfg.mail.smtp), ("mail.imap", cfg.mail.imap)):
        if server and server.auth == "xoauth2":
            continue  # no password: the token file and [mail.oauth] are checked below
        if server and server.username and not server.password_env:
            out.append(ConfigProblem(str(cfg.path), f"{key}.password_env",
                                     "the name of an environment variable holding the password"))
        if server and server.password_env and not os.environ.get(server.password_env):
            out.append(ConfigProblem(str(cfg.path), f"{key}.password_env",
                                     f"environment variable {server.password_env} to be set"))
    oauth = cfg.mail.oauth
    if oauth is not None and oauth.client_secret_env and not os.environ.get(oauth.client_secret_env):
        out.append(ConfigProblem(str(cfg.path), "mail.oauth.client_secret_env",
                                 f"environment variable {oauth.client_secret_env} to be set"))
    env = cfg.network.token_secret_env
    if env and not os.environ.get(env):
        out.append(ConfigProblem(str(cfg.path), "network.token_secret_env", f"environment variable {env} to be set"))
    return out
