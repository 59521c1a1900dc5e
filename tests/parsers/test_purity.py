"""parsers/ is pure: importing and using it loads nothing from the daemon, SMTP, IMAP or database code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
FORBIDDEN = ("mailer", "aiosmtplib", "imap_tools", "sqlite_utils")

SCRIPT = """
import json, sys
import parsers, parsers.cli
parsers.parse_reply(b"From: a@b.fi\\nSubject: Ja\\n\\nJa, jag kommer!")
print(json.dumps(sorted(sys.modules)))
"""


def test_parsers_imports_nothing_from_mailer_smtp_imap_or_sqlite() -> None:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    modules = json.loads(result.stdout)
    loaded = [m for m in modules if m.split(".")[0] in FORBIDDEN]
    assert loaded == []
