"""`parse_reply` reads only the member's own words; quoted invitations never answer for them."""

from __future__ import annotations

import json

from _mails import INVITATION_SV, html_only, plain, quoted

from parsers import ParsedReply, parse_reply
from parsers.reply import CONTRACT_FIELDS

ATTRIBUTION = "Den tis 24 nov. 2026 kl 10:02 skrev Träffpunkt <natverk@example.org>:"


def test_quoted_svara_ja_in_invitation_is_not_a_yes() -> None:
    reply = parse_reply(plain(f"Tack för infon!\n\n{ATTRIBUTION}\n\n{quoted(INVITATION_SV)}"))
    assert reply.rsvp is None
    assert reply.guests == 0
    assert reply.topics == () and reply.dietary is None
    assert reply.body == "Tack för infon!"


def test_reply_that_is_only_the_quoted_invitation_is_an_empty_reply() -> None:
    reply = parse_reply(plain(f"{ATTRIBUTION}\n\n{quoted(INVITATION_SV)}"))
    assert (reply.category, reply.rsvp, reply.body, reply.language) == ("reply", None, "", None)
    assert reply.reason == "no new text"


def test_mail_with_no_text_at_all_is_unknown() -> None:
    reply = parse_reply(plain(""))
    assert (reply.category, reply.reason) == ("unknown", "empty message")


def test_html_blockquoted_invitation_is_not_read() -> None:
    html = (
        f"<div>Nej tack.</div><blockquote type='cite'>{INVITATION_SV.replace(chr(10), '<br>')}</blockquote>"
    )
    reply = parse_reply(html_only(html))
    assert (reply.rsvp, reply.body) == ("no", "Nej tack.")


def test_command_only_mail_is_a_command_without_rsvp() -> None:
    reply = parse_reply(plain("Ta bort mig från listan, tack.", subject="Avregistrering"))
    assert (reply.category, reply.command, reply.rsvp) == ("command", "leave", None)


def test_rsvp_with_topic_stays_a_reply() -> None:
    reply = parse_reply(plain("Ja!\nÄrende: Gemensam lokal"))
    assert (reply.category, reply.rsvp, reply.topics) == ("reply", "yes", ("Gemensam lokal",))


def test_parsed_reply_is_frozen() -> None:
    reply = parse_reply(plain("Ja"))
    assert isinstance(reply, ParsedReply)
    try:
        reply.rsvp = "no"  # type: ignore[misc]
    except AttributeError:
        pass
    else:  # pragma: no cover
        raise AssertionError("ParsedReply must be frozen")


def test_json_dict_has_the_contract_fields_first_and_serialises() -> None:
    data = parse_reply(plain("Ja, vi blir två.\nKost: vegetarisk")).to_json_dict()
    assert list(data)[: len(CONTRACT_FIELDS)] == list(CONTRACT_FIELDS)
    assert data["tokens"] == ["tp42-7-abcdefghjkmn"]
    assert data["date"] == "2026-11-24T10:15:00+01:00"
    json.dumps(data)
