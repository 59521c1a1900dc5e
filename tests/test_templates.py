"""Every kind renders in every language, with dates and times written as each language writes them."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from zoneinfo import ZoneInfo

import pytest

from mailer import PROJECT_ROOT
from mailer.compose import KINDS, MEETING_KINDS, PARTS, Composer, sample_context
from mailer.config import LANGUAGES, Config, load_config
from mailer.models import Meeting, Member
from mailer.store import Store

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
