"""`traffpunkt check`: each network's config, templates and environment (and the umbrella's file); exit 0,
or 2 listing every problem, each line naming its file."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.cli.common import EXIT_OK, EXIT_USAGE, common_options, config_paths
from mailer.config import Config, environment_problems
from mailer.config.networks import discover, load_networks, shared_problems
from mailer.errors import ConfigError, ConfigProblem, TraffpunktError

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    help_ = "Validate the config, templates and environment; exit 0, or 2 listing every problem."
    sp = sub.add_parser("check", help=help_, description=help_ + " With several networks (--config given "
                        "several times, or a folder) every file is checked; one invalid file is enough for 2.")
    common_options(sp)
    sp.set_defaults(func=cmd_check)


def setup_problems(cfg: Config) -> list[ConfigProblem]:
    """What the config names but the host must provide: environment variables, the OAuth2 login, the DKIM key."""
    from mailer.oauth.notice import status_lines
    from mailer.outbound.dkim import DkimSigner

    out = environment_problems(cfg)
    if cfg.mail.oauth is not None:
        out.extend(ConfigProblem(str(cfg.path), "mail.oauth.token_file", line) for line in status_lines(cfg)[:1])
    if cfg.mail.dkim is not None:
        try:
            DkimSigner(cfg.mail.dkim)
        except TraffpunktError as exc:
            out.append(ConfigProblem(str(cfg.path), "mail.dkim.key_file", f"a usable key: {exc}"))
    return out


def cmd_check(args: argparse.Namespace) -> int:
    files = discover(config_paths(args.config))
    loaded = load_networks(files.networks)
    problems: list[ConfigProblem] = [*files.missing, *shared_problems(loaded)]
    ok: list[tuple[Path, Config]] = []
    for item in loaded:
        if item.config is None:
            problems.extend(item.problems)
            continue
        found = network_problems(item.path, item.config)
        problems.extend(found)
        if not found:
            ok.append((item.path, item.config))
    if files.umbrella is not None:
        from mailer.config.umbrella import load_umbrella

        try:
            umbrella = load_umbrella(files.umbrella)
            print(f"{files.umbrella}: OK — umbrella {umbrella.name}, page in {umbrella.output}")
        except ConfigError as exc:
            problems.extend(exc.problems)
    for path, cfg in ok:
        print(f"{path}: OK — {cfg.network.name}, {cfg.meetings.rrule} at {cfg.meetings.start_time:%H:%M} "
              f"{cfg.network.timezone}, transport {cfg.mail.transport}")
    for p in problems:
        print(p, file=sys.stderr)
    return EXIT_USAGE if problems else EXIT_OK


def network_problems(path: Path, cfg: Config) -> list[ConfigProblem]:
    """What keeps one valid config from running: the host's part, the templates, the members' CSV."""
    from mailer.outbound import template_check
    from mailer.outbound.compose import Composer
    from mailer.state.store import Store

    problems = setup_problems(cfg)
    store = Store.memory()
    for text in template_check.problems(Composer(cfg, store, b"check")):
        problems.append(ConfigProblem(str(cfg.templates_dir), "templates", text))
    if cfg.members_csv and not cfg.members_csv.exists():
        problems.append(ConfigProblem(str(path), "members.import_csv", f"an existing file ({cfg.members_csv})"))
    return problems
