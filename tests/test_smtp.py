"""SmtpTransport against a real aiosmtpd server on loopback, with failures injected per test; each test that
uses the `handler` fixture runs twice: against a server offering PIPELINING and one that does not."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from smtp_server import DROP, HANG, Certificate, Delivery, Server, SinkHandler, self_signed, smtp_server

from mailer.errors import (
    DeadlineExceeded,
    PermanentFailure,
    ServerUnreachable,
    TemporaryFailure,
    TransportSetupError,
)
from mailer.outbound.smtp import RateLimiter, SmtpTransport

SENDER = "natverk@example.org"


def message(n: int = 0, recipient: str = "anna@example.org") -> bytes:
    return (f"From: Nätverket <{SENDER}>\r\nTo: {recipient}\r\nSubject: test {n}\r\n"
            f"Message-ID: <m{n}@example.org>\r\n\r\nHello {n}\r\n").encode()


@pytest.fixture(params=[True, False], ids=["pipelining", "lockstep"])
def handler(request: pytest.FixtureRequest) -> SinkHandler:
    return SinkHandler(pipelining=request.param)


@pytest.fixture
def server(handler: SinkHandler) -> Iterator[Server]:
    with smtp_server(handler) as s:
        yield s


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> Certificate:
    return self_signed(tmp_path_factory.mktemp("tls"))


async def test_many_messages_travel_over_one_reused_connection(server: Server, handler: SinkHandler) -> None:
    transport = SmtpTransport(server.settings(), None)
    for n in range(20):
        await transport.send(SENDER, f"member{n}@example.org", message(n, f"member{n}@example.org"))
    await transport.aclose()
    assert len(handler.delivered) == 20
    assert len(handler.peers) == 1
    assert transport.connections_opened == 1
    assert [d.recipient for d in handler.delivered] == [f"member{n}@example.org" for n in range(20)]


async def test_parallel_sends_open_no_more_than_max_connections(server: Server, handler: SinkHandler) -> None:
    transport = SmtpTransport(server.settings(max_connections=2), None)
    await asyncio.gather(*(transport.send(SENDER, f"m{n}@example.org", message(n)) for n in range(12)))
    await transport.aclose()
    assert len(handler.delivered) == 12
    assert 1 <= len(handler.peers) <= 2


async def test_a_4xx_answer_is_temporary_and_the_connection_is_reset_and_reused(
        server: Server, handler: SinkHandler) -> None:
    answers = iter(["451 4.3.0 Try again later", None])
    handler.on_data = lambda d: next(answers)
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TemporaryFailure, match="451"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert len(handler.delivered) == 1
    assert handler.resets == 1  # RSET after the failed transaction
    assert len(handler.peers) == 1


async def test_a_5xx_to_rcpt_is_permanent_and_blames_the_address(
        server: Server, handler: SinkHandler) -> None:
    handler.on_rcpt = lambda addr: "550 5.1.1 No such user" if addr == "gone@example.org" else None
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(PermanentFailure, match="550 5.1.1 No such user") as info:
        await transport.send(SENDER, "gone@example.org", message(1, "gone@example.org"))
    assert info.value.address_failing is True
    await transport.send(SENDER, "anna@example.org", message(2))  # the connection is still good
    await transport.aclose()
    assert [d.recipient for d in handler.delivered] == ["anna@example.org"]


async def test_a_content_rejection_at_data_does_not_blame_the_address(
        server: Server, handler: SinkHandler) -> None:
    handler.on_data = lambda d: "554 5.7.1 Message looks like spam"
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(PermanentFailure) as info:
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert info.value.address_failing is False


async def test_relaying_denied_is_a_setup_error_not_a_failing_address(
        server: Server, handler: SinkHandler) -> None:
    handler.on_rcpt = lambda addr: "554 5.7.1 Relay access denied"
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TransportSetupError, match="relay"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()


async def test_a_refused_sender_is_a_setup_error(server: Server, handler: SinkHandler) -> None:
    handler.on_mail = lambda addr: "553 5.7.1 Sender address rejected: not owned by user"
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TransportSetupError, match="from_address"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert handler.delivered == []


async def test_a_connection_dropped_after_data_is_temporary_and_the_next_send_reconnects(
        server: Server, handler: SinkHandler) -> None:
    actions = iter([DROP, None])
    handler.on_data = lambda d: next(actions)
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TemporaryFailure, match="after DATA") as info:
        await transport.send(SENDER, "anna@example.org", message(1))
    assert not isinstance(info.value, PermanentFailure)
    await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert len(handler.unanswered) == 1 and len(handler.delivered) == 1
    assert transport.connections_opened == 2


async def test_a_server_that_never_answers_hits_the_deadline_and_its_connection_is_dropped(
        server: Server, handler: SinkHandler) -> None:
    actions = iter([HANG, None])
    handler.on_data = lambda d: next(actions)
    transport = SmtpTransport(server.settings(timeout_seconds=0.3), None)
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded, match="did not answer within 0.3 s"):
        await transport.send(SENDER, "anna@example.org", message(1))
    assert time.monotonic() - started < 2.0
    await transport.send(SENDER, "anna@example.org", message(2))
    await transport.aclose()
    assert transport.connections_opened == 2  # the silent connection was not reused
    assert [d.message()["Message-ID"] for d in handler.delivered] == ["<m2@example.org>"]


async def test_an_idle_connection_the_server_closed_is_replaced_without_losing_the_message(
        server: Server, handler: SinkHandler) -> None:
    actions = iter([None, DROP, None])
    handler.on_mail = lambda addr: next(actions)
    transport = SmtpTransport(server.settings(), None)
    await transport.send(SENDER, "anna@example.org", message(1))
    await transport.send(SENDER, "bertil@example.org", message(2, "bertil@example.org"))
    await transport.aclose()
    assert [d.recipient for d in handler.delivered] == ["anna@example.org", "bertil@example.org"]
    assert transport.connections_opened == 2


async def test_starttls_required_but_not_offered_sends_nothing_in_plain_text(
        server: Server, handler: SinkHandler) -> None:
    transport = SmtpTransport(server.settings(tls="starttls"), None)
    with pytest.raises(TransportSetupError, match="does not offer STARTTLS"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert handler.peers == []  # not even MAIL FROM went over the plain connection
    assert handler.delivered == []


async def test_starttls_encrypts_before_login_and_sending(certificate: Certificate) -> None:
    logins: list[tuple[bytes, bytes]] = []

    def authenticator(server: object, session: object, envelope: object, mechanism: str,
                      auth_data: object) -> object:
        from aiosmtpd.smtp import AuthResult, LoginPassword

        assert isinstance(auth_data, LoginPassword)
        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.password == b"s3cret", handled=False)

    handler = SinkHandler()
    with smtp_server(handler, tls_context=certificate.server_context(), require_starttls=True,
                     authenticator=authenticator, auth_required=True) as server:
        transport = SmtpTransport(server.settings(tls="starttls", username="natverk"), "s3cret",
                                  tls_context=certificate.client_context())
        await transport.send(SENDER, "anna@example.org", message(1))
        await transport.aclose()
        bad = SmtpTransport(server.settings(tls="starttls", username="natverk"), "wrong",
                            tls_context=certificate.client_context())
        with pytest.raises(TransportSetupError, match="refused the login"):
            await bad.send(SENDER, "anna@example.org", message(2))
        await bad.aclose()
    assert logins[0] == (b"natverk", b"s3cret")
    assert set(logins[1:]) == {(b"natverk", b"wrong")}  # aiosmtplib tries each method it shares
    assert len(handler.delivered) == 1


async def test_implicit_tls_sends_over_tls_from_the_first_byte(certificate: Certificate) -> None:
    handler = SinkHandler()
    with smtp_server(handler, ssl_context=certificate.server_context()) as server:
        transport = SmtpTransport(server.settings(tls="tls"), None, tls_context=certificate.client_context())
        await transport.send(SENDER, "anna@example.org", message(1))
        await transport.aclose()
    assert len(handler.delivered) == 1


async def test_an_untrusted_certificate_is_a_setup_error(certificate: Certificate, tmp_path: Path) -> None:
    other = self_signed(tmp_path)  # the client trusts a different certificate
    with smtp_server(SinkHandler(), ssl_context=certificate.server_context()) as server:
        transport = SmtpTransport(server.settings(tls="tls"), None, tls_context=other.client_context())
        with pytest.raises(TransportSetupError, match="TLS failed"):
            await transport.send(SENDER, "anna@example.org", message(1))
        await transport.aclose()


async def test_a_server_that_is_down_is_unreachable_not_a_message_failure() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    settings = Server("127.0.0.1", port, SinkHandler()).settings()
    transport = SmtpTransport(settings, None)
    with pytest.raises(ServerUnreachable, match="cannot connect"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()


async def test_8bit_messages_are_announced_as_8bitmime(server: Server, handler: SinkHandler) -> None:
    transport = SmtpTransport(server.settings(), None)
    data = "From: a@example.org\r\nSubject: hej\r\nContent-Type: text/plain; charset=utf-8\r\n" \
           "Content-Transfer-Encoding: 8bit\r\nMessage-ID: <x@example.org>\r\n\r\nHälsningar, Åsa\r\n"
    await transport.send(SENDER, "anna@example.org", data.encode())
    await transport.aclose()
    assert handler.mail_options == [["BODY=8BITMIME"]]
    assert handler.delivered[0].message().get_content().strip() == "Hälsningar, Åsa"


class FakeClock:
    """A monotonic clock that only moves when the code under test sleeps."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


async def test_the_rate_limit_never_lets_more_than_the_budget_through_in_any_minute(
        server: Server, handler: SinkHandler) -> None:
    clock = FakeClock()
    seen_at: list[float] = []

    def on_data(d: Delivery) -> None:
        seen_at.append(clock.now)

    handler.on_data = on_data
    transport = SmtpTransport(server.settings(messages_per_minute=6), None, clock=clock, sleep=clock.sleep)
    for n in range(20):
        await transport.send(SENDER, "anna@example.org", message(n))
    await transport.aclose()
    assert len(seen_at) == 20
    for t in seen_at:
        assert sum(1 for u in seen_at if t <= u < t + 60) <= 6
    # and it does not hold mail back more than needed: 20 messages at 6 a minute take 19 intervals of 10 s
    assert seen_at[-1] - seen_at[0] == pytest.approx(190.0)


async def test_the_rate_limiter_spaces_concurrent_callers_too() -> None:
    sleeps: list[float] = []

    async def sleep(seconds: float) -> None:
        sleeps.append(seconds)

    limiter = RateLimiter(120, lambda: 1000.0, sleep)  # five callers arrive at the same instant
    await asyncio.gather(*(limiter.acquire() for _ in range(5)))
    assert sorted(sleeps) == pytest.approx([0.5, 1.0, 1.5, 2.0])
