"""How every connection to the database file is opened, in the server and in its writer process.

Kept apart from `db.py` so that the writer process (core/writer_process.py) starts without
importing the rest of the storage layer.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

BUSY_TIMEOUT_MS = 10_000


def connect(path: Path | str) -> sqlite3.Connection:
    """WAL, so learners read while a write commits; `synchronous=FULL`, so an acknowledged write
    survives a power cut; foreign keys on; a busy timeout for writers in other processes; and
    temporary tables and statement journals in memory (SQLite as Debian builds it makes a file in
    /var/tmp for them, a dozen times a second under a load of progress writes)."""
    conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=BUSY_TIMEOUT_MS / 1000)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    conn.execute("PRAGMA foreign_keys=ON")
    conn.execute("PRAGMA temp_store=MEMORY")
    conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    return conn


def sqlite_error(message: str, code: int | None, kind: type[sqlite3.Error] = sqlite3.OperationalError) -> sqlite3.Error:
    """A SQLite error made again on this side of a boundary (the writer process's reply, a batch
    that another's error rolled back), with the result code of the one it stands for: the code
    is what tells a full disk from a fault (core/errors.py `storage_error`)."""
    error = kind(message)
    if code is not None:
        error.sqlite_errorcode = code
    return error
