"""Mail reads right to a member: whole sentences, the need not the sentence, lead days from the config."""

from __future__ import annotations

import email
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from email import policy
from email.message import EmailMessage
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from mailer import PROJECT_ROOT
from mailer.config import LANGUAGES, Config, load_config
from mailer.models import Meeting, Member
from mailer.outbound import notes
from mailer.outbound.compose import KINDS, MEETING_KINDS, Composer, sample_context
from mailer.outbound.reasons import translate
from mailer.state.store import Store
from parsers.needs import need_of

HELSINKI = ZoneInfo("Europe/Helsinki")
NOW = datetime(2026, 11, 19, 9, 0, tzinfo=HELSINKI)
START = datetime(2026, 12, 3, 17, 0, tzinfo=HELSINKI)
MEETING = Meeting(
    id=7, date=date(2026, 12, 3), uid="traffpunkt-2026-12-03@kulturnatverket.fi", sequence=0, start=START,
    end=START + timedelta(hours=2), place="Kulturhuset Caisa", address="Kajsaniemigatan 4, Helsingfors",
    online_link=None, theme=None, guest_speaker=None, cancelled=False, fingerprint="",
)
MEETING_LABEL = {"sv": "När:", "fi": "Aika:", "en": "When:"}


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(PROJECT_ROOT / "config" / "network.example.toml")


@pytest.fixture(scope="module")
def composer(config: Config) -> Composer:
    return Composer(config, Store.memory(), b"secret")


def member(language: str) -> Member:
    return Member(id=42, name="Åsa Öberg", address="asa@example.org", organisation="Kulturhuset",
                  language=language, status="active", joined=datetime(2026, 1, 1, tzinfo=UTC))


def render(composer: Composer, kind: str, language: str, ctx: dict[str, Any] | None = None,
           meeting: Meeting | None = MEETING) -> tuple[str, str]:
    context = sample_context(kind) if ctx is None else ctx
    msg = email.message_from_bytes(composer.preview(kind, member(language), meeting, context, now=NOW).data,
                                   policy=policy.default)
    assert isinstance(msg, EmailMessage)
    text, html = (msg.get_body((part,)).get_content().replace("\r\n", "\n") for part in ("plain", "html"))
    return text, html


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("answer", ["yes", "maybe", None])
def test_reminder_head_count_is_its_own_paragraph_before_the_meeting_details(
    composer: Composer, language: str, answer: str | None
) -> None:
    for attending in (14, 0):
        text, _ = render(composer, "reminder", language, {"agenda": [], "answer": answer, "attending": attending,
                                                          "maybe": 3})
        before = text.split(MEETING_LABEL[language])[0]
        assert before.endswith("\n\n") and not before.endswith("\n\n\n")


def test_wrapped_notes_join_into_paragraphs_and_list_items_stay_on_their_own() -> None:
    text = ("Vi var fjorton på plats och två\npå distans.\n\nBeslut:\n- kalendern prövas\n  under våren\n"
            "- utvärdering i juni\n1. Åsa\n2) Jari")
    assert notes.blocks(text) == [
        ["Vi var fjorton på plats och två på distans."],
        ["Beslut:", "- kalendern prövas under våren", "- utvärdering i juni", "1. Åsa", "2) Jari"],
    ]


@pytest.mark.parametrize("language", LANGUAGES)
def test_memo_html_shows_wrapped_notes_as_one_paragraph(composer: Composer, language: str) -> None:
    ctx = {**sample_context("memo"), "notes": "Bokningskalendern visar Åsa\nett förslag på i januari."}
    text, html = render(composer, "memo", language, ctx)
    assert "<p>Bokningskalendern visar Åsa ett förslag på i januari.</p>" in html
    assert "Bokningskalendern visar Åsa\nett förslag på i januari." in text  # the text body keeps the lines


@pytest.mark.parametrize(("language", "signed_up"), [("sv", "Anmälda (2)"), ("fi", "Ilmoittautuneet (2)"),
                                                      ("en", "Signed up (2)")])
def test_memo_lists_who_signed_up_and_does_not_call_them_present(
    composer: Composer, language: str, signed_up: str
) -> None:
    text, html = render(composer, "memo", language)
    assert signed_up in text and signed_up in html
    for present in ("Närvarande (", "Paikalla (", "Present ("):
        assert present not in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_thanks_has_no_sentence_broken_over_two_lines(composer: Composer, language: str) -> None:
    text, _ = render(composer, "thanks", language)
    body = text.split("\n-- \n")[0].split("\n\n")[1:-1]  # between the greeting and the signature
    for paragraph in body:
        for line in paragraph.split("\n"):
            assert line.rstrip()[-1] in ".!?", line


@pytest.mark.parametrize(("language", "expected"), [
    ("sv", "Specialkost: vegetarian –"),
    ("fi", "Erityisruokavalio: vegetarian –"),
    ("en", "Dietary needs: vegetarian –"),
])
def test_confirmation_states_the_need_not_the_members_sentence(
    composer: Composer, language: str, expected: str
) -> None:
    ctx = {**sample_context("confirmation"), "dietary": "Ja, jag är vegetarian"}
    text, html = render(composer, "confirmation", language, ctx)
    assert expected in text and expected in html
    assert "Jag är vegetarian" not in text


def test_catering_lists_each_need_not_the_sentence(composer: Composer) -> None:
    ctx = {**sample_context("catering"), "dietary": [
        {"name": "Åsa Öberg", "dietary": "Ja, jag är vegetarian"},
        {"name": "Jari Mäkinen", "dietary": "Yes but I don't eat fish"},
        {"name": "Bo Ek", "dietary": "glutenfri, ingen fisk"},
    ]}
    text, _ = render(composer, "catering", "sv", ctx)
    assert "- Åsa Öberg: vegetarian\n- Jari Mäkinen: don't eat fish\n- Bo Ek: glutenfri, ingen fisk\n" in text


def test_a_need_never_loses_its_negation() -> None:
    assert need_of("Jag äter absolut inte fisk", ("sv",)) == "inte fisk"
    assert need_of("Yes! No pork for me please", ("en", "sv")) == "No pork"
    assert need_of("Kommer gärna", ("sv",)) == "Kommer gärna"  # no need word: the text as it is


@pytest.mark.parametrize(("language", "guests", "expected"), [
    ("sv", 1, "12 medlemmar har svarat ja, och en av dem tar med en gäst."),
    ("sv", 2, "12 medlemmar har svarat ja, och de tar sammanlagt med 2 gäster."),
    ("en", 1, "12 members have said yes, and one of them is bringing a guest."),
    ("en", 3, "12 members have said yes, bringing 3 guests between them."),
    ("fi", 1, "12 jäsentä on vastannut kyllä, ja yksi heistä tuo mukanaan vieraan."),
    ("fi", 2, "12 jäsentä on vastannut kyllä, ja he tuovat mukanaan yhteensä 2 vierasta."),
])
def test_catering_does_not_say_every_member_brings_the_guest(
    composer: Composer, language: str, guests: int, expected: str
) -> None:
    ctx = {**sample_context("catering"), "members_yes": 12, "guests": guests, "head_count": 12 + guests}
    text, html = render(composer, "catering", language, ctx)
    assert expected in text and expected in html


def test_one_member_with_a_guest_reads_in_the_singular(composer: Composer) -> None:
    ctx = {**sample_context("catering"), "members_yes": 1, "guests": 1, "head_count": 2}
    text, _ = render(composer, "catering", "sv", ctx)
    assert "Beställ för 2 personer: en medlem har svarat ja och tar med en gäst." in text


def test_finnish_mail_has_no_comma_before_tai(composer: Composer) -> None:
    for kind in KINDS:
        for meeting in [MEETING] if kind in MEETING_KINDS else [MEETING, None]:
            text, html = render(composer, kind, "fi", meeting=meeting)
            assert ", tai" not in text and ", tai" not in html, kind


@pytest.mark.parametrize(("days", "reminder", "expected"), [
    (14, 2, {"sv": ("Två veckor före", "Två dagar före"), "fi": ("Kaksi viikkoa ennen", "Kaksi päivää ennen"),
             "en": ("Two weeks before", "Two days before")}),
    (7, 1, {"sv": ("En vecka före", "En dag före"), "fi": ("Viikkoa ennen", "Päivää ennen"),
            "en": ("A week before", "A day before")}),
    (10, 3, {"sv": ("10 dagar före", "Tre dagar före"), "fi": ("10 päivää ennen", "Kolme päivää ennen"),
             "en": ("10 days before", "Three days before")}),
])
def test_welcome_and_help_give_the_lead_days_of_the_config(
    config: Config, days: int, reminder: int, expected: dict[str, tuple[str, str]]
) -> None:
    cfg = replace(config, meetings=replace(config.meetings, invitation_lead_days=days, reminder_lead_days=reminder))
    composer = Composer(cfg, Store.memory(), b"secret")
    for language in LANGUAGES:
        invitation, reminder_words = expected[language]
        for kind in ("welcome", "help"):
            text, html = render(composer, kind, language, {})
            assert invitation in text and invitation in html, (language, kind)
        text, _ = render(composer, "welcome", language, {})
        assert reminder_words in text
        assert "two weeks" not in text.lower() or days == 14


@pytest.mark.parametrize(("language", "expected"), [
    ("sv", "Orsak: okand@example.org är inte medlem"), ("fi", "Syy: okand@example.org ei ole jäsen"),
    ("en", "Reason: okand@example.org is not a member"),
])
def test_digest_gives_the_reason_in_the_coordinators_language(
    composer: Composer, language: str, expected: str
) -> None:
    text, _ = render(composer, "digest", language, meeting=None)
    assert expected in text


def test_an_unknown_reason_is_shown_as_recorded() -> None:
    assert translate("something new went wrong", "sv") == "something new went wrong"
    assert translate("no text part", "fi") == "ei tekstiosaa"
    assert translate("no text part, and more", "sv") == "no text part, and more"


@pytest.mark.parametrize("phrase", ["We will be two", "You receive this", "the memo of the meeting",
                                    "Current matters", "is cancelled", "e-mail"])
def test_english_mail_reads_as_written_in_english(composer: Composer, phrase: str) -> None:
    for kind in KINDS:
        for meeting in [MEETING] if kind in MEETING_KINDS else [MEETING, None]:
            text, html = render(composer, kind, "en", meeting=meeting)
            assert phrase not in text and phrase not in html, kind


def test_title_and_theme_given_per_language_reach_each_members_subject(tmp_path: Any) -> None:
    text = (PROJECT_ROOT / "config" / "network.example.toml").read_text(encoding="utf-8")
    text = text.replace('title = "Nätverksträff"',
                        'title = { sv = "Nätverksträff", fi = "Verkostotapaaminen", en = "Network meeting" }')
    text = text.replace('theme = "Årets sista träff: hur går vi vidare 2027?"',
                        'theme = { sv = "Hur går vi vidare?", fi = "Miten jatkamme?", en = "Where next?" }')
    (tmp_path / "network.toml").write_text(text, encoding="utf-8")
    cfg = load_config(tmp_path / "network.toml")
    override = next(o for o in cfg.meetings.overrides if o.theme)
    meeting = replace(MEETING, date=override.date, theme=override.theme,
                      start=datetime.combine(override.date, START.timetz()),
                      end=datetime.combine(override.date, START.timetz()) + timedelta(hours=2))
    composer = Composer(cfg, Store.memory(), b"secret")
    for language, title, theme in (("sv", "Nätverksträff", "Hur går vi vidare?"),
                                   ("fi", "Verkostotapaaminen", "Miten jatkamme?"),
                                   ("en", "Network meeting", "Where next?")):
        msg = email.message_from_bytes(
            composer.preview("invitation", member(language), meeting, {}, now=NOW).data, policy=policy.default)
        assert title in msg["Subject"] and theme in msg["Subject"], msg["Subject"]


def test_a_title_in_an_unknown_language_is_a_config_error(tmp_path: Any) -> None:
    from mailer.errors import ConfigError

    text = (PROJECT_ROOT / "config" / "network.example.toml").read_text(encoding="utf-8")
    text = text.replace('title = "Nätverksträff"', 'title = { sv = "Nätverksträff", de = "Netzwerktreffen" }')
    (tmp_path / "network.toml").write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError, match=r"meetings\.title\.de"):
        load_config(tmp_path / "network.toml")
