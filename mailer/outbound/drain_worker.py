"""A second drain in a worker process for a large fan-out over several connections: it renders, sends and marks
its own share of the due rows (by member) over connections the daemon's transport lent (outbound/second_drain)."""

# The protocol is in outbound/second_drain. The worker gets ready with a Prepare (outbound/spare: imports, the
# database, the fan-out templates compiled; a spare then waits here), then takes its Job, asks for a range of
# rows one range ahead, drains the due rows of each (render, send, mark: its own transactions, on its own
# connection to the database) and reports when the daemon has no range left or asks it to stop. It is a
# `python -c` child importing this module; it dies with the daemon (PR_SET_PDEATHSIG) and stops at its
# socket's EOF.

from __future__ import annotations

import asyncio
import dataclasses
import json
import os
import pickle
import signal
import threading
import time
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from mailer.children import die_with_parent
from mailer.outbound.compose import Composer
from mailer.outbound.second_drain import RANGE_ROWS, Job
from mailer.outbound.spare import Prepare
from mailer.state.rows import iso
from mailer.state.store import OutboxRow, Store


def _listen(conn: Connection, loop: asyncio.AbstractEventLoop, inbox: asyncio.Queue[dict[str, Any]],
            stop: asyncio.Event) -> None:
    """The worker's listening thread: the daemon's frames into `inbox`; a stop or EOF (the daemon done or
    gone) sets `stop` and ends the rows."""
    try:
        while True:
            message = json.loads(conn.recv_bytes(1 << 16))
            if not isinstance(message, dict) or "stop" in message:
                break
            loop.call_soon_threadsafe(inbox.put_nowait, message)
    except (EOFError, OSError, ValueError):
        pass
    loop.call_soon_threadsafe(stop.set)
    loop.call_soon_threadsafe(inbox.put_nowait, {"end": True})


def _prepare(prepare: Prepare) -> tuple[Store, Composer]:
    """The database opened and the fan-out templates compiled, before any job (a spare does it ahead)."""
    store = Store.open(prepare.database)
    composer = Composer(prepare.config, store, prepare.secret)
    composer.warm()
    return store, composer


async def _drain(conn: Connection, job: Job, store: Store, composer: Composer) -> None:
    from mailer.outbound.factory import make_transport
    from mailer.outbound.marks import Unmarked
    from mailer.outbound.outbox import drain
    from mailer.outbound.smtp import SmtpTransport

    def say(obj: dict[str, Any]) -> None:
        conn.send_bytes(json.dumps(obj, ensure_ascii=False).encode())

    started = time.monotonic()

    def now() -> datetime:
        return job.now + timedelta(seconds=time.monotonic() - started)

    try:
        smtp = job.config.mail.smtp
        assert smtp is not None
        transport = make_transport(job.config, smtp=lambda c: SmtpTransport(
            smtp, smtp.password(), local_hostname=job.local_hostname))
    except Exception as exc:  # noqa: BLE001 - said to the daemon, which sends these rows itself
        say({"failed": f"{type(exc).__name__}: {exc}"[:500]})
        return
    inbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
    stop = asyncio.Event()
    threading.Thread(target=_listen, args=(conn, asyncio.get_running_loop(), inbox, stop), daemon=True).start()
    say({"ready": os.getpid()})

    async def rows() -> AsyncIterator[OutboxRow]:
        say({"more": True})
        while True:
            message = await inbox.get()
            span = message.get("range")
            if not (isinstance(span, list) and len(span) == 2 and all(isinstance(i, int) for i in span)):
                return  # the end, a stop, or the daemon gone
            say({"more": True})  # one range ahead: the next is here before this one is sent
            for row in store.due_outbox(job.now, RANGE_ROWS, after=span[0], upto=span[1]):
                yield row

    unmarked = Unmarked()
    try:
        report = await drain(store, lambda row: composer.render(row, now()), transport, now,
                             config=job.config.mail, stop=stop, concurrency=smtp.max_connections,
                             unmarked=unmarked, warn=lambda text: say({"warn": text}),
                             stop_grace=job.stop_grace, rows=rows())
    finally:
        await transport.aclose()
    if unmarked.rows:  # a last try, as the daemon's Sending.close does
        try:
            unmarked.flush(store)
        except Exception:  # noqa: S110, BLE001 - handed to the daemon, which keeps them until they are written
            pass
    store.close()
    say({"report": {**dataclasses.asdict(report),
                    "unmarked": [[row_id, iso(at)] for row_id, at in sorted(unmarked.rows.items())]}})
    os._exit(0)  # everything is closed and said: no interpreter teardown for the daemon to wait for


def _main(argv: Sequence[str]) -> None:
    """The worker process: argv is (fd of its socket, the daemon's pid)."""
    fd, parent = argv
    conn = Connection(int(fd))
    die_with_parent(int(parent))
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the daemon's; it stops us by a stop or EOF
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    prepare: Prepare = pickle.loads(conn.recv_bytes())  # noqa: S301 - from the daemon that started us
    if not os.path.isfile(prepare.database):  # never a new, empty database of its own: the daemon sends it all
        conn.send_bytes(json.dumps({"failed": f"no database at {prepare.database}"}).encode())
        return
    try:
        store, composer = _prepare(prepare)
    except Exception as exc:  # noqa: BLE001 - said to the daemon, which sends these rows itself
        conn.send_bytes(json.dumps({"failed": f"{type(exc).__name__}: {exc}"[:500]}).encode())
        return
    conn.send_bytes(json.dumps({"warm": os.getpid()}).encode())
    try:
        job: Job = pickle.loads(conn.recv_bytes())  # noqa: S301 - from the daemon that started us
    except (EOFError, OSError):  # the daemon stopped, or replaced this spare
        return
    asyncio.run(_drain(conn, job, store, composer))
