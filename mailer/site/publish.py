"""Publish the site: render it in memory (pages, feeds) and swap it into [site] output whole, so a web server
never serves half a site."""

# Only relative links, so the folder can be served from any path.

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from mailer.config import Config
from mailer.site.pages import MARKER, PublishError, RenderedSite, build_site
from mailer.site.words import WORDS, redact_addresses
from mailer.state.store import Store

__all__ = ["WORDS", "PublishError", "PublishReport", "RenderedSite", "build_site", "publish",
           "redact_addresses", "site_output", "write_site"]

_AT_FDCWD = -100
_RENAME_EXCHANGE = 2


@dataclass(frozen=True)
class PublishReport:
    """What `publish` wrote: the folder, its files, and whether anything changed since the last publish."""

    output: Path
    files: tuple[str, ...]
    changed: bool
    next_meeting: date | None
    #: VEVENTs in meetings.ics, entries in feed.atom, memo pages.
    events: int
    entries: int
    memos: int


def site_output(config: Config) -> Path:
    """The folder the site goes to ([site] output; a relative path is taken from the config file's folder)."""
    out = config.site.output
    return out if out.is_absolute() else config.path.resolve().parent / out


def publish(config: Config, store: Store, now: datetime) -> PublishReport:
    """Render the site and swap it into [site] output; an unchanged site is left untouched."""
    site = build_site(config, store, now)
    output = site_output(config)
    changed = write_site(site.files, output)
    return PublishReport(output=output, files=tuple(sorted(site.files)), changed=changed,
                         next_meeting=site.next_meeting, events=site.events, entries=site.entries,
                         memos=site.memos)


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path, "a") as f:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(f.fileno(), fcntl.LOCK_UN)


def _same(files: Mapping[str, bytes], output: Path) -> bool:
    if not output.is_dir():
        return False
    present = {p.name for p in output.iterdir()}
    if present != set(files):
        return False
    return all((output / name).is_file() and (output / name).read_bytes() == data
               for name, data in files.items())


def _exchange(a: Path, b: Path) -> bool:
    """Swap two paths in one step (Linux renameat2 RENAME_EXCHANGE); False where the system cannot."""
    try:
        fn = ctypes.CDLL(None, use_errno=True).renameat2
    except (OSError, AttributeError):
        return False
    fn.argtypes = [ctypes.c_int, ctypes.c_char_p, ctypes.c_int, ctypes.c_char_p, ctypes.c_uint]
    fn.restype = ctypes.c_int
    return int(fn(_AT_FDCWD, os.fsencode(a), _AT_FDCWD, os.fsencode(b), _RENAME_EXCHANGE)) == 0


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def write_site(files: Mapping[str, bytes], output: Path) -> bool:
    """Write `files` as the folder `output`, swapped in whole; False (and nothing touched) when unchanged.

    The new site is written into a hidden folder beside `output`, then exchanged with the old one in one
    step (renameat2 on Linux; elsewhere two renames, so the folder is briefly missing but never half-new).
    A non-empty `output` that traffpunkt did not write is refused rather than replaced."""
    if output.is_symlink():
        output = output.resolve()
    if any("/" in name or name in ("", ".", "..") for name in files):
        raise ValueError("site files are plain names")
    parent = output.parent
    parent.mkdir(parents=True, exist_ok=True)
    with _locked(parent / f".{output.name}.lock"):
        if _same(files, output):
            return False
        if output.exists():
            if not output.is_dir():
                raise PublishError(f"{output} is a file, not a folder; [site] output must name a folder")
            if any(output.iterdir()) and not (output / MARKER).exists():
                raise PublishError(f"{output} holds files traffpunkt did not write; [site] output must name "
                                   "an empty or new folder (it is replaced as a whole)")
        for stale in (*parent.glob(f".{output.name}.tmp-*"), *parent.glob(f".{output.name}.old-*")):
            shutil.rmtree(stale, ignore_errors=True)  # left by a publish that was killed
        tmp = Path(tempfile.mkdtemp(prefix=f".{output.name}.tmp-", dir=parent))
        try:
            for name, data in sorted(files.items()):
                fd = os.open(tmp / name, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o644)
                os.fchmod(fd, 0o644)  # world-readable whatever the daemon's umask (0o077)
                with os.fdopen(fd, "wb") as f:
                    f.write(data)
                    f.flush()
                    os.fsync(f.fileno())
            os.chmod(tmp, 0o755)  # mkdtemp makes it private; the web server must read it
            _fsync_dir(tmp)
            if not output.exists():
                os.rename(tmp, output)
            elif _exchange(tmp, output):
                shutil.rmtree(tmp)  # tmp now holds the old site
            else:
                old = parent / tmp.name.replace(".tmp-", ".old-", 1)
                os.rename(output, old)
                os.rename(tmp, output)
                shutil.rmtree(old, ignore_errors=True)
            _fsync_dir(parent)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    return True
