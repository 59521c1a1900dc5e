"""A member's own words are read as RSVP, guests, diet, topics, needs, offers, commands and approval."""

from __future__ import annotations

import pytest

from parsers.intent import detect_language, read_intent


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("Ja, jag kommer gärna!", "yes"),
        ("Jag kommer inte den här gången.", "no"),
        ("Tyvärr kan jag inte komma.", "no"),
        ("Kanske, jag vet inte än.", "maybe"),
        ("Gärna!", "yes"),
        ("Kyllä, tulen mielelläni.", "yes"),
        ("Valitettavasti en pääse.", "no"),
        ("En pääse tällä kertaa.", "no"),
        ("Ehkä, palaan asiaan.", "maybe"),
        ("Osallistun.", "yes"),
        ("Tulen!", "yes"),
        ("Yes, count me in!", "yes"),
        ("Sorry, I can't make it.", "no"),
        ("Not sure yet.", "maybe"),
        ("Count me in.", "yes"),
        ("No problem, I'll be there!", "yes"),
        ("Jag är på semester men jag kommer tillbaka 5.12.", "no"),
    ],
)
def test_rsvp_is_read_with_negations(text: str, rsvp: str | None) -> None:
    assert read_intent(text).rsvp == rsvp


def test_bare_answer_in_subject_is_the_rsvp() -> None:
    assert read_intent("", "Ja [tp42-7-abcdefghjkmn]").rsvp == "yes"
    assert read_intent("", "Re: Ei [tp42-7-abcdefghjkmn]").rsvp == "no"


def test_first_answering_sentence_decides() -> None:
    assert read_intent("Hej!\n\nJa, jag kommer. Kanske blir jag lite sen.").rsvp == "yes"


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        ("Ja, vi blir två.", 1),
        ("Jag kommer och tar med två praktikanter.", 2),
        ("Ja +1", 1),
        ("Yes, me and a colleague.", 1),
        ("Kyllä, tulemme kaksi.", 1),
        ("Tulen ja otan mukaan kollegan.", 1),
        ("Jag kommer, ring mig på +358 40 123 4567.", 0),
        ("Ja, jag kommer.", 0),
        ("Nej, vi blir inte två.", 0),
    ],
)
def test_guests_are_counted(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


@pytest.mark.parametrize(
    ("text", "diet"),
    [
        ("Ja!\nKost: vegetarisk", "vegetarisk"),
        ("Ja!\nAllergi: nötter", "nötter"),
        ("Tulen.\nRuokavalio: laktoositon", "laktoositon"),
        ("Yes. I'm vegetarian, no nuts please.", "vegetarian"),
        ("Ja, jag kommer. Glutenfritt tack!", "glutenfritt"),
        ("Tulen. Olen vegaani.", "vegaani"),
        ("Yes!\nDiet: vegan", "vegan"),
    ],
)
def test_dietary_need_is_read(text: str, diet: str) -> None:
    found = read_intent(text).dietary
    assert found is not None and diet in found.casefold()


def test_no_dietary_need_gives_none() -> None:
    assert read_intent("Ja, jag kommer.").dietary is None


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("Ja!\nÄrende: Gemensam lokal", ["Gemensam lokal"]),
        ("Ja!\nFörslag till agendan:\n- Lokalfrågan\n- Vårens budget", ["Lokalfrågan", "Vårens budget"]),
        ("Tulen.\nAihe: Yhteiset tilat", ["Yhteiset tilat"]),
        ("Ehdotus asialistalle:\n1. Budjetti\n2. Kevään tapaamiset", ["Budjetti", "Kevään tapaamiset"]),
        ("Yes.\nTopic: Shared office space", ["Shared office space"]),
        ("Jag skulle vilja ta upp frågan om gemensam marknadsföring.", ["gemensam marknadsföring"]),
        ("Haluaisin ottaa esille yhteisen markkinoinnin.", ["yhteisen markkinoinnin"]),
        ("I'd like to raise the ticketing system.", ["the ticketing system"]),
    ],
)
def test_topics_are_read_without_their_marker(text: str, topics: list[str]) -> None:
    assert list(read_intent(text).topics) == topics


def test_needs_and_offers_are_read() -> None:
    intent = read_intent("Ja!\nBehöver: ljustekniker i mars\nErbjuder: replokal på tisdagar")
    assert intent.needs == ("ljustekniker i mars",)
    assert intent.offers == ("replokal på tisdagar",)
    intent = read_intent("Tulen.\nTarvitsen: valosuunnittelija\nTarjoan: harjoitustila")
    assert (intent.needs, intent.offers) == (("valosuunnittelija",), ("harjoitustila",))
    intent = read_intent("Yes.\nNeed: a lighting designer\nOffer: rehearsal space")
    assert (intent.needs, intent.offers) == (("a lighting designer",), ("rehearsal space",))


@pytest.mark.parametrize(
    ("text", "subject", "command"),
    [
        ("Jag vill gå med i nätverket.", "", "join"),
        ("", "gå med", "join"),
        ("Ta bort mig från listan.", "", "leave"),
        ("avregistrera", "", "leave"),
        ("Haluan liittyä.", "", "join"),
        ("Poista minut listalta, kiitos.", "", "leave"),
        ("", "unsubscribe", "leave"),
        ("subscribe", "", "join"),
        ("hjälp", "", "help"),
        ("apua", "", "help"),
        ("", "help", "help"),
        ("I'll join you on Thursday!", "", None),
    ],
)
def test_commands_are_read(text: str, subject: str, command: str | None) -> None:
    assert read_intent(text, subject).command == command


@pytest.mark.parametrize(
    ("text", "approval"),
    [
        ("OK", True),
        ("Godkänt!", True),
        ("godkänn\nAnna", True),
        ("Hyväksytty.", True),
        ("Approved, thanks", True),
        ("Approved", True),
        ("OK, men ändra datumet i punkt 3 till den 5 december.", False),
    ],
)
def test_approval_is_only_a_bare_approval_word(text: str, approval: bool) -> None:
    assert read_intent(text).approval is approval


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hej! Jag kommer gärna, tack för inbjudan.", "sv"),
        ("Hei! Tulen mielelläni, kiitos kutsusta.", "fi"),
        ("Hi! I will be there, thanks for the invitation.", "en"),
        ("", None),
        ("12345", None),
    ],
)
def test_language_is_detected_from_characteristic_words(text: str, language: str | None) -> None:
    assert detect_language(text) == language
