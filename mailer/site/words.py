"""The site's words per language, and its text helpers: e-mail addresses redacted, notes as HTML."""

from __future__ import annotations

import re
from collections.abc import Iterable

from markupsafe import Markup, escape

from mailer.outbound import notes

#: The site's words per language ("{...}" are filled in by publish).
WORDS: dict[str, dict[str, str]] = {
    "sv": {
        "skip": "Hoppa till innehållet", "next": "Nästa träff",
        "no_next": "Ingen kommande träff är inplanerad.",
        "time": "Tid", "place": "Plats", "online": "På distans", "theme": "Tema", "speaker": "Gästtalare",
        "cancelled": "Inställd", "cancelled_notice": "Träffen {date} är inställd.",
        "add_calendar": "Lägg till i kalendern", "how_join": "Så här kommer du med",
        "join_heading": "Vill du vara med?",
        "join_text": "Träffarna är öppna för alla som är intresserade. Skicka ett e-postmeddelande till "
                     "{address} med ämnet ”{subject}” så får du ett meddelande att bekräfta, och sedan "
                     "inbjudningarna till träffarna.",
        "join_button": "Gå med i nätverket", "join_subject": "gå med",
        "upcoming": "Kommande träffar", "archive": "Tidigare träffar",
        "no_archive": "Inga tidigare träffar ännu.",
        "memo": "Minnesanteckningar", "memo_title": "Minnesanteckningar från träffen {date}",
        "approved": "Godkända {date}", "participants": "Anmälda till träffen", "present": "Närvarande",
        "back": "Alla träffar",
        "follow": "Följ träffarna",
        "ics_link": "Kalender (iCalendar)",
        "ics_text": "alla träffar i din kalenderapp, uppdateras automatiskt",
        "atom_link": "Nyhetsflöde (Atom)",
        "atom_text": "inbjudningar och minnesanteckningar för bloggar och flödesläsare",
        "invitation_entry": "Inbjudan: {title}, {when}", "cancelled_entry": "Inställd: {title}, {when}",
        "memo_entry": "Minnesanteckningar: {title}, {date}", "redacted": "[adress borttagen]",
        "footer": "Sidan uppdateras automatiskt av traffpunkt.",
    },
    "fi": {
        "skip": "Siirry sisältöön", "next": "Seuraava tapaaminen",
        "no_next": "Seuraavaa tapaamista ei ole vielä sovittu.",
        "time": "Aika", "place": "Paikka", "online": "Etänä", "theme": "Teema",
        "speaker": "Vieraileva puhuja",
        "cancelled": "Peruttu", "cancelled_notice": "Tapaaminen {date} on peruttu.",
        "add_calendar": "Lisää kalenteriin", "how_join": "Näin pääset mukaan",
        "join_heading": "Haluatko mukaan?",
        "join_text": "Tapaamiset ovat avoimia kaikille kiinnostuneille. Lähetä sähköpostia osoitteeseen "
                     "{address} otsikolla ”{subject}”, niin saat vahvistettavan viestin ja sen jälkeen "
                     "kutsut tapaamisiin.",
        "join_button": "Liity verkostoon", "join_subject": "liity",
        "upcoming": "Tulevat tapaamiset", "archive": "Aiemmat tapaamiset",
        "no_archive": "Ei vielä aiempia tapaamisia.",
        "memo": "Muistio", "memo_title": "Muistio tapaamisesta {date}",
        "approved": "Hyväksytty {date}", "participants": "Tapaamiseen ilmoittautuneet", "present": "Paikalla",
        "back": "Kaikki tapaamiset", "follow": "Seuraa tapaamisia",
        "ics_link": "Kalenteri (iCalendar)",
        "ics_text": "kaikki tapaamiset kalenterisovellukseesi, päivittyy automaattisesti",
        "atom_link": "Syöte (Atom)", "atom_text": "kutsut ja muistiot blogeille ja syötteenlukijoille",
        "invitation_entry": "Kutsu: {title}, {when}", "cancelled_entry": "Peruttu: {title}, {when}",
        "memo_entry": "Muistio: {title}, {date}", "redacted": "[osoite poistettu]",
        "footer": "Sivu päivittyy automaattisesti (traffpunkt).",
    },
    "en": {
        "skip": "Skip to content", "next": "Next meeting", "no_next": "No meeting is planned yet.",
        "time": "Time", "place": "Place", "online": "Online", "theme": "Theme", "speaker": "Guest speaker",
        "cancelled": "Cancelled", "cancelled_notice": "The meeting on {date} is cancelled.",
        "add_calendar": "Add to calendar", "how_join": "How to join",
        "join_heading": "Would you like to join?",
        "join_text": "The meetings are open to everyone interested. Send an e-mail to {address} with the "
                     "subject “{subject}”: you get a message to confirm, and then the invitations.",
        "join_button": "Join the network", "join_subject": "join",
        "upcoming": "Upcoming meetings", "archive": "Past meetings", "no_archive": "No past meetings yet.",
        "memo": "Memo", "memo_title": "Memo of the meeting on {date}",
        "approved": "Approved {date}", "participants": "Signed up for the meeting", "present": "Present",
        "back": "All meetings",
        "follow": "Follow the meetings",
        "ics_link": "Calendar (iCalendar)", "ics_text": "every meeting in your calendar app, kept up to date",
        "atom_link": "News feed (Atom)", "atom_text": "invitations and memos for blogs and feed readers",
        "invitation_entry": "Invitation: {title}, {when}", "cancelled_entry": "Cancelled: {title}, {when}",
        "memo_entry": "Memo: {title}, {date}", "redacted": "[address removed]",
        "footer": "This page is updated automatically by traffpunkt.",
    },
}

_ADDRESS = re.compile(r"(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]+@[\w-]+(?:\.[\w-]+)+", re.UNICODE)
_URL = re.compile(r"\bhttps?://[^\s<>\"]+[^\s<>\".,;:!?)\]'”’]")


def redact_addresses(text: str, allowed: Iterable[str], replacement: str) -> str:
    """Replace every e-mail address in `text` except the `allowed` ones (the network's own addresses)."""
    keep = {a.lower() for a in allowed}
    return _ADDRESS.sub(lambda m: m[0] if m[0].lower() in keep else replacement, text)


def _linkify(text: str) -> Markup:
    out: list[str] = []
    pos = 0
    for m in _URL.finditer(text):
        out.append(escape(text[pos:m.start()]))
        out.append(Markup('<a href="{0}">{0}</a>').format(m[0]))
        pos = m.end()
    out.append(escape(text[pos:]))
    return Markup("").join(out)


def notes_html(text: str) -> Markup:
    """The coordinator's notes as HTML paragraphs (wrapped lines joined, list items kept, addresses linked)."""
    return Markup("\n").join(
        Markup("<p>{}</p>").format(Markup("<br>\n").join(_linkify(line) for line in block))
        for block in notes.blocks(text))
