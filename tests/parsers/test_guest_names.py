"""Companions named only by their name ("coming with Amir", "Erik följer med", "Tulen Pekan kanssa") count as
guests; a capitalised first word, a pronoun with 's or a hedge on the companion do not make a sure guest."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    ("text", "lang", "guests"),
    [("I'm coming with Amir from our production team.", "en", 1),
     ("Dave's coming with me, he only wants the cake.", "en", 1),
     ("Yes, and Sara is coming with me.", "en", 1),
     ("Yes! Priya will join me.", "en", 1),
     ("I'm coming, Lisa too.", "en", 1),
     ("Yes. Also Kalle and Emma from our board.", "en", 2),
     ("I'm coming and so is my husband.", "en", 1),
     ("Jag kommer med Amir från produktionen.", "sv", 1),
     ("Ja och Tove från Teaterboulevarden kommer.", "sv", 1),
     ("Kommer, och Erik följer med.", "sv", 1),
     ("Tulen Liisan ja Pekan kanssa.", "fi", 2),
     ("Tulen jumppakaverini Helin kanssa.", "fi", 1),
     ("Tulen, ja Liisa ja Kalle hallituksesta myös.", "fi", 2),
     ("Tulen ja Liisa tulee mukaan.", "fi", 1)],
)
def test_a_companion_named_by_name_is_a_guest(text: str, lang: str, guests: int) -> None:
    reading = read_intent(text)
    assert (reading.language, reading.rsvp, reading.guests, "guests" in reading.unsure) == (lang, "yes", guests, False)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("It's a bit too tight timewise for me this round, but I'm coming.", "en"),
     ("Hi Anna! I'm coming too.", "en"),
     ("Jag kommer och pratar med Anna om det.", "sv"),
     ("Tulen. Voin tuoda mukanani uuden näyttelymme esitteitä.", "fi"),
     ("Ja, kommer! Skulle också vilja ta upp festivalsamarbetet.", "sv"),
     ("Kiitos Anna, tulen mukaan.", "fi")],
)
def test_a_capitalised_word_that_names_no_companion_is_no_guest(text: str, lang: str) -> None:
    reading = read_intent(text)
    assert (reading.language, reading.guests) == (lang, 0)


@pytest.mark.parametrize(
    ("text", "lang"),
    [("Jag kommer och kanske min man också, återkommer.", "sv"),
     ("Tulen ja ehkä mieheni myös, ilmoitan myöhemmin.", "fi")],
)
def test_a_hedge_on_the_companion_alone_asks_about_the_guests(text: str, lang: str) -> None:
    reading = read_intent(text)
    assert reading.language == lang and "guests" in reading.unsure


@pytest.mark.parametrize(
    ("text", "lang", "guests"),
    [("Vi kommer! Jag, Tove och Alfred från föreningen.", "sv", 2),
     ("Kommer! Och tar med Ahmed och Lisa från ungdomsgruppen.", "sv", 2),
     ("no nii, tullaan porukalla: mä, Ville, Essi ja Joonas", "fi", 3)],
)
def test_names_listed_after_the_member_or_brought_along_are_each_a_guest(text: str, lang: str, guests: int) -> None:
    reading = read_intent(text)
    assert (reading.language, reading.rsvp, reading.guests) == (lang, "yes", guests)


@pytest.mark.parametrize(
    ("text", "lang", "guests"),
    [("Tuun kyl mut Jarkko ei pääse, sil on keikka Turussa.", "fi", 0),
     ("Hi Noora, I'll come, and so will our new board member Teemu. Unfortunately Sara has a clash, so she won't "
      "be joining us.", "en", 1)],
)
def test_a_named_colleague_who_cannot_come_leaves_the_members_yes(text: str, lang: str, guests: int) -> None:
    reading = read_intent(text)
    assert (reading.language, reading.rsvp, reading.guests, "rsvp" in reading.unsure) == (lang, "yes", guests, False)
