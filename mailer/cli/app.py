"""The `traffpunkt` parser (one module per command group registers its commands) and `main`: exit codes, errors."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from mailer.cli import Terminated, caused_by_termination, check, demo, init, mailhost, meeting, members, run, status
from mailer.cli.common import EXIT_FAIL, EXIT_OK, EXIT_USAGE, CliError, common_options
from mailer.errors import ConfigError, TraffpunktError

#: Files the daemon and the commands create (database, lock, Maildirs, kept mail) are owner-only.
PRIVATE_UMASK = 0o077


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="traffpunkt", description="Runs a network's regular meetings by mail.")
    common_options(p, top=True)
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    init.register(sub)
    check.register(sub)
    members.register(sub)
    meeting.register(sub)
    run.register(sub)
    status.register(sub)
    mailhost.register(sub)
    demo.register(sub)

    sp = sub.add_parser("parse", help="Show how traffpunkt reads reply mails (.eml files).",
                        description="Show how traffpunkt reads reply mails: RSVP, guests, topics, diet, command.")
    sp.add_argument("--json", action="store_true", help="one JSON object per file per line")
    sp.add_argument("files", nargs="+", metavar="FILE.eml")
    sp.set_defaults(func=cmd_parse)
    for action in sub.choices.values():
        if not any("--debug" in a.option_strings for a in action._actions):
            common_options(action, show=False)
    return p


def cmd_parse(args: argparse.Namespace) -> int:
    from parsers.cli import main as parse_main

    return parse_main(["parse", *(["--json"] if args.json else []), *args.files])


def run_command(argv: Sequence[str] | None) -> int:
    """Parse the command line and run the command; every error becomes a message and an exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    umask = os.umask(PRIVATE_UMASK)  # the published site sets its own modes (mailer/site/publish.py)
    try:
        code = int(args.func(args))
        sys.stdout.flush()  # a closed pipe shows here, inside the handler below, not at interpreter exit
        return code
    except BrokenPipeError:
        return _pipe_closed()
    except ConfigError as exc:
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return EXIT_USAGE
    except CliError as exc:
        print(f"traffpunkt: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except TraffpunktError as exc:
        print(f"traffpunkt: {exc}", file=sys.stderr)
        return EXIT_FAIL
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # no user should read a traceback; --debug shows it
        if caused_by_termination(exc):  # a SIGTERM while a lazy import ran (wrapped by Python)
            raise Terminated() from exc
        if args.debug:
            raise
        print(f"traffpunkt: unexpected error: {type(exc).__name__}: {exc} (run with --debug for details)",
              file=sys.stderr)
        return EXIT_FAIL
    finally:
        os.umask(umask)


def _pipe_closed() -> int:
    """The reader went away (`traffpunkt members list | head`): end quietly, as `cat` does.

    Standard output is pointed at /dev/null so that the interpreter's own flush at exit finds nothing to
    complain about.
    """
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # stdout is not a real file (tests capture it): nothing to redirect
        pass
    return EXIT_OK
