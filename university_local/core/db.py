"""SQLite storage: one file, a reading connection per thread, one writer, one transaction helper.

WAL lets learners read while a write commits; `synchronous=FULL` makes an acknowledged write
survive a power cut; foreign keys and a busy timeout are on for every connection
(core/connection.py). Every write in the code base goes through `Store.transaction()` (or its
one-statement forms `write` and `write_batched`), which returns only once the write is on disk,
and lets concurrent writers share a commit (group commit) so that durability does not cost one
fsync per request. Batched writes, the hottest, are applied by a process of their own
(core/writer_process.py); SQLite's write lock orders its commits with the server's.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, TypeVar

import orjson
import sqlite_utils

from university_local.core.connection import connect, sqlite_error
from university_local.core.writer_process import BatchedWrite, Update, WriterProcess, apply_group

# BatchedWrite is re-exported so that features define their batched statements with the Store.
__all__ = ["BatchedWrite", "Row", "Store", "dumps", "loads", "raw_json"]

CACHE_ENTRIES = 512  # per thread
COMMIT_DELAY = 0.002  # longest a commit waits for writers already queued to join it
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
        # Group commit (see transaction): one writer connection and the batches riding on it.
        self._writer: sqlite_utils.Database | None = None
        self._writer_init = threading.Lock()
        self._write_lock = threading.Lock()
        self._commit = threading.Condition()
        self._open_batch = 1
        self._batch_members = 0  # transactions released into the open batch
        self._arriving = 0  # transactions waiting for the write lock
        self._scopes: dict[str, int] = {}  # generations of scoped caches
        self._jobs: queue.SimpleQueue[_Job] = queue.SimpleQueue()  # single statements for the writer thread
        self._writer_thread: threading.Thread | None = None
        self._durable = 0
        self._committing = False
        self._failures: dict[int, BaseException] = {}
        self.writer_process = WriterProcess(self.path)  # applies batched writes (started on first use)

    @property
    def db(self) -> sqlite_utils.Database:
        """This thread's connection, or the writer inside a transaction (to see its own writes)."""
        if getattr(self._local, "writing", False):
            return self._writer_db()
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = sqlite_utils.Database(connect(self.path))
        return db

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
        return cache[key]

    def changed(self, scope: str) -> None:
        """Invalidate the `scope` caches of this process (call after committing such a change)."""
        with self._commit:
            self._scopes[scope] = self._scopes.get(scope, 0) + 1

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """All-or-nothing, and durable when it returns: commit on exit, roll back on any exception.

        Group commit: every transaction runs on the one writer connection, inside a savepoint of
        a shared SQLite transaction, and waits until a COMMIT covering it is on disk. Under load
        many transactions share one COMMIT (one fsync) instead of queueing for one each; alone,
        a transaction commits at once. Nested use becomes a savepoint of the caller's.
        """
        writer = self._writer_db()
        if getattr(self._local, "writing", False):
            with writer.atomic():
                yield writer
            return
        self._arrive()
        with self._write_lock:
            self._arrived()
            self._local.writing = True
            try:
                if not writer.conn.in_transaction:
                    writer.conn.execute("BEGIN IMMEDIATE")
                writer.conn.execute("SAVEPOINT txn")
                try:
                    yield writer
                except BaseException as exc:
                    if not writer.conn.in_transaction:  # the error rolled back the whole shared transaction
                        self._fail_open_batch(sqlite_error(f"the write batch was rolled back: {exc}",
                                                           getattr(exc, "sqlite_errorcode", None)))
                    elif self._batch_members:  # others' writes are in it: they will commit it
                        writer.conn.execute("ROLLBACK TO txn")
                        writer.conn.execute("RELEASE txn")
                    else:  # nothing else in it: end it, so the database is not left locked
                        writer.conn.execute("ROLLBACK")
                    raise
                writer.conn.execute("RELEASE txn")
                self._batch_members += 1
                batch = self._open_batch
            finally:
                self._local.writing = False
        self._wait_until_durable(batch)

    def write(self, sql: str, params: Any = ()) -> list[Row]:
        """One statement, durable when this returns; rows of its RETURNING clause, if any.

        The fast path for the hottest writes. The statement is handed to the writer thread,
        which runs every statement waiting at that moment and commits them together. A single
        statement is atomic by itself, so none needs a savepoint; and request threads never
        hold the write lock while they wait for the GIL, which under load would make every
        other writer wait too.
        """
        if getattr(self._local, "writing", False):  # inside a transaction: part of it
            return self._run(self._writer_db(), sql, params)
        return self._submit(_Job(sql, params)).rows

    def write_batched(self, statement: BatchedWrite, params: dict[str, Any],
                      key: tuple[Any, ...]) -> dict[str, Any] | None:
        """Like `write`, for a statement that is applied to many requests at once.

        The writer process (core/writer_process.py) gathers the waiting requests for `statement`
        into one JSON array and runs it once for all of them, with an interpreter of its own.
        `key` is this request's values of the statement's key columns; requests with the same key
        go into separate statements, so each sees the state its own write left. Returns the row
        the statement returned for this request, or None when the statement's conditions kept
        it from applying. Inside a transaction, the write is part of the transaction. The
        statement must be idempotent (see WriterProcess).
        """
        if getattr(self._local, "writing", False):
            update = Update(statement, params, key)
            apply_group(self._writer_db().conn, statement, [update])
            if update.error is not None:
                raise update.error
            return update.outcome
        outcome = self.writer_process.submit(statement, params, key)
        with self._commit:
            self.generation += 1
        return outcome

    def write_long(self, sql: str, params: dict[str, Any]) -> list[dict[str, Any]]:
        """Like `write`, for a long set-based statement (the analytics fold): it runs in the writer
        process, in the transaction of its next batch, so that the batched writes never wait for
        it to win the CPU while it holds the write lock (core/writer_process.py). It must leave
        what running it once leaves if it runs twice. Rows come back as dicts.
        """
        if getattr(self._local, "writing", False):  # inside a transaction: part of it
            return [dict(row) for row in self._run(self._writer_db(), sql, params)]
        rows = self.writer_process.execute(sql, params)
        with self._commit:
            self.generation += 1
        return rows

    def _submit(self, job: _Job) -> _Job:
        """Hand `job` to the writer thread and wait until it is durable (or failed)."""
        with self._writer_init:
            if self._writer_thread is None:
                self._writer_thread = threading.Thread(target=self._write_jobs, name="sqlite-writer", daemon=True)
                self._writer_thread.start()
        self._jobs.put(job)
        job.done.acquire()
        if job.error is not None:
            raise job.error
        return job

    def _write_jobs(self) -> None:
        """The writer thread: run what is queued, commit it as one batch, wake the writers."""
        while True:
            jobs = [self._jobs.get()]
            while not self._jobs.empty():
                jobs.append(self._jobs.get_nowait())
            error: BaseException | None = None
            with self._write_lock:
                writer = self._writer_db()
                committing = self._open_batch
                try:
                    if not writer.conn.in_transaction:
                        writer.conn.execute("BEGIN IMMEDIATE")
                    self._run_jobs(writer, jobs)
                    writer.conn.execute("COMMIT")
                    self._open_batch += 1
                    self._batch_members = 0
                except BaseException as exc:
                    error = exc
                    if writer.conn.in_transaction:
                        writer.conn.execute("ROLLBACK")
                    self._open_batch = committing + 1
                    self._batch_members = 0
            with self._commit:
                if error is None:
                    self._durable = max(self._durable, committing)
                    self.generation += 1
                else:
                    self._record_failure(committing, error)
                self._commit.notify_all()
            for job in jobs:
                if error is not None and job.error is None:
                    job.error = error
                job.done.release()

    def _run_jobs(self, writer: sqlite_utils.Database, jobs: list[_Job]) -> None:
        """Run one batch of jobs in the open transaction; a failing job fails alone."""
        for job in jobs:
            try:
                job.rows = self._run(writer, job.sql, job.params)
            except sqlite3.Error as exc:
                job.error = exc
                if not writer.conn.in_transaction:  # the error took the batch with it
                    raise

    @staticmethod
    def _run(writer: sqlite_utils.Database, sql: str, params: Any) -> list[Row]:
        cursor = writer.conn.cursor()
        cursor.row_factory = sqlite3.Row
        return cursor.execute(sql, params).fetchall()

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
            writer = self._writer_db()
            try:
                if writer.conn.in_transaction:
                    writer.conn.execute("COMMIT")
            except BaseException as exc:
                error = exc
                if writer.conn.in_transaction:
                    writer.conn.execute("ROLLBACK")
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

    def _writer_db(self) -> sqlite_utils.Database:
        if self._writer is None:
            with self._writer_init:
                if self._writer is None:
                    self._writer = sqlite_utils.Database(connect(self.path))
        return self._writer

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
        self.writer_process.close()
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None
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


def _held_lock() -> threading.Lock:
    lock = threading.Lock()
    lock.acquire()
    return lock


@dataclass
class _Job:
    """A statement for the writer thread, and its outcome."""

    sql: str
    params: Any
    rows: list[Row] = field(default_factory=list)  # RETURNING rows
    error: BaseException | None = None
    # Held until the job is done: the waiter blocks on acquiring it, the writer releases it.
    # A bare lock costs one futex wait and one wake; an Event adds a Condition round trip.
    done: threading.Lock = field(default_factory=_held_lock)


def dumps(value: Any) -> str:
    """JSON for a column: compact and stable."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()


def loads(text: str) -> Any:
    return orjson.loads(text)


def raw_json(text: str) -> orjson.Fragment:
    """A JSON column placed in a response as it is stored, without parsing it again."""
    return orjson.Fragment(text)
