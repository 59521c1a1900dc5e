"""Quoted history, attribution lines, header blocks and signatures are cut from a reply's text."""

from __future__ import annotations

import pytest
from _mails import INVITATION_SV, quoted

from parsers.calendar_text import strip_calendar_text
from parsers.quotes import MAX_INPUT_LINES, strip_quotes

NEW = "Ja, jag kommer gärna!\n\nHälsningar, Anna"


@pytest.mark.parametrize(
    "attribution",
    [
        "Den tis 24 nov. 2026 kl 10:02 skrev Träffpunkt <natverk@example.org>:",
        "Den tis 24 nov. 2026 kl 10:02 skrev Träffpunkt <\nnatverk@example.org>:",
        "ti 24.11.2026 klo 10.02 Träffpunkt (natverk@example.org) kirjoitti:",
        "On Tue, Nov 24, 2026 at 10:02 AM Träffpunkt <natverk@example.org> wrote:",
        "On Tue, Nov 24, 2026 at 10:02 AM Träffpunkt <natverk@example.org>\nwrote:",
        "24 nov. 2026 kl. 10:02 skrev Träffpunkt <natverk@example.org>:",
        "On 24 Nov 2026, at 10:02, Träffpunkt <natverk@example.org> wrote:",
        "Den 2026-11-24 kl. 10:02, skrev Träffpunkt:",
        "24.11.2026 kello 10.02 Träffpunkt <natverk@example.org> kirjoitti:",
    ],
)
def test_attribution_line_and_quote_below_are_cut(attribution: str) -> None:
    text = f"{NEW}\n\n{attribution}\n\n{quoted(INVITATION_SV)}\n"
    assert strip_quotes(text) == NEW


@pytest.mark.parametrize(
    "block",
    [
        "Från: Träffpunkt <natverk@example.org>\nSkickat: den 24 november 2026 10:02\nTill: Anna Andersson\n"
        "Ämne: Inbjudan till träffen",
        "Lähettäjä: Träffpunkt <natverk@example.org>\nLähetetty: tiistai 24. marraskuuta 2026 10.02\n"
        "Vastaanottaja: Anna Andersson\nAihe: Kutsu tapaamiseen",
        "From: Träffpunkt <natverk@example.org>\nSent: Tuesday, November 24, 2026 10:02 AM\n"
        "To: Anna Andersson\n"
        "Subject: Invitation",
        "________________________________\nFrom: Träffpunkt <natverk@example.org>\nSent: Tuesday\nTo: Anna",
        "-----Ursprungligt meddelande-----\nFrån: Träffpunkt",
        "-----Alkuperäinen viesti-----\nLähettäjä: Träffpunkt",
        "-----Original Message-----\nFrom: Träffpunkt",
    ],
)
def test_outlook_header_block_and_everything_after_it_are_cut(block: str) -> None:
    text = f"{NEW}\n\n{block}\n\n{INVITATION_SV}\n"
    assert strip_quotes(text) == NEW


def test_quoted_lines_without_attribution_are_dropped() -> None:
    assert strip_quotes(f"Nej tyvärr.\n\n{quoted(INVITATION_SV)}") == "Nej tyvärr."


def test_history_of_thousands_of_lines_leaves_the_answer_on_top_and_none_of_the_history() -> None:
    # Only the first MAX_INPUT_LINES lines are classified; the answer and the start of the history are there.
    history = "\n".join(f"Rad {i} av en lång lista utan citattecken" for i in range(MAX_INPUT_LINES * 5))
    text = f"Ja, jag kommer.\n\nDen 2026-11-24 kl. 10:02, skrev Träffpunkt:\n{history}"
    assert strip_quotes(text) == "Ja, jag kommer."


def test_bottom_posted_answer_below_the_quote_is_kept() -> None:
    text = f"Den 2026-11-24 kl. 10:02, skrev Träffpunkt:\n{quoted(INVITATION_SV)}\n\nJa, jag kommer."
    assert strip_quotes(text) == "Ja, jag kommer."


def test_interleaved_answer_keeps_new_text_and_drops_quotes() -> None:
    text = "> Svara JA, NEJ eller KANSKE\nJa!\n\n> Kost:\nVegetarisk"
    assert strip_quotes(text) == "Ja!\n\nVegetarisk"
    assert strip_quotes(text, keep_inline_quotes=True) == text


@pytest.mark.parametrize(
    "signature",
    [
        "Skickat från min iPhone",
        "Lähetetty iPhonesta",
        "Sent from my iPhone",
        "Sent from Outlook for Android",
        "Hämta Outlook för iOS<https://aka.ms/o0ukef>",
        "Get Outlook for iOS",
        "Lähetetty Android-puhelimesta",
        "Skickat från Outlook för Android",
    ],
)
def test_phone_signature_lines_are_removed(signature: str) -> None:
    assert strip_quotes(f"{NEW}\n\n{signature}\n") == NEW


def test_signature_after_dash_dash_space_is_cut() -> None:
    text = f"{NEW}\n-- \nAnna Andersson\nKulturföreningen Kärnan\n+46 70 123 45 67"
    assert strip_quotes(text) == NEW


def test_disclaimer_paragraph_is_cut() -> None:
    text = f"{NEW}\n\nThis e-mail and any attachments may contain confidential information intended only for"
    assert strip_quotes(text) == NEW


def test_text_mentioning_a_date_and_wrote_is_not_an_attribution() -> None:
    text = "Ja! Jag skrev till Pekka den 3.12 kl 18:00 om lokalen.\nVi ses."
    assert strip_quotes(text) == text


def test_lines_inside_a_code_fence_are_kept() -> None:
    text = "Se här:\n```\n----\n> not a quote\n```\nSlut."
    assert strip_quotes(text) == text


def test_empty_text_gives_empty_body() -> None:
    assert strip_quotes("  \n\n") == ""


def test_google_calendar_sentence_is_not_the_members_text() -> None:
    text = (
        "Anna Andersson has accepted this invitation.\n\nTräffpunkt december\nInvitation from Google Calendar"
    )
    assert strip_calendar_text(text) == ""
    assert (
        strip_calendar_text("Ser fram emot det!\n\nAnna har accepterat den här inbjudan.")
        == "Ser fram emot det!"
    )
