"""The drain's "sent" marks, committed in groups on a connection of their own that never fsyncs a commit
(synchronous=NORMAL), while the Store's connection stays FULL for every other write."""

# `synchronous` is a setting of the connection, so a second connection to the same file keeps the marks'
# commits cheap without switching the Store's connection back and forth (two statements a mark). A commit
# reaches the -wal, which a kill -9 of the process cannot undo; `Store.sync_wal` makes it durable.

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from mailer.state.outbox import MARK_SENT_SQL
from mailer.state.rows import iso


class MarkConnection:
    """Commits groups of sent marks (row id, when), each group one transaction."""

    def __init__(self, path: Path) -> None:
        self._conn = sqlite3.connect(os.path.realpath(path), timeout=30.0, isolation_level=None)
        try:
            self._conn.execute("PRAGMA busy_timeout=30000")
            self._conn.execute("PRAGMA synchronous=NORMAL")
        except BaseException:
            self._conn.close()
            raise

    def commit(self, marks: Sequence[tuple[int, datetime]]) -> None:
        """One transaction for all of `marks`; raises (none of them recorded) when the database refuses."""
        conn = self._conn
        if len(marks) == 1:  # autocommit: one statement, the write lock taken at its start
            row_id, at = marks[0]
            conn.execute(MARK_SENT_SQL, (iso(at), row_id))
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.executemany(MARK_SENT_SQL, [(iso(at), row_id) for row_id, at in marks])
            conn.execute("COMMIT")
        except BaseException:
            if conn.in_transaction:
                conn.execute("ROLLBACK")
            raise

    def synchronous(self) -> int:
        """This connection's `PRAGMA synchronous` (1: NORMAL), for the tests."""
        return int(self._conn.execute("PRAGMA synchronous").fetchone()[0])

    def close(self) -> None:
        self._conn.close()
