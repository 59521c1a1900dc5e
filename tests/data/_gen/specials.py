"""Renderers for mail that is not a plain quoted reply: mailto answers, new mails (commands),
auto-replies, bounces (DSN and non-DSN), iMIP calendar replies and malformed messages."""

from __future__ import annotations

from datetime import datetime, timedelta

from clients import (
    FOOTERS,
    Ctx,
    Spec,
    attribution,
    enc_body_html_divs,
    encode_body,
    finish,
    gmail_ids,
    hnum_s,
    html_lines_gmail,
    multipart,
    outlook_headers,
    outlook_ids,
    part,
    threading,
    to_header,
)
from mimekit import (
    DOMAIN,
    EET,
    LIST_ADDR,
    UTC,
    b64,
    enc_header,
    enc_name,
    esc,
    hx,
    qp,
    quote,
    rfc_date,
    uuid_like,
)
from world import EVENT_TIMES, SUMMARIES, inv

NL = "\n"


# ============================================================================ mailto answers (no quote)
def render_mailto(s: Spec) -> bytes:
    """The invitation's mailto: links open a new message: To = plus address, Subject = "Ja [token]"."""
    c = Ctx(s)
    style = s.opt["style"]
    subj = s.opt["subject"]
    if style == "gmail":
        mid, bnd = gmail_ids(s.name)
        plain = (s.text + "\n") if s.text else "\n"
        html = f'<div dir="ltr">{html_lines_gmail(s.text) if s.text else "<br>"}</div>\n'
        head = c.envelope(c.m.email, "mail-ed1-f47.google.com (mail-ed1-f47.google.com [209.85.208.47])") + [
            "MIME-Version: 1.0",
            f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'B', cs_label='UTF-8')}",
            f"Date: {rfc_date(c.date)}",
            f"Message-ID: {mid}",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n\t", partial=True, cs_label="UTF-8"),
            f"To: {c.to_addr}",
            f'Content-Type: multipart/alternative; boundary="{bnd}"',
        ]
        p1 = part(['Content-Type: text/plain; charset="UTF-8"'], plain)
        p2 = part(['Content-Type: text/html; charset="UTF-8"'], html)
        return finish(head, multipart(bnd, [p1, p2]), False)
    if style == "iphone":
        foot = FOOTERS["iphone"][s.opt.get("ui", "en")]
        plain = (s.text + "\n\n" if s.text else "") + foot
        ascii_ = plain.isascii()
        head = c.envelope(c.m.email, "smtp.mail.me.com (smtp.mail.me.com [17.58.6.41])") + [
            "Content-Type: text/plain;\n\tcharset=" + ("us-ascii" if ascii_ else "utf-8"),
            "Content-Transfer-Encoding: " + ("7bit" if ascii_ else "quoted-printable"),
            "Mime-Version: 1.0 (1.0)",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n "),
            f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'Q')}",
            f"Date: {rfc_date(c.date)}",
            f"Message-Id: <{uuid_like(s.name, upper=True)}@{c.m.email.split('@')[1]}>",
            f"To: {c.to_addr}",
            "X-Mailer: iPhone Mail (22B91)",
        ]
        return finish(head, plain if ascii_ else encode_body(plain, "utf-8", "quoted-printable"), False)
    # Outlook desktop: a new message from a mailto: link, no quote
    ui = s.lang or "sv"
    mid, bnd, tix = outlook_ids(s)
    s2 = Spec(**{**s.__dict__, "opt": {**s.opt, "subject": subj}})
    c2 = Ctx(s2)
    c2.irt = None
    c2.refs = []
    c2.to_name = ""  # a mailto: link gives the bare address
    p1 = part(['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
              encode_body(s.text + "\n", "utf-8", "quoted-printable"))
    html = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n</head>\n<body>\n'
            + enc_body_html_divs(s.text) + "\n</body>\n</html>\n")
    p2 = part(['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
              encode_body(html, "utf-8", "quoted-printable"))
    head = outlook_headers(s2, c2, mid, tix, "utf-8", "", ui, ["Content-Type: multipart/alternative;", f'\tboundary="{bnd}"'])
    head = [("Thread-Topic: " + enc_header(subj, "utf-8", "B", fold="\n ")) if h.startswith("Thread-Topic") else h
            for h in head]
    return finish(head, multipart(bnd, [p1, p2]), True)


# ============================================================================ new messages (not replies)
def render_new(s: Spec) -> bytes:
    """A fresh message to the network address (join/help requests): no quote, no threading."""
    m = s.member
    style = s.opt["style"]
    date = s.opt["date"]
    subj = s.opt["subject"]
    to = s.opt.get("to", f"{LIST_ADDR}")
    dom = m.email.split("@")[1]
    env = [f"Return-Path: <{m.email}>", f"Delivered-To: {to.split('<')[-1].rstrip('>')}",
           f"Received: from smtp.{dom} (smtp.{dom} [198.51.100.{hnum_s(s.name, 2, 250)}])",
           f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {hx(s.name + 'q', 12, 'BCDFGHJKLMNPQRSTVWXZ0123456789')}",
           f"\tfor <{to.split('<')[-1].rstrip('>')}>; {rfc_date(date.astimezone(EET))} (EET)"]
    if style == "gmail":
        mid, bnd = gmail_ids(s.name)
        plain = s.text + "\n"
        html = f'<div dir="ltr">{html_lines_gmail(s.text)}</div>\n'
        if s.opt.get("forward"):
            fwd_plain, fwd_html = s.opt["forward"]
            plain = s.text + "\n\n" + fwd_plain + "\n"
            html = f'<div dir="ltr">{html_lines_gmail(s.text)}<br><br>{fwd_html}</div>\n'
        cte = s.opt.get("cte", "quoted-printable")
        head = env + [
            "MIME-Version: 1.0",
            f"From: {enc_name(m.name, m.email, 'utf-8', 'B', cs_label='UTF-8')}",
            f"Date: {rfc_date(date)}",
            f"Message-ID: {mid}",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n\t", partial=True, cs_label="UTF-8"),
            f"To: {to}",
            f'Content-Type: multipart/alternative; boundary="{bnd}"',
        ]
        p1 = part(['Content-Type: text/plain; charset="UTF-8"', f"Content-Transfer-Encoding: {cte}"],
                  encode_body(plain, "utf-8", cte))
        p2 = part(['Content-Type: text/html; charset="UTF-8"', f"Content-Transfer-Encoding: {cte}"],
                  encode_body(html, "utf-8", cte))
        return finish(head, multipart(bnd, [p1, p2]), False)
    if style == "outlook":
        lang = s.lang or "sv"
        mid, bnd, tix = outlook_ids(s)
        plain = s.text + "\n"
        html = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n</head>\n<body>\n'
                + enc_body_html_divs(s.text) + "\n</body>\n</html>\n")
        frm = enc_name(m.name, m.email, "utf-8", "B")
        acc = {"sv": "sv-SE, en-US", "fi": "fi-FI, en-US", "en": "en-US"}[lang]
        head = env + [
            f"From: {frm}",
            f"To: {to}",
            "Subject: " + enc_header(subj, "utf-8", "B", fold="\n "),
            "Thread-Topic: " + enc_header(subj, "utf-8", "B", fold="\n "),
            f"Thread-Index: {tix}",
            f"Date: {rfc_date(date.astimezone(UTC))}",
            f"Message-ID: {mid}",
            f"Accept-Language: {acc}",
            f"Content-Language: {acc.split(',')[0]}",
            "X-MS-Has-Attach:",
            "X-MS-TNEF-Correlator:",
            "Content-Type: multipart/alternative;",
            f'\tboundary="{bnd}"',
            "MIME-Version: 1.0",
        ]
        p1 = part(['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
                  encode_body(plain, "utf-8", "quoted-printable"))
        p2 = part(['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
                  encode_body(html, "utf-8", "quoted-printable"))
        return finish(head, multipart(bnd, [p1, p2]), True)
    if style in ("apple", "iphone"):
        foot = s.opt.get("foot")
        plain = s.text + ("\n\n" + foot if foot else "") + "\n"
        head = env + [
            "Content-Type: text/plain;\n\tcharset=utf-8",
            "Content-Transfer-Encoding: quoted-printable",
            "Mime-Version: 1.0 (1.0)" if style == "iphone" else "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.200.121\\))",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n "),
            f"From: {enc_name(m.name, m.email, 'utf-8', 'Q')}",
            f"Date: {rfc_date(date)}",
            f"Message-Id: <{uuid_like(s.name, upper=True)}@{dom}>",
            f"To: {to}",
            "X-Mailer: iPhone Mail (22B91)" if style == "iphone" else "X-Mailer: Apple Mail (2.3826.200.121)",
        ]
        return finish(head, encode_body(plain, "utf-8", "quoted-printable"), False)
    raise ValueError(style)


def render_gmail_unsubscribe(s: Spec) -> bytes:
    """What Gmail's "Unsubscribe" button sends to a List-Unsubscribe mailto: address."""
    c = Ctx(s)
    mid, _ = gmail_ids(s.name)
    head = c.envelope(c.m.email, "mail-sor-f69.google.com (mail-sor-f69.google.com [209.85.220.69])") + [
        "MIME-Version: 1.0",
        f"From: {enc_name(c.m.name, c.m.email, 'utf-8', 'B', cs_label='UTF-8')}",
        f"Date: {rfc_date(c.date)}",
        f"Message-ID: {mid}",
        f"Subject: leave [{c.inv.token}]",  # List-Unsubscribe: <mailto:natverk@...?subject=leave%20%5B<token>%5D>
        f"To: {LIST_ADDR}",
        'Content-Type: text/plain; charset="UTF-8"',
    ]
    return finish(head, s.text + "\n", False)


# ============================================================================ auto-replies
def render_autoreply(s: Spec) -> bytes:
    """s.opt: kind (exchange | rfc3834 | gmail | zimbra | icloud | xautoreply | sieve), subject, html."""
    c = Ctx(s)
    kind = s.opt["kind"]
    m = c.m
    dom = m.email.split("@")[1]
    subj = s.opt["subject"]
    text = s.text
    irt, refs = threading(c)
    if kind == "exchange":
        mid, bnd, tix = outlook_ids(s)
        cs = s.opt.get("charset", "utf-8")
        lang = s.lang or "sv"
        if s.opt.get("html_only"):
            html = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
                    '<meta name="Generator" content="Microsoft Exchange Server">\n<!-- converted from text -->\n'
                    '<style><!-- .EmailQuote { margin-left: 1pt; padding-left: 4pt; border-left: #800000 2px solid; } --></style>\n'
                    '</head>\n<body>\n<div>\n'
                    + "\n".join(f"<p>{esc(p).replace(NL, '<br>' + NL)}</p>" for p in text.split("\n\n"))
                    + "\n</div>\n</body>\n</html>\n")
            ctype = ['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"]
            body = encode_body(html, "utf-8", "quoted-printable")
        else:
            ctype = [f'Content-Type: text/plain; charset="{cs}"', "Content-Transfer-Encoding: quoted-printable"]
            body = encode_body(text + "\n", cs, "quoted-printable")
        c.irt = c.irt if not s.opt.get("no_threading") else None
        if s.opt.get("no_threading"):
            c.refs = []
        head = outlook_headers(s, c, mid, tix, cs, "", lang, ctype)
        head = [h for h in head if not h.startswith(("Accept-Language", "msip_labels"))]
        extra = []
        if s.opt.get("auto_submitted"):
            extra.append(f"Auto-Submitted: {s.opt['auto_submitted']}")
        if not s.opt.get("strip_x"):
            extra += ["X-MS-Exchange-Organization-SCL: -1", "X-MS-Exchange-Organization-AuthAs: Internal",
                      "X-MS-Exchange-Organization-AuthSource: " + mid.split("@")[1][:-1],
                      "X-Auto-Response-Suppress: All", f"X-MS-Exchange-Inbox-Rules-Loop: {m.email}"]
        head = head + extra
        head = [h if not h.startswith("Subject:") else "Subject: " + enc_header(subj, "utf-8", "B", fold="\n ") for h in head]
        return finish(head, body, True)
    env = c.envelope(m.email if kind not in ("rfc3834", "sieve") else "", f"mail.{dom} (mail.{dom} [192.0.2.{hnum_s(s.name, 2, 250)}])")
    if kind == "gmail":
        mid, bnd = gmail_ids(s.name)
        html = f'<div dir="ltr">{html_lines_gmail(text)}</div>\n'
        head = env + [
            "MIME-Version: 1.0",
            *refs,
            *irt,
            f"From: {enc_name(m.name, m.email, 'utf-8', 'B', cs_label='UTF-8')}",
            f"Date: {rfc_date(c.date)}",
            f"Message-ID: {mid}",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n\t", partial=True, cs_label="UTF-8"),
            to_header(c),
            "Auto-Submitted: auto-replied",
            "Precedence: bulk",
            "X-Autoreply: yes",
            f'Content-Type: multipart/alternative; boundary="{bnd}"',
        ]
        p1 = part(['Content-Type: text/plain; charset="UTF-8"', "Content-Transfer-Encoding: quoted-printable"],
                  encode_body(text + "\n", "utf-8", "quoted-printable"))
        p2 = part(['Content-Type: text/html; charset="UTF-8"', "Content-Transfer-Encoding: quoted-printable"],
                  encode_body(html, "utf-8", "quoted-printable"))
        return finish(head, multipart(bnd, [p1, p2]), False)
    common = [
        f"Date: {rfc_date(c.date)}",
        f"From: {enc_name(m.name, m.email, 'utf-8', 'Q', cs_label='UTF-8')}",
        f"To: {c.to_addr}",
        "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n ", cs_label="UTF-8"),
        *irt,
        *refs,
    ]
    if kind == "sieve":  # Dovecot Pigeonhole vacation
        head = env + [f"Message-ID: <dovecot-sieve-{int(c.date.timestamp())}-{hnum_s(s.name, 100000, 999999)}-0@mail.{dom}>"] + common + [
            "Auto-Submitted: auto-replied (vacation)",
            "Precedence: bulk",
            "X-Sieve: Pigeonhole Sieve 0.5.21 (f6cd4b8e)",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        return finish(head, text + "\n", False)
    if kind == "rfc3834":
        head = env + common + [
            f"Message-ID: <{hx(s.name, 24)}.autoreply@{dom}>",
            "Auto-Submitted: auto-replied",
            "X-Autoreply: yes",
            "MIME-Version: 1.0",
            'Content-Type: text/plain; charset="UTF-8"',
            "Content-Transfer-Encoding: quoted-printable",
        ]
        return finish(head, encode_body(text + "\n", "utf-8", "quoted-printable"), s.opt.get("crlf", False))
    if kind == "zimbra":
        head = env + common + [
            f"Message-ID: <{hnum_s(s.name + 'zm', 10**8, 10**9)}.{hnum_s(s.name + 'zn', 10**6, 10**7)}.{hnum_s(s.name + 'zo', 10**12, 10**13)}.JavaMail.zimbra@{dom}>",
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 7bit" if text.isascii() else "Content-Transfer-Encoding: 8bit",
            "Auto-Submitted: auto-replied (zimbra; vacation)",
            "X-Mailer: Zimbra 10.0.11_GA_4518",
            "Precedence: bulk",
        ]
        return finish(head, text + "\n", False)
    if kind == "icloud":
        start = c.date.astimezone(UTC) - timedelta(days=2)
        head = env + [
            f"From: {m.email}",
            f"To: {enc_name(c.to_name, c.to_addr) if c.to_name else c.to_addr}",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n ", cs_label="UTF-8"),
            f"Date: {rfc_date(c.date.astimezone(UTC))}",
            f"Message-id: <{uuid_like(s.name)}-vac@{dom}>",
            *irt,
            *refs,
            f"X-Apple-Criteria: {{kind=VACATION,startDate={start:%Y-%m-%d}T23:00:00Z,endDate=2026-12-06T22:59:59Z}}",
            "X-Apple-Action: VACATION",
            f"X-Apple-UUID: {uuid_like(s.name)}",
            "Content-type: text/plain; charset=UTF-8",
            "Content-transfer-encoding: 8bit",
        ]
        return finish(head, text + "\n", False)
    if kind == "xautoreply":  # cPanel/Exim autoresponder: no Auto-Submitted
        head = env + common + [
            f"Message-Id: <E1{hx(s.name, 5, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}-{hx(s.name + 'e', 6, '0123456789ABCDEF')}-{hx(s.name + 'f', 2, '0123456789ABCDEF')}@mail.{dom}>",
            "X-Autorespond: " + enc_header(subj, "utf-8", "Q", fold="\n "),
            "X-Autoreply: yes",
            *s.opt.get("extra", []),
            "MIME-Version: 1.0",
            "Content-Type: text/plain; charset=utf-8",
            "Content-Transfer-Encoding: 8bit",
        ]
        return finish(head, text + "\n", False)
    raise ValueError(kind)


# ============================================================================ bounces
def _dsn_block(recip: str, status: str, diag: str, mta: str, orig: str | None = None, action: str = "failed",
               remote: str | None = None) -> str:
    lines = [f"Final-Recipient: rfc822; {recip}"]
    if orig:
        lines.append(f"Original-Recipient: rfc822;{orig}")
    lines += [f"Action: {action}", f"Status: {status}"]
    if remote:
        lines.append(f"Remote-MTA: dns; {remote}")
    lines.append(f"Diagnostic-Code: {diag}")
    return NL.join(lines)


class _RawInv:
    """An invitation whose raw() can show several To: addresses (one member record, two contacts)."""

    def __init__(self, iv, to_line: str | None) -> None:  # type: ignore[no-untyped-def]
        self._iv = iv
        self._to = to_line

    def __getattr__(self, k):  # type: ignore[no-untyped-def]
        return getattr(self._iv, k)

    def raw(self) -> str:
        r = self._iv.raw()
        if self._to:
            lines = r.split("\n")
            r = "\n".join(self._to if ln.startswith("To: ") else ln for ln in lines)
        return r


def render_bounce(s: Spec) -> bytes:
    kind = s.opt["kind"]
    m = s.member
    iv = _RawInv(inv(s.mtg, s.inv_lang or m.lang, m), s.opt.get("raw_to"))
    sent = iv.date
    t = sent + timedelta(seconds=hnum_s(s.name, 3, 90))
    tq = t.astimezone(EET)
    to_env = f"bounces+{iv.token}@{DOMAIN}"
    failed = s.opt["failed"]
    qid = hx(s.name + "qid", 10, "0123456789ABCDEF")
    if kind == "postfix":
        host = s.opt.get("host", f"mx1.{DOMAIN}")
        notif = s.opt["notification"]
        blocks = "\n\n".join(_dsn_block(*b) for b in s.opt["blocks"])
        status = (f"Reporting-MTA: dns; {host}\nX-Postfix-Queue-ID: {qid}\nX-Postfix-Sender: rfc822; {to_env}\n"
                  f"Arrival-Date: {rfc_date(sent)}\n\n{blocks}\n")
        bnd = f"{qid}.{int(t.timestamp())}/{host}"
        parts = [
            part(["Content-Description: Notification", "Content-Type: text/plain; charset=us-ascii"], notif),
            part(["Content-Description: Delivery report", "Content-Type: message/delivery-status"], status),
        ]
        if s.opt.get("attach") == "full":
            parts.append(part(["Content-Description: Undelivered Message", "Content-Type: message/rfc822",
                               "Content-Transfer-Encoding: 8bit"], iv.raw()))
        else:
            hdrs = iv.raw().split("\n\n")[0]
            parts.append(part(["Content-Description: Undelivered Message Headers", "Content-Type: text/rfc822-headers"], hdrs + "\n"))
        head = [
            "Return-Path: <>",
            f"X-Original-To: {to_env}",
            f"Delivered-To: {to_env}",
            f"Received: by {host} (Postfix)",
            f"\tid {qid}; {rfc_date(tq)} (EET)",
            f"Date: {rfc_date(tq)} (EET)",
            f"From: MAILER-DAEMON@{host} (Mail Delivery System)",
            "Subject: Undelivered Mail Returned to Sender",
            f"To: {to_env}",
            "Auto-Submitted: auto-replied",
            "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=delivery-status;",
            f'\tboundary="{bnd}"',
            "Content-Transfer-Encoding: 8bit",
            f"Message-Id: <{tq:%Y%m%d%H%M%S}.{qid}@{host}>",
        ]
        return finish(head, multipart(bnd, parts, preamble="This is a MIME-encapsulated message."), False)
    if kind == "exim_plain":
        host = s.opt["host"]
        body = s.opt["notification"] + "\n------ This is a copy of the message, including all the headers. ------\n\n" + iv.raw()
        head = [
            "Return-Path: <>",
            f"Delivered-To: {to_env}",
            f"Received: from {host} ([192.0.2.{hnum_s(s.name, 2, 250)}])",
            f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {qid}",
            f"\tfor <{to_env}>; {rfc_date(tq)} (EET)",
            "Received: from mail by " + host + " with local (Exim 4.97)",
            f"\tid 1{hx(s.name, 5, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}-00{hx(s.name + 'e', 4, '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ')}-3K",
            f"\tfor {to_env}; {rfc_date(tq)}",
            f"X-Failed-Recipients: {', '.join(failed)}",
            "Auto-Submitted: auto-replied",
            f"From: Mail Delivery System <Mailer-Daemon@{host}>",
            f"To: {to_env}",
            "Content-Type: text/plain; charset=us-ascii",
            "Subject: Mail delivery failed: returning message to sender",
            f"Message-Id: <E1{hx(s.name + 'm', 5, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}-00{hx(s.name + 'n', 4, '0123456789ABCDEF')}-3K@{host}>",
            f"Date: {rfc_date(tq)}",
        ]
        return finish(head, body, False)
    if kind == "exim_dsn":
        host = s.opt["host"]
        bnd = f"{int(t.timestamp())}-eximdsn-{hnum_s(s.name, 10**8, 10**9)}"
        notif = s.opt["notification"]
        status = (f"Reporting-MTA: dns; {host}\n\n" + "\n\n".join(_dsn_block(*b) for b in s.opt["blocks"]) + "\n")
        parts = [
            part(["Content-type: text/plain; charset=us-ascii"], notif),
            part(["Content-type: message/delivery-status"], status),
            part(["Content-type: message/rfc822"], iv.raw()),
        ]
        head = [
            "Return-Path: <>",
            f"Delivered-To: {to_env}",
            f"Received: from {host} ([192.0.2.{hnum_s(s.name, 2, 250)}])",
            f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {qid}",
            f"\tfor <{to_env}>; {rfc_date(tq)} (EET)",
            f"X-Failed-Recipients: {', '.join(failed)}",
            "Auto-Submitted: auto-replied",
            f"From: Mail Delivery System <Mailer-Daemon@{host}>",
            f"To: {to_env}",
            f"Content-Type: multipart/report; report-type=delivery-status; boundary={bnd}",
            "MIME-Version: 1.0",
            "Subject: Mail delivery failed: returning message to sender",
            f"Message-Id: <E1{hx(s.name + 'm', 5, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}-00{hx(s.name + 'n', 4, '0123456789ABCDEF')}-Lx@{host}>",
            f"Date: {rfc_date(tq)}",
        ]
        return finish(head, multipart(bnd, parts, preamble="This is a MIME-formatted message.  If you see this text it means that your\nE-mail software does not support MIME-formatted messages.\n"), False)
    if kind == "exchange":
        host = s.opt["host"]
        bnd = uuid_like(s.name + "b1")
        bnd2 = uuid_like(s.name + "b2")
        notif_plain = s.opt["notification"]
        notif_html = s.opt["notification_html"]
        status = (f"Reporting-MTA: dns;{host}\nReceived-From-MTA: dns;mx1.{DOMAIN}\nArrival-Date: {rfc_date(sent.astimezone(UTC))}\n\n"
                  + "\n\n".join(_dsn_block(*b) for b in s.opt["blocks"]) + "\n")
        alt = multipart(bnd2, [
            part(['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
                 encode_body(notif_plain, "utf-8", "quoted-printable")),
            part(['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
                 encode_body(notif_html, "utf-8", "quoted-printable")),
        ])
        hdrs = iv.raw().split("\n\n")[0]
        parts = [
            part(["Content-Type: multipart/alternative; differences=Content-Type;", f'\tboundary="{bnd2}"'], alt),
            part(["Content-Type: message/delivery-status"], status),
            part(["Content-Type: text/rfc822-headers"], hdrs + "\n"),
        ]
        subj = s.opt["subject"]
        head = [
            "Return-Path: <>",
            f"Delivered-To: {to_env}",
            f"Received: from {host} (mail-{hx(s.name, 3, 'abcdefghijklmnopqrstuvwxyz')}.outbound.protection.outlook.com [40.107.{hnum_s(s.name, 1, 250)}.{hnum_s(s.name + 'z', 1, 250)}])",
            f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {qid}",
            f"\tfor <{to_env}>; {rfc_date(tq)} (EET)",
            f"From: {s.opt.get('from', f'Microsoft Outlook <postmaster@{host}>')}",
            f"To: <{to_env}>",
            f"Date: {rfc_date(tq.astimezone(UTC))}",
            "Content-Type: multipart/report; report-type=delivery-status;",
            f'\tboundary="{bnd}"',
            "X-MS-Exchange-Message-Is-Ndr:",
            f"Content-Language: {s.opt.get('content_language', 'en-US')}",
            f"Message-ID: <{uuid_like(s.name + 'mid')}@{host}>",
            f"In-Reply-To: {iv.msgid}",
            f"References: {iv.msgid}",
            "Thread-Topic: " + enc_header(iv.subject, "utf-8", "B", fold="\n "),
            "Subject: " + enc_header(subj, "utf-8", "B", fold="\n "),
            "Auto-Submitted: auto-replied",
            "X-MS-PublicTrafficType: Email",
            "MIME-Version: 1.0",
        ]
        return finish(head, multipart(bnd, parts), True)
    if kind == "gmail_dsn":
        bnd = "000000000000" + hx(s.name + "gb", 16)
        bnd2 = "000000000000" + hx(s.name + "gc", 16)
        notif_plain, notif_html = s.opt["notification"], s.opt["notification_html"]
        status = ("Reporting-MTA: dns; googlemail.com\n"
                  f"Received-From-MTA: dns; mx1.{DOMAIN}\nArrival-Date: {rfc_date(sent.astimezone(UTC)).replace('+0000', '-0800')}\n"
                  f"X-Original-Message-ID: {iv.msgid}\n\n" + "\n\n".join(_dsn_block(*b) for b in s.opt["blocks"]) + "\n")
        alt = multipart(bnd2, [
            part(['Content-Type: text/plain; charset="UTF-8"'], notif_plain),
            part(['Content-Type: text/html; charset="UTF-8"'], notif_html),
        ])
        parts = [
            part([f'Content-Type: multipart/alternative; boundary="{bnd2}"'], alt),
            part(["Content-Type: message/delivery-status"], status),
            part(["Content-Type: message/rfc822"], iv.raw()),
        ]
        head = [
            "Return-Path: <>",
            f"Delivered-To: {to_env}",
            "Received: from mail-sor-f73.google.com (mail-sor-f73.google.com [209.85.220.73])",
            f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {qid}",
            f"\tfor <{to_env}>; {rfc_date(tq)} (EET)",
            "MIME-Version: 1.0",
            "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            f"To: {to_env}",
            "Auto-Submitted: auto-replied",
            "Subject: Delivery Status Notification (Failure)",
            f"References: {iv.msgid}",
            f"In-Reply-To: {iv.msgid}",
            f"X-Failed-Recipients: {', '.join(failed)}",
            f"Message-ID: <{hx(s.name + 'gm', 20, '0123456789abcdef')}.{hx(s.name, 4)}.{hx(s.name + 'x', 6)}@mx.google.com>",
            f"Date: {rfc_date(tq.astimezone(UTC)).replace('+0000', '-0800')}",
            f'Content-Type: multipart/report; boundary="{bnd}"; report-type=delivery-status',
        ]
        return finish(head, multipart(bnd, parts), False)
    if kind == "gmail_plain":
        body = s.opt["notification"] + "\n----- Original message -----\n\n" + iv.raw().split("\n\n")[0] + "\n\n" + qp(iv.text.encode("utf-8")) + "\n"
        head = [
            "Return-Path: <>",
            f"Delivered-To: {to_env}",
            "Received: by 10.194.5.104 with SMTP id r8csp190892wjr;",
            f"        {rfc_date(tq)}",
            "MIME-Version: 1.0",
            "From: Mail Delivery Subsystem <mailer-daemon@googlemail.com>",
            f"To: {to_env}",
            f"X-Failed-Recipients: {', '.join(failed)}",
            "Subject: Delivery Status Notification (Failure)",
            f"Message-ID: <{hx(s.name, 28, '0123456789abcdef')}@google.com>",
            f"Date: {rfc_date(tq.astimezone(UTC))}",
            "Content-Type: text/plain; charset=ISO-8859-1",
        ]
        return finish(head, body, False)
    if kind == "qmail":
        host = s.opt["host"]
        body = s.opt["notification"] + "\n--- Below this line is a copy of the message.\n\n" + iv.raw()
        head = [
            "Return-Path: <>",
            f"Delivered-To: {to_env}",
            f"Received: (qmail {hnum_s(s.name, 1000, 99999)} invoked for bounce); {rfc_date(tq)}",
            f"Date: {rfc_date(tq)}",
            f"From: MAILER-DAEMON@{host}",
            f"To: {to_env}",
            "Subject: failure notice",
        ]
        return finish(head, body, False)
    if kind == "sendmail":
        host = s.opt["host"]
        bnd = f"{qid}.{int(t.timestamp())}/{host}"
        status = (f"Reporting-MTA: dns; {host}\nReceived-From-MTA: DNS; mx1.{DOMAIN}\nArrival-Date: {rfc_date(sent)}\n\n"
                  + "\n\n".join(_dsn_block(*b) for b in s.opt["blocks"]) + "\n")
        parts = [
            part([], s.opt["notification"]),
            part(["Content-Type: message/delivery-status"], status),
            part(["Content-Type: message/rfc822"], iv.raw()),
        ]
        head = [
            "Return-Path: <>",
            f"Delivered-To: {to_env}",
            f"Received: from {host} ({host} [198.51.100.{hnum_s(s.name, 2, 250)}])",
            f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {qid}",
            f"\tfor <{to_env}>; {rfc_date(tq)} (EET)",
            f"Received: from localhost (localhost)\n\tby {host} (8.17.1/8.17.1) id 5B{qid}; {rfc_date(tq)}",
            f"Date: {rfc_date(tq)}",
            f"From: Mail Delivery Subsystem <MAILER-DAEMON@{host}>",
            f"Message-Id: <{tq:%Y%m%d%H%M}.5B{qid}@{host}>",
            f"To: <{to_env}>",
            "MIME-Version: 1.0",
            "Content-Type: multipart/report; report-type=delivery-status;",
            f'\tboundary="{bnd}"',
            "Subject: Returned mail: see transcript for details",
            "Auto-Submitted: auto-generated (failure)",
        ]
        return finish(head, multipart(bnd, parts, preamble="This is a MIME-encapsulated message\n"), False)
    if kind == "opensmtpd":
        host = s.opt["host"]
        bnd = f"{int(t.timestamp())}.{hx(s.name, 8)}/{host}"
        hdrs = iv.raw().split("\n\n")[0]
        parts = [
            part(["Content-Description: Notification", "Content-Type: text/plain; charset=utf-8"], s.opt["notification"]),
            part(["Content-Description: Delivery Report", "Content-Type: message/delivery-status"],
                 f"Reporting-MTA: dns; {host}\n\n" + "\n\n".join(_dsn_block(*b) for b in s.opt["blocks"]) + "\n"),
            part(["Content-Description: Message headers", "Content-Type: text/rfc822-headers"], hdrs + "\n"),
        ]
        head = [
            "Return-Path: <>",
            f"Delivered-To: {to_env}",
            f"Received: from {host} ({host} [203.0.113.{hnum_s(s.name, 2, 250)}])",
            f"\tby mx1.{DOMAIN} (Postfix) with ESMTPS id {qid}",
            f"\tfor <{to_env}>; {rfc_date(tq)} (EET)",
            f"Date: {rfc_date(tq)}",
            f"From: Mailer Daemon <MAILER-DAEMON@{host}>",
            f"To: {to_env}",
            "Subject: Delivery status notification: error",
            f"Message-ID: <{hx(s.name + 'os', 16)}@{host}>",
            "MIME-Version: 1.0",
            f'Content-Type: multipart/mixed;boundary="{bnd}"',
            "Content-Language: en-us",
        ]
        return finish(head, multipart(bnd, parts, preamble="This is a MIME-encapsulated message."), False)
    raise ValueError(kind)


# ============================================================================ iMIP replies
def ics_reply(s: Spec, partstat: str, prodid: str, extra_att: str = "", comment: str | None = None,
              organizer: str = LIST_ADDR, lang_tag: str | None = None, crlf: bool = True,
              x_num_guests: int | None = None, sequence: int = 0, stamp: datetime | None = None) -> str:
    m = s.member
    start, end = EVENT_TIMES[s.mtg]
    uid = f"traffpunkt-{start:%Y-%m-%d}-series@{DOMAIN}"  # as mailer/outbound/ics.py writes it
    summary = SUMMARIES[(s.mtg, s.inv_lang or m.lang)]
    stamp = (stamp or s.opt.get("date") or start - timedelta(days=6)).astimezone(UTC)
    att_params = f"PARTSTAT={partstat}"
    if x_num_guests is not None:
        att_params = f"CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT={partstat};CN={m.email};X-NUM-GUESTS={x_num_guests}"
    else:
        att_params = f'CN="{m.name}";PARTSTAT={partstat}{extra_att}'
    lines = [
        "BEGIN:VCALENDAR",
        f"PRODID:{prodid}",
        "VERSION:2.0",
        "CALSCALE:GREGORIAN",
        "METHOD:REPLY",
        "BEGIN:VEVENT",
        f"DTSTART;TZID=Europe/Helsinki:{start:%Y%m%dT%H%M%S}",
        f"DTEND;TZID=Europe/Helsinki:{end:%Y%m%dT%H%M%S}",
        f"DTSTAMP:{stamp:%Y%m%dT%H%M%SZ}",
        f"ORGANIZER;CN={'Kulturnätverket' if s.mtg == 'A' else 'Traffpunkt'}:mailto:{organizer}",
        f"UID:{uid}",
        f"ATTENDEE;{att_params}:mailto:{m.email}",
    ]
    if comment:
        tag = f";LANGUAGE={lang_tag}" if lang_tag else ""
        lines.append(f"COMMENT{tag}:" + comment.replace("\n", "\\n").replace(",", "\\,"))
    lines += [
        f"SEQUENCE:{sequence}",
        "STATUS:CONFIRMED",
        f"SUMMARY:{summary}",
        "TRANSP:OPAQUE",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    out = []
    for ln in lines:  # fold at 75 octets
        b = ln.encode("utf-8")
        first = True
        while len(b) > (75 if first else 74):
            lim = 75 if first else 74
            cut = lim
            while (b[cut] & 0xC0) == 0x80:
                cut -= 1
            out.append((" " if not first else "") + b[:cut].decode("utf-8"))
            b = b[cut:]
            first = False
        out.append((" " if not first else "") + b.decode("utf-8"))
    eol = "\r\n" if crlf else "\n"
    return eol.join(out) + eol


def render_imip(s: Spec) -> bytes:
    kind = s.opt["kind"]
    c = Ctx(s)
    c.to_addr = s.opt.get("to", LIST_ADDR)  # calendar replies go to the ORGANIZER address
    m = c.m
    partstat = s.opt["partstat"]
    lang = s.opt.get("ui", s.inv_lang or m.lang)
    summary = SUMMARIES[(s.mtg, s.inv_lang or m.lang)]
    if kind == "outlook":
        prefix = {"sv": {"ACCEPTED": "Accepterat: ", "DECLINED": "Avböjt: ", "TENTATIVE": "Preliminärt: "},
                  "fi": {"ACCEPTED": "Hyväksytty: ", "DECLINED": "Hylätty: ", "TENTATIVE": "Alustava: "},
                  "en": {"ACCEPTED": "Accepted: ", "DECLINED": "Declined: ", "TENTATIVE": "Tentative: "}}[lang][partstat]
        subj = prefix + summary
        mid, bnd, tix = outlook_ids(s)
        text = s.text
        ics = ics_reply(s, partstat, stamp=c.date, prodid="-//Microsoft Corporation//Outlook 16.0 MIMEDIR//EN",
                        comment=text or None, lang_tag={"sv": "sv-SE", "fi": "fi-FI", "en": "en-US"}[lang])
        ics_b64 = b64(ics.encode("utf-8"))
        plain = (text + "\n") if text else "\n"
        html = ('<html>\n<head>\n<meta http-equiv="Content-Type" content="text/html; charset=utf-8">\n'
                '<meta name="Generator" content="Microsoft Exchange Server">\n<!-- converted from rtf -->\n'
                '<style><!-- .EmailQuote { margin-left: 1pt; padding-left: 4pt; border-left: #800000 2px solid; } --></style>\n'
                '</head>\n<body>\n<font face="Calibri" size="2"><span style="font-size:11pt;">\n'
                + ("".join(f"<div>{esc(ln) if ln.strip() else '&nbsp;'}</div>\n" for ln in text.split("\n")) if text else "<div>&nbsp;</div>\n")
                + "</span></font>\n</body>\n</html>\n")
        parts = [
            part(['Content-Type: text/plain; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
                 encode_body(plain, "utf-8", "quoted-printable")),
            part(['Content-Type: text/html; charset="utf-8"', "Content-Transfer-Encoding: quoted-printable"],
                 encode_body(html, "utf-8", "quoted-printable")),
            part(['Content-Type: text/calendar; charset="utf-8"; method=REPLY', "Content-Transfer-Encoding: base64"], ics_b64),
        ]
        c.to_addr = LIST_ADDR
        c.irt = None
        c.refs = []
        s2 = Spec(**{**s.__dict__, "opt": {**s.opt, "subject": subj}})
        c.s = s2
        head = outlook_headers(s2, c, mid, tix, "utf-8", "", lang, ["Content-Type: multipart/alternative;", f'\tboundary="{bnd}"'])
        head = [h for h in head if not h.startswith(("Thread-Topic", "msip_labels"))]
        head.insert(len(head) - 3, "Thread-Topic: " + enc_header(summary, "utf-8", "B", fold="\n "))
        head.insert(len(head) - 3, f"x-ms-exchange-calendar-series-instance-id: BAAAAIIA4AB0xbcQGoLgCAAAAAA{hx(s.name, 20, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789')}AAAAAAAAAAAAA")
        head.insert(len(head) - 3, "X-MS-Exchange-Organization-AuthAs: Anonymous")
        return finish(head, multipart(bnd, parts), True)
    if kind == "google":
        start, end = EVENT_TIMES[s.mtg]
        ngu = s.opt.get("guests_n", 0)
        if lang == "fi":
            verb = {"ACCEPTED": "Hyväksytty", "DECLINED": "Hylätty", "TENTATIVE": "Alustava hyväksyntä"}[partstat]
            subj = f"{verb}: {summary} @ to {start.day}.{start.month}.{start.year} {start.hour}–{end.hour} (UTC+2) ({LIST_ADDR})"
            who = {"ACCEPTED": "on hyväksynyt tämän kutsun.", "DECLINED": "on hylännyt tämän kutsun.",
                   "TENTATIVE": "on vastannut tähän kutsuun ehkä."}[partstat]
            plain = (f"{m.name} {who}\n\n{summary}\ntorstai 3. joulukuuta 2026 ⋅ 17.00–19.00\nItä-Euroopan aika - Helsinki\n\n"
                     f"Järjestäjä\n{LIST_ADDR}\n\nVieraat\n{LIST_ADDR} - järjestäjä\n{m.name}\n"
                     f"Näytä kaikkien vieraiden tiedot https://calendar.google.com/calendar/event?action=VIEW&eid={hx(s.name, 60, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}\n\n"
                     f"Kutsun lähetti Google Kalenteri\n\nSait tämän sähköpostin, koska olet tapahtuman vieras.\n")
        else:
            verb = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentatively Accepted"}[partstat]
            subj = f"{verb}: {summary} @ Thu 3 Dec 2026 17:00 - 19:00 (EET) ({LIST_ADDR})"
            who = {"ACCEPTED": "has accepted this invitation.", "DECLINED": "has declined this invitation.",
                   "TENTATIVE": "has tentatively accepted this invitation."}[partstat]
            plain = (f"{m.name} {who}\n\n{summary}\nThursday 3 Dec 2026 ⋅ 17:00 – 19:00\nEastern European Time - Helsinki\n\n"
                     f"Location\nKulturhuset Caisa, Kajsaniemigatan 4, Helsingfors\nhttps://www.google.com/maps/search/Kulturhuset+Caisa,+Kajsaniemigatan+4,+Helsingfors?hl=en\n\n"
                     f"Organiser\n{LIST_ADDR}\n\nGuests\n{LIST_ADDR} - organiser\n{m.name}\n"
                     f"View all guest info https://calendar.google.com/calendar/event?action=VIEW&eid={hx(s.name, 60, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789')}\n\n"
                     f"Reply for {m.email}\n\nInvitation from Google Calendar\n\nYou are receiving this email because you are an attendee on the event.\n")
        html = ('<span itemscope itemtype="http://schema.org/InformAction"><span style="display:none" itemprop="about" '
                'itemscope itemtype="http://schema.org/Person"><meta itemprop="description" content="' + esc(f"{m.name} {who}")
                + '"/></span></span><div style=""><table border="0" cellpadding="0" cellspacing="0" role="presentation" '
                'style="width:100%"><tr><td style="padding:24px 0 0"><h2 class="primary-text">' + esc(f"{m.name} {who}")
                + '</h2></td></tr><tr><td><span>' + esc(summary) + "</span></td></tr></table></div>\n")
        ics = ics_reply(s, partstat, stamp=c.date, prodid="-//Google Inc//Google Calendar 70.9054//EN", x_num_guests=ngu)
        bnd_mixed = "000000000000" + hx(s.name + "gm", 16)
        bnd_alt = "000000000000" + hx(s.name + "ga", 16)
        alt = multipart(bnd_alt, [
            part(['Content-Type: text/plain; charset="UTF-8"; format=flowed; delsp=yes', "Content-Transfer-Encoding: base64"],
                 b64(plain.replace("\n", "\r\n").encode("utf-8"))),
            part(['Content-Type: text/html; charset="UTF-8"', "Content-Transfer-Encoding: quoted-printable"],
                 encode_body(html, "utf-8", "quoted-printable")),
            part(['Content-Type: text/calendar; charset="UTF-8"; method=REPLY', "Content-Transfer-Encoding: 7bit"], ics),
        ])
        body = multipart(bnd_mixed, [
            part([f'Content-Type: multipart/alternative; boundary="{bnd_alt}"'], alt),
            part(['Content-Type: application/ics; name="invite.ics"', 'Content-Disposition: attachment; filename="invite.ics"',
                  "Content-Transfer-Encoding: base64"], b64(ics.encode("utf-8"))),
        ])
        to = s.opt.get("to", LIST_ADDR)
        head = c.envelope("3" + hx(s.name, 20, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz") + "@calendar-server.bounces.google.com",
                          "mail-sor-f73.google.com (mail-sor-f73.google.com [209.85.220.73])") + [
            "MIME-Version: 1.0",
            f"Reply-To: {enc_name(m.name, m.email, 'utf-8', 'B', cs_label='UTF-8')}",
            "Sender: Google Calendar <calendar-notification@google.com>",
            "Auto-Submitted: auto-generated",
            f"Message-ID: <calendar-{uuid_like(s.name + 'cal')}@google.com>",
            f"Date: {rfc_date(c.date.astimezone(UTC))}",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n\t", partial=True, cs_label="UTF-8"),
            f"From: {enc_name(m.name, m.email, 'utf-8', 'B', cs_label='UTF-8')}",
            f"To: {to}",
            f'Content-Type: multipart/mixed; boundary="{bnd_mixed}"',
        ]
        return finish(head, body, False)
    if kind == "apple":
        start, _ = EVENT_TIMES[s.mtg]
        if lang == "sv":
            verb = {"ACCEPTED": "accepterad", "DECLINED": "avböjd", "TENTATIVE": "preliminär"}[partstat]
            subj = f"Händelse {verb}: {summary}"
            sentence = {"ACCEPTED": "har accepterat", "DECLINED": "har avböjt", "TENTATIVE": "har preliminärt accepterat"}[partstat]
            plain = (f"{m.name} {sentence} din inbjudan till händelsen: {summary}, den 3 december 2026 kl. 17:00 "
                     "(Europe/Helsinki).")
        else:
            verb = {"ACCEPTED": "accepted", "DECLINED": "declined", "TENTATIVE": "tentative"}[partstat]
            subj = f"Event {verb}: {summary}"
            sentence = {"ACCEPTED": "has accepted", "DECLINED": "has declined", "TENTATIVE": "has tentatively accepted"}[partstat]
            plain = (f"{m.name} {sentence} your event invitation to the event: {summary}, scheduled for "
                     "3 December 2026 at 17:00 (Europe/Helsinki).")
        from mimekit import flow

        ics = ics_reply(s, partstat, stamp=c.date, prodid="-//Apple Inc.//macOS 15.1//EN", extra_att=";CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;EMAIL=" + m.email)
        b1 = f"Apple-Mail={uuid_like(s.name + 'a1', upper=True)}"
        b2 = f"Apple-Mail={uuid_like(s.name + 'a2', upper=True)}"
        fname = f"iCal-{c.date:%Y%m%d-%H%M%S}.ics"
        inner = multipart(b2, [
            part(["Content-Transfer-Encoding: quoted-printable", "Content-Type: text/html;\n\tcharset=utf-8"],
                 encode_body('<html><body style="overflow-wrap: break-word; -webkit-nbsp-mode: space; line-break: after-white-space;"><div>'
                             + esc(plain) + "</div></body></html>", "utf-8", "quoted-printable")),
            part([f"Content-Disposition: attachment;\n\tfilename={fname}", f"Content-Type: text/calendar;\n\tx-unix-mode=0644;\n\tname=\"{fname}\";\n\tmethod=REPLY",
                  "Content-Transfer-Encoding: quoted-printable"], qp(ics.replace("\r\n", "\n").encode("utf-8"))),
        ], preamble="")
        body = multipart(b1, [
            part(["Content-Transfer-Encoding: quoted-printable", "Content-Type: text/plain;\n\tcharset=utf-8;\n\tdelsp=yes;\n\tformat=flowed"],
                 encode_body(flow(plain, 76, delsp=True), "utf-8", "quoted-printable")),
            part(["Content-Type: multipart/mixed;", f'\tboundary="{b2}"'], inner),
        ], preamble="")
        head = c.envelope(m.email, f"p00-icloudmta-asmtp-us-central-1k-60-percent-{hnum_s(s.name, 1, 9)}.p00-icloudmta-asmtp-vip.icloud-mail-production.svc.kube.us-central-1k.k8s.cloud.apple.com (p00-icloudmta-asmtp-us-central-1k-60-percent-{hnum_s(s.name, 1, 9)}.p00-icloudmta-asmtp-vip.icloud-mail-production.svc.kube.us-central-1k.k8s.cloud.apple.com [17.57.156.{hnum_s(s.name, 2, 250)}])") + [
            f"From: {enc_name(m.name, m.email, 'utf-8', 'Q')}",
            "Content-Type: multipart/alternative;",
            f'\tboundary="{b1}"',
            "Mime-Version: 1.0 (Mac OS X Mail 16.0 \\(3826.200.121\\))",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n "),
            f"Date: {rfc_date(c.date)}",
            f"To: {enc_name(c.fn, LIST_ADDR, 'utf-8', 'Q')}",
            f"Message-Id: <{uuid_like(s.name + 'am', upper=True)}@{m.email.split('@')[1]}>",
            "X-Mail-Calendar-Part: Yes",
            "X-Mailer: Apple Mail (2.3826.200.121)",
        ]
        return finish(head, body, False)
    if kind == "thunderbird":
        verb = {"ACCEPTED": "Accepted", "DECLINED": "Declined", "TENTATIVE": "Tentative"}[partstat]
        subj = f"{verb}: {summary}"
        who = {"ACCEPTED": "has accepted your event invitation.", "DECLINED": "has declined your event invitation.",
               "TENTATIVE": "has tentatively accepted your event invitation."}[partstat]
        plain = f"{m.name} <{m.email}> {who}\n"
        ics = ics_reply(s, partstat, stamp=c.date, prodid="-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
                        extra_att=";RSVP=FALSE;ROLE=REQ-PARTICIPANT")
        bnd = "------------" + hx(s.name + "tb", 24, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
        body = multipart(bnd, [
            part(["Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: 8bit"], plain),
            part(["Content-Type: text/calendar; method=REPLY; charset=UTF-8", "Content-Transfer-Encoding: 8bit"], ics),
            part(['Content-Type: application/ics; name="invite.ics"', 'Content-Disposition: attachment; filename="invite.ics"',
                  "Content-Transfer-Encoding: base64"], b64(ics.encode("utf-8"))),
        ], preamble="This is a multi-part message in MIME format.")
        dom = m.email.split("@")[1]
        head = c.envelope(m.email, f"smtp.{dom} (smtp.{dom} [203.0.113.{hnum_s(s.name, 2, 250)}])") + [
            f"Message-ID: <{uuid_like(s.name + 'tbm')}@{dom}>",
            f"Date: {rfc_date(c.date)}",
            "MIME-Version: 1.0",
            "User-Agent: Mozilla Thunderbird",
            "Subject: " + enc_header(subj, "utf-8", "Q", fold="\n ", partial=True, lower_hex=True, cs_label="UTF-8"),
            f"To: {LIST_ADDR}",
            f"From: {enc_name(m.name, m.email, 'utf-8', 'Q', lower_hex=True, cs_label='UTF-8')}",
            f'Content-Type: multipart/mixed; boundary="{bnd}"',
        ]
        return finish(head, body, False)
    raise ValueError(kind)


# ============================================================================ malformed
def render_malformed(s: Spec) -> bytes:
    kind = s.opt["kind"]
    c = Ctx(s)
    m = c.m
    irt, refs = threading(c)
    base = c.envelope(m.email, f"smtp.{m.email.split('@')[1]} (smtp.{m.email.split('@')[1]} [198.51.100.{hnum_s(s.name, 2, 250)}])") + [
        f"From: {enc_name(m.name, m.email, 'utf-8', 'Q')}",
        f"To: {c.to_name} <{c.to_addr}>",
        "Subject: " + enc_header(c.subj(), "utf-8", "Q", fold="\n "),
        f"Date: {rfc_date(c.date)}",
        f"Message-ID: <{hx(s.name, 20)}@{m.email.split('@')[1]}>",
        *irt,
        *refs,
    ]
    if kind == "broken_boundary":
        real = "----=_Part_48211_1164587253.1764151121000"
        wrong = "----=_Part_48211_1164587253.1764151120999"
        body = (f"--{real}\nContent-Type: text/plain; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n{s.text}\n\n"
                f"--{real}\nContent-Type: text/html; charset=UTF-8\nContent-Transfer-Encoding: 8bit\n\n"
                f"<html><body>{''.join('<p>' + esc(p) + '</p>' for p in s.text.split(NL + NL))}</body></html>\n\n--{real}--\n")
        head = base + ["MIME-Version: 1.0", f'Content-Type: multipart/alternative; boundary="{wrong}"',
                       "X-Mailer: Open-Xchange Mailer v7.10.6-Rev42"]
        return finish(head, body, False)
    if kind == "missing_body":
        head = base + ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 7bit"]
        return ("\n".join(head) + "\n").encode("utf-8")
    if kind == "garbage":
        import hashlib

        junk = b"".join(hashlib.sha512(f"{s.name}:{i}".encode()).digest() for i in range(40))
        head = base + ["MIME-Version: 1.0", "Content-Type: text/plain; charset=utf-8", "Content-Transfer-Encoding: 8bit"]
        return ("\n".join(head) + "\n\n").encode("utf-8") + junk + b"\n"
    if kind == "invalid_charset":
        attr = attribution("roundcube", "fi", c.ilocal, c.fn)
        text = s.text + "\n\n" + attr + "\n" + quote(c.inv.text) + "\n"
        head = base + ["MIME-Version: 1.0", 'Content-Type: text/plain; charset="utf-8x-unknown"; format=flowed',
                       "Content-Transfer-Encoding: 8bit", "User-Agent: Roundcube Webmail/1.4.15"]
        return finish(head, text, False)
    if kind == "tnef":
        import hashlib

        blob = bytes([0x78, 0x9F, 0x3E, 0x22]) + b"".join(hashlib.sha256(f"{s.name}:{i}".encode()).digest() for i in range(60))
        bnd = "_003_" + hx(s.name, 30, "0123456789ABCDEF") + "_"
        body = multipart(bnd, [
            part(['Content-Type: application/ms-tnef; name="winmail.dat"', 'Content-Disposition: attachment; filename="winmail.dat"',
                  "Content-Transfer-Encoding: base64"], b64(blob)),
        ])
        head = base + ["MIME-Version: 1.0", f'Content-Type: multipart/mixed;\n\tboundary="{bnd}"', "X-MS-Has-Attach: yes",
                       "X-MS-TNEF-Correlator: <" + hx(s.name + "t", 24, "0123456789ABCDEF") + "@EX01.local>",
                       "X-Mailer: Microsoft Outlook 14.0"]
        return finish(head, body, True)
    if kind == "undeclared_8bit":
        attr = "At 10:02 26.11.2026, you wrote:"
        text = s.text + "\n\n" + attr + "\n" + quote(c.inv.text) + "\n"
        head = [h for h in base if not h.startswith("Subject:")] + [
            "Subject: Re: " + c.inv.subject.encode("latin-1", "replace").decode("latin-1"),
            "X-Mailer: QUALCOMM Windows Eudora Version 7.1.0.9",
        ]
        return finish(head, text, False, charset_8bit="iso-8859-1", errors="replace")
    if kind == "bad_base64":
        data = (s.text.replace("\n", "\r\n") + "\r\n").encode("utf-8")
        enc = b64(data, 60).replace("=", "")  # padding lost
        enc = enc[:30] + "\n" + enc[30:]  # and a line broken mid-quantum
        head = base + ["MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8", "Content-Transfer-Encoding: base64",
                       "X-Mailer: Kerio Connect 10.0.2 WebMail"]
        return finish(head, enc + "\n", False)
    raise ValueError(kind)
