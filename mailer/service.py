"""Wiring: one tick (plan -> queue -> send -> read inbox) and the daemon loop that APScheduler wakes."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from mailer.config import Config
from mailer.inbound.ask import asked_since
from mailer.inbound.forget import erase_confirmed
from mailer.inbound.parse_worker import ParseWorker, memory_limit_for
from mailer.meeting import planner
from mailer.models import Action, Meeting, MeetingChange, Member, PlannerState, Send, TickReport
from mailer.outbound.briefing import QueueContexts
from mailer.outbound.compose import Composer, make_message_id
from mailer.outbound.factory import make_transport
from mailer.outbound.render_worker import WorkerSpec
from mailer.outbound.sending import Sending
from mailer.outbound.silence import tend_members
from mailer.outbound.tokens import make as make_token
from mailer.outbound.transport import Transport
from mailer.site.publish import publish as site_publish
from mailer.state.speakers import proposed_since
from mailer.state.store import Store

log = logging.getLogger("traffpunkt")


def utcnow() -> datetime:
    return datetime.now(UTC)


#: Mail to the coordinators whose Message-ID carries their token: the answers to it must prove themselves.
COORDINATOR_TOKEN_KINDS = frozenset({"memo-draft", "digest"})


class Service:
    """The daemon's work, driven by explicit `now`s so tests and the demo can run it on any clock."""

    def __init__(self, config: Config, store: Store, transport: Transport | None = None,
                 inbox: Any | None = None, clock: Callable[[], datetime] = utcnow,
                 parse_worker: ParseWorker | None = None) -> None:
        self.config = config
        self.store = store
        self.secret = store.token_secret(config.network.token_secret_env)
        self.composer = Composer(config, store, self.secret)
        self.transport = transport if transport is not None else make_transport(config)
        self.inbox, self.clock = inbox, clock
        from mailer.inbound.handle import ReplyHandler

        # Inbound mail is parsed in a worker process, killed when one message overruns the deadline; it
        # starts with the first message, so a service that never reads mail never starts one.
        self.parse_worker = parse_worker or ParseWorker(
            config.mail.parse_deadline_seconds, memory_limit=memory_limit_for(config.mail.max_message_bytes))
        self.handler: ReplyHandler | None = ReplyHandler(config, store, self.secret, self.enqueue_mail,
                                                         parse=self.parse_worker.parse)
        worker = (WorkerSpec(config, self.secret, store.path, config.mail.render_worker_rows)
                  if store.path is not None and config.mail.render_worker_rows > 0 else None)
        self.sending = Sending(config, store, self.transport, self.composer.render, self.enqueue_mail,
                               render_worker=worker)
        self.imap_backoff = self.sending.imap
        #: The daemon logs each send error as it happens (run --once prints them at the end).
        self.live_log = False
        self._site_version: str | None = None  # of the last site published (mailer/site/version.py)

    # -- planning ------------------------------------------------------------------------------------

    def _state(self, now: datetime) -> PlannerState:
        today = now.astimezone(self.config.network.tz).date()
        return self.store.planner_state(today - timedelta(days=3))

    def plan(self, now: datetime) -> list[Action]:
        """What is due now (for inspection; `queue` streams the same actions)."""
        return planner.plan(now, self.config, self._state(now))

    def queue(self, now: datetime, report: TickReport | None = None) -> TickReport:
        """Plan and commit each meeting's changes together with the mail they cause (one transaction each).

        Actions are streamed from the planner and members from SQLite, so a fan-out to 100,000 members
        never holds them all in memory.
        """
        report = report or TickReport(now)
        state = self._state(now)
        group: list[Action] = []
        day: date | None = None
        before: Meeting | None = None  # the meeting as members knew it, before this tick's change
        for action in planner.iter_plan(now, self.config, state):
            action_day = action.occurrence.date if isinstance(action, MeetingChange) else action.meeting_date
            if action_day != day or len(group) >= 5000:
                if group and day is not None:
                    self._queue_group(day, group, before, now, report)
                if action_day != day:
                    before = self.store.meeting_on(action_day)
                group, day = [], action_day
            group.append(action)
        if group and day is not None:
            self._queue_group(day, group, before, now, report)
        return report

    def _queue_group(self, day: date, group: list[Action], before: Meeting | None, now: datetime,
                     report: TickReport) -> None:
        """One transaction: a meeting's change and (a batch of up to 5,000 of) the mail about it."""
        with self.store.write():
            for action in group:
                if isinstance(action, MeetingChange):
                    m = self.store.apply_meeting_change(action, self.config.network.domain, now)
                    report.meetings_changed.append(f"{m.date} seq {m.sequence}" + (" cancelled" if m.cancelled else ""))
            meeting = self.store.meeting_on(day)
            sends = [a for a in group if isinstance(a, Send)]
            if meeting is None:
                if sends:
                    report.errors.append(f"meeting {day} not stored; {len(sends)} mails not queued")
                return
            contexts = QueueContexts(self.config, self.store, meeting, before, now)
            for send in sends:
                if send.member_id == 0:
                    queued = self.enqueue_mail(key=send.key, kind=send.kind, member=None,
                                               recipient=send.recipient or "", now=now, meeting_id=meeting.id,
                                               context=contexts.for_coordinator(send.kind))
                else:
                    queued = self._enqueue(send, meeting.id, now, contexts.for_member(send))
                if queued:
                    report.queued[send.kind] = report.queued.get(send.kind, 0) + 1

    def _enqueue(self, send: Send, meeting_id: int, now: datetime, context: dict[str, Any] | None = None) -> bool:
        token = make_token(self.secret, send.member_id, meeting_id)
        return self.store.enqueue(
            key=send.key, kind=send.kind, recipient=send.recipient or "", now=now, member_id=send.member_id,
            meeting_id=meeting_id, sequence=send.sequence, context=context,
            message_id=make_message_id(token, send.kind, send.key, self.config.network.domain))

    def enqueue_mail(self, *, key: str, kind: str, member: Member | None, recipient: str, now: datetime,
                     meeting_id: int | None = None, context: dict[str, Any] | None = None,
                     join_request: int | None = None) -> bool:
        """Queue any other mail (confirmations, digests...) with the same Message-ID and key rules.

        A join confirmation carries the token of the join request (member 0, the request's id), which is
        also kept in the context as `request_id` so the composer can put it in the reply address.
        """
        if join_request is not None:
            token = make_token(self.secret, 0, join_request)
            context = {**(context or {}), "request_id": join_request, "token": token}
        elif member is not None:  # a member's own token
            token = make_token(self.secret, member.id, meeting_id or 0)
        else:  # the coordinators' token (0, 0) only where their answer must prove itself: the memo draft and
            # the digest. Mail they forward or answer to others (a member's question, the catering list, the
            # agenda) carries none, so their replies cannot hand it on.
            token = make_token(self.secret, 0, 0) if kind in COORDINATOR_TOKEN_KINDS else ""
        return self.store.enqueue(
            key=key, kind=kind, recipient=recipient, now=now, member_id=member.id if member else None,
            meeting_id=meeting_id, context=context,
            message_id=make_message_id(token, kind, key, self.config.network.domain))

    def queue_digest(self, now: datetime, report: TickReport | None = None) -> None:
        """Once a day (from 08:00 local) tell the coordinators what was quarantined in the last 24 hours."""
        local = now.astimezone(self.config.network.tz)
        if local.hour < 8:
            return
        items = [{"from": row.summary.get("from_address") or "?", "subject": row.summary.get("subject") or "",
                  "reason": row.reason or "", "received": row.received_at}
                 for row in self.store.quarantined_since(now - timedelta(days=1))]
        asked = asked_since(self.store, now - timedelta(days=1))  # unsure replies the members were asked about
        speakers = proposed_since(self.store, now - timedelta(days=1))  # guest speaker proposals by reply
        if not items and not asked and not speakers:
            return
        with self.store.write():
            for coordinator in self.config.network.coordinators:
                if self.enqueue_mail(key=f"digest:{local.date()}:{coordinator}", kind="digest", member=None,
                                     recipient=coordinator, now=now,
                                     context={"messages": items, "asked": asked, "speakers": speakers}) and report:
                    report.queued["digest"] = report.queued.get("digest", 0) + 1

    # -- sending and reading -------------------------------------------------------------------------

    async def send(self, now: Callable[[], datetime], stop: asyncio.Event | None = None,
                   report: TickReport | None = None) -> TickReport:
        report = report or TickReport(now())
        self.sending.transport = self.transport  # (tests and the demo may swap it)
        await self.sending.send(now, stop, report, live_log=self.live_log)
        return report

    def read_inbox(self, now: datetime, report: TickReport | None = None,
                   stop: asyncio.Event | None = None) -> TickReport:
        report = report or TickReport(now)
        if self.inbox is None or self.handler is None or not self.imap_backoff.ready(now):
            return report
        try:
            result = self.inbox.fetch_and_handle(self.handler.for_time(now), now=now)
        except Exception as exc:  # an unreachable server must not stop sending; it is retried with backoff
            partial = getattr(exc, "report", None)
            if partial is not None:
                self._count_inbound(partial, report)
            if stop is not None and stop.is_set():  # cut short by the shutdown: not the server's fault
                return report
            if partial is not None and (partial.handled or partial.already_handled):  # it read, then broke
                self.imap_backoff.succeeded(now)
            self.imap_backoff.failed(f"{type(exc).__name__}: {exc}", now)
            self.sending.show_state()
            return report
        self.imap_backoff.succeeded(now)
        self._count_inbound(result, report)
        return report

    @staticmethod
    def _count_inbound(result: Any, report: TickReport) -> None:
        for name, n in result.counts().items():
            report.inbound[name] = report.inbound.get(name, 0) + n

    def tell_login_refused(self, now: datetime) -> None:
        """One `auth-lost` notice per coordinator when the OAuth2 grant was refused (mailer/oauth/notice.py)."""
        from mailer.oauth.notice import queue_notice

        try:
            queue_notice(self.config, self.store, self.enqueue_mail, now)
        except Exception as exc:  # the database refuses writes: the next tick tells them
            log.debug("login refusal not told yet: %s", exc)

    async def tick(self, now: datetime | None = None, stop: asyncio.Event | None = None,
                   simulated: bool = False) -> TickReport:
        """One round of work: plan and queue, send what is due, read the inbox, send the answers it caused."""
        t = now or self.clock()
        clock: Callable[[], datetime] = (lambda: t) if (now is not None or simulated) else self.clock
        report = TickReport(t)
        tend_members(self.config, self.store, self.enqueue_mail, t, report.queued)  # silent members, buddies
        self.queue(t, report)
        await self.send(clock, stop, report)
        if stop is None or not stop.is_set():
            await self._read_inbox_until(stop, t, report)
            self.queue_digest(t, report)
            self.tell_login_refused(t)
            await self.send(clock, stop, report)
            report.errors += await asyncio.to_thread(erase_confirmed, self.config, self.store, t, site_publish)
        self.publish_if_changed(t, report)
        return report

    async def inbox_tick(self, stop: asyncio.Event | None = None) -> TickReport:
        """What an IDLE wake does: read the inbox and send the answers it caused; the planner, the digest and
        the site wait for the scheduled tick (the reply's effect is committed as it is read)."""
        report = TickReport(self.clock())
        await self._read_inbox_until(stop, report.now, report)
        if stop is None or not stop.is_set():
            await self.send(self.clock, stop, report)
        return report

    async def _read_inbox_until(self, stop: asyncio.Event | None, now: datetime, report: TickReport) -> None:
        """Read the inbox in a thread; a stop aborts the fetch (its connection is shut down, so a server that
        does not answer cannot hold the shutdown for the IMAP timeout) and waits for the thread."""
        reading = asyncio.create_task(asyncio.to_thread(self.read_inbox, now, report, stop))
        if stop is None:
            await reading
            return
        stopping = asyncio.create_task(stop.wait())
        await asyncio.wait([reading, stopping], return_when=asyncio.FIRST_COMPLETED)
        stopping.cancel()
        abort = getattr(self.inbox, "abort", None)
        if not reading.done() and abort is not None:
            abort()
        await reading

    def publish(self, now: datetime, report: TickReport | None = None) -> bool:
        """Bring the public page up to date; a failure is reported, never fatal to the tick. False when the
        files could not be written (tried again next tick); a refused site (a member's address on it) is not."""
        from mailer.site.publish import PublishError, publish

        try:
            publish(self.config, self.store, now)
        except (PublishError, OSError) as exc:
            if report is not None:
                report.errors.append(f"publish: {exc}")
            return isinstance(exc, PublishError)
        return True

    def publish_if_changed(self, now: datetime, report: TickReport | None = None) -> None:
        """Render and publish only when what the site shows changed since the last publish (site/version.py)."""
        from mailer.site.version import site_version

        try:
            version = site_version(self.config, self.store, now)
        except Exception as exc:  # a template folder changing under us, the database refusing: publish anyway
            version = None
            log.debug("site version unknown: %s", exc)
        if (version is None or version != self._site_version) and self.publish(now, report):
            self._site_version = version

    def next_wakeup(self, now: datetime) -> datetime | None:
        today = now.astimezone(self.config.network.tz).date()
        due = planner.next_due(now, self.config, self.store.planner_state(today - timedelta(days=1)))
        # Mail and retries already due (a tick longer than a retry's wait) mean "soon", not "never": a second
        # on, once the SMTP server's and the database's backoffs allow sending.
        rows = self.store.next_outbox_time()
        gates = [b.next_at for b in (self.sending.smtp, self.sending.database) if b.next_at is not None]
        overdue: Iterable[datetime | None] = (max([rows, *gates]) if rows else None,
                                              *(b.next_at for b in self.sending.backoffs))
        times = [max(c, now + timedelta(seconds=1)) for c in overdue if c is not None]
        times += [due] if due is not None and due > now else []
        return min(times) if times else None

    async def aclose(self) -> None:
        self.sending.close()
        await self.transport.aclose()
        await asyncio.to_thread(self.parse_worker.close)
        if self.inbox is not None and hasattr(self.inbox, "close"):
            self.inbox.close()

    # -- the daemon ----------------------------------------------------------------------------------

    async def run_forever(self, stop: asyncio.Event | None = None, *, signals: bool = True) -> None:
        """Run until SIGTERM/SIGINT (or `stop`), finishing the message in flight before returning. With
        `signals` false the caller handles them (mailer/supervisor.py runs several networks)."""
        from apscheduler.schedulers.asyncio import AsyncIOScheduler

        stop = stop or asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT) if signals else ():
            try:
                loop.add_signal_handler(sig, stop.set)
            except (NotImplementedError, RuntimeError):  # pragma: no cover - non-Unix
                pass
        wake = asyncio.Event()
        scheduler = AsyncIOScheduler(timezone=UTC)
        scheduler.add_job(wake.set, "interval", seconds=max(5, self.config.mail.poll_seconds), id="poll")
        scheduler.start()
        log.info("traffpunkt running for %s (%s)", self.config.network.name, self.config.path)
        self.live_log = True
        warming = asyncio.create_task(asyncio.to_thread(self.parse_worker.warm))  # so no reply waits for it
        self.sending.keep_spare()
        last_failure: str | None = None
        mail_only = False  # woken by IDLE alone: read the inbox, the rest waits for the scheduled tick
        try:
            while not stop.is_set():
                try:
                    if mail_only:
                        report = await self.inbox_tick(stop)
                    else:
                        wake.clear()
                        report = await self.tick(stop=stop)
                    if report.queued or report.sent or report.inbound or report.meetings_changed:
                        log.info("%s", report.summary())
                    for err in report.errors:
                        if err not in report.logged:
                            log.warning("%s", err)
                    last_failure = None
                except Exception as exc:  # the daemon must survive any one bad tick; one line per new error
                    if repr(exc) != last_failure:
                        log.exception("tick failed: %s", exc)
                    last_failure = repr(exc)
                try:
                    nxt = self.next_wakeup(self.clock())
                except Exception as exc:  # the database cannot be read: poll again on the interval
                    nxt = None
                    log.debug("next wake-up unknown: %s", exc)
                if nxt is not None:
                    scheduler.add_job(wake.set, "date", run_date=nxt, id="due", replace_existing=True,
                                      misfire_grace_time=None)  # late on a busy machine is not "missed"
                waiters: list[asyncio.Task[Any]] = [asyncio.create_task(wake.wait()),
                                                    asyncio.create_task(stop.wait())]
                idle: asyncio.Task[bool] | None = None
                if (self.inbox is not None and hasattr(self.inbox, "wait_for_mail") and not self.imap_backoff.down
                        and self.sending.idle.ready(self.clock()) and not stop.is_set()):
                    waiters.append(idle := asyncio.create_task(asyncio.to_thread(self._idle_once, stop)))
                done, pending = await asyncio.wait(waiters, return_when=asyncio.FIRST_COMPLETED)
                mail_only = idle in done and idle is not None and idle.result() and not wake.is_set()
                end = getattr(self.inbox, "abort", None) or getattr(self.inbox, "interrupt", None)
                if stop.is_set() and end is not None:
                    end()  # end a blocking IDLE (or a connect) so the thread returns promptly
                for task in pending:
                    task.cancel()
        finally:
            scheduler.shutdown(wait=False)
            await self.aclose()
            await asyncio.gather(warming, return_exceptions=True)
            log.info("traffpunkt stopped")

    def _idle_once(self, stop: asyncio.Event) -> bool:
        """Block in IMAP IDLE (or a Maildir poll) for up to the poll interval; True when mail arrived."""
        try:
            arrived = bool(self.inbox.wait_for_mail(self.config.mail.poll_seconds))  # type: ignore[union-attr]
        except Exception as exc:  # a dropped IDLE connection: IDLE backs off, the inbox is polled meanwhile
            self.sending.idle.failed(f"{type(exc).__name__}: {exc}", self.clock())
            return False
        self.sending.idle.succeeded(self.clock())
        return arrived


def build_inbox(config: Config, store: Store) -> Any:
    """The inbox the config names: IMAP for the smtp transport, a Maildir otherwise."""
    from mailer.inbound.imap_reader import ImapInbox
    from mailer.inbound.maildir_reader import MaildirInbox

    limit = config.mail.max_message_bytes
    if config.mail.transport == "smtp" and config.mail.imap is not None:
        from mailer.oauth.source import token_source

        return ImapInbox(config.mail.imap, config.mail.imap.password(), store, max_bytes=limit,
                         tokens=token_source(config, config.mail.imap))
    return MaildirInbox(config.mail.inbox_maildir, store, max_bytes=limit)
