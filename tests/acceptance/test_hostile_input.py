"""CR/LF/NUL in names and addresses, a 10,000-character name, and a second daemon (also through a symlink)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from harness import ROOT, free_port, network, sink_on, wait_for
from smtp_server import SinkHandler

pytestmark = pytest.mark.slow

BAD_ROWS = {
    "NUL in the address": 'Nul,"nul\x00@example.org"',
    "CR/LF and a Bcc in the address": 'Victim,"victim@x.fi\r\nBcc: everyone@example.org"',
    "two addresses, one cell": 'Pair,"a@x.fi,b@y.fi"',
    "an unquoted comma": "Pair2,c@x.fi,d@y.fi,sv,extra",
    "a display name": 'Named,"Anna <anna@x.fi>"',
    "CR/LF in the name": '"Evil\r\nBcc: x@y.fi",evil@x.fi',
}


def test_csv_rows_with_control_characters_or_several_addresses_are_rejected_with_line_and_reason(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    net = network(tmp_path, free_port(), members=0)
    good = [f"Gott Namn{i},gott{i}@example.org" for i in range(20)]
    rows = ["name,address", *good[:10], *BAD_ROWS.values(), *good[10:]]
    csv_file = tmp_path / "members.csv"
    csv_file.write_bytes("\n".join(rows).encode() + b"\n")
    done = net.cli("members", "import", str(csv_file))
    assert done.returncode == 1, done.stderr  # rows were skipped: the import says so in its exit code too
    complaints = [line for line in done.stderr.splitlines() if line.startswith(str(csv_file))]
    assert len(complaints) == len(BAD_ROWS), done.stderr
    assert all("rejected" in c for c in complaints)
    assert f"{csv_file}:12:" in done.stderr  # the first bad row is on line 12
    with net.opened() as store:
        stored = sorted(m.address for m in store.members(None))
    assert stored == sorted(f"gott{i}@example.org" for i in range(20)), "an address was altered or let in"
    add = net.cli("members", "add", "nul\x00@example.org".replace("\x00", "\\x00"))
    refused_add = subprocess.run([sys.executable, "-m", "mailer.cli", "members", "add", "a@x.fi\rb@y.fi",
                                  "--config", str(net.config)], cwd=ROOT, capture_output=True, text=True)
    assert add.returncode != 0 and refused_add.returncode != 0
    figure(f"CSV import: {len(complaints)}/{len(BAD_ROWS)} hostile rows rejected with file:line and reason, "
           f"20/20 good rows stored unaltered; `members add` refuses CR and backslash-escaped NUL")


def test_bad_addresses_and_names_already_in_the_database_fail_only_their_row_and_a_long_name_is_delivered(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    members = 30
    port = free_port()

    def names(i: int) -> str:
        return {3: "Evil\r\nBcc: everyone@example.org\x00", 4: "Å" * 10_000, 5: "L" * 10_000}.get(i, f"Namn {i}")

    net = network(tmp_path, port, members=members, names=names)
    with net.opened() as store, store.write():  # as an old version or a hand edit could have stored them
        for name, address in (("Nul", "nul\x00@example.org"), ("Crlf", "crlf@example.org\r\nBcc: x@y.fi")):
            store.db.execute("INSERT INTO members (name, address, language, joined) VALUES (?, ?, 'sv', ?)",
                             [name, address, "2026-01-01T00:00:00+00:00"])
    handler = SinkHandler()
    with sink_on(port, handler):
        daemon = net.run()
        wait_for(lambda: net.outbox().get("sent", 0) == members and net.outbox().get("failed", 0) == 2,
                 timeout=60, every=0.2)
        exit_code_seconds = daemon.stop()
    log = daemon.log()
    assert daemon.proc.returncode == 0 and "Traceback" not in log and exit_code_seconds < 10
    delivered = {d.recipient: d for d in handler.delivered}
    assert {f"medlem{i}@example.org" for i in range(members)} <= set(delivered)
    for i in (3, 4, 5):
        d = delivered[f"medlem{i}@example.org"]
        head = d.data.split(b"\r\n\r\n", 1)[0]
        assert b"\nBcc:" not in head and max(len(x) for x in head.split(b"\r\n")) <= 998
    assert all(d.recipient.isprintable() for d in handler.delivered)
    figure(f"{members} members + 2 stored with NUL / CR-LF addresses: {members} delivered (10,000-character "
           "names folded, no injected Bcc), the 2 bad rows failed with their reason, no traceback")


def test_a_second_daemon_is_refused_also_through_a_symlink_and_first_runs_do_not_race(
        tmp_path: Path, figure: Callable[[str], None]) -> None:
    port = free_port()
    net = network(tmp_path, port, members=20)
    handler = SinkHandler()
    with sink_on(port, handler):
        first = net.run()
        wait_for(lambda: len(handler.delivered) >= 1, timeout=30)
        other = tmp_path / "elsewhere"
        other.mkdir()
        (other / "link.db").symlink_to(net.db)
        linked = other / "network.toml"
        linked.write_text(net.config.read_text().replace(str(net.db), str(other / "link.db")))
        refused = []
        for config in (net.config, linked):
            second = subprocess.run([sys.executable, "-m", "mailer.cli", "run", "--config", str(config)],
                                    cwd=ROOT, capture_output=True, text=True, timeout=30)
            refused.append(second.returncode != 0 and "already running" in second.stderr
                           and "Traceback" not in second.stderr)
        first.stop()
    assert refused == [True, True]
    fresh_ok = 0
    for n in range(4):  # two first opens of a new database at once: both succeed
        fresh = tmp_path / f"fresh{n}"
        fresh.mkdir()
        cfg = fresh / "network.toml"
        cfg.write_text(net.config.read_text().replace(str(net.db), str(fresh / "tp.db")))
        procs = [subprocess.Popen([sys.executable, "-m", "mailer.cli", "members", "list", "--config", str(cfg)],
                                  cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                 for _ in range(2)]
        results = [(p.wait(60), p.stderr.read() if p.stderr else "") for p in procs]
        for p in procs:
            for stream in (p.stdout, p.stderr):
                if stream:
                    stream.close()
        assert all(code == 0 for code, _ in results), results
        fresh_ok += 2
    figure(f"second daemon refused {sum(refused)}/2 (same path, symlink); {fresh_ok}/{fresh_ok} concurrent "
           "first opens of a new database succeeded")
