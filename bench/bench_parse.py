"""Benchmark: `parse_reply` against a bare stdlib parse over 10,000 generated replies.

Run: `python bench/bench_parse.py [--count N]`. Prints both rates (messages per second) and their ratio;
the target is a ratio of at least 0.5 (parse_reply at least half as fast as the bare stdlib parse).
"""

from __future__ import annotations

import argparse
import base64
import email
import email.policy
import quopri
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from parsers import parse_reply  # noqa: E402 - after the path set-up above

INVITATION = (
    "Hej!\n\nVälkommen till nätverkets träff torsdag 3 december kl. 17.30 i Kulturhuset.\n"
    "Svara JA, NEJ eller KANSKE på det här mejlet. Skriv gärna Kost: om du har specialkost\n"
    "och Ärende: om du vill ta upp något.\n\nHälsningar\nTräffpunkt\n"
)
ANSWERS = {
    "sv": ["Ja, jag kommer gärna!", "Tyvärr kan jag inte komma den här gången.", "Kanske, jag återkommer.",
           "Ja! Vi blir två.\nKost: vegetarisk",
           "Jag kommer och tar med två praktikanter.\nÄrende: lokalfrågan"],
    "fi": ["Kyllä, tulen mielelläni.", "Valitettavasti en pääse.", "Ehkä, palaan asiaan.",
           "Tulen! Otan mukaan kollegan.\nRuokavalio: laktoositon", "Osallistun.\nAihe: yhteiset tilat"],
    "en": ["Yes, count me in!", "Sorry, I can't make it this time.", "Not sure yet, I'll let you know.",
           "Yes, +1.\nDiet: vegan", "I'll be there.\nTopic: shared office space"],
}  # fmt: skip
ATTRIBUTION = {
    "sv": "Den tis 24 nov. 2026 kl 10:02 skrev Träffpunkt <natverk@example.org>:",
    "fi": "ti 24.11.2026 klo 10.02 Träffpunkt (natverk@example.org) kirjoitti:",
    "en": "On Tue, Nov 24, 2026 at 10:02 AM Träffpunkt <natverk@example.org> wrote:",
}
SIGNATURE = {"sv": "Skickat från min iPhone", "fi": "Lähetetty iPhonesta", "en": "Sent from my iPhone"}


def _headers(i: int, lang: str, content_type: str, cte: str) -> str:
    token = f"tp{i % 300}-7-abcdefghjkmn"
    return (
        f"From: Member {i} <member{i}@example.com>\n"
        f"To: natverk+{token}@example.org\n"
        f"Subject: Re: Inbjudan {lang} [{token}]\n"
        f"Date: Tue, 24 Nov 2026 10:{i % 60:02d}:00 +0100\n"
        f"Message-ID: <reply{i}@example.com>\n"
        f"In-Reply-To: <{token}.invitation.1.x@example.org>\n"
        f"References: <{token}.invitation.1.x@example.org>\n"
        "MIME-Version: 1.0\n"
        f"Content-Type: {content_type}\n"
        f"Content-Transfer-Encoding: {cte}\n"
    )


def _plain(answer: str, lang: str, with_signature: bool) -> str:
    quoted = "\n".join("> " + line if line else ">" for line in INVITATION.split("\n"))
    signature = f"\n\n{SIGNATURE[lang]}" if with_signature else ""
    return f"{answer}{signature}\n\n{ATTRIBUTION[lang]}\n\n{quoted}\n"


def _html(answer: str) -> str:
    body = "".join(f"<p>{line}</p>" for line in answer.split("\n"))
    old = "".join(f"<p>{line}</p>" for line in INVITATION.split("\n"))
    return (
        "<html><head><style>p{margin:0}</style></head><body><div>" + body + "</div>"
        '<hr style="display:inline-block;width:98%"><div id="divRplyFwdMsg"><b>From:</b> Träffpunkt'
        "<br><b>Sent:</b> Tuesday<br><b>To:</b> Member<br><b>Subject:</b> Inbjudan</div><div>"
        + old
        + "</div>"
        "</body></html>"
    )


def make_reply(i: int, rng: random.Random) -> bytes:
    """One reply of a random client, language and encoding."""
    lang = rng.choice(list(ANSWERS))
    answer = rng.choice(ANSWERS[lang])
    kind = i % 4
    if kind == 0:  # Gmail: multipart/alternative, quoted-printable UTF-8
        plain = quopri.encodestring(_plain(answer, lang, False).encode()).decode()
        html = quopri.encodestring(_html(answer).encode()).decode()
        boundary = f"b{i}"
        text = _headers(i, lang, f'multipart/alternative; boundary="{boundary}"', "7bit") + (
            f"\n--{boundary}\nContent-Type: text/plain; charset=UTF-8\n"
            "Content-Transfer-Encoding: quoted-printable"
            f"\n\n{plain}\n--{boundary}\nContent-Type: text/html; charset=UTF-8\n"
            f"Content-Transfer-Encoding: quoted-printable\n\n{html}\n--{boundary}--\n"
        )
        return text.encode()
    if kind == 1:  # Outlook: HTML only, base64 UTF-8
        payload = base64.encodebytes(_html(answer).encode()).decode()
        return (_headers(i, lang, 'text/html; charset="utf-8"', "base64") + "\n" + payload).encode()
    if kind == 2:  # Apple Mail: ISO-8859-1 quoted-printable
        payload = quopri.encodestring(_plain(answer, lang, True).encode("iso-8859-1")).decode()
        return (
            _headers(i, lang, "text/plain; charset=iso-8859-1", "quoted-printable") + "\n" + payload
        ).encode()
    payload = base64.encodebytes(_plain(answer, lang, True).encode()).decode()  # phone: base64 UTF-8
    return (_headers(i, lang, "text/plain; charset=utf-8", "base64") + "\n" + payload).encode()


def bare_stdlib(raw: bytes) -> str:
    """The baseline: parse with policy.default, pick the body, decode it."""
    msg = email.message_from_bytes(raw, policy=email.policy.default)
    body = msg.get_body(preferencelist=("plain", "html"))  # type: ignore[attr-defined]
    return str(body.get_content()) if body is not None else ""


def main() -> int:
    """Generate the replies, time both parsers in the same run, print rates and ratio."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(20261124)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        for i in range(args.count):
            (folder / f"{i:05d}.eml").write_bytes(make_reply(i, rng))
        raws = [path.read_bytes() for path in sorted(folder.glob("*.eml"))]
    start = time.perf_counter()
    for raw in raws:
        bare_stdlib(raw)
    stdlib_seconds = time.perf_counter() - start
    start = time.perf_counter()
    categories: dict[str, int] = {}
    for raw in raws:
        reply = parse_reply(raw)
        categories[reply.category] = categories.get(reply.category, 0) + 1
    ours_seconds = time.perf_counter() - start
    stdlib_rate = len(raws) / stdlib_seconds
    ours_rate = len(raws) / ours_seconds
    print(f"messages:             {len(raws)}")
    print(f"bare stdlib parse:    {stdlib_rate:8.0f} msg/s  ({stdlib_seconds:.2f} s)")
    print(f"parse_reply:          {ours_rate:8.0f} msg/s  ({ours_seconds:.2f} s)")
    print(f"ratio (ours/stdlib):  {ours_rate / stdlib_rate:8.2f}  (target >= 0.5)")
    print(f"categories:           {categories}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
