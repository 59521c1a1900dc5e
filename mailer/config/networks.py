"""Which networks one daemon runs: `--config` files given one or more times, or folders of `*.toml` files."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from mailer.config.load import load_config
from mailer.config.model import Config
from mailer.errors import ConfigError, ConfigProblem

#: In a folder of networks, this file holds the umbrella's own settings; it is not a network.
UMBRELLA_FILE = "umbrella.toml"


@dataclass(frozen=True)
class NetworkFiles:
    """The network files found (in the order given, each folder's sorted by name) and the umbrella's file."""

    networks: tuple[Path, ...]
    umbrella: Path | None
    #: Paths given that are neither a file nor a folder holding *.toml (reported, never fatal to the others).
    missing: tuple[ConfigProblem, ...] = ()


@dataclass(frozen=True)
class Loaded:
    """One network's file, read: its config, or the problems that keep it from running."""

    path: Path
    config: Config | None
    problems: tuple[ConfigProblem, ...] = ()

    @property
    def ok(self) -> bool:
        return self.config is not None


def discover(paths: Sequence[Path]) -> NetworkFiles:
    """Expand folders into their `*.toml` files (except umbrella.toml); a path named twice counts once."""
    found: list[Path] = []
    seen: set[Path] = set()
    umbrella: Path | None = None
    missing: list[ConfigProblem] = []

    def add(files: Iterable[Path]) -> None:
        for f in files:
            key = f.resolve()
            if key not in seen:
                seen.add(key)
                found.append(f)

    for path in paths:
        if path.is_dir():
            tomls = sorted(p for p in path.glob("*.toml") if p.is_file())
            networks = [p for p in tomls if p.name != UMBRELLA_FILE]
            if (path / UMBRELLA_FILE).is_file() and umbrella is None:
                umbrella = path / UMBRELLA_FILE
            if not networks:
                missing.append(ConfigProblem(str(path), "(folder)", "a folder holding one *.toml file per network"))
            add(networks)
        elif path.name == UMBRELLA_FILE and path.is_file():
            umbrella = umbrella or path
        else:
            add([path])  # a missing file is reported by load_networks, with the others still running
    return NetworkFiles(tuple(found), umbrella, tuple(missing))


def load_networks(files: Iterable[Path]) -> list[Loaded]:
    """Read each network's file on its own: an invalid one carries its problems, the others their config."""
    out: list[Loaded] = []
    for path in files:
        try:
            out.append(Loaded(path, load_config(path)))
        except ConfigError as exc:
            out.append(Loaded(path, None, tuple(exc.problems)))
    return out


def shared_problems(loaded: Sequence[Loaded]) -> list[ConfigProblem]:
    """What several valid networks may not share: a database, a site folder or an inbox."""
    problems: list[ConfigProblem] = []
    owners: dict[tuple[str, Path], Path] = {}
    for item in loaded:
        cfg = item.config
        if cfg is None:
            continue
        for what, place in (("storage.database", cfg.database), ("site.output", cfg.site.output)):
            key = (what, place.resolve())
            first = owners.setdefault(key, item.path)
            if first != item.path:
                problems.append(ConfigProblem(str(item.path), what,
                                              f"a {what.split('.')[1]} of its own ({place} is also {first}'s)"))
    return problems
