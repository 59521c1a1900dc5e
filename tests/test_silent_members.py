"""Silent members over simulated months (fixed datetimes, real SMTP and IMAP servers, a real SQLite file): the
coordinators' report before each invitation round, one "still interested?" mail, dormancy, waking up."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from dovecot import Account
from example_network import PASSWORD_ENV, append, example_text, over_smtp_and_imap
from smtp_server import Delivery, Server, SinkHandler, smtp_server

from mailer.cli import main
from mailer.state.store import Store

HEL = ZoneInfo("Europe/Helsinki")
COORDINATOR = "koordinator@kulturnatverket.fi"
pytestmark = [pytest.mark.imap, pytest.mark.slow]
#: The Dovecot account each test's network reads.
NETWORK_ACCOUNT: dict[Path, Account] = {}
ANNA, BO, CILLA, DAN = "anna@example.fi", "bo@example.fi", "cilla@example.fi", "dan@example.fi"


@pytest.fixture
def sink() -> Iterator[Server]:
    refuse = lambda address: "550 5.1.1 no such user" if address.startswith(DAN) else None  # noqa: E731
    with smtp_server(SinkHandler(on_rcpt=refuse)) as server:
        yield server


@pytest.fixture
def network(tmp_path: Path, sink: Server, imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> Path:
    text = example_text(tmp_path)
    text = text.replace("silent_after = 3", "silent_after = 2").replace("# dormant_after = 4", "dormant_after = 2")
    monkeypatch.setenv(PASSWORD_ENV, imap_account.password)
    config = tmp_path / "network.toml"
    config.write_text(over_smtp_and_imap(text, sink, imap_account, "INBOX"), encoding="utf-8")
    NETWORK_ACCOUNT[config] = imap_account
    store = Store.open(tmp_path / "var" / "traffpunkt.db")
    for address, name in ((ANNA, "Anna Lind"), (BO, "Bo Berg"), (CILLA, "Cilla Carlsson"), (DAN, "Dan Dahl")):
        store.add_member(address, name, "sv", datetime(2026, 9, 1, tzinfo=HEL))
    store.close()
    return config


def _run(config: Path, when: str) -> None:
    assert main(["run", "--once", "--now", f"{when}+02:00", "--config", str(config)]) == 0


def _to(sink: Server, kind: str, address: str | None = None) -> list[Delivery]:
    return [d for d in sink.handler.delivered if d.message()["X-Traffpunkt-Kind"] == kind
            and (address is None or d.recipient == address)]


def _text(d: Delivery) -> str:
    part = d.message().get_body(("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def _answer(config: Path, to: Delivery, subject: str, body: str = "") -> None:
    msg = EmailMessage(policy=SMTP)
    msg["From"] = to.recipient
    msg["To"] = str(to.message()["Reply-To"])
    msg["Subject"] = subject
    msg["Message-ID"] = make_msgid(domain="example.fi")
    msg.set_content(body or subject)
    append(NETWORK_ACCOUNT[config], "INBOX", [msg.as_bytes()])


def test_silent_members_are_reported_asked_once_made_dormant_and_woken_by_a_reply(
        network: Path, sink: Server, capsys: pytest.CaptureFixture[str]) -> None:
    _run(network, "2026-10-22T09:00")  # invitations for 5.11; Dan's address is refused
    [invitation] = _to(sink, "invitation", ANNA)
    _answer(network, invitation, "Re: Inbjudan", "Ja, jag kommer!")
    _run(network, "2026-10-22T10:00")

    _run(network, "2026-11-19T09:00")  # the round for 3.12: one meeting held, nobody silent for two yet
    [report] = _to(sink, "members-report", COORDINATOR)
    assert DAN in _text(report) and BO not in _text(report)
    assert not _to(sink, "still-interested")
    _answer(network, _to(sink, "invitation", ANNA)[-1], "Re: Inbjudan", "Ja, jag kommer!")
    _run(network, "2026-11-19T10:00")

    _run(network, "2027-01-21T09:00")  # the round for 4.2 (January is off): Bo and Cilla silent for two
    reports = _to(sink, "members-report", COORDINATOR)
    assert len(reports) == 2
    assert BO in _text(reports[-1]) and CILLA in _text(reports[-1]) and ANNA not in _text(reports[-1])
    assert {d.recipient for d in _to(sink, "still-interested")} == {BO, CILLA}
    assert {d.recipient for d in _to(sink, "invitation")} >= {BO, CILLA}  # still members until dormant
    [ask] = _to(sink, "still-interested", CILLA)
    stay = next(line for line in _text(ask).splitlines() if "mailto:" in line)
    assert "Jag%20vill%20vara%20kvar" in stay
    _answer(network, ask, f"Jag vill vara kvar [{ask.message()['Reply-To'].split('+')[1].split('@')[0]}]")
    _run(network, "2027-01-22T09:00")
    _run(network, "2027-01-29T09:00")  # a week: nobody dormant yet, nobody asked twice
    assert len(_to(sink, "still-interested")) == 2
    capsys.readouterr()
    assert main(["members", "dormant", "--config", str(network)]) == 0
    assert "0 dormant member(s)" in capsys.readouterr().out

    _run(network, "2027-02-05T09:00")  # two weeks after the question: Bo wrote nothing, Cilla did
    assert main(["members", "dormant", "--config", str(network)]) == 0
    out = capsys.readouterr().out
    assert BO in out and CILLA not in out and "1 dormant member(s)" in out

    _run(network, "2027-02-18T09:00")  # the round for 4.3: Bo gets no invitation; the report names him
    march = [d.recipient for d in _to(sink, "invitation") if "4.3" in d.message()["Subject"]]
    assert ANNA in march and CILLA in march and BO not in march
    report = _to(sink, "members-report", COORDINATOR)[-1]
    assert "Vilande" in _text(report) and BO in _text(report)
    assert len(_to(sink, "still-interested")) == 2  # Cilla answered: not asked again

    _answer(network, _to(sink, "still-interested", BO)[0], "Re: Vill du fortfarande vara med?", "Hej, jag är tillbaka!")
    _run(network, "2027-02-18T10:00")  # any reply wakes him: active again, and the invitation follows
    assert main(["members", "dormant", "--config", str(network)]) == 0
    assert "0 dormant member(s)" in capsys.readouterr().out
    _run(network, "2027-02-18T11:00")
    march = [d.recipient for d in _to(sink, "invitation") if "4.3" in d.message()["Subject"]]
    assert BO in march
