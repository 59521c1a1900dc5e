"""Outgoing mail is DKIM-signed after its bytes are final: every kind verifies with the published key, a
changed message does not, and a key others can read is refused before anything is sent."""

from __future__ import annotations

import asyncio
import re
import subprocess
from dataclasses import replace
from pathlib import Path

import dkim
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec as ec_keys
from cryptography.hazmat.primitives.asymmetric import rsa
from smtp_server import smtp_server

from mailer import PROJECT_ROOT
from mailer.cli import main
from mailer.cli.check import setup_problems
from mailer.config import LANGUAGES, Config, load_config
from mailer.config.dkim import DkimSettings
from mailer.models import Member
from mailer.outbound.compose import KINDS, MEETING_KINDS, Composer, sample_context, sample_meetings
from mailer.outbound.dkim import DkimKeyError, DkimSigner
from mailer.outbound.dnsrecords import records
from mailer.outbound.factory import make_transport
from mailer.state.store import Store

DOMAIN, SELECTOR = "kulturnatverket.fi", "tp2026"


def write_key(path: Path, bits: int = 2048, mode: int = 0o600) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                       serialization.NoEncryption()))
    path.chmod(mode)
    return path


def ec_key() -> ec_keys.EllipticCurvePrivateKey:
    return ec_keys.generate_private_key(ec_keys.SECP256R1())


@pytest.fixture(scope="module")
def key_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_key(tmp_path_factory.mktemp("dkim") / "dkim.pem")


def signing_config(key: Path, **mail: object) -> Config:
    cfg = load_config(PROJECT_ROOT / "config" / "network.example.toml")
    return replace(cfg, mail=replace(cfg.mail, dkim=DkimSettings(DOMAIN, SELECTOR, key), **mail))


def published(cfg: Config) -> bytes:
    """The TXT value `traffpunkt dns-records` prints for the selector, as a resolver would return it."""
    line = next(x for x in records(cfg) if x.startswith(f"{SELECTOR}._domainkey.{DOMAIN}."))
    return "".join(re.findall(r'"([^"]*)"', line)).encode()


def verifies(data: bytes, txt: bytes) -> bool:
    def dnsfunc(name: bytes, timeout: int = 5) -> bytes | None:
        return txt if name == f"{SELECTOR}._domainkey.{DOMAIN}.".encode() else None

    return bool(dkim.verify(data, dnsfunc=dnsfunc))


def member(language: str) -> Member:
    from datetime import UTC, datetime

    return Member(id=42, name="Åsa Öberg", address="asa@example.org", organisation="Kulturhuset",
                  language=language, status="active", joined=datetime(2026, 1, 1, tzinfo=UTC))


@pytest.mark.slow
def test_every_kind_sent_over_smtp_verifies_with_the_published_key(key_file: Path) -> None:
    with smtp_server() as server:
        cfg = signing_config(key_file, transport="smtp", smtp=server.settings())
        composer = Composer(cfg, Store.memory(), b"secret")
        meeting = sample_meetings(cfg)[0]
        sent: list[tuple[str, str]] = []

        async def send_all() -> None:
            transport = make_transport(cfg)
            try:
                for language in LANGUAGES:
                    for kind in KINDS:
                        for m in [meeting] if kind in MEETING_KINDS else [meeting, None]:
                            r = composer.preview(kind, member(language), m, sample_context(kind))
                            await transport.send(r.sender, r.recipient, r.data)
                            sent.append((kind, language))
            finally:
                await transport.aclose()

        asyncio.run(send_all())
        txt = published(cfg)
        delivered = server.handler.delivered
        assert len(delivered) == len(sent) > len(KINDS) * 3
        for (kind, language), delivery in zip(sent, delivered, strict=True):
            msg = delivery.message()
            assert msg["X-Traffpunkt-Kind"] == kind
            assert f"d={DOMAIN}" in msg["DKIM-Signature"] and f"s={SELECTOR}" in msg["DKIM-Signature"]
            assert verifies(delivery.data, txt), f"{kind} ({language}) does not verify"


def test_signature_covers_from_subject_body_and_one_click_unsubscribe(key_file: Path) -> None:
    cfg = signing_config(key_file)
    r = Composer(cfg, Store.memory(), b"secret").preview("invitation", member("sv"), sample_meetings(cfg)[0],
                                                         sample_context("invitation"))
    signed = DkimSigner(cfg.mail.dkim).sign(r.data)  # type: ignore[arg-type]
    txt = published(cfg)
    assert verifies(signed, txt)
    header = signed.split(b"\r\n\r\n", 1)[0].decode()
    h_tag = re.search(r"\bh=([^;]+)", header.replace("\r\n", "").replace(" ", "").replace("\t", ""))
    assert h_tag is not None
    names = h_tag.group(1).lower().split(":")
    assert {"from", "subject", "list-unsubscribe", "list-unsubscribe-post", "message-id"} <= set(names)
    assert names.count("from") == 2  # a second From added on the way breaks the signature
    body_at = signed.index(b"\r\n\r\n")
    tampered = signed[:body_at] + signed[body_at:].replace(b"Kulturhuset", b"Kulturhusat", 1)
    assert tampered != signed and not verifies(tampered, txt)
    for added in (b"From: <mallory@example.net>", b"List-Unsubscribe-Post: List-Unsubscribe=One-Click"):
        assert not verifies(signed[:body_at] + b"\r\n" + added + signed[body_at:], txt)
    assert verifies(signed[:body_at] + b"\r\nX-Relay: added on the way" + signed[body_at:], txt)


def test_maildir_transport_signs_too(key_file: Path, tmp_path: Path) -> None:
    cfg = signing_config(key_file, outbox_maildir=tmp_path / "outbox")
    r = Composer(cfg, Store.memory(), b"secret").preview("help", member("en"), None, sample_context("help"))

    async def send() -> None:
        t = make_transport(cfg)
        await t.send(r.sender, r.recipient, r.data)
        await t.aclose()

    asyncio.run(send())
    files = [p for p in (tmp_path / "outbox").rglob("*") if p.is_file()]
    assert len(files) == 1 and verifies(files[0].read_bytes(), published(cfg))


@pytest.mark.parametrize("mode", [0o640, 0o604])
def test_a_key_others_can_read_is_refused_and_check_says_so(tmp_path: Path, mode: int) -> None:
    key = write_key(tmp_path / "dkim.pem", bits=1024, mode=mode)
    with pytest.raises(DkimKeyError, match="chmod 600"):
        DkimSigner(DkimSettings(DOMAIN, SELECTOR, key))
    problems = setup_problems(signing_config(key))
    assert any(p.key == "mail.dkim.key_file" and "chmod 600" in p.expected for p in problems)


def test_a_missing_or_wrong_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(DkimKeyError, match="cannot be read"):
        DkimSigner(DkimSettings(DOMAIN, SELECTOR, tmp_path / "absent.pem"))
    junk = tmp_path / "junk.pem"
    junk.write_text("not a key")
    junk.chmod(0o600)
    with pytest.raises(DkimKeyError, match="PEM private key"):
        DkimSigner(DkimSettings(DOMAIN, SELECTOR, junk))
    small = tmp_path / "small.pem"  # (cryptography will not make one this weak; openssl will)
    subprocess.run(["openssl", "genrsa", "-out", str(small), "768"], check=True, capture_output=True)
    small.chmod(0o600)
    with pytest.raises(DkimKeyError, match="1024 or more"):
        DkimSigner(DkimSettings(DOMAIN, SELECTOR, small))
    ec = tmp_path / "ec.pem"
    ec.write_bytes(ec_key().private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                          serialization.NoEncryption()))
    ec.chmod(0o600)
    with pytest.raises(DkimKeyError, match="RSA key is needed"):
        DkimSigner(DkimSettings(DOMAIN, SELECTOR, ec))


def test_dkim_table_is_read_and_checked(tmp_path: Path) -> None:
    example = (PROJECT_ROOT / "config" / "network.example.toml").read_text()
    good = tmp_path / "good.toml"
    good.write_text(example.replace("[mail.maildir]", '[mail.dkim]\ndomain = "Kulturnatverket.fi"\n'
                                    'selector = "tp2026"\nkey_file = "keys/dkim.pem"\n\n[mail.maildir]'))
    cfg = load_config(good)
    assert cfg.mail.dkim == DkimSettings("kulturnatverket.fi", "tp2026", tmp_path / "keys" / "dkim.pem")
    bad = tmp_path / "bad.toml"
    bad.write_text(example.replace("[mail.maildir]", '[mail.dkim]\ndomain = "kultur natverket"\n'
                                   'selector = "tp"\nkeyfile = "x"\n\n[mail.maildir]'))
    with pytest.raises(Exception) as info:
        load_config(bad)
    text = str(info.value)
    assert "mail.dkim.domain" in text and "mail.dkim.keyfile" in text and "mail.dkim.key_file" in text


def test_dns_records_command_prints_dkim_spf_and_dmarc(key_file: Path, tmp_path: Path,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    example = (PROJECT_ROOT / "config" / "network.example.toml").read_text()
    path = tmp_path / "net.toml"
    path.write_text(example.replace("[mail.maildir]", f'[mail.dkim]\ndomain = "{DOMAIN}"\nselector = '
                                    f'"{SELECTOR}"\nkey_file = "{key_file}"\n\n[mail.maildir]'))
    assert main(["dns-records", "--config", str(path)]) == 0
    out = capsys.readouterr().out
    assert f"{SELECTOR}._domainkey.{DOMAIN}. 3600 IN TXT \"v=DKIM1; k=rsa; p=" in out
    assert all(len(s) <= 255 for s in re.findall(r'"([^"]*)"', out))
    assert f'{DOMAIN}. 3600 IN TXT "v=spf1 ' in out
    assert f'_dmarc.{DOMAIN}. 3600 IN TXT "v=DMARC1; p=none; rua=mailto:' in out


def test_run_once_signs_every_invitation_it_writes(key_file: Path, tmp_path: Path) -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from example_network import example_text

    path = tmp_path / "network.toml"
    path.write_text(example_text(tmp_path).replace(
        "[mail.maildir]", f'[mail.dkim]\ndomain = "{DOMAIN}"\nselector = "{SELECTOR}"\nkey_file = "{key_file}"\n\n'
                          "[mail.maildir]"), encoding="utf-8")
    assert main(["members", "import", "--config", str(path)]) == 0
    when = datetime(2026, 11, 19, 9, 0, tzinfo=ZoneInfo("Europe/Helsinki"))
    assert main(["run", "--once", "--config", str(path), "--now", when.isoformat()]) == 0
    cfg = load_config(path)
    files = [p for p in cfg.mail.outbox_maildir.rglob("*") if p.is_file()]
    assert len(files) >= 3
    txt = published(cfg)
    assert all(verifies(f.read_bytes(), txt) for f in files)
