"""`traffpunkt demo`: a whole meeting cycle of the example network on a simulated clock, through the real code."""

from __future__ import annotations

import asyncio
import mailbox
import shutil
from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from email.parser import BytesHeaderParser
from email.utils import format_datetime as rfc_date
from email.utils import make_msgid, parseaddr
from pathlib import Path
from typing import TYPE_CHECKING

from babel.dates import format_datetime

from mailer.cli.members_csv import import_members
from mailer.config import Config, load_config
from mailer.config.resources import example_config, example_members
from mailer.state.store import Store

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    sp = sub.add_parser("demo", help="Run a whole meeting cycle on a simulated clock with the Maildir transport.",
                        description="Run a whole meeting cycle of the example network on a fast simulated clock "
                                    "through the real daemon code; leaves the database, DIR/outbox/, "
                                    "DIR/inbox/.processed/ and DIR/site/ for you to look at.")
    sp.add_argument("--workdir", metavar="DIR", default="traffpunkt-demo", help="where to put everything "
                                                                                "(default: ./traffpunkt-demo)")
    sp.add_argument("--speed", type=float, default=0.0, help="seconds to pause per simulated step (default 0)")
    sp.set_defaults(func=lambda args: run_demo(Path(args.workdir), speed=args.speed))


@dataclass(frozen=True)
class ScriptedReply:
    """What one simulated member writes back, and when (hours after their invitation arrived)."""

    address: str
    after_hours: int
    text: str
    kind: str = "reply"  # reply | auto_reply | bounce


REPLIES = (
    ScriptedReply("anna.lindqvist@teaterforum.fi", 3,
                  "Hej!\n\nJa, jag kommer gärna, vi blir två – jag tar med vår nya producent.\n"
                  "Ärende: gemensam bokningskalender för scenerna i stan\n\nHälsningar,\nAnna"),
    ScriptedReply("paivi.makela@galleriavalo.fi", 26,
                  "Hei,\n\nvalitettavasti en pääse tällä kertaa, meillä on avajaiset samana iltana.\n\n"
                  "Terveisin,\nPäivi"),
    ScriptedReply("jorn@akerblom.se", 30, "Kanske, beror på när repetitionerna slutar.\n\n/Jörn"),
    ScriptedReply("sanna@tanssifestivaali.fi", 48,
                  "Kyllä, tulen!\nRuokavalio: vegaani\nAihe: yhteinen tiedotus kesän festivaaleista\n\nSanna"),
    ScriptedReply("oliver.grant@northernarts.org", 5, "I am out of the office until 7 December with limited "
                  "access to e-mail. I will come back to you when I return.", kind="auto_reply"),
    ScriptedReply("mikko.heinonen@sirkus.fi", 1, "", kind="bounce"),
    ScriptedReply("asa.oberg@kulturhuset.se", 74,
                  "Hej Kulturnätverket!\n\nJa, jag kommer. Jag är vegetarian.\n"
                  "Behöver: ljustekniker till vårens turné\n\nVänligen\nÅsa Öberg"),
)


def _write_config(workdir: Path) -> Path:
    """The example config with every path pointed into the demo folder."""
    text = example_config().read_text(encoding="utf-8")
    replacements = {
        'outbox = "../var/outbox"': f'outbox = "{workdir / "outbox"}"',
        'inbox = "../var/inbox"': f'inbox = "{workdir / "inbox"}"',
        'database = "../var/traffpunkt.db"': f'database = "{workdir / "traffpunkt.db"}"',
        'import_csv = "members.example.csv"': f'import_csv = "{example_members()}"',
        'output = "../site"': f'output = "{workdir / "site"}"',
    }
    for old, new in replacements.items():
        if old not in text:
            raise RuntimeError(f"the example config no longer contains {old!r}; update mailer/cli/demo.py")
        text = text.replace(old, new)
    path = workdir / "network.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _sent_to(outbox: Path) -> dict[str, list[EmailMessage]]:
    """Messages in the outbox Maildir by recipient address."""
    out: dict[str, list[EmailMessage]] = {}
    for key in sorted(mailbox.Maildir(outbox, create=False).keys()):
        raw = (outbox / "new" / key).read_bytes() if (outbox / "new" / key).exists() else None
        if raw is None:
            continue
        msg = message_from_bytes(raw, policy=policy.default)
        assert isinstance(msg, EmailMessage)
        out.setdefault(parseaddr(str(msg["To"]))[1].lower(), []).append(msg)
    return out


def _quote(msg: EmailMessage) -> str:
    body = msg.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return "\n".join("> " + line if line else ">" for line in str(text).splitlines())


def _postfix_bounce(address: str, invitation: EmailMessage, config: Config, when: datetime) -> bytes:
    """A delivery status notification as Postfix writes it (RFC 3464), for an address that does not exist."""
    host = "mx." + address.partition("@")[2]
    boundary = "B0UNCE.demo"
    text = (
        f"From: MAILER-DAEMON@{host} (Mail Delivery System)\r\n"
        f"To: {config.mail.from_address}\r\n"
        "Subject: Undelivered Mail Returned to Sender\r\n"
        f"Date: {rfc_date(when)}\r\n"
        f"Message-ID: {make_msgid(domain=host)}\r\n"
        "Auto-Submitted: auto-replied\r\n"
        "MIME-Version: 1.0\r\n"
        f'Content-Type: multipart/report; report-type=delivery-status; boundary="{boundary}"\r\n'
        "\r\n"
        f"--{boundary}\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        f"This is the mail system at host {host}.\r\n\r\n"
        "I'm sorry to have to inform you that your message could not\r\n"
        "be delivered to one or more recipients.\r\n\r\n"
        f"<{address}>: host {host} said: 550 5.1.1 <{address}>: Recipient address\r\n"
        "    rejected: User unknown in virtual mailbox table\r\n\r\n"
        f"--{boundary}\r\nContent-Type: message/delivery-status\r\n\r\n"
        f"Reporting-MTA: dns; {host}\r\n\r\n"
        f"Final-Recipient: rfc822; {address}\r\nOriginal-Recipient: rfc822;{address}\r\n"
        "Action: failed\r\nStatus: 5.1.1\r\n"
        f"Diagnostic-Code: smtp; 550 5.1.1 <{address}>: Recipient address rejected\r\n\r\n"
        f"--{boundary}\r\nContent-Type: text/rfc822-headers\r\n\r\n"
        f"Message-ID: {invitation['Message-ID']}\r\nTo: {address}\r\n"
        f"Subject: {invitation['Subject']}\r\n\r\n"
        f"--{boundary}--\r\n"
    )
    return text.encode("utf-8")


def build_reply(script: ScriptedReply, invitation: EmailMessage, config: Config, when: datetime) -> bytes:
    """A reply as a member's mail client would write it: new text on top, the invitation quoted below."""
    member = parseaddr(str(invitation["To"]))
    reply = EmailMessage(policy=policy.SMTP)
    reply["Date"] = rfc_date(when)
    reply["Message-ID"] = make_msgid(domain=member[1].partition("@")[2])
    if script.kind == "bounce":
        return _postfix_bounce(member[1], invitation, config, when)
    reply["From"] = f"{member[0]} <{member[1]}>"
    reply["To"] = str(invitation["Reply-To"] or config.network.list_address)
    reply["Subject"] = ("Automatiskt svar: " if script.kind == "auto_reply" else "Re: ") + str(invitation["Subject"])
    reply["In-Reply-To"] = str(invitation["Message-ID"])
    reply["References"] = str(invitation["Message-ID"])
    if script.kind == "auto_reply":
        reply["Auto-Submitted"] = "auto-replied"
        reply["X-Auto-Response-Suppress"] = "All"
        reply.set_content(script.text + "\n")
        return reply.as_bytes()
    sent = format_datetime(when - timedelta(hours=script.after_hours), "EEE d MMM yyyy 'kl' HH:mm", locale="sv_FI")
    reply.set_content(f"{script.text}\n\nDen {sent} skrev {config.network.from_name} "
                      f"<{config.network.list_address}>:\n\n{_quote(invitation)}\n")
    return reply.as_bytes()


NOTES = """Minnesanteckningar från nätverksträffen 3.12

Närvarande: se listan nedan. Maria Lind från Kulturkontakt Nord berättade om de nordiska
mobilitetsbidragen: nästa ansökningsomgång öppnar i februari, och nätverk kan söka tillsammans.

Gemensam bokningskalender: Anna tar fram ett förslag till nästa träff. Teater Forum och
Kulturhuset Väst testar en delad kalender under januari.

Tiedotus kesän festivaaleista: Sanna kokoaa yhteisen listan festivaalien päivämääristä.

Nästa träff: vi fortsätter med kalenderfrågan och tar upp gemensam marknadsföring.
"""


def _coordinator_mail(config: Config, when: datetime, subject: str, body: str, *, to: str,
                      in_reply_to: str | None = None) -> bytes:
    """A mail from the coordinator as our receiving server stores it (it vouches for the sender's domain)."""
    coordinator = config.network.coordinators[0]
    msg = EmailMessage(policy=policy.SMTP)
    msg["Authentication-Results"] = (f"mx.{config.network.domain}; dkim=pass header.d="
                                     f"{coordinator.partition('@')[2]}; spf=pass; dmarc=pass")
    msg["Received"] = f"from mail.example (mail.example [192.0.2.25]) by mx.{config.network.domain} with ESMTPS"
    msg["From"] = f"Koordinatorn <{coordinator}>"
    msg["To"] = to
    msg["Subject"] = subject
    msg["Date"] = rfc_date(when)
    msg["Message-ID"] = make_msgid(domain=coordinator.partition("@")[2])
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
        msg["References"] = in_reply_to
    msg.set_content(body)
    return msg.as_bytes()


def _forwarded_notes(config: Config, when: datetime) -> bytes:
    coordinator = config.network.coordinators[0]
    body = (f"Här kommer anteckningarna från i går.\n\n---------- Vidarebefordrat meddelande ---------\n"
            f"Från: Koordinatorn <{coordinator}>\nDatum: tors 3 dec. 2026 kl 19:10\n"
            f"Ämne: anteckningar\nTill: <{coordinator}>\n\n{NOTES}\n-- \nKoordinatorn\nKulturnätverket\n")
    return _coordinator_mail(config, when, "Fwd: anteckningar 3.12", body, to=config.network.memo_address)


def _approval(config: Config, when: datetime, outbox: Path) -> bytes | None:
    drafts = [m for msgs in _sent_to(outbox).values() for m in msgs if m["X-Traffpunkt-Kind"] == "memo-draft"]
    if not drafts:
        return None
    draft = drafts[-1]
    return _coordinator_mail(config, when, f"Re: {draft['Subject']}", "OK\n\nKoordinatorn\n",
                             to=str(draft["Reply-To"]), in_reply_to=str(draft["Message-ID"]))


_EVENTS = {
    "rsvp": "{who} answered {detail}",
    "rsvp-changed": "{who} changed their answer: {detail}",
    "topic-proposed": "{who} proposed a topic: {detail}",
    "need-proposed": "{who} needs: {detail}",
    "offer-proposed": "{who} offers: {detail}",
    "bounce": "a bounce for {detail}",
    "member-bouncing": "{who} is now marked bouncing ({detail})",
    "inbound-ignored": "not answered: {detail}",
    "inbound-quarantined": "quarantined: {detail}",
    "memo-draft": "memo draft {detail}",
    "memo-approved": "memo approved ({detail})",
    "topic-rolled-over": "a topic rolled over to the next meeting",
}


def run_demo(workdir: Path, speed: float = 0.0, print_fn=print) -> int:  # type: ignore[no-untyped-def]
    """Run the cycle and print a readable timeline; returns the exit code."""
    from mailer.service import Service, build_inbox

    workdir = workdir.resolve()
    for name in ("outbox", "inbox", "site", "traffpunkt.db", "traffpunkt.db-wal", "traffpunkt.db-shm"):
        target = workdir / name
        if target.is_dir():
            shutil.rmtree(target)
        elif target.exists():
            target.unlink()
    workdir.mkdir(parents=True, exist_ok=True)
    config = load_config(_write_config(workdir))
    tz = config.network.tz
    store = Store.open(config.database)
    start = datetime(2026, 11, 18, 8, 0, tzinfo=tz)
    imported = import_members(store, config.members_csv or Path(), config.network.language, start)
    added, problems = imported.added, imported.problems
    print_fn(f"traffpunkt demo — {config.network.name}, {added} members, everything in {workdir}")
    print_fn("Simulated clock: one tick an hour from 18.11 to 5.12.2026 (Helsinki time).")
    print_fn("")
    inbox = build_inbox(config, store)
    service = Service(config, store, inbox=inbox, clock=lambda: start)
    pending = list(REPLIES)
    invited_at: dict[str, datetime] = {}
    seen_log = 0
    seen_files: set[str] = set()
    names = {m.id: m.name for m in store.members(None)}
    inbox_box = mailbox.Maildir(config.mail.inbox_maildir, create=True)
    notes_at = datetime(2026, 12, 4, 10, 0, tzinfo=tz)
    approve_at = datetime(2026, 12, 4, 14, 0, tzinfo=tz)

    def sent_kinds() -> Counter[str]:
        new_dir = config.mail.outbox_maildir / "new"
        fresh = sorted(set(p.name for p in new_dir.iterdir()) - seen_files) if new_dir.exists() else []
        seen_files.update(fresh)
        kinds: Counter[str] = Counter()
        for name in fresh:
            head = BytesHeaderParser().parsebytes((new_dir / name).read_bytes())
            kinds[str(head["X-Traffpunkt-Kind"])] += 1
        return kinds

    async def cycle() -> None:
        nonlocal seen_log
        now = start
        end = datetime(2026, 12, 5, 12, 0, tzinfo=tz)
        while now <= end:
            arrived: list[str] = []
            for script in list(pending):
                sent_at = invited_at.get(script.address)
                if sent_at and now >= sent_at + timedelta(hours=script.after_hours):
                    invitation = _sent_to(config.mail.outbox_maildir)[script.address][0]
                    inbox_box.add(build_reply(script, invitation, config, now))
                    pending.remove(script)
                    arrived.append(f"{script.kind.replace('_', '-')} from {script.address}")
            if now == notes_at:
                inbox_box.add(_forwarded_notes(config, now))
                arrived.append("the coordinator forwards the meeting notes to the memo address")
            if now == approve_at:
                approval = _approval(config, now, config.mail.outbox_maildir)
                if approval is not None:
                    inbox_box.add(approval)
                    arrived.append("the coordinator answers OK to the memo draft")
            report = await service.tick(now, simulated=True)
            if report.queued.get("invitation"):
                for address in _sent_to(config.mail.outbox_maildir):
                    invited_at.setdefault(address, now)
            fresh = [e for e in store.log_entries(limit=10_000) if e["id"] > seen_log]
            kinds = sent_kinds() if report.sent else Counter()
            lines = [f"inbox: {a}" for a in arrived]
            lines += [f"sent {n} {k}" + ("s" if n > 1 and not k.endswith("s") else "")
                      for k, n in sorted(kinds.items())]
            for e in fresh:
                template = _EVENTS.get(e["event"])
                if template:
                    lines.append(template.format(who=names.get(e["member_id"] or 0, ""), detail=e["detail"]))
            if lines:
                stamp = format_datetime(now.astimezone(tz), "EEE d.M. HH:mm", locale="en_GB")
                print_fn(f"{stamp}  {lines[0]}")
                for line in lines[1:]:
                    print_fn(f"{' ' * len(stamp)}  {line}")
            if fresh:
                seen_log = fresh[-1]["id"]
            if speed:
                await asyncio.sleep(speed)
            now += timedelta(hours=1)
        await service.aclose()

    asyncio.run(cycle())
    sent = _sent_to(config.mail.outbox_maildir)
    totals: Counter[str] = Counter()
    for msgs in sent.values():
        for msg in msgs:
            totals[str(msg["X-Traffpunkt-Kind"])] += 1
    print_fn("")
    print_fn("Sent in all: " + ", ".join(f"{n} {k}" for k, n in sorted(totals.items())))
    print_fn(f"Mail as members got it: {config.mail.outbox_maildir}/new/ (one file a message)")
    print_fn(f"Replies as they arrived: {config.mail.inbox_maildir}/.processed/cur/ (handled) and "
             f"{config.mail.inbox_maildir}/.quarantine/cur/ (set aside); Maildir++ folders, hidden by `ls`")
    print_fn(f"The public page: {config.site.output}/index.html")
    print_fn(f"Database: {config.database}   Config: {workdir / 'network.toml'}")
    print_fn(f"Try: traffpunkt status --config {workdir / 'network.toml'}")
    for p in problems:
        print_fn(f"warning: {p}")
    store.close()
    return 0
