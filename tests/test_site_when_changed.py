"""The daemon rewrites the public site only when what it shows changed: a quiet tick leaves every file as it
was (same mtimes), an approved memo or a meeting that ended shows on the next tick even if nothing else
happened, and mail read on an IDLE wake does not publish at all."""

from __future__ import annotations

import mailbox
import os
from dataclasses import replace
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from mailer.config import Config, load_config
from mailer.inbound.maildir_reader import MaildirInbox
from mailer.outbound.transport import MemoryTransport
from mailer.service import Service
from mailer.state.store import Store

ROOT = Path(__file__).resolve().parent.parent
HEL = ZoneInfo("Europe/Helsinki")
INVITE = datetime(2026, 11, 19, 9, 0, tzinfo=HEL)  # the invitation for 3 December is due


@pytest.fixture
def service(tmp_path: Path) -> Service:
    example: Config = load_config(ROOT / "config" / "network.example.toml")
    config = replace(example, site=replace(example.site, output=tmp_path / "site"))
    store = Store.memory()
    for i, name in enumerate(["Anna Lindqvist", "Bo Berg", "Cilla Carlsson"]):
        store.add_member(f"m{i}@example.fi", name, "sv", INVITE - timedelta(days=30))
    return Service(config, store, transport=MemoryTransport(), inbox=MaildirInbox(tmp_path / "inbox", store))


def stamps(site: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in site.iterdir()}


def backdate(site: Path) -> dict[str, int]:
    """Set every file a minute into the past, so a rewrite shows in its mtime whatever the clock's grain."""
    for p in site.iterdir():
        t = p.stat().st_mtime_ns - 60_000_000_000
        os.utime(p, ns=(t, t))
    return stamps(site)


async def test_a_quiet_tick_leaves_every_file_of_the_site_untouched(service: Service) -> None:
    site = service.config.site.output
    report = await service.tick(INVITE)
    assert report.queued.get("invitation") == 3 and (site / "index.html").exists()
    before = backdate(site)
    for minutes in (1, 2, 30):
        await service.tick(INVITE + timedelta(minutes=minutes))
    assert stamps(site) == before


async def test_an_approved_memo_is_published_on_the_next_tick(service: Service) -> None:
    site, store = service.config.site.output, service.store
    await service.tick(INVITE)
    before = backdate(site)
    meeting = next(iter(store.meetings().values()))
    with store.write():
        memo = store.add_memo_draft(meeting.id, "Vi talade om kalendern.", "koordinator@kulturnatverket.fi",
                                    INVITE)
        store.approve_memo(memo, INVITE)
    await service.tick(INVITE + timedelta(minutes=1))
    after = stamps(site)
    assert f"memo-{meeting.date.isoformat()}.html" in after
    assert after["index.html"] != before["index.html"]
    assert "kalendern" in (site / f"memo-{meeting.date.isoformat()}.html").read_text(encoding="utf-8")


async def test_a_meeting_that_ended_moves_to_the_archive_with_nothing_else_happening(service: Service) -> None:
    site = service.config.site.output
    await service.tick(INVITE)
    meeting = next(iter(service.store.meetings().values()))
    await service.tick(meeting.end - timedelta(hours=3))  # the reminder: the last mail before the meeting
    before = backdate(site)
    await service.tick(meeting.end - timedelta(minutes=1))
    assert stamps(site) == before
    await service.tick(meeting.end + timedelta(minutes=1))
    assert stamps(site)["index.html"] != before["index.html"]


async def test_a_reply_read_on_an_idle_wake_is_applied_without_publishing(service: Service,
                                                                         tmp_path: Path) -> None:
    site, store = service.config.site.output, service.store
    await service.tick(INVITE)
    before = backdate(site)
    meeting = next(iter(store.meetings().values()))
    msg = EmailMessage(policy=SMTP)
    msg["From"], msg["To"], msg["Subject"] = "Bo Berg <m1@example.fi>", service.config.network.list_address, "Re"
    msg["Authentication-Results"] = "mx.kulturnatverket.fi; dkim=pass header.d=example.fi; dmarc=pass"
    msg["Received"] = "from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS"
    msg["Message-ID"] = "<idle-1@example.fi>"
    msg.set_content("Ja, jag kommer!")
    mailbox.Maildir(tmp_path / "inbox", create=True).add(msg.as_bytes())
    service.clock = lambda: INVITE + timedelta(minutes=5)
    report = await service.inbox_tick()
    assert report.inbound.get("processed") == 1
    assert store.rsvp_of(meeting.id, 2) is not None and store.rsvp_of(meeting.id, 2)["answer"] == "yes"
    assert report.queued == {} and stamps(site) == before  # no planning, no publishing
    assert report.sent == 1  # the confirmation went out at once
