"""The rollups analytics read, brought up to date from the activity log.

Every progress write appends a row to `learning_activity` (a trigger, migration 0011); nothing
else happens on that hot path. `catch_up` folds the rows not yet counted into the rollups, a batch
at a time, set-based (one upsert per learner-day rather than per write), and records how far it
got in the same statement, so running it twice never counts a row twice. The fold itself is the
trigger of migration 0012, so that each batch is a single statement, run by the writer process
alongside the learners' position updates. It runs from the scheduler and before every analytics
read, so figures are always current.
`rebuild` runs the same fold over an app's whole log: the repair (`university-local analytics
rebuild`), the re-dating after a time-zone change, and what the tests compare the incremental
work against.
"""

from __future__ import annotations

import time
from zoneinfo import ZoneInfo

from university_local.analytics.periods import local_day
from university_local.core.db import Store
from university_local.tenancy.apps import (
    ensure_app,
    parse_time_zone,
    utc_offset_minutes,
)

ROLLUPS = ("activity_daily", "learner_days", "learner_courses", "learner_totals")
# Log rows per fold. Each fold runs in a batch of the writer process (Store.write_long), and
# the position updates in flight wait for it (bench/README.md). Smaller folds cost more per row
# (a learner's rows share fewer upserts), larger ones hold the updates up longer.
BATCH_ROWS = 250

# One fold of the next slice of the log up to row :last (the trigger of migration 0012 does the
# work), or no row when everything up to there is counted.
_CATCH_UP = """
INSERT INTO rollup_folds (after, through)
SELECT applied_through, MIN(applied_through + :batch, :last)
FROM rollup_state
WHERE :last > applied_through
RETURNING after, through"""


def catch_up(store: Store, *, pause: float = 0.0) -> int:
    """Fold every log row written before the call into the rollups; returns how many were folded.

    With `pause` (the scheduled job), it waits `pause` times as long as each fold took before the
    next, so that a backlog built up under heavy load is folded alongside the writes instead of
    holding them up for seconds. Rows logged meanwhile are left to the next call, so that under a
    load the folds cannot keep up with, a call still ends.
    """
    state = store.one("SELECT applied_through, (SELECT MAX(id) FROM learning_activity) AS last FROM rollup_state")
    if state is None or state["last"] is None or state["last"] <= state["applied_through"]:
        return 0  # the common case on a read: one cheap query, no write
    folded = 0
    while True:
        began = time.monotonic()
        rows = store.write_long(_CATCH_UP, {"batch": BATCH_ROWS, "last": state["last"]})
        if not rows:
            return folded
        folded += rows[0]["through"] - rows[0]["after"]
        if pause:
            time.sleep((time.monotonic() - began) * pause)


def rebuild(tx: Store, app_id: str) -> None:
    """Recompute every rollup of an app, both environments, from its log (inside the caller's
    transaction). Rows past the catch-up mark are left to `catch_up`, as they would have been.
    """
    for table in ROLLUPS:
        tx.execute(f"DELETE FROM {table} WHERE app_id = ?", (app_id,))
    tx.execute("INSERT INTO rollup_folds (after, through, app_id) SELECT 0, applied_through, ? FROM rollup_state",
               (app_id,))


def rebuild_all(store: Store) -> list[str]:
    """Recompute the rollups of every app; returns the apps rebuilt."""
    apps = [row["id"] for row in store.all("SELECT id FROM apps ORDER BY id")]
    for app_id in apps:
        with store.transaction() as tx:
            rebuild(tx, app_id)
    return apps


def set_time_zone(store: Store, app_id: str, name: str) -> ZoneInfo:
    """Count the app's days in `name` from now on, and re-date its history to match.

    Every logged change is given the local day of its UTC instant in the new zone (exactly,
    daylight saving included), then the rollups are rebuilt, all in one transaction.
    """
    zone = parse_time_zone(name)
    ensure_app(store, app_id)
    with store.transaction() as tx:
        tx.execute("UPDATE apps SET time_zone = ?, utc_offset_minutes = ? WHERE id = ?",
                   (zone.key, utc_offset_minutes(zone), app_id))
        moved = [(day, row_id) for row_id, occurred_at, old in
                 tx.execute("SELECT id, occurred_at, day FROM learning_activity WHERE app_id = ?", (app_id,))
                 if (day := local_day(occurred_at, zone)) != old]
        tx.executemany("UPDATE learning_activity SET day = ? WHERE id = ?", moved)
        rebuild(tx, app_id)
    return zone
