"""Fan-out benchmark (run by hand): personalised invitations to N members, against one loopback sink, three
ways in one run: smtp-source (the C limit), pre-built messages through SmtpTransport, the project end to end.

    .venv/bin/python bench/bench_fanout.py --members 10000 --connections 2 --sink smtp-sink

End to end is the real path: the planner queues one invitation per member (setup, not timed), then
`outbox.drain` renders each row with the `Composer`, sends it with `SmtpTransport` and marks it sent in SQLite.
Over two or more connections a second drain in a worker process sends a share; as in the running daemon of a
large network, that worker was started ahead (the spare, outbound/spare: not timed, its start's CPU not
counted); `--spare off` times a worker started by the fan-out itself (the daemon's first fan-out).
Pre-built: the same number of rendered invitations (a ring of 200) over the same transport and connections,
no rendering or database work. smtp-source: Postfix's C client, the same count of messages of the mean size
over the same number of connections kept open. The sink is Postfix's smtp-sink where installed (it spends
~0.2 ms of CPU a message) or aiosmtpd (`--sink aiosmtpd`, ~2 ms, in its own process). Afterwards, untimed,
worker processes parse every end-to-end invitation back with the stdlib and check the member's name
(non-ASCII letters too), CRLF line ends in the calendar part and the member's own reply token; any
mismatch fails the run (exit 1). The last line printed is one JSON object with the figures.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fanout_setup import bench_config, code_version, prepare, rss_mb  # noqa: E402
from fanout_sinks import (  # noqa: E402
    PREBUILT_SENDER,
    SMTP_SINK,
    SMTP_SOURCE,
    AiosmtpdSink,
    SmtpSink,
    run_smtp_source,
)
from fanout_verify import verify  # noqa: E402


def children_cpu() -> float:
    """CPU seconds of this process's finished children (a render worker, if any)."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def process_cpu(pid: int) -> float:
    """CPU seconds a running process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sender_cpu() -> float:
    """This process's CPU seconds plus those of its finished children (a render worker, if any)."""
    return time.process_time() + children_cpu()


async def send_prebuilt(transport: Any, ring: list[Any], total: int, concurrency: int) -> None:
    async def worker(start: int) -> None:
        for n in range(start, total, concurrency):
            m = ring[n % len(ring)]
            await transport.send(PREBUILT_SENDER, m.recipient, m.data)

    await asyncio.gather(*(worker(k) for k in range(concurrency)))


async def measure(workdir: Path, sink: Any, setup: dict[str, Any], connections: int, ring_size: int,
                  synchronous: str = "full", render_worker: bool = True, spare: bool = True) -> dict[str, Any]:
    """The two timed Python phases: the end-to-end drain, then the pre-built ring; CPU of sender and sink."""
    from mailer.outbound.compose import Composer
    from mailer.outbound.outbox import drain
    from mailer.outbound.render_worker import WorkerSpec
    from mailer.outbound.smtp import SmtpTransport
    from mailer.outbound.spare import keep
    from mailer.state.store import Store

    config = bench_config(workdir, sink.port, connections)
    store = Store.open(config.database)
    if synchronous != "full":  # a diagnostic only: how much of the end-to-end time is the per-message fsync
        store.db.execute(f"PRAGMA synchronous={synchronous.upper()}")
    now = setup["now"]
    composer = Composer(config, store, setup["secret"], clock=lambda: now)
    assert config.mail.smtp is not None
    transport = SmtpTransport(config.mail.smtp, None, local_hostname="bench.client")
    rss_before = rss_mb()

    spec = (WorkerSpec(config, setup["secret"], config.database, config.mail.render_worker_rows)
            if render_worker else None)  # as the daemon: a drain of 200+ renders in a worker process
    warm_cpu = 0.0
    if spec is not None and spare:  # as the running daemon: a second sender started ahead (outbound/spare)
        keep(spec, config, store.count_members())
        if spec.spare is not None and spec.spare.pid is not None:
            if not spec.spare.wait_warm(60.0):
                raise SystemExit("the spare drain worker did not get ready")
            warm_cpu = process_cpu(spec.spare.pid)  # its start, before the fan-out: not the fan-out's CPU
    cpu = {"sink0": sink.cpu_seconds(), "self0": sender_cpu() + warm_cpu, "child0": children_cpu() + warm_cpu}
    t = time.perf_counter()
    report = await drain(store, composer.render, transport, lambda: now, config=config.mail,
                         concurrency=connections, render_worker=spec)
    e2e_seconds = time.perf_counter() - t
    cpu |= {"sink1": sink.cpu_seconds(), "self1": sender_cpu(), "child1": children_cpu()}
    spare_used = bool(spec and spec.spare and spec.spare.used)
    if spec is not None and spec.spare is not None:  # the next spare: ready (idle time), then gone, so it
        spec.spare.wait_warm(60.0)                   # takes no CPU from the pre-built phase
        spec.spare.close()
    rss_after_drain = rss_mb()
    sink.end_phase("e2e")

    ring = [composer.render(row) for row in store.outbox_rows(status="sent", limit=ring_size)]
    cpu |= {"sink1b": sink.cpu_seconds(), "self1b": sender_cpu()}
    t = time.perf_counter()
    await send_prebuilt(transport, ring, report.sent, connections)
    prebuilt_seconds = time.perf_counter() - t
    cpu |= {"sink2": sink.cpu_seconds(), "self2": sender_cpu()}
    await transport.aclose()
    sink.end_phase("prebuilt")
    counts = store.outbox_counts()
    store.close()
    return {"report": report, "e2e_seconds": e2e_seconds, "prebuilt_seconds": prebuilt_seconds,
            "rss_before": rss_before, "rss_after_drain": rss_after_drain, "rss_peak": rss_mb(),
            "counts": counts, "connections_opened": transport.connections_opened,
            "worker_rendered": spec.rendered if spec else 0, "spare_used": spare_used,
            "spare_warm_cpu": warm_cpu,
            "e2e_cpu": cpu["self1"] - cpu["self0"], "e2e_worker_cpu": cpu["child1"] - cpu["child0"],
            "e2e_sink_cpu": cpu["sink1"] - cpu["sink0"],
            "prebuilt_cpu": cpu["self2"] - cpu["self1b"], "prebuilt_sink_cpu": cpu["sink2"] - cpu["sink1b"],
            "mean_size": round(sum(len(m.data) for m in ring) / max(1, len(ring)))}


def per_msg_ms(seconds: float, n: int) -> float:
    return round(1000 * seconds / max(1, n), 3)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--members", type=int, default=10_000)
    ap.add_argument("--connections", type=int, default=2, help="SMTP connections = parallel senders (2)")
    ap.add_argument("--sink", choices=["smtp-sink", "aiosmtpd"],
                    default="smtp-sink" if os.path.exists(SMTP_SINK) else "aiosmtpd",
                    help="the receiving server (default smtp-sink where /usr/sbin/smtp-sink exists)")
    ap.add_argument("--ring", type=int, default=200, help="distinct pre-built messages to cycle through")
    ap.add_argument("--render-worker", choices=["on", "off"], default="on",
                    help="render a large drain in a worker process, as the daemon does (on), or all in the "
                         "sending process (off)")
    ap.add_argument("--spare", choices=["on", "off"], default="on",
                    help="a second-drain worker started ahead, as the running daemon keeps one for a large "
                         "network (on; its start is not timed and its start's CPU not counted), or started "
                         "by the fan-out itself (off: a daemon's first fan-out)")
    ap.add_argument("--synchronous", choices=["full", "normal"], default="full",
                    help="SQLite synchronous for the drain (default full, as the daemon; normal is a diagnostic "
                         "that shows what the per-message fsync costs)")
    ap.add_argument("--workdir", type=Path, help="keep the database (and aiosmtpd's spool) here")
    ap.add_argument("--dump-dir", type=Path, default=Path("/dev/shm") if os.path.isdir("/dev/shm") else None,
                    help="where smtp-sink writes its per-message dumps (default /dev/shm, a RAM disk)")
    ap.add_argument("--setup-cache", type=Path,
                    help="keep each size's set-up database here and copy it on later runs "
                         "(while mailer/, templates/ and config/ are the same)")
    ap.add_argument("--no-smtp-source", action="store_true", help="skip the smtp-source phase")
    args = ap.parse_args()
    ctx = mp.get_context("spawn")
    tmp = tempfile.TemporaryDirectory(prefix="traffpunkt-bench-") if args.workdir is None else None
    workdir = Path(tmp.name) if tmp else args.workdir
    workdir.mkdir(parents=True, exist_ok=True)
    load_start = os.getloadavg()
    sink: Any = None
    try:
        print(f"fan-out of {args.members:,} invitations; {args.connections} connections; sink {args.sink}; "
              f"SQLite synchronous={args.synchronous.upper()}; workdir {workdir}; python {sys.version.split()[0]}; "
              f"{os.cpu_count()} CPUs; load {load_start[0]:.1f}", flush=True)
        setup = prepare(ctx, workdir, args.members, args.setup_cache)
        if setup["cached"]:
            print(f"setup: copied from {setup['cached']} in {setup['t_copy']:.1f} s", flush=True)
        print(f"setup: {args.members:,} members {setup['t_members']:.1f} s; planner + queue {setup['queued']} "
              f"{setup['t_queue']:.1f} s; setup process peak RSS {setup['rss_mb']:.0f} MB", flush=True)
        if setup["queued"].get("invitation") != args.members:
            print("FAIL: not one invitation per member queued", file=sys.stderr)
            return 1

        sink = SmtpSink(args.dump_dir or Path(tempfile.gettempdir())) if args.sink == "smtp-sink" \
            else AiosmtpdSink(ctx, workdir)
        result = asyncio.run(measure(workdir, sink, setup, args.connections, args.ring, args.synchronous,
                                     args.render_worker == "on", args.spare == "on"))
        source: dict[str, float] | None = None
        if not args.no_smtp_source and os.path.exists(SMTP_SOURCE):
            sink0 = sink.cpu_seconds()
            source = run_smtp_source(sink.port, result["report"].sent, result["mean_size"], args.connections)
            source["sink_cpu"] = sink.cpu_seconds() - sink0
            sink.end_phase("smtp-source")
        load_end = os.getloadavg()
        counts, sink_rss = sink.stop()
        t = time.perf_counter()
        verified = verify(sink.e2e_items(), setup["secret"], setup["meeting_id"], setup["list_address"])
        t_verify = time.perf_counter() - t
    finally:
        if sink is not None:
            sink.cleanup()
        if tmp:
            tmp.cleanup()

    r = result["report"]
    n = r.sent
    e2e_rate = n / result["e2e_seconds"]
    pre_rate = n / result["prebuilt_seconds"]
    print("smtp-source (C client), same sink/connections: " + (
        f"{n:,} in {source['seconds']:.2f} s = {n / source['seconds']:,.0f} msg/s" if source else "not run"))
    print(f"pre-built, same transport/connections:  {n:,} in {result['prebuilt_seconds']:.2f} s = "
          f"{pre_rate:,.0f} msg/s")
    print(f"end-to-end (render + send + mark sent): {n:,} in {result['e2e_seconds']:.2f} s = "
          f"{e2e_rate:,.0f} msg/s  (retried {r.retried}, failed {r.failed})")
    print(f"CPU ms a message, sender / sink: end-to-end {per_msg_ms(result['e2e_cpu'], n)} / "
          f"{per_msg_ms(result['e2e_sink_cpu'], n)} (of the sender: render worker "
          f"{per_msg_ms(result['e2e_worker_cpu'], n)}, daemon "
          f"{per_msg_ms(result['e2e_cpu'] - result['e2e_worker_cpu'], n)})"
          f"; pre-built {per_msg_ms(result['prebuilt_cpu'], n)} / "
          f"{per_msg_ms(result['prebuilt_sink_cpu'], n)}" + (
              f"; smtp-source {per_msg_ms(source['cpu'], n)} / {per_msg_ms(source['sink_cpu'], n)}"
              if source else ""))
    print(f"ratio end-to-end / pre-built: {e2e_rate / pre_rate:.2f}  (target >= 0.5)")
    print(f"peak RSS of the sending process: {result['rss_peak']:.0f} MB (after imports and opening "
          f"{result['rss_before']:.0f} MB, after the drain {result['rss_after_drain']:.0f} MB; target <= 100 MB)")
    print(f"connections opened: {result['connections_opened']}; mean message size {result['mean_size']:,} "
          f"bytes; outbox {result['counts']}; load average {load_start[0]:.1f} -> {load_end[0]:.1f}")
    print(f"sink {sink.name}: received {counts} (peak RSS {sink_rss:.0f} MB, not counted above); verified "
          f"{verified['checked']:,} invitations to {verified['distinct']:,} distinct members "
          f"({verified['non_ascii_names']:,} with non-ASCII names) in {t_verify:.1f} s")
    expected = {"e2e": args.members, "prebuilt": args.members} | ({"smtp-source": args.members} if source else {})
    ok = (not verified["failed"] and verified["checked"] == args.members == verified["distinct"]
          and all(counts.get(k) == v for k, v in expected.items()) and n == args.members)
    for e in verified["errors"]:
        print(f"  MISMATCH {e}", file=sys.stderr)
    print("checks: " + ("OK" if ok else "FAILED"))
    print(json.dumps({
        "members": args.members, "connections": args.connections, "sink": sink.name,
        "smtp_source_msg_s": round(n / source["seconds"], 1) if source else None,
        "prebuilt_msg_s": round(pre_rate, 1), "end_to_end_msg_s": round(e2e_rate, 1),
        "ratio": round(e2e_rate / pre_rate, 3),
        "prebuilt_to_smtp_source": round(pre_rate * source["seconds"] / n, 3) if source else None,
        "end_to_end_sender_cpu_ms": per_msg_ms(result["e2e_cpu"], n),
        "end_to_end_render_worker_cpu_ms": per_msg_ms(result["e2e_worker_cpu"], n),
        "end_to_end_daemon_cpu_ms": per_msg_ms(result["e2e_cpu"] - result["e2e_worker_cpu"], n),
        "end_to_end_sink_cpu_ms": per_msg_ms(result["e2e_sink_cpu"], n),
        "prebuilt_sender_cpu_ms": per_msg_ms(result["prebuilt_cpu"], n),
        "prebuilt_sink_cpu_ms": per_msg_ms(result["prebuilt_sink_cpu"], n),
        "smtp_source_sender_cpu_ms": per_msg_ms(source["cpu"], n) if source else None,
        "smtp_source_sink_cpu_ms": per_msg_ms(source["sink_cpu"], n) if source else None,
        "peak_rss_mb": round(result["rss_peak"], 1), "sink_peak_rss_mb": round(sink_rss, 1),
        "end_to_end_seconds": round(result["e2e_seconds"], 2), "prebuilt_seconds": round(result["prebuilt_seconds"], 2),
        "smtp_source_seconds": round(source["seconds"], 2) if source else None,
        "mean_size": result["mean_size"], "sent": n, "retried": r.retried, "failed": r.failed,
        "worker_rendered": result["worker_rendered"], "spare_used": result["spare_used"],
        "spare_warm_cpu_s": round(result["spare_warm_cpu"], 2), "received": counts, "checked": verified["checked"],
        "checked_ok": ok,
        "setup_seconds": round(setup["t_members"] + setup["t_queue"], 1), "setup_cached": bool(setup["cached"]),
        "verify_seconds": round(t_verify, 1), "load_start": round(load_start[0], 2),
        "load_end": round(load_end[0], 2), "synchronous": args.synchronous, "commit": code_version(),
        "python": sys.version.split()[0],
    }), flush=True)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
