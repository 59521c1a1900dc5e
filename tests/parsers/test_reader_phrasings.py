"""Phrasings the reader was generalised to in issue 8's second round: a wish followed by "but", attending
inside a doubt, a condition on a bare yes, an answer before a topic, join/leave as requests, spoken guests."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("Hade gärna kommit förbi men jag sitter i styrelsemöte hela kvällen.", "no"),
        ("Skulle vilja komma, men bilen är på verkstad.", "no"),
        ("Ois kiva tulla mut mulla on iltavuoro.", "no"),
        ("I'd love to come but my flight lands at nine.", "no"),
        ("I'd love to come, but I don't know if I can get a sitter.", "maybe"),
        ("Tulisin mielelläni, mutta en ole varma ehdinkö.", "maybe"),
        ("I would love to come!", "yes"),
        ("Skulle gärna komma!", "yes"),
    ],
)
def test_a_wish_followed_by_but_is_never_read_as_a_yes(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


def test_a_wish_followed_by_lateness_is_asked_about() -> None:
    reading = read_intent("I would love to come, but I have to leave at six.")
    assert reading.rsvp is None and "rsvp" in reading.unsure


@pytest.mark.parametrize(
    "text",
    ["Not sure whether I can make it.", "En tiedä vielä pääsenkö.", "Jag vet inte om jag hinner komma.",
     "If the trains run on time, yes.", "If the strike is over by then I'll come.", "jos kerkeen",
     "I'll do my best to come."],
)
def test_attending_inside_a_doubt_or_a_condition_is_a_maybe(text: str) -> None:
    assert read_intent(text).rsvp == "maybe"


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("Kommer och skulle vilja prata om lokalhyror.", "yes"),
        ("Tulen ja haluaisin ottaa esille vuokrat.", "yes"),
        ("Coming, can't have gluten though.", "yes"),
        ("Ilman muuta tulen!", "yes"),
        ("Minulla on häät Porvoossa sinä päivänä.", "no"),
        ("I'll be on a plane to Oslo that evening.", "no"),
    ],
)
def test_an_answer_is_read_beside_a_topic_a_diet_or_an_away_day(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


@pytest.mark.parametrize(
    ("text", "command"),
    [
        ("Jag vill gärna få era utskick. Lägg till mig, tack!", "join"),
        ("Haluaisin mukaan postituksiinne.", "join"),
        ("I'd like to receive the network's invitations from now on.", "join"),
        ("I want to stop receiving these mails.", "leave"),
        ("Haluan perua tilaukseni.", "leave"),
        ("Thanks for the invitation. I regret I cannot join.", None),
    ],
)
def test_join_and_leave_written_as_requests(text: str, command: str | None) -> None:
    reading = read_intent(text)
    assert (reading.command if reading.command in ("join", "leave") else None) == command


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        ("jag o min syster kommer", 1),
        ("Kommer, och ha me mig min kollega Ella.", 1),
        ("Osallistun ja tuon avecin.", 1),
        ("Tulen kolmen uuden työntekijän kanssa.", 3),
        ("Kyllä, ja kaksi vierasta.", 2),
        ("Me and two board members.", 2),
    ],
)
def test_guests_in_spoken_forms_and_counted_words(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


def test_a_list_typed_on_one_line_after_its_header_gives_each_topic() -> None:
    assert read_intent("Tulen. Esityslistalle: - vuokrat - yhteinen varasto").topics == ("vuokrat", "yhteinen varasto")
