"""Commands, auto-replies, bounces, iMIP replies and malformed mail."""

from __future__ import annotations

from datetime import datetime

from clients import Spec
from mimekit import CET, EET
from world import M, Member, inv

S = {  # people who are not members (yet) or only appear in bounces
    "elin": Member(0, "Elin Sjöholm", "elin.sjoholm@gmail.com", "sv"),
    "laura_v": Member(0, "Laura Virtanen", "laura.virtanen@hotmail.com", "fi"),
    "sophie": Member(0, "Sophie Martin", "sophie.martin@icloud.com", "en"),
    "ola": Member(0, "Ola Persson", "ola.persson@galleripersson.se", "sv", "se"),
    "noora": Member(0, "Noora Lindroos", "noora.lindroos@gmail.com", "fi"),
    "norrsken": Member(160, "Festival Norrsken", "info@festivalnorrsken.fi", "sv"),
    "elsa": Member(170, "Elsa Grönqvist", "elsa.gronqvist@teaterlykta.fi", "sv"),
    "mervi": Member(174, "Mervi Aalto", "mervi.aalto@welho.com", "fi"),
    "oona": Member(178, "Oona Koivisto", "oona.koivisto@kolumbus.fi", "fi"),
    "sami": Member(181, "Sami Lehto", "sami@valokuvaamo-lehto.fi", "fi"),
    "kristiina": Member(183, "Kristiina Berg", "kristiina.berg@sirkuskaari.fi", "sv"),
    "tom": Member(185, "Tom Baker", "tom.baker@galleriskara.fi", "en"),
    "lena": Member(187, "Lena Berg", "lena.berg@kulturforvaltningen-syd.se", "sv", "se"),
    "olli": Member(189, "Olli Saari", "olli.saari1978@gmail.com", "fi"),
    "reijo": Member(191, "Reijo Manninen", "reijo.manninen@luukku.com", "fi"),
    "gunilla": Member(193, "Gunilla Ek", "gunilla.ek@parnet.fi", "sv"),
    "aura": Member(195, "Teaterkollektivet Aura", "info@teaterkollektivet-aura.fi", "sv"),
    "joonas": Member(197, "Joonas Routa", "joonas@studio-routa.fi", "fi"),
    "nora": Member(199, "Nora Hansen", "nora.hansen1985@gmail.com", "en"),
    "gunnar": Member(176, "Gunnar Åström", "gunnar.astrom@parnet.fi", "sv"),
}


def _who(key: str) -> Member:
    return S[key] if key in S else M[key]


def X(name: str, client: str, member: str, lang: str | None, text: str, category: str, *, command: str | None = None,
      rsvp: str | None = None, guests: int = 0, dietary: str | None = None, body: str | None = None,
      mtg: str = "A", inv_lang: str | None = None, tokens: bool = False, failed: tuple[str, ...] = (),
      partstat: str | None = None, **opt: object) -> Spec:
    exp: dict = {"rsvp": rsvp, "guests": guests, "topics": [], "dietary": dietary, "needs": [], "offers": [],
                 "command": command, "failed_recipients": sorted(a.lower() for a in failed)}
    if partstat:
        exp["imip_partstat"] = partstat
    o = dict(opt)
    if partstat:
        o["partstat"] = partstat
    if failed:
        o["failed"] = list(failed)
    return Spec(name=name, client=client, member=_who(member), text=text, lang=lang, exp=exp, mtg=mtg,
                inv_lang=inv_lang, opt=o, tokens=tokens, body=body, category=category)


def _subj(mtg: str, lang: str, member: str) -> str:
    return inv(mtg, lang, _who(member)).subject


# ---------------------------------------------------------------------------------------------- commands
_fwd_inv = inv("A", "fi", M["juha"])
_FWD_PLAIN = (
    "---------- Forwarded message ---------\n"
    "Lähettäjä: Juha Korhonen <juha.korhonen@teatterikipina.fi>\n"
    "Date: pe 27.11.2026 klo 9.14\n"
    f"Subject: Fwd: {_fwd_inv.subject}\n"
    "To: Noora Lindroos <noora.lindroos@gmail.com>\n\n\n\n"
    "---------- Forwarded message ---------\n"
    "Lähettäjä: Traffpunkt <natverk@kulturnatverket.fi>\n"
    "Date: to 26.11.2026 klo 10.02\n"
    f"Subject: {_fwd_inv.subject}\n"
    "To: Juha Korhonen <juha.korhonen@teatterikipina.fi>\n\n\n"
    + _fwd_inv.text
)
_FWD_HTML = (
    '<div class="gmail_quote gmail_quote_container"><div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>'
    'Lähettäjä: <strong class="gmail_sendername" dir="auto">Juha Korhonen</strong> <span dir="auto">&lt;'
    '<a href="mailto:juha.korhonen@teatterikipina.fi">juha.korhonen@teatterikipina.fi</a>&gt;</span><br>'
    f"Date: pe 27.11.2026 klo 9.14<br>Subject: Fwd: {_fwd_inv.subject}<br>To: Noora Lindroos &lt;"
    '<a href="mailto:noora.lindroos@gmail.com">noora.lindroos@gmail.com</a>&gt;<br></div><br><br>'
    + _fwd_inv.html() + "</div>"
)

COMMANDS: list[Spec] = [
    X("new_sv_join_stranger", "new", "elin", "sv",
      "Hej!\n\nJag heter Elin Sjöholm och jobbar som frilansande scenograf i Vasa. Jag vill gå med i nätverket – "
      "hur gör jag?\n\nHälsningar\nElin", "command", command="join", tokens=True,
      style="gmail", subject="Medlemskap i nätverket", date=datetime(2026, 11, 28, 14, 3, 51, tzinfo=EET)),
    X("new_fi_join_stranger", "new", "laura_v", "fi",
      "Hei,\n\nhaluan liittyä verkostoon. Olen freelance-tanssija Tampereelta ja muutin juuri Helsinkiin.\n\n"
      "Terveisin\nLaura Virtanen", "command", command="join",
      style="outlook", subject="Liittyminen verkostoon", date=datetime(2026, 11, 29, 20, 11, 2, tzinfo=EET)),
    X("new_en_join_stranger", "new", "sophie", "en",
      "Hello,\n\nI'm a theatre producer who recently moved to Helsinki. I'd like to join the network – could you "
      "add me to the mailing list?\n\nBest,\nSophie Martin", "command", command="join", tokens=True,
      style="apple", subject="Joining the network", date=datetime(2026, 12, 1, 9, 47, 30, tzinfo=EET)),
    X("gmail_sv_leave", "gmail", "tove", "sv", "Ta bort mig från listan, tack.\n\nTove", "command", command="leave",
      mtg="B", tokens=True),
    X("outlook_fi_leave", "outlook", "minna", "fi", "Poista minut listalta.\n\nTerveisin\nMinna", "command",
      command="leave"),
    X("gmail_en_unsubscribe", "gmail", "nikolai", "en", "unsubscribe", "command", command="leave"),
    X("thunderbird_en_help", "thunderbird", "tomasz", "en", "help", "command", command="help", mtg="C"),
    X("iphone_sv_hjalp_new", "new", "ebba", "sv", "hjälp", "command", command="help", style="iphone",
      subject="hjälp", foot="Skickat från min iPhone", date=datetime(2026, 11, 27, 7, 58, 12, tzinfo=CET)),
    X("gmail_fi_apua_new", "new", "petra", "fi", "apua", "command", command="help", style="gmail", subject="Apua",
      date=datetime(2026, 11, 30, 16, 20, 44, tzinfo=EET)),
    X("gmail_unsubscribe_button", "gmail_unsub", "paivi", "en", "This message was automatically generated by Gmail.",
      "command", command="leave", tokens=True, to_addr="natverk@kulturnatverket.fi"),
    X("android_sv_avregistrera_word", "android", "peter", "sv", "AVREGISTRERA", "command", command="leave"),
    X("thunderbird_fi_eroa_bottom", "thunderbird", "liisa", "fi", "EROA\n\nLiisa", "command", command="leave",
      bottom=True),
    X("owa_sv_leave_avregistrera", "owa", "stina", "sv",
      "Hej,\n\nJag har slutat på Teater Lykta. Avregistrera mig från nätverkets e-postlista, tack.\n\nMvh\nStina",
      "command", command="leave"),
    X("iphone_fi_leave", "iphone", "outi", "fi", "En halua enää saada näitä viestejä. Poistakaa minut postituslistalta.",
      "command", command="leave", mtg="B"),
    X("new_sv_join_sweden", "new", "ola", "sv",
      "Hej!\n\nJag driver ett litet galleri i Malmö och undrar om jag kan bli medlem i nätverket? Jag vill gärna "
      "vara med.\n\nVänliga hälsningar\nOla Persson", "command", command="join",
      style="outlook", subject="Medlemskap", date=datetime(2026, 12, 2, 10, 5, 9, tzinfo=CET)),
    X("outlook_mobile_en_leave", "outlook_mobile", "ana", "en",
      "Please remove me from this list. I no longer work in the arts sector.\n\nThanks,\nAna", "command",
      command="leave", platform="ios"),
    X("new_fi_join_forwarded_invitation", "new", "noora", "fi",
      "Hei! Kollegani Juha välitti tämän kutsun. Haluan liittyä verkostoon.\n\nNoora", "command", command="join",
      tokens=True, style="gmail", subject=f"Fwd: Fwd: {_fwd_inv.subject}", forward=(_FWD_PLAIN, _FWD_HTML),
      date=datetime(2026, 11, 27, 9, 31, 4, tzinfo=EET)),
]

# ---------------------------------------------------------------------------------------------- auto-replies
AUTO: list[Spec] = [
    X("autoreply_sieve_sv", "autoreply", "stina", "sv",
      "Hej,\n\nJag är på semester och kommer tillbaka 5.12. Brådskande ärenden: ring 040 718 2290.\n\nStina Wahlroos",
      "auto_reply", kind="sieve", subject="Auto: " + _subj("A", "sv", "stina"), tokens=True),
    X("autoreply_exchange_sv", "autoreply", "sanna_b", "sv",
      "Tack för ditt mejl. Jag är tjänstledig till och med 31.12 och läser inte e-post. Brådskande ärenden kan "
      "skickas till info@galleriskara.fi.\n\nSanna Björklund", "auto_reply", kind="exchange", charset="iso-8859-1",
      subject="Automatiskt svar: " + _subj("A", "sv", "sanna_b"), tokens=True),
    X("autoreply_exchange_fi", "autoreply", "eeva", "fi",
      "Olen lomalla ja palaan 7.12. Kiireellisissä asioissa voit ottaa yhteyttä tuottajaamme Minna Hyvöseen, "
      "minna.hyvonen@kulttuuritalokajo.fi.\n\nEeva-Liisa Koskinen", "auto_reply", kind="exchange",
      subject="Automaattinen vastaus: " + _subj("A", "fi", "eeva")),
    X("autoreply_exchange_en", "autoreply", "david", "en",
      "Thank you for your email. I'm out of the office until 8 December with limited access to email. For urgent "
      "matters, please contact office@festivalnorrsken.fi.\n\nDavid Murphy", "auto_reply", kind="exchange",
      subject="Automatic reply: " + _subj("A", "en", "david")),
    X("autoreply_gmail_vacation_sv", "autoreply", "maja", "sv",
      "Hej! Jag är på resa och kommer tillbaka 7.12. Jag svarar så fort jag kan.\n\n/Maja", "auto_reply",
      kind="gmail", subject="Frånvaromeddelande", tokens=True),
    X("autoreply_zimbra_fi_poissaolo", "autoreply", "kaisa", "fi",
      "Olen poissa toimistolta 30.11.–4.12. Viestejä ei välitetä eteenpäin. Vastaan, kun palaan.\n\n"
      "Kaisa Jääskeläinen", "auto_reply", kind="zimbra", subject="Poissaolo"),
    X("autoreply_xautoreply_en_out_of_office", "autoreply", "james", "en",
      "I am away from the office until Monday 7 December and will reply to your message when I return.\n\n"
      "Kind regards,\nJames Whitfield", "auto_reply", kind="xautoreply", subject="Out of Office"),
    X("autoreply_icloud_sv", "autoreply", "fredrik", "sv",
      "Hej! Jag är ledig till och med 6.12 och läser inte min e-post. /Fredrik", "auto_reply", kind="icloud",
      subject="Auto reply: " + _subj("A", "sv", "fredrik")),
    X("autoreply_exchange_html_fi", "autoreply", "heidi", "fi",
      "Hei,\n\nolen sairauslomalla 4.12. asti enkä lue sähköpostiani.\n\nHeidi Öhman", "auto_reply", kind="exchange",
      html_only=True, subject="Automaattinen vastaus: " + _subj("A", "fi", "heidi")),
    X("autoreply_exchange_bilingual_fi_sv", "autoreply", "minna", "fi",
      "Olen lomalla 30.11.–6.12. Kiireellisissä asioissa ota yhteyttä osoitteeseen info@kulttuuritalokajo.fi.\n\n"
      "Jag är ledig 30.11–6.12. I brådskande ärenden, kontakta info@kulttuuritalokajo.fi.\n\nMinna Hyvönen",
      "auto_reply", kind="exchange", subject="Automaattinen vastaus: " + _subj("A", "fi", "minna")),
    X("autoreply_exchange_subject_only_sv", "autoreply", "matilda", "sv",
      "Jag är på semester och kommer tillbaka 5.12.\n\nMatilda Strömberg", "auto_reply", kind="exchange",
      strip_x=True, subject="Automatiskt svar: " + _subj("A", "sv", "matilda")),
    X("autoreply_ticket_system_sv", "autoreply", "norrsken", "sv",
      "Tack för ditt meddelande!\n\nVi har tagit emot ditt ärende och svarar inom två arbetsdagar. Ditt ärendenummer "
      "är 48213.\n\nMed vänliga hälsningar\nFestival Norrsken", "auto_reply", kind="rfc3834",
      subject="[Ärende #48213] " + _subj("A", "sv", "norrsken")),
    X("autoreply_gmail_vacation_en_re_subject", "autoreply", "ben", "en",
      "Thank you for your message. I am on parental leave until March 2027 and will not be reading email "
      "regularly.\n\nBen Carter", "auto_reply", kind="gmail", subject="Re: " + _subj("A", "en", "ben")),
    X("autoreply_exchange_online_en_auto_generated", "autoreply", "ines", "en",
      "I'm on sick leave this week. I'll answer your email when I'm back.\n\nInês Costa", "auto_reply",
      kind="exchange", auto_submitted="auto-generated", subject="Automatic reply: " + _subj("A", "en", "ines")),
    X("autoreply_rfc3834_en_yes_trap", "autoreply", "kenji", "en",
      "Thank you for your message. Yes, I have received it, but I'm away until 7 December and will reply when "
      "I'm back.\n\nKenji Watanabe", "auto_reply", kind="rfc3834",
      subject="Auto-reply: " + _subj("A", "en", "kenji")),
    X("autoreply_xautoreply_sv_franvaro", "autoreply", "karin", "sv",
      "Hej!\n\nJag är på semester och kommer tillbaka måndag 14 december. Under tiden läser jag inte min e-post.\n\n"
      "Med vänlig hälsning\nKarin Löfgren", "auto_reply", kind="xautoreply", mtg="D",
      subject="Frånvaromeddelande", extra=["Precedence: auto_reply"]),
    X("autoreply_rfc3834_fi", "autoreply", "antti", "fi",
      "Kiitos viestistäsi! Olen lomalla ja palaan 7.12. Vastaan viestiisi mahdollisimman pian.\n\nAntti Räsänen",
      "auto_reply", kind="rfc3834", crlf=True, subject="Automaattinen vastaus: " + _subj("A", "fi", "antti")),
]

# ---------------------------------------------------------------------------------------------- bounces
_PF_HEAD = """This is the mail system at host mx1.kulturnatverket.fi.

I'm sorry to have to inform you that your message could not
be delivered to one or more recipients. It's attached below.

For further assistance, please send mail to postmaster.

If you do so, please include this problem report. You can
delete your own text from the attached returned message.

                   The mail system
"""

_O365_PLAIN = """Your message to tom.baker@galleriskara.fi couldn't be delivered.

tom.baker wasn't found at galleriskara.fi.

kulturnatverket.fi      Office 365      tom.baker
Action Required                 Recipient

Unknown To address

How to Fix It
The address may be misspelled or may not exist. Try one or more of the following:

  *   Retype the recipient's address, then resend the message.
  *   If you're using Outlook, open this returned message and select the Send Again option.
  *   Contact the recipient by some other means and confirm the right address.

More Info for Email Admins
Status code: 550 5.1.10

This error occurs because the sender sent a message to an email address hosted by Office 365 but the address is incorrect or doesn't exist at the destination domain.

Original Message Details
Created Date:   26/11/2026 08:02:11
Sender Address: {sender}
Recipient Address:      tom.baker@galleriskara.fi
Subject:        {subject}

Error Details
Reported error: 550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup
DSN generated by:       AM9PR07MB7764.eurprd07.prod.outlook.com
"""

_EXSV_PLAIN = """Det gick inte att leverera till följande mottagare eller grupper:

lena.berg@kulturforvaltningen-syd.se
Den e-postadress du angav kunde inte hittas. Kontrollera mottagarens e-postadress och försök att skicka meddelandet igen. Kontakta supportavdelningen om problemet kvarstår.

Diagnostikinformation för administratörer:

Genererande server: EX02.kulturforvaltningen-syd.se

lena.berg@kulturforvaltningen-syd.se
Remote Server returned '550 5.1.1 RESOLVER.ADR.RecipientNotFound; not found'
"""

_GMAIL_PLAIN = """
** Address not found **

Your message wasn't delivered to olli.saari1978@gmail.com because the address couldn't be found, or is unable to receive mail.

Learn more here: https://support.google.com/mail/?p=NoSuchUser

The response was:

550 5.1.1 The email account that you tried to reach does not exist. Please try double-checking the recipient's email address for typos or unnecessary spaces. For more information, go to https://support.google.com/mail/?p=NoSuchUser 5b1f17b1804b1-43b2d6e0f31si1234567f8b.118 - gsmtp
"""


def _html_of(text: str) -> str:
    from mimekit import esc

    return ("<html>\n<head>\n<meta http-equiv=\"Content-Type\" content=\"text/html; charset=utf-8\">\n</head>\n<body>\n"
            + "\n".join(f"<p>{esc(p).replace(chr(10), '<br>')}</p>" for p in text.strip().split("\n\n"))
            + "\n</body>\n</html>\n")


_t_elsa = inv("A", "sv", S["elsa"]).token
BOUNCES: list[Spec] = [
    X("bounce_postfix_dsn_full_invitation", "bounce", "elsa", None, "", "bounce",
      failed=("elsa.gronqvist@teaterlykta.fi",), kind="postfix", attach="full",
      notification=_PF_HEAD + """
<elsa.gronqvist@teaterlykta.fi>: host mx.teaterlykta.fi[192.0.2.41] said: 550
    5.1.1 <elsa.gronqvist@teaterlykta.fi>: Recipient address rejected: User
    unknown in virtual mailbox table (in reply to RCPT TO command)
""", blocks=[("elsa.gronqvist@teaterlykta.fi", "5.1.1",
              "smtp; 550 5.1.1 <elsa.gronqvist@teaterlykta.fi>: Recipient address\n    rejected: User unknown in virtual mailbox table", None,
              "elsa.gronqvist@teaterlykta.fi", "failed", "mx.teaterlykta.fi")]),
    X("bounce_postfix_dsn_mailbox_full_headers", "bounce", "mervi", None, "", "bounce",
      failed=("mervi.aalto@welho.com",), kind="postfix",
      notification=_PF_HEAD + """
<mervi.aalto@welho.com>: host mx.welho.com[198.51.100.20] said: 552 5.2.2
    <mervi.aalto@welho.com>: Mailbox full (in reply to RCPT TO command)
""", blocks=[("mervi.aalto@welho.com", "5.2.2", "smtp; 552 5.2.2 <mervi.aalto@welho.com>: Mailbox full", None,
              "mervi.aalto@welho.com", "failed", "mx.welho.com")]),
    X("bounce_postfix_dsn_two_recipients", "bounce", "oona", None, "", "bounce",
      failed=("Oona.Koivisto@kolumbus.fi", "rasmus.holm@kolumbus.fi"), kind="postfix",
      raw_to="To: Oona Koivisto <Oona.Koivisto@kolumbus.fi>,\n Rasmus Holm <rasmus.holm@kolumbus.fi>",
      notification=_PF_HEAD + """
<Oona.Koivisto@kolumbus.fi>: host mx.kolumbus.fi[198.51.100.25] said: 550 5.1.1
    <Oona.Koivisto@kolumbus.fi>: User unknown (in reply to RCPT TO command)

<rasmus.holm@kolumbus.fi>: host mx.kolumbus.fi[198.51.100.25] said: 550 5.1.1
    <rasmus.holm@kolumbus.fi>: User unknown (in reply to RCPT TO command)
""", blocks=[("Oona.Koivisto@kolumbus.fi", "5.1.1", "smtp; 550 5.1.1 <Oona.Koivisto@kolumbus.fi>: User unknown", None,
              "Oona.Koivisto@kolumbus.fi", "failed", "mx.kolumbus.fi"),
             ("rasmus.holm@kolumbus.fi", "5.1.1", "smtp; 550 5.1.1 <rasmus.holm@kolumbus.fi>: User unknown", None,
              "rasmus.holm@kolumbus.fi", "failed", "mx.kolumbus.fi")]),
    X("bounce_exim_plain_with_copy", "bounce", "sami", None, "", "bounce", failed=("sami@valokuvaamo-lehto.fi",),
      kind="exim_plain", host="cpanel42.webhotelli-esimerkki.fi",
      notification="""This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  sami@valokuvaamo-lehto.fi
    No Such User Here
"""),
    X("bounce_exim_dsn", "bounce", "kristiina", None, "", "bounce", failed=("kristiina.berg@sirkuskaari.fi",),
      kind="exim_dsn", host="mail.sirkuskaari.fi",
      notification="""This message was created automatically by mail delivery software.

A message that you sent could not be delivered to one or more of its
recipients. This is a permanent error. The following address(es) failed:

  kristiina.berg@sirkuskaari.fi
    mailbox is full: retry timeout exceeded
""", blocks=[("kristiina.berg@sirkuskaari.fi", "5.0.0", "X-Exim; mailbox is full: retry timeout exceeded", None)]),
    X("bounce_o365_ndr", "bounce", "tom", None, "", "bounce", failed=("tom.baker@galleriskara.fi",),
      kind="exchange", host="AM9PR07MB7764.eurprd07.prod.outlook.com",
      subject="Undeliverable: " + _subj("A", "en", "tom"),
      notification=_O365_PLAIN.format(sender=f"bounces+{inv('A', 'en', S['tom']).token}@kulturnatverket.fi",
                                      subject=_subj("A", "en", "tom")),
      notification_html=_html_of(_O365_PLAIN.format(sender=f"bounces+{inv('A', 'en', S['tom']).token}@kulturnatverket.fi",
                                                    subject=_subj("A", "en", "tom"))),
      blocks=[("tom.baker@galleriskara.fi", "5.1.10",
               "smtp;550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup", None)]),
    X("bounce_exchange_sv_ndr", "bounce", "lena", None, "", "bounce", failed=("lena.berg@kulturforvaltningen-syd.se",),
      kind="exchange", host="EX02.kulturforvaltningen-syd.se", mtg="D", content_language="sv-SE",
      **{"from": "Microsoft Outlook <MicrosoftExchange329e71ec88ae4615bbc36ab6ce41109e@kulturforvaltningen-syd.se>"},
      subject="Det gick inte att leverera: " + _subj("D", "sv", "lena"),
      notification=_EXSV_PLAIN, notification_html=_html_of(_EXSV_PLAIN),
      blocks=[("lena.berg@kulturforvaltningen-syd.se", "5.1.1",
               "smtp;550 5.1.1 RESOLVER.ADR.RecipientNotFound; not found", None)]),
    X("bounce_gmail_dsn", "bounce", "olli", None, "", "bounce", failed=("olli.saari1978@gmail.com",),
      kind="gmail_dsn", notification=_GMAIL_PLAIN, notification_html=_html_of(_GMAIL_PLAIN),
      blocks=[("olli.saari1978@gmail.com", "5.1.1",
               "smtp; 550-5.1.1 The email account that you tried to reach does not exist.", None, None, "failed",
               "gmail-smtp-in.l.google.com. (142.250.102.27, the server for the domain gmail.com.)")]),
    X("bounce_qmail_plain", "bounce", "reijo", None, "", "bounce", failed=("reijo.manninen@luukku.com",),
      kind="qmail", host="mx.luukku.com", notification="""Hi. This is the qmail-send program at mx.luukku.com.
I'm afraid I wasn't able to deliver your message to the following addresses.
This is a permanent error; I've given up. Sorry it didn't work out.

<reijo.manninen@luukku.com>:
Sorry, no mailbox here by that name. (#5.1.1)
"""),
    X("bounce_sendmail_dsn", "bounce", "gunilla", None, "", "bounce", failed=("gunilla.ek@parnet.fi",),
      body="""The original message was received at Thu, 26 Nov 2026 10:02:13 +0200
from mx1.kulturnatverket.fi [192.0.2.10]

   ----- The following addresses had permanent fatal errors -----
<gunilla.ek@parnet.fi>
    (reason: 550 5.2.1 <gunilla.ek@parnet.fi>... Mailbox disabled for this recipient)""",
      kind="sendmail", host="mail.parnet.fi", notification="""The original message was received at Thu, 26 Nov 2026 10:02:13 +0200
from mx1.kulturnatverket.fi [192.0.2.10]

   ----- The following addresses had permanent fatal errors -----
<gunilla.ek@parnet.fi>
    (reason: 550 5.2.1 <gunilla.ek@parnet.fi>... Mailbox disabled for this recipient)

   ----- Transcript of session follows -----
... while talking to mailstore1.parnet.fi.:
>>> DATA
<<< 550 5.2.1 <gunilla.ek@parnet.fi>... Mailbox disabled for this recipient
550 5.1.1 <gunilla.ek@parnet.fi>... User unknown
<<< 503 5.0.0 Need RCPT (recipient)
""", blocks=[("gunilla.ek@parnet.fi", "5.2.1", "SMTP; 550 5.2.1 <gunilla.ek@parnet.fi>... Mailbox disabled for this recipient",
              None, None, "failed", "mailstore1.parnet.fi")]),
    X("bounce_postfix_domain_not_found", "bounce", "aura", None, "", "bounce",
      failed=("info@teaterkollektivet-aura.fi",), kind="postfix", mtg="C",
      notification=_PF_HEAD + """
<info@teaterkollektivet-aura.fi>: Host or domain name not found. Name service
    error for name=teaterkollektivet-aura.fi type=A: Host not found
""", blocks=[("info@teaterkollektivet-aura.fi", "5.4.4",
              "X-Postfix; Host or domain name not found. Name service error for\n    name=teaterkollektivet-aura.fi type=A: Host not found", None,
              "info@teaterkollektivet-aura.fi")]),
    X("bounce_opensmtpd", "bounce", "joonas", None, "", "bounce", failed=("joonas@studio-routa.fi",),
      kind="opensmtpd", host="mail.studio-routa.fi", notification="""    Hi!

    This is the MAILER-DAEMON, please DO NOT REPLY to this email.

    An error has occurred while attempting to deliver a message for
    the following list of recipients:

joonas@studio-routa.fi: 550 5.1.1 <joonas@studio-routa.fi>: Recipient address rejected: User unknown in local recipient table

    Below is a copy of the original message:
""", blocks=[("joonas@studio-routa.fi", "5.1.1", "smtp; 550 5.1.1 <joonas@studio-routa.fi>: Recipient address rejected", None)]),
    X("bounce_gmail_plain_old", "bounce", "nora", None, "", "bounce", failed=("nora.hansen1985@gmail.com",),
      kind="gmail_plain", mtg="C", notification="""Delivery to the following recipient failed permanently:

     nora.hansen1985@gmail.com

Technical details of permanent failure:
Google tried to deliver your message, but it was rejected by the server for the recipient domain gmail.com by gmail-smtp-in.l.google.com. [142.250.102.27].

The error that the other server returned was:
550-5.1.1 The email account that you tried to reach does not exist. Please try
550-5.1.1 double-checking the recipient's email address for typos or
550-5.1.1 unnecessary spaces. Learn more at
550 5.1.1  https://support.google.com/mail/?p=NoSuchUser
"""),
]

# ---------------------------------------------------------------------------------------------- iMIP replies
IMIP: list[Spec] = [
    X("imip_outlook_sv_accept", "imip", "sanna_b", None, "", "reply", rsvp="yes", body="", partstat="ACCEPTED",
      kind="outlook", tokens=True),
    X("imip_outlook_fi_decline_comment", "imip", "riikka", "fi",
      "Valitettavasti minulla on esitys samana iltana.\n\nTerveisin\nRiikka", "reply", rsvp="no", partstat="DECLINED",
      kind="outlook"),
    X("imip_outlook_en_tentative", "imip", "elena", None, "", "reply", rsvp="maybe", body="", partstat="TENTATIVE",
      kind="outlook"),
    X("imip_google_accept_guest", "imip", "laura", None, "", "reply", rsvp="yes", guests=1, body="",
      partstat="ACCEPTED", kind="google", guests_n=1, tokens=True),
    X("imip_google_fi_decline", "imip", "teemu", None, "", "reply", rsvp="no", body="", partstat="DECLINED",
      kind="google", ui="fi"),
    X("imip_apple_en_accept", "imip", "emma", None, "", "reply", rsvp="yes", body="", partstat="ACCEPTED",
      kind="apple", ui="en"),
    X("imip_apple_sv_decline", "imip", "fredrik", None, "", "reply", rsvp="no", body="", partstat="DECLINED",
      kind="apple", ui="sv"),
    X("imip_outlook_sv_accept_comment_guest", "imip", "ulrika", "sv",
      "Jag tar med en kollega, hoppas det går bra!\n\n/Ulrika", "reply", rsvp="yes", guests=1, partstat="ACCEPTED",
      kind="outlook", mtg="B"),
    X("imip_outlook_fi_accept", "imip", "hanna", None, "", "reply", rsvp="yes", body="", partstat="ACCEPTED",
      kind="outlook", mtg="B"),
    X("imip_thunderbird_en_accept", "imip", "tomasz", None, "", "reply", rsvp="yes", body="", partstat="ACCEPTED",
      kind="thunderbird", mtg="B"),
]

# ---------------------------------------------------------------------------------------------- malformed
MALFORMED: list[Spec] = [
    X("malformed_broken_boundary_sv", "malformed", "henrik", "sv", "Ja, jag kommer!\n\nHälsningar\nHenrik", "reply",
      rsvp="yes", kind="broken_boundary", mtg="B"),
    X("malformed_missing_body", "malformed", "matilda", None, "", "unknown", body="", kind="missing_body"),
    X("malformed_binary_garbage", "malformed", "teemu", None, "", "unknown", body="", kind="garbage", mtg="B"),
    X("malformed_invalid_charset_fi", "malformed", "liisa", "fi", "Kyllä, tulen!\n\nTerveisin\nLiisa", "reply",
      rsvp="yes", kind="invalid_charset", mtg="C"),
    X("malformed_tnef_only", "malformed", "eeva", None, "", "unknown", body="", kind="tnef", mtg="B"),
    X("malformed_undeclared_8bit_sv", "malformed", "gunnar", "sv",
      "Hej!\n\nJa, vi kommer båda två. Jag är vegetarian.\n\nHälsningar\nGunnar", "reply", rsvp="yes", guests=1,
      dietary="vegetarian", kind="undeclared_8bit", mtg="C"),
    X("malformed_bad_base64_fi", "malformed", "outi", "fi", "Ehkä, riippuu aikataulusta.\n\nOuti", "reply",
      rsvp="maybe", kind="bad_base64", mtg="C"),
]
