"""Joining and leaving the mailing list in everyday Swedish: "vill ut ur sändlistan", "vara med i utskicket";
leaving something else ("ut ur styrelsen") is no leave."""

from __future__ import annotations

import pytest

from parsers.intent import read_intent


@pytest.mark.parametrize(
    ("text", "command"),
    [("Jag vill ut ur sändlistan. Tack för allt under åren!", "leave"),
     ("Hej, jag vill gärna vara med i utskicket. Jag driver en liten ateljé i Visby. /Malin", "join")],
)
def test_a_list_request_in_everyday_words_is_read(text: str, command: str) -> None:
    reading = read_intent(text)
    assert (reading.command, "command" in reading.unsure) == (command, False)


def test_wanting_out_of_something_else_is_no_leave() -> None:
    reading = read_intent("Jag kommer, men jag vill ut ur styrelsen.")
    assert (reading.rsvp, reading.command) == ("yes", None)
