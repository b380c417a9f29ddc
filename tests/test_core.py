"""Shared plumbing: ids, the transaction helper, batched writes, the read cache, dense positions,
storage errors."""

from __future__ import annotations

import re
import sqlite3
import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import eventually
from university_local.core import ordering
from university_local.core.connection import sqlite_error
from university_local.core.db import BatchedWrite, Store
from university_local.core.errors import ApiError, storage_error
from university_local.core.ids import new_id, ulid
from university_local.core.scope import Scope, Tenant


def test_ids_are_prefixed_unique_and_time_sortable() -> None:
    ids = [new_id("course") for _ in range(5000)]
    assert all(re.fullmatch(r"course-[0-9a-hjkmnp-tv-z]{26}", i) for i in ids)
    assert len(set(ids)) == len(ids)
    assert ids == sorted(ids)


def test_ids_from_many_threads_never_collide() -> None:
    found: list[str] = []
    lock = threading.Lock()

    def make() -> None:
        mine = [ulid() for _ in range(2000)]
        with lock:
            found.extend(mine)

    threads = [threading.Thread(target=make) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(found)) == 16000


def create(store: Store, ddl: str) -> None:
    """A table for one test, made like any other write: in a transaction."""
    with store.transaction() as tx:
        tx.execute(ddl)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "t.sqlite3")
    s.migrate()
    return s


def test_transaction_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError), store.transaction() as db:
        db.execute("INSERT INTO apps (id, name, created_at) VALUES ('a', 'A', 'now')")
        with store.transaction() as inner:  # nested: a savepoint
            inner.execute("INSERT INTO apps (id, name, created_at) VALUES ('b', 'B', 'now')")
        raise RuntimeError("fail after both writes")
    assert store.scalar("SELECT COUNT(*) FROM apps") == 0
    with store.transaction() as db:
        db.execute("INSERT INTO apps (id, name, created_at) VALUES ('a', 'A', 'now')")
    assert store.scalar("SELECT COUNT(*) FROM apps") == 1


def test_cache_sees_writes_from_other_connections(store: Store, tmp_path, monkeypatch) -> None:
    import university_local.core.db as db_module

    calls = []

    def count() -> int:
        calls.append(1)
        return store.scalar("SELECT COUNT(*) FROM apps")

    assert store.cached("n", count) == 0
    assert store.cached("n", count) == 0 and len(calls) == 1
    other = Store(tmp_path / "t.sqlite3")  # another connection, as another process would have
    with other.transaction() as db:
        db.execute("INSERT INTO apps (id, name, created_at) VALUES ('x', 'X', 'now')")
    monkeypatch.setattr(db_module, "EXTERNAL_CHANGES_WITHIN", 0.0)  # instead of waiting a second
    assert store.cached("n", count) == 1 and len(calls) == 2
    with store.transaction() as db:  # and this connection's own writes
        db.execute("INSERT INTO apps (id, name, created_at) VALUES ('y', 'Y', 'now')")
    assert store.cached("n", count) == 2


def test_migration_version_is_recorded(store: Store) -> None:
    assert store.scalar("PRAGMA user_version") >= 1
    assert store.migrate() == store.scalar("PRAGMA user_version")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(["add", "move", "remove", "reorder"]),
                          st.integers(0, 12), st.integers(0, 12)), max_size=30))
def test_positions_stay_dense_and_ordered(tmp_path_factory, ops) -> None:
    store = Store(tmp_path_factory.mktemp("ord") / "o.sqlite3")
    with store.transaction() as tx:
        tx.execute("CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, app_id TEXT, env TEXT, parent TEXT, "
                   "position INT, deleted_at TEXT)")
    db = store.scoped(Scope.staff(Tenant("a", "test")))
    live = "SELECT id, position FROM items WHERE app_id = :app AND env = :env AND deleted_at IS NULL ORDER BY position"
    model: list[str] = []
    for n, (op, a, b) in enumerate(ops):
        with db.transaction():
            if op == "add":
                pos = ordering.open_slot(db, "items", "parent", "p", a or None)
                db.insert("items", {"id": f"i{n}", "parent": "p", "position": pos, "deleted_at": None})
                model.insert(pos - 1, f"i{n}")
            elif op == "move" and model:
                item = model[a % len(model)]
                new = ordering.move(db, "items", "parent", "p", item, model.index(item) + 1, max(b, 1))
                model.remove(item)
                model.insert(new - 1, item)
            elif op == "remove" and model:
                item = model.pop(a % len(model))
                pos = db.scalar("SELECT position FROM items WHERE app_id = :app AND env = :env AND id = :id",
                                {"id": item})
                db.update("items", item, {"deleted_at": "x"})
                ordering.close_slot(db, "items", "parent", "p", pos)
            elif op == "reorder" and model:
                model = model[a % len(model):] + model[: a % len(model)]
                ordering.reorder(db, "items", "parent", "p", model, "ids")
        rows = db.all(live)
        assert [r[0] for r in rows] == model
        assert [r[1] for r in rows] == list(range(1, len(model) + 1))
    with pytest.raises(ApiError), db.transaction():
        ordering.reorder(db, "items", "parent", "p", model + ["ghost"], "ids")
    store.close()


def test_group_commit_keeps_each_transaction_atomic_and_durable(store: Store) -> None:
    """Many threads write at once: failures roll back alone, every success is committed."""
    create(store, "CREATE TABLE t (n INTEGER)")
    errors: list[int] = []

    def work(start: int) -> None:
        for n in range(start, start + 50):
            try:
                with store.transaction() as db:
                    db.execute("INSERT INTO t VALUES (?)", (n,))
                    db.execute("INSERT INTO t VALUES (?)", (-n,))
                    if n % 7 == 0:
                        raise ValueError(n)
            except ValueError:
                errors.append(n)

    threads = [threading.Thread(target=work, args=(i * 1000,)) for i in range(12)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    rows = {r[0] for r in Store(store.path).connection.execute("SELECT n FROM t").fetchall()}  # a fresh connection
    expected = {n for i in range(12) for n in range(i * 1000, i * 1000 + 50) if n % 7}
    assert rows == expected | {-n for n in expected}
    assert sorted(errors) == sorted(n for i in range(12) for n in range(i * 1000, i * 1000 + 50) if n % 7 == 0)
    assert store._open_batch - 1 < 12 * 50  # commits were shared
    with store.transaction() as tx:
        assert tx.execute("INSERT INTO t VALUES (?) RETURNING n", (99999,)).fetchone()["n"] == 99999


def test_a_full_disk_that_rolls_back_a_shared_commit_fails_every_transaction_in_it(store: Store) -> None:
    """SQLite answers some storage errors (a full disk, a failed write) by rolling back the whole
    transaction, and with group commit that holds other requests' finished transactions. None
    of them may then report success: here the one already waiting to commit the batch."""
    create(store, "CREATE TABLE t (n INTEGER, data BLOB)")
    writer = store._writer_connection()
    writer.execute(f"PRAGMA max_page_count = {writer.execute('PRAGMA page_count').fetchone()[0] + 2}")
    failures: dict[str, BaseException] = {}

    def large_write() -> None:
        try:
            with store.transaction() as db:
                # Wait until the first transaction is the one committing this batch, so that the
                # disk fills up while it waits for the lock (internals: the interleaving is the test).
                eventually(lambda: store._committing, timeout=10, interval=0.001)
                db.execute("INSERT INTO t VALUES (2, zeroblob(100000))")  # more than the disk has left
        except sqlite3.Error as exc:
            failures["large"] = exc

    second = threading.Thread(target=large_write)
    try:
        with store.transaction() as db:
            db.execute("INSERT INTO t VALUES (1, NULL)")
            second.start()
            # the second waits for the lock, so it joins this batch
            eventually(lambda: store._arriving, timeout=10, interval=0.001)
    except sqlite3.Error as exc:
        failures["small"] = exc
    second.join()
    writer.execute("PRAGMA max_page_count = 1073741823")

    assert failures["large"].sqlite_errorcode == sqlite3.SQLITE_FULL
    assert Store(store.path).connection.execute("SELECT COUNT(*) FROM t").fetchone()[0] == 0  # nothing was saved
    assert "small" in failures, "the first transaction reported success, and its write is gone"
    assert failures["small"].sqlite_errorcode == sqlite3.SQLITE_FULL  # so the API answers 503 storage_full
    with store.transaction() as db:
        db.execute("INSERT INTO t VALUES (3, NULL)")
    assert Store(store.path).connection.execute("SELECT n FROM t").fetchall() == [(3,)]


# Adds to named counters; a negative amount is refused by the statement's condition.
_ADD = BatchedWrite(
    apply="""INSERT INTO counters (name, total) SELECT value->>'name', value->>'add' FROM json_each(:jobs)
             WHERE value->>'add' >= 0 ON CONFLICT (name) DO UPDATE SET total = total + excluded.total
             RETURNING name, total""",
    key_columns=("name",))


def test_batched_writes_apply_once_each_and_see_their_own_write(store: Store) -> None:
    """Threads add to a few counters at once. Every add applies exactly once, the writer shares
    statements and commits between them, and each caller sees the total its own add made: no two
    adds to one counter see the same total, which they would if they had shared a statement."""
    create(store, "CREATE TABLE counters (name TEXT PRIMARY KEY, total INTEGER NOT NULL CHECK (total < 1000000))")
    seen: dict[str, list[int]] = {name: [] for name in "abc"}
    sent: dict[str, int] = dict.fromkeys("abc", 0)
    failures: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(16)

    def work(n: int) -> None:
        start.wait()
        for i in range(60):
            name, add = "abc"[(n + i) % 3], 1 + (n * 7 + i) % 5
            if n == 0 and i % 10 == 0:  # overflows the CHECK: fails alone
                try:
                    store.write_batched(_ADD, {"name": name, "add": 2_000_000}, key=(name,))
                except sqlite3.IntegrityError as exc:
                    failures.append(exc)
                continue
            if n == 1 and i % 10 == 0:  # refused by the statement's own condition
                assert store.write_batched(_ADD, {"name": name, "add": -1}, key=(name,)) is None
                continue
            outcome = store.write_batched(_ADD, {"name": name, "add": add}, key=(name,))
            with lock:
                seen[name].append(outcome["total"])
                sent[name] += add

    threads = [threading.Thread(target=work, args=(n,)) for n in range(16)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    totals = dict(Store(store.path).connection.execute("SELECT name, total FROM counters").fetchall())
    assert totals == sent
    for name, outcomes in seen.items():
        assert len(outcomes) == len(set(outcomes)) and max(outcomes) == sent[name]
    assert len(failures) == 6
    assert store.writer_process.batches < 16 * 60 / 2  # commits were shared


def test_batched_write_inside_a_transaction_is_part_of_it(store: Store) -> None:
    create(store, "CREATE TABLE counters (name TEXT PRIMARY KEY, total INTEGER NOT NULL)")
    with pytest.raises(ValueError), store.transaction():
        assert store.write_batched(_ADD, {"name": "a", "add": 5}, key=("a",)) == {"name": "a", "total": 5}
        raise ValueError
    assert store.scalar("SELECT COUNT(*) FROM counters") == 0
    with store.transaction():
        store.write_batched(_ADD, {"name": "a", "add": 5}, key=("a",))
    assert store.write_batched(_ADD, {"name": "a", "add": 2}, key=("a",)) == {"name": "a", "total": 7}


def _raised(action: Callable[[], object]) -> sqlite3.Error:
    with pytest.raises(sqlite3.Error) as caught:
        action()
    return caught.value


def test_storage_errors_are_503s_that_say_what_to_do_and_faults_are_not(tmp_path) -> None:
    path = tmp_path / "s.sqlite3"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, blob BLOB)")
    conn.execute("INSERT INTO t VALUES (1, x'00')")

    conn.execute(f"PRAGMA max_page_count = {conn.execute('PRAGMA page_count').fetchone()[0]}")
    full = storage_error(_raised(lambda: conn.execute("INSERT INTO t (blob) VALUES (zeroblob(100000))")))
    conn.execute("PRAGMA max_page_count = 1000000")

    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    conn.execute("BEGIN IMMEDIATE")
    busy = storage_error(_raised(lambda: other.execute("BEGIN IMMEDIATE")))
    conn.execute("ROLLBACK")
    other.close()

    # A code carried across the writer process's socket keeps its meaning, extended codes too.
    disk = storage_error(sqlite_error("disk I/O error", sqlite3.SQLITE_IOERR_WRITE))

    answers = {e.errors[0]["code"]: (e.status, e.headers["Retry-After"]) for e in (full, busy, disk) if e}
    assert answers == {"storage_full": (503, "60"), "database_busy": (503, "1"), "storage_unavailable": (503, "30")}
    assert storage_error(_raised(lambda: conn.execute("INSERT INTO t VALUES (1, x'00')"))) is None  # a fault: 500
    conn.close()
    assert storage_error(sqlite_error("lost in transit", None)) is None
    assert storage_error(ValueError("not SQLite")) is None
