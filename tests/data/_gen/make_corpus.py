"""Regenerate the reply corpus in tests/data/ (deterministic, stdlib only).

    /work/venv/bin/python tests/data/_gen/make_corpus.py            # write all .eml/.json
    /work/venv/bin/python tests/data/_gen/make_corpus.py --check    # verify the files on disk match

Each .eml is built byte by byte (see clients.py / specials.py); each .json holds the human reading of the
member's new text (see specs_*.py). After writing, self_check() re-reads every .eml with the stdlib parser and
verifies that the expected body really is what the member typed, that tokens match the headers, etc.
"""

from __future__ import annotations

import email
import email.policy
import html
import json
import re
import sys
from collections import Counter
from email.header import decode_header, make_header
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.dont_write_bytecode = True  # keep tests/data free of __pycache__

from clients import RENDERERS, Spec  # noqa: E402
from specials import (  # noqa: E402
    render_autoreply,
    render_bounce,
    render_gmail_unsubscribe,
    render_imip,
    render_mailto,
    render_malformed,
    render_new,
)
from specs_replies import EN, FI, SV, mailto_specs  # noqa: E402
from specs_special import AUTO, BOUNCES, COMMANDS, IMIP, MALFORMED  # noqa: E402

OUT = HERE.parent
ALL_RENDERERS = dict(RENDERERS)
ALL_RENDERERS.update({
    "mailto": render_mailto, "new": render_new, "gmail_unsub": render_gmail_unsubscribe, "autoreply": render_autoreply,
    "bounce": render_bounce, "imip": render_imip, "malformed": render_malformed,
})
TOKEN_RE = re.compile(r"tp\d+-\d+-[a-z2-7]{12}(?![a-z0-9])", re.I)
PLUS_RE = re.compile(r"\+(tp\d+-\d+-[a-z2-7]{12})@", re.I)


def all_specs() -> list[Spec]:
    specs = SV + FI + EN + mailto_specs() + COMMANDS + AUTO + BOUNCES + IMIP + MALFORMED
    names = [s.name for s in specs]
    dup = [n for n, k in Counter(names).items() if k > 1]
    assert not dup, f"duplicate names: {dup}"
    return specs


def collapse(s: str) -> str:
    return re.sub(r"\s+", " ", s).strip()


def tokens_in(raw: bytes) -> list[str]:
    """Reply tokens in the documented order: To/Cc/Delivered-To/X-Original-To plus addresses, Subject,
    In-Reply-To, References; lower-cased, first occurrence kept."""
    msg = email.message_from_bytes(raw, policy=email.policy.compat32)
    found: list[str] = []
    for h in ("To", "Cc", "Delivered-To", "X-Original-To"):
        for v in msg.get_all(h, []):
            found += [t.lower() for t in PLUS_RE.findall(str(v))]
    subj = msg.get("Subject")
    if subj:
        found += [t.lower() for t in TOKEN_RE.findall(str(make_header(decode_header(str(subj)))))]
    for h in ("In-Reply-To", "References"):
        for v in msg.get_all(h, []):
            found += [t.lower() for t in TOKEN_RE.findall(str(v))]
    out: list[str] = []
    for t in found:
        if t not in out:
            out.append(t)
    return out


def expected(s: Spec, raw: bytes) -> dict:
    e = s.exp
    body = s.body if s.body is not None else s.text
    if s.category == "bounce":  # the human-readable notice (an SMTP transcript is machine talk, not text)
        body = s.body if s.body is not None else s.opt["notification"]
    lang = s.lang if collapse(body) or s.category in ("auto_reply",) else None
    if s.category == "bounce":
        lang = None
    d = {
        "category": s.category,
        "rsvp": e.get("rsvp"),
        "guests": e.get("guests", 0),
        "topics": e.get("topics", []),
        "dietary": e.get("dietary"),
        "command": e.get("command"),
        "needs": e.get("needs", []),
        "offers": e.get("offers", []),
        "body": body.strip("\n"),
        "failed_recipients": e.get("failed_recipients", []),
        "language": lang,
    }
    if s.tokens:
        d["tokens"] = tokens_in(raw)
    if "imip_partstat" in e:
        d["imip_partstat"] = e["imip_partstat"]
    return d


def render(s: Spec) -> bytes:
    return ALL_RENDERERS[s.client](s)


# --------------------------------------------------------------------------------------------- self check


def html_text(h: str) -> str:
    h = re.sub(r"(?is)<(style|script|head)[^>]*>.*?</\1>", " ", h)
    h = re.sub(r"(?i)<br\s*/?>|</(p|div|li|tr|h\d)>", "\n", h)
    h = re.sub(r"(?i)<(p|div|li|tr|td|table|blockquote|hr)\b[^>]*>", "\n", h)
    h = re.sub(r"<[^>]+>", "", h)
    return html.unescape(h)


def visible_text(raw: bytes) -> tuple[str, str]:
    """(plain, html-as-text) of a message, decoded the way a careful parser would."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    plain, htm = "", ""
    for p in msg.walk():
        if p.is_multipart():
            continue
        ct = p.get_content_type()
        if ct not in ("text/plain", "text/html"):
            continue
        if p.get_content_disposition() == "attachment":
            continue
        payload = p.get_payload(decode=True) or b""
        cs = p.get_content_charset() or "latin-1"
        try:
            txt = payload.decode(cs)
        except (LookupError, UnicodeDecodeError):
            try:
                txt = payload.decode("utf-8")
            except UnicodeDecodeError:
                txt = payload.decode("latin-1")
        if ct == "text/plain" and not plain:
            plain = txt
        elif ct == "text/html" and not htm:
            htm = html_text(txt)
    return plain, htm


def self_check(specs: list[Spec], blobs: dict[str, bytes], exps: dict[str, dict]) -> list[str]:
    problems: list[str] = []
    bodies: dict[str, str] = {}
    for s in specs:
        raw = blobs[s.name]
        e = exps[s.name]
        # line-length sanity (RFC 5322 hard limit; QP/base64 soft limits)
        for i, line in enumerate(raw.split(b"\n")):
            if len(line.rstrip(b"\r")) > 998:
                problems.append(f"{s.name}: line {i + 1} longer than 998 octets")
        if s.category in ("reply", "command", "auto_reply") and e["body"] and s.client != "malformed":
            plain, htm = visible_text(raw)
            want = collapse(e["body"])
            parts = [collapse(x) for x in e["body"].split("\n")] if s.client == "mutt" else [want]
            if not all(w in collapse(plain.replace("\r", "")) or w in collapse(htm) for w in parts):
                problems.append(f"{s.name}: expected body not found in decoded text")
        if s.category == "reply" and s.client not in ("imip", "mailto", "malformed") and s.opt.get("kind") is None:
            plain, htm = visible_text(raw)
            # the quoted invitation must be there (the trap for a parser that reads quotes)
            text = plain or htm
            if not any(k in text for k in ("JA, NEJ eller KANSKE", "KYLLÄ, EI tai EHKÄ", "YES, NO or MAYBE")):
                problems.append(f"{s.name}: quoted invitation missing")
        if e["category"] in ("auto_reply", "bounce") and e["rsvp"] is not None:
            problems.append(f"{s.name}: rsvp must be null for {e['category']}")
        if e["rsvp"] is None and e["category"] == "reply" and e["body"] and not e["topics"] and not e["command"]:
            problems.append(f"{s.name}: reply with text but no rsvp/topic/command (intended?)")
        if "imip_partstat" in e:
            want = {"ACCEPTED": "yes", "DECLINED": "no", "TENTATIVE": "maybe"}[e["imip_partstat"]]
            if e["rsvp"] != want:
                problems.append(f"{s.name}: rsvp does not match PARTSTAT")
            if f"PARTSTAT={e['imip_partstat']}" not in _calendar_text(raw):
                problems.append(f"{s.name}: PARTSTAT not in calendar part")
        for key in ("topics", "needs", "offers"):
            for t in e[key]:
                if collapse(t).casefold() not in collapse(e["body"]).casefold():
                    problems.append(f"{s.name}: {key} item {t!r} not in body")
        if e["dietary"] and e["dietary"].casefold() not in e["body"].casefold():
            problems.append(f"{s.name}: dietary {e['dietary']!r} not in body")
        b = collapse(e["body"])
        if b and e["category"] != "bounce":
            if b in bodies:
                problems.append(f"{s.name}: same body as {bodies[b]}")
            bodies[b] = s.name
        if "tokens" in e:
            for t in e["tokens"]:
                if not re.fullmatch(r"tp\d+-\d+-[a-z2-7]{12}", t):
                    problems.append(f"{s.name}: bad token {t}")
    return problems


def _calendar_text(raw: bytes) -> str:
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    out = ""
    for p in msg.walk():
        if p.get_content_type() == "text/calendar":
            out += (p.get_payload(decode=True) or b"").decode("utf-8").replace("\r\n ", "").replace("\n ", "")
    return out


# --------------------------------------------------------------------------------------------- main
def dump_json(d: dict) -> str:
    return json.dumps(d, ensure_ascii=False, indent=2) + "\n"


def main(argv: list[str]) -> int:
    specs = all_specs()
    blobs = {s.name: render(s) for s in specs}
    exps = {s.name: expected(s, blobs[s.name]) for s in specs}
    problems = self_check(specs, blobs, exps)
    for p in problems:
        print("CHECK:", p)
    if "--check" in argv:
        bad = 0
        for s in specs:
            if (OUT / f"{s.name}.eml").read_bytes() != blobs[s.name]:
                print("differs:", s.name)
                bad += 1
            if (OUT / f"{s.name}.json").read_text(encoding="utf-8") != dump_json(exps[s.name]):
                print("differs:", s.name + ".json")
                bad += 1
        known = {f"{s.name}.{x}" for s in specs for x in ("eml", "json")}
        for f in OUT.iterdir():
            if f.suffix in (".eml", ".json") and f.name not in known:
                print("stray:", f.name)
                bad += 1
        print(f"{len(specs)} messages, {bad} differences")
        return 1 if bad or problems else 0
    for f in OUT.iterdir():
        if f.suffix in (".eml", ".json"):
            f.unlink()
    for s in specs:
        (OUT / f"{s.name}.eml").write_bytes(blobs[s.name])
        (OUT / f"{s.name}.json").write_text(dump_json(exps[s.name]), encoding="utf-8")
    print(f"wrote {len(specs)} messages to {OUT}")
    return 1 if problems else 0




# --------------------------------------------------------------------------------------------- inventory
def inventory() -> str:
    """Counts for the README's Inventory section (printed by --inventory)."""
    specs = all_specs()
    cat: Counter[str] = Counter()
    lang: Counter[str] = Counter()
    client: Counter[str] = Counter()
    enc: Counter[str] = Counter()
    feats: Counter[str] = Counter()
    for s in specs:
        raw = render(s)
        e = expected(s, raw)
        cat[e["category"]] += 1
        if e["category"] in ("reply", "command"):
            lang[f"{e['category']}/{e['language']}"] += 1
        c = s.client
        if c in ("mailto", "new", "autoreply", "bounce", "imip", "malformed"):
            c = f"{c}:{s.opt.get('style') or s.opt.get('kind')}"
        if c == "outlook" and s.opt.get("html_only"):
            c = "outlook:html-only"
        if c == "owa" and s.opt.get("html_only"):
            c = "owa:html-only"
        if c == "iphone" and s.opt.get("device") == "ipad":
            c = "ipad"
        client[c] += 1
        msg = email.message_from_bytes(raw, policy=email.policy.compat32)
        texts = [p for p in msg.walk() if p.get_content_type() in ("text/plain", "text/html") and not p.is_multipart()
                 and (p is msg or p.get("Content-Type") is not None)]
        if texts and all(p.get_content_type() == "text/html" for p in texts):
            feats["HTML only (no text/plain)"] += 1
        seen = set()
        for p in texts:
            cte = (p.get("Content-Transfer-Encoding") or "7bit").lower()
            cs = (p.get_content_charset() or "none").lower()
            seen.add(f"{cs} / {cte}")
        for k in seen:
            enc[k] += 1
        feats["CRLF line ends" if b"\r\n" in raw[:400] else "LF line ends"] += 1
        if re.search(rb"^(Subject|From):[^\n]*=\?", raw, re.M | re.I):
            feats["RFC 2047 encoded Subject/From"] += 1
        if "tokens" in e:
            feats["with a `tokens` key"] += 1
        if "imip_partstat" in e:
            feats["with `imip_partstat`"] += 1
    def inline(c: Counter[str]) -> str:
        return ", ".join(f"{k} {v}" for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))

    langs: Counter[str] = Counter()
    for k, v in lang.items():
        langs[k.split("/")[1].replace("None", "none (no text)")] += v
    lines = [
        "## Inventory",
        "",
        f"{len(specs)} messages (`NAME.eml` + `NAME.json`), written by `_gen/make_corpus.py` (stdlib only, "
        "deterministic; `--check` verifies the files on disk, `--inventory` prints this section).",
        "",
        f"- Category: {inline(cat)}.",
        f"- Category/language of the member's text: {inline(lang)}.",
        f"- Language, replies and commands together: {inline(langs)}.",
        f"- Client or generator: {inline(client)}.",
        f"- Text parts by charset / transfer encoding (files): {inline(enc)}.",
        f"- Other: {inline(feats)}.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    if "--inventory" in sys.argv:
        print(inventory())
        raise SystemExit(0)
    raise SystemExit(main(sys.argv[1:]))
