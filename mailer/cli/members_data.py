"""`traffpunkt members export | erase ADDRESS`: a member's data under the GDPR, sent to them or removed."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from mailer.cli.common import EXIT_OK, CliError, common_options

if TYPE_CHECKING:
    from mailer.cli.common import SubParsers
    from mailer.config import Config
    from mailer.state.store import Store


def register(msub: SubParsers) -> list[argparse.ArgumentParser]:
    me = msub.add_parser("export", help="print everything kept about a member as JSON",
                         description="Print everything kept about a member as JSON: the member row, answers, "
                                     "topics, needs and offers, inbound mail records, outbox rows, log lines.")
    me.add_argument("address")
    mx = msub.add_parser("erase", help="remove a member and every trace of them",
                         description="Remove a member and every trace: their rows, their name in others' "
                                     "topics and memos, their mail in the processed and quarantine folders "
                                     "and the outbox Maildir; the site is rebuilt and the database vacuumed.")
    mx.add_argument("address")
    for s in (me, mx):
        common_options(s, show=False)
    return [me, mx]


def run(action: str, cfg: Config, store: Store, address: str) -> int:
    from mailer.inbound.forget import forget_member
    from mailer.site.publish import publish
    from mailer.state.privacy import export

    if action == "export":
        data = export(store, address)
        if data is None:
            raise CliError(f"no member with address {address}")
        print(json.dumps(data, ensure_ascii=False, indent=2, default=str))
        return EXIT_OK
    lines = forget_member(cfg, store, address, datetime.now(UTC), publish)
    if lines is None:
        raise CliError(f"no member with address {address}")
    print(f"erased {address.strip().lower()}")
    for line in lines:
        print(f"  {line}")
    return EXIT_OK
