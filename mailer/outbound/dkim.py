"""DKIM signing of outgoing mail at the transport boundary (dkimpy), and the DNS records to publish."""

from __future__ import annotations

import base64
import os
import stat
from pathlib import Path
from typing import TYPE_CHECKING

import dkim
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from mailer.config.dkim import DkimSettings
from mailer.errors import TransportSetupError
from mailer.outbound.transport import Transport

if TYPE_CHECKING:
    from mailer.outbound.smtp import Loan

#: Header fields signed when present (RFC 6376 5.4.1, plus List-Unsubscribe-Post: RFC 8058 wants it signed).
SIGNED = (b"from", b"sender", b"reply-to", b"subject", b"date", b"message-id", b"to", b"cc", b"mime-version",
          b"content-type", b"content-transfer-encoding", b"in-reply-to", b"references", b"list-id",
          b"list-help", b"list-unsubscribe", b"list-unsubscribe-post", b"list-post", b"list-owner",
          b"list-archive", b"auto-submitted")
#: Signed once more than they occur (once when absent), so nobody on the way can add one that a reader shows.
OVERSIGNED = (b"from", b"subject", b"to", b"date", b"message-id", b"reply-to", b"list-unsubscribe",
              b"list-unsubscribe-post")
#: A DNS TXT record is written as strings of at most 255 octets.
TXT_CHUNK = 255
MIN_BITS = 1024


class DkimKeyError(TransportSetupError):
    """The DKIM key file is missing, readable by others, or not an RSA private key: nothing is sent."""


def load_key(path: Path) -> rsa.RSAPrivateKey:
    """The RSA private key in `path`, refused unless only its owner (the daemon's user) can read it."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise DkimKeyError(f"mail.dkim.key_file {path}: cannot be read ({exc.strerror})") from None
    try:
        st = os.fstat(fd)
        if st.st_uid != os.geteuid():
            raise DkimKeyError(f"mail.dkim.key_file {path}: owned by uid {st.st_uid}, not by the daemon's user "
                               f"(uid {os.geteuid()}); chown it")
        if stat.S_IMODE(st.st_mode) & 0o077:
            raise DkimKeyError(f"mail.dkim.key_file {path}: mode {stat.S_IMODE(st.st_mode):04o} lets others "
                               "read the private key; chmod 600 it")
        with os.fdopen(fd, "rb", closefd=False) as f:
            pem = f.read(64 * 1024)
    finally:
        os.close(fd)
    try:
        key = serialization.load_pem_private_key(pem, password=None)
    except (ValueError, TypeError) as exc:
        raise DkimKeyError(f"mail.dkim.key_file {path}: not an unencrypted PEM private key ({exc})") from None
    if not isinstance(key, rsa.RSAPrivateKey):
        raise DkimKeyError(f"mail.dkim.key_file {path}: an RSA key is needed (rsa-sha256; "
                           "openssl genrsa -out dkim.pem 2048)")
    if key.key_size < MIN_BITS:
        raise DkimKeyError(f"mail.dkim.key_file {path}: {key.key_size}-bit key; receivers want 1024 or more "
                           "(2048 recommended)")
    return key


def _header_names(data: bytes) -> list[bytes]:
    """The lower-cased field names of the header, in order (continuation lines skipped)."""
    end = data.find(b"\r\n\r\n")
    head = data if end < 0 else data[:end]
    names = []
    for line in head.split(b"\n"):
        if line and line[:1] not in (b" ", b"\t"):
            name, colon, _ = line.partition(b":")
            if colon:
                names.append(name.strip().lower())
    return names


class DkimSigner:
    """Signs final message bytes as `settings.domain`; relaxed/relaxed, so relays that refold still verify."""

    def __init__(self, settings: DkimSettings) -> None:
        self.settings = settings
        self.key = load_key(settings.key_file)
        # dkimpy wants PKCS#1 PEM; the file may be PKCS#1 or PKCS#8.
        self._pem = self.key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.TraditionalOpenSSL,
                                           serialization.NoEncryption())

    def sign(self, data: bytes) -> bytes:
        """`data` with a DKIM-Signature header in front (the line ending the message uses)."""
        present = _header_names(data)
        include = [n for n in present if n in SIGNED] + list(OVERSIGNED)
        linesep = b"\r\n" if b"\r\n" in data[:4096] else b"\n"
        try:
            header = dkim.sign(data, self.settings.selector.encode(), self.settings.domain.encode(), self._pem,
                               canonicalize=(b"relaxed", b"relaxed"), include_headers=include, linesep=linesep)
        except dkim.DKIMException as exc:
            raise TransportSetupError(f"DKIM signing failed: {exc}") from None
        return bytes(header) + data

    def txt_record(self) -> str:
        """The public key as the TXT record's value: v=DKIM1; k=rsa; p=<base64 SubjectPublicKeyInfo>."""
        der = self.key.public_key().public_bytes(serialization.Encoding.DER,
                                                 serialization.PublicFormat.SubjectPublicKeyInfo)
        return f"v=DKIM1; k=rsa; p={base64.b64encode(der).decode()}"


class SigningTransport:
    """A Transport that DKIM-signs each message's final bytes and hands them to the transport it wraps."""

    def __init__(self, inner: Transport, signer: DkimSigner) -> None:
        self.inner = inner
        self.signer = signer

    async def send(self, sender: str, recipient: str, data: bytes) -> None:
        await self.inner.send(sender, recipient, self.signer.sign(data))

    async def aclose(self) -> None:
        await self.inner.aclose()

    def lend(self, connections: int) -> Loan | None:
        """The wrapped transport's loan (the drain it goes to signs with the same [mail.dkim])."""
        lend = getattr(self.inner, "lend", None)
        return lend(connections) if lend is not None else None


def txt_strings(value: str) -> str:
    """A TXT value as zone-file strings of at most 255 octets each ("..." "...")."""
    return " ".join(f'"{value[i:i + TXT_CHUNK]}"' for i in range(0, len(value), TXT_CHUNK))
