"""The rollups, folded from the activity log batch by batch, equal a recomputation from scratch,
whatever happened.

Hypothesis drives random sequences of progress writes, completions, resets, cancelled and
renewed enrollments, deleted lessons, clock moves across days and months, and time-zone
changes, with catch-ups at random points in between. After each sequence three things must agree: the activity log against a model of the
operations (computed here in Python), the rollup tables against an aggregation of the log in
Python, and the rollup tables against `rollups.rebuild` (the SQL recomputation).
"""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from itertools import count
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import run_cli
from university_local.analytics import rollups
from university_local.core import clock
from university_local.core.db import Store
from university_local.core.errors import ApiError
from university_local.core.scope import Scope, Tenant
from university_local.courses.models import CourseCreate
from university_local.courses.service import create_course
from university_local.enrollments.service import cancel, enroll, find_enrollment
from university_local.lessons.models import LessonCreate
from university_local.lessons.service import create_lesson, delete_lesson
from university_local.modules.models import ModuleCreate
from university_local.modules.service import create_module
from university_local.progress import service as progress
from university_local.tenancy.apps import ensure_app, refresh_utc_offsets

LEARNERS = ("ana", "ben", "chi")
ZONES = ("UTC", "America/Sao_Paulo", "Pacific/Auckland", "Asia/Kolkata", "Europe/London")

writes = st.tuples(st.just("write"), st.integers(0, 2), st.integers(0, 2),
                   st.one_of(st.none(), st.integers(0, 1200)), st.booleans())
catch_ups = st.tuples(st.just("catch_up"))
operations = st.lists(st.one_of(
    writes, writes, writes, writes, catch_ups, catch_ups,
    st.tuples(st.just("advance"), st.integers(1, 180)),  # minutes
    st.tuples(st.just("advance"), st.integers(600, 60 * 40)),  # across days and months
    st.tuples(st.just("reset"), st.integers(0, 2)),
    st.tuples(st.just("cancel"), st.integers(0, 2)),
    st.tuples(st.just("enroll"), st.integers(0, 2)),
    st.tuples(st.just("delete_lesson"), st.integers(1, 2)),  # lesson 0 stays
    st.tuples(st.just("zone"), st.sampled_from(ZONES)),
), min_size=15, max_size=60)


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Store]:
    store = Store(tmp_path_factory.mktemp("rollups") / "university.db")
    store.migrate()
    batch_rows, rollups.BATCH_ROWS = rollups.BATCH_ROWS, 3  # catch-ups fold many slices
    yield store
    rollups.BATCH_ROWS = batch_rows
    clock.set_clock(lambda: datetime.now(UTC))


_apps = count()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations, st.datetimes(datetime(2030, 1, 1), datetime(2031, 12, 1)))
def test_rollups_equal_a_recomputation(store: Store, ops: list[tuple[Any, ...]], start: datetime) -> None:
    now = [start.replace(tzinfo=UTC)]
    clock.set_clock(lambda: now[0])
    tenant = Tenant(f"rollups-{next(_apps)}", "test")
    ensure_app(store, tenant.app_id)
    zone = rollups.set_time_zone(store, tenant.app_id, "UTC")
    db = store.scoped(Scope.staff(tenant))
    course = create_course(db, CourseCreate(title="Tides", status="published"))
    module = create_module(db, course["id"], ModuleCreate(title="One"))
    lessons = [create_lesson(db, module["id"], LessonCreate(
        title=f"L{n}", content_type="text", content={"html": "<p>Waves</p>"}))["id"] for n in range(3)]
    for user in LEARNERS:
        enroll(db, user, course["id"], None)

    held: dict[tuple[str, str], int] = {}  # (learner, lesson) -> seconds, for rows that exist
    done: set[tuple[str, str]] = set()
    expected: list[tuple[str, str, str, int, int]] = []  # the log: learner, lesson, local day, seconds, completed
    for op in ops:
        if op[0] == "advance":
            now[0] += timedelta(minutes=op[1])
            refresh_utc_offsets(store)  # what the scheduler does every few minutes
        elif op[0] == "write":
            user, lesson, seconds, complete = LEARNERS[op[1]], lessons[op[2]], op[3], op[4]
            try:
                progress.record(db, lesson, user, position=None, time_spent_seconds=seconds, complete=complete)
            except ApiError:
                continue  # a deleted lesson or a cancelled enrollment: nothing written
            key = (user, lesson)
            before = held.get(key)
            total = max(before or 0, seconds or 0)
            newly_done = complete and key not in done
            expected.append((user, lesson, now[0].astimezone(zone).date().isoformat(),
                             total - (before or 0), int(newly_done)))
            held[key] = total
            if complete:
                done.add(key)
        elif op[0] == "reset":
            user = LEARNERS[op[1]]
            progress.reset(db, course["id"], user)
            for key in [k for k in held if k[0] == user]:
                del held[key]
                done.discard(key)
        elif op[0] == "cancel":
            enrollment = find_enrollment(db, LEARNERS[op[1]], course["id"])
            assert enrollment is not None
            cancel(db, enrollment["id"])
        elif op[0] == "enroll":
            try:
                enroll(db, LEARNERS[op[1]], course["id"], None)
            except ApiError:
                pass  # already enrolled
        elif op[0] == "delete_lesson":
            try:
                delete_lesson(db, lessons[op[1]])
            except ApiError:
                pass  # already deleted
        elif op[0] == "catch_up":
            rollups.catch_up(store)
        elif op[0] == "zone":
            zone = rollups.set_time_zone(store, tenant.app_id, op[1])
            # History is re-dated to the new zone: recompute the model's days from the log's instants.
            expected = [(u, le, _day(at, zone), s, c) for (u, le, _, s, c), at in zip(expected, _instants(store, tenant))]

    log = store.all("SELECT user_id, lesson_id, day, seconds, completed, occurred_at FROM learning_activity "
                    "WHERE app_id = ? ORDER BY id", (tenant.app_id,))
    assert [tuple(row)[:5] for row in log] == expected

    rollups.catch_up(store)
    kept = _rollups(store, tenant)
    assert kept == _aggregate(store, tenant, course["id"], log)
    with store.transaction() as db:
        rollups.rebuild(db, tenant.app_id)
    assert _rollups(store, tenant) == kept


def _instants(store: Store, tenant: Tenant) -> list[str]:
    return [row[0] for row in store.all("SELECT occurred_at FROM learning_activity WHERE app_id = ? ORDER BY id",
                                        (tenant.app_id,))]


def _day(instant: str, zone: ZoneInfo) -> str:
    return datetime.fromisoformat(instant.replace("Z", "+00:00")).astimezone(zone).date().isoformat()


def _rollups(store: Store, tenant: Tenant) -> dict[str, set[tuple[Any, ...]]]:
    columns = {
        "activity_daily": "course_id, day, user_id, seconds, lessons_completed, events",
        "learner_days": "user_id, day, seconds, lessons_completed, events",
        "learner_courses": "course_id, user_id, seconds, lessons_completed, events, last_lesson_id, last_activity_at",
        "learner_totals": "user_id, seconds, lessons_completed, active_days, last_day, current_streak",
    }
    return {table: {tuple(row) for row in store.all(f"SELECT {cols} FROM {table} WHERE app_id = ?",
                                                    (tenant.app_id,))}
            for table, cols in columns.items()}


def _aggregate(store: Store, tenant: Tenant, course_id: str, log: list[Any]) -> dict[str, set[tuple[Any, ...]]]:
    """The rollups' definitions, in plain Python over the log."""
    daily: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    days: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    courses: dict[str, list[Any]] = {}
    for index, (user, lesson, day, seconds, completed, occurred_at) in enumerate(log):
        for bucket in (daily[(day, user)], days[(user, day)]):
            bucket[0] += seconds
            bucket[1] += completed
            bucket[2] += 1
        entry = courses.setdefault(user, [0, 0, 0, lesson, occurred_at, index])
        entry[0] += seconds
        entry[1] += completed
        entry[2] += 1
        if (occurred_at, index) >= (entry[4], entry[5]):  # the latest change, then the one logged last
            entry[3:6] = [lesson, occurred_at, index]
    totals = set()
    for user in {u for u, _ in days}:
        mine = sorted(day for u, day in days if u == user)
        streak = 1
        while streak < len(mine) and date.fromisoformat(mine[-streak - 1]) == \
                date.fromisoformat(mine[-1]) - timedelta(days=streak):
            streak += 1
        totals.add((user, sum(days[(user, d)][0] for d in mine), sum(days[(user, d)][1] for d in mine),
                    len(mine), mine[-1], streak))
    return {
        "activity_daily": {(course_id, day, user, *v) for (day, user), v in daily.items()},
        "learner_days": {(user, day, *v) for (user, day), v in days.items()},
        "learner_courses": {(course_id, user, *v[:4], v[4]) for user, v in courses.items()},
        "learner_totals": totals,
    }


def test_streak_counts_late_activity_for_an_earlier_day(tmp_path: Path) -> None:
    """Activity reported for an earlier day (a sync, a late report) joins the runs around it."""
    store = Store(tmp_path / "university.db")
    store.migrate()
    ensure_app(store, "late")
    insert = ("INSERT INTO learning_activity (app_id, env, user_id, course_id, lesson_id, occurred_at, day, "
              "seconds, completed) VALUES ('late', 'test', 'u', 'c', 'l', ?, ?, 10, 0)")

    def streak() -> tuple[str, int]:
        rollups.catch_up(store)
        row = store.one("SELECT last_day, current_streak FROM learner_totals WHERE app_id = 'late'")
        assert row is not None
        return row["last_day"], row["current_streak"]

    with store.transaction() as db:
        for day in ("2030-01-30", "2030-02-01", "2030-02-02"):  # Jan 31 missing
            db.execute(insert, (f"{day}T12:00:00.000Z", day))
    assert streak() == ("2030-02-02", 2)
    with store.transaction() as db:
        db.execute(insert, ("2030-01-31T12:00:00.000Z", "2030-01-31"))  # fills the gap across the month end
    assert streak() == ("2030-02-02", 4)
    with store.transaction() as db:
        db.execute(insert, ("2030-01-20T12:00:00.000Z", "2030-01-20"))  # an old day alone changes nothing
    assert streak() == ("2030-02-02", 4)


def test_time_zone_and_rebuild_from_the_command_line(tmp_path: Path) -> None:
    assert run_cli(tmp_path, "apps", "time-zone", "--app", "school").stdout.strip() == "UTC"
    assert run_cli(tmp_path, "apps", "time-zone", "--app", "school", "Asia/Kolkata").stdout.strip() == "Asia/Kolkata"
    store = Store(tmp_path / "university.sqlite3")
    assert store.scalar("SELECT utc_offset_minutes FROM apps WHERE id = 'school'") == 330  # +05:30, for triggers
    wrong = run_cli(tmp_path, "apps", "time-zone", "--app", "school", "Mars/Olympus", check=False)
    assert wrong.returncode == 1 and "unknown time zone" in wrong.stderr
    assert run_cli(tmp_path, "analytics", "rebuild").stdout.strip() == "school: rollups rebuilt"


def test_best_quiz_scores_follow_grading_and_regrading(tmp_path: Path) -> None:
    """quiz_bests keeps each learner's best graded score per quiz, also when a re-grade lowers it."""
    store = Store(tmp_path / "university.db")
    store.migrate()
    insert = ("INSERT INTO quiz_attempts (id, app_id, env, quiz_id, user_id, attempt_number, status, question_order, "
              "score, started_at, updated_at) VALUES (?, 'a', 'test', 'quiz-1', 'u', ?, ?, '[]', ?, 'x', 'x')")

    def best() -> float | None:
        return store.scalar("SELECT score FROM quiz_bests WHERE app_id = 'a' AND user_id = 'u' AND quiz_id = 'quiz-1'")

    store._writer_connection().execute("PRAGMA foreign_keys = OFF")  # attempts alone, without a quiz row
    with store.transaction() as db:
        db.execute(insert, ("att-1", 1, "graded", 60.0))
        db.execute(insert, ("att-2", 2, "pending_review", 40.0))  # essays not graded yet: not counted
    assert best() == 60.0
    with store.transaction() as db:
        db.execute("UPDATE quiz_attempts SET status = 'graded', score = 90.0 WHERE id = 'att-2'")
    assert best() == 90.0
    with store.transaction() as db:  # the essay re-scored down: the best is the first attempt again
        db.execute("UPDATE quiz_attempts SET score = 50.0 WHERE id = 'att-2'")
    assert best() == 60.0


def test_a_catch_up_ends_while_writes_outpace_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The scheduled catch-up folds what was logged before it began: under writes it cannot keep
    up with, it still ends, and leaves the rest to the next run."""
    store = Store(tmp_path / "university.db")
    store.migrate()
    ensure_app(store, "busy")
    insert = ("INSERT INTO learning_activity (app_id, env, user_id, course_id, lesson_id, occurred_at, day, "
              "seconds, completed) VALUES ('busy', 'test', ?, 'c', 'l', '2030-01-30T12:00:00.000Z', '2030-01-30', "
              "10, 0)")

    def log(rows: int) -> None:
        with store.transaction() as db:
            db.executemany(insert, [(f"u{n % 7}",) for n in range(rows)])

    log(50)
    monkeypatch.setattr(rollups, "BATCH_ROWS", 5)
    stop = threading.Event()

    def keep_logging() -> None:
        while not stop.is_set():
            log(20)

    writer = threading.Thread(target=keep_logging)
    writer.start()
    folded: list[int] = []
    catcher = threading.Thread(target=lambda: folded.append(rollups.catch_up(store, pause=1.0)))
    catcher.start()
    catcher.join(20)
    stop.set()
    writer.join()
    catcher.join()
    assert folded and folded[0] >= 50
    state = store.one("SELECT applied_through, (SELECT MAX(id) FROM learning_activity) AS last FROM rollup_state")
    assert state is not None and state["applied_through"] == folded[0] < state["last"]
    assert store.one("SELECT SUM(events) AS n FROM learner_days WHERE app_id = 'busy'")["n"] == folded[0]
    store.close()
