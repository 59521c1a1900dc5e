"""Remove a member's mail from the kept folders: processed and quarantine (IMAP or Maildir), local outbox copies."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from datetime import datetime
from email import message_from_bytes
from email.message import Message
from email.policy import default
from pathlib import Path

from mailer.config import Config
from mailer.state.store import Store

log = logging.getLogger("traffpunkt.forget")

#: Folders of the inbound Maildir that keep handled mail (Maildir++ names, see maildir_reader.py).
KEPT_FOLDERS = (".processed", ".quarantine")


def _texts(msg: Message) -> Iterator[str]:
    for name, value in msg.items():
        yield f"{name}: {value}"
    for part in msg.walk():
        if part.get_content_maintype() == "text":
            try:
                yield str(part.get_content())  # type: ignore[attr-defined]
            except (LookupError, ValueError, AssertionError):
                payload = part.get_payload(decode=True)
                if isinstance(payload, bytes):
                    yield payload.decode("utf-8", "replace")


def mentions(data: bytes, needles: Iterable[str]) -> bool:
    """Whether a message names any needle: in its raw bytes, or once its headers and text parts are decoded
    (a name in an encoded-word, a quoted-printable or base64 body). Case-insensitive."""
    wanted = [n.lower() for n in needles if n]
    raw = data.lower()
    if any(n.encode() in raw for n in wanted):
        return True
    try:
        msg = message_from_bytes(data, policy=default)
        return any(n in text.lower() for text in _texts(msg) for n in wanted)
    except Exception:  # an unreadable message: the raw bytes were all that could be searched
        return False


def _maildir_files(root: Path) -> Iterator[Path]:
    for sub in ("new", "cur", "tmp"):
        folder = root / sub
        if folder.is_dir():
            yield from (p for p in folder.iterdir() if p.is_file())


def forget_in_maildir(root: Path, needles: list[str]) -> int:
    """Delete every message file under the Maildir `root` that mentions a needle; returns how many."""
    removed = 0
    for path in _maildir_files(root):
        try:
            if mentions(path.read_bytes(), needles):
                path.unlink()
                removed += 1
        except FileNotFoundError:  # moved meanwhile
            continue
    return removed


def forget_in_imap(config: Config, needles: list[str]) -> int:
    """Delete (flag and expunge) every message in the IMAP processed and quarantine folders that mentions a
    needle, found by the server's own SEARCH TEXT (headers and decoded bodies)."""
    from imap_tools import OR

    from mailer.inbound.imap_reader import ImapInbox

    settings = config.mail.imap
    if settings is None:
        return 0
    inbox = ImapInbox(settings, settings.password(), Store.memory())
    box = inbox._connect()
    removed = 0
    try:
        for folder in (settings.processed_folder, settings.quarantine_folder):
            name = inbox._server_name(folder)
            if not box.folder.exists(name):
                continue
            box.folder.set(name)
            uids = box.uids(OR(text=[n for n in needles if n]), charset="UTF-8")
            if uids:
                box.delete(uids)
                removed += len(uids)
    finally:
        inbox._drop(box)
    return removed


def forget_mail(config: Config, needles: list[str]) -> dict[str, int]:
    """Every kept copy of mail that mentions a needle, removed: inbound processed/quarantine folders (IMAP
    when configured, and the inbound Maildir's) and the local outbox Maildir. Counts per place."""
    counts: dict[str, int] = {}
    if config.mail.transport == "smtp" and config.mail.imap is not None:
        counts["imap"] = forget_in_imap(config, needles)
    inbox = config.mail.inbox_maildir
    counts["inbox maildir"] = sum(forget_in_maildir(inbox / f, needles) for f in KEPT_FOLDERS)
    counts["outbox maildir"] = forget_in_maildir(config.mail.outbox_maildir, needles)
    return counts


def forget_member(config: Config, store: Store, address: str, now: datetime,
                  publish: Callable[[Config, Store, datetime], object]) -> list[str] | None:
    """Erase the member with this address everywhere: database rows (then vacuumed and checkpointed), kept
    mail, the site rebuilt (by `publish`, the site's). Lines saying what was done; None if there is none."""
    from mailer.state import privacy

    row = privacy.export(store, address)
    if row is None:
        return None
    needles = privacy.needles_for(row["member"])
    mail = forget_mail(config, needles)  # first: a failing IMAP server leaves the member to erase again
    erased = privacy.erase(store, address, now)
    assert erased is not None
    publish(config, store, now)
    return [f"database: {erased.summary()}; vacuumed, WAL emptied",
            "mail: " + ", ".join(f"{n} in {where}" for where, n in mail.items()),
            f"site: rebuilt in {config.site.output}"]


def erase_confirmed(config: Config, store: Store, now: datetime,
                    publish: Callable[[Config, Store, datetime], object]) -> list[str]:
    """Members who confirmed by mail that their data be erased, once their goodbye has gone out: every trace
    removed. Returns the errors (an IMAP server down): those erasures are tried again on the next tick."""
    from mailer.state.privacy import due_erasures

    errors = []
    for address in due_erasures(store, now):
        try:
            forget_member(config, store, address, now, publish)
        except Exception as exc:  # the daemon keeps running; the erase is retried
            errors.append(f"erase of a member: {type(exc).__name__}: {exc}")
    return errors
