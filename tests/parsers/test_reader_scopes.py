"""Forms and scopes of the fourth round: "no longer" about attending is a decline, about the list it is not."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    "text",
    ["I can no longer make it.", "Sorry to change my answer, but I can no longer attend.",
     "I'm no longer able to come.", "En pääse enää mukaan."],
)
def test_no_longer_about_attending_is_a_decline(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "no" and "rsvp" not in reading.unsure


def test_no_longer_about_the_list_is_not_an_answer() -> None:
    reading = read_intent("I no longer want the invitations, please remove me.")
    assert reading.command == "leave" and reading.rsvp is None


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [("I'm going to skip this one.", "no"), ("I'm signed off work, so I'm going to stay home and rest.", "no"),
     ("I'm going to come!", "yes"), ("I'm going!", "yes"), ("Yes, I'm going to the meeting.", "yes")],
)
def test_going_to_is_the_future_of_the_verb_after_it_not_going(text: str, rsvp: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == rsvp and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [("Olen leikkauksen jälkeen sairauslomalla.", "no"), ("I'm in hospital until after Christmas.", "no"),
     ("Jag är sjuk, men kommer efter sju.", "yes")],
)
def test_a_bare_before_or_after_dates_a_reason_it_does_not_make_it_lateness(text: str, rsvp: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == rsvp and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [("Put me down as a yes.", "yes"), ("Put me down as a maybe.", "maybe"), ("Put me down as a no, sorry.", "no"),
     ("Skriv upp mig som ett ja.", "yes"), ("Merkitse minut toistaiseksi epävarmaksi.", "maybe")],
)
def test_put_me_down_as_takes_the_answer_it_names(text: str, rsvp: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == rsvp and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    "text",
    ["I'm in Kyiv with a theatre exchange until mid-December. Wishing you all a great meeting.",
     "Lähdemme Kanarialle ensi viikolla. Toivottavasti tapaaminen menee hyvin!",
     "Jag ska opereras den 2 december och räknar med att vara sängliggande ett tag. Hälsa alla!"],
)
def test_wishing_the_others_a_good_meeting_leans_to_a_decline(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "no" and "rsvp" not in reading.unsure


def test_hoping_to_come_is_still_a_maybe() -> None:
    assert read_intent("Toivottavasti pääsen.").rsvp == "maybe"


@pytest.mark.parametrize(
    "text",
    ["Otan veljeni mukaan.", "Tuun ja otan mun äidin mukaan.", "Tuon lankoni.", "Tulen poikani kanssa.",
     "Tulen serkkuni kanssa."],
)
def test_a_relative_in_a_graded_or_possessive_form_is_one_companion(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and reading.guests == 1 and not reading.unsure


@pytest.mark.parametrize(
    "text",
    ["Hej, stryk mig från listan, tack. Jag har flyttat till Köpenhamn. Det har varit fint att vara med!",
     "I'm going on parental leave for a year, so please remove me from the list for now."],
)
def test_a_member_leaving_the_list_says_no_yes_to_the_meeting(text: str) -> None:
    reading = read_intent(text)
    assert reading.command == "leave" and reading.rsvp is None


@pytest.mark.parametrize(
    "text",
    ["Kan man komma in fast man inte har fått inbjudan själv?", "Voiko tulla, vaikka ei ole itse saanut kutsua?",
     "Saako sinne tulla jos ei oo jäsen?", "Can anyone come, or is it members only?"],
)
def test_asking_whether_one_may_come_is_no_answer(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp is None and reading.question


def test_an_answer_before_such_a_question_stands() -> None:
    assert read_intent("Tulen! Voiko tulla myöhemmin?").rsvp == "yes"


@pytest.mark.parametrize(
    "text",
    ["Jag kommer, men jag är lite förkyld så jag håller mig längst bak.", "Tuun mut istun takana, selkä on kipee.",
     "Tulen, mutta olen vähän flunssainen.", "I'll be there. My voice is a bit gone though."],
)
def test_a_reason_word_after_a_yes_says_how_the_member_comes_not_whether(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and "rsvp" not in reading.unsure


@pytest.mark.parametrize("text", ["Jag skulle gärna komma, men är tyvärr sjuk.", "I was going to come but I'm sick."])
def test_a_reason_with_a_regret_or_after_a_plan_still_declines(text: str) -> None:
    assert read_intent(text).rsvp == "no"


@pytest.mark.parametrize(
    ("text", "guests"),
    [("Jag kommer med två elever från Kulturama.", 2), ("Jag tar med min svåger.", 1),
     ("I'm bringing my neighbour.", 1)],
)
def test_more_person_nouns_are_companions(text: str, guests: int) -> None:
    assert read_intent(text).guests == guests


@pytest.mark.parametrize(
    "text",
    ["Tulen, jos löydän jonkun ulkoiluttamaan koiran.", "If my dog recovers from her surgery in time, I'll come.",
     "Jag kommer om min hund hinner bli frisk."],
)
def test_a_condition_about_a_thing_next_to_coming_makes_a_maybe(text: str) -> None:
    assert read_intent(text).rsvp == "maybe"


@pytest.mark.parametrize(
    "text",
    ["Jag kommer gärna, men jag undrar om det finns möjlighet att ha med sig en hund.",
     "Tuun, mut mulla on kotona kaks pientä vesirokossa, eli jos näytän väsyneeltä niin tiedätte miks."],
)
def test_whether_after_wondering_or_an_if_far_from_coming_leaves_the_yes(text: str) -> None:
    assert read_intent(text).rsvp == "yes"


@pytest.mark.parametrize(
    "text",
    ["Ja! Kanske tar jag med några affischer från vårt nya projekt, vi får se.",
     "Yes! I might bring some posters, we'll see.", "Tulen! Saatan tuoda julisteita, katsotaan.",
     "Tuun. Otan ehkä kakkua mukaan, en tiedä vielä.", "kommer o ja tar me kakor om ingen annan gör"],
)
def test_a_doubt_or_condition_after_bringing_something_is_about_the_thing(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and "rsvp" not in reading.unsure


def test_a_doubt_about_coming_is_still_a_maybe() -> None:
    assert read_intent("Jag kommer kanske, vi får se.").rsvp == "maybe"


def test_a_party_then_is_that_ok_tells_the_party_and_asks() -> None:
    reading = read_intent("Vi blir sex personer från Teater Viirus, är det ok?")
    assert reading.question and reading.rsvp == "yes" and reading.guests == 5


@pytest.mark.parametrize("text", ["Jag tar med min kollega, om det går bra?", "Kan min kollega följa med, är det ok?"])
def test_if_thats_ok_is_a_courtesy_and_a_permission_question_counts_nobody(text: str) -> None:
    reading = read_intent(text)
    assert reading.question != text.startswith("Jag") and (reading.guests == 1) == text.startswith("Jag")


@pytest.mark.parametrize("text", ["Ehkä. Kysyn ensin esimieheltä.", "I think so? Need to check with my partner."])
def test_asking_someone_else_or_an_answer_with_a_question_mark_is_no_question(text: str) -> None:
    assert not read_intent(text).question


@pytest.mark.parametrize(
    "text",
    ["Jag har funderat fram och tillbaka, men jag orkar helt enkelt inte den här månaden.",
     "Mietin pitkään, mutta en yksinkertaisesti jaksa tässä kuussa. Toivottavasti olen taas mukana "
     "vuodenvaihteen jälkeen."],
)
def test_not_managing_is_a_decline_and_being_back_later_is_about_later(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "no" and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [("He går int den här gången, ja e på Åland med barnen.", "no"), ("ja e me", "yes"),
     ("Ja har tyvärr förhinder.", "no")],
)
def test_spoken_finland_swedish_ja_is_the_pronoun_before_a_verb(text: str, rsvp: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == rsvp and "rsvp" not in reading.unsure


def test_it_is_not_possible_to_is_no_decline() -> None:
    assert read_intent("Jag kommer. Det går inte att parkera där, eller?").rsvp == "yes"


@pytest.mark.parametrize(
    ("text", "lang"), [("Depends on work.", "en"), ("Riippuu töistä.", "fi"), ("Beror på jobbet.", "sv")]
)
def test_a_short_reply_with_one_own_cue_word_is_read_in_its_language(text: str, lang: str) -> None:
    reading = read_intent(text)
    assert reading.language == lang and reading.rsvp == "maybe"


@pytest.mark.parametrize(
    "text",
    ["Tulen, mutta en ehkä jaksa koko iltaa.", "Jag kommer, men orkar kanske inte hela kvällen.",
     "I'm coming but may not stay the whole evening."],
)
def test_doubting_the_whole_evening_is_a_partial_yes(text: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == "yes" and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [("Olen siellä joka ilta koko viikon, joten laske minut tällä kertaa pois.", "no"), ("Laske minut mukaan!", "yes"),
     ("Jag e på! 🤘", "yes"), ("jag kmr", "yes"), ("Jepps, anmäld!", "yes"), ("Count on me.", "yes"),
     ("I confirm my participation.", "yes"), ("Vahvistan osallistumiseni.", "yes"), ("Vahvistan myöhemmin.", "maybe")],
)
def test_more_ways_to_say_count_me_in_or_out(text: str, rsvp: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == rsvp and (rsvp == "no" or "rsvp" not in reading.unsure)


def test_a_reply_in_no_language_words_goes_to_the_language_whose_cue_it_uses() -> None:
    assert read_intent("mayyybe 🤔").language == "en"


@pytest.mark.parametrize(
    ("text", "rsvp"),
    [("Hei, tulen! En tiedä uskallanko sanoa mitään esittelykierroksella.", "yes"),
     ("Tulen. En tiedä vielä otanko auton vai junan.", "yes"), ("En tiedä pääsenkö.", "maybe"),
     ("En tiedä vielä tuunko.", "maybe")],
)
def test_a_finnish_whether_verb_scopes_the_doubt(text: str, rsvp: str) -> None:
    reading = read_intent(text)
    assert reading.rsvp == rsvp and "rsvp" not in reading.unsure


@pytest.mark.parametrize(
    ("text", "command"),
    [("Jag får stå över framöver, men håll mig gärna på listan.", None),
     ("Moi, voisitteko laittaa mun osoitteen listalle et saan kutsut?", "join"),
     ("Lägg till mig på listan!", "join")],
)
def test_keep_me_on_the_list_is_no_join_and_et_opening_a_that_clause_is_no_negation(
    text: str, command: str | None
) -> None:
    assert read_intent(text).command == command


@pytest.mark.parametrize(
    "text",
    ["My colleague would like to join the network too.", "Kollegani haluaisi liittyä listalle.",
     "Please remove my colleague from the list, she has left.", "Poistakaa kollegani listalta."],
)
def test_another_persons_join_or_leave_is_not_the_members_command(text: str) -> None:
    assert read_intent(text).command is None


@pytest.mark.parametrize(("text", "command"), [("Please remove me from the list.", "leave"),
                                               ("Ta bort min adress från listan.", "leave"),
                                               ("A colleague told me about you. Can I join the list?", "join")])
def test_the_members_own_join_or_leave_stands(text: str, command: str) -> None:
    assert read_intent(text).command == command
