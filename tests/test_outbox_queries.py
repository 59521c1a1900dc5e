"""A fan-out asks the database for its rows in batches: each row comes with its member's fields and whether
its address is failing, so rendering and sending a row ask nothing more (no query per member)."""

from __future__ import annotations

import email
from datetime import date, datetime, timedelta
from email import policy
from zoneinfo import ZoneInfo

from mailer import PROJECT_ROOT
from mailer.config import load_config
from mailer.models import MeetingChange, Occurrence
from mailer.outbound import tokens
from mailer.outbound.compose import Composer, make_message_id
from mailer.outbound.outbox import drain
from mailer.outbound.transport import MemoryTransport
from mailer.state.store import Store

SECRET = b"test-secret"
HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=HELSINKI)
MEMBERS = 60


def fan_out(store: Store) -> list[tuple[str, str]]:
    """A meeting and one queued invitation per member (names with non-ASCII letters); returns (name, address)."""
    start = datetime(2026, 12, 3, 17, 0, tzinfo=HELSINKI)
    occ = Occurrence(date=date(2026, 12, 3), start=start, end=start + timedelta(hours=2), place="Caisa",
                     address="Kajsaniemigatan 4", theme="Hur går vi vidare?", guest_speaker=None, cancelled=False)
    with store.write():
        meeting = store.apply_meeting_change(MeetingChange(occ, 0, "m:0"), "kulturnatverket.fi", NOW)
    people = [(f"Päivi Åkerlund {n}", f"medlem{n}@example.org") for n in range(MEMBERS)]
    with store.write():
        for name, address in people:
            member, _ = store.add_member(address, name, "fi" if "1" in address else "sv", NOW)
            key = f"invitation:{meeting.id}:{member.id}"
            mid = make_message_id(tokens.make(SECRET, member.id, meeting.id), "invitation", key,
                                  "kulturnatverket.fi")
            store.enqueue(key=key, kind="invitation", recipient=address, message_id=mid, now=NOW,
                          member_id=member.id, meeting_id=meeting.id, sequence=0)
    return people


async def test_a_fan_out_renders_every_member_by_name_without_asking_the_database_per_member() -> None:
    config = load_config(PROJECT_ROOT / "config" / "network.example.toml")
    store = Store.memory()
    people = fan_out(store)
    with store.write():  # a failing address is still refused unsent, without a query of its own
        store.db.execute("INSERT INTO address_failures (address, reason, at) VALUES (?, '550', ?)",
                         ["MEDLEM7@example.org", NOW.isoformat()])
    composer = Composer(config, store, SECRET, clock=lambda: NOW)
    statements: list[str] = []
    store.db.conn.set_trace_callback(statements.append)
    transport = MemoryTransport()

    report = await drain(store, lambda row: composer.render(row, NOW), transport, lambda: NOW, config=config.mail)
    store.db.conn.set_trace_callback(None)

    assert (report.sent, report.failed) == (MEMBERS - 1, 1)
    to = {}
    for envelope in transport.sent:
        msg = email.message_from_bytes(envelope.data, policy=policy.default)
        to[envelope.recipient] = msg["To"].addresses[0].display_name
    assert to == {address: name for name, address in people if address != "medlem7@example.org"}
    reads = [s for s in statements if s.lstrip().upper().startswith("SELECT")]
    per_row = [s for s in reads if "FROM members WHERE" in s or "FROM address_failures WHERE" in s]
    assert per_row == [], f"{len(per_row)} queries for single members or addresses, e.g. {per_row[:2]}"
    assert len(reads) < MEMBERS // 4, f"{len(reads)} SELECTs for {MEMBERS} rows"
