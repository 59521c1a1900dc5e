"""A member's data under the GDPR through the real commands: export shows all of it; erase leaves no trace."""

from __future__ import annotations

import json
import mailbox
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import make_msgid
from pathlib import Path

import pytest
from dovecot import Account
from example_network import append, example_text, imap_network
from smtp_server import SinkHandler, smtp_server

from mailer.cli import main
from mailer.inbound.forget import mentions

ADDRESS = "paivi.makela@galleriavalo.fi"
NAME = "Päivi Mäkelä"


def _mail(frm: str, to: str, body: str, *, vouched: bool = False) -> bytes:
    msg = EmailMessage(policy=SMTP)
    if vouched:
        domain = frm.rpartition("@")[2].rstrip(">")
        msg["Authentication-Results"] = f"mx.kulturnatverket.fi; dkim=pass header.d={domain}; dmarc=pass"
        msg["Received"] = "from mail.example (mail.example [192.0.2.25]) by mx.kulturnatverket.fi with ESMTPS"
    msg["From"] = frm
    msg["To"] = to
    msg["Subject"] = "Re: Kutsu"
    msg["Date"] = "Fri, 20 Nov 2026 09:00:00 +0200"
    msg["Message-ID"] = make_msgid(domain="client.example")
    msg.set_content(body)
    return msg.as_bytes()


def _reply_to(outbox: Path, address: str) -> str:
    for path in (outbox / "new").iterdir():
        data = path.read_bytes()
        if f"Delivered-To: {address}".encode() in data and b"X-Traffpunkt-Kind: invitation" in data:
            line = next(x for x in data.split(b"\n") if x.startswith(b"Reply-To: "))
            return line.split(b" ", 1)[1].strip().decode()
    raise AssertionError("no invitation")


@pytest.fixture
def network(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> Path:
    """The example network a month on: Päivi answered with a topic, sent one unproven mail (quarantined),
    the coordinator's memo notes and the catering list name her."""
    config = tmp_path / "etc" / "network.toml"
    config.parent.mkdir()
    config.write_text(example_text(tmp_path), encoding="utf-8")
    c = ["--config", str(config)]
    assert main(["members", "import", *c]) == 0
    assert main(["run", "--once", "--now", "2026-11-19T09:00+02:00", *c]) == 0
    inbox = mailbox.Maildir(tmp_path / "var" / "inbox", create=True)
    token_address = _reply_to(tmp_path / "var" / "outbox", ADDRESS)
    inbox.add(_mail(f"{NAME} <{ADDRESS}>", token_address,
                    f"Kyllä, tulen! Haluaisin puhua yhteisestä kalenterista.\n\nTerveisin\n{NAME}\n"))
    inbox.add(_mail(f"{NAME} <{ADDRESS}>", "natverk@kulturnatverket.fi", "Kuka olen?\n"))
    inbox.add(_mail("Koordinatorn <koordinator@kulturnatverket.fi>", "memo@kulturnatverket.fi",
                    f"{NAME} visade sitt galleri.\n\nAnna Lindqvist tar fram en kalender.\n", vouched=True))
    assert main(["run", "--once", "--now", "2026-11-20T10:00+02:00", *c]) == 0
    for day in ("2026-11-30", "2026-12-01", "2026-12-02", "2026-12-03"):
        assert main(["run", "--once", "--now", f"{day}T09:00+02:00", *c]) == 0
    capsys.readouterr()
    return config


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_export_prints_the_members_row_answers_topics_inbound_outbox_and_log(
        network: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["members", "export", ADDRESS, "--config", str(network)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["member"]["address"] == ADDRESS and data["member"]["name"] == NAME
    assert [(a["meeting"], a["answer"]) for a in data["answers"]] == [("2026-12-03", "yes")]
    assert any("kalenteri" in t["text"] for t in data["topics"])
    assert {r["status"] for r in data["inbound"]} >= {"processed"}
    assert {"invitation", "confirmation"} <= {r["kind"] for r in data["outbox"]}
    assert any(e["event"] == "member-added" for e in data["log"])
    assert main(["members", "export", "nobody@example.org", "--config", str(network)]) == 2


def test_erase_leaves_the_address_and_name_nowhere_in_database_wal_site_or_maildirs(
        network: Path, capsys: pytest.CaptureFixture[str]) -> None:
    root = network.parent.parent
    needles = [ADDRESS.encode(), NAME.encode(), NAME.lower().encode()]
    before = [p for p in _files(root) if any(n in p.read_bytes().lower() for n in needles)]
    assert any(p.name == "traffpunkt.db" or p.name.endswith("-wal") for p in before)  # the search can fail
    assert any(".processed" in p.parts for p in before) and any("outbox" in p.parts for p in before)
    assert any(".quarantine" in p.parts for p in before)

    assert main(["members", "erase", ADDRESS, "--config", str(network)]) == 0
    assert "erased" in capsys.readouterr().out

    for path in _files(root):
        data = path.read_bytes()
        assert not any(n in data.lower() for n in needles), path
        if "var" in path.parts and ("new" in path.parts or "cur" in path.parts):
            assert not mentions(data, [ADDRESS, NAME]), path  # nor in an encoded header or body
    wal = root / "var" / "traffpunkt.db-wal"
    assert not wal.exists() or wal.stat().st_size == 0
    # the others are untouched: still members, still in the memo and the outbox copies
    assert main(["members", "list", "--config", str(network)]) == 0
    assert "7 member(s)" in capsys.readouterr().out
    assert any(b"anna.lindqvist@teaterforum.fi" in p.read_bytes() for p in _files(root / "var" / "outbox"))


@pytest.mark.imap
@pytest.mark.slow
def test_erase_removes_the_members_mail_from_the_imap_processed_and_quarantine_folders(
        tmp_path: Path, imap_account: Account, monkeypatch: pytest.MonkeyPatch) -> None:
    with smtp_server(SinkHandler()) as sink:
        config = imap_network(tmp_path, example_text(tmp_path), sink, imap_account, "Svar", monkeypatch)
        c = ["--config", str(config)]
        assert main(["run", "--once", "--now", "2026-11-19T09:00+02:00", *c]) == 0
        append(imap_account, "Svar", [
            _mail(f"{NAME} <{ADDRESS}>", "natverk@kulturnatverket.fi", "Kyllä, tulen!\n", vouched=True),
            _mail(f"{NAME} <{ADDRESS}>", "natverk@kulturnatverket.fi", "Kuka olen?\n"),
            _mail("Anna Lindqvist <anna.lindqvist@teaterforum.fi>", "natverk@kulturnatverket.fi",
                  "Ja, jag kommer.\n", vouched=True)])
        assert main(["run", "--once", "--now", "2026-11-20T10:00+02:00", *c]) == 0

        def kept() -> dict[str, list[bytes]]:
            client = imap_account.imap()
            try:
                out = {}
                for folder in ("traffpunkt.processed", "traffpunkt.quarantine"):
                    assert client.select(folder)[0] == "OK"  # Dovecot: "." between levels
                    _, data = client.uid("SEARCH", None, "ALL")
                    uids = data[0].split()
                    out[folder] = [client.uid("FETCH", u, "(RFC822)")[1][0][1] for u in uids]
                return out
            finally:
                client.logout()

        before = kept()
        assert any(ADDRESS.encode() in m for m in before["traffpunkt.processed"])
        assert any(ADDRESS.encode() in m for m in before["traffpunkt.quarantine"])
        assert main(["members", "erase", ADDRESS, *c]) == 0
        after = kept()
        assert not any(ADDRESS.encode() in m for ms in after.values() for m in ms)
        assert any(b"anna.lindqvist@teaterforum.fi" in m for m in after["traffpunkt.processed"])
