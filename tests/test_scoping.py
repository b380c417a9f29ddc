"""Tenancy in one place: every statement a feature runs takes its tenant from the caller's Scope.

The guard (core/scoped_sql.py) reads each statement a scoped `Db` runs and refuses one that
reads or writes a tenant table without the scope's tenant. These tests show what it refuses and
accepts, that every feature statement goes through it (a refused statement is a 500 the whole
suite would see, and the session server's log is checked for one at the end, in conftest), and
that the tenant can come from nowhere else.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from university_local.core.db import Db, Store
from university_local.core.scope import Scope, Tenant
from university_local.core.scoped_sql import BATCH_TENANT, UnscopedQuery, check

TABLES = frozenset({"courses", "lessons", "enrollments", "lesson_progress", "users"})


@pytest.mark.parametrize("sql", [
    "SELECT * FROM courses c WHERE c.app_id = :app AND c.env = :env AND c.id = :id",
    "SELECT * FROM courses WHERE app_id = :app AND env = :env",
    "SELECT l.* FROM lessons l JOIN courses c ON c.id = l.course_id AND +c.app_id = :app AND +c.env = :env "
    "WHERE l.app_id = :app AND l.env = :env",
    "SELECT c.id, (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id AND +e.app_id = :app "
    "AND +e.env = :env) FROM courses c WHERE c.app_id = :app AND c.env = :env",
    "UPDATE lessons SET position = position + 1 WHERE module_id = :m AND app_id = :app AND env = :env",
    "DELETE FROM lesson_progress WHERE app_id = :app AND env = :env AND user_id = :user",
    "INSERT INTO users (app_id, env, id) VALUES (:app, :env, :id) ON CONFLICT (app_id, env, id) DO UPDATE SET id = id",
    "SELECT w.id FROM webhooks w, json_each(w.events) e WHERE e.value = :event",  # not tenant tables here
    "SELECT 'FROM courses' AS text",  # a string is not a table
])
def test_statements_filtered_by_the_scope_pass(sql: str) -> None:
    check(sql, TABLES)


@pytest.mark.parametrize("sql, table", [
    ("SELECT * FROM courses WHERE id = :id", "courses"),
    ("SELECT * FROM courses c WHERE c.app_id = :app AND c.id = :id", "courses"),  # the environment forgotten
    ("SELECT * FROM courses c WHERE c.app_id = :tenant AND c.env = :env", "courses"),  # a tenant not the scope's
    ("SELECT l.* FROM lessons l JOIN courses c ON c.id = l.course_id WHERE l.app_id = :app AND l.env = :env",
     "courses"),  # joined through a foreign key only
    ("SELECT c.id, (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id) FROM courses c "
     "WHERE c.app_id = :app AND c.env = :env", "enrollments"),
    ("SELECT * FROM lessons l WHERE l.app_id = :app AND l.env = :env AND l.id IN "
     "(SELECT l.id FROM lessons l WHERE l.module_id = :m)", "lessons"),  # one filter for two references
    ("UPDATE lessons SET deleted_at = :now WHERE module_id = :m", "lessons"),
    ("DELETE FROM lesson_progress WHERE user_id = :user", "lesson_progress"),
    ("INSERT INTO users (app_id, env, id) VALUES ('school', 'test', :id)", "users"),
    ("SELECT * FROM courses c WHERE c.app_id != :app AND c.env = :env", "courses"),
])
def test_statements_without_the_scope_are_refused(sql: str, table: str) -> None:
    with pytest.raises(UnscopedQuery, match=table):
        check(sql, TABLES)


def test_batched_statements_take_their_tenant_per_job() -> None:
    batched = ("INSERT INTO lesson_progress (app_id, env, user_id) SELECT l.app_id, l.env, j.user FROM "
               "(SELECT value->>'app' AS app, value->>'env' AS env, value->>'user' AS user FROM json_each(:jobs)) j "
               "JOIN lessons l ON l.app_id = j.app AND l.env = j.env "
               "RETURNING (SELECT status FROM enrollments WHERE app_id = lesson_progress.app_id "
               "AND env = lesson_progress.env) AS status")
    check(batched, TABLES, BATCH_TENANT)
    with pytest.raises(UnscopedQuery):
        check(batched.replace("l.env = j.env", "l.env = l.env"), TABLES, BATCH_TENANT)


@pytest.fixture
def db(tmp_path: Path) -> Db:
    store = Store(tmp_path / "university.sqlite3")
    store.migrate()
    return store.scoped(Scope.staff(Tenant("school", "test")))


def test_the_handle_refuses_an_unscoped_statement_before_running_it(db: Db) -> None:
    with pytest.raises(UnscopedQuery):
        db.all("SELECT * FROM courses WHERE id = :id", {"id": "course-1"})
    with db.transaction(), pytest.raises(UnscopedQuery):
        db.execute("UPDATE courses SET title = 'x' WHERE id = :id", {"id": "course-1"})
    assert db.all("SELECT * FROM courses WHERE app_id = :app AND env = :env") == []


def test_the_tenant_comes_only_from_the_scope(db: Db) -> None:
    """Positional parameters cannot carry a tenant by hand, and `:app`/`:env` are always the scope's."""
    with pytest.raises(TypeError):
        db.all("SELECT * FROM courses WHERE app_id = :app AND env = :env", ("other", "test"))  # type: ignore[arg-type]
    assert db.scalar("SELECT :app || '/' || :env", {"app": "other", "env": "live"}) == "school/test"


def test_writes_run_inside_a_transaction_only(db: Db) -> None:
    """One way to write: outside `transaction()` the handle refuses, and reading connections are
    `query_only`, so a write slipped through a read fails in SQLite itself."""
    with pytest.raises(RuntimeError):
        db.insert("users", {"id": "ana", "display_name": "Ana", "role": "learner", "created_at": "x",
                            "updated_at": "x"})
    with pytest.raises(Exception, match="readonly"):
        db.one("INSERT INTO users (app_id, env, id, display_name, role, created_at, updated_at) "
               "VALUES (:app, :env, 'ana', 'Ana', 'learner', 'x', 'x') RETURNING id")
    with db.transaction():
        db.insert("users", {"id": "ana", "display_name": "Ana", "role": "learner", "created_at": "x",
                            "updated_at": "x"})
    assert db.scalar("SELECT display_name FROM users WHERE app_id = :app AND env = :env AND id = 'ana'") == "Ana"


def test_tenant_tables_are_read_from_the_schema(db: Db) -> None:
    """Every table partitioned by (app_id, env) is guarded, including those added by later migrations."""
    tables = db.store.tenant_tables
    assert {"courses", "lessons", "enrollments", "lesson_progress", "quiz_attempts", "submissions",
            "certificates", "scorm_attempts", "learning_activity", "learner_totals"} <= tables
    assert not {"apps", "site", "webhook_deliveries", "rollup_state"} & tables


def test_cached_answers_are_kept_per_scope(db: Db) -> None:
    other = db.scoped_to(Scope.staff(Tenant("other", "test")))
    learner = db.scoped_to(Scope.learner(Tenant("school", "test")))
    assert db.cached("page", lambda: "school staff") == "school staff"
    assert other.cached("page", lambda: "other staff") == "other staff"
    assert learner.cached("page", lambda: "school learner") == "school learner"
    assert db.cached("page", lambda: "computed again") == "school staff"
