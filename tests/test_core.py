"""Shared plumbing: ids, the transaction helper, the read cache, dense positions."""

from __future__ import annotations

import re
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from university_local.core import ordering
from university_local.core.db import Store
from university_local.core.errors import ApiError
from university_local.core.ids import new_id, ulid


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


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "t.sqlite3")
    s.migrate()
    return s


def test_transaction_is_all_or_nothing(store: Store) -> None:
    with pytest.raises(RuntimeError):
        with store.transaction() as db:
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
    db = store.db
    db.execute("CREATE TABLE IF NOT EXISTS items (id TEXT PRIMARY KEY, parent TEXT, position INT, deleted_at TEXT)")
    model: list[str] = []
    for n, (op, a, b) in enumerate(ops):
        if op == "add":
            pos = ordering.open_slot(db, "items", "parent", "p", a or None)
            db.execute("INSERT INTO items VALUES (?, 'p', ?, NULL)", (f"i{n}", pos))
            model.insert(pos - 1, f"i{n}")
        elif op == "move" and model:
            item = model[a % len(model)]
            new = ordering.move(db, "items", "parent", "p", item, model.index(item) + 1, max(b, 1))
            model.remove(item)
            model.insert(new - 1, item)
        elif op == "remove" and model:
            item = model.pop(a % len(model))
            pos = db.execute("SELECT position FROM items WHERE id = ?", (item,)).fetchone()[0]
            db.execute("UPDATE items SET deleted_at = 'x' WHERE id = ?", (item,))
            ordering.close_slot(db, "items", "parent", "p", pos)
        elif op == "reorder" and model:
            model = model[a % len(model):] + model[: a % len(model)]
            ordering.reorder(db, "items", "parent", "p", model, "ids")
        rows = db.execute("SELECT id, position FROM items WHERE deleted_at IS NULL ORDER BY position").fetchall()
        assert [r[0] for r in rows] == model
        assert [r[1] for r in rows] == list(range(1, len(model) + 1))
    with pytest.raises(ApiError):
        ordering.reorder(db, "items", "parent", "p", model + ["ghost"], "ids")
    store.close()


def test_group_commit_keeps_each_transaction_atomic_and_durable(store: Store) -> None:
    """Many threads write at once: failures roll back alone, every success is committed."""
    store.db.execute("CREATE TABLE t (n INTEGER)")
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
    rows = {r[0] for r in Store(store.path).db.execute("SELECT n FROM t").fetchall()}  # a fresh connection
    expected = {n for i in range(12) for n in range(i * 1000, i * 1000 + 50) if n % 7}
    assert rows == expected | {-n for n in expected}
    assert sorted(errors) == sorted(n for i in range(12) for n in range(i * 1000, i * 1000 + 50) if n % 7 == 0)
    assert store._open_batch - 1 < 12 * 50  # commits were shared
    assert store.write("INSERT INTO t VALUES (?) RETURNING n", (99999,))[0]["n"] == 99999
