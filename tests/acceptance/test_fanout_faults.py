"""A 1,000-member fan-out from the real daemon through what real servers do: kill -9 at random points,
4xx and dropped connections after DATA, 5xx at RCPT and after DATA."""

from __future__ import annotations

import os
import random
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import COORDINATOR, free_port, message_id, network, received, sink_on, wait_for
from smtp_server import DROP, Delivery, Reply, SinkHandler

from mailer.outbound.marks import GROUP

pytestmark = pytest.mark.slow


def test_kill_9_at_random_points_of_a_1000_member_fan_out_misses_no_one_and_repeats_at_most_a_group(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    members, kills = 1000, 5
    port = free_port()
    net = network(tmp_path, port, members=members)
    rng = random.Random(int(os.environ.get("TRAFFPUNKT_KILL_SEED", "9")))  # other seeds: other points
    points = sorted(rng.sample(range(30, members - 50), kills))  # kill when the sink has this many
    handler = SinkHandler()
    started = time.monotonic()
    with sink_on(port, handler):
        for n, point in enumerate(points):
            daemon = net.run(log=f"daemon{n}")
            wait_for(lambda p=point: len(handler.delivered) >= p, timeout=120, every=0.005)  # type: ignore[misc]
            daemon.kill9()
            assert daemon.proc.returncode == -9
        last = net.run(log="last")
        wait_for(lambda: net.outbox().get("sent", 0) == members, timeout=120, every=0.2)
        assert last.stop() < 10 and last.proc.returncode == 0
    took = time.monotonic() - started
    copies = received(handler)
    sent_to = {d.recipient for d in handler.delivered}
    missed = members - len({r for r in sent_to if r.startswith("medlem")})
    duplicates = sum(n - 1 for n in copies.values())
    assert missed == 0
    bound = kills * (1 + GROUP)  # per kill: the message in flight and the marks not yet committed
    assert duplicates <= bound, f"{duplicates} duplicates after {kills} kills"
    assert max(copies.values()) <= 2
    assert one_message_id_each(handler), "a member got two different invitations"
    figure(f"{kills} kills at {points} of {members}: {missed} missed, {duplicates} duplicates "
           f"(<= {bound}, each the same Message-ID), {took:.0f} s")


def test_5_percent_451_and_5_percent_dropped_after_data_are_retried_until_everyone_has_it_once_or_twice(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    members = 300
    port = free_port()
    net = network(tmp_path, port, members=members, retry_base=1)
    rng = random.Random(451)
    faults = {"451": 0, "drop": 0}

    def on_data(d: Delivery) -> Reply:
        roll = rng.random()
        if roll < 0.05:
            faults["451"] += 1
            return "451 4.3.0 Try again later"
        if roll < 0.10:
            faults["drop"] += 1
            return DROP
        return None

    handler = SinkHandler(on_data=on_data)
    started = time.monotonic()
    with sink_on(port, handler):
        daemon = net.run()
        wait_for(lambda: net.outbox().get("sent", 0) == members, timeout=120, every=0.2)
        daemon.stop()
    took = time.monotonic() - started
    delivered = {d.recipient for d in handler.delivered if d.recipient.startswith("medlem")}
    copies = received(handler)
    duplicates = sum(n - 1 for n in copies.values())
    assert len(delivered) == members and net.outbox() == {"sent": members}
    assert duplicates <= faults["drop"], "only a dropped answer after DATA may give a second copy"
    assert one_message_id_each(handler), "a retry carried another Message-ID"
    assert "Traceback" not in daemon.log()
    figure(f"{members} members, {faults['451']} x 451 and {faults['drop']} dropped after DATA: "
           f"0 missed, {duplicates} second copies (<= drops, same Message-ID), all in {took:.0f} s")


def test_5xx_at_rcpt_and_after_data_fail_only_those_members_mark_them_and_tell_the_coordinator_once(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    members = 100
    port = free_port()
    net = network(tmp_path, port, members=members)
    refused_rcpt, refused_data = "medlem7@example.org", "medlem42@example.org"

    def on_rcpt(address: str) -> Reply:
        return "550 5.1.1 No such user" if address == refused_rcpt else None

    def on_data(d: Delivery) -> Reply:
        return "550 5.1.1 Mailbox disabled" if d.recipient == refused_data else None

    handler = SinkHandler(on_rcpt=on_rcpt, on_data=on_data)
    with sink_on(port, handler):
        daemon = net.run()
        wait_for(lambda: "queued" not in net.outbox(None) and len(notices(handler)) >= 1, timeout=60,
                 every=0.2)
        time.sleep(1)  # nothing more is coming
        daemon.stop()
    assert net.outbox() == {"sent": members - 2, "failed": 2}
    with net.opened() as store:
        statuses = {m.address: m.status for m in store.members(None)}
    assert statuses[refused_rcpt] == statuses[refused_data] == "bouncing"
    assert sum(1 for s in statuses.values() if s == "active") == members - 2
    told = notices(handler)
    listed = [line.split("<")[1].split(">")[0] for text in told for line in text.splitlines()
              if line.startswith("- ")]
    assert sorted(listed) == sorted([refused_rcpt, refused_data]), "each refused member is told once"
    status = net.cli("status").stdout
    assert "Failed: 2 (newest first" in status and status.index(refused_data) < status.index(refused_rcpt)
    figure(f"{members} members, 1 refused at RCPT and 1 after DATA: {members - 2} delivered, 2 failed and "
           f"marked bouncing, told to the coordinator once each ({len(told)} notice), newest failure first in status")


def notices(handler: SinkHandler) -> list[str]:
    """The bounce notices the coordinator received (their text)."""
    out = []
    for d in handler.delivered:  # (from 22:00 UTC the meeting is two local days off: a catering list comes too)
        if d.recipient == COORDINATOR and ".bounce-notice." in message_id(d.data):
            body = d.message().get_body(("plain",))
            out.append(body.get_content() if body is not None else "")
    return out


def one_message_id_each(handler: SinkHandler) -> bool:
    """Every recipient got copies of one Message-ID only (a repeat is the same message, not a new one)."""
    ids: dict[str, set[str]] = {}
    for d in [*handler.delivered, *handler.unanswered]:
        ids.setdefault(d.recipient, set()).add(message_id(d.data))
    return all(len(v) == 1 for v in ids.values())
