"""The real daemon reading members' replies from Dovecot through what real servers and hosts do: connections
cut mid-command, kill -9 at random points, a UIDVALIDITY reset, a malformed mail among good ones, a server
that stops answering while SIGTERM comes."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dovecot import Account
from harness import free_port, sink_on, wait_for
from imap_proxy import imap_proxy
from replies import (
    FOLDER,
    assert_each_applied_once,
    confirmations,
    deliver,
    effects,
    imap_count,
    inbound_network,
    invite_and_write_replies,
    processed,
)
from smtp_server import SinkHandler

pytestmark = [pytest.mark.slow, pytest.mark.imap]


def test_imap_connections_cut_while_replies_are_processed_apply_each_reply_exactly_once(
        tmp_path: Path, imap_account: Account, monkeypatch: pytest.MonkeyPatch,
        figure: Callable[[str], None]) -> None:
    members, cuts_at = 60, (6, 22, 41)
    port = free_port()
    handler = SinkHandler()
    with sink_on(port, handler), imap_proxy((imap_account.host, imap_account.port)) as proxy:
        net = inbound_network(tmp_path, port, imap_account, proxy.port, members, monkeypatch)
        replies = invite_and_write_replies(net, handler)
        daemon = net.run()
        started = time.monotonic()
        wait_for(lambda: proxy.open() >= 1, timeout=30)  # the daemon waits in IDLE: cut that first
        time.sleep(0.5)
        cut = proxy.reset()
        deliver(imap_account, replies.raws)
        for point in cuts_at:
            wait_for(lambda p=point: processed(net) >= p, timeout=60, every=0.01)  # type: ignore[misc]
            cut += proxy.reset()
        wait_for(lambda: processed(net) == members and sum(confirmations(handler).values()) >= members,
                 timeout=90, every=0.1)
        took = time.monotonic() - started
        time.sleep(0.5)  # nothing more is coming
        daemon.stop()
    got = assert_each_applied_once(net, replies)
    copies = confirmations(handler)
    assert len(copies) == members and max(copies.values()) == 1, "a confirmation went out twice"
    assert not got.quarantined
    assert imap_count(imap_account, FOLDER) == 0
    assert imap_count(imap_account, "traffpunkt.processed") == members
    assert "Traceback" not in daemon.log()
    figure(f"{members} replies; every IMAP connection cut once while in IDLE and at {list(cuts_at)} "
           f"processed ({cut} connections cut, {proxy.connections} made): each reply applied once, "
           f"{members} confirmations, 0 sent twice, {took:.0f} s")


def test_kill_9_at_random_points_while_replies_are_processed_applies_each_once_and_loses_none(
        tmp_path: Path, imap_account: Account, monkeypatch: pytest.MonkeyPatch,
        figure: Callable[[str], None]) -> None:
    members, kills = 80, 5
    port = free_port()
    rng = random.Random(int(os.environ.get("TRAFFPUNKT_KILL_SEED", "9")))
    # progress = replies finished + confirmations the server received: kills land while reading and sending
    points = sorted(rng.sample(range(3, 2 * members - 3), kills))
    handler = SinkHandler()

    def progress() -> int:
        return processed(net) + sum(confirmations(handler).values())

    with sink_on(port, handler):
        net = inbound_network(tmp_path, port, imap_account, imap_account.port, members, monkeypatch)
        replies = invite_and_write_replies(net, handler)
        deliver(imap_account, replies.raws)
        started = time.monotonic()
        killed_at: list[int] = []
        for n, point in enumerate(points):
            daemon = net.run(log=f"daemon{n}")
            # at least one step after the last kill: the message in flight then is finished before the next
            target = max(point, killed_at[-1] + 2 if killed_at else 0)
            wait_for(lambda t=target: progress() >= t, timeout=60, every=0.005)  # type: ignore[misc]
            daemon.kill9()
            killed_at.append(progress())
        last = net.run(log="last")
        wait_for(lambda: processed(net) == members and len(confirmations(handler)) == members, timeout=90,
                 every=0.1)
        took = time.monotonic() - started
        time.sleep(0.5)
        assert last.stop() < 10 and last.proc.returncode == 0
    got = assert_each_applied_once(net, replies)
    copies = confirmations(handler)
    duplicates = sum(n - 1 for n in copies.values())
    assert not got.quarantined, got.quarantined
    assert len(copies) == members and max(copies.values()) <= 2
    assert duplicates <= kills, f"{duplicates} second confirmations after {kills} kills"
    assert imap_count(imap_account, FOLDER) == 0
    assert imap_count(imap_account, "traffpunkt.processed") == members
    figure(f"{members} replies, kill -9 at progress {killed_at} (replies finished + confirmations sent, of "
           f"{2 * members}): each reply applied once, 0 lost, 0 quarantined; {duplicates} second "
           f"confirmations (<= {kills} kills, same Message-ID); {took:.0f} s")
