"""The reply-understanding corpus (tests/data/replies/): load texts, render each as a real reply mail, grade.

Grading follows tests/data/replies/README.md: per field right / asked / wrong, and per text "fully right",
"asked" (the reader said it was unsure of a field) or "wrong" (a field read wrongly without asking).
"""

from __future__ import annotations

import hashlib
import json
import quopri
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from parsers import ParsedReply, parse_reply

ROOT = Path(__file__).resolve().parents[1] / "data" / "replies"
GRADED = ("rsvp", "guests", "dietary", "topics", "command", "question")
TOKEN = "tp42-7-abcdefghjkmn"

_INVITATIONS = {
    "sv": (
        "Inbjudan: Kulturnätverkets träff torsdag 3.12 kl. 17.00",
        "Den tis 24 nov. 2026 kl 10:02 skrev Kulturnätverket <natverk+{token}@example.org>:",
        "Hej Anna!\n\nVälkommen till nätverkets träff torsdag 3.12 kl. 17.00–19.00 på Kulturhuset, "
        "Stora salen.\n\nSvara JA, NEJ eller KANSKE på det här mejlet. Skriv gärna Kost: om du har "
        "specialkost och Ärende: om du vill ta upp något.\nTar du med en kollega? Skriv +1.\n\n"
        "Hälsningar\nKulturnätverket",
    ),
    "fi": (
        "Kutsu: Kulttuuriverkoston tapaaminen torstaina 3.12. klo 17.00",
        "ti 24.11.2026 klo 10.02 Kulttuuriverkosto <natverk+{token}@example.org> kirjoitti:",
        "Hei Anna!\n\nTervetuloa verkoston tapaamiseen torstaina 3.12. klo 17.00–19.00, Kulttuuritalo, "
        "iso sali.\n\nVastaa KYLLÄ, EI tai EHKÄ tähän viestiin. Kirjoita Ruokavalio: jos sinulla on "
        "erityisruokavalio ja Aihe: jos haluat ottaa jotain esille.\nTuotko kollegan? Kirjoita +1.\n\n"
        "Terveisin\nKulttuuriverkosto",
    ),
    "en": (
        "Invitation: Culture network meeting Thursday 3 December at 17:00",
        "On Tue, 24 Nov 2026 at 10:02, Culture network <natverk+{token}@example.org> wrote:",
        "Hi Anna,\n\nYou are welcome to the network's meeting on Thursday 3 December, 17:00–19:00, at the "
        "Culture House, main hall.\n\nReply YES, NO or MAYBE to this mail. Write Diet: if you have "
        "dietary needs and Topic: if you want to raise something.\nBringing a colleague? Write +1.\n\n"
        "Best regards\nCulture network",
    ),
}


@dataclass(frozen=True)
class Case:
    """One labelled reply text."""

    id: str
    lang: str
    text: str
    expected: dict[str, Any]
    subject: str | None = None
    classes: tuple[int, ...] = ()
    part: str = ""


def load(part: str) -> list[Case]:
    """Every case of `part` ("dev" or "test"), from tests/data/replies/<part>/*.jsonl, in file order."""
    cases: list[Case] = []
    for path in sorted((ROOT / part).glob("*.jsonl")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if not line.strip():
                continue
            try:
                item = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"{path.name}:{number}: {exc}") from exc
            expected = {
                "rsvp": item.get("rsvp"),
                "guests": int(item.get("guests", 0)),
                "dietary": [str(t).casefold() for t in item.get("dietary", [])],
                "topics": [str(t).casefold() for t in item.get("topics", [])],
                "command": item.get("command"),
                "question": bool(item.get("question", False)),
            }
            cases.append(Case(id=str(item["id"]), lang=str(item["lang"]), text=str(item["text"]),
                              expected=expected, subject=item.get("subject"),
                              classes=tuple(item.get("classes", ())), part=part))
    return cases


def render(case: Case) -> bytes:
    """The case as a member's client would send it: the text on top, the quoted invitation below.

    The client style (Gmail-like attribution + "> " quote, Outlook-like header block, or a bare reply
    without quote) is chosen from the case id, so every part mixes them the same way.
    """
    subject_line, attribution, invitation = _INVITATIONS.get(case.lang, _INVITATIONS["en"])
    style = int(hashlib.sha256(case.id.encode()).hexdigest(), 16) % 3
    body = case.text.replace("\r\n", "\n").rstrip("\n")
    if style == 0:
        quoted = "\n".join("> " + line if line else ">" for line in invitation.split("\n"))
        body = f"{body}\n\n{attribution.format(token=TOKEN)}\n\n{quoted}\n"
    elif style == 1:
        head = {"sv": ("Från", "Skickat", "Till", "Ämne"), "fi": ("Lähettäjä", "Lähetetty", "Vastaanottaja",
                "Aihe"), "en": ("From", "Sent", "To", "Subject")}.get(case.lang, ("From", "Sent", "To", "Subject"))
        body = (f"{body}\n\n________________________________\n{head[0]}: Kulturnätverket "
                f"<natverk+{TOKEN}@example.org>\n{head[1]}: 24.11.2026 10:02\n{head[2]}: Anna Andersson "
                f"<anna.andersson@example.com>\n{head[3]}: {subject_line}\n\n{invitation}\n")
    else:
        body = body + "\n"
    subject = case.subject if case.subject is not None else f"Re: {subject_line} [{TOKEN}]"
    payload = quopri.encodestring(body.encode("utf-8")).decode("ascii")
    head_lines = [
        "From: Anna Andersson <anna.andersson@example.com>",
        f"To: {_encode_subject('Kulturnätverket')} <natverk+{TOKEN}@example.org>",
        f"Subject: {_encode_subject(subject)}",
        "Date: Wed, 25 Nov 2026 09:15:00 +0200",
        f"Message-ID: <{hashlib.sha256(case.id.encode()).hexdigest()[:16]}@example.com>",
        f"In-Reply-To: <{TOKEN}.invitation.1.x@example.org>",
        f"References: <{TOKEN}.invitation.1.x@example.org>",
        "MIME-Version: 1.0",
        "Content-Type: text/plain; charset=utf-8",
        "Content-Transfer-Encoding: quoted-printable",
    ]
    return ("\r\n".join(head_lines) + "\r\n\r\n" + payload.replace("\n", "\r\n")).encode("ascii")


def _encode_subject(subject: str) -> str:
    if subject.isascii():
        return subject
    from email.header import Header

    return Header(subject, "utf-8").encode()


def _has(term: str, text: str) -> bool:
    return term in " ".join(text.casefold().split())


def actual(reply: ParsedReply) -> dict[str, Any]:
    """The graded fields as read (with `unsure` and `question` read leniently for older readers)."""
    return {
        "rsvp": reply.rsvp,
        "guests": reply.guests,
        "dietary": reply.dietary,
        "topics": list(reply.topics),
        "command": reply.command if reply.command in ("join", "leave") else None,
        "question": bool(getattr(reply, "question", False)),
    }


def field_right(name: str, expected: Any, got: Any) -> bool:
    """One graded field: exact for rsvp/guests/command/question; key terms for dietary and topics."""
    if name == "dietary":
        if not expected:
            return got is None or not str(got).strip()
        return got is not None and all(_has(term, str(got)) for term in expected)
    if name == "topics":
        topics = [str(t) for t in got]
        if len(topics) != len(expected):
            return False
        free = list(range(len(topics)))
        for term in expected:
            hit = next((i for i in free if _has(term, topics[i])), None)
            if hit is None:
                return False
            free.remove(hit)
        return True
    return bool(expected == got)


@dataclass
class Grade:
    """How one case was read."""

    case: Case
    reply: ParsedReply
    wrong: tuple[str, ...]
    asked: tuple[str, ...]

    @property
    def verdict(self) -> str:
        """"right", "asked" or "wrong" (a field wrong and not asked about)."""
        if self.wrong:
            return "wrong"
        return "asked" if self.asked else "right"


def grade(case: Case, reply: ParsedReply | None = None) -> Grade:
    """Parse the rendered case (unless `reply` is given) and grade it."""
    reply = reply if reply is not None else parse_reply(render(case))
    got = actual(reply)
    unsure = set(getattr(reply, "unsure", ()) or ())
    wrong = tuple(n for n in GRADED if n not in unsure and not field_right(n, case.expected[n], got[n]))
    return Grade(case, reply, wrong, tuple(sorted(unsure)))


@dataclass
class Report:
    """Counts per verdict, per language and per field."""

    verdicts: Counter[str] = field(default_factory=Counter)
    by_lang: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_field: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    by_field_lang: dict[tuple[str, str], Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    grades: list[Grade] = field(default_factory=list)

    def add(self, g: Grade) -> None:
        self.grades.append(g)
        self.verdicts[g.verdict] += 1
        self.by_lang[g.case.lang][g.verdict] += 1
        for name in GRADED:
            outcome = "wrong" if name in g.wrong else "asked" if name in g.asked else "right"
            self.by_field[name][outcome] += 1
            self.by_field_lang[(name, g.case.lang)][outcome] += 1

    @property
    def total(self) -> int:
        return sum(self.verdicts.values())

    def rate(self, verdict: str) -> float:
        return self.verdicts[verdict] / self.total if self.total else 0.0

    def table(self) -> str:
        """A Markdown table: right / asked / wrong per field and language, and the whole-text rates."""
        langs = sorted(self.by_lang)
        rows = ["| field | " + " | ".join(langs) + " | all |", "|---|" + "---|" * (len(langs) + 1)]

        def cell(c: Counter[str]) -> str:
            n = sum(c.values()) or 1
            return f"{c['right'] / n:.1%} / {c['asked'] / n:.1%} / {c['wrong'] / n:.1%}"

        for name in GRADED:
            rows.append(f"| {name} | " + " | ".join(cell(self.by_field_lang[(name, lang)]) for lang in langs)
                        + f" | {cell(self.by_field[name])} |")
        rows.append("| **whole text** | " + " | ".join(cell(self.by_lang[lang]) for lang in langs)
                    + f" | {cell(self.verdicts)} |")
        return "\n".join(rows)


def run(cases: Iterable[Case]) -> Report:
    """Grade every case."""
    report = Report()
    for case in cases:
        report.add(grade(case))
    return report


def failures(report: Report, verdict: str = "wrong") -> Iterator[str]:
    """One readable line per case with this verdict: id, text, expected and read."""
    for g in report.grades:
        if g.verdict != verdict:
            continue
        got = actual(g.reply)
        fields = g.wrong if verdict == "wrong" else g.asked
        detail = ", ".join(f"{n}: expected {g.case.expected[n]!r} got {got[n]!r}" for n in fields)
        yield f"{g.case.id}: {' '.join(g.case.text.split())[:160]!r} -> {detail}"


def summary(name: str, report: Report, with_failures: bool = False) -> str:
    """The whole-text rates, the per-field table and, if asked, the wrong and asked texts, as printed."""
    parts = [f"{name}: {report.total} texts; right {report.rate('right'):.1%}, asked {report.rate('asked'):.1%}, "
             f"wrong {report.rate('wrong'):.1%}\n", "right / asked / wrong\n", report.table()]
    if with_failures:
        for verdict in ("wrong", "asked"):
            parts += [f"\n## {verdict}\n", *failures(report, verdict)]
    return "\n".join(parts)
