"""Every kind renders in every language, with dates and times written as each language writes them."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from mailer import PROJECT_ROOT
from mailer.config import LANGUAGES, Config, load_config
from mailer.models import Meeting, Member
from mailer.outbound.compose import Composer
from mailer.outbound.kinds import KINDS, MEETING_KINDS, PARTS
from mailer.outbound.samples import sample_context
from mailer.state.store import Store

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=HELSINKI)
START = datetime(2026, 12, 3, 17, 0, tzinfo=HELSINKI)
MEETING = Meeting(
    id=7,
    date=date(2026, 12, 3),
    uid="traffpunkt-2026-12-03@kulturnatverket.fi",
    sequence=0,
    start=START,
    end=START + timedelta(hours=2),
    place="Kulturhuset Caisa",
    address="Kajsaniemigatan 4, Helsingfors",
    online_link="https://meet.example.org/natverk",
    theme="Hur går vi vidare?",
    guest_speaker="Maria Lind",
    cancelled=False,
    fingerprint="",
)


@pytest.fixture(scope="module")
def composer() -> Composer:
    config: Config = load_config(PROJECT_ROOT / "config" / "network.example.toml")
    return Composer(config, Store.memory(), b"secret")


def member(language: str) -> Member:
    return Member(
        id=42,
        name="Åsa Öberg",
        address="asa@example.org",
        organisation="Kulturhuset",
        language=language,
        status="active",
        joined=datetime(2026, 1, 1, tzinfo=UTC),
    )


def body(
    composer: Composer, kind: str, language: str, meeting: Meeting | None = MEETING
) -> tuple[EmailMessage, str]:
    msg = email.message_from_bytes(
        composer.preview(kind, member(language), meeting, sample_context(kind), now=NOW).data,
        policy=policy.default,
    )
    assert isinstance(msg, EmailMessage)
    return msg, msg.get_body(("plain",)).get_content()


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("kind", KINDS)
def test_every_kind_renders_in_every_language(composer: Composer, kind: str, language: str) -> None:
    for part in PARTS:
        assert (PROJECT_ROOT / "templates" / language / f"{kind}.{part}").is_file()
    for meeting in [MEETING] if kind in MEETING_KINDS else [MEETING, None]:
        msg, text = body(composer, kind, language, meeting)
        assert msg["X-Traffpunkt-Kind"] == kind
        assert msg["Subject"].strip()
        assert msg["From"].addresses[0].addr_spec == "natverk@kulturnatverket.fi"
        assert msg["To"].addresses[0].addr_spec == "asa@example.org"
        assert msg["Message-ID"] and msg["Date"] and msg["Reply-To"]
        alternative = next(p for p in msg.walk() if p.get_content_type() == "multipart/alternative")
        assert [p.get_content_type() for p in alternative.iter_parts()][:2] == ["text/plain", "text/html"]
        assert text.strip()
        assert msg.get_body(("html",)).get_content().lstrip().startswith("<!DOCTYPE html>")
        assert "Undefined" not in text


def test_swedish_invitation_writes_finland_swedish_dates(composer: Composer) -> None:
    msg, text = body(composer, "invitation", "sv")
    assert "torsdag 3.12" in text and "kl. 17.00" in text
    assert "torsdag 3.12 kl. 17.00–19.00" in text
    assert "Svara JA, NEJ eller KANSKE" in text
    assert "Ärende:" in text
    assert "Presentationsrunda" in text


def test_finnish_invitation_writes_finnish_dates(composer: Composer) -> None:
    msg, text = body(composer, "invitation", "fi")
    assert "torstaina 3.12." in text and "klo 17.00" in text
    assert "Vastaa KYLLÄ, EI tai EHKÄ" in text
    assert msg["Subject"].startswith("Kutsu:")


def test_english_invitation_writes_british_dates(composer: Composer) -> None:
    msg, text = body(composer, "invitation", "en")
    assert "Thursday 3 December, 17:00–19:00" in text
    assert "Answer YES, NO or MAYBE" in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_invitation_names_everything_a_member_needs(composer: Composer, language: str) -> None:
    _, text = body(composer, "invitation", language)
    for needed in (
        "Åsa",
        "Kulturhuset Caisa",
        "Kajsaniemigatan 4",
        "https://meet.example.org/natverk",
        "Hur går vi vidare?",
        "Maria Lind",
        "mailto:",
    ):
        assert needed in text, needed


@pytest.mark.parametrize("language", LANGUAGES)
def test_reminder_to_a_member_who_has_not_answered_asks_for_an_answer(
    composer: Composer, language: str
) -> None:
    msg = email.message_from_bytes(
        composer.preview("reminder", member(language), MEETING, {}, now=NOW).data, policy=policy.default
    )
    assert isinstance(msg, EmailMessage)
    text = msg.get_body(("plain",)).get_content()
    assert {
        "sv": "Vi har inte fått ditt svar",
        "fi": "Emme ole vielä saaneet vastaustasi",
        "en": "We have not had your answer",
    }[language] in text


NEW_KINDS = ("help", "agenda", "catering", "memo-draft", "memo", "thanks")


def test_the_new_kinds_are_known_and_all_but_help_need_a_meeting() -> None:
    assert set(NEW_KINDS) <= set(KINDS)
    assert set(NEW_KINDS) - MEETING_KINDS == {"help"}


@pytest.mark.parametrize(
    ("language", "subject", "instruction"),
    [
        ("sv", "Utkast: minnesanteckningar från träffen torsdag 3.12", "Svara OK (eller godkänn)"),
        ("fi", "Luonnos: muistio tapaamisesta torstaina 3.12.", "Vastaa OK (tai hyväksy)"),
        ("en", "Draft: notes from the meeting on Thursday 3 December", "Reply OK (or approve)"),
    ],
)
def test_memo_draft_tells_the_coordinator_how_to_approve_in_each_language(
    composer: Composer, language: str, subject: str, instruction: str
) -> None:
    msg, text = body(composer, "memo-draft", language)
    token = sample_context("memo-draft")["token"]
    assert msg["Subject"].startswith(subject) and msg["Subject"].endswith(f"[{token}]")
    assert msg["Reply-To"] == f"memo+{token}@kulturnatverket.fi"
    assert instruction in text
    assert instruction in msg.get_body(("html",)).get_content()


@pytest.mark.parametrize(
    ("language", "next_meeting", "invitation"),
    [
        ("sv", "torsdag 7.1 kl. 17.00–19.00, Kulturhuset Caisa", "Inbjudan kommer torsdag 24.12."),
        ("fi", "torstaina 7.1. klo 17.00–19.00, Kulturhuset Caisa", "Kutsu lähtee torstaina 24.12."),
        (
            "en",
            "Thursday 7 January, 17:00–19:00, Kulturhuset Caisa",
            "The invitation goes out on Thursday 24 December.",
        ),
    ],
)
def test_memo_writes_the_next_meeting_and_its_invitation_date_as_each_language_does(
    composer: Composer, language: str, next_meeting: str, invitation: str
) -> None:
    _, text = body(composer, "memo", language)
    assert next_meeting in text
    assert invitation in text


@pytest.mark.parametrize(
    ("language", "order"),
    [
        ("sv", "Beställ för 14 personer"),
        ("fi", "Tilaa 14 hengelle"),
        ("en", "Order for 14 people"),
    ],
)
def test_catering_gives_the_head_count_and_everyone_on_the_sheet(
    composer: Composer, language: str, order: str
) -> None:
    msg, text = body(composer, "catering", language)
    assert order in text
    for person in ("Åsa Öberg", "Jari Mäkinen"):
        assert person in text
    assert "Lokal för en workshop i mars" in text
    html = msg.get_body(("html",)).get_content()
    assert "glutenfri, &lt;ingen&gt; fisk" in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_help_names_the_reply_words_the_reader_understands(composer: Composer, language: str) -> None:
    _, text = body(composer, "help", language, None)
    words = {
        "sv": ("Svara JA, NEJ eller KANSKE", "Ärende:", "Kost:", "Behöver:", "GÅ MED", "AVREGISTRERA"),
        "fi": ("Vastaa KYLLÄ, EI tai EHKÄ", "Aihe:", "Ruokavalio:", "Tarvitsen:", "LIITY", "EROA"),
        "en": ("Answer YES, NO or MAYBE", "Topic:", "Diet:", "Need:", "JOIN", "LEAVE"),
    }[language]
    for word in words:
        assert word in text, word
    assert "koordinator@kulturnatverket.fi" in text
