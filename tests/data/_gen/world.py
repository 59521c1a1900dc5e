"""The people, meetings and traffpunkt invitations that the corpus replies to."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from mimekit import CET, DOMAIN, EET, LIST_ADDR, esc, rfc_date, token_for


@dataclass(frozen=True)
class Member:
    id: int
    name: str
    email: str
    lang: str  # the language traffpunkt writes to this member in
    tz: str = "fi"  # "fi" (EET) or "se" (CET)

    @property
    def first(self) -> str:
        return self.name.split(" ")[0]

    @property
    def tzinfo(self):  # type: ignore[no-untyped-def]
        return CET if self.tz == "se" else EET


M: dict[str, Member] = {}


def _m(key: str, id_: int, name: str, email: str, lang: str, tz: str = "fi") -> None:
    M[key] = Member(id_, name, email, lang, tz)


# Finland-Swedish members
_m("anna", 42, "Anna Andersson", "anna.andersson@gmail.com", "sv")
_m("asa", 17, "Åsa Öberg", "asa.oberg@gmail.com", "sv")
_m("jorn", 23, "Jörn Lindqvist", "jorn@lindqvist.nu", "sv")
_m("mikaela", 31, "Mikaela Holmström", "mikaela.holmstrom@teaterlykta.fi", "sv")
_m("johan", 8, "Johan Sjöberg", "johan.sjoberg@outlook.com", "sv")
_m("linnea", 56, "Linnéa Granqvist", "linnea.granqvist@dansverkstan.fi", "sv")
_m("fredrik", 64, "Fredrik Wikström", "fredrik.wikstrom@icloud.com", "sv")
_m("sanna_b", 71, "Sanna Björklund", "sanna.bjorklund@galleriskara.fi", "sv")
_m("camilla", 77, "Camilla Nyström", "camilla@dansverkstan.fi", "sv")
_m("peter", 85, "Peter Lindholm", "peter.lindholm@gmail.com", "sv")
_m("ulrika", 92, "Ulrika Enckell", "ulrika.enckell@festivalnorrsken.fi", "sv")
_m("henrik", 103, "Henrik Grönroos", "henrik.gronroos@kolumbus.fi", "sv")
_m("matilda", 110, "Matilda Strömberg", "matilda.stromberg@hotmail.com", "sv")
_m("niklas", 118, "Niklas Forsman", "niklas.forsman@gmail.com", "sv")
_m("maja", 124, "Maja Sundqvist", "maja.sundqvist@gmail.com", "sv")
_m("bengt", 131, "Bengt Åkerlund", "bengt.akerlund@parnet.fi", "sv")
_m("oskar", 137, "Oskar Ekholm", "oskar.ekholm@proton.me", "sv")
_m("stina", 144, "Stina Wahlroos", "stina.wahlroos@teaterlykta.fi", "sv")
_m("tove", 147, "Tove Lindberg", "tove.lindberg@gmail.com", "sv")
# Swedish members (Sweden)
_m("karin", 150, "Karin Löfgren", "karin.lofgren@telia.com", "sv", "se")
_m("ebba", 155, "Ebba Håkansson", "ebba.hakansson@bredband.net", "sv", "se")
_m("sofia", 166, "Sofia Lundgren", "sofia.lundgren@scenkonstsyd.se", "sv", "se")
_m("gustav", 171, "Gustav Ek", "gustav.ek@outlook.com", "sv", "se")
# Finnish members
_m("paivi", 12, "Päivi Mäkelä", "paivi.makela@gmail.com", "fi")
_m("jussi", 19, "Jussi Heikkinen", "jussi.heikkinen@valotaide.fi", "fi")
_m("sanna_j", 27, "Sanna Järvinen", "sanna.jarvinen@tanssiryhma-aalto.fi", "fi")
_m("tuomas", 35, "Tuomas Niemi", "tuomas.niemi@kolumbus.fi", "fi")
_m("riikka", 44, "Riikka Häkkinen", "riikka.hakkinen@teatterikipina.fi", "fi")
_m("mikko", 51, "Mikko Lähteenmäki", "mikko.lahteenmaki@gmail.com", "fi")
_m("aino", 59, "Aino Väisänen", "aino.vaisanen@gmail.com", "fi")
_m("eeva", 66, "Eeva-Liisa Koskinen", "eeva-liisa.koskinen@kulttuuritalokajo.fi", "fi")
_m("antti", 73, "Antti Räsänen", "antti.rasanen@elisanet.fi", "fi")
_m("heidi", 81, "Heidi Öhman", "heidi.ohman@outlook.com", "fi")
_m("jp", 88, "Juha-Pekka Söderholm", "jp.soderholm@sirkuskaari.fi", "fi")
_m("liisa", 95, "Liisa Pöyhönen", "liisa.poyhonen@welho.com", "fi")
_m("ville", 101, "Ville Kääriäinen", "ville.kaariainen@luukku.com", "fi")
_m("kaisa", 108, "Kaisa Jääskeläinen", "kaisa.jaaskelainen@taidekoulu-ilmio.fi", "fi")
_m("teemu", 115, "Teemu Ylönen", "teemu.ylonen@gmail.com", "fi")
_m("hanna", 122, "Hanna Rautio", "hanna.rautio@hotmail.com", "fi")
_m("minna", 129, "Minna Hyvönen", "minna.hyvonen@kulttuuritalokajo.fi", "fi")
_m("petra", 139, "Petra Nurmi", "petra.nurmi@gmail.com", "fi")
_m("juha", 145, "Juha Korhonen", "juha.korhonen@teatterikipina.fi", "fi")
_m("outi", 152, "Outi Leppänen", "outi.leppanen@elisanet.fi", "fi")
# English-speaking members
_m("sarah", 14, "Sarah O'Connor", "sarah.oconnor@gmail.com", "en")
_m("david", 21, "David Murphy", "david.murphy@festivalnorrsken.fi", "en")
_m("laura", 29, "Laura Bennett", "laura.bennett@gmail.com", "en")
_m("tomasz", 38, "Tomasz Nowak", "tomasz.nowak@kolumbus.fi", "en")
_m("elena", 47, "Elena García", "elena.garcia@outlook.com", "en")
_m("marco", 53, "Marco Rossi", "marco.rossi@gmail.com", "en")
_m("priya", 61, "Priya Raman", "priya.raman@gmail.com", "en")
_m("james", 69, "James Whitfield", "james.whitfield@kulttuuritalokajo.fi", "en")
_m("chloe", 75, "Chloé Dubois", "chloe.dubois@gmail.com", "en")
_m("ana", 83, "Ana Silva", "ana.silva@outlook.com", "en")
_m("kenji", 90, "Kenji Watanabe", "kenji.watanabe@proton.me", "en")
_m("ruth", 97, "Ruth Abebe", "ruth.abebe@gmail.com", "en")
_m("mark", 105, "Mark Jensen", "mark.jensen@galleriskara.fi", "en")
_m("emma", 112, "Emma Clarke", "emma.clarke@icloud.com", "en")
_m("nikolai", 120, "Nikolai Petrov", "nikolai.petrov@gmail.com", "en")
_m("olga", 127, "Olga Ivanova", "olga.ivanova@yahoo.com", "en")
_m("ben", 133, "Ben Carter", "ben.carter@gmail.com", "en")
_m("ines", 141, "Inês Costa", "ines.costa@outlook.com", "en")


# --------------------------------------------------------------------------- meetings
@dataclass(frozen=True)
class Meeting:
    key: str
    number: int
    sent: datetime  # when the invitation went out
    reminder_sent: datetime


MEETINGS = {
    "A": Meeting("A", 7, datetime(2026, 11, 26, 10, 2, 11, tzinfo=EET), datetime(2026, 12, 1, 9, 0, 4, tzinfo=EET)),
    "B": Meeting("B", 8, datetime(2027, 1, 5, 9, 30, 42, tzinfo=EET), datetime(2027, 1, 11, 9, 0, 3, tzinfo=EET)),
    "C": Meeting("C", 9, datetime(2026, 11, 24, 8, 15, 27, tzinfo=EET), datetime(2026, 12, 3, 9, 0, 2, tzinfo=EET)),
    "D": Meeting("D", 10, datetime(2026, 11, 25, 15, 15, 9, tzinfo=EET), datetime(2026, 12, 4, 9, 0, 5, tzinfo=EET)),
    "OLD": Meeting("OLD", 6, datetime(2026, 10, 20, 10, 0, 37, tzinfo=EET), datetime(2026, 10, 26, 9, 0, 1, tzinfo=EET)),
}

SUBJECTS = {
    ("A", "sv"): "Inbjudan: Nätverksträff torsdag 3.12 kl. 17.00 – Kulturhuset Caisa",
    ("A", "fi"): "Kutsu: Verkostotapaaminen torstaina 3.12. klo 17.00 – Kulttuurikeskus Caisa",
    ("A", "en"): "Invitation: Network meeting Thursday 3 December at 17:00 – Caisa Cultural Centre",
    ("B", "sv"): "Inbjudan: Nätverksträff torsdag 14.1 kl. 16.30 – Kabelfabriken",
    ("B", "fi"): "Kutsu: Verkostotapaaminen torstaina 14.1. klo 16.30 – Kaapelitehdas",
    ("B", "en"): "Invitation: Network meeting Thursday 14 January at 16:30 – Cable Factory",
    ("C", "sv"): "Inbjudan: Nätverksträff tisdag 8.12 kl. 17.30 – Logomo, Åbo",
    ("C", "fi"): "Kutsu: Verkostotapaaminen tiistaina 8.12. klo 17.30 – Logomo, Turku",
    ("C", "en"): "Invitation: Network meeting Tuesday 8 December at 17:30 – Logomo, Turku",
    ("D", "sv"): "Inbjudan: Nätverksträff onsdag 9 december kl. 18.00 – Dansens Hus, Stockholm",
    ("D", "en"): "Invitation: Network meeting Wednesday 9 December at 18:00 – Dansens Hus, Stockholm",
    ("OLD", "sv"): "Inbjudan: Nätverksträff torsdag 29.10 kl. 17.00 – Kulturhuset Caisa",
    ("OLD", "fi"): "Kutsu: Verkostotapaaminen torstaina 29.10. klo 17.00 – Kulttuurikeskus Caisa",
}

REMINDER_PREFIX = {"sv": "Påminnelse: ", "fi": "Muistutus: ", "en": "Reminder: "}

# event titles (ICS SUMMARY) used by calendar replies
SUMMARIES = {
    # meeting A: SUMMARY is the configured title and theme, in the network's language for everyone
    ("A", "sv"): "Nätverksträff: Årets sista träff: hur går vi vidare 2027?",
    ("A", "fi"): "Nätverksträff: Årets sista träff: hur går vi vidare 2027?",
    ("A", "en"): "Nätverksträff: Årets sista träff: hur går vi vidare 2027?",
    ("B", "sv"): "Nätverksträff – Kabelfabriken",
    ("B", "fi"): "Verkostotapaaminen – Kaapelitehdas",
    ("B", "en"): "Network meeting – Cable Factory",
}

EVENT_TIMES = {
    "A": (datetime(2026, 12, 3, 17, 0, tzinfo=EET), datetime(2026, 12, 3, 19, 0, tzinfo=EET)),
    "B": (datetime(2027, 1, 14, 16, 30, tzinfo=EET), datetime(2027, 1, 14, 18, 30, tzinfo=EET)),
}


def _body_A(lang: str, first: str) -> str:
    if lang == "sv":
        return f"""Hej {first}!

Välkommen till nätverksträffen torsdag 3.12 kl. 17.00–19.00 på Kulturhuset Caisa, Helsingfors.

Preliminär agenda:
- Nytt från medlemmarna
- Gemensam ansökan till Svenska kulturfonden
- Vårens träffar

Svara JA, NEJ eller KANSKE på det här meddelandet. Tar du med någon, skriv hur många ni blir.
Vill du ta upp ett ärende? Skriv 'Ärende:' och ditt förslag.
Behöver du något eller har du något att erbjuda? Skriv 'Behöver:' eller 'Erbjuder:'.
Berätta gärna om du har specialkost.

Varmt välkommen!
Traffpunkt – Kulturnätverket
https://kulturnatverket.fi/traffar/2026-12-03"""
    if lang == "fi":
        return f"""Hei {first}!

Tervetuloa verkostotapaamiseen torstaina 3.12. klo 17.00–19.00 Kulttuurikeskus Caisaan, Helsinkiin.

Alustava asialista:
- Jäsenten kuulumiset
- Yhteinen hakemus Suomen Kulttuurirahastolle
- Kevään tapaamiset

Vastaa KYLLÄ, EI tai EHKÄ tähän viestiin. Jos tuot jonkun mukanasi, kerro montako teitä tulee.
Haluatko ottaa esille asian? Kirjoita 'Aihe:' ja ehdotuksesi.
Tarvitsetko jotain tai onko sinulla jotain tarjottavaa? Kirjoita 'Tarvitsen:' tai 'Tarjoan:'.
Kerro myös erityisruokavaliosta.

Tervetuloa!
Traffpunkt – Kulttuuriverkosto
https://kulturnatverket.fi/fi/tapaamiset/2026-12-03"""
    return f"""Hi {first}!

Welcome to the network meeting on Thursday 3 December, 17:00–19:00, at Caisa Cultural Centre, Helsinki.

Draft agenda:
- News from members
- Joint application to the Swedish Cultural Foundation
- Meetings in the spring

Reply YES, NO or MAYBE to this message. If you bring someone, tell us how many you will be.
Want to raise a topic? Write 'Topic:' and your proposal.
Need something or have something to offer? Write 'Need:' or 'Offer:'.
Tell us about dietary needs.

Welcome!
Traffpunkt – Kulturnätverket
https://kulturnatverket.fi/en/meetings/2026-12-03"""


def _body_B(lang: str, first: str) -> str:
    if lang == "sv":
        return f"""Hej {first}!

Årets första nätverksträff är torsdag 14.1 kl. 16.30–18.30 i Kabelfabriken, mötesrum Pannhuset, Helsingfors.

På agendan:
- Årsmötet i mars
- Kabelfabrikens nya hyresmodell
- Gemensam marknadsföring inför våren

Svara JA, NEJ eller KANSKE på det här meddelandet. Tar du med någon, skriv hur många ni blir.
Vill du ta upp ett ärende? Skriv 'Ärende:' och ditt förslag.
Berätta gärna om du har specialkost, vi bjuder på soppa.

Vill du inte längre få inbjudningar? Svara 'Ta bort mig från listan'.
Traffpunkt – Kulturnätverket"""
    if lang == "fi":
        return f"""Hei {first}!

Vuoden ensimmäinen verkostotapaaminen on torstaina 14.1. klo 16.30–18.30 Kaapelitehtaalla, kokoustila Pannuhuone, Helsinki.

Asialistalla:
- Vuosikokous maaliskuussa
- Kaapelitehtaan uusi vuokramalli
- Yhteinen markkinointi keväällä

Vastaa KYLLÄ, EI tai EHKÄ tähän viestiin. Jos tuot jonkun mukanasi, kerro montako teitä tulee.
Haluatko ottaa esille asian? Kirjoita 'Aihe:' ja ehdotuksesi.
Kerro myös erityisruokavaliosta, tarjolla on keittoa.

Et halua enää kutsuja? Vastaa 'Poista minut listalta'.
Traffpunkt – Kulttuuriverkosto"""
    return f"""Hi {first}!

The first network meeting of the year is on Thursday 14 January, 16:30–18:30, at the Cable Factory, meeting room Pannuhuone, Helsinki.

On the agenda:
- Annual meeting in March
- The Cable Factory's new rent model
- Joint marketing for the spring

Reply YES, NO or MAYBE to this message. If you bring someone, tell us how many you will be.
Want to raise a topic? Write 'Topic:' and your proposal.
Tell us about dietary needs; we will serve soup.

Don't want these invitations any more? Reply 'unsubscribe'.
Traffpunkt – Kulturnätverket"""


def _body_C(lang: str, first: str) -> str:
    if lang == "sv":
        return f"""Hej {first}!

Den här gången träffas vi i Åbo: tisdag 8.12 kl. 17.30–19.30 på Logomo, Köydenpunojankatu 14.
Vi samåker gärna från Helsingfors, hör av dig om du vill ha skjuts.

Svara JA, NEJ eller KANSKE på det här meddelandet.
Ärenden till agendan: skriv 'Ärende:' följt av ditt förslag.
Behöver du något eller har du något att erbjuda? Skriv 'Behöver:' eller 'Erbjuder:'.
Berätta gärna om du har specialkost.

Vi ses i Åbo!
Traffpunkt – Kulturnätverket"""
    if lang == "fi":
        return f"""Hei {first}!

Tällä kertaa tapaamme Turussa: tiistaina 8.12. klo 17.30–19.30 Logomossa, Köydenpunojankatu 14.
Helsingistä voi tulla kimppakyydillä, kerro jos tarvitset kyydin.

Vastaa KYLLÄ, EI tai EHKÄ tähän viestiin.
Asiat asialistalle: kirjoita 'Aihe:' ja ehdotuksesi.
Tarvitsetko jotain tai onko sinulla jotain tarjottavaa? Kirjoita 'Tarvitsen:' tai 'Tarjoan:'.
Kerro myös erityisruokavaliosta.

Nähdään Turussa!
Traffpunkt – Kulttuuriverkosto"""
    return f"""Hi {first}!

This time we meet in Turku: Tuesday 8 December, 17:30–19:30, at Logomo, Köydenpunojankatu 14.
We can share rides from Helsinki, let us know if you need one.

Reply YES, NO or MAYBE to this message.
Topics for the agenda: write 'Topic:' and your proposal.
Need something or have something to offer? Write 'Need:' or 'Offer:'.
Tell us about dietary needs.

See you in Turku!
Traffpunkt – Kulturnätverket"""


def _body_D(lang: str, first: str) -> str:
    if lang == "sv":
        return f"""Hej {first}!

Välkommen till nätverksträff onsdagen den 9 december kl. 18.00–20.00 på Dansens Hus i Stockholm.
Vi börjar med en kort visning av huset och fortsätter med mingel och samtal.

Svara JA, NEJ eller KANSKE på det här meddelandet. Tar du med någon, skriv hur många ni blir.
Vill du ta upp ett ärende? Skriv 'Ärende:' och ditt förslag.
Berätta gärna om du har specialkost.

Hjärtligt välkommen!
Traffpunkt – Kulturnätverket"""
    return f"""Hi {first}!

Welcome to the network meeting on Wednesday 9 December, 18:00–20:00, at Dansens Hus in Stockholm.
We start with a short tour of the house, followed by drinks and conversation.

Reply YES, NO or MAYBE to this message. If you bring someone, tell us how many you will be.
Want to raise a topic? Write 'Topic:' and your proposal.
Tell us about dietary needs.

Welcome!
Traffpunkt – Kulturnätverket"""


def _body_OLD(lang: str, first: str) -> str:
    if lang == "sv":
        return f"""Hej {first}!

Välkommen till nätverksträffen torsdag 29.10 kl. 17.00–19.00 på Kulturhuset Caisa, Helsingfors.

Svara JA, NEJ eller KANSKE på det här meddelandet.
Vill du ta upp ett ärende? Skriv 'Ärende:' och ditt förslag.

Traffpunkt – Kulturnätverket"""
    return f"""Hei {first}!

Tervetuloa verkostotapaamiseen torstaina 29.10. klo 17.00–19.00 Kulttuurikeskus Caisaan.

Vastaa KYLLÄ, EI tai EHKÄ tähän viestiin.
Haluatko ottaa esille asian? Kirjoita 'Aihe:' ja ehdotuksesi.

Traffpunkt – Kulttuuriverkosto"""


def _reminder(mtg: str, lang: str, first: str) -> str:
    subj = SUBJECTS[(mtg, lang)].split(": ", 1)[1]
    if lang == "sv":
        return f"""Hej {first}!

Vi har inte fått ditt svar ännu. {subj}.

Svara JA, NEJ eller KANSKE på det här meddelandet, så vet vi hur mycket mat vi ska beställa.
Vill du ta upp ett ärende? Skriv 'Ärende:' och ditt förslag.

Traffpunkt – Kulturnätverket"""
    if lang == "fi":
        return f"""Hei {first}!

Emme ole vielä saaneet vastaustasi. {subj}.

Vastaa KYLLÄ, EI tai EHKÄ tähän viestiin, niin tiedämme paljonko ruokaa tilataan.
Haluatko ottaa esille asian? Kirjoita 'Aihe:' ja ehdotuksesi.

Traffpunkt – Kulttuuriverkosto"""
    return f"""Hi {first}!

We haven't heard from you yet. {subj}.

Reply YES, NO or MAYBE to this message so we know how much food to order.
Want to raise a topic? Write 'Topic:' and your proposal.

Traffpunkt – Kulturnätverket"""


# ----------------------------------------------------------------------------------------------------------
# Meeting A is written exactly as traffpunkt's own templates (templates/<lang>/invitation.txt, reminder.txt,
# _answer.txt, _footer.txt) render it for config/network.example.toml: From "Kulturnätverket", a bare
# Reply-To plus address, mailto: answer links and a "-- " footer. B, C, D and OLD keep an older wording.
THEME = "Årets sista träff: hur går vi vidare 2027?"
GUEST = "Maria Lind, Kulturkontakt Nord"
_WORDS = {
    "sv": {"yes": "Ja", "no": "Nej", "maybe": "Kanske", "leave": "Avregistrera"},
    "fi": {"yes": "Kyll%C3%A4", "no": "En%20p%C3%A4%C3%A4se", "maybe": "Ehk%C3%A4", "leave": "Eroa"},
    "en": {"yes": "Yes", "no": "No", "maybe": "Maybe", "leave": "Leave"},
}


def _mailto(lang: str, token: str, what: str) -> str:
    return f"mailto:natverk+{token}@{DOMAIN}?subject={_WORDS[lang][what]}%20%5B{token}%5D"


def _real_answer(lang: str, token: str) -> str:
    y, n, m = (_mailto(lang, token, w) for w in ("yes", "no", "maybe"))
    if lang == "sv":
        return f"""Svara JA, NEJ eller KANSKE genom att svara på det här mejlet. Skriv gärna också
- om du tar med någon: "Vi blir två" eller "Jag tar med en kollega"
- om du har specialkost: "Kost: vegetarisk"
- om du vill ta upp något: "Ärende: gemensam bokningskalender"
- vad du behöver och kan erbjuda andra: "Behöver: ..." och "Erbjuder: ..."

Eller svara med ett klick – ditt e-postprogram öppnar ett färdigt svar som du skickar:
  JA:     {y}
  NEJ:    {n}
  KANSKE: {m}

Ändrar du dig svarar du bara på nytt; det senaste svaret gäller."""
    if lang == "fi":
        return f"""Vastaa KYLLÄ, EI tai EHKÄ vastaamalla tähän viestiin. Voit samalla kertoa
- tuotko jonkun mukanasi: "Meitä tulee kaksi" tai "Tuon mukanani kollegan"
- erityisruokavaliosta: "Ruokavalio: kasvis"
- asiasta, jonka haluat ottaa esille: "Aihe: yhteinen varauskalenteri"
- mitä tarvitset ja mitä voit tarjota muille: "Tarvitsen: ..." ja "Tarjoan: ..."

Tai vastaa yhdellä klikkauksella – sähköpostiohjelmasi avaa valmiin vastauksen, jonka lähetät:
  KYLLÄ: {y}
  EI:    {n}
  EHKÄ:  {m}

Jos mielesi muuttuu, vastaa uudelleen; viimeisin vastaus on voimassa."""
    return f"""Answer YES, NO or MAYBE by replying to this e-mail. You are welcome to add
- whether you bring anyone: "We will be two" or "I'm bringing a colleague"
- dietary needs: "Diet: vegetarian"
- something you would like to raise: "Topic: a shared booking calendar"
- what you need and what you can offer others: "Need: ..." and "Offer: ..."

Or answer with one click – your mail program opens a ready reply for you to send:
  YES:   {y}
  NO:    {n}
  MAYBE: {m}

If you change your mind, just reply again; the latest answer counts."""


def _real_footer(lang: str, token: str, address: str) -> str:
    leave = _mailto(lang, token, "leave")
    if lang == "sv":
        return "-- \n" + f"""Du får det här mejlet för att du finns på sändlistan för Kulturnätverket ({address}).
Vill du inte längre få inbjudningar? Svara med ordet AVREGISTRERA, eller: {leave}
Frågor? Skriv till koordinatorn: koordinator@kulturnatverket.fi
Träffarna på webben: https://kulturnatverket.fi/traffar"""
    if lang == "fi":
        return "-- \n" + f"""Saat tämän viestin, koska osoitteesi ({address}) on verkoston Kulturnätverket postituslistalla.
Etkö halua enää kutsuja? Vastaa sanalla EROA, tai: {leave}
Kysyttävää? Kirjoita koordinaattorille: koordinator@kulturnatverket.fi
Tapaamiset verkossa: https://kulturnatverket.fi/traffar"""
    return "-- \n" + f"""You receive this e-mail because {address} is on the Kulturnätverket mailing list.
No longer want invitations? Reply with the word LEAVE, or: {leave}
Questions? Write to the coordinator: koordinator@kulturnatverket.fi
The meetings on the web: https://kulturnatverket.fi/traffar"""


_REAL_MEETING = {
    "sv": f"När:    torsdag 3.12 kl. 17.00–19.00\nVar:    Kulturhuset Caisa, Kajsaniemigatan 4, Helsingfors\n"
          f"Tema:   {THEME}\nGäst:   {GUEST}",
    "fi": f"Aika:    torstaina 3.12. klo 17.00–19.00\nPaikka:  Kulturhuset Caisa, Kajsaniemigatan 4, Helsingfors\n"
          f"Teema:   {THEME}\nVieras:  {GUEST}",
    "en": f"When:   Thursday 3 December, 17:00–19:00\nWhere:  Kulturhuset Caisa, Kajsaniemigatan 4, Helsingfors\n"
          f"Theme:  {THEME}\nGuest:  {GUEST}",
}


def _real_invitation(lang: str, first: str, token: str, address: str) -> str:
    if lang == "sv":
        head = f"""Hej {first}!

Välkommen till nästa träff i Kulturnätverket, torsdag 3.12 kl. 17.00–19.00.
Den här gången är temat "{THEME}" och vår gäst är {GUEST}.

{_REAL_MEETING["sv"]}

Så här brukar träffen gå till
1. Presentationsrunda: vem är jag, vad gör jag och vad behöver jag just nu?
2. Aktuellt från medlemmarna – ärenden som ni har skickat in på förhand.
3. Diskussion kring temat.
4. Mat och dryck, och tid att prata vidare.

"""
        tail = """

Inbjudan finns också som kalenderbokning i mejlet. Svarar du i kalendern
(Acceptera/Avböj) räknas det lika som ett svar med JA eller NEJ.

Varmt välkommen!
Kulturnätverket

"""
    elif lang == "fi":
        head = f"""Hei {first}!

Tervetuloa verkoston seuraavaan tapaamiseen torstaina 3.12. klo 17.00–19.00.
Tällä kertaa teemana on "{THEME}", ja vieraanamme on {GUEST}.

{_REAL_MEETING["fi"]}

Näin tapaaminen yleensä etenee
1. Esittelykierros: kuka olen, mitä teen ja mitä tarvitsen juuri nyt?
2. Ajankohtaista jäseniltä – asiat, jotka olette lähettäneet etukäteen.
3. Keskustelu teemasta.
4. Ruokaa ja juomaa sekä aikaa jutella lisää.

"""
        tail = """

Kutsu on viestissä myös kalenterivarauksena. Jos vastaat kalenterissa
(Hyväksy/Hylkää), se lasketaan samoin kuin vastaus KYLLÄ tai EI.

Lämpimästi tervetuloa!
Kulturnätverket

"""
    else:
        head = f"""Hello {first},

You are warmly invited to the next Kulturnätverket meeting on Thursday 3 December, 17:00–19:00.
This time the theme is "{THEME}", and our guest is {GUEST}.

{_REAL_MEETING["en"]}

How the meeting usually goes
1. A round of introductions: who I am, what I do and what I need right now.
2. Current matters from members – the topics you send in beforehand.
3. Discussion of the theme.
4. Food and drink, and time to keep talking.

"""
        tail = """

The invitation is also in this e-mail as a calendar entry. Answering in your
calendar (Accept/Decline) counts the same as replying YES or NO.

Looking forward to seeing you,
Kulturnätverket

"""
    return head + _real_answer(lang, token) + tail + _real_footer(lang, token, address)


def _real_reminder(lang: str, first: str, token: str, address: str) -> str:
    y, n, m = (_mailto(lang, token, w) for w in ("yes", "no", "maybe"))
    if lang == "sv":
        return f"""Hej {first}!

En påminnelse om träffen torsdag 3.12 kl. 17.00–19.00. Vi har inte fått ditt svar ännu – svara JA, NEJ eller KANSKE på det här mejlet.

{_REAL_MEETING["sv"]}

Preliminär agenda
17.00  Presentationsrunda
17.30  Aktuellt från medlemmarna
18.00  {THEME} ({GUEST})

  JA:     {y}
  NEJ:    {n}
  KANSKE: {m}

Väl mött!
Kulturnätverket

""" + _real_footer(lang, token, address)
    if lang == "fi":
        return f"""Hei {first}!

Muistutus tapaamisesta torstaina 3.12. klo 17.00–19.00. Emme ole vielä saaneet vastaustasi – vastaa KYLLÄ, EI tai EHKÄ tähän viestiin.

{_REAL_MEETING["fi"]}

Alustava asialista
17.00  Presentationsrunda
17.30  Aktuellt från medlemmarna
18.00  {THEME} ({GUEST})

  KYLLÄ: {y}
  EI:    {n}
  EHKÄ:  {m}

Nähdään!
Kulturnätverket

""" + _real_footer(lang, token, address)
    return f"""Hello {first},

A reminder of the meeting on Thursday 3 December, 17:00–19:00. We have not had your answer yet – just reply YES, NO or MAYBE to this e-mail.

{_REAL_MEETING["en"]}

Draft agenda
17.00  Presentationsrunda
17.30  Aktuellt från medlemmarna
18.00  {THEME} ({GUEST})

  YES:   {y}
  NO:    {n}
  MAYBE: {m}

See you there,
Kulturnätverket

""" + _real_footer(lang, token, address)

REAL_SUBJECTS = {
    ("invitation", "sv"): f"Inbjudan: Nätverksträff torsdag 3.12 kl. 17.00 – {THEME}",
    ("invitation", "fi"): f"Kutsu: Nätverksträff torstaina 3.12. klo 17.00 – {THEME}",
    ("invitation", "en"): f"Invitation: Nätverksträff, Thursday 3 December at 17:00 – {THEME}",
    ("reminder", "sv"): "Påminnelse: Nätverksträff torsdag 3.12 kl. 17.00",
    ("reminder", "fi"): "Muistutus: Nätverksträff torstaina 3.12. klo 17.00",
    ("reminder", "en"): "Reminder: Nätverksträff, Thursday 3 December at 17:00",
}


_BODIES = {"A": _body_A, "B": _body_B, "C": _body_C, "D": _body_D, "OLD": _body_OLD}


@dataclass(frozen=True)
class Invitation:
    mtg: Meeting
    lang: str
    member: Member
    kind: str  # "invitation" | "reminder"

    @property
    def token(self) -> str:
        return token_for(self.member.id, self.mtg.number)

    @property
    def real(self) -> bool:
        """Meeting A is rendered by traffpunkt's current templates; the others by an older wording."""
        return self.mtg.key == "A"

    @property
    def subject(self) -> str:
        if self.real:
            return REAL_SUBJECTS[(self.kind, self.lang)]
        s = SUBJECTS[(self.mtg.key, self.lang)]
        if self.kind == "reminder":
            return REMINDER_PREFIX[self.lang] + s.split(": ", 1)[1]
        return s

    @property
    def text(self) -> str:
        if self.real:
            f = _real_reminder if self.kind == "reminder" else _real_invitation
            return f(self.lang, self.member.first, self.token, self.member.email)
        if self.kind == "reminder":
            return _reminder(self.mtg.key, self.lang, self.member.first)
        return _BODIES[self.mtg.key](self.lang, self.member.first)

    @property
    def date(self) -> datetime:
        return self.mtg.reminder_sent if self.kind == "reminder" else self.mtg.sent

    @property
    def local_date(self) -> datetime:
        return self.date.astimezone(self.member.tzinfo)

    @property
    def msgid(self) -> str:
        if self.real:  # mailer.outbound.compose.make_message_id: <token.kind.sha256(key)[:10]@domain>
            import hashlib

            key = f"{self.kind}:2026-12-03:member-{self.member.id}"
            return f"<{self.token}.{self.kind}.{hashlib.sha256(key.encode()).hexdigest()[:10]}@{DOMAIN}>"
        return f"<{self.token}.{self.kind}.1.x@{DOMAIN}>"

    @property
    def reply_to(self) -> str:
        return f"natverk+{self.token}@{DOMAIN}"

    @property
    def from_name(self) -> str:
        return "Kulturnätverket" if self.real else "Traffpunkt"

    from_addr = LIST_ADDR

    def html(self) -> str:
        """The invitation's HTML alternative (as quoted by HTML clients)."""
        out: list[str] = []
        items: list[str] = []
        for para in self.text.split("\n\n"):
            lines = para.split("\n")
            if all(ln.startswith("- ") for ln in lines[1:]) and len(lines) > 1 and lines[1].startswith("- "):
                out.append(f"<p>{esc(lines[0])}</p>")
                items = [f"<li>{esc(ln[2:])}</li>" for ln in lines[1:]]
                out.append("<ul>" + "".join(items) + "</ul>")
                continue
            rendered = "<br>\n".join(_bold_answers(esc(ln)) for ln in lines)
            out.append(f"<p>{rendered}</p>")
        return "\n".join(out)

    def raw(self, to_name: str | None = None, with_html: bool = False) -> str:
        """The invitation as traffpunkt sent it (used inside bounces), "\n" line ends."""
        from mimekit import enc_header, enc_name, hx, qp

        m = self.member
        if self.real:  # as mailer/outbound/compose.py writes it
            bnd = "=_tp_alt_" + hx(self.token, 16)
            hdr = [
                f"Date: {rfc_date(self.date)}",
                "From: " + " ".join(enc_name(self.from_name, self.from_addr, "utf-8", "B", cs_label="utf-8").split()),
                f"To: {enc_name(to_name or m.name, m.email, 'utf-8', 'B', cs_label='utf-8')}",
                "Subject: " + enc_header(self.subject, "utf-8", "B", fold="\n ", cs_label="utf-8"),
                f"Message-ID: {self.msgid}",
                f"Reply-To: {self.reply_to}",
                "List-Id: =?utf-8?b?S3VsdHVybsOkdHZlcmtldA==?= <natverk.kulturnatverket.fi>",
                f"List-Unsubscribe: <mailto:{LIST_ADDR}?subject=leave%20%5B{self.token}%5D>",
                "Auto-Submitted: auto-generated",
                "X-Auto-Response-Suppress: OOF, AutoReply",
                f"X-Traffpunkt-Kind: {self.kind}",
                "MIME-Version: 1.0",
                f'Content-Type: multipart/alternative; boundary="{bnd}"',
            ]
            html = ('<!DOCTYPE html>\n<html lang="' + self.lang + '">\n<head>\n<meta charset="utf-8">\n</head>\n'
                    '<body style="margin:0;padding:0;background:#f4f1ec;">\n' + self.html() + "\n</body>\n</html>\n")
            body = (f"--{bnd}\nContent-Type: text/plain; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"
                    + qp(self.text.encode("utf-8")) + "\n\n"
                    + f"--{bnd}\nContent-Type: text/html; charset=\"utf-8\"\nContent-Transfer-Encoding: quoted-printable\n\n"
                    + qp(html.encode("utf-8")) + f"\n--{bnd}--\n")
            return "\n".join(hdr) + "\n\n" + body
        hdr = [
            "Return-Path: <bounces+" + self.token + "@" + DOMAIN + ">",
            f"From: {self.from_name} <{self.from_addr}>",
            f"Reply-To: {self.from_name} <{self.reply_to}>",
            f"To: {enc_name(to_name or m.name, m.email, enc='Q', cs_label='utf-8')}",
            "Subject: " + enc_header(self.subject, "utf-8", "Q", fold="\n ", cs_label="utf-8"),
            f"Date: {rfc_date(self.date)}",
            f"Message-ID: {self.msgid}",
            f"List-Unsubscribe: <mailto:natverk+{self.token}@{DOMAIN}?subject=unsubscribe>",
            "MIME-Version: 1.0",
            'Content-Type: text/plain; charset="utf-8"',
            "Content-Transfer-Encoding: quoted-printable",
        ]
        return "\n".join(hdr) + "\n\n" + qp(self.text.encode("utf-8")) + "\n"


def _bold_answers(s: str) -> str:
    for w in ("JA", "NEJ", "KANSKE", "KYLLÄ", "EI", "EHKÄ", "YES", "NO", "MAYBE"):
        s = s.replace(f" {w},", f" <b>{w}</b>,").replace(f" {w} ", f" <b>{w}</b> ")
    return s


def inv(mtg: str, lang: str, member: Member, kind: str = "invitation") -> Invitation:
    return Invitation(MEETINGS[mtg], lang, member, kind)


def later(dt: datetime, seed: str, lo_min: int = 25, hi_min: int = 60 * 50) -> datetime:
    """A deterministic reply time after `dt`."""
    from mimekit import hnum

    t = dt + timedelta(minutes=hnum(seed, lo_min, hi_min), seconds=hnum(seed + "s", 0, 59))
    if t.hour < 7:  # people answer in the daytime or evening
        t = t.replace(hour=7 + t.hour * 2)
    return t
