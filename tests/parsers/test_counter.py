"""A METHOD:COUNTER ("propose a new time") is read as a question with the proposed time, never an answer."""

from __future__ import annotations

from counter_mail import COUNTER, counter_mail

from parsers import parse_reply
from parsers.counter import parse_interval, read_counter


def test_the_proposed_time_is_read_from_dtstart_and_dtend() -> None:
    proposal = read_counter(COUNTER)
    assert proposal is not None
    assert proposal.uid == "traffpunkt-2026-12-03@kulturnatverket.fi"
    assert proposal.comment == "Kan vi börja en timme senare?"
    start, end = parse_interval(proposal.describe())
    assert start is not None and end is not None
    assert (start.isoformat(), end.isoformat()) == ("2026-12-03T16:00:00+00:00", "2026-12-03T18:00:00+00:00")


def test_a_reply_calendar_is_no_counter() -> None:
    assert read_counter(COUNTER.replace("METHOD:COUNTER", "METHOD:REPLY")) is None
    assert read_counter("BEGIN:VCALENDAR\r\nMETHOD:COUNTER\r\nbroken") is None


def test_a_counter_mail_is_a_question_and_carries_no_answer_even_when_auto_submitted() -> None:
    parsed = parse_reply(counter_mail())
    assert parsed.category == "reply" and parsed.question
    assert parsed.rsvp is None and parsed.guests == 0
    assert parsed.why["counter"].startswith("2026-12-03T16:00:00+00:00/")
    assert parsed.why["question"] == "Kan vi börja en timme senare?"
    assert parsed.to_json_dict()["question"] is True
