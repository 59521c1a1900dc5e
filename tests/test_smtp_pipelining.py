"""The lean SMTP path: MAIL, RCPT and DATA in one write where the server offers PIPELINING, the message's
bytes arriving as given (dots stuffed in one pass), each reply mapped to the same error as command by command,
and hostile input and answers kept out. Against aiosmtpd (failures injected) and Postfix's smtp-sink."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from smtp_server import DROP, Server, SinkHandler, smtp_server
from smtp_sink import Sink, smtp_sink

from mailer.config import SmtpSettings
from mailer.errors import PermanentFailure, TemporaryFailure, TransportSetupError
from mailer.outbound.smtp import SmtpTransport

SENDER = "natverk@example.org"

#: Lines a mail client would hide or a careless server would read as the end of the data.
TRICKY = (b"From: natverk@example.org\r\nTo: anna@example.org\r\nSubject: dots\r\n"
          b"Message-ID: <dots@example.org>\r\n\r\n"
          b".first line of the body starts with a dot\r\n..two dots\r\n.\r\n. a dot and a space\r\n"
          b"the end\r\n")


def message(n: int, recipient: str = "anna@example.org") -> bytes:
    return (f"From: {SENDER}\r\nTo: {recipient}\r\nSubject: test {n}\r\nMessage-ID: <m{n}@example.org>\r\n"
            f"\r\nHello {n}\r\n").encode()


@pytest.fixture
def handler() -> SinkHandler:
    return SinkHandler(pipelining=True)


@pytest.fixture
def server(handler: SinkHandler) -> Iterator[Server]:
    with smtp_server(handler) as s:
        yield s


async def test_with_pipelining_offered_the_envelope_and_data_go_in_one_write_and_arrive_as_given(
        server: Server, handler: SinkHandler) -> None:
    transport = SmtpTransport(server.settings(), None)
    await transport.send(SENDER, "anna@example.org", TRICKY)
    await transport.send(SENDER, "bertil@example.org", message(2, "bertil@example.org"))
    await transport.aclose()
    assert handler.pipelined == [True, True]
    assert [d.data for d in handler.delivered] == [TRICKY, message(2, "bertil@example.org")]
    assert [d.recipient for d in handler.delivered] == ["anna@example.org", "bertil@example.org"]
    assert len(handler.peers) == 1


async def test_without_pipelining_offered_each_command_waits_for_its_reply() -> None:
    handler = SinkHandler(pipelining=False)
    with smtp_server(handler) as server:
        transport = SmtpTransport(server.settings(), None)
        await transport.send(SENDER, "anna@example.org", TRICKY)
        await transport.aclose()
    assert handler.pipelined == [False]
    assert [d.data for d in handler.delivered] == [TRICKY]


async def test_bare_line_ends_cannot_end_the_data_early_or_smuggle_a_second_message(
        server: Server, handler: SinkHandler) -> None:
    smuggling = (b"Subject: hi\n\nhello\n.\nMAIL FROM:<evil@example.net>\nRCPT TO:<victim@example.net>\n"
                 b"DATA\nSubject: forged\r\n.\r\nafter\r")
    transport = SmtpTransport(server.settings(), None)
    await transport.send(SENDER, "anna@example.org", smuggling)
    await transport.aclose()
    assert [d.recipient for d in handler.delivered] == ["anna@example.org"]
    assert handler.delivered[0].data == smuggling.replace(b"\r\n", b"\n").replace(b"\r", b"\n").replace(
        b"\n", b"\r\n")


#: Line-end and dot cases; the server must receive each as aiosmtplib's own normalising delivered it before.
EDGES = [b"", b".", b"..", b"a", b".\r\n", b"\r\n.\r\n", b"a\r\n.", b"a\n.\nb", b"a\r.\rb", b"a\r\r\n.\n\r",
         b"\n\n..\n", b"x\r\n" * 3 + b".y", b"end without a line end", b". \r\n.\t\r\n", b"\r", b"\n"]


async def test_every_line_end_and_dot_case_arrives_as_the_aiosmtplib_path_delivered_it(
        server: Server, handler: SinkHandler) -> None:
    from aiosmtplib.protocol import normalize_message_line_endings

    given = [data for n, body in enumerate(EDGES) for data in (message(n) + body, body)]  # and as the start
    transport = SmtpTransport(server.settings(), None)
    for data in given:
        await transport.send(SENDER, "anna@example.org", data)
    await transport.aclose()
    assert [d.data for d in handler.delivered] == [normalize_message_line_endings(data) for data in given]


async def test_a_550_to_rcpt_in_a_pipelined_group_blames_the_address_and_the_session_goes_on(
        server: Server, handler: SinkHandler) -> None:
    handler.on_rcpt = lambda addr: "550 5.1.1 No such user" if addr == "gone@example.org" else None
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(PermanentFailure, match="550 5.1.1 No such user to RCPT") as info:
        await transport.send(SENDER, "gone@example.org", message(1, "gone@example.org"))
    assert info.value.address_failing is True
    await transport.send(SENDER, "anna@example.org", message(2))
    await transport.aclose()
    assert [d.data for d in handler.delivered] == [message(2)]
    assert handler.resets == 1 and len(handler.peers) == 1


async def test_a_451_to_rcpt_is_temporary_not_permanent(server: Server, handler: SinkHandler) -> None:
    handler.on_rcpt = lambda addr: "451 4.3.0 Greylisted, try later"
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TemporaryFailure, match="451 4.3.0 Greylisted, try later to RCPT") as info:
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert not isinstance(info.value, PermanentFailure)
    assert handler.delivered == [] and handler.resets == 1


async def test_a_refused_sender_is_reported_not_the_replies_that_follow_from_it(
        server: Server, handler: SinkHandler) -> None:
    handler.on_mail = lambda addr: "553 5.7.1 Sender address rejected"
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TransportSetupError, match="553 5.7.1 Sender address rejected to MAIL"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert handler.delivered == []


async def test_a_refused_data_command_is_permanent_for_the_message_not_the_address(
        server: Server, handler: SinkHandler) -> None:
    answers = iter(["554 5.3.0 No DATA for you", None])
    handler.on_data_command = lambda: next(answers)
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(PermanentFailure, match="554 5.3.0 No DATA for you to DATA") as info:
        await transport.send(SENDER, "anna@example.org", message(1))
    assert info.value.address_failing is False
    await transport.send(SENDER, "anna@example.org", message(2))
    await transport.aclose()
    assert [d.data for d in handler.delivered] == [message(2)]
    assert handler.resets == 1 and transport.connections_opened == 1


@pytest.mark.parametrize(("reply", "error"), [("552 5.3.4 Message too big", PermanentFailure),
                                              ("452 4.3.1 Insufficient system storage", TemporaryFailure)])
async def test_the_answer_to_the_end_of_data_decides(server: Server, handler: SinkHandler, reply: str,
                                                     error: type[Exception]) -> None:
    handler.on_data = lambda d: reply
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(error, match=reply) as info:
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert type(info.value) is error
    if isinstance(info.value, PermanentFailure):
        assert info.value.address_failing is False
    assert handler.delivered == []


async def test_a_connection_cut_after_rcpt_is_temporary_and_the_retry_arrives_once(
        server: Server, handler: SinkHandler) -> None:
    actions = iter([DROP, None])
    handler.on_data_command = lambda: next(actions)
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TemporaryFailure, match="dropped the connection at DATA"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.send(SENDER, "anna@example.org", message(1))
    await transport.aclose()
    assert [d.data for d in handler.delivered] == [message(1)] and handler.unanswered == []
    assert transport.connections_opened == 2


async def test_a_354_after_a_refused_recipient_gets_an_empty_message_and_the_session_stays_in_step(
        server: Server, handler: SinkHandler) -> None:
    """A broken server may say 354 though it refused every recipient; the body must not follow."""
    handler.on_rcpt = lambda addr: "550 5.1.1 No such user" if addr == "gone@example.org" else None
    answers = iter(["354 go ahead anyway", None])
    handler.on_data_command = lambda: next(answers)
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(PermanentFailure, match="to RCPT") as info:
        await transport.send(SENDER, "gone@example.org", message(1, "gone@example.org"))
    assert info.value.address_failing is True
    await transport.send(SENDER, "anna@example.org", message(2))
    await transport.aclose()
    assert [d.data for d in handler.delivered] == [message(2)]


async def test_a_421_closes_the_session_and_the_next_message_gets_a_new_connection(
        server: Server, handler: SinkHandler) -> None:
    answers = iter(["421 4.3.2 Shutting down", None])
    handler.on_rcpt = lambda addr: next(answers)
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TemporaryFailure, match="421"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.send(SENDER, "anna@example.org", message(2))
    await transport.aclose()
    assert transport.connections_opened == 2 and handler.resets == 0
    assert [d.data for d in handler.delivered] == [message(2)]


async def test_an_endless_reply_line_is_a_temporary_failure_and_the_connection_is_not_reused(
        server: Server, handler: SinkHandler) -> None:
    answers = iter(["550 " + "x" * 100_000, None])
    handler.on_rcpt = lambda addr: next(answers)
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(TemporaryFailure, match="longer than"):
        await transport.send(SENDER, "anna@example.org", message(1))
    await transport.send(SENDER, "anna@example.org", message(2))
    await transport.aclose()
    assert transport.connections_opened == 2
    assert [d.data for d in handler.delivered] == [message(2)]


@pytest.mark.parametrize("recipient", ["anna@example.org\r\nRCPT TO:<x@example.net>", "anna\x00@example.org",
                                       "anna@example.org> NOTIFY=NEVER", "<anna@example.org>"])
async def test_an_address_that_could_inject_a_command_is_refused_before_anything_is_sent(
        server: Server, handler: SinkHandler, recipient: str) -> None:
    transport = SmtpTransport(server.settings(), None)
    with pytest.raises(PermanentFailure, match="cannot be written") as info:
        await transport.send(SENDER, recipient, message(1))
    await transport.aclose()
    assert info.value.address_failing is True
    assert handler.peers == [] and transport.connections_opened == 0


async def test_a_non_ascii_address_is_sent_as_given_only_where_smtputf8_is_offered() -> None:
    for offered in (True, False):
        handler = SinkHandler()
        with smtp_server(handler, enable_SMTPUTF8=offered) as server:
            transport = SmtpTransport(server.settings(), None)
            if offered:
                await transport.send(SENDER, "åsa@exempel.se", message(1))
            else:
                with pytest.raises(PermanentFailure, match="SMTPUTF8"):
                    await transport.send(SENDER, "åsa@exempel.se", message(1))
            await transport.aclose()
        assert [d.recipient for d in handler.delivered] == (["åsa@exempel.se"] if offered else [])
        assert handler.mail_options == ([["SMTPUTF8"]] if offered else [])


# -- Postfix's smtp-sink: a second, independent server that pipelines -----------------------------------

def sink_settings(port: int) -> SmtpSettings:
    return Server("127.0.0.1", port, SinkHandler()).settings()


def wait_for_dumps(sink: Sink, count: int) -> list[bytes]:
    """The sink's dumps once `count` are written (it may write the last just after its 250)."""
    deadline = time.monotonic() + 5
    while True:
        found = sink.messages()
        if len(found) >= count or time.monotonic() > deadline:
            return found
        time.sleep(0.02)


async def test_smtp_sink_receives_pipelined_messages_whole_with_their_dots() -> None:
    with smtp_sink() as sink:
        transport = SmtpTransport(sink_settings(sink.port), None, local_hostname="client.test")
        for n in range(3):
            await transport.send(SENDER, f"m{n}@example.org", TRICKY)
        await transport.aclose()
        dumps = wait_for_dumps(sink, 3)
    assert dumps == [TRICKY.replace(b"\r\n", b"\n") + b"\n"] * 3  # the sink writes LF and one blank line
    assert transport.connections_opened == 1


async def test_smtp_sink_cutting_the_connection_after_rcpt_is_a_temporary_failure() -> None:
    with smtp_sink("-q", "RCPT") as sink:
        transport = SmtpTransport(sink_settings(sink.port), None, local_hostname="client.test")
        with pytest.raises(TemporaryFailure, match="dropped the connection at RCPT"):
            await transport.send(SENDER, "anna@example.org", message(1))
        await transport.aclose()
        assert sink.messages() == []


async def test_smtp_sink_aborting_after_354_is_permanent_for_the_message() -> None:
    with smtp_sink("-A", "0") as sink:
        transport = SmtpTransport(sink_settings(sink.port), None, local_hostname="client.test")
        with pytest.raises(PermanentFailure, match="550") as info:
            await transport.send(SENDER, "anna@example.org", message(1))
        await transport.aclose()
    assert info.value.address_failing is False
