"""Forms of the fifth round: a negated refusal or skipping is a yes; no longer belonging to the list leaves."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    "text",
    ["En voi kieltäytyä kutsusta!", "Enhän mä tätä jätä väliin!", "Tuun, ei tätä voi missata.",
     "Jag kan inte säga nej till det!", "I have nothing against coming."],
)
def test_a_negated_refusal_or_skipping_is_a_yes(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and "rsvp" not in reading.unsure


@pytest.mark.parametrize("text", ["Joudun kieltäytymään.", "Jag måste tacka nej.", "I have to say no this time."])
def test_a_refusal_itself_declines(text: str) -> None:
    assert read_intent(text).rsvp == "no"


@pytest.mark.parametrize(
    "text",
    ["I don't want to be on the mailing list any more.", "En halua olla enää postituslistalla.",
     "Please deregister me.", "I want to end my membership.", "Peruutan tilauksen.",
     "Voitte ottaa minut pois listalta.", "Ta gärna bort mig från listan."],
)
def test_no_longer_belonging_to_the_list_leaves_it(text: str) -> None:
    assert read_intent(text).command == "leave"


def test_keeping_me_on_the_list_is_no_leave() -> None:
    assert read_intent("Keep me on the list, I just can't come any more this year.").command != "leave"


@pytest.mark.parametrize(
    ("text", "guests"),
    [("Tulen puolisoni ja tyttäremme (5 v) kanssa.", 2), ("I'm bringing my husband and our toddler (2)!", 2),
     ("Jag tar med min fru och lilltjejen (4 år).", 2), ("Tullaan nelisin!", 3),
     ("Tulen kahden oppilaani kanssa.", 2), ("Jag kommer med min kompis.", 1)],
)
def test_a_childs_age_in_brackets_is_no_count_and_no_cut(text: str, guests: int) -> None:
    reading = read_intent(text)
    assert reading.guests == guests and "guests" not in reading.unsure


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [("I'm allergic to nuts, but otherwise I'd love to come.", "yes"), ("Ei kalaa minulle, muuten tulen!", "yes"),
     ("Inga nötter för mig, annars kommer jag gärna.", "yes"),
     ("I'll try to come, otherwise I'll send notes.", "maybe")],
)
def test_otherwise_after_food_is_apart_from_that_not_or_else(text: str, rsvp: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == rsvp and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    ("text", "topic"),
    [("Could we look at touring budgets? There has been a lot of talk about it.", "touring budgets"),
     ("I'd love to talk ticket pricing at some point.", "ticket pricing"),
     ("Jag vill gärna prata lokalhyror.", "lokalhyror"),
     ("Haluaisin esitellä ehdotuksen yhteisestä varastosta.", "varasto"),
     ("Vi skulle vilja presentera ett förslag om gemensam marknadsföring.", "marknadsföring")],
)
def test_a_topic_is_read_once_from_its_own_words(text: str, topic: str) -> None:
    topics = read_intent(text).topics
    assert len(topics) == 1 and topic in topics[0].casefold()


def test_talking_to_someone_is_no_topic() -> None:
    assert read_intent("Yes! I'd love to talk to you at the meeting.").topics == ()


@pytest.mark.parametrize("text", ["I'd never miss it, would I?", "I can't not come, can I? :)"])
def test_an_answer_closed_by_a_tag_question_asks_nothing(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and not reading.question


@pytest.mark.parametrize("text", ["Any vegan food?", "Finns det glutenfritt?", "Onko tarjolla gluteenitonta?"])
def test_asking_what_food_is_served_states_no_need(text: str) -> None:
    assert read_intent(text).dietary is None


@pytest.mark.parametrize("text", ["Could I have a vegan option?", "Finns det glutenfritt för min kollega?"])
def test_asking_food_for_someone_states_a_need(text: str) -> None:
    assert read_intent(text).dietary


@pytest.mark.parametrize(
    ("text", "guests"),
    [("Maybe, and if so with my sister.", 1), ("Kanske, i så fall med min fru.", 1),
     ("Ehkä, ja silloin vaimoni kanssa.", 1), ("Yes, I checked with my director.", 0)],
)
def test_a_companion_after_a_bare_answer_comes_along(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


@pytest.mark.parametrize(("text", "rsvp"), [("No tulenhan mä!", "yes"), ("Kylhän mä tuun.", "yes"),
                                            ("Eihän tätä voi jättää välii!", "yes"), ("Enhän mä pääse.", "no")])
def test_a_finnish_han_clitic_adds_emphasis_not_meaning(text: str, rsvp: str) -> None:
    reading = read_intent(text)
    assert reading.language == "fi" and reading.rsvp == rsvp and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    ("text", "guests"),
    [("Tulen kahden kuoromme jäsenen kanssa.", 2), ("Ystävä Tampereelta tulee mukaani.", 1),
     ("Jag tar med min fru och min son.", 2)],
)
def test_a_person_noun_right_after_another_is_the_same_people(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


@pytest.mark.parametrize(("text", "command"), [("Kan jag vara med i nätverket?", "join"),
                                               ("Jag skulle vilja stå på er lista.", "join"),
                                               ("Jag har varit med i nätverket länge, och kommer gärna.", None)])
def test_asking_to_be_in_the_network_joins_it(text: str, command: str | None) -> None:
    assert read_intent(text).command == command
