"""Course analytics: how many enroll and finish, how learners engage, where they stop.

Definitions (the README's Analytics section quotes them):
- Enrollments `total` counts the course's enrollments that are not cancelled, as of now; `new`
  those made within the period; `trend` is the percent change of `new` against the period of the
  same length just before (0 when both are 0; null for `all`, or when only the earlier one is 0).
- Completions `total` counts completed enrollments, as of now, and `rate` is total completions
  over total enrollments (so 156 of 245 is 63.7, as in the spec's example);
  `average_days_to_complete` is the mean time from enrolling to completing of the enrollments
  completed within the period.
- A learner is active on a day when a progress record of theirs in the course changed that day.
  A session is one learner's activity in the course on one day, so `average_time_per_session`
  is learning time over learner-days. `lessons_completed_per_day` spreads the period's first
  completions of lessons over its days.
- A learner has dropped off when their enrollment is active but nothing of theirs in the course
  has changed for `DROP_OFF_QUIET_DAYS` days; they dropped off at the lesson they touched last.
  A lesson's `drop_rate` is the share of the learners who started it that dropped off there. It
  is a state as of now, whatever the period.
- Ratings are every learner's current rating of the course, whatever the period.
- Days are calendar days of the tenant's time zone; figures come from the rollups kept by the
  database (migration 0011) and from indexed counts of enrollments, never from scanning history.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from university_local.analytics.models import CourseAnalyticsQuery
from university_local.analytics.periods import (
    Window,
    count_by_day,
    days_between,
    local_day,
    window,
)
from university_local.analytics.rollups import catch_up
from university_local.core.clock import to_iso, utcnow
from university_local.core.db import Db
from university_local.courses.service import get_course
from university_local.ratings.service import RatingSummary, rating_summary

DROP_OFF_QUIET_DAYS = 14
DROP_OFF_LESSONS = 5
EARLIEST = "0000-01-01"
# A course's enrollments, through the course's index: `+` keeps SQLite (which has no statistics
# to go by) off the tenant-wide status index, which would read every enrollment of the tenant.
_COURSE_ENROLLMENTS = "course_id = :course AND +app_id = :app AND +env = :env"


@dataclass(frozen=True)
class EnrollmentFigures:
    total: int
    new: int
    trend: float | None


@dataclass(frozen=True)
class CompletionFigures:
    total: int
    rate: float
    average_days_to_complete: float | None


@dataclass(frozen=True)
class DropOffLesson:
    lesson_id: str
    title: str
    drop_rate: float
    learners_dropped: int
    learners_started: int


@dataclass(frozen=True)
class EngagementFigures:
    active_learners: int
    average_time_per_session_minutes: float
    lessons_completed_per_day: float
    sessions: int
    drop_off_lessons: list[DropOffLesson]


@dataclass(frozen=True)
class TimelineDay:
    date: str
    enrollments: int
    completions: int
    active_learners: int
    lessons_completed: int


Figures = EnrollmentFigures | CompletionFigures | EngagementFigures | RatingSummary


@dataclass(frozen=True)
class CourseAnalytics:
    course_id: str
    period: str
    time_zone: str
    from_date: str
    to_date: str
    metrics: dict[str, Figures]  # the metrics asked for, by name
    timeline: list[TimelineDay]


def course_analytics(db: Db, course_id: str, query: CourseAnalyticsQuery) -> CourseAnalytics:
    """A course's figures (see the module docstring for each);
    activity logged a moment before is folded first."""
    catch_up(db.site)
    course = get_course(db, course_id)
    span = window(db, query.period)
    first_day = span.first_day() or _first_day(db, course_id, course["created_at"], span)
    context: dict[str, Any] = {"course": course_id, "first_day": first_day, "last_day": span.last_day(),
               "start": span.utc_start() or EARLIEST, "end": span.utc_end()}
    # The course's days in the period, read once: the engagement figures and the timeline share them.
    context["daily"] = {row["day"]: row for row in db.all(
        "SELECT day, COUNT(*) AS learners, SUM(seconds) AS seconds, SUM(lessons_completed) AS lessons "
        "FROM activity_daily WHERE course_id = :course AND +app_id = :app AND +env = :env "
        "AND day BETWEEN :first_day AND :last_day GROUP BY day", context)}
    metrics = {name: _METRICS[name](db, context, span) for name in query.metric_names}
    return CourseAnalytics(course_id, query.period, span.zone.key, first_day, span.last_day(), metrics,
                           _timeline(db, context, span))


def _first_day(db: Db, course_id: str, created_at: str, span: Window) -> str:
    """For `all`: the course's first day, or an earlier enrollment's (records can be imported)."""
    first = db.scalar("SELECT MIN(enrolled_at) FROM enrollments WHERE course_id = :course AND +app_id = :app "
                      "AND +env = :env", {"course": course_id})
    first_activity = db.scalar("SELECT MIN(day) FROM activity_daily WHERE course_id = :course AND +app_id = :app "
                               "AND +env = :env", {"course": course_id})
    days = [local_day(created_at, span.zone)] + ([local_day(first, span.zone)] if first else [])
    return min(days + ([first_activity] if first_activity else []) + [span.last_day()])


def _enrollments(db: Db, context: dict[str, Any], span: Window) -> EnrollmentFigures:
    previous = span.previous()
    row = db.one(
        "SELECT COUNT(*) AS total, "
        "COUNT(*) FILTER (WHERE enrolled_at >= :start AND enrolled_at < :end) AS new, "
        "COUNT(*) FILTER (WHERE enrolled_at >= :previous_start AND enrolled_at < :start) AS earlier "
        f"FROM enrollments WHERE {_COURSE_ENROLLMENTS} AND status != 'cancelled'",
        {**context, "previous_start": previous.utc_start() if previous else context["start"]})
    assert row is not None
    new, earlier = row["new"], row["earlier"]
    if previous is None or (earlier == 0 and new > 0):
        trend = None
    else:
        trend = 0.0 if earlier == 0 else round(100 * (new - earlier) / earlier, 1)
    return EnrollmentFigures(row["total"], new, trend)


def _completions(db: Db, context: dict[str, Any], span: Window) -> CompletionFigures:
    row = db.one(
        "SELECT COUNT(*) FILTER (WHERE status != 'cancelled') AS enrolled, "
        "COUNT(*) FILTER (WHERE status = 'completed') AS completed, "
        "AVG(julianday(completed_at) - julianday(enrolled_at)) FILTER (WHERE status = 'completed' "
        "  AND completed_at >= :start AND completed_at < :end) AS days "
        f"FROM enrollments WHERE {_COURSE_ENROLLMENTS}", context)
    assert row is not None
    return CompletionFigures(
        total=row["completed"],
        rate=round(100 * row["completed"] / row["enrolled"], 1) if row["enrolled"] else 0.0,
        average_days_to_complete=None if row["days"] is None else round(row["days"], 1),
    )


def _engagement(db: Db, context: dict[str, Any], span: Window) -> EngagementFigures:
    daily = context["daily"].values()
    sessions = sum(day["learners"] for day in daily)  # a session is a learner-day
    seconds = sum(day["seconds"] for day in daily)
    days = len(days_between(context["first_day"], context["last_day"]))
    # Active in the period = their latest change in the course is in it (the period ends now).
    active = db.scalar("SELECT COUNT(*) FROM learner_courses WHERE course_id = :course AND +app_id = :app "
                       "AND +env = :env AND last_activity_at >= :start", context)
    return EngagementFigures(
        active_learners=active,
        average_time_per_session_minutes=round(seconds / sessions / 60, 1) if sessions else 0.0,
        lessons_completed_per_day=round(sum(day["lessons"] for day in daily) / days, 1),
        sessions=sessions,
        drop_off_lessons=_drop_off_lessons(db, context),
    )


def _drop_off_lessons(db: Db, context: dict[str, Any]) -> list[DropOffLesson]:
    quiet_since = to_iso(utcnow() - timedelta(days=DROP_OFF_QUIET_DAYS))
    dropped: dict[str, int] = {row[0]: row[1] for row in db.all(
        "SELECT lc.last_lesson_id, COUNT(*) FROM learner_courses lc "
        "JOIN enrollments e ON e.app_id = :app AND e.env = :env AND e.user_id = lc.user_id "
        "  AND e.course_id = lc.course_id "
        "JOIN lesson_progress p ON p.app_id = :app AND p.env = :env AND p.user_id = lc.user_id "
        "  AND p.lesson_id = lc.last_lesson_id "
        "WHERE lc.course_id = :course AND +lc.app_id = :app AND +lc.env = :env "
        "  AND lc.last_activity_at < :quiet_since"
        "  AND e.status = 'active' AND (e.expires_at IS NULL OR e.expires_at > :now) "
        "GROUP BY lc.last_lesson_id", {**context, "quiet_since": quiet_since, "now": to_iso(utcnow())})}
    if not dropped:
        return []
    started: dict[str, int] = {row[0]: row[1] for row in db.all(
        "SELECT lesson_id, COUNT(*) FROM lesson_progress WHERE course_id = :course AND +app_id = :app AND +env = :env "
        "GROUP BY lesson_id", context)}
    lessons = db.all(
        "SELECT l.id, l.title FROM lessons l JOIN modules m ON m.id = l.module_id AND +m.app_id = :app "
        "AND +m.env = :env WHERE l.course_id = :course AND +l.app_id = :app AND +l.env = :env "
        "AND l.deleted_at IS NULL AND m.deleted_at IS NULL ORDER BY m.position, l.position", context)
    ranked = [
        DropOffLesson(lesson["id"], lesson["title"], round(100 * dropped[lesson["id"]] / started[lesson["id"]], 1),
                      dropped[lesson["id"]], started[lesson["id"]])
        for lesson in lessons if lesson["id"] in dropped
    ]
    ranked.sort(key=lambda entry: (-entry.drop_rate, -entry.learners_dropped))  # stable: course order
    return ranked[:DROP_OFF_LESSONS]


def _ratings(db: Db, context: dict[str, Any], span: Window) -> RatingSummary:
    return rating_summary(db, context["course"])


_METRICS: dict[str, Callable[[Db, dict[str, Any], Window], Figures]] = {
    "enrollments": _enrollments, "completions": _completions, "engagement": _engagement, "ratings": _ratings,
}


def _timeline(db: Db, context: dict[str, Any], span: Window) -> list[TimelineDay]:
    """Every day of the period: enrollments and completions made, learners active, lessons completed."""
    rows = db.all(
        f"SELECT enrolled_at, completed_at FROM enrollments WHERE {_COURSE_ENROLLMENTS} AND status != 'cancelled' "
        "AND (enrolled_at >= :start OR completed_at >= :start)", context)
    first, last = context["first_day"], context["last_day"]
    enrolled = count_by_day((row["enrolled_at"] for row in rows), span.zone, first, last)
    completed = count_by_day((row["completed_at"] for row in rows if row["completed_at"]), span.zone, first, last)
    activity = context["daily"]
    return [
        TimelineDay(day, enrolled[day], completed[day], activity[day]["learners"] if day in activity else 0,
                    activity[day]["lessons"] if day in activity else 0)
        for day in days_between(context["first_day"], context["last_day"])
    ]
