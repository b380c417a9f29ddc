"""SQLite storage: one file, one connection per thread, one transaction helper.

WAL lets learners read while a write commits; `synchronous=FULL` makes an acknowledged write
survive a power cut; foreign keys and a busy timeout are on for every connection. Every write
in the code base goes through `Store.transaction()`, which takes the write lock up front
(`BEGIN IMMEDIATE`) so concurrent writers queue instead of failing mid-transaction.
"""

from __future__ import annotations

import json
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import sqlite_utils

BUSY_TIMEOUT_MS = 10_000


class Store:
    """The database file and its per-thread connections."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection (opened on first use)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(self._connect())
        return db

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False,
            timeout=BUSY_TIMEOUT_MS / 1000,
        )
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """All-or-nothing: commit when the block ends, roll back on any exception.

        Nested use becomes a savepoint, so a service may call another service's write.
        """
        db = self.db
        if db.conn.in_transaction:
            with db.atomic():
                yield db
            return
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.conn.execute("ROLLBACK")
            raise
        db.conn.execute("COMMIT")

    def one(self, sql: str, params: Any = ()) -> dict[str, Any] | None:
        return next(iter(self.db.query(sql, params)), None)

    def all(self, sql: str, params: Any = ()) -> list[dict[str, Any]]:
        return list(self.db.query(sql, params))

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.db.execute(sql, params).fetchone()
        return row[0] if row else None

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None

    # -- migrations -------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the numbered `migrations/NNNN_*.sql` files newer than `PRAGMA user_version`.

        Each file runs in one transaction together with its version bump, so a crash leaves the
        schema at the previous version, never between two. Returns the version now in force.
        """
        conn = self.db.conn
        current = conn.execute("PRAGMA user_version").fetchone()[0]
        for number, script in _migration_scripts():
            if number <= current:
                continue
            try:
                conn.executescript(
                    f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;"
                )
            except BaseException:
                if conn.in_transaction:
                    conn.execute("ROLLBACK")
                raise
            current = number
        return current


def _migration_scripts() -> list[tuple[int, str]]:
    folder = resources.files("university_local") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


def dumps(value: Any) -> str:
    """JSON for a column: compact and stable."""
    return json.dumps(value, separators=(",", ":"), sort_keys=True)
