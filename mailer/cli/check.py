"""`traffpunkt check`: the config, the templates and the environment; exit 0, or 2 listing every problem."""

from __future__ import annotations

import argparse
import sys
from typing import TYPE_CHECKING

from mailer.cli.common import EXIT_OK, EXIT_USAGE, common_options, config_path
from mailer.config import Config, environment_problems, load_config
from mailer.errors import ConfigError, ConfigProblem, TraffpunktError

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    help_ = "Validate the config, templates and environment; exit 0, or 2 listing every problem."
    sp = sub.add_parser("check", help=help_, description=help_)
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
    path = config_path(args.config)
    problems: list[ConfigProblem] = []
    try:
        cfg = load_config(path)
    except ConfigError as exc:
        problems = exc.problems
        cfg = None
    if cfg is not None:
        problems.extend(setup_problems(cfg))
        from mailer.outbound import template_check
        from mailer.outbound.compose import Composer
        from mailer.state.store import Store

        store = Store.memory()
        for text in template_check.problems(Composer(cfg, store, b"check")):
            problems.append(ConfigProblem(str(cfg.templates_dir), "templates", text))
        if cfg.members_csv and not cfg.members_csv.exists():
            problems.append(ConfigProblem(str(path), "members.import_csv", f"an existing file ({cfg.members_csv})"))
    if problems:
        for p in problems:
            print(p, file=sys.stderr)
        return EXIT_USAGE
    assert cfg is not None
    print(f"{path}: OK — {cfg.network.name}, {cfg.meetings.rrule} at {cfg.meetings.start_time:%H:%M} "
          f"{cfg.network.timezone}, transport {cfg.mail.transport}")
    return EXIT_OK
