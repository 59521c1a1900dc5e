"""The SMTP client alone, side by side in one run (run by hand): pre-built messages through SmtpTransport into
Postfix's smtp-sink, the transport as it was before the lean path (aiosmtplib: four round trips, parseaddr,
a regex pass) against the current one, command by command (a sink started with -p, no PIPELINING) and
pipelined.

    .venv/bin/python bench/bench_smtp_path.py --messages 3000 --connections 1 2 4 --rounds 3

For each variant and number of connections: messages a second and the sender's CPU per message (medians of
`--rounds`, the variants interleaved in each round so that load on the machine hits them alike), and the
sink's CPU per message. `--before` names the git revision whose mailer/outbound/smtp.py is "before".
The last line is one JSON object with every median.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

SMTP_SINK = "/usr/sbin/smtp-sink"
#: The last commit before the lean SMTP path (its smtp.py is the "before" transport).
BEFORE = "6135d19"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_of(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_sink(*flags: str) -> tuple[subprocess.Popen[bytes], int]:
    port = free_port()
    user = ["-u", "nobody"] if os.geteuid() == 0 else []
    proc = subprocess.Popen([SMTP_SINK, *user, *flags, f"127.0.0.1:{port}", "256"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc, port
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"smtp-sink did not start on port {port}") from None
            time.sleep(0.05)


def load_before(rev: str) -> ModuleType:
    """mailer/outbound/smtp.py as it was at `rev`, imported as its own module."""
    source = subprocess.run(["git", "show", f"{rev}:mailer/outbound/smtp.py"], cwd=ROOT, check=True,
                            capture_output=True).stdout
    folder = Path(tempfile.mkdtemp(prefix="smtp-before-"))
    path = folder / "smtp_before.py"
    path.write_bytes(source)
    spec = importlib.util.spec_from_file_location("smtp_before", path)
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    shutil.rmtree(folder, ignore_errors=True)
    return module


def messages(count: int, size: int) -> list[tuple[str, bytes]]:
    """`count` distinct pre-built messages of about `size` bytes, CRLF, a few body lines starting with a dot."""
    out = []
    line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit, sed do eiusmod tempor.\r\n"
    for n in range(count):
        body = "".join((". a line with a leading dot\r\n" if k % 17 == 0 else line)
                       for k in range(max(1, size // len(line))))
        data = (f"From: Natverket <natverk@bench.example>\r\nTo: member{n}@bench.example\r\n"
                f"Subject: Invitation {n}\r\nMessage-ID: <bench{n}@bench.example>\r\nMIME-Version: 1.0\r\n"
                f"Content-Type: text/plain; charset=us-ascii\r\n\r\n{body}")
        out.append((f"member{n}@bench.example", data.encode()))
    return out


async def run_one(module: ModuleType, port: int, ring: list[tuple[str, bytes]], connections: int) -> tuple[
        float, float]:
    """Seconds (wall) and seconds of this process's CPU to send `ring` over `connections` connections."""
    from mailer.config import SmtpSettings

    settings = SmtpSettings(host="127.0.0.1", port=port, tls="none", username=None, password_env=None,
                            timeout_seconds=30.0, max_connections=connections, messages_per_minute=0)
    transport = module.SmtpTransport(settings, None, local_hostname="bench.client")

    async def worker(start: int) -> None:
        for n in range(start, len(ring), connections):
            recipient, data = ring[n]
            await transport.send("natverk@bench.example", recipient, data)

    await transport.send("natverk@bench.example", *ring[0])  # connect outside the measurement
    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker(k) for k in range(connections)))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await transport.aclose()
    return wall, cpu


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--messages", type=int, default=3000)
    ap.add_argument("--size", type=int, default=6000, help="bytes a message (about)")
    ap.add_argument("--connections", type=int, nargs="+", default=[1, 2, 4])
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--before", default=BEFORE, help=f"git revision of the 'before' transport ({BEFORE})")
    args = ap.parse_args()
    if not os.access(SMTP_SINK, os.X_OK):
        raise SystemExit(f"needs {SMTP_SINK} (Debian package postfix; only smtp-sink is used)")
    import mailer.outbound.smtp as after

    before = load_before(args.before)
    ring = messages(args.messages, args.size)
    piped, piped_port = start_sink()
    plain, plain_port = start_sink("-p")  # does not offer PIPELINING
    variants = {"before": (before, piped, piped_port), "after_lockstep": (after, plain, plain_port),
                "after_pipelined": (after, piped, piped_port)}
    samples: dict[str, list[tuple[float, float, float]]] = {}
    try:
        for _ in range(args.rounds):
            for c in args.connections:
                for name, (module, sink, port) in variants.items():
                    sink_cpu = cpu_of(sink.pid)
                    wall, cpu = asyncio.run(run_one(module, port, ring, c))
                    samples.setdefault(f"{name}/{c}", []).append((wall, cpu, cpu_of(sink.pid) - sink_cpu))
    finally:
        for proc in (piped, plain):
            proc.kill()
            proc.wait(10)
    result: dict[str, Any] = {"messages": args.messages, "size": len(ring[0][1]), "rounds": args.rounds,
                              "before": args.before}
    print(f"{args.messages} pre-built messages of {len(ring[0][1])} bytes into smtp-sink, medians of "
          f"{args.rounds} rounds")
    print(f"{'variant':<18}{'conns':>6}{'msg/s':>10}{'CPU ms/msg':>12}{'sink ms/msg':>13}{'vs before':>11}")
    for c in args.connections:
        base = None
        for name in variants:
            runs = samples[f"{name}/{c}"]
            rate = statistics.median(args.messages / w for w, _, _ in runs)
            cpu_ms = statistics.median(1000 * u / args.messages for _, u, _ in runs)
            sink_ms = statistics.median(1000 * s / args.messages for _, _, s in runs)
            base = base or rate
            print(f"{name:<18}{c:>6}{rate:>10.0f}{cpu_ms:>12.3f}{sink_ms:>13.3f}{rate / base:>10.2f}x")
            result[f"{name}_c{c}"] = {"msg_s": round(rate, 1), "cpu_ms_per_msg": round(cpu_ms, 4),
                                      "sink_cpu_ms_per_msg": round(sink_ms, 4)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
