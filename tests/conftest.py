"""Fixtures shared by the test modules: a fresh in-memory store, a throwaway Dovecot, an aiosmtpd server."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from dovecot import REQUIRE_ENV, Account, DovecotServer, DovecotUnavailable
from smtp_server import Server, SinkHandler, smtp_server

from mailer.state.store import Store


@pytest.fixture
def fresh_store() -> Iterator[Store]:
    store = Store.memory()
    yield store
    store.close()


@pytest.fixture(scope="session")
def dovecot() -> Iterator[DovecotServer]:
    """One Dovecot for the whole run; skips when it is missing, unless TRAFFPUNKT_REQUIRE_SERVERS=1 (CI)."""
    try:
        server = DovecotServer()
        server.start()
    except DovecotUnavailable as exc:
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"Dovecot is required ({REQUIRE_ENV}=1) but unavailable: {exc}")
        pytest.skip(f"no Dovecot for IMAP tests: {exc}")
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def imap_account(dovecot: DovecotServer) -> Account:
    """A new, empty account on the session's Dovecot (host, port, user, password, maildir)."""
    return dovecot.account()


@pytest.fixture
def handler() -> SinkHandler:
    """The test SMTP server's handler: what it received, and hooks to refuse or drop."""
    return SinkHandler()


@pytest.fixture
def server(handler: SinkHandler) -> Iterator[Server]:
    """A real aiosmtpd server on a free loopback port with `handler`."""
    with smtp_server(handler) as s:
        yield s
