"""`traffpunkt demo`: the whole cycle through the real daemon code, checked by reading the mail it left."""

from __future__ import annotations

from collections import Counter
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.utils import parseaddr
from pathlib import Path

import icalendar
import pytest

from mailer.cli.demo import REPLIES, run_demo
from mailer.state.store import Store

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[str], list[EmailMessage]]:
    workdir = tmp_path_factory.mktemp("demo")
    lines: list[str] = []
    assert run_demo(workdir, print_fn=lines.append) == 0
    messages = []
    for path in sorted((workdir / "outbox" / "new").iterdir()):
        msg = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert isinstance(msg, EmailMessage)
        messages.append(msg)
    return workdir, lines, messages


def _kind(msg: EmailMessage) -> str:
    return str(msg["X-Traffpunkt-Kind"])


def _to(msg: EmailMessage) -> str:
    return parseaddr(str(msg["To"]))[1].lower()


def test_demo_sends_one_invitation_per_active_member_with_a_calendar_request(demo) -> None:  # type: ignore[no-untyped-def]
    workdir, _, messages = demo
    store = Store.open(workdir / "traffpunkt.db")
    members = {m.address for m in store.members(None)}
    invitations = [m for m in messages if _kind(m) == "invitation"]
    assert sorted(_to(m) for m in invitations) == sorted(members)
    for msg in invitations:
        calendars = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
        assert calendars, f"no calendar part for {_to(msg)}"
        assert calendars[0].get_param("method") == "REQUEST"
        cal = icalendar.Calendar.from_ical(calendars[0].get_content())
        assert cal["METHOD"] == "REQUEST"
        event = next(iter(cal.walk("VEVENT")))
        assert _to(msg) in str(event["ATTENDEE"]).lower()


def test_demo_reminds_only_members_who_said_yes_or_maybe_or_did_not_answer(demo) -> None:  # type: ignore[no-untyped-def]
    workdir, _, messages = demo
    store = Store.open(workdir / "traffpunkt.db")
    meeting = next(iter(store.meetings().values()))
    answers = {r["address"]: r["answer"] for r in store.rsvps(meeting.id)}
    assert "no" in answers.values() and "yes" in answers.values() and "maybe" in answers.values()
    reminded = {_to(m) for m in messages if _kind(m) == "reminder"}
    active = {m.address for m in store.members("active")}
    expected = {a for a in active if answers.get(a) in ("yes", "maybe", None)}
    assert reminded == expected


def test_demo_never_sends_one_member_two_copies_of_one_kind(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, messages = demo
    per = Counter((_to(m), _kind(m)) for m in messages if _kind(m) in ("invitation", "reminder"))
    assert per and max(per.values()) == 1
    assert len({str(m["Message-ID"]) for m in messages}) == len(messages)


def test_demo_replies_are_understood_and_auto_replies_get_no_answer(demo) -> None:  # type: ignore[no-untyped-def]
    workdir, lines, messages = demo
    auto = next(r for r in REPLIES if r.kind == "auto_reply")
    bounced = next(r for r in REPLIES if r.kind == "bounce")
    confirmations = {_to(m) for m in messages if _kind(m) == "confirmation"}
    assert auto.address not in confirmations and bounced.address not in confirmations
    answered = {r.address for r in REPLIES if r.kind == "reply"}
    assert confirmations == answered
    assert any("answered yes" in line for line in lines)


def test_demo_goes_on_to_agenda_catering_thanks_memo_and_the_site(demo) -> None:  # type: ignore[no-untyped-def]
    workdir, _, messages = demo
    store = Store.open(workdir / "traffpunkt.db")
    kinds = Counter(_kind(m) for m in messages)
    assert kinds["agenda"] == kinds["catering"] == kinds["memo-draft"] == 1
    reminder = next(m for m in messages if _kind(m) == "reminder")
    assert "Presentationsrunda" in reminder.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    meeting = next(iter(store.meetings().values()))
    said_yes = {r["address"] for r in store.rsvps(meeting.id) if r["answer"] == "yes"}
    assert {_to(m) for m in messages if _kind(m) == "thanks"} == said_yes
    memos = Counter(_to(m) for m in messages if _kind(m) == "memo")
    assert set(memos) == {m.address for m in store.members("active")} and set(memos.values()) == {1}
    index = (workdir / "site" / "index.html").read_text(encoding="utf-8")
    assert "mailto:" in index and (workdir / "site" / "meetings.ics").exists()
    site_text = "".join(p.read_text(encoding="utf-8") for p in (workdir / "site").glob("*") if p.is_file())
    assert not any(m.address in site_text for m in store.members(None))


def test_demo_reminder_counts_those_who_signed_up(demo) -> None:  # type: ignore[no-untyped-def]
    workdir, _, messages = demo
    store = Store.open(workdir / "traffpunkt.db")
    meeting = next(iter(store.meetings().values()))
    rows = store.rsvps(meeting.id)
    attending = sum(1 + r["guests"] for r in rows if r["answer"] == "yes")
    maybe = sum(1 for r in rows if r["answer"] == "maybe")
    reminder = next(m for m in messages if _kind(m) == "reminder" and _to(m) == "anna.lindqvist@teaterforum.fi")
    text = reminder.get_body(("plain",)).get_content()  # type: ignore[union-attr]
    assert f"Hittills har {attending} anmält sig och {maybe} svarat kanske." in text


def test_demo_agenda_in_reminders_and_memos_speaks_each_members_language(demo) -> None:  # type: ignore[no-untyped-def]
    _, _, messages = demo

    def text(kind: str, to: str) -> str:
        msg = next(m for m in messages if _kind(m) == kind and _to(m) == to)
        return str(msg.get_body(("plain",)).get_content())  # type: ignore[union-attr]

    assert "Esittelykierros" in text("reminder", "sanna@tanssifestivaali.fi")
    assert "Presentationsrunda" not in text("reminder", "sanna@tanssifestivaali.fi")
    assert "Esittelykierros" in text("memo", "paivi.makela@galleriavalo.fi")
    assert "Presentationsrunda" in text("memo", "anna.lindqvist@teaterforum.fi")
