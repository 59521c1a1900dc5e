"""The `traffpunkt` command: init, check, members, preview, agenda, publish, run, status, demo, parse."""

from mailer.cli.app import build_parser, main

__all__ = ["build_parser", "main"]
