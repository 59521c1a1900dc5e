"""The real daemon woken by new mail (IMAP IDLE, or the NOOP poll a Dovecot on loopback gets): each new reply is
applied within seconds on the sessions it logged in with at start (Dovecot's own log counts the logins), not on
a new login per wake."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest
from dovecot import Account, DovecotServer
from harness import free_port, sink_on, wait_for
from replies import (
    FOLDER,
    assert_each_applied_once,
    confirmations,
    inbound_network,
    invite_and_write_replies,
    processed,
)
from smtp_server import SinkHandler

pytestmark = [pytest.mark.slow, pytest.mark.imap]


def logins(server: DovecotServer, account: Account) -> int:
    """The logins Dovecot logged for this account."""
    return server.log.read_text(errors="replace").count(f"Login: user=<{account.user}>")


@pytest.mark.parametrize("extra", ["", "noop_seconds = 0\n"], ids=["noop-poll-on-loopback", "idle-as-remote"])
def test_idle_wakes_apply_each_reply_at_once_without_a_new_imap_login(
        tmp_path: Path, dovecot: DovecotServer, imap_account: Account, monkeypatch: pytest.MonkeyPatch,
        figure: Callable[[str], None], extra: str) -> None:
    members = 5
    port = free_port()
    handler = SinkHandler()
    with sink_on(port, handler):
        net = inbound_network(tmp_path, port, imap_account, imap_account.port, members, monkeypatch,
                              imap_extra=extra)
        replies = invite_and_write_replies(net, handler)
        client = imap_account.imap()  # one session delivers every reply: the logins after this are the daemon's
        at_start = logins(dovecot, imap_account)
        daemon = net.run()
        # the first tick's session and the IDLE session; the poll is an hour away, so only IDLE wakes it
        wait_for(lambda: logins(dovecot, imap_account) - at_start >= 2, timeout=30)
        time.sleep(1.0)
        settled = logins(dovecot, imap_account)
        took = []
        for n, raw in enumerate(replies.raws, start=1):
            assert client.append(FOLDER, None, None, raw)[0] == "OK"
            took.append(wait_for(lambda k=n: processed(net) >= k, timeout=20, every=0.01))  # type: ignore[misc]
            time.sleep(0.3)
        wait_for(lambda: sum(confirmations(handler).values()) >= members, timeout=20)
        after = logins(dovecot, imap_account)
        daemon.stop()
        client.logout()
    assert_each_applied_once(net, replies)
    assert max(confirmations(handler).values()) == 1
    assert after == settled, f"{after - settled} new IMAP logins for {members} IDLE wakes"
    assert "Traceback" not in daemon.log()
    figure(f"{members} replies each woke the daemon ({'IDLE' if extra else 'a NOOP poll'}): applied after "
           f"{' / '.join(f'{t:.2f}' for t in took)} s, "
           f"{after - settled} new logins ({settled - at_start} at start)")
