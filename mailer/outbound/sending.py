"""The daemon's sending side across ticks: one drain per call, a backoff per server and for the database,
sent marks that wait for the disk, and the coordinators' notice of addresses refused for good."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from mailer.config import Config
from mailer.outbound import spare
from mailer.outbound.backoff import Backoff
from mailer.outbound.marks import Unmarked
from mailer.outbound.outbox import DrainReport, Render, drain
from mailer.outbound.render_worker import WorkerSpec
from mailer.outbound.transport import Transport
from mailer.state.store import Store

log = logging.getLogger("traffpunkt")


class _Report(Protocol):
    sent: int
    retried: int
    failed: int
    render_failed: int
    errors: list[str]
    logged: list[str]


class Sending:
    """`send()` drains the outbox unless the SMTP server or the database is waiting out its backoff."""

    def __init__(self, config: Config, store: Store, transport: Transport, render: Callable[..., Any],
                 enqueue_mail: Callable[..., bool], render_worker: WorkerSpec | None = None) -> None:
        self.config, self.store, self.transport = config, store, transport
        #: Renders large drains in a worker process (None: always here; `render` must be that Composer's).
        self.render_worker = render_worker
        self._render, self._enqueue_mail = render, enqueue_mail
        smtp, imap = config.mail.smtp, config.mail.imap
        self.smtp = Backoff(f"SMTP server {smtp.host}:{smtp.port}"
                            if config.mail.transport == "smtp" and smtp else "outbox", log)
        self.imap = Backoff(f"IMAP server {imap.host}:{imap.port}" if imap else "inbox", log)
        #: IMAP IDLE on its own: a server that fetches but fails IDLE is polled, not hammered.
        self.idle = Backoff(f"{self.imap.name} (IDLE)", log)
        self.database = Backoff("database (recording sent mail)", log)
        #: Sent messages whose "sent" mark waits for the database (disk full): never sent again.
        self.unmarked = Unmarked()
        self._state_shown: str | None = None

    @property
    def backoffs(self) -> tuple[Backoff, Backoff, Backoff, Backoff]:
        """Every server's state (the inbox's too: `status` shows them together)."""
        return self.smtp, self.imap, self.idle, self.database

    async def send(self, now: Callable[[], datetime], stop: asyncio.Event | None, report: _Report,
                   live_log: bool) -> DrainReport | None:
        """One drain into `report`; None when it waited for a backoff. With `live_log`, errors are logged
        as they happen (and listed in `report.logged`)."""
        t = now()
        if not (self.smtp.ready(t) and self.database.ready(t)):
            return None  # a server or the database is down: wait for its backoff, do not hammer it
        self.notify_refused(t)  # (failures of the previous drain: their notice goes out in this one)
        try:  # never an invitation after the meeting, nor one for a cancelled meeting
            self.store.drop_stale(t)
        except Exception as exc:  # the database refuses writes: the drain below finds out and stops
            report.errors.append(f"outbox: {type(exc).__name__}: {exc}")
        smtp = self.config.mail.smtp
        # one sender per allowed connection; after a kill -9, at most that many in-flight messages go again
        concurrency = smtp.max_connections if self.config.mail.transport == "smtp" and smtp else 1

        def warn(text: str) -> None:
            log.warning("%s", text)
            report.logged.append(text)

        render: Render = lambda row: self._render(row, now())  # noqa: E731
        result = await drain(self.store, render, self.transport, now, config=self.config.mail, stop=stop,
                             concurrency=max(1, concurrency), unmarked=self.unmarked,
                             warn=warn if live_log else None, render_worker=self.render_worker)
        self.notify_refused(now())
        report.sent += result.sent
        report.retried += result.retried
        report.failed += result.failed
        report.render_failed += result.render_failed
        report.errors.extend(result.errors)
        t = now()
        if result.unreachable:
            if not live_log:  # run --once prints it; the daemon's backoff logs it once per outage
                report.errors.append(f"outbox paused: {result.unreachable}")
            self.smtp.failed(result.unreachable, t)
        elif result.attempted or result.aborted:
            self.smtp.succeeded(t)
        if result.database:
            self.database.failed(result.database, t)
        elif result.attempted or not self.unmarked:
            self.database.succeeded(t)
        self.show_state()
        return result

    def notify_refused(self, now: datetime) -> int:
        """One notice per coordinator listing the members whose address was refused for good since the last
        notice (derived from the log in one transaction with its watermark: each member is told once, and
        a mass failure is one mail, not one per member). Returns how many members it listed."""
        try:
            told = int(self.store.setting("refused_told_upto") or 0)
            rows = self.store.members_refused_since(told)
            if not rows:
                return 0
            members = [{"name": r["name"], "address": ascii(r["address"])[1:-1], "reason": r["reason"]}
                       for r in rows]
            with self.store.write():
                for coordinator in self.config.network.coordinators:
                    self._enqueue_mail(key=f"bounce-notice:refused:{rows[-1]['id']}:{coordinator}",
                                       kind="bounce-notice", member=None, recipient=coordinator, now=now,
                                       context={"members": members, "refused": True, "status": "bouncing",
                                                "member_name": members[0]["name"],
                                                "address": members[0]["address"],
                                                "reason": members[0]["reason"]})
                self.store.set_setting("refused_told_upto", str(rows[-1]["id"]))
        except Exception as exc:  # the database refuses writes: the next drain tells them
            log.debug("refused addresses not told yet: %s", exc)
            return 0
        return len(rows)

    def show_state(self) -> None:
        """Keep the servers' state where `traffpunkt status` reads it (written only when it changes)."""
        tz = self.config.network.tz
        parts = [f"{b.name}: {d}" for b in self.backoffs if (d := b.describe(tz))]
        if len(self.unmarked):
            parts.append(f"{len(self.unmarked)} sent messages wait for their 'sent' mark (never sent again)")
        shown = "\n".join(parts) or None
        if shown != self._state_shown:
            try:
                self.store.set_setting("service_state", shown)
                self._state_shown = shown
            except Exception:  # noqa: S110 - the database refuses writes; it is retried on the next change
                pass

    def keep_spare(self) -> None:
        """The daemon runs: keep a drain worker started ahead of the next large fan-out, if worth it."""
        spare.keep(self.render_worker, self.config, self.store.count_members())

    def close(self) -> None:
        """At shutdown: the spare drain worker killed, a last try to write waiting marks (a mark lost here would
        send that message again after the restart), and no stale "next try" left for `status`."""
        spare.close(self.render_worker)
        self.flush_marks()
        try:
            self.store.set_setting("service_state", None)
        except Exception:  # noqa: S110 - the database refuses writes: status may show the last state
            pass

    def flush_marks(self) -> None:
        """A last try to write the marks that wait for the database."""
        if len(self.unmarked):
            try:
                self.unmarked.flush(self.store)
            except Exception as exc:
                log.error("%d sent messages could not be recorded (%s); they may be sent again after the "
                          "restart, with the same Message-ID", len(self.unmarked), exc)
