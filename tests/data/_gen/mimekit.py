"""Byte-exact MIME building blocks for the corpus generator (stdlib only, deterministic).

Nothing here uses the stdlib email generator: each helper returns exactly the text a real client writes,
so line folding, quoted-printable soft breaks and encoded-words are under our control.
All text uses "\n" line ends; `finish()` turns a message into CRLF when asked.
"""

from __future__ import annotations

import base64
import hashlib
import html
from datetime import UTC, datetime, timedelta, timezone

DOMAIN = "kulturnatverket.fi"
LIST_ADDR = f"natverk@{DOMAIN}"


# --------------------------------------------------------------------------- determinism
def hx(seed: str, n: int, alphabet: str = "0123456789abcdef") -> str:
    """A deterministic pseudo-random string of `n` chars drawn from `alphabet`."""
    out: list[str] = []
    i = 0
    while len(out) < n:
        for b in hashlib.sha256(f"{seed}#{i}".encode()).digest():
            out.append(alphabet[b % len(alphabet)])
        i += 1
    return "".join(out[:n])


def hnum(seed: str, lo: int, hi: int) -> int:
    """A deterministic integer in [lo, hi]."""
    v = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return lo + v % (hi - lo + 1)


def uuid_like(seed: str, upper: bool = False) -> str:
    h = hx(seed, 32)
    s = f"{h[:8]}-{h[8:12]}-4{h[13:16]}-{'89ab'[int(h[16], 16) % 4]}{h[17:20]}-{h[20:32]}"
    return s.upper() if upper else s


def token_for(member_id: int, meeting: int) -> str:
    mac = base64.b32encode(hashlib.sha256(f"traffpunkt:{member_id}:{meeting}".encode()).digest())
    return f"tp{member_id}-{meeting}-{mac.decode().lower()[:12]}"


# --------------------------------------------------------------------------- encodings
def qp(data: bytes, maxlen: int = 76, lower_hex: bool = False) -> str:
    """Quoted-printable for bytes with "\n" line ends; soft breaks keep lines <= maxlen."""
    fmt = "=%02x" if lower_hex else "=%02X"
    out: list[str] = []
    for line in data.split(b"\n"):
        toks: list[str] = []
        for i, b in enumerate(line):
            if 33 <= b <= 126 and b != 61:
                toks.append(chr(b))
            elif b in (32, 9) and i < len(line) - 1:
                toks.append(chr(b))
            else:
                toks.append(fmt % b)
        cur = ""
        for t in toks:
            if len(cur) + len(t) > maxlen - 1:
                out.append(cur + "=")
                cur = ""
            cur += t
        out.append(cur)
    return "\n".join(out)


def b64(data: bytes, width: int = 76) -> str:
    s = base64.b64encode(data).decode()
    return "\n".join(s[i : i + width] for i in range(0, len(s), width))


def crlf_text(s: str) -> str:
    return s.replace("\r\n", "\n").replace("\n", "\r\n")


_Q_SAFE = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!*+-/")


def encoded_words(s: str, charset: str = "utf-8", enc: str = "Q", lower_hex: bool = False,
                  cs_label: str | None = None) -> list[str]:
    """Split `s` into RFC 2047 encoded-words of at most 75 chars each."""
    label = cs_label or charset
    prefix = f"=?{label}?{enc}?"
    words: list[str] = []
    if enc.upper() == "Q":
        fmt = "=%02x" if lower_hex else "=%02X"
        cur = ""
        for ch in s:
            if ch == " ":
                t = "_"
            elif ch in _Q_SAFE:
                t = ch
            else:
                t = "".join(fmt % b for b in ch.encode(charset))
            if len(prefix) + len(cur) + len(t) + 2 > 75:
                words.append(prefix + cur + "?=")
                cur = ""
            cur += t
        words.append(prefix + cur + "?=")
    else:
        room = (75 - len(prefix) - 2) // 4 * 3
        cur_b = b""
        for ch in s:
            cb = ch.encode(charset)
            if len(cur_b) + len(cb) > room:
                words.append(prefix + base64.b64encode(cur_b).decode() + "?=")
                cur_b = b""
            cur_b += cb
        words.append(prefix + base64.b64encode(cur_b).decode() + "?=")
    return words


def enc_header(value: str, charset: str = "utf-8", enc: str = "Q", fold: str = "\n ",
               partial: bool = False, lower_hex: bool = False, cs_label: str | None = None) -> str:
    """An unstructured header value: plain when ASCII, else encoded-words folded with `fold`.

    partial=True keeps the leading ASCII words literal (as Gmail and Thunderbird do for "Re: ...").
    """
    if value.isascii():
        return value
    lead = ""
    rest = value
    if partial:
        parts = value.split(" ")
        k = 0
        while k < len(parts) and parts[k].isascii():
            k += 1
        if k > 0:
            lead = " ".join(parts[:k]) + " "
            rest = " ".join(parts[k:])
    words = encoded_words(rest, charset, enc, lower_hex, cs_label)
    return lead + fold.join(words)


def enc_name(name: str, addr: str, charset: str = "utf-8", enc: str = "Q", quote_ascii: bool = False,
             lower_hex: bool = False, cs_label: str | None = None) -> str:
    """A mailbox with an encoded display name, e.g. =?utf-8?Q?=C3=85sa_=C3=96berg?= <asa@x>."""
    if not name:
        return addr
    if name.isascii():
        if quote_ascii or any(c in name for c in ',.;:@<>()[]"'):
            return f'"{name}" <{addr}>'
        return f"{name} <{addr}>"
    return " ".join(encoded_words(name, charset, enc, lower_hex, cs_label)) + f" <{addr}>"


def fold_addrs(label: str, addrs: list[str], sep: str = ",\n ") -> str:
    return f"{label}: " + sep.join(addrs)


# --------------------------------------------------------------------------- text shaping
def quote(text: str, prefix: str = "> ", empty: str = ">") -> str:
    return "\n".join((prefix + ln) if ln.strip() else empty for ln in text.split("\n"))


def flow(text: str, width: int = 72, delsp: bool = False, prefix: str = "") -> str:
    """RFC 3676 format=flowed: long lines broken at spaces, each soft break leaving a trailing space."""
    out: list[str] = []
    for line in text.split("\n"):
        if line == "-- ":
            out.append(prefix + line if prefix else line)
            continue
        body = line
        if not prefix and (body.startswith(" ") or body.startswith(">") or body.startswith("From ")):
            body = " " + body  # space-stuffing
        room = width - len(prefix)
        while len(body) > room:
            cut = body.rfind(" ", 0, room)
            if cut <= 0:
                cut = body.find(" ", room)
                if cut < 0:
                    break
            head, body = body[: cut + 1], body[cut + 1 :]
            if delsp:
                head = head + " "  # the extra space that delsp=yes deletes
            out.append((prefix + head) if prefix else head)
        out.append((prefix + body) if (prefix and body) else (prefix.rstrip() if prefix else body))
    return "\n".join(out)


def wrap_words(line: str, width: int) -> list[str]:
    words = line.split(" ")
    out: list[str] = []
    cur = ""
    for w in words:
        if cur and len(cur) + 1 + len(w) > width:
            out.append(cur)
            cur = w
        else:
            cur = f"{cur} {w}" if cur else w
    out.append(cur)
    return out


def esc(s: str) -> str:
    return html.escape(s, quote=False)


def entities(s: str) -> str:
    """HTML-escape and write Latin-1 letters as named entities (as some old generators do)."""
    table = {"å": "&aring;", "ä": "&auml;", "ö": "&ouml;", "Å": "&Aring;", "Ä": "&Auml;", "Ö": "&Ouml;",
             "é": "&eacute;", "ü": "&uuml;", "–": "&ndash;"}
    return "".join(table.get(c, c) for c in esc(s))


# --------------------------------------------------------------------------- dates
EET = timezone(timedelta(hours=2))
CET = timezone(timedelta(hours=1))
UTC = UTC

WD_EN = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
MON_EN = ["January", "February", "March", "April", "May", "June", "July", "August", "September",
          "October", "November", "December"]
WD_SV = ["måndag", "tisdag", "onsdag", "torsdag", "fredag", "lördag", "söndag"]
WD_SV_GM = ["mån", "tis", "ons", "tors", "fre", "lör", "sön"]
MON_SV = ["januari", "februari", "mars", "april", "maj", "juni", "juli", "augusti", "september",
          "oktober", "november", "december"]
MON_SV_AB = ["jan.", "feb.", "mars", "apr.", "maj", "juni", "juli", "aug.", "sep.", "okt.", "nov.", "dec."]
WD_FI = ["maanantai", "tiistai", "keskiviikko", "torstai", "perjantai", "lauantai", "sunnuntai"]
WD_FI_AB = ["ma", "ti", "ke", "to", "pe", "la", "su"]
MON_FI_PART = ["tammikuuta", "helmikuuta", "maaliskuuta", "huhtikuuta", "toukokuuta", "kesäkuuta",
               "heinäkuuta", "elokuuta", "syyskuuta", "lokakuuta", "marraskuuta", "joulukuuta"]


def rfc_date(dt: datetime) -> str:
    wd = WD_EN[dt.weekday()][:3]
    mon = MON_EN[dt.month - 1][:3]
    off = dt.utcoffset() or timedelta(0)
    mins = int(off.total_seconds() // 60)
    sign = "+" if mins >= 0 else "-"
    mins = abs(mins)
    return f"{wd}, {dt.day} {mon} {dt.year} {dt:%H:%M:%S} {sign}{mins // 60:02d}{mins % 60:02d}"


def ampm(dt: datetime) -> str:
    h = dt.hour % 12 or 12
    return f"{h}:{dt:%M} {'AM' if dt.hour < 12 else 'PM'}"
