"""User analytics: one learner's summary, daily activity, strengths and what to take next.

Everything is read from a handful of indexed lookups on the learner's own rows: the rollups
the database keeps (`learner_totals`, `learner_days`, migration 0011), their enrollments, their
graded quiz attempts and their certificates. Nothing scans the tenant's history, so the answer
costs the same in a learner's first week as after years.

Definitions (the README quotes them):

- An unknown `user_id` (no users row in the tenant) answers 404 `user_not_found`.
- summary.courses_enrolled: the learner's enrollments that are not cancelled, in courses that
  are not deleted. courses_completed: those whose status is `completed`.
- summary.total_time_hours: all learning time ever logged for the learner (`learner_totals`),
  in hours to 1 decimal. It is learning history: time spent before a progress reset still counts.
- summary.certificates_earned: the learner's certificates that are not revoked (a reissued
  certificate revokes the one it replaces, so each achievement counts once).
- summary.average_score: for each quiz the learner has a graded attempt on, their best graded
  score; the mean of those, to 1 decimal; null without a graded attempt. Attempts awaiting an
  essay grade, and quizzes or courses that were deleted, do not count.
- summary.current_streak_days: the run of consecutive active days (in the tenant's time zone)
  that ends on the learner's last active day, while that day is today or yesterday; 0 once a
  whole day has passed without activity. An active day is a day with any progress recorded.
- learning_activity: each active local day within `period` (today and the days before it in
  the tenant's zone; `all` = every day), ascending: `time_minutes` (learning time logged that
  day, minutes to 1 decimal) and `lessons_completed` (lessons first completed that day). Days
  without activity are not listed.
- strengths: up to 5 category ids of the learner's completed courses, ranked by the number of
  completed courses in the category, then by the mean best graded quiz score over the quizzes
  of those courses (categories without one after those with one), then by category id.
- recommendations: up to 5 published, not deleted courses the learner is not enrolled in
  (a cancelled enrollment does not count as enrolled), each once:
  1. path successors: in every published learning path that contains a course the learner
     completed, the first course after it (in path order) that the learner has not completed;
     reason "Next in <path title> after <course title>", naming the nearest completed course
     before it. Paths are taken by id, courses in path order. A successor the learner is
     already taking is not recommended (and nothing past it is: it is the next step).
  2. then courses in the category of a completed course; reason "Based on <category>
     completion", most enrolled first (enrollments not cancelled), then by course id.
- time_zone: the tenant's IANA zone name, in which every day above is counted.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from university_local.analytics.models import UserAnalyticsQuery
from university_local.analytics.periods import window
from university_local.analytics.rollups import catch_up
from university_local.core.db import Db, Row, dumps
from university_local.core.errors import not_found
from university_local.learning_paths.service import path_entries

MAX_STRENGTHS = 5
MAX_RECOMMENDATIONS = 5


@dataclass(frozen=True)
class UserSummary:
    courses_enrolled: int
    courses_completed: int
    total_time_hours: float
    certificates_earned: int
    average_score: float | None
    current_streak_days: int


@dataclass(frozen=True)
class ActivityDay:
    date: str
    time_minutes: float
    lessons_completed: int


@dataclass(frozen=True)
class Recommendation:
    course_id: str
    title: str
    reason: str


@dataclass(frozen=True)
class UserAnalytics:
    user_id: str
    time_zone: str
    summary: UserSummary
    learning_activity: list[ActivityDay]
    strengths: list[str]
    recommendations: list[Recommendation]

# The learner's enrollments in live courses, with what strengths and recommendations need.
_ENROLLMENTS = """
SELECT e.course_id, e.status, c.title, c.category_id
FROM enrollments e JOIN courses c ON c.id = e.course_id AND c.deleted_at IS NULL AND +c.app_id = :app AND +c.env = :env
WHERE e.app_id = :app AND e.env = :env AND e.user_id = :user"""

# The learner's best graded score on each live quiz they attempted (quiz_bests, kept by trigger),
# with the quiz's course, and the mean of those bests (the same on every row).
_BEST_SCORES = """
SELECT q.course_id, b.score AS best, ROUND(AVG(b.score) OVER (), 1) AS mean
FROM quiz_bests b JOIN quizzes q ON q.id = b.quiz_id AND q.deleted_at IS NULL AND +q.app_id = :app AND +q.env = :env
JOIN courses c ON c.id = q.course_id AND c.deleted_at IS NULL AND +c.app_id = :app AND +c.env = :env
WHERE b.app_id = :app AND b.env = :env AND b.user_id = :user"""


def user_analytics(db: Db, user_id: str, query: UserAnalyticsQuery) -> UserAnalytics:
    """A learner's figures (see the module docstring for each);
    activity logged a moment before is folded first.

    A learner's scope needs no filter of its own: the summary is the learner's own record, and
    recommendations are published courses whoever asks.
    """
    catch_up(db.site)
    key = {"user": user_id}
    if db.one("SELECT 1 FROM users WHERE app_id = :app AND env = :env AND id = :user", key) is None:
        raise not_found("user", user_id)
    period = window(db, query.period)
    enrollments = db.all(_ENROLLMENTS, key)
    completed = [row for row in enrollments if row["status"] == "completed"]
    scores = db.all(_BEST_SCORES, key)
    activity = [ActivityDay(*row) for row in db.all(
        "SELECT day AS date, ROUND(seconds / 60.0, 1) AS time_minutes, lessons_completed FROM learner_days "
        "WHERE app_id = :app AND env = :env AND user_id = :user AND day >= :first AND day <= :last ORDER BY day",
        {**key, "first": period.first_day() or "", "last": period.last_day()})]
    return UserAnalytics(user_id, period.zone.key, _summary(db, user_id, enrollments, completed, scores, period.end),
                         activity, _strengths(completed, scores),
                         _recommendations(db, user_id, enrollments, completed))


def _summary(db: Db, user_id: str, enrollments: list[Row], completed: list[Row], scores: list[Row],
             today: date) -> UserSummary:
    key = {"user": user_id}
    totals = db.one("SELECT ROUND(seconds / 3600.0, 1) AS hours, last_day, current_streak FROM learner_totals "
                    "WHERE app_id = :app AND env = :env AND user_id = :user", key)
    return UserSummary(
        courses_enrolled=sum(1 for row in enrollments if row["status"] != "cancelled"),
        courses_completed=len(completed),
        total_time_hours=totals["hours"] if totals else 0.0,
        certificates_earned=db.scalar(
            "SELECT COUNT(*) FROM certificates WHERE app_id = :app AND env = :env AND user_id = :user "
            "AND status != 'revoked'", key),
        average_score=scores[0]["mean"] if scores else None,
        current_streak_days=current_streak(totals, today),
    )


def streak_cutoff(today: date) -> str:
    """The earliest last active day whose streak is still running: yesterday (local days)."""
    return (today - timedelta(days=1)).isoformat()


def current_streak(totals: Row | None, today: date) -> int:
    """The streak in `learner_totals`, while it is still running (last active today or yesterday)."""
    if totals is None or totals["last_day"] < streak_cutoff(today):
        return 0
    return int(totals["current_streak"])


def _strengths(completed: list[Row], scores: list[Row]) -> list[str]:
    completions: dict[str, int] = defaultdict(int)
    category_of = {}
    for row in completed:
        if row["category_id"] is not None:
            completions[row["category_id"]] += 1
            category_of[row["course_id"]] = row["category_id"]
    bests: dict[str, list[float]] = defaultdict(list)
    for row in scores:
        if row["course_id"] in category_of:
            bests[category_of[row["course_id"]]].append(row["best"])

    def rank(category: str) -> tuple[int, int, float, str]:
        mean = sum(bests[category]) / len(bests[category]) if bests[category] else 0.0
        return -completions[category], 0 if bests[category] else 1, -mean, category

    return sorted(completions, key=rank)[:MAX_STRENGTHS]


def _recommendations(db: Db, user_id: str, enrollments: list[Row], completed: list[Row]) -> list[Recommendation]:
    if not completed:
        return []
    done = {row["course_id"]: row["title"] for row in completed}
    # Enrolled means holding a not-cancelled enrollment; such courses are never recommended.
    taken = {row["course_id"] for row in enrollments if row["status"] != "cancelled"}
    chosen: dict[str, Recommendation] = {}

    # 1. The next step along the published paths that contain a completed course.
    paths = db.all(
        "SELECT DISTINCT p.id, p.title FROM learning_path_courses pc JOIN learning_paths p ON p.id = pc.path_id "
        "AND +p.app_id = :app AND +p.env = :env WHERE pc.app_id = :app AND pc.env = :env "
        "AND pc.course_id IN (SELECT value FROM json_each(:done)) AND p.status = 'published' "
        "AND p.deleted_at IS NULL ORDER BY p.id", {"done": dumps(list(done))})
    entries = path_entries(db, [path["id"] for path in paths])
    successors: list[tuple[str, str]] = []  # (course, reason), in recommendation order
    for path in paths:
        after: str | None = None  # the nearest completed course before the current entry
        for entry in entries[path["id"]]:
            if entry.course_id in done:
                after = entry.course_id
            elif after is not None:
                successors.append((entry.course_id, f"Next in {path['title']} after {done[after]}"))
                after = None
    candidates = [course_id for course_id, _ in successors if course_id not in taken]
    if candidates:
        open_courses = {row["id"]: row["title"] for row in db.all(
            "SELECT id, title FROM courses WHERE app_id = :app AND env = :env "
            "AND id IN (SELECT value FROM json_each(:ids)) AND status = 'published' AND deleted_at IS NULL",
            {"ids": dumps(candidates)})}
        for course_id, reason in successors:
            if course_id in open_courses and course_id not in chosen and course_id not in taken:
                chosen[course_id] = Recommendation(course_id, open_courses[course_id], reason)

    # 2. More of what the learner completed: published courses in the same categories.
    categories = sorted({row["category_id"] for row in completed if row["category_id"] is not None})
    wanted = MAX_RECOMMENDATIONS - len(chosen)
    if categories and wanted > 0:
        rows = db.all(
            "SELECT c.id, c.title, c.category_id, (SELECT COUNT(*) FROM enrollments n WHERE n.course_id = c.id "
            "AND +n.app_id = :app AND +n.env = :env AND n.status != 'cancelled') AS enrolled FROM courses c "
            "WHERE c.app_id = :app AND c.env = :env AND c.category_id IN (SELECT value FROM json_each(:categories)) "
            "AND c.status = 'published' AND c.deleted_at IS NULL AND NOT EXISTS (SELECT 1 FROM enrollments m "
            "WHERE m.app_id = :app AND m.env = :env AND m.user_id = :user AND m.course_id = c.id "
            "AND m.status != 'cancelled') ORDER BY enrolled DESC, c.id LIMIT :limit",
            {"categories": dumps(categories), "user": user_id, "limit": wanted + len(chosen)})
        for row in rows:
            if row["id"] not in chosen:
                chosen[row["id"]] = Recommendation(row["id"], row["title"], f"Based on {row['category_id']} completion")
    return list(chosen.values())[:MAX_RECOMMENDATIONS]
