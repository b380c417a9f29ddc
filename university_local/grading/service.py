"""The instructor's desk: the work waiting for a grade, and what a dashboard shows at a glance.

Rules, in one place:
- The grading queue holds every essay answer waiting for review (one item per question whose
  result says `pending_review`, of an attempt whose status is `pending_review`) and every
  learner's *current* submission (their latest attempt at an assignment) not yet graded. An
  essay leaves once graded (quizzes/service.py `grade_essay`), a submission once graded; a newer
  attempt replaces an older one in the queue. Work is not listed once its quiz or course is
  deleted, nor a submission once its assignment, lesson or module is (its grading would 404).
  Oldest first: by `submitted_at`, then by the attempt's or submission's id, then by question.
- The overview's day is today in the organisation's time zone (analytics/periods.py). A learner
  is active today when the rollups record progress of theirs today (analytics/rollups.py), or
  they started or submitted a quiz attempt, submitted work, or posted in a discussion today.
- A learner is stuck, in a course where their enrollment is active (not completed, cancelled or
  expired), when: nothing of theirs in the course (progress, quiz attempts, submissions) has
  happened for `stuck_days` days, counted from enrolling when nothing ever did (`inactive`);
  they failed two or more graded attempts at one of its quizzes and passed none (`failed_quiz`);
  or an assignment's due date has passed and they submitted nothing (`overdue_assignment`).
  Deactivated users and staff (instructors, admins) are never listed.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Literal

from university_local.analytics.periods import local_midnight_utc, local_today
from university_local.analytics.rollups import catch_up
from university_local.core.clock import to_iso, utcnow
from university_local.core.db import Db, Row, dumps
from university_local.core.pagination import Page
from university_local.tenancy.apps import time_zone

# One row per waiting item, in the shape of a grading_item (grading/resources.py). Each branch
# reads through the partial index of its waiting rows (migration 0017). Aliases differ between the
# branches: the tenancy guard counts the filters of each alias.
_ESSAYS = """
SELECT 'essay' AS kind, qa.id AS record_id, CAST(r.key AS INTEGER) AS question_index,
       q.course_id, qc.title AS course_title, q.lesson_id, ql.title AS lesson_title,
       q.id AS source_id, q.title AS source_title, qa.user_id, qa.submitted_at,
       qa.id AS attempt_id, NULL AS submission_id, qa.attempt_number,
       json_extract(q.questions, '$[' || r.key || '].points') AS max_points,
       qa.late, 0 AS late_penalty_percent
FROM quiz_attempts qa
JOIN quizzes q ON q.id = qa.quiz_id AND +q.app_id = :app AND +q.env = :env
JOIN courses qc ON qc.id = q.course_id AND +qc.app_id = :app AND +qc.env = :env
LEFT JOIN lessons ql ON ql.id = q.lesson_id AND +ql.app_id = :app AND +ql.env = :env
JOIN json_each(qa.results) r
WHERE qa.app_id = :app AND qa.env = :env AND qa.status = 'pending_review'
  AND json_extract(r.value, '$.pending_review') = 1 AND q.deleted_at IS NULL AND qc.deleted_at IS NULL"""
_SUBMISSIONS = """
SELECT 'submission' AS kind, s.id AS record_id, NULL AS question_index,
       s.course_id, sc.title AS course_title, s.lesson_id, sl.title AS lesson_title,
       sa.id AS source_id, sa.title AS source_title, s.user_id, s.submitted_at,
       NULL AS attempt_id, s.id AS submission_id, s.attempt AS attempt_number,
       sa.max_score AS max_points, s.late, s.late_penalty_percent
FROM submissions s
JOIN assignments sa ON sa.id = s.assignment_id AND +sa.app_id = :app AND +sa.env = :env
JOIN lessons sl ON sl.id = sa.lesson_id AND +sl.app_id = :app AND +sl.env = :env
JOIN modules sm ON sm.id = sl.module_id AND +sm.app_id = :app AND +sm.env = :env
JOIN courses sc ON sc.id = sl.course_id AND +sc.app_id = :app AND +sc.env = :env
WHERE s.app_id = :app AND s.env = :env AND s.graded_at IS NULL
  AND sa.deleted_at IS NULL AND sl.deleted_at IS NULL AND sm.deleted_at IS NULL AND sc.deleted_at IS NULL
  AND NOT EXISTS (SELECT 1 FROM submissions sx WHERE sx.app_id = :app AND sx.env = :env
                  AND sx.assignment_id = s.assignment_id AND sx.user_id = s.user_id AND sx.attempt > s.attempt)"""
_WAITING = f"FROM ({_ESSAYS}\nUNION ALL{_SUBMISSIONS}) i WHERE (:course IS NULL OR i.course_id = :course) " \
           "AND (:user IS NULL OR i.user_id = :user)"
_QUEUE_PAGE = f"""
SELECT i.*, COALESCE(u.display_name, i.user_id) AS user_name
FROM (SELECT * {_WAITING} AND (:kind IS NULL OR i.kind = :kind)
      ORDER BY i.submitted_at, i.record_id, i.question_index LIMIT :limit OFFSET :offset) i
LEFT JOIN users u ON u.id = i.user_id AND u.app_id = :app AND u.env = :env
ORDER BY i.submitted_at, i.record_id, i.question_index"""

KINDS = ("essay", "submission")


def waiting_counts(db: Db, *, course_id: str | None = None, user_id: str | None = None) -> dict[str, int]:
    """How many items of each kind wait, under the queue's filters other than `kind`."""
    counts = dict.fromkeys(KINDS, 0)
    for row in db.all(f"SELECT i.kind, COUNT(*) AS n {_WAITING} GROUP BY i.kind",
                      {"course": course_id, "user": user_id}):
        counts[row["kind"]] = row["n"]
    return counts


def grading_queue(db: Db, page: Page, *, course_id: str | None, kind: str | None,
                  user_id: str | None) -> tuple[list[Row], dict[str, int]]:
    """A page of the queue, oldest first, and the counts by kind (the page's total is one of them,
    or their sum without `kind`)."""
    counts = waiting_counts(db, course_id=course_id, user_id=user_id)
    rows = db.all(_QUEUE_PAGE, {"course": course_id, "user": user_id, "kind": kind, "limit": page.size,
                                "offset": page.offset})
    return rows, counts


# -- the overview --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    essay: int
    submission: int
    total: int


@dataclass(frozen=True)
class Inactive:
    days: int
    course_id: str
    course_title: str
    kind: Literal["inactive"] = "inactive"


@dataclass(frozen=True)
class FailedQuiz:
    quiz_id: str
    quiz_title: str
    failures: int
    kind: Literal["failed_quiz"] = "failed_quiz"


@dataclass(frozen=True)
class OverdueAssignment:
    assignment_id: str
    assignment_title: str
    due_date: str
    kind: Literal["overdue_assignment"] = "overdue_assignment"


Reason = Inactive | FailedQuiz | OverdueAssignment


@dataclass(frozen=True)
class StuckLearner:
    user_id: str
    user_name: str
    reasons: list[Reason] = field(default_factory=list)


@dataclass(frozen=True)
class Overview:
    date: str
    learners_active_today: int
    lessons_completed_today: int
    waiting_for_grading: Waiting
    enrollments_active: int
    learners_total: int
    stuck: list[StuckLearner]
    stuck_total: int


# An enrollment that is active now (an active one past its expiry reads as expired), in a live course.
_ACTIVE_ENROLLMENT = "e.status = 'active' AND (e.expires_at IS NULL OR e.expires_at > :now)"
# Learners who are people to follow up: not staff, not deactivated (a missing user row is a learner).
_LEARNER = ("NOT EXISTS (SELECT 1 FROM users u WHERE u.app_id = :app AND u.env = :env AND u.id = {user} "
            "AND (u.role != 'learner' OR u.deactivated_at IS NOT NULL))")

_TODAY = f"""
SELECT COUNT(DISTINCT t.user_id) FROM (
  SELECT ad.user_id FROM courses c
  JOIN activity_daily ad ON ad.course_id = c.id AND ad.day = :today AND +ad.app_id = :app AND +ad.env = :env
  WHERE c.app_id = :app AND c.env = :env
  -- attempts and submissions: today's, by their time indexes (migration 0017), then the tenant's
  UNION SELECT qa.user_id FROM quiz_attempts qa WHERE +qa.app_id = :app AND +qa.env = :env
    AND ((qa.started_at >= :start AND qa.started_at < :end) OR (qa.submitted_at >= :start AND qa.submitted_at < :end))
  UNION SELECT s.user_id FROM submissions s WHERE +s.app_id = :app AND +s.env = :env
    AND s.submitted_at >= :start AND s.submitted_at < :end
  UNION SELECT d.author_id FROM courses dc
    JOIN discussions d ON d.course_id = dc.id AND +d.app_id = :app AND +d.env = :env
    WHERE dc.app_id = :app AND dc.env = :env AND d.created_at >= :start AND d.created_at < :end
  -- replies: only in the threads replied to since midnight (last_reply_at), by their thread index
  UNION SELECT dr.author_id FROM courses rc
    JOIN discussions rd ON rd.course_id = rc.id AND +rd.app_id = :app AND +rd.env = :env
    JOIN discussion_replies dr ON dr.discussion_id = rd.id AND +dr.app_id = :app AND +dr.env = :env
    WHERE rc.app_id = :app AND rc.env = :env AND rd.last_reply_at >= :start
      AND dr.created_at >= :start AND dr.created_at < :end
) t WHERE {_LEARNER.format(user="t.user_id")}"""
_COMPLETED_TODAY = """
SELECT COALESCE(SUM(ad.lessons_completed), 0) FROM courses c
JOIN activity_daily ad ON ad.course_id = c.id AND ad.day = :today AND +ad.app_id = :app AND +ad.env = :env
WHERE c.app_id = :app AND c.env = :env"""
_ENROLLMENTS_ACTIVE = f"""
SELECT COUNT(*) FROM enrollments e JOIN courses c ON c.id = e.course_id AND +c.app_id = :app AND +c.env = :env
WHERE e.app_id = :app AND e.env = :env AND {_ACTIVE_ENROLLMENT} AND c.deleted_at IS NULL"""
_LEARNERS_TOTAL = ("SELECT COUNT(*) FROM users WHERE app_id = :app AND env = :env AND role = 'learner' "
                   "AND deactivated_at IS NULL")

# Each active enrollment's latest sign of life in its course: progress (the rollups), a quiz attempt
# started or submitted, a submission; never earlier than enrolling.
_INACTIVE = f"""
WITH latest AS MATERIALIZED (
  SELECT e.user_id, e.course_id, c.title AS course_title, MAX(e.enrolled_at,
    COALESCE((SELECT lc.last_activity_at FROM learner_courses lc WHERE lc.course_id = e.course_id
              AND lc.user_id = e.user_id AND +lc.app_id = :app AND +lc.env = :env), ''),
    COALESCE((SELECT MAX(MAX(qa.started_at, COALESCE(qa.submitted_at, ''))) FROM quizzes q
              CROSS JOIN quiz_attempts qa ON qa.quiz_id = q.id AND qa.user_id = e.user_id AND qa.app_id = :app
                AND qa.env = :env
              WHERE q.course_id = e.course_id AND +q.app_id = :app AND +q.env = :env), ''),
    -- `+`: the learner's few submissions by their index, not a walk down the tenant's by time
    COALESCE((SELECT MAX(+s.submitted_at) FROM submissions s WHERE s.app_id = :app AND s.env = :env
              AND s.user_id = e.user_id AND s.course_id = e.course_id), '')) AS last_active_at
  FROM enrollments e JOIN courses c ON c.id = e.course_id AND +c.app_id = :app AND +c.env = :env
  WHERE e.app_id = :app AND e.env = :env AND {_ACTIVE_ENROLLMENT} AND c.deleted_at IS NULL
    AND {_LEARNER.format(user="e.user_id")}
)  -- materialized: each enrollment's latest activity is worked out once, then compared
SELECT * FROM latest WHERE last_active_at <= :quiet_since"""
# Quizzes failed at least twice: the failed attempts through their own index, then only those
# learners' passes looked up.
_FAILED_QUIZZES = f"""
SELECT f.user_id, q.id AS quiz_id, q.title AS quiz_title, f.failures
FROM (SELECT qa.quiz_id, qa.user_id, COUNT(*) AS failures FROM quiz_attempts qa
      WHERE qa.app_id = :app AND qa.env = :env AND qa.status = 'graded' AND qa.passed = 0
      GROUP BY qa.quiz_id, qa.user_id HAVING COUNT(*) >= 2) f
JOIN quizzes q ON q.id = f.quiz_id AND +q.app_id = :app AND +q.env = :env
JOIN courses c ON c.id = q.course_id AND +c.app_id = :app AND +c.env = :env
JOIN enrollments e ON e.user_id = f.user_id AND e.course_id = q.course_id AND e.app_id = :app AND e.env = :env
WHERE q.deleted_at IS NULL AND c.deleted_at IS NULL AND {_ACTIVE_ENROLLMENT} AND {_LEARNER.format(user="f.user_id")}
  AND NOT EXISTS (SELECT 1 FROM quiz_attempts p WHERE p.app_id = :app AND p.env = :env AND p.quiz_id = f.quiz_id
                  AND p.user_id = f.user_id AND p.passed = 1)"""
_OVERDUE = f"""
SELECT e.user_id, a.id AS assignment_id, a.title AS assignment_title, a.due_date
FROM assignments a
JOIN lessons l ON l.id = a.lesson_id AND +l.app_id = :app AND +l.env = :env
JOIN modules m ON m.id = l.module_id AND +m.app_id = :app AND +m.env = :env
JOIN courses c ON c.id = l.course_id AND +c.app_id = :app AND +c.env = :env
JOIN enrollments e ON e.course_id = a.course_id AND +e.app_id = :app AND +e.env = :env
WHERE a.app_id = :app AND a.env = :env AND a.deleted_at IS NULL AND l.deleted_at IS NULL AND m.deleted_at IS NULL
  AND c.deleted_at IS NULL AND a.due_date IS NOT NULL AND a.due_date < :now AND {_ACTIVE_ENROLLMENT}
  AND {_LEARNER.format(user="e.user_id")}
  AND NOT EXISTS (SELECT 1 FROM submissions s WHERE s.app_id = :app AND s.env = :env
                  AND s.assignment_id = a.id AND s.user_id = e.user_id)"""
_NAMES = ("SELECT id, display_name FROM users WHERE app_id = :app AND env = :env "
          "AND id IN (SELECT value FROM json_each(:ids))")


def overview(db: Db, *, stuck_days: int, limit: int) -> Overview:
    """Today's figures, the work waiting, and the learners who are stuck (the first `limit`)."""
    catch_up(db.site)  # progress logged a moment ago counts today
    zone = time_zone(db.site, db.tenant.app_id)
    today = local_today(zone)
    now = utcnow()
    params = {"today": today.isoformat(), "start": local_midnight_utc(today, zone),
              "end": local_midnight_utc(today + timedelta(days=1), zone), "now": to_iso(now),
              "quiet_since": to_iso(now - timedelta(days=stuck_days))}
    counts = waiting_counts(db)
    stuck = _stuck(db, params, now)
    return Overview(
        date=today.isoformat(),
        learners_active_today=db.scalar(_TODAY, params),
        lessons_completed_today=db.scalar(_COMPLETED_TODAY, params),
        waiting_for_grading=Waiting(counts["essay"], counts["submission"], sum(counts.values())),
        enrollments_active=db.scalar(_ENROLLMENTS_ACTIVE, params),
        learners_total=db.scalar(_LEARNERS_TOTAL),
        stuck=stuck[:limit],
        stuck_total=len(stuck),
    )


def _stuck(db: Db, params: dict[str, Any], now: datetime) -> list[StuckLearner]:
    """Every stuck learner with their reasons: most reasons first, then the longest inactive."""
    reasons: dict[str, list[Reason]] = defaultdict(list)
    for row in db.all(_INACTIVE, params):
        quiet = now - datetime.fromisoformat(row["last_active_at"].replace("Z", "+00:00"))
        reasons[row["user_id"]].append(Inactive(quiet.days, row["course_id"], row["course_title"]))
    for row in db.all(_FAILED_QUIZZES, params):
        reasons[row["user_id"]].append(FailedQuiz(row["quiz_id"], row["quiz_title"], row["failures"]))
    for row in db.all(_OVERDUE, params):
        reasons[row["user_id"]].append(OverdueAssignment(row["assignment_id"], row["assignment_title"],
                                                         row["due_date"]))
    names = {row["id"]: row["display_name"] for row in db.all(_NAMES, {"ids": dumps(list(reasons))})}

    def quiet_days(user_id: str) -> int:
        return max((r.days for r in reasons[user_id] if isinstance(r, Inactive)), default=0)

    order = sorted(reasons, key=lambda user_id: (-len(reasons[user_id]), -quiet_days(user_id), user_id))
    return [StuckLearner(user_id, names.get(user_id, user_id), _in_order(reasons[user_id])) for user_id in order]


def _in_order(reasons: list[Reason]) -> list[Reason]:
    """A learner's reasons: the longest quiet course first, then failed quizzes, then overdue work."""
    def key(reason: Reason) -> tuple[int, int, str]:
        if isinstance(reason, Inactive):
            return 0, -reason.days, reason.course_id
        if isinstance(reason, FailedQuiz):
            return 1, -reason.failures, reason.quiz_id
        return 2, 0, reason.due_date + reason.assignment_id
    return sorted(reasons, key=key)
