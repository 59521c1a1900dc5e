"""The optional [mail.dkim] table (domain, selector, key file), read without importing the signer."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol


class _Reader(Protocol):
    def problem(self, key: str, expected: str) -> None: ...

    def get(self, table: Mapping[str, Any], prefix: str, key: str, kind: Any, expected: str,
            default: Any = ...) -> Any: ...


@dataclass(frozen=True)
class DkimSettings:
    """Sign every outgoing message as `domain` with the key published at `selector._domainkey.domain`."""

    domain: str
    selector: str
    key_file: Path

    @property
    def record_name(self) -> str:
        return f"{self.selector}._domainkey.{self.domain}"


_LABEL = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-")


def _dns_name(value: str) -> bool:
    labels = value.lower().rstrip(".").split(".")
    return bool(value) and len(value) <= 253 and all(
        0 < len(label) <= 63 and set(label) <= _LABEL and not label.startswith("-") for label in labels)


def read_dkim(r: _Reader, mail: Mapping[str, Any], base: Path) -> DkimSettings | None:
    """[mail.dkim], or None when the table is absent (no signing: the relay may sign)."""
    table = mail.get("dkim")
    if table is None:
        return None
    if not isinstance(table, dict):
        r.problem("mail.dkim", "a table with domain, selector and key_file")
        return None
    for key in table:
        if key not in ("domain", "selector", "key_file"):
            r.problem(f"mail.dkim.{key}", "a [mail.dkim] setting: domain, selector or key_file (unknown key)")
    domain = r.get(table, "mail.dkim", "domain", str, "the signing domain, e.g. 'kulturnatverket.fi'")
    selector = r.get(table, "mail.dkim", "selector", str, "a selector such as 'traffpunkt2026'")
    key_file = r.get(table, "mail.dkim", "key_file", str, "the PEM private key's path (owner-only, 0600)")
    for key, value in (("domain", domain), ("selector", selector)):
        if isinstance(value, str) and not _dns_name(value):
            r.problem(f"mail.dkim.{key}", f"a DNS name (letters, digits, '-', dots), got {value!r}")
    if not (isinstance(domain, str) and isinstance(selector, str) and isinstance(key_file, str)):
        return None
    path = Path(os.path.expanduser(key_file))
    return DkimSettings(domain=domain.lower().rstrip("."), selector=selector.lower(),
                        key_file=path if path.is_absolute() else base / path)
