"""Why a message was quarantined, in the coordinator's language (the digest's "Orsak:" / "Syy:" line)."""

from __future__ import annotations

# The English reasons the handler and the inbox record, with {} for the part that is kept as it is (an address,
# a date, a size), and what they say in Swedish and Finnish. A reason not listed here is shown as recorded.
_REASONS: tuple[tuple[str, str, str], ...] = (
    ("{} is not a member", "{} är inte medlem", "{} ei ole jäsen"),
    ("{} is not an active member ({})", "{} är inte aktiv medlem ({})", "{} ei ole aktiivinen jäsen ({})"),
    ("reply token of another member", "en annan medlems svarskod", "toisen jäsenen vastauskoodi"),
    ("no reply token and sender not authenticated", "ingen svarskod och avsändaren är inte verifierad",
     "ei vastauskoodia, eikä lähettäjää ole varmennettu"),
    ("memo notes from {}, who is not a coordinator", "anteckningar från {}, som inte är koordinator",
     "muistiinpanot lähettäjältä {}, joka ei ole koordinaattori"),
    ("memo notes without the coordinator's token from an unverified sender",
     "anteckningar utan koordinatorns kod från en overifierad avsändare",
     "muistiinpanot ilman koordinaattorin tunnistetta varmentamattomalta lähettäjältä"),
    ("an approval, but there is no memo draft waiting", "ett godkännande, men inget utkast väntar",
     "hyväksyntä, mutta mikään luonnos ei odota"),
    ("memo notes, but no past meeting to attach them to", "anteckningar, men ingen tidigare träff att koppla dem till",
     "muistiinpanot, mutta ei aiempaa tapaamista, johon ne liittyisivät"),
    ("memo mail without notes", "mejl till anteckningsadressen utan anteckningar",
     "viesti muistio-osoitteeseen ilman muistiinpanoja"),
    ("no upcoming meeting to apply the reply to", "ingen kommande träff som svaret kan gälla",
     "ei tulevaa tapaamista, jota vastaus voisi koskea"),
    ("no answer, topic or diet found in the text", "inget svar, ärende eller specialkost i texten",
     "tekstistä ei löytynyt vastausta, aihetta eikä ruokavaliota"),
    ("an answer for the meeting {}, which is over", "ett svar för träffen {}, som redan har varit",
     "vastaus tapaamiseen {}, joka on jo pidetty"),
    ("an answer for the meeting {}, which is cancelled", "ett svar för träffen {}, som är inställd",
     "vastaus tapaamiseen {}, joka on peruttu"),
    ("the meeting {} is over and no next one is planned", "träffen {} har redan varit och ingen ny är planerad",
     "tapaaminen {} on jo pidetty, eikä seuraavaa ole suunniteltu"),
    ("the meeting {} is cancelled and no next one is planned", "träffen {} är inställd och ingen ny är planerad",
     "tapaaminen {} on peruttu, eikä seuraavaa ole suunniteltu"),
    ("a bounce that names no failed address", "en studs som inte nämner någon adress",
     "palautusviesti, joka ei nimeä epäonnistunutta osoitetta"),
    ("a bounce that does not prove it answers our mail", "en studs som inte visar att den gäller vårt mejl",
     "palautusviesti, joka ei osoita koskevansa meidän viestiämme"),
    ("a join request without a sender address", "en begäran om att gå med utan avsändaradress",
     "liittymispyyntö ilman lähettäjän osoitetta"),
    ("a join request from {}, not one plain address", "en begäran om att gå med från {}, inte en enkel adress",
     "liittymispyyntö lähettäjältä {}, joka ei ole yksi tavallinen osoite"),
    ("a join confirmation from another address than the request",
     "en bekräftelse från en annan adress än begäran", "vahvistus eri osoitteesta kuin pyyntö"),
    ("answers for other members from {}, who is not a coordinator",
     "svar för andra medlemmar från {}, som inte är koordinator",
     "vastauksia muiden jäsenten puolesta lähettäjältä {}, joka ei ole koordinaattori"),
    ("answers for other members without the coordinators' token from an unverified sender",
     "svar för andra medlemmar utan koordinatorernas kod från en overifierad avsändare",
     "vastauksia muiden jäsenten puolesta ilman koordinaattorien tunnistetta varmentamattomalta lähettäjältä"),
    ("an answer to the digest without lines like 'Anna Berg: ja'",
     "ett svar på sammandraget utan rader som 'Anna Berg: ja'",
     "vastaus yhteenvetoon ilman rivejä kuten 'Anna Berg: kyllä'"),
    ("answers for other members, but no upcoming meeting", "svar för andra medlemmar, men ingen kommande träff",
     "vastauksia muiden jäsenten puolesta, mutta ei tulevaa tapaamista"),
    ("message is {}, over mail.max_message_bytes ({})", "meddelandet är {}, över gränsen mail.max_message_bytes ({})",
     "viesti on {}, yli rajan mail.max_message_bytes ({})"),
    ("text is not readable (binary or wrong charset)", "texten går inte att läsa (binär eller fel teckenkodning)",
     "tekstiä ei voi lukea (binääriä tai väärä merkistö)"),
    ("no text part", "ingen textdel", "ei tekstiosaa"),
    ("empty message", "tomt meddelande", "tyhjä viesti"),
    ("unreadable message: {}", "oläsligt meddelande: {}", "lukukelvoton viesti: {}"),
    ("bounce: {}", "studs: {}", "palautus: {}"),
    ("handling was interrupted twice: the daemon stopped while reading it",
     "behandlingen avbröts två gånger: tjänsten stannade medan den läste meddelandet",
     "käsittely keskeytyi kahdesti: palvelu pysähtyi lukiessaan viestiä"),
)


def _fill(pattern: str, text: str) -> list[str] | None:
    """The parts of `text` that stand for the {} of `pattern`, or None when it does not match (linear time)."""
    pieces = pattern.split("{}")
    if not text.startswith(pieces[0]) or not text.endswith(pieces[-1]):
        return None
    parts: list[str] = []
    at, end = len(pieces[0]), len(text) - len(pieces[-1])
    for piece in pieces[1:-1]:
        found = text.find(piece, at, end)
        if found < 0:
            return None
        parts.append(text[at:found])
        at = found + len(piece)
    if len(pieces) > 1:
        parts.append(text[at:end])
    elif at != len(text):
        return None
    return parts if all(parts) or len(pieces) == 1 else None


def translate(reason: str, language: str) -> str:
    """`reason` in `language` (sv, fi); English, and any reason not known here, as recorded."""
    column = {"sv": 1, "fi": 2}.get(language)
    if column is None or not reason:
        return reason
    for row in _REASONS:
        parts = _fill(row[0], reason)
        if parts is not None:
            return row[column].format(*parts)
    return reason
