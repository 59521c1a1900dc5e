"""Postfix's smtp-sink (Debian package postfix; only this binary is used, never the MTA) on a free loopback
port, as a second real server: it offers PIPELINING, and its flags make it cut or refuse at a command."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from dovecot import REQUIRE_ENV

SMTP_SINK = "/usr/sbin/smtp-sink"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass(frozen=True)
class Sink:
    port: int
    dumps: Path

    def messages(self) -> list[bytes]:
        """Each message as smtp-sink wrote it (LF line ends, dots unstuffed), without its own headers."""
        out = []
        for f in sorted(self.dumps.iterdir(), key=lambda p: p.stat().st_mtime_ns):
            text = f.read_bytes()
            by = text.index(b"(smtp-sink) with ")  # the Received header's second line; its third is the date
            out.append(text[text.index(b"\n", text.index(b"\n", by) + 1) + 1:])
        return out


def require_sink() -> None:
    if not os.access(SMTP_SINK, os.X_OK):
        if os.environ.get(REQUIRE_ENV) == "1":
            pytest.fail(f"{SMTP_SINK} is required ({REQUIRE_ENV}=1) but not installed (Debian package postfix)")
        pytest.skip(f"no {SMTP_SINK} (Debian package postfix)")


@contextmanager
def smtp_sink(*flags: str) -> Iterator[Sink]:
    """smtp-sink for the `with` block, dumping each message into a folder of its own; `flags` as in
    `man smtp-sink` (e.g. "-q", "RCPT": disconnect without replying after RCPT)."""
    require_sink()
    # Not under pytest's tmp_path: as root, smtp-sink runs as nobody, who cannot enter those folders.
    dumps = Path(tempfile.mkdtemp(prefix="smtp-sink-"))
    user: list[str] = []
    if os.geteuid() == 0:  # smtp-sink refuses to run as root without -u
        user = ["-u", "nobody"]
        shutil.chown(dumps, "nobody")
    port = _free_port()
    proc = subprocess.Popen([SMTP_SINK, *user, "-d", f"{dumps}/%M.", *flags, f"127.0.0.1:{port}", "64"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"smtp-sink did not start: {proc.stderr.read() if proc.stderr else ''!r}"
                                       ) from None
                time.sleep(0.05)
        yield Sink(port, dumps)
    finally:
        proc.kill()
        proc.wait(10)
        if proc.stderr:
            proc.stderr.close()
        shutil.rmtree(dumps, ignore_errors=True)
