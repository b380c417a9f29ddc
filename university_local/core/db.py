"""SQLite storage: one file, a reading connection per thread, one writer, one way to write.

`Store` is the database file. Features never hold it: they get a `Db`, the handle of one
`Scope` (core/scope.py), which reads and writes that tenant's records only (core/scoped_sql.py
checks every statement). The Store itself is the handle of the few duties that span tenants
(scheduled jobs, API key lookups, public pages found by an unguessable id), reached as `db.site`.

Writes: every write runs inside `transaction()`, on the one writer connection; reading
connections are opened `query_only`, so a write anywhere else fails at once. A transaction is
durable when it returns, and concurrent transactions share a commit (group commit), so that
durability does not cost one fsync per request. The hottest writes, a learner's position in a
lesson, are `BatchedWrite`s applied by a process of their own (core/writer_process.py);
SQLite's write lock orders its commits with the server's.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator, Mapping
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import orjson

from university_local.core import scoped_sql
from university_local.core.connection import connect, sqlite_error
from university_local.core.scope import Scope, Tenant
from university_local.core.writer_process import BatchedWrite, Update, WriterProcess, apply_group

# BatchedWrite is re-exported so that features define their batched statements with the Store.
__all__ = ["BatchedWrite", "Db", "Row", "Store", "dumps", "loads", "raw_json"]

CACHE_ENTRIES = 512  # per thread
COMMIT_DELAY = 0.002  # longest a commit waits for writers already queued to join it
EXTERNAL_CHANGES_WITHIN = 1.0  # seconds until another process's commit invalidates caches
T = TypeVar("T")
Row = sqlite3.Row  # what reads return: columns by name, like a read-only mapping
Params = Mapping[str, Any] | tuple[Any, ...] | list[Any]


class Store:
    """The database file, its per-thread connections, and the statements that span tenants."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._local = threading.local()
        self.generation = 0  # commits made through this Store, by any thread
        # Group commit (see transaction): one writer connection and the batches riding on it.
        self._writer: sqlite3.Connection | None = None
        self._writer_init = threading.Lock()
        self._write_lock = threading.Lock()
        self._commit = threading.Condition()
        self._open_batch = 1
        self._batch_members = 0  # transactions released into the open batch
        self._arriving = 0  # transactions waiting for the write lock
        self._scopes: dict[str, int] = {}  # generations of scoped caches
        self._durable = 0
        self._committing = False
        self._failures: dict[int, BaseException] = {}
        self._tenant_tables: frozenset[str] | None = None
        self.scoped_statements: set[str] = set()  # statements checked by scoped_sql (they never change)
        self.writer_process = WriterProcess(self.path)  # applies batched writes (started on first use)

    @property
    def connection(self) -> sqlite3.Connection:
        """This thread's reading connection, or the writer inside a transaction (to see its own writes)."""
        if getattr(self._local, "depth", 0):
            return self._writer_connection()
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.path)
            conn.execute("PRAGMA query_only = ON")  # every write goes through transaction()
        return conn

    def scoped(self, scope: Scope) -> Db:
        """The handle of one tenant's records, as `scope` may see them."""
        return Db(self, scope)

    @property
    def tenant_tables(self) -> frozenset[str]:
        """Tables partitioned by tenant: those with `app_id` and `env` columns."""
        if self._tenant_tables is None:
            rows = self.all("SELECT m.name FROM sqlite_master m, pragma_table_info(m.name) c "
                            "WHERE m.type = 'table' AND c.name IN ('app_id', 'env') "
                            "GROUP BY m.name HAVING COUNT(*) = 2")
            self._tenant_tables = frozenset(row[0] for row in rows)
        return self._tenant_tables

    # -- reading ----------------------------------------------------------------------------
    # Straight to sqlite3: reads are the hot path of every request. Rows are sqlite3.Row, read
    # by column name like a mapping and built in C.

    def cursor(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        cursor = self.connection.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params)

    def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.cursor(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.cursor(sql, params).fetchall()

    def scalar(self, sql: str, params: Params = ()) -> Any:
        row = self.connection.execute(sql, params).fetchone()
        return row[0] if row else None

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
            local.external_version = self.connection.execute("PRAGMA data_version").fetchone()[0]
            local.external_checked = now
        return local.external_version, self.generation

    def cached(self, key: Hashable, compute: Callable[[], T], *, scope: str | None = None) -> T:
        """`compute()`'s result, reused on this thread until the database changes.

        For hot reads whose answer depends only on the database (a page of the catalogue).
        Without a scope, any commit invalidates the entry; with one, only `changed(scope)` in
        this process does. Commits by other processes invalidate both (see `data_version`).
        """
        local = self._local
        external, generation = self.data_version()
        version = (external, generation if scope is None else self._scopes.get(scope, 0))
        caches = local.__dict__.setdefault("caches", {})
        entry = caches.get(scope)
        if entry is None or entry[0] != version:
            entry = caches[scope] = (version, {})
        cache = entry[1]
        if key not in cache:
            if len(cache) >= CACHE_ENTRIES:
                cache.clear()
            cache[key] = compute()
        result: T = cache[key]
        return result

    def changed(self, scope: str) -> None:
        """Invalidate the `scope` caches of this process (call after committing such a change)."""
        with self._commit:
            self._scopes[scope] = self._scopes.get(scope, 0) + 1

    # -- writing ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Store]:
        """All-or-nothing, and durable when it returns: commit on exit, roll back on any exception.

        Group commit: every transaction runs on the one writer connection, inside a savepoint of
        a shared SQLite transaction, and waits until a COMMIT covering it is on disk. Under load
        many transactions share one COMMIT (one fsync) instead of queueing for one each; alone,
        a transaction commits at once. Nested use becomes a savepoint of the caller's.
        """
        local = self._local
        depth = getattr(local, "depth", 0)
        writer = self._writer_connection()
        if depth:
            name = f"nested{depth}"
            writer.execute(f"SAVEPOINT {name}")
            local.depth = depth + 1
            try:
                yield self
            except BaseException:
                if writer.in_transaction:
                    writer.execute(f"ROLLBACK TO {name}")
                    writer.execute(f"RELEASE {name}")
                raise
            else:
                writer.execute(f"RELEASE {name}")
            finally:
                local.depth = depth
            return
        self._arrive()
        with self._write_lock:
            self._arrived()
            local.depth = 1
            try:
                if not writer.in_transaction:
                    writer.execute("BEGIN IMMEDIATE")
                writer.execute("SAVEPOINT txn")
                try:
                    yield self
                except BaseException as exc:
                    if not writer.in_transaction:  # the error rolled back the whole shared transaction
                        self._fail_open_batch(sqlite_error(f"the write batch was rolled back: {exc}",
                                                           getattr(exc, "sqlite_errorcode", None)))
                    elif self._batch_members:  # others' writes are in it: they will commit it
                        writer.execute("ROLLBACK TO txn")
                        writer.execute("RELEASE txn")
                    else:  # nothing else in it: end it, so the database is not left locked
                        writer.execute("ROLLBACK")
                    raise
                writer.execute("RELEASE txn")
                self._batch_members += 1
                batch = self._open_batch
            finally:
                local.depth = 0
        self._wait_until_durable(batch)

    def execute(self, sql: str, params: Params = ()) -> sqlite3.Cursor:
        """Run a write inside the current transaction; the cursor holds its RETURNING rows."""
        if not getattr(self._local, "depth", 0):
            raise RuntimeError("writes run inside store.transaction() (or db.transaction())")
        cursor = self._writer_connection().cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params)

    def executemany(self, sql: str, rows: list[Any]) -> None:
        if not getattr(self._local, "depth", 0):
            raise RuntimeError("writes run inside store.transaction() (or db.transaction())")
        self._writer_connection().executemany(sql, rows)

    def write_batched(self, statement: BatchedWrite, params: dict[str, Any],
                      key: tuple[Any, ...]) -> dict[str, Any] | None:
        """Apply one request's `statement`, which is applied to many requests at once.

        The writer process (core/writer_process.py) gathers the waiting requests for `statement`
        into one JSON array and runs it once for all of them, with an interpreter of its own.
        `key` is this request's values of the statement's key columns; requests with the same key
        go into separate statements, so each sees the state its own write left. Returns the row
        the statement returned for this request, or None when the statement's conditions kept
        it from applying. Inside a transaction, the write is part of the transaction. The
        statement must be idempotent (see WriterProcess).
        """
        if getattr(self._local, "depth", 0):
            update = Update(statement, params, key)
            apply_group(self._writer_connection(), statement, [update])
            if update.error is not None:
                raise update.error
            return update.outcome
        outcome = self.writer_process.submit(statement, params, key)
        with self._commit:
            self.generation += 1
        return outcome

    def write_long(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Run a long set-based statement (the analytics fold) in the writer process, in the
        transaction of its next batch, so that the batched writes never wait for it to win the
        CPU while it holds the write lock. It must leave what running it once leaves if it runs
        twice. Rows come back as dicts. Inside a transaction, it is part of the transaction.
        """
        if getattr(self._local, "depth", 0):
            return [dict(row) for row in self.execute(sql, params).fetchall()]
        rows = self.writer_process.execute(sql, params)
        with self._commit:
            self.generation += 1
        return rows

    def _wait_until_durable(self, batch: int) -> None:
        """Return once `batch` is on disk, or raise what lost it. Only the record of the batch
        itself answers: another transaction's error may roll back the shared transaction, and
        the batch with it, while this thread is the one committing (_fail_open_batch)."""
        while True:
            with self._commit:
                while True:
                    if batch in self._failures:
                        raise self._failures[batch]
                    if self._durable >= batch:
                        return
                    if not self._committing:
                        self._committing = True
                        break
                    self._commit.wait()
            self._commit_open_batch()

    def _commit_open_batch(self) -> None:
        """Commit every transaction released so far, as one batch, and record the outcome."""
        # Let writers already waiting for the lock join this commit (for at most COMMIT_DELAY):
        # one fsync for all of them instead of one each.
        deadline = time.monotonic() + COMMIT_DELAY
        while self._arriving and time.monotonic() < deadline:
            time.sleep(0.0001)
        error: BaseException | None = None
        with self._write_lock:  # everyone who got in before us rides on this commit
            committing = self._open_batch
            self._open_batch += 1
            self._batch_members = 0
            writer = self._writer_connection()
            try:
                if writer.in_transaction:
                    writer.execute("COMMIT")
            except BaseException as exc:
                error = exc
                if writer.in_transaction:
                    writer.execute("ROLLBACK")
        with self._commit:
            self._committing = False
            if error is None:
                self._durable = max(self._durable, committing)
                self.generation += 1
            else:
                self._record_failure(committing, error)
            self._commit.notify_all()

    def _arrive(self) -> None:
        with self._commit:
            self._arriving += 1

    def _arrived(self) -> None:
        with self._commit:
            self._arriving -= 1

    def _fail_open_batch(self, error: BaseException) -> None:
        """Called with the write lock held: the open batch is lost; its waiters get the error."""
        with self._commit:
            self._record_failure(self._open_batch, error)
            self._open_batch += 1
            self._batch_members = 0
            self._commit.notify_all()

    def _record_failure(self, batch: int, error: BaseException) -> None:
        self._failures[batch] = error
        for old in [b for b in self._failures if b < batch - 1000]:
            del self._failures[old]

    def _writer_connection(self) -> sqlite3.Connection:
        if self._writer is None:
            with self._writer_init:
                if self._writer is None:
                    self._writer = connect(self.path)
        return self._writer

    def close(self) -> None:
        self.writer_process.close()
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None
        if self._writer is not None:
            with self._write_lock:
                self._writer.close()
                self._writer = None

    # -- migrations -------------------------------------------------------------------------

    def migrate(self) -> int:
        """Apply the numbered `migrations/NNNN_*.sql` files newer than `PRAGMA user_version`.

        Each file runs in one transaction together with its version bump, so a crash leaves the
        schema at the previous version, never between two. Returns the version now in force.
        """
        with self._write_lock:
            conn = self._writer_connection()
            current: int = conn.execute("PRAGMA user_version").fetchone()[0]
            for number, script in _migration_scripts():
                if number <= current:
                    continue
                try:
                    conn.executescript(f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {number};\nCOMMIT;")
                except BaseException:
                    if conn.in_transaction:
                        conn.execute("ROLLBACK")
                    raise
                current = number
                self._tenant_tables = None
        return current


def _migration_scripts() -> list[tuple[int, str]]:
    folder = resources.files("university_local") / "migrations"
    scripts = []
    for entry in folder.iterdir():
        name = entry.name
        if name.endswith(".sql") and name[:4].isdigit():
            scripts.append((int(name[:4]), entry.read_text(encoding="utf-8")))
    return sorted(scripts)


class Db:
    """One scope's handle on the database: every read and write a feature makes goes through it.

    Statements take named parameters; `:app` and `:env` are always bound to the scope's tenant,
    and the tenant can come from nowhere else. Each statement is checked once (scoped_sql.check)
    to filter every tenant table by them, and refused if it does not. `insert` and `update` write
    a tenant's row by its columns; `execute` runs any other write. Writes happen inside
    `with db.transaction():`, which nests.
    """

    __slots__ = ("store", "scope", "_tenant")

    def __init__(self, store: Store, scope: Scope) -> None:
        self.store = store
        self.scope = scope
        self._tenant = {"app": scope.tenant.app_id, "env": scope.tenant.env}

    @property
    def tenant(self) -> Tenant:
        return self.scope.tenant

    @property
    def published_only(self) -> bool:
        return self.scope.published_only

    @property
    def site(self) -> Store:
        """The handle for the statements that span tenants (say so by using it)."""
        return self.store

    def as_staff(self) -> Db:
        """This tenant seen whole, whoever the caller (see Scope.as_staff)."""
        return self if self.scope.is_staff else Db(self.store, self.scope.as_staff())

    def scoped_to(self, scope: Scope) -> Db:
        return Db(self.store, scope)

    # -- reading ----------------------------------------------------------------------------

    def cursor(self, sql: str, params: Mapping[str, Any] | None = None) -> sqlite3.Cursor:
        return self.store.cursor(self._checked(sql), self._bind(params))

    def one(self, sql: str, params: Mapping[str, Any] | None = None) -> Row | None:
        row: Row | None = self.cursor(sql, params).fetchone()
        return row

    def all(self, sql: str, params: Mapping[str, Any] | None = None) -> list[Row]:
        return self.cursor(sql, params).fetchall()

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        row = self.cursor(sql, params).fetchone()
        return row[0] if row else None

    def tuples(self, sql: str, params: Mapping[str, Any] | None = None) -> sqlite3.Cursor:
        """The executed statement's cursor, yielding plain tuples (the fastest rows), for streaming."""
        cursor = self.store.connection.cursor()
        cursor.row_factory = None
        return cursor.execute(self._checked(sql), self._bind(params))

    def cached(self, key: Hashable, compute: Callable[[], T], *, scope: str | None = None) -> T:
        """Store.cached, keyed by this scope too: one tenant's cached answer is never another's."""
        return self.store.cached((self.scope, key), compute, scope=scope)

    # -- writing ----------------------------------------------------------------------------

    @contextmanager
    def transaction(self) -> Iterator[Db]:
        with self.store.transaction():
            yield self

    def execute(self, sql: str, params: Mapping[str, Any] | None = None) -> sqlite3.Cursor:
        return self.store.execute(self._checked(sql), self._bind(params))

    def insert(self, table: str, record: Mapping[str, Any]) -> None:
        """Insert a row of a tenant table; its `app_id` and `env` are the scope's."""
        columns = ", ".join(record)
        values = ", ".join(f":{name}" for name in record)
        self.execute(f"INSERT INTO {table} (app_id, env, {columns}) VALUES (:app, :env, {values})", record)

    def update(self, table: str, row_id: str, changes: Mapping[str, Any]) -> int:
        """Set `changes` on the tenant's row `row_id` of `table`; how many rows changed (0 or 1)."""
        if not changes:
            return 0
        sets = ", ".join(f"{name} = :{name}" for name in changes)
        sql = f"UPDATE {table} SET {sets} WHERE app_id = :app AND env = :env AND id = :row_id_"
        return self.execute(sql, {**changes, "row_id_": row_id}).rowcount

    def write_batched(self, statement: BatchedWrite, params: dict[str, Any],
                      key: tuple[Any, ...]) -> dict[str, Any] | None:
        """Store.write_batched for this tenant: the statement reads its tenant as `j.app`, `j.env`."""
        if statement.apply not in self.store.scoped_statements:
            scoped_sql.check(statement.apply, self.store.tenant_tables, scoped_sql.BATCH_TENANT)
            self.store.scoped_statements.add(statement.apply)
        return self.store.write_batched(statement, {**params, **self._tenant}, key)

    def _checked(self, sql: str) -> str:
        if sql not in self.store.scoped_statements:
            scoped_sql.check(sql, self.store.tenant_tables)
            self.store.scoped_statements.add(sql)
        return sql

    def _bind(self, params: Mapping[str, Any] | None) -> dict[str, Any]:
        if params is None:
            return self._tenant
        if not isinstance(params, Mapping):
            raise TypeError("scoped statements take named parameters (a mapping)")
        return {**params, **self._tenant}


def dumps(value: Any) -> str:
    """JSON for a column: compact and stable."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str | bytes) -> Any:
    return orjson.loads(text)


def raw_json(text: str) -> orjson.Fragment:
    """A JSON column placed in a response as it is stored, without parsing it again."""
    return orjson.Fragment(text)
