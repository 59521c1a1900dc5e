"""`parse [--json] FILE.eml...`: show what parsers/ reads from saved mails (wired as `traffpunkt parse`)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TextIO

from parsers.reply import ParsedReply, parse_reply

_EXCERPT = 200


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="traffpunkt", description="Read inbound mail the way the daemon does."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    parse = commands.add_parser(
        "parse", help="show what is read from .eml files", description="Show what is read from .eml files."
    )
    parse.add_argument("--json", action="store_true", help="one JSON object per file per line")
    parse.add_argument("files", nargs="+", type=Path, metavar="FILE.eml", help="raw mail files")
    return parser


def summary(name: str, reply: ParsedReply) -> str:
    """A readable account of what was read from one mail and why."""
    body = " ".join(reply.body.split())
    excerpt = body if len(body) <= _EXCERPT else body[: _EXCERPT - 1] + "…"
    lines = [
        f"{name}",
        f"  category:  {reply.category}" + (f"  ({reply.reason})" if reply.reason else ""),
        f"  from:      {reply.from_name or ''} <{reply.from_address or ''}>",
        f"  subject:   {reply.subject}",
        f"  language:  {reply.language or '-'}",
        f"  rsvp:      {reply.rsvp or '-'}" + (f"  (iMIP {reply.imip.partstat})" if reply.imip else ""),
        f"  guests:    {reply.guests}",
        f"  topics:    {'; '.join(reply.topics) or '-'}",
        f"  diet:      {reply.dietary or '-'}",
        f"  needs:     {'; '.join(reply.needs) or '-'}",
        f"  offers:    {'; '.join(reply.offers) or '-'}",
        f"  command:   {reply.command or '-'}",
        f"  question:  {'yes (a person must answer)' if reply.question else 'no'}",
        f"  approval:  {'yes' if reply.approval else 'no'}",
        f"  tokens:    {', '.join(reply.tokens) or '-'}",
    ]
    if reply.unsure:
        lines.append(f"  unsure:    {', '.join(reply.unsure)}  (the daemon asks the member before acting)")
    for name, words in reply.why.items():
        lines.append(f"  why {name + ':':<9}{_quote(words)}")
    if reply.category == "bounce":
        permanent = {True: "permanent", False: "temporary", None: "unknown"}[reply.bounce_permanent]
        lines.append(f"  failed:    {', '.join(reply.failed_recipients) or '-'}  ({permanent})")
    lines.append(f"  body:      {excerpt or '(empty)'}")
    return "\n".join(lines)


def _quote(words: str) -> str:
    flat = " ".join(words.split())
    return f'"{flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1] + "…"}"'


def _run_parse(files: Sequence[Path], as_json: bool, out: TextIO, err: TextIO) -> int:
    status = 0
    for path in files:
        try:
            raw = path.read_bytes()
        except OSError as exc:
            err.write(f"traffpunkt parse: cannot read {path}: {exc.strerror or exc}\n")
            status = 2
            continue
        reply = parse_reply(raw)
        if as_json:
            data = {"file": str(path)} | reply.to_json_dict()
            out.write(json.dumps(data, ensure_ascii=False) + "\n")
        else:
            out.write(summary(str(path), reply) + "\n\n")
    return status


def main(argv: list[str] | None = None) -> int:
    """Run the command line; 0 on success, 2 when a file cannot be read."""
    args = _parser().parse_args(argv)
    if args.command == "parse":
        return _run_parse(args.files, args.json, sys.stdout, sys.stderr)
    return 2  # pragma: no cover - argparse rejects unknown commands


__all__ = ["main", "summary"]

if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
