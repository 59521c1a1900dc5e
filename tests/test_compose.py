"""Outgoing mail as members' mail programs will read it: headers, alternatives, calendar, tokens."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import icalendar
import pytest

from mailer import PROJECT_ROOT, tokens
from mailer.compose import Composer, Rendered, make_message_id
from mailer.config import Config, load_config
from mailer.models import Meeting, MeetingChange, Member, Occurrence
from mailer.store import OutboxRow, Store

SECRET = b"test-secret"
HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=HELSINKI)


@pytest.fixture
def config() -> Config:
    return load_config(PROJECT_ROOT / "config" / "network.example.toml")


@pytest.fixture
def store() -> Store:
    return Store.memory()


def add_meeting(
    store: Store,
    sequence: int = 0,
    cancelled: bool = False,
    place: str = "Kulturhuset Caisa",
    start_hour: int = 17,
) -> Meeting:
    start = datetime(2026, 12, 3, start_hour, 0, tzinfo=HELSINKI)
    occ = Occurrence(
        date=date(2026, 12, 3),
        start=start,
        end=start + timedelta(hours=2),
        place=place,
        address="Kajsaniemigatan 4, Helsingfors",
        theme="Hur går vi vidare 2027?",
        guest_speaker="Maria Lind",
        cancelled=cancelled,
    )
    with store.write():
        return store.apply_meeting_change(
            MeetingChange(occ, sequence, f"m:{sequence}"), "kulturnatverket.fi", NOW
        )


def add_member(
    store: Store, name: str = "Åsa Öberg", address: str = "asa.oberg@kulturhuset.se", language: str = "sv"
) -> Member:
    member, _ = store.add_member(address, name, language, NOW)
    return member


def queue(
    store: Store,
    kind: str,
    member: Member,
    meeting: Meeting | None,
    context: dict[str, object] | None = None,
    sequence: int | None = None,
) -> OutboxRow:
    meeting_id = meeting.id if meeting else 0
    key = f"{kind}:{meeting_id}:{member.id}:{sequence}"
    mid = make_message_id(tokens.make(SECRET, member.id, meeting_id), kind, key, "kulturnatverket.fi")
    with store.write():
        store.enqueue(
            key=key,
            kind=kind,
            recipient=member.address,
            message_id=mid,
            now=NOW,
            member_id=member.id,
            meeting_id=meeting.id if meeting else None,
            sequence=meeting.sequence if sequence is None and meeting else (sequence or 0),
            context=context,
        )
    return next(r for r in store.outbox_rows() if r.key == key)


def parse(rendered: Rendered) -> EmailMessage:
    msg = email.message_from_bytes(rendered.data, policy=policy.default)
    assert isinstance(msg, EmailMessage)
    return msg


def calendar_of(msg: EmailMessage) -> tuple[bytes, icalendar.Calendar]:
    parts = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    assert len(parts) == 1
    raw = parts[0].get_payload(decode=True)
    assert isinstance(raw, bytes)
    return raw, icalendar.Calendar.from_ical(raw)


def test_invitation_parses_back_with_headers_alternatives_and_calendar(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    member = add_member(store)
    row = queue(store, "invitation", member, meeting)
    rendered = Composer(config, store, SECRET).render(row, NOW)
    msg = parse(rendered)
    token = tokens.make(SECRET, member.id, meeting.id)

    assert rendered.sender == "natverk@kulturnatverket.fi"
    assert rendered.recipient == "asa.oberg@kulturhuset.se"
    assert msg["To"].addresses[0].display_name == "Åsa Öberg"
    assert msg["To"].addresses[0].addr_spec == "asa.oberg@kulturhuset.se"
    assert msg["From"].addresses[0].display_name == "Kulturnätverket"
    assert msg["Subject"] == "Inbjudan: Nätverksträff torsdag 3.12 kl. 17.00 – Hur går vi vidare 2027?"
    assert msg["Message-ID"] == row.message_id == rendered.message_id
    assert token in msg["Message-ID"]
    assert msg["Reply-To"] == f"natverk+{token}@kulturnatverket.fi"
    assert msg["List-Id"].endswith("<natverk.kulturnatverket.fi>")
    assert msg["List-Unsubscribe"] == f"<mailto:natverk@kulturnatverket.fi?subject=leave%20%5B{token}%5D>"
    assert msg["Auto-Submitted"] == "auto-generated"
    assert "OOF" in msg["X-Auto-Response-Suppress"]
    assert msg["X-Traffpunkt-Kind"] == "invitation"
    assert msg["Date"].datetime == NOW
    assert "Precedence" not in msg

    alternative = next(p for p in msg.walk() if p.get_content_type() == "multipart/alternative")
    assert [p.get_content_type() for p in alternative.iter_parts()] == [
        "text/plain",
        "text/html",
        "text/calendar",
    ]
    assert alternative.get_payload()[2].get_param("method") == "REQUEST"
    attachment = next(p for p in msg.walk() if p.get_content_type() == "application/ics")
    assert attachment.get_filename() == "invite.ics"
    text = msg.get_body(("plain",)).get_content()
    assert "Hej Åsa!" in text
    assert "Kajsaniemigatan 4" in text and "Maria Lind" in text

    raw, cal = calendar_of(msg)
    assert raw.count(b"\n") == raw.count(b"\r\n")
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    assert cal["METHOD"] == "REQUEST"
    assert cal.walk("VTIMEZONE")[0]["TZID"] == "Europe/Helsinki"
    event = cal.walk("VEVENT")[0]
    assert event["UID"] == meeting.uid
    assert event["SEQUENCE"] == meeting.sequence
    start = event.decoded("DTSTART")
    assert (start.hour, start.minute, start.utcoffset()) == (17, 0, timedelta(hours=2))
    assert "DTSTAMP" in event
    assert str(event["ORGANIZER"]) == "mailto:natverk@kulturnatverket.fi"
    assert event["ORGANIZER"].params["CN"] == "Kulturnätverket"
    attendee = event["ATTENDEE"]
    assert str(attendee) == "mailto:asa.oberg@kulturhuset.se"
    assert attendee.params["RSVP"] == "TRUE" and attendee.params["PARTSTAT"] == "NEEDS-ACTION"
    assert attendee.params["CN"] == "Åsa Öberg"
    assert attachment.get_payload(decode=True) == raw


def test_no_line_is_longer_than_998_octets_and_all_end_in_crlf(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    member = add_member(
        store, name="Åsa Öberg-Lindqvist von Kulturhuset Väst, avdelningen för scenkonst och dans"
    )
    data = Composer(config, store, SECRET).render(queue(store, "invitation", member, meeting), NOW).data
    assert data.count(b"\n") == data.count(b"\r\n")
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    assert (
        parse(Rendered("", "", data, ""))["To"]
        .addresses[0]
        .display_name.startswith("Åsa Öberg-Lindqvist von")
    )


def test_message_id_is_identical_when_the_same_row_is_rendered_twice(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    row = queue(store, "invitation", add_member(store), meeting)
    first = Composer(config, store, SECRET).render(row, NOW)
    again = Composer(config, store, SECRET).render(row, NOW + timedelta(minutes=5))
    assert first.message_id == again.message_id == parse(again)["Message-ID"] == row.message_id


def test_make_message_id_is_deterministic_and_carries_the_token() -> None:
    a = make_message_id("tp42-7-abcdefghjkmn", "invitation", "invite:2026-12-03:42", "example.org")
    assert a == make_message_id("tp42-7-abcdefghjkmn", "invitation", "invite:2026-12-03:42", "example.org")
    assert a.startswith("<tp42-7-abcdefghjkmn.invitation.") and a.endswith("@example.org>")
    assert a != make_message_id("tp42-7-abcdefghjkmn", "invitation", "invite:2026-12-03:43", "example.org")


def test_each_member_gets_their_own_token_in_reply_to_and_mailto_links(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    composer = Composer(config, store, SECRET)
    anna = add_member(store, "Anna Lindqvist", "anna@example.org")
    paivi = add_member(store, "Päivi Mäkelä", "paivi@example.org", "fi")
    for member in (anna, paivi):
        msg = parse(composer.render(queue(store, "invitation", member, meeting), NOW))
        token = tokens.make(SECRET, member.id, meeting.id)
        assert tokens.verify(SECRET, token) is not None
        assert msg["Reply-To"] == f"natverk+{token}@kulturnatverket.fi"
        text = msg.get_body(("plain",)).get_content()
        html = msg.get_body(("html",)).get_content()
        for body in (text, html):
            assert set(tokens.find_all(body)) == {token}
            assert "http://" not in body.replace("https://meet", "")  # answers are mail, never web links
        links = [line.split()[-1] for line in text.splitlines() if "?subject=" in line and "mailto:" in line]
        assert links and all(
            link.startswith(f"mailto:natverk+{token}@kulturnatverket.fi?subject=") for link in links
        )
        assert f'href="mailto:natverk+{token}@kulturnatverket.fi?subject=' in html
    fi_text = (
        parse(composer.render(queue(store, "invitation", paivi, meeting, sequence=9), NOW))
        .get_body(("plain",))
        .get_content()
    )
    assert f"subject=Kyll%C3%A4%20%5B{tokens.make(SECRET, paivi.id, meeting.id)}%5D" in fi_text


def test_yes_link_subject_reads_ja_with_the_token(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    member = add_member(store)
    text = (
        parse(Composer(config, store, SECRET).render(queue(store, "invitation", member, meeting), NOW))
        .get_body(("plain",))
        .get_content()
    )
    token = tokens.make(SECRET, member.id, meeting.id)
    assert f"mailto:natverk+{token}@kulturnatverket.fi?subject=Ja%20%5B{token}%5D" in text


def test_plus_addressing_off_gives_the_plain_list_address(config: Config, store: Store) -> None:
    config = replace(config, network=replace(config.network, plus_addressing=False))
    meeting = add_meeting(store)
    member = add_member(store)
    msg = parse(Composer(config, store, SECRET).render(queue(store, "invitation", member, meeting), NOW))
    token = tokens.make(SECRET, member.id, meeting.id)
    assert msg["Reply-To"] == "natverk@kulturnatverket.fi"
    assert (
        f"mailto:natverk@kulturnatverket.fi?subject=Ja%20%5B{token}%5D"
        in msg.get_body(("plain",)).get_content()
    )
    assert token in msg["Message-ID"]


def test_html_escapes_a_members_name_and_text_keeps_it(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    member = add_member(store, name="<script>alert(1)</script> Mallory", address="mallory@example.org")
    msg = parse(Composer(config, store, SECRET).render(queue(store, "invitation", member, meeting), NOW))
    html = msg.get_body(("html",)).get_content()
    assert "<script>" not in html
    assert "&lt;script&gt;" in html
    assert "<script>alert(1)</script>" in msg.get_body(("plain",)).get_content()
    assert msg["To"].addresses[0].addr_spec == "mallory@example.org"


def test_a_name_with_a_newline_cannot_inject_headers(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    member = add_member(store, name="Eve\r\nBcc: victim@example.org", address="eve@example.org")
    msg = parse(Composer(config, store, SECRET).render(queue(store, "invitation", member, meeting), NOW))
    assert "Bcc" not in msg
    assert msg["To"].addresses[0].addr_spec == "eve@example.org"


def test_cancellation_carries_method_cancel_and_status_cancelled(config: Config, store: Store) -> None:
    add_meeting(store, sequence=0)
    meeting = add_meeting(store, sequence=1, cancelled=True)
    member = add_member(store)
    msg = parse(Composer(config, store, SECRET).render(queue(store, "cancellation", member, meeting), NOW))
    assert msg["Subject"].startswith("INSTÄLLD:")
    assert msg["X-Traffpunkt-Kind"] == "cancellation"
    alternative = next(p for p in msg.walk() if p.get_content_type() == "multipart/alternative")
    assert alternative.get_payload()[2].get_param("method") == "CANCEL"
    raw, cal = calendar_of(msg)
    assert b"METHOD:CANCEL\r\n" in raw
    event = cal.walk("VEVENT")[0]
    assert event["STATUS"] == "CANCELLED"
    assert event["SEQUENCE"] == 1
    assert event["UID"] == meeting.uid
    assert "inställd" in msg.get_body(("plain",)).get_content()


def test_update_says_what_changed_and_raises_the_sequence(config: Config, store: Store) -> None:
    add_meeting(store, sequence=0)
    meeting = add_meeting(store, sequence=1, place="Gamla Bryggeriet", start_hour=18)
    member = add_member(store)
    previous = {
        "start": "2026-12-03T17:00:00+02:00",
        "end": "2026-12-03T19:00:00+02:00",
        "place": "Kulturhuset Caisa",
        "address": "Kajsaniemigatan 4, Helsingfors",
    }
    msg = parse(
        Composer(config, store, SECRET).render(
            queue(store, "update", member, meeting, {"previous": previous}), NOW
        )
    )
    text = msg.get_body(("plain",)).get_content()
    assert "Ny tid: torsdag 3.12 kl. 18.00–20.00 (tidigare torsdag 3.12 kl. 17.00–19.00)" in text
    assert "Ny plats: Gamla Bryggeriet" in text
    _, cal = calendar_of(msg)
    assert cal["METHOD"] == "REQUEST"
    assert cal.walk("VEVENT")[0]["SEQUENCE"] == 1
    assert cal.walk("VEVENT")[0].decoded("DTSTART").hour == 18


def test_reminder_is_plain_alternative_without_calendar_and_shows_the_agenda(
    config: Config, store: Store
) -> None:
    meeting = add_meeting(store)
    member = add_member(store, name="Oliver Grant", address="oliver@example.org", language="en")
    row = queue(
        store,
        "reminder",
        member,
        meeting,
        {"agenda": [{"time": "17:00", "title": "Introductions"}, "Shared booking calendar"]},
    )
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    assert msg.get_content_type() == "multipart/alternative"
    assert not [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    text = msg.get_body(("plain",)).get_content()
    assert "Hello Oliver," in text
    assert "Shared booking calendar" in text and "17:00  Introductions" in text
    assert msg["Subject"] == "Reminder: Nätverksträff, Thursday 3 December at 17:00"


def test_language_falls_back_to_the_network_language(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    member = add_member(store, name="Hans Müller", address="hans@example.org", language="de")
    msg = parse(Composer(config, store, SECRET).render(queue(store, "invitation", member, meeting), NOW))
    assert "Svara JA, NEJ eller KANSKE" in msg.get_body(("plain",)).get_content()


def test_confirmation_lists_the_topic_and_the_guest(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    member = add_member(store)
    row = queue(
        store,
        "confirmation",
        member,
        meeting,
        {"answer": "yes", "guests": 1, "topics": ["Gemensam bokningskalender"]},
    )
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    text = msg.get_body(("plain",)).get_content()
    assert "Du är anmäld" in text
    assert 'Ditt ärende "Gemensam bokningskalender" finns på listan.' in text
    assert "en gäst" in text
    assert msg["X-Traffpunkt-Kind"] == "confirmation"


def test_many_members_share_the_skeleton_but_not_their_names(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    composer = Composer(config, store, SECRET)
    names = ["Åsa Öberg", "Päivi Mäkelä", "Jörn Åkerblom", "Oliver Grant"]
    for i, name in enumerate(names):
        member = add_member(store, name, f"m{i}@example.org", ("sv", "fi", "sv", "en")[i])
        msg = parse(composer.render(queue(store, "invitation", member, meeting), NOW))
        _, cal = calendar_of(msg)
        assert cal.walk("VEVENT")[0]["ATTENDEE"].params["CN"] == name
        assert str(cal.walk("VEVENT")[0]["ATTENDEE"]) == f"mailto:m{i}@example.org"
        assert msg["To"].addresses[0].display_name == name
        assert name.split()[0] in msg.get_body(("plain",)).get_content()


def test_preview_renders_without_a_queued_row(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    member = add_member(store)
    rendered = Composer(config, store, SECRET).preview("invitation", member, meeting, now=NOW)
    msg = parse(rendered)
    assert msg["X-Traffpunkt-Kind"] == "invitation"
    assert tokens.make(SECRET, member.id, meeting.id) in msg["Reply-To"]


def test_check_templates_reports_a_missing_file_and_a_broken_template(
    config: Config, tmp_path: object
) -> None:
    import shutil
    from pathlib import Path

    folder = Path(str(tmp_path)) / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", folder)
    (folder / "fi" / "reminder.html").unlink()
    (folder / "en" / "welcome.txt").write_text("Hello {{ member.nickname }}\n", encoding="utf-8")
    composer = Composer(replace(config, templates_dir=folder), Store.memory(), SECRET)
    problems = composer.check_templates()
    assert any(p.endswith("fi/reminder.html: missing") for p in problems)
    assert any("en" in p and "welcome" in p and "nickname" in p for p in problems)


def test_the_shipped_templates_have_no_problems(config: Config, store: Store) -> None:
    assert Composer(config, store, SECRET).check_templates() == []


@pytest.mark.parametrize(
    "theme",
    [
        "A very long theme in plain English that goes on and on about culture, funding and shared spaces",
        "Ett mycket långt tema på svenska om kultur, finansiering, gemensamma lokaler och allt däremellan",
        'Quotes "and" =?utf-8?q?not-a-word?= that look like encoding',
    ],
)
def test_long_and_tricky_subjects_survive_folding(config: Config, store: Store, theme: str) -> None:
    meeting = add_meeting(store)
    with store.write():
        store.db.execute("UPDATE meetings SET theme = ? WHERE id = ?", [theme, meeting.id])
    member = add_member(store)
    data = Composer(config, store, SECRET).render(queue(store, "invitation", member, meeting), NOW).data
    head = data.split(b"\r\n\r\n", 1)[0].decode("ascii")
    subject = head[head.index("\r\nSubject: ") + 2 :].split("\r\nMessage-ID:")[0]
    assert max(len(line) for line in subject.split("\r\n")) <= 78
    assert parse(Rendered("", "", data, ""))["Subject"].endswith(f"– {theme}")
