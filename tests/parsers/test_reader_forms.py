"""Read by form rather than by list (issue 8, third round): Finnish number words in any case form, "onto the
list" as a join, "can't not" as a yes, and a party against a "no" read only from an event word asked about."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent
from parsers.numerals import finnish


@pytest.mark.parametrize(
    ("text", "guests"),
    [
        ("Tulen viidellä harjoittelijalla vahvistettuna.", 5),
        ("Osallistun kuuden opiskelijan kanssa.", 6),
        ("Tuun kahel kollegalla.", 2),
        ("Tulen ja tuon mukanani kahdeksan opiskelijaa.", 8),
    ],
)
def test_a_number_in_any_case_form_counts_the_guests(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


def test_number_forms_that_mean_together_time_or_equally_are_not_numbers() -> None:
    forms = finnish()
    assert forms["kolmella"] == 3 and forms["kolmee"] == 3 and forms["neljää"] == 4
    assert not {"yhdessä", "yhteen", "yhtä", "kuudelta", "kahdesta"} & set(forms)


@pytest.mark.parametrize(
    "text",
    ["Pääsisinkö teidän sähköpostilistalle?", "Hei, haluaisin mielelläni jakelulistalle. T. Aino",
     "Voisitteko lisätä osoitteeni postituslistaan?"],
)
def test_asking_to_be_put_on_the_list_is_a_join_not_a_question(text: str) -> None:
    reading = read_intent(text)
    assert reading.command == "join" and not reading.question


def test_a_topic_put_on_the_agenda_list_is_not_a_join() -> None:
    reading = read_intent("Haluaisin laittaa asian listalle: yhteiset vuokratilat.")
    assert reading.command is None


def test_a_not_right_after_cant_cancels_it() -> None:
    assert read_intent("Honestly, I couldn't not come to this one!").rsvp == "yes"
    assert read_intent("I can't come.").rsvp == "no"


def test_a_party_coming_against_a_no_read_only_from_an_event_word_is_asked_about() -> None:
    reading = read_intent("There will be three of us from the theatre festival.")
    assert "rsvp" in reading.unsure and reading.guests == 2


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [
        ("Emme pääse paikalle.", "no"),  # the negation reaches "paikalle", the rest of its verb phrase
        ("Mä en tuu.", "no"),  # the spoken connegative
        ("Ehditään!", "yes"),  # the passive, "we" in speech
        ("Osallistuisin mielelläni, jos aikataulu sallii.", "maybe"),  # the conditional -isi- under "jos"
        ("Osallistuisin mielelläni, mutta olen silloin Oulussa.", "no"),
        ("Saattaisin tulla.", "maybe"),
    ],
)
def test_finnish_verb_forms_negative_conditional_and_spoken(text: str, rsvp: str) -> None:
    assert read_intent(text).rsvp == rsvp


def test_a_hedge_on_bringing_someone_is_asked_about_but_not_a_hedge_on_coming() -> None:
    assert "guests" in read_intent("Tulen, ehkä otan kollegan mukaan.").unsure
    probably = read_intent("Tulen luultavasti kahden kollegan kanssa.")
    assert probably.guests == 2 and "guests" not in probably.unsure


@pytest.mark.parametrize(
    "text", ["I would have loved to come.", "I'd have loved to come, but I'm stuck at work.",
             "I would've come but my car broke down."],
)
def test_a_counterfactual_wish_to_come_is_a_decline(text: str) -> None:
    assert read_intent(text).rsvp == "no"


def test_a_wish_to_come_said_now_is_still_a_yes() -> None:
    assert read_intent("I'd love to come!").rsvp == "yes"
    assert read_intent("Jajamensan!").rsvp == "yes"


@pytest.mark.parametrize(
    ("text", "topic"),
    [("Could we look at copyright when streaming shows?", "copyright"),
     ("Coming! Maybe we could plan the network's summer party?", "summer party"),
     ("Kunde vi ta upp lokalhyrorna?", "lokalhyrorna"), ("Voisimmeko puhua vuokrista?", "vuokrista")],
)
def test_a_question_proposing_something_for_us_to_do_is_a_topic_not_a_question(text: str, topic: str) -> None:
    reading = read_intent(text)
    assert any(topic in t for t in reading.topics) and not reading.question


@pytest.mark.parametrize("text", ["Which entrance should we use?", "Can we bring our own coffee?",
                                  "Could we come half an hour late?"])
def test_asking_leave_or_the_way_stays_a_question(text: str) -> None:
    reading = read_intent(text)
    assert reading.question and not reading.topics


@pytest.mark.parametrize("text", ["I'm coming with my colleagues.", "Jag kommer med mina kollegor.",
                                  "Tulen kollegoideni kanssa.", "Tulen harjoittelijoiden kanssa."])
def test_companions_named_only_in_the_plural_are_asked_about(text: str) -> None:
    assert "guests" in read_intent(text).unsure


@pytest.mark.parametrize(("text", "guests"), [("Tulen vaimoineni.", 1), ("Tulen avopuolisoni kanssa.", 1),
                                              ("Tulen seuralaisen kanssa.", 1), ("Coming with my two colleagues.", 2),
                                              ("Jag kommer med min partner.", 1)])
def test_one_companion_in_a_compound_or_case_form_counts_once(text: str, guests: int) -> None:
    reading = read_intent(text)
    assert reading.guests == guests and "guests" not in reading.unsure


def test_onto_an_answers_list_is_not_a_join() -> None:
    assert read_intent("En ole varma. Merkitse minut ehkä-listalle.").command is None
