"""Fan-out bench sinks: Postfix's smtp-sink (a C process, dumps each message to a file) or aiosmtpd (a
Python process, spools to one file), both on loopback, with their CPU and memory, and smtp-source."""

from __future__ import annotations

import os
import resource
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

SMTP_SINK = "/usr/sbin/smtp-sink"
SMTP_SOURCE = "/usr/sbin/smtp-source"
PREBUILT_SENDER = "prebuilt@bench.invalid"
SOURCE_SENDER = "source@bench.invalid"
PHASES = ("e2e", "prebuilt", "smtp-source")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(port: int, proc: Any, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                return s.recv(3) == b"220"
        except OSError:
            time.sleep(0.05)
    return False


class SmtpSink:
    """smtp-sink on 127.0.0.1 dumping every transaction to its own file under a fresh directory; after
    each phase the directory is moved aside (kept for the end-to-end phase, removed otherwise)."""

    name = "smtp-sink"

    def __init__(self, dump_root: Path) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="traffpunkt-sink-", dir=dump_root))
        self.root.chmod(0o777)  # smtp-sink must drop root (-u nobody) and still write here
        self.counts: dict[str, int] = {}
        self.kept: Path | None = None
        for _ in range(5):
            self.port = _free_port()
            args = [SMTP_SINK, "-h", "sink.bench", "-d", f"{self.root}/current/"]
            if os.geteuid() == 0:
                args[1:1] = ["-u", "nobody"]
            with open(self.root / "smtp-sink.log", "ab") as log:
                self.proc = subprocess.Popen([*args, f"127.0.0.1:{self.port}", "256"], stdin=subprocess.DEVNULL,
                                             stdout=log, stderr=log)
            if _wait_listening(self.port, self.proc):
                return
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError(f"smtp-sink did not start: {(self.root / 'smtp-sink.log').read_text()[-2000:]}")

    def cpu_seconds(self) -> float:
        stat = Path(f"/proc/{self.proc.pid}/stat").read_text()
        fields = stat[stat.rindex(")") + 2:].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime

    def rss_mb(self) -> float:
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
        return 0.0

    def end_phase(self, phase: str) -> None:
        current = self.root / "current"
        if not current.exists():
            self.counts[phase] = 0
            return
        moved = current.rename(self.root / phase)  # smtp-sink makes a new current/ on the next message
        self.counts[phase] = sum(1 for _ in os.scandir(moved))
        if phase == "e2e":
            self.kept = moved
        else:
            shutil.rmtree(moved)

    def stop(self) -> tuple[dict[str, int], float]:
        rss = self.rss_mb()
        self.proc.terminate()
        self.proc.wait(10)
        return self.counts, rss

    def e2e_items(self) -> Iterator[str]:
        if self.kept is not None:
            for entry in os.scandir(self.kept):
                yield entry.path

    def cleanup(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.root, ignore_errors=True)


class AiosmtpdSink:
    """aiosmtpd in its own process (so its memory is not the sender's): counts per phase, spools the
    end-to-end invitations to one file."""

    name = "aiosmtpd"

    def __init__(self, ctx: Any, workdir: Path) -> None:
        self.spool = workdir / "sink.spool"
        self.conn, there = ctx.Pipe()
        self.proc = ctx.Process(target=aiosmtpd_main, args=(there, str(self.spool)))
        self.proc.start()
        self.port = int(self.conn.recv())

    def cpu_seconds(self) -> float:
        self.conn.send("cpu")
        return float(self.conn.recv())

    def end_phase(self, phase: str) -> None:
        pass  # the sink counts by envelope sender

    def stop(self) -> tuple[dict[str, int], float]:
        self.conn.send("stop")
        counts, rss = self.conn.recv()
        self.proc.join()
        return counts, rss

    def e2e_items(self) -> Iterator[tuple[str, bytes]]:
        with open(self.spool, "rb") as f:
            while head := f.read(8):
                n_rcpt, n_data = struct.unpack("!II", head)
                yield f.read(n_rcpt).decode(), f.read(n_data)

    def cleanup(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()


def aiosmtpd_main(conn: Connection, spool: str) -> None:
    """aiosmtpd on 127.0.0.1:0; counts every message by phase, spools the end-to-end ones to disk."""
    from aiosmtpd.controller import Controller

    phase_of = {PREBUILT_SENDER: "prebuilt", SOURCE_SENDER: "smtp-source"}

    class Handler:
        def __init__(self) -> None:
            self.counts = dict.fromkeys(PHASES, 0)
            self.out = open(spool, "wb")  # noqa: SIM115 - closed at the end of the run

        async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
            phase = phase_of.get(envelope.mail_from, "e2e")
            self.counts[phase] += 1
            if phase == "e2e":
                rcpt = envelope.rcpt_tos[0].encode()
                data = envelope.original_content
                self.out.write(struct.pack("!II", len(rcpt), len(data)) + rcpt + data)
            return "250 OK"

    class PortZero(Controller):  # type: ignore[misc]
        def _create_server(self) -> Any:
            async def bind() -> Any:
                server = await self.loop.create_server(self._factory_invoker, host=self.hostname, port=0)
                self.port = server.sockets[0].getsockname()[1]
                return server
            return bind()

    handler = Handler()
    controller = PortZero(handler, hostname="127.0.0.1", server_hostname="sink.bench")
    controller.start()
    conn.send(controller.port)
    while (cmd := conn.recv()) != "stop":
        if cmd == "cpu":
            ru = resource.getrusage(resource.RUSAGE_SELF)
            conn.send(ru.ru_utime + ru.ru_stime)
    controller.stop()
    handler.out.close()
    conn.send((handler.counts, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024))


def run_smtp_source(port: int, count: int, size: int, connections: int) -> dict[str, float]:
    """smtp-source: `count` messages with a `size`-byte body over `connections` sessions kept open (-d),
    as the project's transport keeps its connections; wall seconds and its CPU seconds."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    subprocess.run([SMTP_SOURCE, "-d", "-s", str(connections), "-m", str(count), "-l", str(size),
                    "-f", SOURCE_SENDER, "-t", "source-rcpt@bench.invalid", "-M", "bench.client",
                    f"127.0.0.1:{port}"], check=True, stdin=subprocess.DEVNULL, timeout=3600)
    seconds = time.perf_counter() - t
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return {"seconds": seconds,
            "cpu": after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime}
