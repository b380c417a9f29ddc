"""SQLite storage: one file, one connection per thread, one transaction helper.

WAL lets learners read while a write commits; `synchronous=FULL` makes an acknowledged write
survive a power cut; foreign keys and a busy timeout are on for every connection. Every write
in the code base goes through `Store.transaction()`, which takes the write lock up front
(`BEGIN IMMEDIATE`) so concurrent writers queue instead of failing mid-transaction.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import orjson
import sqlite_utils

BUSY_TIMEOUT_MS = 10_000
CACHE_ENTRIES = 512  # per thread
EXTERNAL_CHANGES_WITHIN = 1.0  # seconds until another process's commit invalidates caches
T = TypeVar("T")
Row = sqlite3.Row  # what reads return: columns by name, like a read-only mapping


class Store:
    """The database file and its per-thread connections."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.generation = 0  # commits made through this Store, by any thread
        self._generation_lock = threading.Lock()

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

    def data_version(self) -> tuple[int, int]:
        """Changes whenever anything in the database has changed.

        Commits made in this process bump `generation` at once. Commits by other processes (the
        CLI, a sync run) are noticed through SQLite's `data_version`, read at most once every
        `EXTERNAL_CHANGES_WITHIN` seconds per thread: reading it on every request would cost a
        trip into SQLite, and a GIL hand-off, on the hottest path of the server.
        """
        local = self._local
        now = time.monotonic()
        if now - getattr(local, "external_checked", -EXTERNAL_CHANGES_WITHIN) >= EXTERNAL_CHANGES_WITHIN:
            local.external_version = self.db.conn.execute("PRAGMA data_version").fetchone()[0]
            local.external_checked = now
        return local.external_version, self.generation

    def cached(self, key: Hashable, compute: Callable[[], T]) -> T:
        """`compute()`'s result, reused on this thread until the database changes.

        For hot reads whose answer depends only on the database (a page of the catalogue):
        any commit invalidates every entry (see `data_version` for commits by other processes).
        """
        local = self._local
        version = self.data_version()
        if getattr(local, "cache_version", None) != version:
            local.cache, local.cache_version = {}, version
        if key not in local.cache:
            if len(local.cache) >= CACHE_ENTRIES:
                local.cache.clear()
            local.cache[key] = compute()
        return local.cache[key]

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
        with self._generation_lock:
            self.generation += 1

    # Reads go straight to sqlite3: they are the hot path of every request, and need none of
    # sqlite-utils' savepoint guard around statements that only read.

    # Rows are sqlite3.Row: read by column name like a mapping, built in C.

    def _read(self, sql: str, params: Any) -> sqlite3.Cursor:
        cursor = self.db.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params)

    def one(self, sql: str, params: Any = ()) -> Row | None:
        return self._read(sql, params).fetchone()

    def all(self, sql: str, params: Any = ()) -> list[Row]:
        return self._read(sql, params).fetchall()

    def scalar(self, sql: str, params: Any = ()) -> Any:
        row = self.db.conn.execute(sql, params).fetchone()
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
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str) -> Any:
    return orjson.loads(text)


def raw_json(text: str) -> orjson.Fragment:
    """A JSON column placed in a response as it is stored, without parsing it again."""
    return orjson.Fragment(text)
