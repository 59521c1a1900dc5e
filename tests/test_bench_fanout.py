"""The fan-out benchmark runs end to end at a CI size against Postfix's smtp-sink and reports one JSON line;
its check of what members received tells a right invitation from one that reached the wrong member."""

from __future__ import annotations

import contextlib
import json
import multiprocessing as mp
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from mailer import PROJECT_ROOT

BENCH = PROJECT_ROOT / "bench"
sys.path.insert(0, str(BENCH))

from fanout_setup import bench_config, member_address, member_name, setup_main  # noqa: E402
from fanout_verify import _verify_batch  # noqa: E402

REQUIRE_ENV = "TRAFFPUNKT_REQUIRE_SERVERS"
SMTP_SINK = "/usr/sbin/smtp-sink"
MEMBERS = 120


@pytest.fixture(scope="module")
def smtp_sink() -> str:
    """Postfix's smtp-sink and smtp-source (Debian `postfix`); skips when missing, unless REQUIRE_SERVERS=1."""
    if not (os.path.exists(SMTP_SINK) and os.path.exists("/usr/sbin/smtp-source")):
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"smtp-sink is required ({REQUIRE_ENV}=1) but Debian's postfix is not installed")
        pytest.skip("no /usr/sbin/smtp-sink for the fan-out benchmark (apt-get install postfix)")
    return SMTP_SINK


@pytest.mark.slow
def test_the_fanout_benchmark_sends_every_invitation_three_ways_and_checks_each_one(smtp_sink: str,
                                                                                   tmp_path: Path) -> None:
    proc = subprocess.Popen([sys.executable, str(BENCH / "bench_fanout.py"), "--members", str(MEMBERS),
                             "--connections", "2", "--sink", "smtp-sink", "--workdir", str(tmp_path)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=300)
    finally:  # the bench's smtp-sink never outlives the test, even when the bench hangs
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert proc.returncode == 0, out[-3000:] + err[-3000:]
    result = json.loads(out.strip().splitlines()[-1])
    assert result["members"] == MEMBERS and result["connections"] == 2 and result["sink"] == "smtp-sink"
    assert result["checked_ok"] is True and result["checked"] == MEMBERS == result["sent"]
    assert result["received"] == {"e2e": MEMBERS, "prebuilt": MEMBERS, "smtp-source": MEMBERS}
    for key in ("end_to_end_msg_s", "prebuilt_msg_s", "smtp_source_msg_s", "peak_rss_mb",
                "end_to_end_sender_cpu_ms", "prebuilt_sender_cpu_ms"):
        assert result[key] > 0, key
    # the sink's CPU comes from /proc in clock ticks (10 ms): 120 messages at ~0.15 ms may read as 0 ticks
    for key in ("end_to_end_sink_cpu_ms", "prebuilt_sink_cpu_ms"):
        assert result[key] >= 0, key
    assert result["ratio"] == pytest.approx(result["end_to_end_msg_s"] / result["prebuilt_msg_s"], rel=0.01)


def test_the_benchmark_check_refuses_an_invitation_that_reached_the_wrong_member(tmp_path: Path) -> None:
    from mailer.outbound.compose import Composer
    from mailer.state.store import Store

    here, there = mp.Pipe()
    setup_main(there, str(tmp_path), 3)
    setup = here.recv()
    config = bench_config(tmp_path, 25, 1)
    store = Store.open(config.database)
    composer = Composer(config, store, setup["secret"], clock=lambda: setup["now"])
    rendered = {int(r.recipient.split("@")[0].removeprefix("member")): r.data
                for r in (composer.render(row) for row in store.outbox_rows(status="queued"))}
    store.close()
    assert sorted(rendered) == [1, 2, 3]

    def dump(name: str, rcpt: str, data: bytes) -> str:  # the smtp-sink -d format: LF line ends
        path = tmp_path / name
        head = (f"X-Client-Addr: 127.0.0.1\nX-Client-Proto: ESMTP\nX-Mail-Args: <x@y>\nX-Rcpt-Args: <{rcpt}>\n"
                "Received: from bench\n\tby sink.bench (smtp-sink) with ESMTP id 1;\n\tWed, 2 Dec 2026\n")
        path.write_bytes(head.encode() + data.replace(b"\r\n", b"\n") + b"\n")
        return str(path)

    items = [dump("right", member_address(1), rendered[1]), dump("wrong", member_address(3), rendered[2]),
             (member_address(2), rendered[2])]
    n, seen, _, errors = _verify_batch((items, setup["secret"], setup["meeting_id"], setup["list_address"]))
    assert n == 3 and sorted(seen) == [1, 2, 3]
    assert len(errors) == 1 and errors[0].startswith(member_address(3)), errors
    assert member_name(3) in errors[0] and "token" in errors[0]
