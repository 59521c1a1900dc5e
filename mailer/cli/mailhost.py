"""`traffpunkt dns-records` and `traffpunkt auth login`: what the admin sets up once at the mail host."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from mailer.cli.common import EXIT_OK, common_options, load

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers


def register(sub: SubParsers) -> None:
    sp = sub.add_parser("dns-records", help="Print the DNS records to publish: the DKIM key, and SPF and DMARC "
                                            "examples.")
    common_options(sp)
    sp.set_defaults(func=cmd_dns_records)

    sp = sub.add_parser("auth", help="Log the daemon in to the mail host with OAuth2 (a device code; for Google a "
                                     "browser).")
    sp.add_argument("action", choices=["login"], help="login: show a code to enter in a browser, then keep "
                                                      "the refresh token (owner-only)")
    common_options(sp)
    sp.set_defaults(func=cmd_auth)


def cmd_dns_records(args: argparse.Namespace) -> int:
    from mailer.outbound.dnsrecords import records

    print("\n".join(records(load(args))))
    return EXIT_OK


def cmd_auth(args: argparse.Namespace) -> int:
    from mailer.oauth.login import login

    return login(load(args))
