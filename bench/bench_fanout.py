"""Fan-out benchmark (run by hand): personalised invitations to N members through the real planner, outbox,
composer and SMTP transport into a loopback aiosmtpd sink running in its own process.

    /work/venv/bin/python bench/bench_fanout.py --members 10000
    /work/venv/bin/python bench/bench_fanout.py --members 100000

Prints, for one run: the end-to-end rate (render + send + mark sent in SQLite), the rate of sending the same
number of pre-built messages over the same connections, their ratio (target >= 0.5), and the peak RSS of
the sending process (target <= 100 MB). Then the sink parses every invitation it received with the
stdlib (policy.default) and checks the member's name (non-ASCII letters too), CRLF line ends in the
calendar part, and the member's own reply token in Reply-To; any mismatch fails the run (exit 1).
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import os
import resource
import struct
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

DOMAIN = "bench.example"
PREBUILT_SENDER = "prebuilt@bench.invalid"  # the sink counts these but does not keep them

FIRST = ["Åsa", "Päivi", "Jörg", "Anna", "Mikael", "Ülle", "Sören", "Tuulikki", "Zoë", "Øystein", "Lars",
         "Émilie", "Kalle", "Ahti", "Märta", "Jyrki"]
LAST = ["Järvinen-Öberg", "Hämäläinen", "Nyström", "Smith", "Åkerlund", "Kärkkäinen", "O'Brien",
        "Lindqvist", "Väänänen", "Müller", "Ek", "Grönroos", "Heikkilä", "Ångström"]
LANGS = ["sv", "fi", "en"]


def member_name(i: int) -> str:
    """The name of bench member i (deterministic, so the sink can check it); most have non-ASCII letters."""
    return f"{FIRST[i % len(FIRST)]} {LAST[(i // len(FIRST)) % len(LAST)]}"


def member_address(i: int) -> str:
    return f"member{i}@{DOMAIN}"


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


# -- the sink (its own process, so its memory is not counted) ---------------------------------------------

def sink_main(conn: Connection, spool: str) -> None:
    """aiosmtpd on 127.0.0.1:0; counts everything, spools invitations to disk; verifies them on request."""
    from aiosmtpd.controller import Controller

    class Handler:
        def __init__(self) -> None:
            self.count = 0
            self.out = open(spool, "wb")  # noqa: SIM115 - closed at the end of the run

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            self.count += 1
            if envelope.mail_from != PREBUILT_SENDER:
                rcpt = envelope.rcpt_tos[0].encode()
                data = envelope.original_content
                self.out.write(struct.pack("!II", len(rcpt), len(data)) + rcpt + data)
            return "250 OK"

    class PortZero(Controller):  # type: ignore[misc]
        def _create_server(self) -> Any:
            async def bind() -> Any:
                server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=0)
                self.port = server.sockets[0].getsockname()[1]
                return server
            return bind()

    handler = Handler()
    controller = PortZero(handler, hostname="127.0.0.1", server_hostname="sink.bench")
    controller.start()
    conn.send(controller.port)
    while True:
        cmd = conn.recv()
        if cmd == "cpu":
            ru = resource.getrusage(resource.RUSAGE_SELF)
            conn.send(ru.ru_utime + ru.ru_stime)
        elif cmd == "stop":
            break
    controller.stop()
    handler.out.close()
    conn.send((handler.count, rss_mb()))
    secret, meeting_id, list_address = conn.recv()
    conn.send(verify_spool(spool, secret, meeting_id, list_address))


def _records(spool: str, batch: int = 250) -> Any:
    """The spool's (recipient, bytes) records, in batches."""
    out: list[tuple[str, bytes]] = []
    with open(spool, "rb") as f:
        while head := f.read(8):
            n_rcpt, n_data = struct.unpack("!II", head)
            out.append((f.read(n_rcpt).decode(), f.read(n_data)))
            if len(out) == batch:
                yield out
                out = []
    if out:
        yield out


Batch = tuple[list[tuple[str, bytes]], bytes, int, str]


def _verify_batch(args: Batch) -> tuple[int, list[int], int, list[str]]:
    from mailer.outbound import tokens

    records, secret, meeting_id, list_address = args
    parser = BytesParser(policy=policy.default)
    seen, errors, non_ascii = [], [], 0
    for rcpt, data in records:
        i = int(rcpt.split("@")[0].removeprefix("member"))
        problems = check_message(parser.parsebytes(data), i, rcpt, secret, meeting_id, list_address, tokens)
        if problems:
            errors.append(f"{rcpt}: {'; '.join(problems)}")
        seen.append(i)
        non_ascii += not member_name(i).isascii()
    return len(records), seen, non_ascii, errors


def verify_spool(spool: str, secret: bytes, meeting_id: int, list_address: str) -> dict[str, Any]:
    """Parse every spooled invitation with the stdlib (on every CPU) and check what a member would see."""
    checked, errors, non_ascii, seen = 0, [], 0, set()
    cpus = os.cpu_count() or 1
    with mp.get_context("spawn").Pool(cpus) as pool:
        pending: list[Any] = []
        records = _records(spool)
        while True:
            while len(pending) < 2 * cpus and (batch := next(records, None)) is not None:
                pending.append(pool.apply_async(_verify_batch, ((batch, secret, meeting_id, list_address),)))
            if not pending:
                break
            n, batch_seen, batch_non_ascii, batch_errors = pending.pop(0).get()
            checked += n
            seen.update(batch_seen)
            non_ascii += batch_non_ascii
            errors.extend(batch_errors[: max(0, 20 - len(errors))])
    return {"checked": checked, "distinct": len(seen), "non_ascii_names": non_ascii,
            "errors": errors, "failed": bool(errors)}


def check_message(msg: Any, i: int, rcpt: str, secret: bytes, meeting_id: int, list_address: str,
                  tokens: Any) -> list[str]:
    problems = []
    assert isinstance(msg, EmailMessage)
    if msg.defects:
        problems.append(f"defects {msg.defects}")
    to = msg["To"].addresses if msg["To"] else ()
    if len(to) != 1 or to[0].display_name != member_name(i) or to[0].addr_spec != rcpt:
        problems.append(f"To is {msg['To']!r}, expected {member_name(i)!r} <{rcpt}>")
    token = tokens.make(secret, i, meeting_id)
    reply_to = msg["Reply-To"].addresses if msg["Reply-To"] else ()
    local, _, domain = list_address.partition("@")
    if [a.addr_spec for a in reply_to] != [f"{local}+{token}@{domain}"]:
        problems.append(f"Reply-To {msg['Reply-To']!r} lacks the member's token {token}")
    if token not in str(msg["Message-ID"]):
        problems.append("Message-ID lacks the token")
    if msg["X-Traffpunkt-Kind"] != "invitation":
        problems.append(f"X-Traffpunkt-Kind {msg['X-Traffpunkt-Kind']!r}")
    cal = [p for p in msg.walk() if p.get_content_type() == "text/calendar"]
    if len(cal) != 1 or cal[0].get_param("method") != "REQUEST":
        problems.append("no text/calendar; method=REQUEST part")
    else:
        raw = cal[0].get_payload(decode=True)
        if raw.count(b"\n") != raw.count(b"\r\n") or not raw.endswith(b"\r\n"):
            problems.append("calendar part has bare LF line ends")
        unfolded = raw.replace(b"\r\n ", b"").decode()
        attendee = [line for line in unfolded.split("\r\n") if line.startswith("ATTENDEE")]
        if (len(attendee) != 1 or not attendee[0].endswith(f"mailto:{rcpt}")
                or member_name(i) not in attendee[0]):
            problems.append(f"ATTENDEE line {attendee!r}")
    body = msg.get_body(("plain",))
    if body is None or member_name(i).split()[0] not in body.get_content():
        problems.append("the text part does not greet the member by name")
    return problems


# -- setup: members and invitations through the real planner/service path (own process) -----------------

def bench_config(workdir: Path, port: int, connections: int) -> Any:
    from mailer.config import SmtpSettings, load_config

    config = load_config(ROOT / "config" / "network.example.toml")
    smtp = SmtpSettings(host="127.0.0.1", port=port, tls="none", username=None, password_env=None,
                        timeout_seconds=30.0, max_connections=connections, messages_per_minute=100_000_000)
    return replace(config, database=workdir / "bench.db",
                   mail=replace(config.mail, transport="smtp", smtp=smtp, outbox_maildir=workdir / "unused"))


def setup_main(conn: Connection, workdir: str, members: int) -> None:
    """Create the database, add members in one transaction, and queue invitations the way the daemon does."""
    from mailer.meeting.planner import invitation_due
    from mailer.meeting.schedule import next_occurrence
    from mailer.outbound.transport import MemoryTransport
    from mailer.service import Service
    from mailer.state.store import Store

    config = bench_config(Path(workdir), 25, 1)
    store = Store.open(config.database)
    tz = config.network.tz
    from datetime import datetime

    occ = next_occurrence(config.meetings, tz, datetime(2026, 10, 20, tzinfo=tz))
    assert occ is not None
    now = invitation_due(config.meetings, occ.date, tz) + timedelta(minutes=1)
    t = time.perf_counter()
    with store.write():
        for i in range(1, members + 1):
            member, _ = store.add_member(member_address(i), member_name(i), LANGS[i % 3],
                                         now - timedelta(days=30))
            assert member.id == i, "bench members must get ids 1..N"
    t_members = time.perf_counter() - t
    t = time.perf_counter()
    service = Service(config, store, transport=MemoryTransport(), clock=lambda: now)
    report = service.queue(now)
    t_queue = time.perf_counter() - t
    meeting = store.meeting_on(occ.date)
    assert meeting is not None
    secret = store.token_secret(config.network.token_secret_env)
    store.close()
    conn.send({"now": now, "queued": report.queued, "meeting_id": meeting.id, "secret": secret,
               "list_address": config.network.list_address,
               "t_members": t_members, "t_queue": t_queue, "rss_mb": rss_mb()})


# -- the measured part (this process) ---------------------------------------------------------------------

async def send_prebuilt(transport: Any, ring: list[Any], total: int, concurrency: int) -> None:
    async def worker(start: int) -> None:
        for n in range(start, total, concurrency):
            m = ring[n % len(ring)]
            await transport.send(PREBUILT_SENDER, m.recipient, m.data)

    await asyncio.gather(*(worker(k) for k in range(concurrency)))


async def measure(workdir: Path, port: int, setup: dict[str, Any], members: int, connections: int,
                  ring_size: int, sink: Connection, synchronous: str = "full",
                  render_worker: bool = True) -> dict[str, Any]:
    from mailer.outbound.compose import Composer
    from mailer.outbound.outbox import drain
    from mailer.outbound.render_worker import WorkerSpec
    from mailer.outbound.smtp import SmtpTransport
    from mailer.state.store import Store

    config = bench_config(workdir, port, connections)
    store = Store.open(config.database)
    if synchronous != "full":  # a diagnostic only: how much of the end-to-end time is the per-message fsync
        store.db.execute(f"PRAGMA synchronous={synchronous.upper()}")
    now = setup["now"]
    composer = Composer(config, store, setup["secret"], clock=lambda: now)
    assert config.mail.smtp is not None
    transport = SmtpTransport(config.mail.smtp, None, local_hostname="bench.client")
    rss_before = rss_mb()

    def sink_cpu() -> float:
        sink.send("cpu")
        return float(sink.recv())

    cpu = {"sink0": sink_cpu(), "self0": time.process_time()}
    t = time.perf_counter()
    spec = (WorkerSpec(config, setup["secret"], config.database, config.mail.render_worker_rows)
            if render_worker else None)  # as the daemon: a drain of 200+ renders in a worker process
    report = await drain(store, composer.render, transport, lambda: now, config=config.mail,
                         concurrency=connections, render_worker=spec)
    e2e_seconds = time.perf_counter() - t
    cpu |= {"sink1": sink_cpu(), "self1": time.process_time()}
    rss_after_drain = rss_mb()

    ring = [composer.render(row) for row in store.outbox_rows(status="sent", limit=ring_size)]
    t = time.perf_counter()
    await send_prebuilt(transport, ring, report.sent, connections)
    prebuilt_seconds = time.perf_counter() - t
    cpu |= {"sink2": sink_cpu(), "self2": time.process_time() - 0}
    await transport.aclose()
    counts = store.outbox_counts()
    store.close()
    return {"report": report, "e2e_seconds": e2e_seconds, "prebuilt_seconds": prebuilt_seconds,
            "rss_before": rss_before, "rss_after_drain": rss_after_drain, "rss_peak": rss_mb(),
            "counts": counts, "cpu": cpu, "worker_rendered": spec.rendered if spec else 0,
            "connections_opened": transport.connections_opened,
            "mean_size": sum(len(m.data) for m in ring) / max(1, len(ring))}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--connections", type=int, default=2, help="SMTP connections = parallel senders (2)")
    ap.add_argument("--ring", type=int, default=200, help="distinct pre-built messages to cycle through")
    ap.add_argument("--synchronous", choices=["full", "normal"], default="full",
                    help="SQLite synchronous for the drain (default full, as the daemon; normal is a diagnostic "
                         "that shows what the per-message fsync costs)")
    ap.add_argument("--render-worker", choices=["on", "off"], default="on",
                    help="render a large drain in a worker process, as the daemon does (on), or all in the "
                         "sending process (off)")
    ap.add_argument("--workdir", type=Path, help="keep the database and spool here (default: a temp dir)")
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    tmp = tempfile.TemporaryDirectory(prefix="traffpunkt-bench-") if args.workdir is None else None
    workdir = Path(tmp.name) if tmp else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        print(f"fan-out of {args.members:,} invitations; {args.connections} connections; "
          f"SQLite synchronous={args.synchronous.upper()}; workdir {workdir}; python {sys.version.split()[0]}; "
              f"{os.cpu_count()} CPUs", flush=True)
        here, there = ctx.Pipe()
        p = ctx.Process(target=setup_main, args=(there, str(workdir), args.members))
        p.start()
        setup = here.recv()
        p.join()
        print(f"setup: {args.members:,} members in one transaction {setup['t_members']:.1f} s; planner + "
              f"queue {setup['queued']} {setup['t_queue']:.1f} s; "
              f"setup process peak RSS {setup['rss_mb']:.0f} MB",
              flush=True)
        if setup["queued"].get("invitation") != args.members:
            print("FAIL: not one invitation per member queued", file=sys.stderr)
            return 1

        sink_conn, sink_end = ctx.Pipe()
        sink = ctx.Process(target=sink_main, args=(sink_end, str(workdir / "sink.spool")))
        sink.start()
        port = sink_conn.recv()
        result = asyncio.run(measure(workdir, port, setup, args.members, args.connections, args.ring,
                                     sink_conn, args.synchronous, args.render_worker == "on"))
        sink_conn.send("stop")
        sink_count, sink_rss = sink_conn.recv()
        sink_conn.send((setup["secret"], setup["meeting_id"], setup["list_address"]))
        t = time.perf_counter()
        verified = sink_conn.recv()
        t_verify = time.perf_counter() - t
        sink.join()
    finally:
        if tmp:
            tmp.cleanup()

    r = result["report"]
    e2e_rate = r.sent / result["e2e_seconds"]
    pre_rate = r.sent / result["prebuilt_seconds"]
    print(f"end-to-end (render + send + mark sent): {r.sent:,} in {result['e2e_seconds']:.2f} s = "
          f"{e2e_rate:,.0f} msg/s  (retried {r.retried}, failed {r.failed})")
    print(f"pre-built, same transport/connections:  {r.sent:,} in {result['prebuilt_seconds']:.2f} s = "
          f"{pre_rate:,.0f} msg/s")
    c = result["cpu"]
    print(f"CPU seconds, sender / sink: end-to-end {c['self1'] - c['self0']:.2f} / "
          f"{c['sink1'] - c['sink0']:.2f}; "
          f"pre-built {c['self2'] - c['self1']:.2f} / {c['sink2'] - c['sink1']:.2f}")
    print(f"ratio end-to-end / pre-built: {e2e_rate / pre_rate:.2f}  (target >= 0.5)")
    print(f"peak RSS of the sending process: {result['rss_peak']:.0f} MB (after imports and opening "
          f"{result['rss_before']:.0f} MB, after the drain {result['rss_after_drain']:.0f} MB; "
          "target <= 100 MB)")
    print(f"rendered in the worker process: {result['worker_rendered']:,} of {r.sent:,}")
    print(f"connections opened: {result['connections_opened']}; mean message size "
          f"{result['mean_size']:,.0f} bytes; outbox {result['counts']}")
    print(f"sink: {sink_count:,} messages received (peak RSS {sink_rss:.0f} MB, not counted above); verified "
          f"{verified['checked']:,} invitations to {verified['distinct']:,} distinct members "
          f"({verified['non_ascii_names']:,} with non-ASCII names) in {t_verify:.1f} s")
    ok = (not verified["failed"] and verified["checked"] == args.members == verified["distinct"]
          and sink_count == 2 * args.members and r.sent == args.members)
    for e in verified["errors"]:
        print(f"  MISMATCH {e}", file=sys.stderr)
    print("checks: " + ("OK" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
