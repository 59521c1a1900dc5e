"""Outgoing mail as members' mail programs will read it: headers, alternatives, calendar, tokens."""

from __future__ import annotations

import email
import shutil
from dataclasses import replace
from datetime import date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar
import pytest

from mailer import PROJECT_ROOT
from mailer.config import Config, load_config
from mailer.errors import TemplateError
from mailer.models import Meeting, MeetingChange, Member, Occurrence
from mailer.outbound import skeleton, template_check, tokens
from mailer.outbound.compose import Composer, Rendered, make_message_id
from mailer.state.store import OutboxRow, Store

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

    # VERP: a bounce comes back to an address that names the member (tokens.bounce_address)
    assert rendered.sender == f"natverk+bounce-{tokens.make(SECRET, member.id, 0)}@kulturnatverket.fi"
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
    problems = template_check.problems(composer)
    assert any(p.endswith("fi/reminder.html: missing") for p in problems)
    assert any("en" in p and "welcome" in p and "nickname" in p for p in problems)


def test_the_shipped_templates_have_no_problems(config: Config, store: Store) -> None:
    assert template_check.problems(Composer(config, store, SECRET)) == []


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


@pytest.mark.parametrize("name", ["A" * 10_000, "Åsa " * 2_500, 'Anna "Kultur" Öberg; ' * 500, "x" * 61])
@pytest.mark.parametrize("theme", ["T" * 5_000, "tema " * 1_000])
def test_any_name_or_theme_length_folds_to_lines_of_at_most_78_in_the_header(
        config: Config, store: Store, name: str, theme: str) -> None:
    meeting = add_meeting(store)
    with store.write():
        store.db.execute("UPDATE meetings SET theme = ? WHERE id = ?", [theme, meeting.id])
    member = add_member(store, name=name)
    data = Composer(config, store, SECRET).render(queue(store, "invitation", member, meeting), NOW).data
    head, body = data.split(b"\r\n\r\n", 1)
    assert max(len(line) for line in data.split(b"\r\n")) <= 998
    to_and_subject = head[head.index(b"\r\nTo: ") + 2:head.index(b"\r\nMessage-ID: ")]
    assert max(len(line) for line in to_and_subject.split(b"\r\n")) <= 78
    msg = parse(Rendered("", "", data, ""))
    # (Python's address parser keeps the space between two encoded words; RFC 2047 readers drop it)
    shown = msg["To"].addresses[0].display_name.replace(" ", "")
    whole = name.replace(" ", "")
    assert shown == whole or (shown.endswith("…") and whole.startswith(shown[:-1]) and len(shown) <= 200)
    assert msg["To"].addresses[0].addr_spec == member.address
    assert msg["Subject"].endswith(f"– {' '.join(theme.split())}")
    assert name.split()[0] in msg.get_body(("plain",)).get_content()  # type: ignore[union-attr]


# -- the meeting itself: agenda, catering, memo draft, memo, thanks, help ----------------------------------

COORDINATOR = "koordinator@kulturnatverket.fi"


def queue_for_coordinator(
    store: Store, kind: str, meeting: Meeting, context: dict[str, object], recipient: str = COORDINATOR
) -> OutboxRow:
    """A row as the service queues mail to a coordinator: no member, addressed by the recipient only."""
    key = f"{kind}:{meeting.id}:{recipient}"
    mid = make_message_id(tokens.make(SECRET, 0, meeting.id), kind, key, "kulturnatverket.fi")
    with store.write():
        store.enqueue(
            key=key,
            kind=kind,
            recipient=recipient,
            message_id=mid,
            now=NOW,
            member_id=None,
            meeting_id=meeting.id,
            sequence=meeting.sequence,
            context=context,
        )
    return next(r for r in store.outbox_rows() if r.key == key)


def memo_context(notes: str = "Vi bestämde att pröva en gemensam kalender.") -> dict[str, object]:
    return {
        "version": 1,
        "notes": notes,
        "attendees": [
            {"name": "Åsa Öberg", "organisation": "Kulturhuset"},
            {"name": "Jari Mäkinen", "organisation": None},
        ],
        "agenda": [
            {"time": "17.00", "title": "Välkommen", "minutes": 5, "by": None},
            {"time": "17.50", "title": "Aktuellt: Bokningskalender (Åsa Öberg)", "minutes": 15, "by": "Åsa Öberg"},
        ],
        "needs": [{"name": "Åsa Öberg", "text": "Lokal för en workshop"}],
        "offers": [{"name": "Jari Mäkinen", "text": "Ljusteknik"}],
        "rolled_over": [{"text": "Sommarens festivaler", "proposer": "Jari Mäkinen"}],
        "next_meeting": {
            "start": "2027-01-07T17:00:00+02:00",
            "end": "2027-01-07T19:00:00+02:00",
            "place": "Kulturhuset Caisa",
        },
        "next_invitation": "2026-12-24",
    }


def texts(msg: EmailMessage) -> tuple[str, str]:
    """The text and HTML bodies, line ends as LF."""
    text, html = msg.get_body(("plain",)), msg.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content().replace("\r\n", "\n"), html.get_content().replace("\r\n", "\n")


def test_memo_draft_replies_to_the_memo_address_with_the_token_also_in_the_subject(
    config: Config, store: Store
) -> None:
    meeting = add_meeting(store)
    token = tokens.make(SECRET, 0, meeting.id)
    context = {**memo_context(), "memo_id": 3, "version": 2, "token": token}
    row = queue_for_coordinator(store, "memo-draft", meeting, context)
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    text, html = texts(msg)

    assert msg["X-Traffpunkt-Kind"] == "memo-draft"
    assert msg["Reply-To"] == f"memo+{token}@kulturnatverket.fi"
    assert msg["To"].addresses[0].addr_spec == COORDINATOR
    assert msg["Subject"].endswith(f"[{token}]")
    assert msg["Subject"].startswith("Utkast: minnesanteckningar från träffen torsdag 3.12")
    assert "List-Unsubscribe" not in msg
    assert "Svara OK (eller godkänn)" in text and "Svara OK (eller godkänn)" in html
    assert "Hej!" in text  # a coordinator without a name is greeted without one
    approve = f"mailto:memo+{token}@kulturnatverket.fi?subject=OK%20%5B{token}%5D&body=OK"
    assert approve in text and approve.replace("&", "&amp;") in html
    # the memo itself, framed by the instructions
    assert "Vi bestämde att pröva en gemensam kalender." in text
    assert "- Åsa Öberg, Kulturhuset" in text


def test_memo_draft_without_plus_addressing_replies_to_the_plain_memo_address(
    config: Config, store: Store
) -> None:
    config = replace(config, network=replace(config.network, plus_addressing=False))
    meeting = add_meeting(store)
    token = tokens.make(SECRET, 0, meeting.id)
    row = queue_for_coordinator(store, "memo-draft", meeting, {**memo_context(), "memo_id": 3, "token": token})
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    assert msg["Reply-To"] == "memo@kulturnatverket.fi"
    assert f"[{token}]" in msg["Subject"]  # the reply still proves itself by its subject


def test_memo_draft_subject_keeps_the_token_even_when_a_custom_template_drops_it(
    config: Config, store: Store, tmp_path: Path
) -> None:
    folder = tmp_path / "templates"
    shutil.copytree(PROJECT_ROOT / "templates", folder)
    (folder / "sv" / "memo-draft.subject.txt").write_text("Utkast {{ meeting.date }}\n", encoding="utf-8")
    meeting = add_meeting(store)
    token = tokens.make(SECRET, 0, meeting.id)
    row = queue_for_coordinator(store, "memo-draft", meeting, {**memo_context(), "token": token})
    msg = parse(Composer(replace(config, templates_dir=folder), store, SECRET).render(row, NOW))
    assert msg["Subject"] == f"Utkast torsdag 3.12 [{token}]"


def test_memo_notes_are_escaped_in_html_with_wrapped_lines_joined_and_keep_their_line_breaks_in_text(
    config: Config, store: Store
) -> None:
    meeting = add_meeting(store)
    member = add_member(store)
    notes = "Punkt 1: <b>budget</b> & lokaler\r\nrad två\r\n\r\n<script>alert(1)</script> nytt stycke"
    row = queue(store, "memo", member, meeting, memo_context(notes))
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    text, html = texts(msg)
    assert "Punkt 1: <b>budget</b> & lokaler\nrad två\n\n<script>alert(1)</script> nytt stycke" in text
    assert "<b>budget</b>" not in html and "<script>" not in html
    assert "<p>Punkt 1: &lt;b&gt;budget&lt;/b&gt; &amp; lokaler rad två</p>" in html
    assert "<p>&lt;script&gt;alert(1)&lt;/script&gt; nytt stycke</p>" in html


def test_memo_to_members_carries_each_members_own_token_to_the_list(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    composer = Composer(config, store, SECRET)
    for member in (add_member(store), add_member(store, "Päivi Mäkelä", "paivi@example.org", "fi")):
        msg = parse(composer.render(queue(store, "memo", member, meeting, memo_context()), NOW))
        token = tokens.make(SECRET, member.id, meeting.id)
        assert msg["X-Traffpunkt-Kind"] == "memo"
        assert msg["Reply-To"] == f"natverk+{token}@kulturnatverket.fi"
        assert msg["List-Unsubscribe"] == f"<mailto:natverk@kulturnatverket.fi?subject=leave%20%5B{token}%5D>"
        assert set(tokens.find_all(texts(msg)[0])) == {token}


def test_memo_tells_who_came_what_was_said_and_when_the_next_meeting_is(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    row = queue(store, "memo", add_member(store), meeting, memo_context())
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    text, html = texts(msg)
    assert msg["Subject"] == "Minnesanteckningar från träffen torsdag 3.12"
    for needed in (
        "Nätverksträff, torsdag 3 december 2026 kl. 17.00–19.00",
        "Kulturhuset Caisa, Kajsaniemigatan 4, Helsingfors",
        "Anmälda (2)",
        "- Åsa Öberg, Kulturhuset\n- Jari Mäkinen\n",
        "17.50  Aktuellt: Bokningskalender (Åsa Öberg)\n",
        "- Åsa Öberg: Lokal för en workshop",
        "- Jari Mäkinen: Ljusteknik",
        "- Sommarens festivaler (Jari Mäkinen)",
        "torsdag 7.1 kl. 17.00–19.00, Kulturhuset Caisa",
        "Inbjudan kommer torsdag 24.12.",
    ):
        assert needed in text, needed
    assert "(Åsa Öberg) (Åsa Öberg)" not in text  # the proposer is already in the title
    assert "torsdag 7.1 kl. 17.00–19.00" in html and "Jari Mäkinen" in html


def test_memo_without_a_next_meeting_leaves_that_part_out(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    context = {**memo_context(), "next_meeting": None, "next_invitation": None, "rolled_over": []}
    row = queue(store, "memo", add_member(store), meeting, context)
    text, _ = texts(parse(Composer(config, store, SECRET).render(row, NOW)))
    assert "Nästa träff" not in text and "Inbjudan kommer" not in text and "Flyttas" not in text


def test_catering_sheet_lists_each_person_in_aligned_lines_and_a_table(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    sheet = [
        {"name": "Åsa Öberg", "organisation": "Kulturhuset", "need": "Lokal för en workshop", "offer": "Ljus"},
        {"name": "Jari Mäkinen", "organisation": None, "need": None, "offer": None},
        {"name": "Li <Wei>", "organisation": "Teater Q", "need": "Volontärer", "offer": None},
    ]
    context = {
        "head_count": 5,
        "members_yes": 3,
        "guests": 2,
        "maybe": 1,
        "dietary": [{"name": "Åsa Öberg", "dietary": "vegetarisk"}],
        "first_timers": ["Jari Mäkinen"],
        "sheet": sheet,
    }
    row = queue_for_coordinator(store, "catering", meeting, context)
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    text, html = texts(msg)
    assert msg["X-Traffpunkt-Kind"] == "catering"
    assert msg["Subject"] == "Matbeställning och presentationslista för torsdag 3.12"
    assert "Beställ för 5 personer: 3 medlemmar har svarat ja, och de tar sammanlagt med 2 gäster." in text
    assert "En har svarat kanske och är inte medräknad." in text
    assert "- Åsa Öberg: vegetarisk" in text
    rows = [line for line in text.splitlines() if line[:4].strip().rstrip(".").isdigit()]
    assert [r.split(". ", 1)[1].split("  ")[0].strip() for r in rows] == ["Åsa Öberg", "Jari Mäkinen (ny)", "Li <Wei>"]
    assert rows[0].index("Kulturhuset") == rows[2].index("Teater Q")  # the organisation column lines up
    assert "    Behöver:  Lokal för en workshop" in text and "    Behöver:  Volontärer" in text
    body_rows = html.split("<tbody>")[1].split("</tbody>")[0].count("<tr>")
    assert body_rows == 3
    assert "Li &lt;Wei&gt;" in html and "Li <Wei>" not in html
    assert "Jari Mäkinen</strong> <span" in html  # marked as a first-timer


def test_agenda_goes_to_the_coordinator_with_head_count_notices_and_the_printable_text(
    config: Config, store: Store
) -> None:
    meeting = add_meeting(store)
    context = {
        "agenda": [
            {"time": "17.00", "title": "Välkommen", "minutes": 5, "by": None},
            {"time": "17.05", "title": "Presentationsrunda (4 min per person)", "minutes": 60, "by": None},
        ],
        "agenda_text": "17.00–17.05  Välkommen\n17.05–18.05  Presentationsrunda (4 min per person)\n"
        "             - Åsa Öberg (Kulturhuset)\n",
        "notices": ["Diskussionen förkortas från 60 till 40 min så att träffen slutar i tid."],
        "rolled_over": [{"text": "Sommarens festivaler", "proposer": "Jari Mäkinen"}],
        "attendees": 16,
    }
    row = queue_for_coordinator(store, "agenda", meeting, context)
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    text, html = texts(msg)
    assert msg["Subject"] == "Agenda för träffen torsdag 3.12"
    assert msg["X-Traffpunkt-Kind"] == "agenda"
    assert msg["Reply-To"] == "natverk@kulturnatverket.fi" and "List-Unsubscribe" not in msg
    assert "Vi räknar med 16 deltagare, gäster inräknade." in text
    assert "17.05–18.05  Presentationsrunda (4 min per person)\n             - Åsa Öberg (Kulturhuset)\n" in text
    assert "memo@kulturnatverket.fi" in text  # where the notes go afterwards
    assert "Diskussionen förkortas från 60 till 40 min" in html and "Sommarens festivaler" in html
    assert "Du får det här mejlet som koordinator" in text and "sändlistan" not in text


def test_reminder_does_not_repeat_a_proposer_already_in_the_title(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    item = {"time": "17.45", "title": "Aktuellt: Bokningskalender (Åsa Öberg)", "minutes": 10, "by": "Åsa Öberg"}
    row = queue(store, "reminder", add_member(store), meeting, {"agenda": [item, {"title": "Paus", "by": "Jari"}]})
    text, html = texts(parse(Composer(config, store, SECRET).render(row, NOW)))
    assert "17.45  Aktuellt: Bokningskalender (Åsa Öberg)\n" in text
    assert "- Paus (Jari)" in text
    assert html.count("Åsa Öberg") == 1


@pytest.mark.parametrize(("memo_follows", "promised"), [(True, True), (False, False)])
def test_thanks_promises_the_memo_only_when_it_follows(
    config: Config, store: Store, memo_follows: bool, promised: bool
) -> None:
    meeting = add_meeting(store)
    row = queue(store, "thanks", add_member(store), meeting, {"memo_follows": memo_follows})
    msg = parse(Composer(config, store, SECRET).render(row, NOW))
    text, _ = texts(msg)
    assert msg["X-Traffpunkt-Kind"] == "thanks"
    assert msg["Subject"] == "Tack för att du kom till träffen torsdag 3.12"
    assert "Tack för att du var med" in text
    assert ("Minnesanteckningarna kommer" in text) is promised


def test_help_explains_answering_joining_and_leaving_without_a_meeting(config: Config, store: Store) -> None:
    member = add_member(store)
    msg = parse(Composer(config, store, SECRET).render(queue(store, "help", member, None), NOW))
    text, html = texts(msg)
    token = tokens.make(SECRET, member.id, 0)
    assert msg["X-Traffpunkt-Kind"] == "help"
    assert msg["Subject"] == "Så fungerar Kulturnätverket"
    for needed in ("Svara JA, NEJ eller KANSKE", "Vi blir två", "Kost:", "Ärende:", "Behöver:", "Erbjuder:",
                   "GÅ MED", "AVREGISTRERA", "koordinator@kulturnatverket.fi"):
        assert needed in text, needed
    assert f"mailto:natverk+{token}@kulturnatverket.fi?subject=Avregistrera%20%5B{token}%5D" in text
    assert "Nästa träff" not in text
    assert "koordinator@kulturnatverket.fi" in html


def test_a_memo_draft_without_its_token_is_refused(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    row = queue_for_coordinator(store, "memo-draft", meeting, memo_context())
    with pytest.raises(TemplateError, match="token"):
        Composer(config, store, SECRET).render(row, NOW)


def test_memo_to_many_members_builds_the_shared_part_once_per_language(
    config: Config, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = add_meeting(store)
    calls: list[str] = []
    real = skeleton.meeting_vars

    def counting(m: Meeting, c: Config, language: str) -> dict[str, object]:
        calls.append(language)
        return real(m, c, language)

    monkeypatch.setattr(skeleton, "meeting_vars", counting)
    composer = Composer(config, store, SECRET)
    for i in range(6):
        member = add_member(store, f"Medlem {i}", f"m{i}@example.org", "fi" if i % 3 == 0 else "sv")
        msg = parse(composer.render(queue(store, "memo", member, meeting, memo_context()), NOW))
        assert f"Medlem {i}" in msg["To"].addresses[0].display_name
    assert sorted(calls) == ["fi", "sv"]


def test_memo_reads_plain_text_items_and_missing_fields_without_printing_none(config: Config, store: Store) -> None:
    meeting = add_meeting(store)
    context = {
        "notes": "Kort träff.",
        "version": None,
        "attendees": ["Åsa Öberg", {"name": "Jari Mäkinen"}],
        "needs": ["Lokal för en workshop", {"name": "Li Wei"}],
        "offers": [],
        "rolled_over": ["Sommarens festivaler"],
        "next_meeting": {"start": "not a time"},
    }
    row = queue(store, "memo", add_member(store), meeting, context)
    text, html = texts(parse(Composer(config, store, SECRET).render(row, NOW)))
    assert "- Åsa Öberg\n- Jari Mäkinen\n" in text
    assert "- Lokal för en workshop\n" in text and "- Sommarens festivaler\n" in text
    assert "None" not in text and "None" not in html
    assert "Nästa träff" not in text
