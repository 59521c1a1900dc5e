"""`traffpunkt init DIR`: a commented network.toml, an example members.csv and (--templates) the templates."""

from __future__ import annotations

import argparse
import shutil
from pathlib import Path
from typing import TYPE_CHECKING

from mailer.cli.common import EXIT_OK, CliError
from mailer.config.resources import example_config, example_members, templates_dir

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers

#: The example lives in config/ and points one level up; a new network's folder holds everything itself.
_PATHS = {
    'outbox = "../var/outbox"': 'outbox = "var/outbox"',
    'inbox = "../var/inbox"': 'inbox = "var/inbox"',
    'database = "../var/traffpunkt.db"': 'database = "var/traffpunkt.db"',
    'import_csv = "members.example.csv"': 'import_csv = "members.csv"',
    'output = "../site"': 'output = "site"',
}

_TEMPLATES_OWN = """
[templates]
# Your own copy of the mail and site templates (templates/<sv|fi|en>/, templates/site/): edit them there,
# then run `traffpunkt check`, which renders every one of them.
dir = "templates"
"""

_TEMPLATES_SHIPPED = """
# [templates]
# Without this table the templates shipped with traffpunkt are used. To edit them, copy them here with
# `traffpunkt init --templates DIR` (or copy them yourself) and name the folder:
# dir = "templates"
"""


def register(sub: SubParsers) -> None:
    sp = sub.add_parser("init", help="Start a new network: write a commented network.toml and members.csv.",
                        description="Write DIR/network.toml (every key commented; edit it, then run "
                                    "`traffpunkt check --config DIR/network.toml`), an example DIR/members.csv "
                                    "and, with --templates, a copy of the mail templates in DIR/templates/ to "
                                    "edit. Existing files are never overwritten.")
    sp.add_argument("dir", metavar="DIR", help="the network's folder (created if missing)")
    sp.add_argument("--templates", action="store_true", help="also copy the templates into DIR/templates/")
    sp.set_defaults(func=cmd_init)


def cmd_init(args: argparse.Namespace) -> int:
    folder = Path(args.dir)
    targets = [folder / "network.toml", folder / "members.csv"] + ([folder / "templates"] if args.templates else [])
    present = [str(t) for t in targets if t.exists()]
    if present:
        raise CliError(f"init: {', '.join(present)} already exist(s); nothing was written (move them away first)")
    folder.mkdir(parents=True, exist_ok=True)
    text = example_config().read_text(encoding="utf-8")
    for old, new in _PATHS.items():
        if old not in text:
            raise CliError(f"init: the shipped example config no longer contains {old!r} (a packaging bug)")
        text = text.replace(old, new)
    text = text.replace("# Copy this file, edit it, then check it with:   traffpunkt check --config network.toml",
                        f"# Written by `traffpunkt init`. Edit it, then check it with:\n"
                        f"#   traffpunkt check --config {folder / 'network.toml'}")
    text = text.rstrip("\n") + "\n" + (_TEMPLATES_OWN if args.templates else _TEMPLATES_SHIPPED)
    (folder / "network.toml").write_text(text, encoding="utf-8")
    shutil.copyfile(example_members(), folder / "members.csv")
    written = [folder / "network.toml", folder / "members.csv"]
    if args.templates:
        shutil.copytree(templates_dir(), folder / "templates", ignore=shutil.ignore_patterns("__pycache__"))
        written.append(folder / "templates")
    for path in written:
        print(f"wrote {path}")
    print(f"Next: edit {folder / 'network.toml'} and {folder / 'members.csv'}, then "
          f"`traffpunkt check --config {folder / 'network.toml'}`")
    return EXIT_OK
