"""Several networks in one daemon: each its own mail, database and site; one broken file or database is
reported and skipped; the shared SMTP account's rate limit holds across them; SIGHUP picks up an edit."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from several_networks import BROKEN, MEMBERS, NAMES, member_address, sent_kinds, write_network, write_umbrella
from smtp_server import Server, SinkHandler, smtp_server

from mailer.cli import main
from mailer.config import load_config
from mailer.outbound.pool import SmtpPool
from mailer.state.store import Store
from mailer.supervisor import Supervisor

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def sink() -> Iterator[Server]:
    with smtp_server(SinkHandler()) as server:
        yield server


def _by_network(server: Server) -> dict[str, set[str]]:
    """Recipients the sink got, by the network whose list address sent the mail (its envelope sender)."""
    out: dict[str, set[str]] = {}
    for d in server.handler.delivered:
        out.setdefault(d.sender.split("-", 1)[0], set()).add(d.recipient)
    return out


def _own_members(lang: str) -> set[str]:
    return {member_address(lang, i) for i in range(MEMBERS)}


def test_run_once_with_two_config_files_fills_and_sends_each_networks_own_outbox(
        tmp_path: Path, sink: Server, capsys: pytest.CaptureFixture[str]) -> None:
    sv, fi = (write_network(tmp_path, lang, sink.port) for lang in ("sv", "fi"))
    assert main(["run", "--once", "--config", str(sv), "--config", str(fi)]) == 0
    out = capsys.readouterr().out
    assert re.search(r"^Nätverket Väst \(sv.toml\): .*queued 3 invitation; sent 3", out, re.M), out
    assert re.search(r"^Verkosto Itä \(fi.toml\): .*queued 3 invitation; sent 3", out, re.M), out
    for lang in ("sv", "fi"):  # each database holds its own members' invitations, and only those
        assert sorted(sent_kinds(tmp_path / f"{lang}.db")) == sorted(("invitation", a) for a in _own_members(lang))
    assert _by_network(sink) == {"sv": _own_members("sv"), "fi": _own_members("fi")}
    subjects = {d.sender.split("-", 1)[0]: str(d.message()["Subject"]) for d in sink.handler.delivered}
    assert "Inbjudan" in subjects["sv"] and "Kutsu" in subjects["fi"]


def test_check_on_a_folder_passes_the_valid_networks_and_exits_2_naming_the_invalid_file(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    for lang in ("sv", "fi"):
        write_network(tmp_path, lang, 25)
    (tmp_path / "en.toml").write_text(BROKEN, encoding="utf-8")
    write_umbrella(tmp_path)
    assert main(["check", "--config", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert f"{tmp_path / 'sv.toml'}: OK — Nätverket Väst" in captured.out
    assert f"{tmp_path / 'fi.toml'}: OK — Verkosto Itä" in captured.out
    assert f"{tmp_path / 'umbrella.toml'}: OK — umbrella Kulturforum" in captured.out
    errors = captured.err.strip().splitlines()
    assert errors and all(line.startswith(f"{tmp_path / 'en.toml'}: ") for line in errors)
    assert any("network.timezone" in line for line in errors)
    (tmp_path / "en.toml").unlink()
    assert main(["check", "--config", str(tmp_path)]) == 0


def test_check_refuses_two_networks_sharing_one_database(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    sv = write_network(tmp_path, "sv", 25)
    fi = write_network(tmp_path, "fi", 25)
    fi.write_text(fi.read_text(encoding="utf-8").replace("fi.db", "sv.db"), encoding="utf-8")
    assert main(["check", "--config", str(sv), "--config", str(fi)]) == 2
    assert f"{fi}: storage.database: a database of its own" in capsys.readouterr().err


def test_status_of_several_networks_names_each_networks_file_and_its_trouble(
        tmp_path: Path, sink: Server, capsys: pytest.CaptureFixture[str]) -> None:
    for lang in ("sv", "fi"):
        write_network(tmp_path, lang, sink.port)
    (tmp_path / "en.toml").write_text(BROKEN, encoding="utf-8")
    assert main(["run", "--once", "--config", str(tmp_path)]) == 2  # the broken file: 2, the others ran
    capsys.readouterr()
    assert main(["status", "--config", str(tmp_path)]) == 2
    out = capsys.readouterr().out
    blocks = {b.split(" <==", 1)[0]: b for b in out.split("==> ")[1:]}
    assert set(blocks) == {str(tmp_path / f"{lang}.toml") for lang in ("sv", "fi", "en")}
    assert "invalid config, not running" in blocks[str(tmp_path / "en.toml")]
    assert "Nätverket Väst — 3 active members" in blocks[str(tmp_path / "sv.toml")]
    assert "Outbox: 3 sent" in blocks[str(tmp_path / "fi.toml")]


async def _run_until(supervisor: Supervisor, done: Any, limit: float = 60.0) -> None:
    stop = asyncio.Event()
    task = asyncio.create_task(supervisor.run(stop))
    deadline = time.monotonic() + limit
    try:
        while not done():
            assert not task.done(), "the supervisor ended early"
            assert time.monotonic() < deadline, "timed out"
            await asyncio.sleep(0.05)
    finally:
        stop.set()
        await asyncio.wait_for(task, 30)


@pytest.mark.slow
async def test_three_networks_in_one_daemon_each_with_its_own_mail_site_and_database_one_broken(
        tmp_path: Path, sink: Server, caplog: pytest.LogCaptureFixture) -> None:
    for lang in ("sv", "fi"):
        write_network(tmp_path, lang, sink.port)
    (tmp_path / "en.toml").write_text(BROKEN, encoding="utf-8")
    write_umbrella(tmp_path)
    supervisor = Supervisor([tmp_path])
    caplog.set_level(logging.INFO, logger="traffpunkt")
    await _run_until(supervisor, lambda: len(sink.handler.delivered) >= 2 * MEMBERS
                     and (tmp_path / "sites" / "umbrella" / "index.html").exists())
    assert _by_network(sink) == {"sv": _own_members("sv"), "fi": _own_members("fi")}
    assert len(sink.handler.peers) <= 2  # one shared pool (max_connections 2) for the account, not one per network
    for lang in ("sv", "fi"):
        assert sorted(sent_kinds(tmp_path / f"{lang}.db")) == sorted(("invitation", a) for a in _own_members(lang))
    assert "Nästa träff" in (tmp_path / "sites" / "sv" / "index.html").read_text(encoding="utf-8")
    assert "Seuraava tapaaminen" in (tmp_path / "sites" / "fi" / "index.html").read_text(encoding="utf-8")
    assert not (tmp_path / "en.db").exists()
    assert f"{tmp_path / 'en.toml'}: invalid, skipped" in caplog.text
    umbrella = (tmp_path / "sites" / "umbrella" / "index.html").read_text(encoding="utf-8")
    assert NAMES["sv"] in umbrella and NAMES["fi"] in umbrella and "Trasigt" not in umbrella
    assert 'href="../sv/index.html#m-' in umbrella and 'href="../fi/index.html#m-' in umbrella


@pytest.mark.slow
async def test_a_network_whose_database_fails_is_reported_and_the_others_keep_running(
        tmp_path: Path, sink: Server, caplog: pytest.LogCaptureFixture) -> None:
    for lang in ("sv", "fi"):
        write_network(tmp_path, lang, sink.port)
    holder = Store.open(tmp_path / "sv.db", lock=True)  # another daemon runs on sv's database
    try:
        supervisor = Supervisor([tmp_path / "sv.toml", tmp_path / "fi.toml"])
        await _run_until(supervisor, lambda: len(sink.handler.delivered) >= MEMBERS)
    finally:
        holder.close()
    assert _by_network(sink) == {"fi": _own_members("fi")}
    assert "already running" in caplog.text and "the other networks keep running" in caplog.text
    assert list(supervisor.failed) == [(tmp_path / "sv.toml").resolve()]


async def test_the_shared_smtp_accounts_rate_limit_holds_across_networks(tmp_path: Path, sink: Server) -> None:
    """Three networks on one account at 600 a minute (one message every 0.1 s) send 12 messages at once:
    together they wait for the account's one limit, not three limits of their own."""
    configs = [load_config(write_network(tmp_path, lang, sink.port, per_minute=600)) for lang in ("sv", "fi", "en")]
    pool = SmtpPool()
    leases = [pool.lease(cfg) for cfg in configs]
    assert pool.transports == 1
    started = time.monotonic()
    await asyncio.gather(*(lease.send(f"{n}@example.org", f"to{i}@example.org", b"Subject: x\r\n\r\nhi\r\n")
                           for n, lease in enumerate(leases) for i in range(4)))
    elapsed = time.monotonic() - started
    for lease in leases:
        await lease.aclose()
    assert pool.transports == 0
    assert len(sink.handler.delivered) == 12
    assert elapsed >= 1.05  # 12 slots 0.1 s apart; three limits of their own would take 0.3 s
    assert len(sink.handler.peers) <= 2


async def test_a_stricter_network_on_the_account_slows_the_others_and_another_account_is_apart(
        tmp_path: Path, sink: Server) -> None:
    sv = load_config(write_network(tmp_path, "sv", sink.port, per_minute=6000))
    fi = load_config(write_network(tmp_path, "fi", sink.port, per_minute=60))
    en_path = write_network(tmp_path, "en", sink.port, per_minute=0)
    en_path.write_text(en_path.read_text(encoding="utf-8").replace('tls = "none"\ntimeout_seconds = 10',
                       'tls = "none"\nusername = "other"\ntimeout_seconds = 10', 1), encoding="utf-8")
    en = load_config(en_path)
    pool = SmtpPool()
    a, b, c = pool.lease(sv), pool.lease(fi), pool.lease(en)
    assert pool.transports == 2 and a.shared is b.shared and c.shared is not a.shared
    assert a.shared._limiter.interval == pytest.approx(1.0)  # 60 a minute: the stricter of the two
    assert c.shared._limiter.interval == 0.0  # the other account has no limit
    await b.aclose()
    assert a.shared._limiter.interval == pytest.approx(0.01)  # the strict network left: its own limit again
    await a.aclose()
    await c.aclose()


def _daemon(folder: Path) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "mailer.cli", "run", "--config", str(folder)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _wait_for(predicate: Any, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out waiting")
        time.sleep(0.05)


@pytest.mark.slow
def test_sighup_picks_up_an_edited_network_and_a_new_one_without_stopping_the_others(
        tmp_path: Path, sink: Server) -> None:
    for lang in ("sv", "fi"):
        write_network(tmp_path, lang, sink.port)
    daemon = _daemon(tmp_path)
    try:
        _wait_for(lambda: len(sink.handler.delivered) >= 2 * MEMBERS)
        fi = tmp_path / "fi.toml"
        fi.write_text(fi.read_text(encoding="utf-8").replace("Kirjasto", "Kaupungintalo"), encoding="utf-8")
        write_network(tmp_path, "en", sink.port)  # a new network's file in the folder
        (tmp_path / "sv.toml").write_text(BROKEN, encoding="utf-8")  # and a bad edit: sv keeps running
        os.kill(daemon.pid, signal.SIGHUP)
        _wait_for(lambda: sum(d.sender.startswith("fi-") for d in sink.handler.delivered) >= 2 * MEMBERS
                  and any(d.sender.startswith("en-") for d in sink.handler.delivered))
        updates = [d.message() for d in sink.handler.delivered
                   if d.sender.startswith("fi-") and "Kaupungintalo" in d.message().get_body(("plain",)).get_content()]
        assert len(updates) == MEMBERS  # every fi member told of the new place
        assert daemon.poll() is None
    finally:
        daemon.send_signal(signal.SIGTERM)
        out, _ = daemon.communicate(timeout=30)
    assert daemon.returncode == 0, out
    assert "stopping Verkosto Itä (fi.toml): its config changed" in out
    assert "stopping Nätverket Väst" not in out  # the others were never stopped
    assert f"{tmp_path / 'sv.toml'}: invalid, skipped (it keeps running with its last good config)" in out
    assert "[Network North (en.toml)] traffpunkt running for Network North" in out
    assert _by_network(sink)["sv"] == _own_members("sv")


def test_the_example_systemd_unit_runs_its_own_user_restarts_on_failure_and_reloads_with_sighup() -> None:
    unit: dict[str, list[str]] = {}
    for line in (ROOT / "config" / "traffpunkt.service").read_text(encoding="utf-8").splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            unit.setdefault(key.strip(), []).append(value.strip())
    assert unit["User"] != ["root"] and unit["User"] == unit["Group"]
    assert unit["Restart"] == ["on-failure"]
    assert unit["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    start = unit["ExecStart"][0].split()
    assert start[1:3] == ["run", "--config"] and "--once" not in start
    from mailer.cli import build_parser

    assert build_parser().parse_args(start[1:]).config == [start[3]]  # the command line the CLI accepts


def test_networks_sharing_an_smtp_account_each_sign_with_their_own_dkim_key_or_none(
        tmp_path: Path, sink: Server) -> None:
    import dkim
    from test_dkim import write_key

    from mailer.outbound.dnsrecords import records

    sv, fi = (write_network(tmp_path, lang, sink.port) for lang in ("sv", "fi"))
    key = write_key(tmp_path / "sv-dkim.pem")
    sv.write_text(sv.read_text(encoding="utf-8").replace("[mail.imap]", f"""[mail.dkim]
domain = "example.org"
selector = "vast"
key_file = "{key}"

[mail.imap]"""), encoding="utf-8")
    assert main(["run", "--once", "--config", str(sv), "--config", str(fi)]) == 0
    line = next(x for x in records(load_config(sv)) if x.startswith("vast._domainkey.example.org."))
    txt = "".join(re.findall(r'"([^"]*)"', line)).encode()

    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return txt if name == b"vast._domainkey.example.org." else None

    by_sender = {d.sender.split("-", 1)[0]: d for d in sink.handler.delivered}
    assert dkim.verify(by_sender["sv"].data, dnsfunc=dnsfunc)
    assert b"DKIM-Signature" not in by_sender["fi"].data
    assert len(sink.handler.peers) <= 2  # both networks' mail over the account's shared connections (2 at most)


def test_a_daemon_given_only_invalid_files_exits_2_and_one_whose_databases_all_fail_exits_1(tmp_path: Path) -> None:
    (tmp_path / "en.toml").write_text(BROKEN, encoding="utf-8")
    only_broken = subprocess.run([sys.executable, "-m", "mailer.cli", "run", "--config", str(tmp_path)], cwd=ROOT,
                                 capture_output=True, text=True, timeout=60)
    assert only_broken.returncode == 2, only_broken.stderr
    assert "no network could start" in only_broken.stderr and "Traceback" not in only_broken.stderr
    sv = write_network(tmp_path, "sv", 25)
    holder = Store.open(tmp_path / "sv.db", lock=True)
    try:
        locked = subprocess.run([sys.executable, "-m", "mailer.cli", "run", "--config", str(sv)], cwd=ROOT,
                                capture_output=True, text=True, timeout=60)
    finally:
        holder.close()
    assert locked.returncode == 1, locked.stderr
    assert "already running" in locked.stderr and "Traceback" not in locked.stderr
