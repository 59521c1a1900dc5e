"""Reply latency benchmark (run by hand): how long after a member's reply lands in the IMAP folder its effect
is committed in SQLite, with the real daemon (`traffpunkt run`) against a real Dovecot on loopback.

    .venv/bin/python bench/bench_reply_latency.py --members 10000
    .venv/bin/python bench/bench_reply_latency.py --members 10000 --noop-seconds 0   # IDLE only, as before

Starts a throwaway Dovecot (tests/dovecot.py; needs `dovecot-imapd`) and an aiosmtpd sink, writes a network
of N members (tests/acceptance/harness.py), queues the invitations as the daemon does and marks them sent (so
the set-up does not send N mails), builds --replies replies to real rendered invitations, starts the daemon
and waits until it sits waiting for mail (a NOOP poll every 0.1 s on a Dovecot on loopback, unless
--noop-seconds says otherwise; 0 is IDLE). Then it APPENDs the replies one by one, --interval seconds apart
(the first one is a warm-up and not counted, but reported: before the daemon started its parse worker at
start, it waited for that), and for each measures the time from
the end of the APPEND to the moment the reply is committed in SQLite (its `inbound` row finished and the
member's answer stored), polled every 2 ms on a read-only connection. Side by side, in the same run, the
server's own share: how long a plain client waits for the EXISTS of an APPEND, in IDLE (Dovecot notifies
500 ms after a change, NOTIFY_DELAY_MSECS in its mailbox-watch.c, so that is the floor of any IDLE reader
on it) and sending NOOP at the daemon's interval; the daemon's share is its figure less the floor of the way
it waits; and before the replies, the CPU the daemon and Dovecot spend a second while no mail comes. Target:
p95 <= 0.3 s at 10,000 members. The last line is one JSON object.
"""

from __future__ import annotations

import argparse
import imaplib
import json
import os
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests"), str(ROOT / "tests" / "acceptance")]

from dovecot import DovecotServer  # noqa: E402
from harness import free_port, network, sink_on  # noqa: E402
from smtp_server import SinkHandler  # noqa: E402

from mailer.cli.demo import ScriptedReply, build_reply  # noqa: E402
from mailer.config import load_config  # noqa: E402
from mailer.inbound.imap_wait import noop_interval  # noqa: E402
from mailer.outbound.compose import Composer  # noqa: E402
from mailer.outbound.transport import MemoryTransport  # noqa: E402
from mailer.service import Service  # noqa: E402
from mailer.state.store import Store  # noqa: E402

FOLDER = "Svar"
PASSWORD_ENV = "TP_BENCH_IMAP_PASSWORD"
TEXTS = (("Ja, jag kommer gärna!", "yes"), ("Nej, tyvärr kan jag inte komma den här gången.", "no"))


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered) + 0.5) - 1))]


def prepare(workdir: Path, smtp_port: int, imap_port: int, user: str, members: int, replies: int,
            noop: float | None) -> tuple[Path, Path, list[tuple[int, bytes]]]:
    """The network's config and database, invitations queued and marked sent, and the replies to send."""
    lines = f'username = "{user}"\npassword_env = "{PASSWORD_ENV}"\nfolder = "{FOLDER}"\nidle = true\n'
    lines += f"noop_seconds = {noop}\n" if noop is not None else ""
    net = network(workdir, smtp_port, members=members, imap_port=imap_port, imap=lines, imap_timeout=10)
    config = load_config(net.config)
    store = Store.open(net.db)
    now = datetime.now(UTC)
    service = Service(config, store, transport=MemoryTransport(), clock=lambda: now)
    service.queue(now)
    composer = Composer(config, store, service.secret, clock=lambda: now)
    picked = [r for r in store.outbox_rows(status="queued", limit=members) if r.kind == "invitation"]
    step = max(1, len(picked) // (replies + 1))
    out: list[tuple[int, bytes]] = []
    for n, row in enumerate(picked[::step][:replies + 1]):  # spread over the member ids
        invitation = message_from_bytes(composer.render(row).data, policy=policy.default)
        assert isinstance(invitation, EmailMessage) and row.member_id is not None
        text, _ = TEXTS[n % len(TEXTS)]
        out.append((row.member_id, build_reply(ScriptedReply(row.recipient, 1, text), invitation, config,
                                               now + timedelta(minutes=1))))
    with store.write():
        store.db.execute("UPDATE outbox SET status = 'sent', sent_at = ? WHERE status = 'queued'",
                         [now.isoformat()])
    store.close()
    return net.config, net.db, out


def server_floor(account: object, client: imaplib.IMAP4, raws: list[bytes]) -> list[float]:
    """The server's own share, measured the same way: APPEND to a folder of its own, the time until a plain
    imaplib client sitting in IDLE on it is told EXISTS (Dovecot waits 500 ms before it notifies)."""
    assert client.create("Floor")[0] == "OK"
    idler = account.imap()  # type: ignore[attr-defined]
    idler.select("Floor")
    out = []
    for n, raw in enumerate(raws):
        idler.send(f"i{n} IDLE\r\n".encode())
        assert idler.readline().startswith(b"+")
        assert client.append("Floor", None, None, raw)[0] == "OK"
        appended = time.perf_counter()
        while b"EXISTS" not in idler.readline():
            pass
        out.append(time.perf_counter() - appended)
        idler.send(b"DONE\r\n")
        while not idler.readline().startswith(f"i{n} ".encode()):
            pass
        time.sleep(0.2)
    idler.logout()
    return out


def noop_floor(account: object, client: imaplib.IMAP4, raws: list[bytes], every: float) -> list[float]:
    """The same with a plain client sending NOOP every `every` s in a thread of its own (so an APPEND lands
    anywhere between two NOOPs, as for the daemon): the time until a NOOP's answer has the new EXISTS."""
    assert client.create("Floor2")[0] == "OK"
    poller = account.imap()  # type: ignore[attr-defined]
    poller.select("Floor2", readonly=True)
    poller.untagged_responses.clear()
    seen: list[float] = []
    done = threading.Event()

    def run() -> None:
        while not done.wait(every):
            poller.noop()
            if poller.untagged_responses.pop("EXISTS", None):
                seen.append(time.perf_counter())
            poller.untagged_responses.clear()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    out = []
    for n, raw in enumerate(raws):
        assert client.append("Floor2", None, None, raw)[0] == "OK"
        appended = time.perf_counter()
        while len(seen) <= n:
            time.sleep(0.001)
        out.append(seen[n] - appended)
        time.sleep(0.2 + 0.037 * n)  # not in step with the poll
    done.set()
    thread.join(5)
    poller.logout()
    return out


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU of these processes so far (/proc; a process gone counts 0)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def imap_processes() -> list[int]:
    """Dovecot's imap processes (one per session; the daemon's two and the benchmark's own)."""
    pids = []
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            if cmdline.read_bytes().startswith(b"dovecot/imap\0"):
                pids.append(int(cmdline.parent.name))
        except OSError:
            continue
    return pids


def committed(db: sqlite3.Connection, member_id: int, before: int) -> bool:
    finished = db.execute("SELECT count(*) FROM inbound WHERE status != 'handling'").fetchone()[0]
    answered = db.execute("SELECT 1 FROM rsvps WHERE member_id = ?", [member_id]).fetchone()
    return bool(finished > before and answered)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--replies", type=int, default=30, help="replies measured, after one warm-up (30)")
    ap.add_argument("--interval", type=float, default=1.0, help="seconds between APPENDs (1.0)")
    ap.add_argument("--quiet-seconds", type=float, default=10.0,
                    help="seconds of no mail in which the CPU of waiting is measured (10)")
    ap.add_argument("--noop-seconds", type=float, default=None,
                    help="[mail.imap] noop_seconds for the daemon (default: unset, 0.1 s on loopback; 0: IDLE)")
    args = ap.parse_args()
    dovecot = DovecotServer()
    dovecot.start()
    daemon = None
    try:
        account = dovecot.account()
        os.environ[PASSWORD_ENV] = account.password
        client = account.imap()
        assert client.create(FOLDER)[0] == "OK"
        handler = SinkHandler()
        port = free_port()
        with tempfile.TemporaryDirectory(prefix="bench-reply-") as tmp, sink_on(port, handler):
            t = time.perf_counter()
            config, db_path, replies = prepare(Path(tmp), port, account.port, account.user, args.members,
                                               args.replies, args.noop_seconds)
            setup_s = time.perf_counter() - t
            imap_settings = load_config(config).mail.imap
            assert imap_settings is not None
            every = noop_interval(imap_settings, client.welcome)
            floor_raws = [raw for _, raw in replies[:min(10, len(replies))]]
            floor = server_floor(account, client, floor_raws)
            polled = noop_floor(account, client, floor_raws, every) if every > 0 else floor

            err = open(Path(tmp) / "daemon.err", "w")  # noqa: SIM115 - closed below
            daemon = subprocess.Popen([sys.executable, "-m", "mailer.cli", "run", "--config", str(config)],
                                      cwd=ROOT, stdout=subprocess.DEVNULL, stderr=err)
            logins = f"Login: user=<{account.user}>"
            base = dovecot.log.read_text(errors="replace").count(logins) + 2  # + the daemon's fetch and IDLE
            deadline = time.monotonic() + 120
            while dovecot.log.read_text(errors="replace").count(logins) < base:
                assert daemon.poll() is None and time.monotonic() < deadline, "the daemon did not reach IDLE"
                time.sleep(0.05)
            time.sleep(1.0)
            # what waiting costs while nothing arrives: the daemon's CPU and Dovecot's, per second
            sessions = imap_processes()
            c0, d0, t0 = cpu_seconds([daemon.pid]), cpu_seconds(sessions), time.perf_counter()
            time.sleep(args.quiet_seconds)
            quiet = time.perf_counter() - t0
            waiting_cpu = ((cpu_seconds([daemon.pid]) - c0) / quiet, (cpu_seconds(sessions) - d0) / quiet)
            db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
            latencies: list[float] = []
            from_start: list[float] = []  # from the start of the APPEND: a poll can see the mail before its OK
            first = 0.0
            for n, (member_id, raw) in enumerate(replies):
                before = db.execute("SELECT count(*) FROM inbound WHERE status != 'handling'").fetchone()[0]
                sent = time.perf_counter()
                assert client.append(FOLDER, None, None, raw)[0] == "OK"
                appended = time.perf_counter()
                limit = appended + 60
                while not committed(db, member_id, before):
                    assert time.perf_counter() < limit, f"reply {n} not committed within 60 s"
                    time.sleep(0.002)
                took = time.perf_counter() - appended
                if n:
                    latencies.append(took)
                    from_start.append(time.perf_counter() - sent)
                else:
                    first = time.perf_counter() - sent
                time.sleep(max(0.0, args.interval - took))
            db.close()
            daemon.terminate()
            daemon.wait(30)
            err.close()
            log = (Path(tmp) / "daemon.err").read_text(errors="replace")
            new_logins = dovecot.log.read_text(errors="replace").count(logins) - base
        client.logout()
    finally:
        if daemon is not None and daemon.poll() is None:
            daemon.kill()
        dovecot.stop()
    p50, p95 = statistics.median(latencies), percentile(latencies, 95)
    f50, n50 = statistics.median(floor), statistics.median(polled)
    way = f"a NOOP every {every:g} s" if every > 0 else "IDLE"
    print(f"{args.members} members, {len(latencies)} replies {args.interval:g} s apart (set-up {setup_s:.0f} s), "
          f"the daemon waiting by {way}: APPEND -> committed in SQLite p50 {p50 * 1000:.0f} ms, p95 "
          f"{p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms (from the APPEND's start: p50 "
          f"{statistics.median(from_start) * 1000:.0f} ms, p95 {percentile(from_start, 95) * 1000:.0f} ms); "
          f"the first reply {first * 1000:.0f} ms from its APPEND's start; {new_logins} IMAP logins after start")
    print(f"the server alone (APPEND -> EXISTS to a plain client, {len(floor)} times): in IDLE p50 "
          f"{f50 * 1000:.0f} ms, max {max(floor) * 1000:.0f} ms; by {way} p50 {n50 * 1000:.0f} ms, "
          f"max {max(polled) * 1000:.0f} ms; the daemon's own share: p50 {(p50 - n50) * 1000:.0f} ms, "
          f"p95 {(p95 - n50) * 1000:.0f} ms")
    print(f"waiting with no mail for {args.quiet_seconds:g} s: the daemon {waiting_cpu[0] * 1000:.2f} ms CPU a "
          f"second, Dovecot's imap processes {waiting_cpu[1] * 1000:.2f} ms CPU a second")
    if "Traceback" in log:
        print(log[-3000:], file=sys.stderr)
    print(json.dumps({"members": args.members, "replies": len(latencies), "interval_s": args.interval,
                      "noop_seconds": every, "p50_s": round(p50, 4), "p95_s": round(p95, 4),
                      "max_s": round(max(latencies), 4), "first_s": round(first, 4),
                      "from_start_p50_s": round(statistics.median(from_start), 4),
                      "from_start_p95_s": round(percentile(from_start, 95), 4),
                      "server_idle_p50_s": round(f50, 4), "server_noop_p50_s": round(n50, 4),
                      "daemon_p50_s": round(p50 - n50, 4), "daemon_p95_s": round(p95 - n50, 4),
                      "waiting_daemon_cpu_ms_s": round(waiting_cpu[0] * 1000, 2),
                      "waiting_dovecot_cpu_ms_s": round(waiting_cpu[1] * 1000, 2),
                      "new_logins": new_logins, "p95_ok": p95 <= 0.3}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
