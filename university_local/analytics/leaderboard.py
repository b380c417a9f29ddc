"""Leaderboards: learners ranked by progress, score, learning time or streak.

One statement computes every participant's value and lets SQLite order them and keep the top
few: from the rollups for time and streak (`learner_courses`, `learner_totals`), from
enrollments for progress, and from each learner's best graded score per quiz (`quiz_bests`) for
score. A second looks up only those few in `users` (names, opt-outs). Nothing runs once per learner
from Python, and each statement is written to stay on the index that fits it (`+column` keeps
SQLite off a wider index; checked on the generated tenant of bench/README.md).

Definitions (the README quotes them):

- scope `course` needs `course_id`, scope `path` needs `path_id` (missing: 400
  `invalid_parameter` naming the parameter); an unknown or deleted course or path is 404, and
  so is a draft one with a publishable key. With scope `global` both are ignored, and the
  document's `course_id`/`path_id` are those of the scope (null otherwise).
- Who takes part: scope course, learners with a not-cancelled enrollment in the course; scope
  path, learners with a not-cancelled enrollment in any live course of the path; global, every
  user of the tenant. Deactivated users and users who opted out of leaderboards
  (`leaderboard_opt_out`) are left out, and so is anyone whose value is 0 (nothing to rank).
- progress: course, percent of the course's live required lessons completed (whole percent,
  rounded down), 100 once the enrollment is completed, exactly as an enrollment's
  `progress_percent`; path, percent of the path's required courses completed (all its courses
  when none is marked required, as the path progress endpoint counts); global, the number of
  completed courses (courses not deleted). Unit "percent", or "courses" for global. Expired
  enrollments take part with the lessons they completed.
- score: for each quiz in scope (the course's, the path's courses', every quiz) the learner's
  best graded score; the mean of those, to 1 decimal. Learners without a graded attempt in
  scope are left out. Attempts awaiting an essay grade, deleted quizzes and quizzes of deleted
  courses do not count. Unit "percent".
- time: learning time logged in scope (learning history: time before a progress reset still
  counts): the course's, the sum over the path's live courses, or all (deleted courses too:
  it is time the learner spent). Minutes to 1 decimal.
- streak: the current streak in days (see analytics/learners.py): the same figure in every
  scope, the scope only chooses who takes part. Unit "days".
- Order: by value, highest first; equal values share a rank (standard competition ranking:
  1, 2, 2, 4) and are listed by user id; the values compared are the ones shown (rounded).
  `limit` entries at most. `display_name` is the user's.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from university_local.analytics.learners import streak_cutoff
from university_local.analytics.models import LeaderboardQuery
from university_local.analytics.periods import local_today
from university_local.analytics.rollups import catch_up
from university_local.core.db import Db, dumps
from university_local.core.errors import ApiError
from university_local.courses.service import get_course
from university_local.learning_paths.service import get_path, path_entries
from university_local.tenancy.apps import time_zone

UNITS = {"progress": "percent", "score": "percent", "time": "minutes", "streak": "days"}


@dataclass(frozen=True)
class Entry:
    rank: int
    user_id: str
    display_name: str | None
    value: float


@dataclass(frozen=True)
class Leaderboard:
    scope: str
    course_id: str | None
    path_id: str | None
    metric: str
    unit: str
    entries: list[Entry]


def leaderboard(db: Db, query: LeaderboardQuery) -> Leaderboard:
    """The ranked learners (see the module docstring for the rules); activity
    logged a moment before is folded first."""
    catch_up(db.site)
    course_id = path_id = None
    courses: list[str] | None = None  # the courses in scope; None for global
    counted: list[str] = []  # the courses a path's progress counts
    if query.scope == "course":
        if not query.course_id:
            raise ApiError(400, "invalid_parameter", "course_id: required when scope is course.", parameter="course_id")
        course_id = get_course(db, query.course_id)["id"]
        courses = [course_id]
    elif query.scope == "path":
        if not query.path_id:
            raise ApiError(400, "invalid_parameter", "path_id: required when scope is path.", parameter="path_id")
        path_id = get_path(db, query.path_id)["id"]
        path_courses = path_entries(db, [path_id])[path_id]
        courses = [entry.course_id for entry in path_courses]
        counted = [entry.course_id for entry in path_courses if entry.required] or courses

    params: dict[str, Any] = {}
    in_scope = ""
    if courses is not None:
        params.update({f"c{n}": course for n, course in enumerate(courses)})
        in_scope = ",".join(f":c{n}" for n in range(len(courses)))
    values = _values(db, query.metric, query.scope, in_scope, counted, params)
    # Progress is read from the scope's own enrollments; other values need the scope's learners picked.
    picked = in_scope if query.metric != "progress" else ""
    ranked = [] if values is None else _top(db, values, picked, params, query.limit)
    entries: list[Entry] = []
    for position, (user_id, name, value) in enumerate(ranked):
        # Rows come highest first, so everyone ranked above this value is listed before it.
        tied = position > 0 and value == ranked[position - 1][2]
        entries.append(Entry(entries[-1].rank if tied else position + 1, user_id, name, float(value)))
    unit = "courses" if query.metric == "progress" and query.scope == "global" else UNITS[query.metric]
    return Leaderboard(query.scope, course_id, path_id, query.metric, unit, entries)


def _top(db: Db, values: str, in_scope: str, params: dict[str, Any], limit: int) -> list[tuple[str, str, Any]]:
    """The best `limit` (user_id, display_name, value) of `values`, leaving out who may not take part.

    `in_scope` (course parameters) keeps only learners enrolled in those courses. SQLite orders
    the values and keeps a few more candidates than needed; only those are looked up in `users`
    (deactivated, opted out). Should so many of them be left out that fewer than `limit` remain
    while more candidates exist, the search widens to all of them.
    """
    participants = "" if not in_scope else (
        # `+` keeps SQLite on the course index rather than scanning the tenant's enrollments.
        " AND user_id IN (SELECT e.user_id FROM enrollments e WHERE e.course_id IN (" + in_scope + ") "
        "AND +e.app_id = :app AND +e.env = :env AND e.status != 'cancelled')")
    # Materialized: computed once, not again for the filter.
    sql = (f"WITH v AS MATERIALIZED ({values}) SELECT user_id, value FROM v WHERE value > 0{participants} "
           "ORDER BY value DESC, user_id LIMIT :candidates")
    candidates = 2 * limit + 20
    while True:
        rows = db.all(sql, {**params, "candidates": candidates})
        ids = [row["user_id"] for row in rows]
        names = {row["id"]: row["display_name"] for row in db.all(
            "SELECT id, display_name FROM users WHERE app_id = :app AND env = :env "
            "AND id IN (SELECT value FROM json_each(:ids)) AND deactivated_at IS NULL AND leaderboard_opt_out = 0",
            {"ids": dumps(ids)})}
        kept = [(row["user_id"], names[row["user_id"]], row["value"]) for row in rows if row["user_id"] in names]
        if len(kept) >= limit or len(rows) < candidates or candidates < 0:
            return kept[:limit]
        candidates = -1  # SQLite: no limit


def _values(db: Db, metric: str, scope: str, in_scope: str, counted: list[str],
            params: dict[str, Any]) -> str | None:
    """A query of (user_id, value) for the metric; None when nobody can have a value (an empty path)."""
    if scope == "path" and not in_scope:
        return None
    if metric == "progress":
        return _progress(scope, in_scope, counted, params)
    if metric == "score":  # from each learner's best graded score per quiz (quiz_bests, kept by trigger)
        if scope == "global":  # every quiz of the tenant, except those deleted or in deleted courses
            quizzes = ("b.quiz_id NOT IN (SELECT q.id FROM quizzes q LEFT JOIN courses c ON c.id = q.course_id "
                       "AND +c.app_id = :app AND +c.env = :env WHERE q.app_id = :app AND q.env = :env "
                       "AND (q.deleted_at IS NOT NULL OR c.deleted_at IS NOT NULL))")
        else:  # the live quizzes of the courses in scope
            quizzes = ("b.quiz_id IN (SELECT q.id FROM quizzes q WHERE q.course_id IN (" + in_scope + ") "
                       "AND +q.app_id = :app AND +q.env = :env AND q.deleted_at IS NULL)")
        return ("SELECT user_id, ROUND(AVG(b.score), 1) AS value FROM quiz_bests b "
                f"WHERE b.app_id = :app AND b.env = :env AND {quizzes} GROUP BY user_id")
    if metric == "time":
        if scope == "global":
            return ("SELECT user_id, ROUND(seconds / 60.0, 1) AS value FROM learner_totals "
                    "WHERE app_id = :app AND env = :env")
        return ("SELECT user_id, ROUND(SUM(seconds) / 60.0, 1) AS value FROM learner_courses "
                f"WHERE course_id IN ({in_scope}) AND +app_id = :app AND +env = :env GROUP BY user_id")
    # streak: current only while the last active day is today or yesterday in the tenant's zone
    params["since"] = streak_cutoff(local_today(time_zone(db.site, db.tenant.app_id)))
    return ("SELECT user_id, current_streak AS value FROM learner_totals "
            "WHERE app_id = :app AND env = :env AND last_day >= :since")


def _progress(scope: str, in_scope: str, counted: list[str], params: dict[str, Any]) -> str:
    if scope == "global":
        # Completed courses, counted from the index alone; completions in deleted courses (rare,
        # found through the course index) are taken off again.
        return ("SELECT e.user_id, COUNT(*) - (SELECT COUNT(*) FROM enrollments d WHERE d.app_id = :app "
                "AND d.env = :env AND d.user_id = e.user_id AND +d.status = 'completed' AND d.course_id IN ("
                "SELECT id FROM courses WHERE app_id = :app AND env = :env AND deleted_at IS NOT NULL)) AS value "
                "FROM enrollments e WHERE e.app_id = :app AND e.env = :env AND e.status = 'completed' "
                "GROUP BY e.user_id")
    if scope == "course":  # enrollments/service.py progress_percent, for every learner at once
        return ("SELECT e.user_id, CASE WHEN e.status = 'completed' THEN 100 "
                "WHEN r.total = 0 THEN 0 ELSE MIN(100, 100 * ("
                "SELECT COUNT(*) FROM lesson_progress p WHERE p.app_id = :app AND p.env = :env "
                "AND p.user_id = e.user_id AND p.course_id = e.course_id AND p.completed_at IS NOT NULL "
                "AND p.lesson_id IN (SELECT l.id FROM lessons l WHERE l.course_id = :c0 AND l.deleted_at IS NULL "
                "AND l.required = 1 AND +l.app_id = :app AND +l.env = :env)) / r.total) END AS value "
                "FROM enrollments e, (SELECT COUNT(*) AS total FROM lessons WHERE course_id = :c0 "
                "AND deleted_at IS NULL AND required = 1 AND +app_id = :app AND +env = :env) r "
                "WHERE e.course_id = :c0 AND +e.app_id = :app AND +e.env = :env AND e.status != 'cancelled'")
    # path: percent of the counted courses completed, rounded down like the path progress endpoint
    params.update({f"k{n}": course for n, course in enumerate(counted)})
    marks = ",".join(f":k{n}" for n in range(len(counted)))
    params["counted"] = len(counted)
    return ("SELECT user_id, 100 * SUM(status = 'completed' AND course_id IN (" + marks + ")) / :counted AS value "
            f"FROM enrollments WHERE course_id IN ({in_scope}) AND +app_id = :app AND +env = :env "
            "AND status != 'cancelled' GROUP BY user_id")
