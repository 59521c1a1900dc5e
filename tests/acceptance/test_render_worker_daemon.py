"""The real daemon uses a worker process for a large fan-out: over one connection it renders there (a killed
worker costs nothing), over two it sends half from there (a killed worker costs at most its message in flight
and a group of marks); each member gets one message, and a killed daemon leaves no worker behind."""

from __future__ import annotations

import os
import signal
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import free_port, network, received, sink_on, wait_for
from smtp_server import SinkHandler

from mailer.outbound.marks import GROUP

pytestmark = pytest.mark.slow

WORKER = "mailer.outbound.render_worker"
SENDER = "mailer.outbound.drain_worker"


def render_workers(daemon_pid: int, module: str = WORKER) -> list[int]:
    """The daemon's children that are render workers (or drain workers: `module`)."""
    pids: list[int] = []
    for children in Path(f"/proc/{daemon_pid}/task").glob("*/children"):
        try:
            pids += [int(p) for p in children.read_text().split()]
        except OSError:
            continue
    return [p for p in pids if module in cmdline(p)]


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def running(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def members_copies(handler: SinkHandler) -> dict[str, int]:
    copies: dict[str, int] = {}
    for d in handler.delivered:
        if d.recipient.startswith("medlem"):
            copies[d.recipient] = copies.get(d.recipient, 0) + 1
    return copies


@pytest.mark.parametrize(("connections", "module", "logged"), [
    (1, WORKER, "in worker process {worker}"),  # rendered there, sent by the daemon
    (2, SENDER, "from two processes (worker {worker})"),  # half of it sent from there
])
def test_a_1000_member_fan_out_uses_a_worker_process_and_each_member_gets_one_message(
        tmp_path: Path, figure: Callable[[str], None], connections: int, module: str, logged: str) -> None:
    members = 1000
    port = free_port()
    net = network(tmp_path, port, members=members, connections=connections)
    handler = SinkHandler()
    with sink_on(port, handler):
        daemon = net.run()
        wait_for(lambda: bool(render_workers(daemon.pid, module)), timeout=60, every=0.01)
        worker = render_workers(daemon.pid, module)[0]
        wait_for(lambda: net.outbox().get("sent", 0) == members, timeout=120, every=0.2)
        wait_for(lambda: not running(worker), timeout=5)  # it ends with its drain
        assert daemon.stop() < 10 and daemon.proc.returncode == 0
    assert logged.format(worker=worker) in daemon.log()
    assert members_copies(handler) == {f"medlem{i}@example.org": 1 for i in range(members)}
    assert handler.most_open <= connections, "the processes together keep max_connections"
    assert "Traceback" not in daemon.log()
    figure(f"{members} members over {connections} connection(s): worker {worker} ({module.rsplit('.', 1)[1]}), "
           f"each member got 1 message, at most {handler.most_open} connections open at once, the worker ended "
           f"with the drain")


def test_kill_9_of_the_render_worker_mid_fan_out_still_gives_every_member_exactly_one_message(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    members = 1000
    port = free_port()
    net = network(tmp_path, port, members=members, connections=1)
    handler = SinkHandler()
    with sink_on(port, handler):
        daemon = net.run()
        wait_for(lambda: bool(render_workers(daemon.pid)) and len(handler.delivered) >= 400, timeout=120,
                 every=0.005)
        worker = render_workers(daemon.pid)[0]
        os.kill(worker, signal.SIGKILL)
        at = len(handler.delivered)
        wait_for(lambda: net.outbox().get("sent", 0) == members, timeout=120, every=0.2)
        assert daemon.stop() < 10 and daemon.proc.returncode == 0
    copies = members_copies(handler)
    assert copies == {f"medlem{i}@example.org": 1 for i in range(members)}
    assert "the daemon renders the rest" in daemon.log()
    figure(f"{members} members, render worker killed -9 after {at} delivered: 0 missed, 0 duplicates")


def test_kill_9_of_the_daemon_mid_fan_out_leaves_no_render_worker_and_repeats_at_most_a_group_per_kill(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    members, kills = 1500, 3
    port = free_port()
    net = network(tmp_path, port, members=members)  # one connection: one message in flight
    handler = SinkHandler()
    orphans = 0
    started = time.monotonic()
    with sink_on(port, handler):
        for n in range(kills):
            target = 300 * (n + 1) + 100
            daemon = net.run(log=f"daemon{n}")
            wait_for(lambda t=target, d=daemon: bool(render_workers(d.pid)) and len(handler.delivered) >= t,  # type: ignore[misc]
                     timeout=120, every=0.005)
            workers = render_workers(daemon.pid)
            daemon.kill9()
            deadline = time.monotonic() + 5
            while any(running(w) for w in workers) and time.monotonic() < deadline:
                time.sleep(0.02)
            orphans += sum(1 for w in workers if running(w))
        last = net.run(log="last")
        wait_for(lambda: net.outbox().get("sent", 0) == members, timeout=180, every=0.2)
        assert last.stop() < 10 and last.proc.returncode == 0
    took = time.monotonic() - started
    copies = received(handler)
    sent_to = {d.recipient for d in handler.delivered if d.recipient.startswith("medlem")}
    duplicates = sum(n - 1 for n in copies.values())
    assert orphans == 0, "a render worker outlived its daemon"
    assert len(sent_to) == members
    bound = kills * (1 + GROUP)  # per kill: the message in flight and the marks not yet committed
    assert duplicates <= bound, f"{duplicates} duplicates after {kills} kills"
    assert max(copies.values()) <= 2
    figure(f"{kills} kills -9 of the daemon while its render worker ran, {members} members: 0 orphan workers, "
           f"0 missed, {duplicates} duplicates (<= {bound}, each the same Message-ID), {took:.0f} s")


def test_kill_9_of_the_sending_worker_mid_fan_out_misses_nobody_and_repeats_at_most_a_group(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    members = 1000
    port = free_port()
    net = network(tmp_path, port, members=members, connections=2)
    handler = SinkHandler()
    with sink_on(port, handler):
        daemon = net.run()
        wait_for(lambda: bool(render_workers(daemon.pid, SENDER)) and len(handler.delivered) >= 400,
                 timeout=120, every=0.005)
        os.kill(render_workers(daemon.pid, SENDER)[0], signal.SIGKILL)
        at = len(handler.delivered)
        wait_for(lambda: net.outbox().get("sent", 0) == members, timeout=120, every=0.2)
        assert daemon.stop() < 10 and daemon.proc.returncode == 0
    copies = members_copies(handler)
    duplicates = sum(n - 1 for n in copies.values())
    assert set(copies) == {f"medlem{i}@example.org" for i in range(members)}
    assert duplicates <= 1 + GROUP, f"{duplicates} duplicates"
    assert "the second sender stopped" in daemon.log()
    figure(f"{members} members over 2 connections, the sending worker killed -9 after {at} delivered: 0 missed, "
           f"{duplicates} duplicates (<= {1 + GROUP}: its message in flight and a group of marks)")


def test_kill_9_of_the_daemon_sending_from_two_processes_leaves_no_worker_and_repeats_at_most_two_groups(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    members, kills = 1500, 2
    port = free_port()
    net = network(tmp_path, port, members=members, connections=2)
    handler = SinkHandler()
    orphans = 0
    with sink_on(port, handler):
        for n in range(kills):
            target = 400 * (n + 1) + 100
            daemon = net.run(log=f"daemon{n}")
            wait_for(lambda t=target, d=daemon: bool(render_workers(d.pid, SENDER)) and len(handler.delivered) >= t,  # type: ignore[misc]
                     timeout=120, every=0.005)
            workers = render_workers(daemon.pid, SENDER)
            daemon.kill9()
            deadline = time.monotonic() + 5
            while any(running(w) for w in workers) and time.monotonic() < deadline:
                time.sleep(0.02)
            orphans += sum(1 for w in workers if running(w))
        last = net.run(log="last")
        wait_for(lambda: net.outbox().get("sent", 0) == members, timeout=180, every=0.2)
        assert last.stop() < 10 and last.proc.returncode == 0
    copies = received(handler)
    duplicates = sum(n - 1 for n in copies.values())
    assert orphans == 0, "a sending worker outlived its daemon"
    assert {d.recipient for d in handler.delivered if d.recipient.startswith("medlem")} == {
        f"medlem{i}@example.org" for i in range(members)}
    bound = kills * 2 * (1 + GROUP)  # per kill, each process: its message in flight and its marks not committed
    assert duplicates <= bound, f"{duplicates} duplicates after {kills} kills"
    figure(f"{kills} kills -9 of the daemon sending from two processes, {members} members: 0 orphan workers, "
           f"0 missed, {duplicates} duplicates (<= {bound}, each the same Message-ID)")
