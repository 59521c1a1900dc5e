"""Several networks in one daemon: starts one NetworkLoop per valid file, skips (and reports) the rest,
re-reads the files on SIGHUP, and keeps the umbrella's page up to date."""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mailer.config import Config
from mailer.config.networks import discover, load_networks, shared_problems
from mailer.config.umbrella import Umbrella, load_umbrella
from mailer.errors import ConfigError, TraffpunktError
from mailer.network import NetworkLoop, current_network
from mailer.outbound.pool import SmtpPool

log = logging.getLogger("traffpunkt")

#: A network that could not start (its database failed) is tried again this often; SIGHUP tries at once.
RETRY_SECONDS = 300.0
#: Threads a network may hold at once (IMAP IDLE blocks one, reading the inbox another, publishing a third).
THREADS_PER_NETWORK = 3
#: The umbrella's page is rebuilt this often (unchanged files are not rewritten) and after each SIGHUP.
UMBRELLA_SECONDS = 300.0


def label_of(config: Config) -> str:
    """How the log and the commands name a network: its name and its file."""
    return f"{config.network.name} ({config.path.name})"


class Supervisor:
    """Runs every network named by `paths` (files or folders) until `stop`."""

    def __init__(self, paths: Sequence[Path], pool: SmtpPool | None = None) -> None:
        self.paths = list(paths)
        self.pool = pool or SmtpPool()
        self.loops: dict[Path, NetworkLoop] = {}
        #: Networks that could not start, with the reason (retried every RETRY_SECONDS and on SIGHUP).
        self.failed: dict[Path, str] = {}
        self.umbrella: Umbrella | None = None
        self.reloads = 0
        #: Files found invalid at the last reading (the daemon exits 2 when nothing but these was given).
        self.invalid: set[Path] = set()
        self._configs: dict[Path, Config] = {}
        self._threads = 0

    # -- starting and re-reading ---------------------------------------------------------------------

    async def reload(self) -> None:
        """Read every file again: start new or changed networks, stop removed ones, keep the rest running.

        An invalid file is reported; a network already running on it keeps its last good config."""
        files = discover(self.paths)
        for problem in files.missing:
            log.error("%s", problem)
        loaded = load_networks(files.networks)
        shared = {p.file for p in shared_problems(loaded)}
        for p in shared_problems(loaded):
            log.error("%s; this network is skipped", p)
        wanted: dict[Path, Config] = {}
        self.invalid = {item.path.resolve() for item in loaded if item.config is None}
        for item in loaded:
            key = item.path.resolve()
            if item.config is None:
                for problem in item.problems:
                    log.error("%s", problem)
                keeps = " (it keeps running with its last good config)" if key in self.loops else ""
                log.error("%s: invalid, skipped%s", item.path, keeps)
                if key in self._configs:
                    wanted[key] = self._configs[key]
                continue
            if str(item.path) in shared:
                continue
            wanted[key] = item.config
        for key in [k for k in self.loops if k not in wanted]:
            await self._stop(key, "its file is gone")
        for key in [k for k in self.failed if k not in wanted]:
            del self.failed[key]
        self._ensure_threads(len(wanted))
        for key, cfg in wanted.items():
            running = self.loops.get(key)
            if running is not None and running.config == cfg:
                continue
            if running is not None:
                await self._stop(key, "its config changed")
            self._start(key, cfg)
        self.umbrella = None
        if files.umbrella is not None:
            try:
                self.umbrella = load_umbrella(files.umbrella)
            except ConfigError as exc:
                for problem in exc.problems:
                    log.error("%s", problem)
                log.error("%s: invalid; the umbrella's page is not published", files.umbrella)
        self.reloads += 1

    def _ensure_threads(self, networks: int) -> None:
        """Enough worker threads that one network blocked in IMAP IDLE never holds up another's inbox (the
        default pool has min(32, cores + 4))."""
        wanted = 8 + THREADS_PER_NETWORK * networks
        if wanted > self._threads:
            from concurrent.futures import ThreadPoolExecutor

            asyncio.get_running_loop().set_default_executor(
                ThreadPoolExecutor(max_workers=wanted, thread_name_prefix="traffpunkt"))
            self._threads = wanted

    def _start(self, key: Path, cfg: Config) -> None:
        loop = NetworkLoop(cfg, self.pool, label_of(cfg))
        self._configs[key] = cfg
        token = current_network.set(loop.label)
        try:
            loop.open()
        except TraffpunktError as exc:
            self.failed[key] = str(exc)
            log.error("cannot start: %s (the other networks keep running; retried in %d s)", exc, RETRY_SECONDS)
            return
        finally:
            current_network.reset(token)
        self.failed.pop(key, None)
        loop.start()
        self.loops[key] = loop

    async def _stop(self, key: Path, why: str) -> None:
        loop = self.loops.pop(key)
        log.info("stopping %s: %s", loop.label, why)
        await loop.stop()
        self._configs.pop(key, None)

    async def retry_failed(self) -> None:
        for key in list(self.failed):
            cfg = self._configs.get(key)
            if cfg is not None and key not in self.loops:
                self._start(key, cfg)

    # -- the umbrella --------------------------------------------------------------------------------

    async def publish_umbrella(self, now: datetime | None = None) -> None:
        """Rebuild the umbrella's page from every running network's database (read over its own
        connection); a failure is logged, never fatal."""
        umbrella = self.umbrella
        if umbrella is None:
            return
        configs = [loop.config for loop in self.loops.values()]
        try:
            changed = await asyncio.to_thread(publish_umbrella_now, umbrella, configs, now or datetime.now(UTC))
        except (TraffpunktError, OSError) as exc:
            log.warning("umbrella page not published: %s", exc)
            return
        if changed:
            log.info("umbrella page updated: %s", umbrella.output)

    # -- the daemon ----------------------------------------------------------------------------------

    async def run(self, stop: asyncio.Event | None = None) -> bool:
        """Until SIGTERM/SIGINT (or `stop`); SIGHUP re-reads the files. False when no network could start."""
        stop = stop or asyncio.Event()
        hup = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig, action in ((signal.SIGTERM, stop.set), (signal.SIGINT, stop.set), (signal.SIGHUP, hup.set)):
            try:
                loop.add_signal_handler(sig, action)
            except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover - non-Unix, not main
                pass
        try:
            await self.reload()
            if not self.loops:
                log.error("no network could start")
                return False
            log.info("traffpunkt running %d network(s)", len(self.loops))
            await self.publish_umbrella()
            while not stop.is_set():
                waiters: list[asyncio.Future[Any]] = [
                    asyncio.create_task(stop.wait()), asyncio.create_task(hup.wait()),
                    *(asyncio.shield(lp.task) for lp in self.loops.values() if lp.task is not None)]
                timeout = min(UMBRELLA_SECONDS, RETRY_SECONDS)
                done, pending = await asyncio.wait(waiters, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
                for task in pending:
                    task.cancel()
                if stop.is_set():
                    break
                self._reap()
                if hup.is_set():
                    hup.clear()
                    log.info("SIGHUP: re-reading the config files")
                    await self.reload()
                elif not done:
                    await self.retry_failed()
                await self.publish_umbrella()
        finally:
            await asyncio.gather(*(lp.stop() for lp in self.loops.values()), return_exceptions=True)
            self.loops.clear()
            await self.pool.aclose()
            for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
                try:
                    loop.remove_signal_handler(sig)
                except (NotImplementedError, RuntimeError, ValueError):  # pragma: no cover
                    pass
        return True

    def _reap(self) -> None:
        """A network's loop that ended on its own (an error it could not survive) is reported and retried."""
        for key, lp in list(self.loops.items()):
            if lp.task is not None and lp.task.done():
                del self.loops[key]
                exc = lp.task.exception() if not lp.task.cancelled() else None
                self.failed[key] = f"{type(exc).__name__}: {exc}" if exc else "stopped"
                log.error("%s stopped: %s (the others keep running; retried in %d s)", lp.label,
                          self.failed[key], RETRY_SECONDS)


def publish_umbrella_now(umbrella: Umbrella, configs: Sequence[Config], now: datetime) -> bool:
    """Open each network's database for reading, publish the umbrella's page, close them; True if changed."""
    from mailer.site.umbrella import Member, publish_umbrella, slugs
    from mailer.state.store import Store

    stores: list[Store] = []
    try:
        for cfg in configs:
            stores.append(Store.open(cfg.database))
        members = [Member(cfg, store, slug) for cfg, store, slug in zip(configs, stores, slugs(configs), strict=True)]
        return publish_umbrella(umbrella, members, now).changed
    finally:
        for store in stores:
            store.close()
