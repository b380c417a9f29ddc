"""The rollups analytics read, brought up to date from the activity log.

Every progress write appends a row to `learning_activity` (a trigger, migration 0011); nothing
else happens on that hot path. `catch_up` folds the rows not yet counted into the rollups, a batch
at a time, set-based (one upsert per learner-day rather than per write), and records how far it
got in the same transaction, so running it twice never counts a row twice. It runs from the
scheduler and before every analytics read, so figures are always current. `rebuild` runs the
same statements over an app's whole log: the repair (`university-local analytics rebuild`),
the re-dating after a time-zone change, and what the tests compare the incremental work against.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo

from university_local.analytics.periods import local_day
from university_local.core.db import Store
from university_local.tenancy.apps import (
    ensure_app,
    parse_time_zone,
    utc_offset_minutes,
)

ROLLUPS = ("activity_daily", "learner_days", "learner_courses", "learner_totals")
BATCH_ROWS = 5_000  # log rows per catch-up transaction: keeps the write lock short under load

# Each statement folds the log rows matching {rows} into one rollup. Order matters: a learner's
# totals row exists before their new days go in, because each new day extends their streak
# (trigger learner_days_streak), and days go in in order so that streaks mostly just grow.
_FOLD = [
    """INSERT INTO activity_daily (app_id, env, course_id, day, user_id, seconds, lessons_completed, events)
       SELECT app_id, env, course_id, day, user_id, SUM(seconds), SUM(completed), COUNT(*)
       FROM learning_activity WHERE {rows} GROUP BY app_id, env, course_id, day, user_id
       ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds,
           lessons_completed = lessons_completed + excluded.lessons_completed, events = events + excluded.events""",
    """INSERT INTO learner_totals (app_id, env, user_id, seconds, lessons_completed, active_days, last_day,
                                  current_streak)
       SELECT app_id, env, user_id, SUM(seconds), SUM(completed), 0, MIN(day), 0
       FROM learning_activity WHERE {rows} GROUP BY app_id, env, user_id
       ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds,
           lessons_completed = lessons_completed + excluded.lessons_completed""",
    """INSERT INTO learner_days (app_id, env, user_id, day, seconds, lessons_completed, events)
       SELECT app_id, env, user_id, day, SUM(seconds), SUM(completed), COUNT(*)
       FROM learning_activity WHERE {rows} GROUP BY app_id, env, user_id, day ORDER BY app_id, env, user_id, day
       ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds,
           lessons_completed = lessons_completed + excluded.lessons_completed, events = events + excluded.events""",
    # The latest change (by time, then by log order) names the lesson a learner was last on.
    """INSERT INTO learner_courses (app_id, env, course_id, user_id, seconds, lessons_completed, events,
                                   last_activity_id, last_lesson_id, last_activity_at)
       SELECT app_id, env, course_id, user_id, SUM(seconds), SUM(completed), COUNT(*),
              MAX(CASE WHEN latest = 1 THEN id END), MAX(CASE WHEN latest = 1 THEN lesson_id END), MAX(occurred_at)
       FROM (SELECT *, ROW_NUMBER() OVER (PARTITION BY app_id, env, course_id, user_id
                                          ORDER BY occurred_at DESC, id DESC) AS latest
             FROM learning_activity WHERE {rows})
       WHERE true GROUP BY app_id, env, course_id, user_id
       ON CONFLICT DO UPDATE SET seconds = seconds + excluded.seconds,
           lessons_completed = lessons_completed + excluded.lessons_completed, events = events + excluded.events,
           last_lesson_id = CASE WHEN (excluded.last_activity_at, excluded.last_activity_id)
                                      > (last_activity_at, last_activity_id)
                                 THEN excluded.last_lesson_id ELSE last_lesson_id END,
           last_activity_id = CASE WHEN (excluded.last_activity_at, excluded.last_activity_id)
                                        > (last_activity_at, last_activity_id)
                                   THEN excluded.last_activity_id ELSE last_activity_id END,
           last_activity_at = MAX(last_activity_at, excluded.last_activity_at)""",
]


def _fold(db: Any, rows: str, params: dict[str, Any]) -> None:
    for sql in _FOLD:
        db.execute(sql.format(rows=rows), params)


def catch_up(store: Store) -> int:
    """Fold every log row not yet counted into the rollups; returns how many were folded."""
    state = store.one("SELECT applied_through, (SELECT MAX(id) FROM learning_activity) AS last FROM rollup_state")
    if state is None or state["last"] is None or state["last"] <= state["applied_through"]:
        return 0  # the common case on a read: one cheap query, no write
    folded = 0
    while True:
        with store.transaction() as db:  # re-read under the write lock: another thread may have folded
            applied = db.execute("SELECT applied_through FROM rollup_state").fetchone()[0]
            last = db.execute("SELECT MAX(id) FROM learning_activity").fetchone()[0] or 0
            through = min(last, applied + BATCH_ROWS)
            if through <= applied:
                return folded
            _fold(db, "id > :after AND id <= :through", {"after": applied, "through": through})
            db.execute("UPDATE rollup_state SET applied_through = ?", (through,))
        folded += through - applied


def rebuild(db: Any, app_id: str) -> None:
    """Recompute every rollup of an app from its log (inside the caller's transaction).

    Rows past the catch-up mark are left to `catch_up`, as they would have been.
    """
    for table in ROLLUPS:
        db.execute(f"DELETE FROM {table} WHERE app_id = ?", (app_id,))
    through = db.execute("SELECT applied_through FROM rollup_state").fetchone()[0]
    _fold(db, "app_id = :app AND id <= :through", {"app": app_id, "through": through})


def rebuild_all(store: Store) -> list[str]:
    """Recompute the rollups of every app; returns the apps rebuilt."""
    apps = [row["id"] for row in store.all("SELECT id FROM apps ORDER BY id")]
    for app_id in apps:
        with store.transaction() as db:
            rebuild(db, app_id)
    return apps


def set_time_zone(store: Store, app_id: str, name: str) -> ZoneInfo:
    """Count the app's days in `name` from now on, and re-date its history to match.

    Every logged change is given the local day of its UTC instant in the new zone (exactly,
    daylight saving included), then the rollups are rebuilt, all in one transaction.
    """
    zone = parse_time_zone(name)
    ensure_app(store, app_id)
    with store.transaction() as db:
        db.execute("UPDATE apps SET time_zone = ?, utc_offset_minutes = ? WHERE id = ?",
                   (zone.key, utc_offset_minutes(zone), app_id))
        moved = [(day, row_id) for row_id, occurred_at, old in
                 db.execute("SELECT id, occurred_at, day FROM learning_activity WHERE app_id = ?", (app_id,))
                 if (day := local_day(occurred_at, zone)) != old]
        db.conn.executemany("UPDATE learning_activity SET day = ? WHERE id = ?", moved)
        rebuild(db, app_id)
    return zone
