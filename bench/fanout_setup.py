"""Fan-out bench setup: N members and one planner-queued invitation each in a SQLite file, cached per
(members, project code) so a matrix of runs builds each size once."""

from __future__ import annotations

import hashlib
import pickle
import resource
import shutil
import subprocess
import time
from dataclasses import replace
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DOMAIN = "bench.example"

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


def bench_config(workdir: Path, port: int, connections: int) -> Any:
    from mailer.config import SmtpSettings, load_config

    config = load_config(ROOT / "config" / "network.example.toml")
    smtp = SmtpSettings(host="127.0.0.1", port=port, tls="none", username=None, password_env=None,
                        timeout_seconds=30.0, max_connections=connections, messages_per_minute=100_000_000)
    return replace(config, database=workdir / "bench.db",
                   mail=replace(config.mail, transport="smtp", smtp=smtp, outbox_maildir=workdir / "unused"))


def _git(*args: str) -> str:
    try:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=30).stdout
    except OSError:
        return ""


def code_version() -> str:
    """The commit, and '+' when mailer/, templates/ or config/ have uncommitted changes."""
    head = _git("rev-parse", "HEAD").strip()[:12] or "unknown"
    return head + ("+" if _git("diff", "HEAD", "--stat", "--", "mailer", "templates", "config").strip() else "")


def setup_key() -> str:
    """What the set-up database depends on: the trees of mailer/, templates/ and config/ and any uncommitted
    change in them (so commits to bench/ or docs/ keep the cache)."""
    trees = _git("rev-parse", "HEAD:mailer", "HEAD:templates", "HEAD:config")
    dirty = _git("diff", "HEAD", "--", "mailer", "templates", "config")
    return hashlib.sha256((trees + dirty).encode()).hexdigest()[:12]


def add_members(store: Any, members: int, now: datetime) -> None:
    """Member 1 through the real `Store.add_member`; members 2..N as copies of its row with their own name,
    address and language, in one statement (1.2 s of CPU at 100,000; one by one about 10 s)."""
    with store.write():
        first, _ = store.add_member(member_address(1), member_name(1), LANGS[1 % 3], now)
        assert first.id == 1, "bench members must get ids 1..N"
        row = next(iter(store.db.query("SELECT * FROM members WHERE id = 1")))
        cols = [c for c in row if c not in ("id", "name", "address", "language")]
        sql = (f"INSERT INTO members (id, name, address, language, {', '.join(cols)}) "
               f"VALUES ({', '.join('?' * (4 + len(cols)))})")
        rest = [row[c] for c in cols]
        store.db.conn.executemany(sql, ([i, member_name(i), member_address(i), LANGS[i % 3], *rest]
                                   for i in range(2, members + 1)))


def setup_main(conn: Connection, workdir: str, members: int) -> None:
    """Create the database, add the members, and queue invitations the way the daemon does (the real
    planner and `Service.queue`)."""
    from mailer.meeting.planner import invitation_due
    from mailer.meeting.schedule import next_occurrence
    from mailer.outbound.transport import MemoryTransport
    from mailer.service import Service
    from mailer.state.store import Store

    config = bench_config(Path(workdir), 25, 1)
    store = Store.open(config.database)
    tz = config.network.tz
    occ = next_occurrence(config.meetings, tz, datetime(2026, 10, 20, tzinfo=tz))
    assert occ is not None
    now = invitation_due(config.meetings, occ.date, tz) + timedelta(minutes=1)
    t = time.perf_counter()
    add_members(store, members, now - timedelta(days=30))
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


def _db_files(db: Path) -> list[Path]:
    return [p for p in (db, db.with_name(db.name + "-wal")) if p.exists()]


def prepare(ctx: Any, workdir: Path, members: int, cache: Path | None) -> dict[str, Any]:
    """The setup (in its own process, so its memory is not the sender's), or a copy of a cached one."""
    db = workdir / "bench.db"
    key = cache / f"members-{members}-{setup_key()}" if cache else None
    if key is not None and (key / "setup.pickle").exists():
        t = time.perf_counter()
        for f in _db_files(key / "bench.db"):
            shutil.copyfile(f, workdir / f.name)
        with open(key / "setup.pickle", "rb") as fh:
            setup: dict[str, Any] = pickle.load(fh)
        return setup | {"cached": str(key), "t_copy": time.perf_counter() - t}
    here, there = ctx.Pipe()
    p = ctx.Process(target=setup_main, args=(there, str(workdir), members))
    p.start()
    setup = here.recv()
    p.join()
    if key is not None and setup["queued"].get("invitation") == members:
        tmp = key.with_name(key.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        for f in _db_files(db):
            shutil.copyfile(f, tmp / f.name)
        with open(tmp / "setup.pickle", "wb") as fh:
            pickle.dump(setup, fh)
        tmp.rename(key)
    return setup | {"cached": None}
