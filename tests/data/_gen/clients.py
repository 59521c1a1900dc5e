"""One renderer per mail client: a Spec in, the exact bytes that client would send out.

Every renderer quotes a real traffpunkt invitation (world.Invitation) below or around the member's text
the way that client does (attribution line, header block, blockquote ...).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from mimekit import (
    DOMAIN,
    LIST_ADDR,
    MON_EN,
    MON_FI_PART,
    MON_SV,
    MON_SV_AB,
    UTC,
    WD_EN,
    WD_FI,
    WD_FI_AB,
    WD_SV,
    WD_SV_GM,
    ampm,
    b64,
    enc_header,
    enc_name,
    entities,
    esc,
    flow,
    hx,
    qp,
    quote,
    rfc_date,
    uuid_like,
    wrap_words,
)
from world import Invitation, Member, inv, later

NL = "\n"


@dataclass
class Spec:
    name: str
    client: str
    member: Member
    text: str  # the member's new text, exactly as typed (top of the reply unless opt says otherwise)
    lang: str | None  # language of the member's new text
    exp: dict = field(default_factory=dict)  # expected values that differ from the defaults
    mtg: str = "A"
    inv_lang: str | None = None  # language of the quoted invitation (default: member.lang)
    kind: str = "invitation"
    sig: str | None = None  # signature lines after a "-- " line
    opt: dict = field(default_factory=dict)
    tokens: bool = False
    body: str | None = None  # expected body when it is not simply `text`
    category: str = "reply"


# --------------------------------------------------------------------------- context
class Ctx:
    def __init__(self, s: Spec) -> None:
        self.s = s
        self.m = s.member
        self.inv: Invitation = inv(s.mtg, s.inv_lang or s.member.lang, s.member, s.kind)
        base = s.opt.get("date")
        self.date: datetime = (base or later(self.inv.date, s.name)).astimezone(self.m.tzinfo)
        self.to_addr = s.opt.get("to_addr", self.inv.reply_to)
        self.to_name = s.opt.get("to_name", "" if self.inv.real else "Traffpunkt")  # the Reply-To as sent
        self.fn = self.inv.from_name
        self.irt = None if s.opt.get("no_irt") else s.opt.get("irt", self.inv.msgid)
        self.refs = s.opt.get("refs", [self.inv.msgid])
        self.ilocal = self.inv.local_date

    def subj(self, prefix: str = "Re: ") -> str:
        return self.s.opt.get("subject", prefix + self.inv.subject)

    def envelope(self, sender: str, relay: str, with_xot: bool = False) -> list[str]:
        """Headers our MX (Postfix + Dovecot LDA) puts on top of an inbound mail."""
        if self.s.opt.get("no_envelope"):
            return []
        rcpt = self.s.opt.get("envelope_to", self.to_addr)
        relay = provider_relay(sender, self.s.name) or relay
        t = self.date.astimezone(self.inv.date.tzinfo)
        qid = hx(self.s.name + "qid", 14, "0123456789BCDFGHJKLMNPQRSTVWXZbcdfghjklmnpqrstvwxz")
        out = [f"Return-Path: <{sender}>"]
        if with_xot:
            out.append(f"X-Original-To: {rcpt}")
        out += [
            f"Delivered-To: {rcpt}",
            f"Received: from {relay}",
            f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {qid}",
            f"\tfor <{rcpt}>; {rfc_date(t + timedelta(seconds=2))} (EET)",
        ]
        return out


def provider_relay(sender: str, seed: str) -> str | None:
    """The last hop as it looks for the big providers (whatever client the member used)."""
    from mimekit import hnum

    dom = sender.split("@")[-1].lower()
    if dom == "gmail.com":
        gw = f"mail-{hx(seed + 'r', 2, 'abcdefghijklmnopqrstuvwxyz')}1-f{hnum(seed, 40, 180)}.google.com"
        return f"{gw} ({gw} [209.85.{hnum(seed + 'net', 128, 222)}.{hnum(seed + 'ip', 10, 250)}])"
    if dom in ("outlook.com", "hotmail.com"):
        o = hnum(seed + "o", 10, 99)
        return (f"EUR{hnum(seed, 1, 5):02d}-DB5-obe.outbound.protection.outlook.com "
                f"(mail-db5eur0{hnum(seed, 1, 5)}olkn20{o}.outbound.protection.outlook.com [40.92.{hnum(seed + 'p', 2, 250)}.{o}])")
    if dom in ("icloud.com", "me.com"):
        n = hnum(seed, 1, 9)
        h = f"p00-icloudmta-asmtp-us-west-2a-60-percent-{n}.p00-icloudmta-asmtp-vip.icloud-mail-production.svc.kube.us-west-2a.k8s.cloud.apple.com"
        return f"{h} ({h} [17.57.155.{hnum(seed + 'ip', 2, 250)}])"
    if dom == "yahoo.com":
        return None
    return None


# --------------------------------------------------------------------------- localized attributions
def _h(dt: datetime) -> str:
    return f"{dt.hour}.{dt:%M}"


def attribution(style: str, lang: str, dt: datetime, name: str = "Traffpunkt", addr: str = LIST_ADDR) -> str:
    d = dt
    if style == "gmail":
        if lang == "sv":
            return f"Den {WD_SV_GM[d.weekday()]} {d.day} {MON_SV_AB[d.month - 1]} {d.year} kl {d:%H:%M} skrev {name} <{addr}>:"
        if lang == "fi":
            return f"{WD_FI_AB[d.weekday()]} {d.day}.{d.month}.{d.year} klo {_h(d)} {name} ({addr}) kirjoitti:"
        return f"On {WD_EN[d.weekday()][:3]}, {MON_EN[d.month - 1][:3]} {d.day}, {d.year} at {ampm(d)} {name} <{addr}> wrote:"
    if style == "gmail_android":
        if lang == "sv":
            return f"Den {WD_SV_GM[d.weekday()]} {d.day} {MON_SV_AB[d.month - 1]} {d.year} {d:%H:%M}{name} <{addr}> skrev:"
        if lang == "fi":
            return f"{WD_FI_AB[d.weekday()]} {d.day}.{d.month}.{d.year} klo {_h(d)} {name} <{addr}> kirjoitti:"
        return f"On {WD_EN[d.weekday()][:3]}, {d.day} {MON_EN[d.month - 1][:3]} {d.year}, {d:%H:%M} {name}, <{addr}> wrote:"
    if style == "apple":
        if lang == "sv":
            return f"{d.day} {MON_SV_AB[d.month - 1]} {d.year} kl. {d:%H:%M} skrev {name} <{addr}>:"
        if lang == "fi":
            return f"{d.day}.{d.month}.{d.year} kello {_h(d)}, {name} <{addr}> kirjoitti:"
        return f"On {d.day} {MON_EN[d.month - 1][:3]} {d.year}, at {d:%H:%M}, {name} <{addr}> wrote:"
    if style == "apple_us":
        return f"On {MON_EN[d.month - 1][:3]} {d.day}, {d.year}, at {ampm(d)}, {name} <{addr}> wrote:"
    if style == "thunderbird":
        if lang == "sv":
            return f"Den {d:%Y-%m-%d} kl. {d:%H:%M}, skrev {name}:"
        if lang == "fi":
            return f"{name} kirjoitti {d.day}.{d.month}.{d.year} klo {_h(d)}:"
        return f"On {d:%d/%m/%Y} {d:%H:%M}, {name} wrote:"
    if style == "roundcube":
        if lang == "sv":
            return f"{name} skrev {d:%Y-%m-%d} {d:%H:%M}:"
        if lang == "fi":
            return f"{name} kirjoitti {d.day}.{d.month}.{d.year} {d:%H:%M}:"
        return f"On {d:%Y-%m-%d} {d:%H:%M}, {name} wrote:"
    if style == "proton":
        if lang == "sv":
            return f"Den {WD_SV[d.weekday()]} {d.day} {MON_SV[d.month - 1]} {d.year} kl. {d:%H:%M}, {name} <{addr}> skrev:"
        if lang == "fi":
            return f"{WD_FI[d.weekday()]}na {d.day}. {MON_FI_PART[d.month - 1]} {d.year} klo {_h(d)}, {name} <{addr}> kirjoitti:"
        sfx = "th" if 4 <= d.day <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(d.day % 10, "th")
        return f"On {WD_EN[d.weekday()]}, {MON_EN[d.month - 1]} {d.day}{sfx}, {d.year} at {ampm(d)}, {name} <{addr}> wrote:"
    if style == "yahoo":
        if lang == "sv":
            return f"Den {WD_SV[d.weekday()]} {d.day} {MON_SV[d.month - 1]} {d.year} {d:%H:%M}, skrev {name} <{addr}>:"
        return f"On {WD_EN[d.weekday()]}, {MON_EN[d.month - 1]} {d.day}, {d.year}, {ampm(d)}, {name} <{addr}> wrote:"
    if style == "mutt":
        h12 = d.hour % 12 or 12
        return (f"On {WD_EN[d.weekday()][:3]}, {MON_EN[d.month - 1][:3]} {d.day:02d}, {d.year} at "
                f"{h12:02d}:{d:%M:%S}{'AM' if d.hour < 12 else 'PM'} +0200, {name} wrote:")
    raise ValueError(style)


def outlook_sent(lang: str, d: datetime, style: str = "den") -> str:
    if lang == "sv":
        if style == "den":
            return f"den {d.day} {MON_SV[d.month - 1]} {d.year} {d:%H:%M}"
        if style == "mac":
            return f"{WD_SV[d.weekday()]}, {d.day} {MON_SV[d.month - 1]} {d.year} {d:%H:%M}"
        if style == "mobile":
            return f"{WD_SV[d.weekday()]} {d.day} {MON_SV[d.month - 1]} {d.year} {d:%H:%M:%S}"
        return f"{WD_SV[d.weekday()]} {d.day} {MON_SV[d.month - 1]} {d.year} {d:%H:%M}"
    if lang == "fi":
        if style == "mac":
            return f"{WD_FI[d.weekday()]}, {d.day}. {MON_FI_PART[d.month - 1]} {d.year} klo {_h(d)}"
        if style == "old":
            return f"{d.day}. {MON_FI_PART[d.month - 1]} {d.year} {d:%H:%M}"
        if style == "mobile":
            return f"{WD_FI[d.weekday()]} {d.day}. {MON_FI_PART[d.month - 1]} {d.year} {d.hour}.{d:%M.%S}"
        return f"{WD_FI[d.weekday()]} {d.day}. {MON_FI_PART[d.month - 1]} {d.year} {_h(d)}"
    if style == "uk":
        return f"{d.day} {MON_EN[d.month - 1]} {d.year} {d:%H:%M}"
    if style == "mac":
        return f"{WD_EN[d.weekday()]}, {d.day} {MON_EN[d.month - 1]} {d.year} at {d:%H:%M}"
    if style == "mobile":
        h = d.hour % 12 or 12
        return f"{WD_EN[d.weekday()]}, {MON_EN[d.month - 1]} {d.day}, {d.year} {h}:{d:%M:%S} {'AM' if d.hour < 12 else 'PM'}"
    return f"{WD_EN[d.weekday()]}, {MON_EN[d.month - 1]} {d.day}, {d.year} {ampm(d)}"


HDR_LABELS = {
    "sv": ("Från", "Skickat", "Till", "Ämne"),
    "fi": ("Lähettäjä", "Lähetetty", "Vastaanottaja", "Aihe"),
    "en": ("From", "Sent", "To", "Subject"),
}
HDR_LABELS_MAC = {
    "sv": ("Från", "Datum", "Till", "Ämne"),
    "fi": ("Lähettäjä", "Päivämäärä", "Vastaanottaja", "Aihe"),
    "en": ("From", "Date", "To", "Subject"),
}


def header_block(c: Ctx, lang: str, style: str = "den", mailto: bool = False, mac: bool = False,
                 to_plain: bool = False) -> list[tuple[str, str]]:
    f, se, t, su = (HDR_LABELS_MAC if mac else HDR_LABELS)[lang]
    frm = f"{c.fn} [mailto:{LIST_ADDR}] " if mailto else f"{c.fn} <{LIST_ADDR}>"
    to = c.m.name if to_plain else f"{c.m.name} <{c.m.email}>"
    return [(f, frm), (se, outlook_sent(lang, c.ilocal, style)), (t, to), (su, c.inv.subject)]


FOOTERS = {
    "iphone": {"sv": "Skickat från min iPhone", "fi": "Lähetetty iPhonesta", "en": "Sent from my iPhone"},
    "ipad": {"sv": "Skickat från min iPad", "fi": "Lähetetty iPadista", "en": "Sent from my iPad"},
    "samsung": {"sv": "Skickat från min Galaxy", "fi": "Lähetetty Samsung Galaxy -älypuhelimesta.",
                "en": "Sent from my Galaxy"},
    "outlook_android": {"sv": "Skaffa Outlook för Android<https://aka.ms/AAb9ysg>",
                        "fi": "Hanki Outlook for Android<https://aka.ms/AAb9ysg>",
                        "en": "Get Outlook for Android<https://aka.ms/AAb9ysg>"},
    "outlook_ios": {"sv": "Skaffa Outlook för iOS<https://aka.ms/o0ukef>",
                    "fi": "Hanki Outlook for iOS<https://aka.ms/o0ukef>",
                    "en": "Get Outlook for iOS<https://aka.ms/o0ukef>"},
    "proton": {"sv": "Skickat med Proton Mail säker e-post.", "fi": "Lähetetty Proton Mailin suojatulla sähköpostilla.",
               "en": "Sent with Proton Mail secure email."},
    "yahoo": {"sv": "Skickat från Yahoo Mail för iPhone", "en": "Sent from Yahoo Mail for iPhone",
              "fi": "Lähetetty Yahoo Mailista iPhonelle"},
}


def lang_of(s: Spec) -> str:
    return s.opt.get("ui", s.lang or s.member.lang)


# --------------------------------------------------------------------------- assembly helpers
def part(headers: list[str], body: str) -> str:
    return NL.join(headers) + NL + NL + body


def multipart(boundary: str, parts: list[str], preamble: str | None = None, close_nl: bool = True) -> str:
    out = []
    if preamble is not None:
        out.append(preamble + NL + (NL if preamble else ""))
    for p in parts:
        out.append(f"--{boundary}{NL}{p}{NL}")
    out.append(f"--{boundary}--" + (NL if close_nl else ""))
    return "".join(out)


def encode_body(text: str, charset: str, cte: str, errors: str = "strict", lower_hex: bool = False) -> str:
    pycs = {"iso-8859-1": "latin-1", "windows-1252": "cp1252", "us-ascii": "ascii"}.get(charset.lower(), charset)
    if cte == "quoted-printable":
        return qp(text.encode(pycs, errors), lower_hex=lower_hex)
    if cte == "base64":
        return b64(text.replace("\n", "\r\n").encode(pycs, errors))
    return text  # 7bit / 8bit: encoded when the whole message is turned into bytes


def finish(head: list[str], body: str, crlf: bool, charset_8bit: str | None = None, errors: str = "strict") -> bytes:
    msg = NL.join(head) + NL + NL + body
    if not msg.endswith(NL):
        msg += NL
    if crlf:
        msg = msg.replace("\r\n", "\n").replace("\n", "\r\n")
    if charset_8bit:
        pycs = {"iso-8859-1": "latin-1", "windows-1252": "cp1252"}.get(charset_8bit.lower(), charset_8bit)
        return msg.encode(pycs, errors)
    return msg.encode("ascii") if msg.isascii() else msg.encode("utf-8")


def strip_sig(text: str) -> str:
    """The original without its "-- " signature block, as Thunderbird and Roundcube quote it."""
    i = text.find("\n-- \n")
    return text[:i].rstrip("\n") if i >= 0 else text


def with_sig(text: str, sig: str | None) -> str:
    return text + (f"\n\n-- \n{sig}" if sig else "")


def threading(c: Ctx) -> tuple[list[str], list[str]]:
    irt = [f"In-Reply-To: {c.irt}"] if c.irt else []
    refs = [f"References: {' '.join(c.refs)}"] if c.refs else []
    if len(" ".join(c.refs)) > 60 and c.refs:
        refs = ["References: " + "\n ".join(c.refs)]
    return irt, refs


def to_header(c: Ctx) -> str:
    return f"To: {enc_name(c.to_name, c.to_addr, 'utf-8', 'Q')}" if c.to_name else f"To: {c.to_addr}"


# --------------------------------------------------------------------------- HTML of the member's text
def html_lines_gmail(text: str) -> str:
    lines = text.split("\n")
    first, rest = lines[0], lines[1:]
    out = esc(first)
    for ln in rest:
        out += "<div>" + (esc(ln) if ln.strip() else "<br>") + "</div>"
    return out


def html_divs(text: str, attrs: str = "") -> str:
    return "".join(f"<div{attrs}>" + (esc(ln) if ln.strip() else "<br>") + "</div>" for ln in text.split("\n"))


def enc_body_html_divs(text: str) -> str:
    """The body of a plain new HTML message (Outlook 'new mail'): one <div> per line."""
    return "\n".join('<div style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, Calibri, Helvetica, '
                     'sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">' + (esc(ln) if ln.strip() else "<br>") + "</div>"
                     for ln in text.split("\n"))


def html_mso(text: str, ents: bool = False, span: str = 'style="font-size:11.0pt"') -> str:
    e = entities if ents else esc
    out = []
    for ln in text.split("\n"):
        if ln.strip():
            out.append(f'<p class="MsoNormal"><span {span}>{e(ln)}<o:p></o:p></span></p>')
        else:
            out.append(f'<p class="MsoNormal"><span {span}><o:p>&nbsp;</o:p></span></p>')
    return "\n".join(out)


def inv_html_mso(c: Ctx) -> str:
    out = []
    for ln in c.inv.text.split("\n"):
        out.append(f'<p class="MsoNormal">{esc(ln) if ln.strip() else "<o:p>&nbsp;</o:p>"}<o:p></o:p></p>')
    return "\n".join(out)


# ============================================================================ Gmail (web)
def gmail_ids(seed: str) -> tuple[str, str]:
    alpha = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    mid = "CA" + hx(seed + "g1", 1, "BEFJKLMNOPRSTUVWXYZ") + hx(seed + "g2", 38, alpha + "+_-") + "@mail.gmail.com"
    bnd = "000000000000" + hx(seed + "gb", 16)
    return f"<{mid}>", bnd


def gmail_attr_plain(attr: str, wrap: str | None) -> str:
    if wrap == "words":
        return "\n".join(wrap_words(attr, 76))
    if wrap == "lt":  # Gmail's classic split just after "<" (or "(" in the Finnish form)
        i = attr.rfind("<")
        if i < 0:
            i = attr.rfind("(")
        return attr[: i + 1] + "\n" + attr[i + 1 :]
    return attr


def render_gmail(s: Spec, android: bool = False) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    style = "gmail_android" if android else "gmail"
    attr = attribution(style, ui, c.ilocal, c.fn)
    quoted_plain = quote(c.inv.text)
    quoted_html = c.inv.html()
    prev = s.opt.get("prev")  # (previous text, minutes after invitation) for a reply to one's own reply
    if prev:
        ptext, pdt = prev
        pattr = attribution(style, ui, pdt, c.m.name, c.m.email)
        quoted_plain = quote(ptext + "\n\n" + attr + "\n\n" + quote(c.inv.text, "> ", ">"), "> ", ">")
        quoted_html = (html_lines_gmail(ptext) + '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">'
                       + esc(attr) + '<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;'
                       'border-left:1px solid rgb(204,204,204);padding-left:1ex">' + c.inv.html() + "</blockquote></div>")
        attr = pattr
    attr_p = gmail_attr_plain(attr, s.opt.get("wrap_attr"))
    plain = with_sig(s.text, s.sig) + "\n\n" + attr_p + "\n\n" + quoted_plain + "\n"
    if s.opt.get("foot"):
        plain = s.text + "\n\n" + s.opt["foot"] + "\n\n" + attr_p + "\n\n" + quoted_plain + "\n"
    addr_html = esc(attr).replace(f"&lt;{LIST_ADDR}&gt;", f'&lt;<a href="mailto:{LIST_ADDR}">{LIST_ADDR}</a>&gt;')
    if android:
        mine = html_divs(s.text, ' dir="auto"')
        if s.opt.get("foot"):
            mine += '<div dir="auto"><br></div><div dir="auto">' + esc(s.opt["foot"]) + "</div>"
        html = (f'<div dir="auto">{mine}</div><br><div class="gmail_quote gmail_quote_container">'
                f'<div dir="ltr" class="gmail_attr">{addr_html}<br></div>'
                '<blockquote class="gmail_quote" style="margin:0 0 0 .8ex;border-left:1px #ccc solid;padding-left:1ex">'
                f"{quoted_html}</blockquote></div>\n")
    else:
        mine = html_lines_gmail(s.text)
        if s.sig:
            sig_html = html_lines_gmail(s.sig)
            mine = (f"<div>{mine}</div><div><br></div><div><br></div>"
                    '<span class="gmail_signature_prefix">-- </span><br><div dir="ltr" class="gmail_signature" '
                    f'data-smartmail="gmail_signature"><div dir="ltr">{sig_html}</div></div>')
        html = (f'<div dir="ltr">{mine}</div><br><div class="gmail_quote gmail_quote_container">'
                f'<div dir="ltr" class="gmail_attr">{addr_html}<br></div>'
                '<blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex;border-left:1px solid rgb(204,204,204);'
                f'padding-left:1ex">{quoted_html}</blockquote></div>\n')
    cte = s.opt.get("cte", "quoted-printable")
    mid, bnd = gmail_ids(s.name)
    p1 = part(['Content-Type: text/plain; charset="UTF-8"', f"Content-Transfer-Encoding: {cte}"],
              encode_body(plain, "utf-8", cte))
    p2 = part(['Content-Type: text/html; charset="UTF-8"', f"Content-Transfer-Encoding: {cte}"],
              encode_body(html, "utf-8", cte))
    irt, refs = threading(c)
    if prev:
        own = f"<CA{hx(s.name + 'own', 40, 'ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789+_')}@mail.gmail.com>"
        irt = [f"In-Reply-To: {own}"]
        refs = [f"References: {c.inv.msgid}\n {own}"]
    gw = f"mail-{hx(s.name + 'r', 2, 'abcdefghijklmnopqrstuvwxyz')}1-f{hnum_s(s.name, 40, 180)}.google.com"
    relay = f"{gw} ({gw} [209.85.{hnum_s(s.name + 'net', 128, 222)}.{hnum_s(s.name + 'ip', 10, 250)}])"
    head = c.envelope(c.m.email, relay, with_xot=s.opt.get("xot", False)) + [
        "MIME-Version: 1.0",
        *refs,
        *irt,
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'B', cs_label='UTF-8')}",
        f"Date: {rfc_date(c.date)}",
        f"Message-ID: {mid}",
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n\t", partial=True, cs_label="UTF-8"),
        to_header(c),
        *s.opt.get("extra_headers", []),
        f'Content-Type: multipart/alternative; boundary="{bnd}"',
    ]
    return finish(head, multipart(bnd, [p1, p2]), s.opt.get("crlf", False))


def hnum_s(seed: str, lo: int, hi: int) -> int:
    from mimekit import hnum

    return hnum(seed, lo, hi)


# ============================================================================ Outlook desktop (Windows)
WORD_HEAD = """<html xmlns:v="urn:schemas-microsoft-com:vml" xmlns:o="urn:schemas-microsoft-com:office:office" xmlns:w="urn:schemas-microsoft-com:office:word" xmlns:m="http://schemas.microsoft.com/office/2004/12/omml" xmlns="http://www.w3.org/TR/REC-html40">
<head>
<meta http-equiv="Content-Type" content="text/html; charset={cs}">
<meta name="Generator" content="Microsoft Word 15 (filtered medium)">
<style><!--
/* Font Definitions */
@font-face
	{{font-family:"Cambria Math";
	panose-1:2 4 5 3 5 4 6 3 2 4;}}
@font-face
	{{font-family:Calibri;
	panose-1:2 15 5 2 2 2 4 3 2 4;}}
@font-face
	{{font-family:Aptos;}}
/* Style Definitions */
p.MsoNormal, li.MsoNormal, div.MsoNormal
	{{margin:0cm;
	font-size:12.0pt;
	font-family:"Aptos",sans-serif;
	mso-ligatures:standardcontextual;
	mso-fareast-language:EN-US;}}
a:link, span.MsoHyperlink
	{{mso-style-priority:99;
	color:#467886;
	text-decoration:underline;}}
span.{style_name}
	{{mso-style-type:personal-reply;
	font-family:"Aptos",sans-serif;
	color:windowtext;}}
.MsoChpDefault
	{{mso-style-type:export-only;
	font-size:10.0pt;
	mso-ligatures:none;
	mso-fareast-language:EN-US;}}
@page WordSection1
	{{size:612.0pt 792.0pt;
	margin:70.85pt 70.85pt 70.85pt 70.85pt;}}
div.WordSection1
	{{page:WordSection1;}}
--></style>
</head>
<body lang="{blang}" link="#467886" vlink="#96607D" style="word-wrap:break-word">
<div class="WordSection1">
"""

STYLE_NAMES = {"sv": "E-postmall18", "fi": "Shkpostityyli18", "en": "EmailStyle18"}


def outlook_ids(s: Spec, mac: bool = False) -> tuple[str, str, str]:
    pre = hx(s.name + "pre", 2, "ABCDEFGHJKLMNPQRSTUVWXYZ")
    srv = f"{pre}{hnum_s(s.name, 1, 9)}PR{hnum_s(s.name + 'b', 10, 99):02d}MB{hnum_s(s.name + 'c', 1000, 9999)}"
    tail = hx(s.name + "mid", 28, "0123456789ABCDEF")
    mid = f"<{srv}{tail}@{srv}.eurprd{hnum_s(s.name + 'e', 1, 9):02d}.prod.outlook.com>"
    bnd = f"_000_{srv}{tail}{srv}eurp_"
    tix = "AQH" + hx(s.name + "ti", 25, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/") + "=="
    return mid, bnd, tix


def outlook_headers(s: Spec, c: Ctx, mid: str, tix: str, charset: str, subj_prefix: str,
                    content_lang: str, ctype: list[str], xmailer: str | None = None) -> list[str]:
    name_cs = "iso-8859-1" if charset != "utf-8" and c.m.name.encode("latin-1", "ignore").decode("latin-1") == c.m.name else "utf-8"
    frm = enc_name(c.m.name, c.m.email, name_cs, "Q" if name_cs != "utf-8" else "B")
    subj = c.subj(subj_prefix)
    irt, refs = threading(c)
    acc = {"sv": "sv-SE, fi-FI, en-US", "fi": "fi-FI, en-US", "en": "en-US, fi-FI"}[content_lang]
    cl = {"sv": "sv-SE", "fi": "fi-FI", "en": "en-GB" if s.opt.get("uk") else "en-US"}[content_lang]
    eur = f"EUR{hnum_s(s.name + 'eu', 1, 5):02d}"
    dc = hx(s.name + "dc", 1, "ABDFGHV") + hx(s.name + "dd", 1, "MBX") + str(hnum_s(s.name + "dn", 1, 9))
    o3, o4 = hnum_s(s.name + "x", 1, 250), hnum_s(s.name + "y", 1, 250)
    relay = (f"{eur}-{dc}-obe.outbound.protection.outlook.com "
             f"(mail-{dc.lower()}{eur.lower()}on20{o4}.outbound.protection.outlook.com [40.107.{o3}.{o4}])")
    head = c.envelope(c.m.email, relay, with_xot=s.opt.get("xot", False)) + [
        f"From: {frm}",
        to_header(c),
        *s.opt.get("cc", []),
        "Subject: " + enc_header(subj, "utf-8", "B", fold="\n "),
        "Thread-Topic: " + enc_header(c.inv.subject, "utf-8", "B", fold="\n "),
        f"Thread-Index: {tix}",
        f"Date: {rfc_date(c.date.astimezone(UTC))}",
        f"Message-ID: {mid}",
        *refs,
        *irt,
        f"Accept-Language: {acc}",
        f"Content-Language: {cl}",
        "X-MS-Has-Attach:",
        "X-MS-TNEF-Correlator:",
        *([f"X-Mailer: {xmailer}"] if xmailer else []),
        "msip_labels:",
        *ctype,
        "MIME-Version: 1.0",
    ]
    return head


def render_outlook(s: Spec) -> bytes:
    """Outlook for Windows (Microsoft 365): text/plain + Word HTML, header block without '>' quoting."""
    c = Ctx(s)
    lang = lang_of(s)
    charset = s.opt.get("charset", "utf-8")
    label = s.opt.get("label", charset)
    errors = "replace" if charset != "utf-8" else "strict"
    hb = header_block(c, lang, s.opt.get("sent_style", "den" if lang == "sv" else "x"))
    plain = s.text + "\n\n" + "\n".join(f"{k}: {v}" for k, v in hb) + "\n\n" + c.inv.text + "\n"
    if s.opt.get("disclaimer"):
        plain += "\n" + s.opt["disclaimer"] + "\n"
    blang = {"sv": "SV", "fi": "FI", "en": "EN-US"}[lang]
    html = WORD_HEAD.format(cs=label, style_name=STYLE_NAMES[lang], blang=blang)
    html += html_mso(s.text) + "\n"
    html += '<p class="MsoNormal"><span style="font-size:11.0pt"><o:p>&nbsp;</o:p></span></p>\n'
    html += '<div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
    sp = 'style="font-size:11.0pt;font-family:&quot;Calibri&quot;,sans-serif"'
    (k0, v0), *rest = hb
    v0h = esc(v0).replace(f"&lt;{LIST_ADDR}&gt;", f'&lt;<a href="mailto:{LIST_ADDR}">{LIST_ADDR}</a>&gt;')
    html += f'<p class="MsoNormal"><b><span lang="{blang}" {sp}>{k0}:</span></b><span lang="{blang}" {sp}> {v0h}<br>\n'
    html += "<br>\n".join(f"<b>{k}:</b> {esc(v)}" for k, v in rest) + "<o:p></o:p></span></p>\n</div>\n"
    html += '<p class="MsoNormal"><o:p>&nbsp;</o:p></p>\n<div>\n' + inv_html_mso(c) + "\n</div>\n"
    if s.opt.get("disclaimer"):
        html += f'<p class="MsoNormal"><span style="font-size:8.0pt;color:gray">{esc(s.opt["disclaimer"])}</span></p>\n'
    html += "</div>\n</body>\n</html>\n"
    mid, bnd, tix = outlook_ids(s)
    prefix = {"sv": "SV: ", "fi": "VS: ", "en": "RE: "}[lang]
    if s.opt.get("html_only"):
        head = outlook_headers(s, c, mid, tix, charset, prefix, lang,
                               [f'Content-Type: text/html; charset="{label}"', "Content-Transfer-Encoding: quoted-printable"])
        return finish(head, encode_body(html, charset, "quoted-printable", errors), True)
    p1 = part([f'Content-Type: text/plain; charset="{label}"', "Content-Transfer-Encoding: quoted-printable"],
              encode_body(plain, charset, "quoted-printable", errors))
    p2 = part([f'Content-Type: text/html; charset="{label}"', "Content-Transfer-Encoding: quoted-printable"],
              encode_body(html, charset, "quoted-printable", errors))
    head = outlook_headers(s, c, mid, tix, charset, prefix, lang,
                           ["Content-Type: multipart/alternative;", f'\tboundary="{bnd}"'])
    return finish(head, multipart(bnd, [p1, p2]), True)


# ============================================================================ Outlook on the web / new Outlook
OWA_DIV = ('<div class="elementToProof" style="font-family: Aptos, Aptos_EmbeddedFont, Aptos_MSFontService, '
           'Calibri, Helvetica, sans-serif; font-size: 12pt; color: rgb(0, 0, 0);">')


def render_owa(s: Spec) -> bytes:
    c = Ctx(s)
    lang = lang_of(s)
    hb = header_block(c, lang, "den" if lang == "sv" else "x")
    plain = (s.text + "\n\n________________________________\n" + "\n".join(f"{k}: {v}" for k, v in hb)
             + "\n\n" + c.inv.text + "\n")
    mine = "\n".join(OWA_DIV + (esc(ln) if ln.strip() else "<br>") + "</div>" for ln in s.text.split("\n"))
    hbh = "<br>\n".join(f"<b>{k}:</b> {esc(v)}" for k, v in hb)
    html = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
            '<style type="text/css" style="display:none;"> P {margin-top:0;margin-bottom:0;} </style>\n'
            '</head>\n<body dir="ltr">\n' + mine + "\n"
            '<div id="appendonsend"></div>\n<hr style="display:inline-block;width:98%" tabindex="-1">\n'
            '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri, sans-serif" style="font-size:11pt" '
            f'color="#000000">{hbh}</font>\n<div>&nbsp;</div>\n</div>\n<div>\n{c.inv.html()}\n</div>\n</body>\n</html>\n')
    mid, bnd, tix = outlook_ids(s)
    prefix = {"sv": "Sv: ", "fi": "Vs: ", "en": "Re: "}[lang]
    if s.opt.get("html_only"):
        head = outlook_headers(s, c, mid, tix, "utf-8", prefix, lang,
                               ['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"])
        return finish(head, encode_body(html, "utf-8", "quoted-printable"), True)
    p1 = part(['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
              encode_body(plain, "utf-8", "quoted-printable"))
    p2 = part(['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
              encode_body(html, "utf-8", "quoted-printable"))
    head = outlook_headers(s, c, mid, tix, "utf-8", prefix, lang,
                           ["Content-Type: multipart/alternative;", f'\tboundary="{bnd}"'])
    return finish(head, multipart(bnd, [p1, p2]), True)


# ============================================================================ Outlook for Mac (HTML only)
def render_outlook_mac(s: Spec) -> bytes:
    c = Ctx(s)
    lang = lang_of(s)
    hb = header_block(c, lang, "mac", mac=True)
    blang = {"sv": "SV", "fi": "FI", "en": "EN-GB"}[lang]
    ents = s.opt.get("entities", False)
    html = WORD_HEAD.format(cs="utf-8", style_name=STYLE_NAMES[lang], blang=blang)
    html += html_mso(s.text, ents=ents) + "\n"
    html += '<p class="MsoNormal"><span style="font-size:11.0pt"><o:p>&nbsp;</o:p></span></p>\n'
    html += '<div id="mail-editor-reference-message-container">\n'
    html += '<div class="MsoNormal" style="text-align:center" align="center"><span style="font-size:11.0pt"><hr size="1" width="100%" align="center"></span></div>\n'
    html += '<div style="border:none;border-top:solid #B5C4DF 1.0pt;padding:3.0pt 0cm 0cm 0cm">\n'
    html += '<p class="MsoNormal" style="margin-bottom:12.0pt">'
    html += "<br>\n".join(f'<b><span style="font-size:12.0pt;color:black">{(entities if ents else esc)(k)}: </span></b><span style="font-size:12.0pt;color:black">{(entities if ents else esc)(v)}</span>'
                          for k, v in hb)
    html += "<o:p></o:p></p>\n</div>\n" + inv_html_mso(c) + "\n</div>\n</div>\n</body>\n</html>\n"
    mid = f"<{uuid_like(s.name + 'mac', upper=True)}@{c.m.email.split('@')[1]}>"
    irt, refs = threading(c)
    prefix = {"sv": "Sv: ", "fi": "Vs: ", "en": "Re: "}[lang]
    head = c.envelope(c.m.email, f"smtp.{c.m.email.split('@')[1]} (smtp.{c.m.email.split('@')[1]} [198.51.100.{hnum_s(s.name, 2, 250)}])") + [
        "User-Agent: Microsoft-MacOutlook/16.91.24111020",
        f"Date: {rfc_date(c.date)}",
        "Subject: " + enc_header(c.subj(prefix), "utf-8", "B", fold="\n\t"),
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'B', cs_label='UTF-8')}",
        to_header(c),
        f"Message-ID: {mid}",
        "Thread-Topic: " + enc_header(c.inv.subject, "utf-8", "B", fold="\n\t"),
        *refs,
        *irt,
        "Mime-version: 1.0",
        'Content-type: text/html;\n\tcharset="UTF-8"',
        "Content-transfer-encoding: quoted-printable",
    ]
    return finish(head, encode_body(html, "utf-8", "quoted-printable"), s.opt.get("crlf", False))


# ============================================================================ old Outlook (plain text, "-----Original Message-----")
def render_outlook_old(s: Spec) -> bytes:
    c = Ctx(s)
    lang = lang_of(s)
    sep = {"sv": "-----Ursprungligt meddelande-----", "fi": "-----Alkuperäinen viesti-----",
           "en": "-----Original Message-----"}[lang]
    hb = header_block(c, lang, "old" if lang == "fi" else ("den" if lang == "sv" else "x"), mailto=True, to_plain=True)
    plain = s.text + "\n\n" + sep + "\n" + "\n".join(f"{k}: {v}" for k, v in hb) + "\n\n" + c.inv.text + "\n"
    charset = s.opt.get("charset", "iso-8859-1")
    label = s.opt.get("label", charset)
    cte = s.opt.get("cte", "quoted-printable")
    errors = "replace"
    frm = enc_name(c.m.name, c.m.email, "iso-8859-1", "Q", quote_ascii=True)
    if not c.m.name.isascii():
        frm = '"' + enc_header(c.m.name, "iso-8859-1", "Q") + f'" <{c.m.email}>'
    irt, refs = threading(c)
    prefix = {"sv": "SV: ", "fi": "VS: ", "en": "RE: "}[lang]
    subj = c.subj(prefix)
    cs_subj = "iso-8859-1"
    try:
        subj.encode("latin-1")
    except UnicodeEncodeError:
        cs_subj = "windows-1252"
    pycs = {"iso-8859-1": "latin-1", "windows-1252": "cp1252"}[cs_subj]
    head = c.envelope(c.m.email, f"mail.{c.m.email.split('@')[1]} ([203.0.113.{hnum_s(s.name, 2, 250)}])") + [
        f"From: {frm}",
        to_header(c),
        "Subject: " + enc_header(subj, pycs, "Q", fold="\n\t", cs_label=cs_subj),
        f"Date: {rfc_date(c.date)}",
        f"Message-ID: <0000{hx(s.name + 'm', 2)}01d{hx(s.name, 5)}${hx(s.name + '1', 8)}${hx(s.name + '2', 8)}$@{c.m.email.split('@')[1]}>",
        "MIME-Version: 1.0",
        f'Content-Type: text/plain;\n\tcharset="{label}"',
        f"Content-Transfer-Encoding: {cte}",
        f"X-Mailer: {s.opt.get('xmailer', 'Microsoft Office Outlook 12.0')}",
        f"Thread-Index: Ac{hx(s.name + 'ti', 20, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}==",
        *irt,
        *refs,
        f"Content-Language: {'sv' if lang == 'sv' else ('fi' if lang == 'fi' else 'en-gb')}",
    ]
    if cte == "8bit":
        return finish(head, plain, True, charset_8bit=charset, errors=errors)
    return finish(head, encode_body(plain, charset, cte, errors), True)


# ============================================================================ Apple Mail (macOS)
def apple_ids(s: Spec, c: Ctx) -> tuple[str, str]:
    dom = c.m.email.split("@")[1]
    return f"<{uuid_like(s.name + 'apple', upper=True)}@{dom}>", f"Apple-Mail={uuid_like(s.name + 'ab', upper=True)}"


def render_apple(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    attr = attribution(s.opt.get("attr", "apple"), ui, c.ilocal, c.fn)
    flowed = s.opt.get("flowed", False)
    prefixed = s.opt.get("attr_prefixed", True)
    qbody = quote(c.inv.text, "> ", "> ")
    if s.opt.get("flowed"):
        qbody = flow(c.inv.text, 76, delsp=True, prefix="> ").replace("\n>\n", "\n> \n")
    if prefixed:
        plain_q = f"> {attr}\n> \n" + qbody
    else:
        plain_q = f"{attr}\n\n" + qbody
    mine = with_sig(s.text, s.sig)
    if flowed:
        mine_p = flow(mine, 76, delsp=True)
        plain = mine_p + "\n\n" + plain_q + "\n"
    else:
        plain = mine + "\n\n" + plain_q + "\n"
    mid, bnd = apple_ids(s, c)
    html = ('<html aria-label="message body"><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head>'
            '<body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;">'
            + html_divs(mine) + '<div><br><blockquote type="cite"><div>' + esc(attr) + '</div><br class="Apple-interchange-newline">'
            '<div><div>' + c.inv.html() + "</div></div></blockquote></div><br></body></html>")
    ct_plain = ["Content-Transfer-Encoding: quoted-printable",
                "Content-Type: text/plain;\n\tcharset=utf-8" + (";\n\tdelsp=yes;\n\tformat=flowed" if flowed else "")]
    p1 = part(ct_plain, encode_body(plain, "utf-8", "quoted-printable"))
    p2 = part(["Content-Transfer-Encoding: quoted-printable", "Content-Type: text/html;\n\tcharset=utf-8"],
              encode_body(html, "utf-8", "quoted-printable"))
    irt, refs = threading(c)
    dom = c.m.email.split("@")[1]
    head = c.envelope(c.m.email, f"p00-icloudmta-asmtp-us-west-2a-60-percent-{hnum_s(s.name, 1, 9)}.p00-icloudmta-asmtp-vip.icloud-mail-production.svc.kube.us-west-2a.k8s.cloud.apple.com (p00-icloudmta-asmtp-us-west-2a-60-percent-{hnum_s(s.name, 1, 9)}.p00-icloudmta-asmtp-vip.icloud-mail-production.svc.kube.us-west-2a.k8s.cloud.apple.com [17.57.155.{hnum_s(s.name, 2, 250)}])" if dom in ("icloud.com", "me.com") else f"smtp.{dom} (smtp.{dom} [198.51.100.{hnum_s(s.name, 2, 250)}])") + [
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'Q')}",
        "Content-Type: multipart/alternative;",
        f'\tboundary="{bnd}"',
        f"Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.{s.opt.get('build', '200.121')}\\))",
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n "),
        f"Date: {rfc_date(c.date)}",
        *irt,
        to_header(c),
        *refs,
        f"Message-Id: {mid}",
        f"X-Mailer: Apple Mail (2.3826.{s.opt.get('build', '200.121')})",
    ]
    return finish(head, multipart(bnd, [p1, p2], preamble=""), s.opt.get("crlf", False))


# ============================================================================ iPhone / iPad Mail
def render_iphone(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    dev = s.opt.get("device", "iphone")
    foot = s.opt.get("foot", FOOTERS[dev][ui])
    attr = attribution("apple" if not s.opt.get("us") else "apple_us", ui, c.ilocal, c.fn)
    mine = s.text
    lines = []
    if mine:
        lines.append(mine)
        lines.append("")
    if foot:
        lines.append(foot)
        lines.append("")
    if not s.opt.get("no_quote"):
        lines.append(f"> {attr}\n> \n" + quote(c.inv.text, "> ", "> "))
    plain = "\n".join(lines).rstrip("\n") + "\n"
    mid = f"<{uuid_like(s.name + 'iph', upper=True)}@{c.m.email.split('@')[1]}>"
    irt, refs = threading(c)
    cc = s.opt.get("cc", [])
    xm = s.opt.get("xmailer", "iPhone Mail (22B91)" if dev == "iphone" else "iPad Mail (22B83)")
    dom = c.m.email.split("@")[1]
    head = c.envelope(c.m.email, f"smtp.{dom} (smtp.{dom} [198.51.100.{hnum_s(s.name, 2, 250)}])",
                      with_xot=s.opt.get("xot", False))
    if s.opt.get("multipart"):
        bnd = f"Apple-Mail-{uuid_like(s.name + 'b', upper=True)}"
        html = ('<html><head><meta http-equiv="content-type" content="text/html; charset=utf-8"></head><body dir="auto">'
                + "".join(f'<div dir="ltr">{esc(ln) if ln.strip() else "<br>"}</div>' for ln in mine.split("\n"))
                + f'<div dir="ltr"><br></div><div dir="ltr">{esc(foot)}</div><div dir="ltr"><br><blockquote type="cite">'
                + esc(attr) + "<br><br></blockquote></div><blockquote type=\"cite\"><div dir=\"ltr\">" + c.inv.html()
                + "</div></blockquote></body></html>")
        body = multipart(bnd, [
            part(["Content-Type: text/plain;\n\tcharset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
                 encode_body(plain, "utf-8", "quoted-printable")),
            part(["Content-Type: text/html;\n\tcharset=utf-8", "Content-Transfer-Encoding: quoted-printable"],
                 encode_body(html, "utf-8", "quoted-printable")),
        ], preamble="")
        ctype = ["Content-Type: multipart/alternative; boundary=" + bnd]
        cte: list[str] = []
    else:
        body = encode_body(plain, "utf-8", "quoted-printable")
        ctype = ["Content-Type: text/plain;\n\tcharset=utf-8"]
        cte = ["Content-Transfer-Encoding: quoted-printable"]
    head += [
        *ctype,
        *cte,
        "Mime-Version: 1.0 (1.0)",
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n "),
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'Q')}",
        *irt,
        f"Date: {rfc_date(c.date)}",
        *cc,
        f"Message-Id: {mid}",
        *refs,
        to_header(c),
        f"X-Mailer: {xm}",
    ]
    return finish(head, body, s.opt.get("crlf", False))


# ============================================================================ Thunderbird
def render_thunderbird(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    attr = attribution("thunderbird", ui, c.ilocal, c.fn)
    charset = s.opt.get("charset", "UTF-8")
    mine = with_sig(s.text, s.sig)
    q = flow(strip_sig(c.inv.text), 72, prefix="> ")  # mail.strip_sig_on_reply
    if s.opt.get("bottom"):
        plain = attr + "\n" + q + "\n\n" + flow(mine, 72) + "\n"
    else:
        plain = flow(mine, 72) + "\n\n" + attr + "\n" + q + "\n"
    if s.opt.get("pre_quote_text"):  # text above the quote too (rare)
        plain = flow(s.opt["pre_quote_text"], 72) + "\n\n" + plain
    dom = c.m.email.split("@")[1]
    mid = f"<{uuid_like(s.name + 'tb')}@{dom}>"
    irt, refs = threading(c)
    cl = {"sv": "sv-FI" if c.m.tz == "fi" else "sv-SE", "fi": "fi", "en": "en-GB"}[ui]
    ua = s.opt.get("ua", "Mozilla Thunderbird")
    subj_cs = "UTF-8" if charset.upper() == "UTF-8" else "ISO-8859-1"
    pycs = "utf-8" if subj_cs == "UTF-8" else "latin-1"
    subj = c.subj()
    try:
        subj.encode(pycs)
    except UnicodeEncodeError:
        subj_cs, pycs = "UTF-8", "utf-8"
    name_hdr = enc_name(c.m.name, c.m.email, pycs if c.m.name.encode(pycs, "ignore").decode(pycs) == c.m.name else "utf-8",
                        "Q", lower_hex=True, cs_label=subj_cs if c.m.name.encode(pycs, "ignore").decode(pycs) == c.m.name else "UTF-8")
    head = c.envelope(c.m.email, f"smtp.{dom} (smtp.{dom} [203.0.113.{hnum_s(s.name, 2, 250)}])",
                      with_xot=s.opt.get("xot", False)) + [
        f"Message-ID: {mid}",
        f"Date: {rfc_date(c.date)}",
        "MIME-Version: 1.0",
        f"User-Agent: {ua}",
        "Subject: " + enc_header(subj, pycs, "Q", fold="\n ", partial=True, lower_hex=True, cs_label=subj_cs),
        f"Content-Language: {cl}",
        to_header(c),
        *refs,
        f"From: {name_hdr}",
        *irt,
    ]
    if s.opt.get("html"):
        bnd = "------------" + hx(s.name + "tbb", 24, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        mine_html = "<br>\n".join(esc(ln) for ln in mine.split("\n"))
        html = ("<!DOCTYPE html>\n<html>\n  <head>\n    <meta http-equiv=\"Content-Type\" content=\"text/html; charset=UTF-8\">\n"
                "  </head>\n  <body>\n    <p>" + mine_html + "</p>\n"
                f'    <div class="moz-cite-prefix">{esc(attr)}<br>\n    </div>\n'
                f'    <blockquote type="cite" cite="mid:{c.inv.msgid[1:-1]}">\n' + c.inv.html() + "\n    </blockquote>\n  </body>\n</html>\n")
        body = multipart(bnd, [
            part(["Content-Type: text/plain; charset=UTF-8; format=flowed", "Content-Transfer-Encoding: 8bit"], plain),
            part(["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: 8bit"], html),
        ], preamble="This is a multi-part message in MIME format.")
        head.append(f'Content-Type: multipart/alternative;\n boundary="{bnd}"')
        return finish(head, body, s.opt.get("crlf", False))
    head += [f"Content-Type: text/plain; charset={charset}; format=flowed", "Content-Transfer-Encoding: 8bit"]
    if charset.upper() != "UTF-8":
        return finish(head, plain, s.opt.get("crlf", False), charset_8bit=charset, errors="replace")
    return finish(head, plain, s.opt.get("crlf", False))


# ============================================================================ Roundcube
def render_roundcube(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    attr = attribution("roundcube", ui, c.ilocal, c.fn)
    q = flow(strip_sig(c.inv.text), 76, prefix="> ")  # Roundcube's strip_existing_sig
    mine = with_sig(s.text, s.sig)
    if s.opt.get("bottom"):
        plain = attr + "\n" + q + "\n\n" + flow(mine, 76) + "\n"
    else:
        plain = flow(mine, 76) + "\n\n" + attr + "\n" + q + "\n"
    dom = c.m.email.split("@")[1]
    irt, refs = threading(c)
    head = c.envelope(c.m.email, f"webmail.{dom} (webmail.{dom} [192.0.2.{hnum_s(s.name, 2, 250)}])") + [
        "MIME-Version: 1.0",
        f"Date: {rfc_date(c.date)}",
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'Q', cs_label='UTF-8')}",
        to_header(c),
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n ", partial=True, cs_label="UTF-8"),
        *irt,
        *refs,
        f"Message-ID: <{hx(s.name + 'rc', 32)}@{dom}>",
        f"X-Sender: {c.m.email}",
        "User-Agent: Roundcube Webmail/1.6.9",
        "Content-Type: text/plain; charset=UTF-8; format=flowed",
        "Content-Transfer-Encoding: 8bit",
    ]
    return finish(head, plain, s.opt.get("crlf", False))


# ============================================================================ mutt (inline replies)
def render_mutt(s: Spec) -> bytes:
    """s.opt['segments']: list of ("q", invitation line indexes) / ("t", text); the attribution comes first."""
    c = Ctx(s)
    attr = attribution("mutt", "en", c.ilocal, c.fn)
    lines = c.inv.text.split("\n")
    out = [attr]
    for kind, val in s.opt["segments"]:
        if kind == "q":
            a, b = val
            out.append(quote("\n".join(lines[a:b])))
        else:
            out.append(val)
    plain = "\n".join(out) + "\n"
    if s.sig:
        plain += "\n-- \n" + s.sig + "\n"
    dom = c.m.email.split("@")[1]
    irt, refs = threading(c)
    d = c.date
    head = c.envelope(c.m.email, f"{dom} ({dom} [198.51.100.{hnum_s(s.name, 2, 250)}])", with_xot=True) + [
        f"Date: {rfc_date(d)}",
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'Q')}",
        to_header(c),
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n ", partial=True),
        f"Message-ID: <{d:%Y%m%d%H%M%S}.{hx(s.name, 12, 'abcdefghijklmnopqrstuvwxyz234567')}@{dom}>",
        *refs,
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Disposition: inline",
        "Content-Transfer-Encoding: 8bit",
        *irt,
        "User-Agent: Mutt/2.2.13 (2024-03-09)",
    ]
    return finish(head, plain, False)


# ============================================================================ Samsung Email (Android)
def render_samsung(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    foot = FOOTERS["samsung"][ui]
    sep = {"sv": "-------- Originalmeddelande --------", "fi": "-------- Alkuperäinen viesti --------",
           "en": "-------- Original message --------"}[ui]
    lab = {"sv": ("Från", "Datum", "Till", "Ämne"), "fi": ("Lähettäjä", "Päivämäärä", "Vastaanottaja", "Aihe"),
           "en": ("From", "Date", "To", "Subject")}[ui]
    d = c.ilocal
    dstr = {"sv": f"{d:%Y-%m-%d} {d:%H:%M} (GMT+02:00)", "fi": f"{d.day}.{d.month}.{d.year} {_h(d)} (GMT+02:00)",
            "en": f"{d:%d/%m/%Y} {d:%H:%M} (GMT+02:00)"}[ui]
    hb = [(lab[0], f"{c.fn} <{LIST_ADDR}>"), (lab[1], dstr), (lab[2], f"{c.m.name} <{c.m.email}>"),
          (lab[3], c.inv.subject)]
    plain = (s.text + "\n\n\n\n" + foot + "\n\n\n" + sep + "\n" + "\n".join(f"{k}: {v} " for k, v in hb)
             + "\n\n" + c.inv.text + "\n")
    html = ('<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"></head><body>'
            + html_divs(s.text, ' dir="auto"') + '<div dir="auto"><br></div><div dir="auto"><br></div>'
            f'<div id="composer_signature" dir="auto"><div style="font-size:85%;color:#575757" dir="auto">{esc(foot)}</div></div>'
            f'<div><br></div><div align="left" dir="auto" style="font-size:100%;color:#000000"><div>{sep}</div><div>'
            + "</div><div>".join(f"{esc(k)}: {esc(v)} " for k, v in hb) + "</div><div><br></div></div>"
            + c.inv.html() + "</body></html>")
    bnd = f"--_com.samsung.android.email_{hnum_s(s.name, 10**14, 10**15)}"
    p1 = part(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: base64"], encode_body(plain, "utf-8", "base64"))
    p2 = part(["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: base64"], encode_body(html, "utf-8", "base64"))
    irt, refs = threading(c)
    dom = c.m.email.split("@")[1]
    head = c.envelope(c.m.email, f"smtp.{dom} (smtp.{dom} [198.51.100.{hnum_s(s.name, 2, 250)}])") + [
        f"Message-ID: <{hx(s.name + 'ss', 8)}-{hx(s.name + 'st', 4)}.{hnum_s(s.name, 1000, 9999)}@email.android.com>",
        *irt,
        *refs,
        "MIME-Version: 1.0",
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'B', cs_label='UTF-8')}",
        f"Date: {rfc_date(c.date)}",
        "Subject: " + enc_header(c.subj(), "utf-8", "B", fold="\n ", cs_label="UTF-8"),
        to_header(c),
        "Importance: normal",
        "X-Priority: 3",
        f'Content-Type: multipart/alternative; boundary="{bnd}"',
    ]
    return finish(head, multipart(bnd, [p1, p2]), s.opt.get("crlf", False))


# ============================================================================ Outlook for Android / iOS
def render_outlook_mobile(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    plat = s.opt.get("platform", "android")
    foot = FOOTERS["outlook_" + plat][ui]
    hb = header_block(c, ui, "mobile")
    plain = (s.text + "\n\n" + foot + "\n________________________________\n"
             + "\n".join(f"{k}: {v}" for k, v in hb) + "\n\n" + c.inv.text + "\n")
    foot_txt, url = foot.split("<")
    url = url.rstrip(">")
    html = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n</head>\n<body>\n'
            + html_divs(s.text, ' dir="auto"') + "\n"
            f'<div dir="auto"><br></div><div class="ms-outlook-mobile-signature" dir="auto">{esc(foot_txt.split(" Outlook")[0])} <a href="{url}">Outlook{esc(foot_txt.split("Outlook", 1)[1])}</a></div>\n'
            '<div id="mail-editor-reference-message-container" class="ms-outlook-mobile-reference-message skipProofing">\n'
            '<hr style="display:inline-block;width:98%" tabindex="-1">\n<div id="divRplyFwdMsg" dir="ltr">'
            '<font face="Calibri, sans-serif" style="font-size:11pt" color="#000000">'
            + "<br>\n".join(f"<b>{k}:</b> {esc(v)}" for k, v in hb) + "</font>\n<div>&nbsp;</div>\n</div>\n"
            + c.inv.html() + "\n</div>\n</body>\n</html>\n")
    mid, bnd, tix = outlook_ids(s)
    p1 = part(['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: base64"], encode_body(plain, "utf-8", "base64"))
    p2 = part(['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: base64"], encode_body(html, "utf-8", "base64"))
    head = outlook_headers(s, c, mid, tix, "utf-8", "Re: ", ui, ["Content-Type: multipart/alternative;", f'\tboundary="{bnd}"'])
    head.insert(-3, "x-ms-reactions: allow")
    return finish(head, multipart(bnd, [p1, p2]), True)


# ============================================================================ Proton Mail
def render_proton(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    foot = FOOTERS["proton"][ui]
    attr = attribution("proton", ui, c.ilocal, c.fn)
    plain = s.text + "\n\n" + foot + "\n\n" + attr + "\n\n" + quote(c.inv.text, "> ", ">") + "\n"
    html = ('<div style="font-family: Arial, sans-serif; font-size: 14px;">' + html_divs(s.text) + "</div>"
            '<div class="protonmail_signature_block" style="font-family: Arial, sans-serif; font-size: 14px;">'
            f'<div class="protonmail_signature_block-proton">{esc(foot.split("Proton")[0])}<a target="_blank" href="https://proton.me/mail/home">Proton Mail</a>{esc(foot.split("Mail", 1)[1])}</div></div>'
            f'<div class="protonmail_quote">{esc(attr)}<br><br><blockquote class="protonmail_quote" type="cite">{c.inv.html()}</blockquote><br></div>')
    bnd = "b1=_" + hx(s.name + "pb", 40, "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
    p1 = part(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"], encode_body(plain, "utf-8", "quoted-printable"))
    p2 = part(["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"], encode_body(html, "utf-8", "quoted-printable"))
    irt, refs = threading(c)
    head = c.envelope(c.m.email, f"mail-4{hnum_s(s.name, 10, 99)}.protonmail.ch (mail-4{hnum_s(s.name, 10, 99)}.protonmail.ch [185.70.43.{hnum_s(s.name, 2, 250)}])") + [
        f"Date: {rfc_date(c.date.astimezone(UTC))}",
        to_header(c),
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'Q')}",
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n "),
        f"Message-ID: <{hx(s.name + 'pm', 60, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}=@proton.me>",
        *irt,
        *refs,
        "Feedback-ID: " + hx(s.name + "fb", 20, "0123456789") + ":user:proton",
        "X-Pm-Message-ID: " + hx(s.name + "pmid", 40, "0123456789abcdef"),
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
        f' boundary="{bnd}"',
    ]
    return finish(head, multipart(bnd, [p1, p2], preamble="This is a multi-part message in MIME format."), False)


# ============================================================================ Yahoo Mail (iOS app)
def render_yahoo(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    foot = FOOTERS["yahoo"][ui]
    attr = attribution("yahoo", ui, c.ilocal, c.fn)
    plain = s.text + "\n\n" + foot + "\n\n\n" + attr + "\n\n" + c.inv.text + "\n"
    bnd = "----=_Part_" + str(hnum_s(s.name, 1000000, 9999999)) + "_" + str(hnum_s(s.name + "y", 100000000, 999999999)) + "." + str(hnum_s(s.name + "z", 10**12, 10**13))
    yid = hx(s.name + "yd", 10, "0123456789abcdef")
    html = ('<html><head></head><body><div class="ydp' + yid + 'yahoo-style-wrap" style="font-family:Helvetica Neue, Helvetica, Arial, sans-serif;font-size:16px;">'
            + html_divs(s.text, ' dir="ltr"') + "</div>"
            f'<div id="ymail_android_signature"><a id="ymail_ios_signature_link" href="https://mail.onelink.me/107872968?pid=nativeplacement&amp;c=Global_Acquisition_YMktg_315_Internal_EmailSignature&amp;af_sub1=Acquisition&amp;af_sub2=Global_YMktg&amp;af_sub3=&amp;af_sub4=100000604&amp;af_sub5=EmailSignature__Static_">{esc(foot)}</a></div><br><br>'
            f'<div class="yahoo_quoted" id="yahoo_quoted_{hx(s.name + "yq", 10, "0123456789")}"><div style="font-family:\'Helvetica Neue\', Helvetica, Arial, sans-serif;font-size:13px;color:#26282a;">'
            f"<div>{esc(attr)}</div><div><br></div><div><br></div><div>{c.inv.html()}</div></div></div></body></html>")
    p1 = part(["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"], encode_body(plain, "utf-8", "quoted-printable"))
    p2 = part(["Content-Type: text/html; charset=UTF-8", "Content-Transfer-Encoding: quoted-printable"], encode_body(html, "utf-8", "quoted-printable"))
    irt, refs = threading(c)
    head = c.envelope(c.m.email, f"sonic{hnum_s(s.name, 300, 330)}-{hnum_s(s.name + 'q', 1, 30)}.consmr.mail.ir2.yahoo.com (sonic{hnum_s(s.name, 300, 330)}-{hnum_s(s.name + 'q', 1, 30)}.consmr.mail.ir2.yahoo.com [77.238.176.{hnum_s(s.name, 2, 250)}])") + [
        f"Date: {rfc_date(c.date.astimezone(UTC))}",
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'Q', cs_label='UTF-8')}",
        to_header(c),
        f"Message-ID: <{hnum_s(s.name + 'ym', 10**8, 10**9)}.{hnum_s(s.name + 'yn', 10**6, 10**7)}.{hnum_s(s.name + 'yo', 10**12, 10**13)}@mail.yahoo.com>",
        *irt,
        *refs,
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n ", cs_label="UTF-8"),
        "MIME-Version: 1.0",
        "Content-Type: multipart/alternative;",
        f' \tboundary="{bnd}"',
        "X-Mailer: WebService/1.1.22876 YahooMailIosMobile",
    ]
    return finish(head, multipart(bnd, [p1, p2]), s.opt.get("crlf", True))


# ============================================================================ Zimbra web client
def render_zimbra(s: Spec) -> bytes:
    c = Ctx(s)
    ui = lang_of(s)
    d = c.ilocal
    if ui == "fi":
        hb = [("Lähettäjä", f'"{c.fn}" <{LIST_ADDR}>'), ("Vastaanottaja", f'"{c.m.name}" <{c.m.email}>'),
              ("Lähetetty", f"{WD_FI[d.weekday()].capitalize()} {d.day}. {MON_FI_PART[d.month - 1]} {d.year} {d.hour}.{d:%M.%S}"),
              ("Aihe", c.inv.subject)]
        sep = "----- Alkuperäinen viesti -----"
    else:
        hb = [("Från", f'"{c.fn}" <{LIST_ADDR}>'), ("Till", f'"{c.m.name}" <{c.m.email}>'),
              ("Skickat", f"{WD_SV[d.weekday()]}, {d.day} {MON_SV[d.month - 1]} {d.year} {d:%H:%M:%S}"),
              ("Ämne", c.inv.subject)]
        sep = "----- Ursprungligt meddelande -----"
    plain = s.text + "\n\n" + sep + "\n" + "\n".join(f"{k}: {v}" for k, v in hb) + "\n\n" + c.inv.text + "\n"
    html = ('<html><body><div style="font-family: arial, helvetica, sans-serif; font-size: 12pt; color: #000000">'
            + html_divs(s.text) + '<div><br></div><hr id="zwchr" data-marker="__DIVIDER__"><div data-marker="__HEADERS__">'
            '<blockquote style="border-left:2px solid #1010FF;margin-left:5px;padding-left:5px;color:#000;font-weight:normal;'
            'font-style:normal;text-decoration:none;font-family:Helvetica,Arial,sans-serif;font-size:12pt;">'
            + "<br>".join(f"<b>{esc(k)}: </b>{esc(v)}" for k, v in hb) + '<br></blockquote></div><div data-marker="__QUOTED_TEXT__">'
            '<blockquote style="border-left:2px solid #1010FF;margin-left:5px;padding-left:5px;color:#000;font-weight:normal;'
            'font-style:normal;text-decoration:none;font-family:Helvetica,Arial,sans-serif;font-size:12pt;">'
            + c.inv.html() + "</blockquote></div></div></body></html>")
    bnd = "=_" + uuid_like(s.name + "zb")
    p1 = part(["Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"], encode_body(plain, "utf-8", "quoted-printable"))
    p2 = part(["Content-Type: text/html; charset=utf-8", "Content-Transfer-Encoding: quoted-printable"], encode_body(html, "utf-8", "quoted-printable"))
    irt, refs = threading(c)
    dom = c.m.email.split("@")[1]
    head = c.envelope(c.m.email, f"mail.{dom} (mail.{dom} [192.0.2.{hnum_s(s.name, 2, 250)}])") + [
        f"Date: {rfc_date(c.date)}",
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'Q', cs_label='utf-8')}",
        to_header(c),
        f"Message-ID: <{hnum_s(s.name + 'zm', 10**8, 10**9)}.{hnum_s(s.name + 'zn', 10**6, 10**7)}.{hnum_s(s.name + 'zo', 10**12, 10**13)}.JavaMail.zimbra@{dom}>",
        *irt,
        *refs,
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n ", cs_label="utf-8"),
        "MIME-Version: 1.0",
        f'Content-Type: multipart/alternative; boundary="{bnd}"',
        "X-Mailer: Zimbra 10.0.11_GA_4518 (ZimbraWebClient - FF133 (Win)/10.0.11_GA_4518)",
        "Thread-Topic: " + enc_header(c.inv.subject, "utf-8", "Q", fold="\n ", cs_label="utf-8"),
        f"Thread-Index: {hx(s.name + 'zti', 28, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/')}",
    ]
    return finish(head, multipart(bnd, [p1, p2]), s.opt.get("crlf", False))


RENDERERS = {
    "gmail": render_gmail,
    "android": lambda s: render_gmail(s, android=True),
    "outlook": render_outlook,
    "owa": render_owa,
    "outlook_mac": render_outlook_mac,
    "outlook_old": render_outlook_old,
    "apple": render_apple,
    "iphone": render_iphone,
    "thunderbird": render_thunderbird,
    "roundcube": render_roundcube,
    "mutt": render_mutt,
    "samsung": render_samsung,
    "outlook_mobile": render_outlook_mobile,
    "proton": render_proton,
    "yahoo": render_yahoo,
    "zimbra": render_zimbra,
}
