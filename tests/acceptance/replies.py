"""What the inbound acceptance tests share: a network whose daemon reads replies from a Dovecot folder (through
a proxy that can cut or stall connections), the members' replies built from the invitations the sink
received, and the count of what each reply caused (answers, log entries, confirmations and their copies)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parseaddr
from pathlib import Path

import pytest
from dovecot import Account
from harness import Network, message_id, network
from smtp_server import SinkHandler

from mailer.cli import main
from mailer.cli.demo import ScriptedReply, build_reply
from mailer.config import load_config

FOLDER = "Svar"
PASSWORD_ENV = "TP_ACCEPTANCE_IMAP_PASSWORD"
#: Replies alternate between these; each is read as a sure answer.
ANSWERS = (("Ja, jag kommer gärna!", "yes"), ("Nej, tyvärr kan jag inte komma den här gången.", "no"))


def inbound_network(tmp_path: Path, smtp_port: int, account: Account, imap_port: int, members: int,
                    monkeypatch: pytest.MonkeyPatch, *, imap_timeout: float = 5, imap_extra: str = "") -> Network:
    """The acceptance network reading `FOLDER` of `account` at 127.0.0.1:`imap_port` (IDLE on; being a Dovecot
    on loopback, it is asked with a NOOP every 0.1 s unless `imap_extra` says `noop_seconds = 0`)."""
    monkeypatch.setenv(PASSWORD_ENV, account.password)
    client = account.imap()
    try:
        assert client.create(FOLDER)[0] == "OK"
    finally:
        client.logout()
    lines = f'username = "{account.user}"\npassword_env = "{PASSWORD_ENV}"\nfolder = "{FOLDER}"\nidle = true\n'
    lines += imap_extra
    return network(tmp_path, smtp_port, members=members, imap_port=imap_port, imap=lines,
                   imap_timeout=imap_timeout)


@dataclass(frozen=True)
class Replies:
    """Each member's reply (raw bytes, oldest first) and the answer it must give."""

    raws: list[bytes]
    expected: dict[str, str]


def invite_and_write_replies(net: Network, handler: SinkHandler) -> Replies:
    """Send the invitations (`run --once`), then one reply per member to the invitation it received."""
    assert main(["run", "--once", "--config", str(net.config)]) == 0
    cfg = load_config(net.config)
    invitations = {parseaddr(str(d.message()["To"]))[1]: d.message() for d in handler.delivered
                   if ".invitation." in message_id(d.data)}
    handler.delivered.clear()
    raws, expected = [], {}
    now = datetime.now(UTC)
    for n, (address, invitation) in enumerate(sorted(invitations.items(), key=lambda kv: _number(kv[0]))):
        text, answer = ANSWERS[n % len(ANSWERS)]
        raws.append(build_reply(ScriptedReply(address, 1, text), invitation, cfg, now))
        expected[address] = answer
    return Replies(raws, expected)


def _number(address: str) -> int:
    return int(address.removeprefix("medlem").partition("@")[0])


def deliver(account: Account, raws: list[bytes]) -> None:
    client = account.imap()
    try:
        for raw in raws:
            answer = client.append(FOLDER, None, None, raw)
            assert answer[0] == "OK", answer
    finally:
        client.logout()


def processed(net: Network) -> int:
    """How many inbound messages the daemon has finished (any outcome)."""
    with net.opened() as store:
        return sum(1 for r in store.inbound_rows(limit=1_000_000) if r.status != "handling")


def confirmations(handler: SinkHandler) -> Counter[str]:
    """How often the server received each confirmation's Message-ID (answered or not)."""
    return Counter(message_id(d.data) for d in [*handler.delivered, *handler.unanswered]
                   if ".confirmation." in message_id(d.data))


@dataclass(frozen=True)
class Effects:
    """What the replies did, as the members and the coordinator would see it."""

    answers: dict[str, str]
    #: rsvp log entries per member ('rsvp', 'rsvp-changed', 'rsvp-repeated'): 1 when applied once.
    applied: Counter[str]
    #: confirmation rows queued per member.
    confirmations_queued: Counter[str]
    quarantined: list[tuple[str | None, str | None]]
    #: replies whose handling was interrupted (kill -9) and done again
    redone: int


def effects(net: Network) -> Effects:
    with net.opened() as store:
        meeting = next(iter(store.meetings().values()))
        answers = {r["address"]: r["answer"] for r in store.rsvps(meeting.id)}
        members = {m.id: m.address for m in store.members(None)}
        applied = Counter(members[e["member_id"]] for e in store.log_entries(1_000_000)
                          if e["event"].startswith("rsvp"))
        queued = Counter(r.recipient for r in store.outbox_rows(limit=1_000_000) if r.kind == "confirmation")
        rows = store.inbound_rows(limit=1_000_000)
    quarantined = [(r.message_id, r.reason) for r in rows if r.status == "quarantined"]
    return Effects(answers, applied, queued, quarantined, sum(1 for r in rows if r.attempts > 1))


def assert_each_applied_once(net: Network, replies: Replies) -> Effects:
    """Every reply's answer stored, applied once (one log entry, one confirmation queued)."""
    got = effects(net)
    assert got.answers == replies.expected
    twice = {a: n for a, n in got.applied.items() if n != 1}
    assert not twice, f"applied more than once: {twice}"
    assert set(got.applied) == set(replies.expected)
    assert dict(got.confirmations_queued) == dict.fromkeys(replies.expected, 1)
    return got


def imap_count(account: Account, folder: str) -> int:
    client = account.imap()
    try:
        typ, data = client.select(folder, readonly=True)
        return int(data[0]) if typ == "OK" and data[0] else 0
    finally:
        client.logout()
