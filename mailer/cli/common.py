"""What every command shares: exit codes, finding and loading the config, the store, --now, the meeting asked for."""

from __future__ import annotations

import argparse
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.config import Config, load_config
from mailer.errors import TraffpunktError

if TYPE_CHECKING:
    from mailer.models import Meeting
    from mailer.state.store import Store

    SubParsers = argparse._SubParsersAction[argparse.ArgumentParser]

EXIT_OK, EXIT_FAIL, EXIT_USAGE = 0, 1, 2
DEFAULT_CONFIG_NAMES = ("traffpunkt.toml", "network.toml", "config/network.toml")


class CliError(TraffpunktError):
    """A problem the user can fix; printed as one line, exit code 2."""


def config_paths(arg: str | list[str] | None) -> list[Path]:
    """Every --config given (files or folders of networks), else $TRAFFPUNKT_CONFIG, else the first of
    DEFAULT_CONFIG_NAMES in the current folder."""
    given = [arg] if isinstance(arg, str) else list(arg or [])
    if given:
        return [Path(a) for a in given]
    env = os.environ.get("TRAFFPUNKT_CONFIG")
    if env:
        return [Path(env)]
    for name in DEFAULT_CONFIG_NAMES:
        if Path(name).exists():
            return [Path(name)]
    raise CliError("no config given: pass --config PATH or set TRAFFPUNKT_CONFIG "
                   "(`traffpunkt init DIR` writes one to start from)")


def config_path(arg: str | list[str] | None) -> Path:
    """The one network a command works on: one --config file, or a folder holding exactly one network."""
    from mailer.config.networks import discover

    paths = config_paths(arg)
    if len(paths) == 1 and not paths[0].is_dir():
        return paths[0]
    found = discover(paths).networks
    if len(found) != 1:
        names = ", ".join(str(p) for p in found) or "none"
        raise CliError(f"this command works on one network: pass one network's file with --config "
                       f"(found {len(found)}: {names})")
    return found[0]


def load(args: argparse.Namespace) -> Config:
    return load_config(config_path(getattr(args, "config", None)))


def open_store(cfg: Config) -> Store:
    from mailer.state.store import Store

    return Store.open(cfg.database)


def now_of(args: argparse.Namespace) -> datetime:
    """--now as an aware time; without an offset it is read in the network's time zone."""
    value = getattr(args, "now", None)
    if not value:
        return datetime.now(UTC)
    try:
        dt = datetime.fromisoformat(value)
    except ValueError:
        raise CliError(f"--now: expected an ISO date-time such as 2026-11-19T09:00+02:00, got {value!r}") from None
    if dt.tzinfo:
        return dt
    return dt.replace(tzinfo=load(args).network.tz)


def meeting_for(cfg: Config, store: Store, day: str | None, now: datetime) -> Meeting:
    """The stored meeting on `day` (or the next one); computed from the schedule if not yet stored."""
    from mailer.meeting.schedule import occurrences
    from mailer.models import MeetingChange
    from mailer.state.store import Store

    tz = cfg.network.tz
    if day:
        try:
            wanted = date.fromisoformat(day)
        except ValueError:
            raise CliError(f"--meeting: expected a date YYYY-MM-DD, got {day!r}") from None
        stored = store.meeting_on(wanted)
        if stored:
            return stored
        occ = [o for o in occurrences(cfg.meetings, tz, wanted, wanted)]
        if not occ:
            raise CliError(f"--meeting: the series has no meeting on {wanted}")
    else:
        today = now.astimezone(tz).date()
        upcoming = [m for m in store.meetings(today).values() if not m.cancelled]
        if upcoming:
            return upcoming[0]
        occ = [o for o in occurrences(cfg.meetings, tz, today, today + timedelta(days=400)) if not o.cancelled][:1]
        if not occ:
            raise CliError("the series has no upcoming meeting")
    scratch = Store.memory()  # never write a preview's meeting into the real database
    with scratch.write():
        return scratch.apply_meeting_change(MeetingChange(occ[0], 0, "preview"), cfg.network.domain, now)


def common_options(parser: argparse.ArgumentParser, top: bool = False, show: bool = True) -> None:
    """--config and --debug, accepted on every level: before the command, after it, after a sub-action.

    Below the top level they default to SUPPRESS, so a value given earlier is never reset by a later level.
    """
    default_config = None if top else argparse.SUPPRESS
    parser.add_argument("--config", metavar="PATH", default=default_config, action="append",
                        help="a network's TOML config, or a folder of them (one *.toml per network); may be "
                        "given several times for run, check, status and publish (default: $TRAFFPUNKT_CONFIG "
                        "or ./traffpunkt.toml)" if show else argparse.SUPPRESS)
    parser.add_argument("--debug", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="show tracebacks of unexpected errors" if show else argparse.SUPPRESS)
