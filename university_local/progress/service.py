"""Progress: record what learners do, and complete enrollments when the last required lesson is done.

A completion is one transaction covering the lesson's progress row, the enrollment's completion
and the events they cause; position updates are applied in batches, one statement each. Totals
only grow (see progress/models.py), so concurrent and repeated calls commute: whatever order
they arrive in, the result is the same.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from university_local.certificates.service import on_course_completed
from university_local.core.clock import now_iso
from university_local.core.db import BatchedWrite, Db, Row, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.events import emit
from university_local.enrollments.service import find_enrollment, required_counts
from university_local.lessons.service import list_course_lessons
from university_local.modules.service import list_modules

_COLUMNS = """INSERT INTO lesson_progress (app_id, env, user_id, lesson_id, course_id, position, furthest_position,
                             time_spent_seconds, started_at, completed_at, updated_at)"""
_VALUES = """:app, :env, :user, :lesson, :course, COALESCE(:position, 0), COALESCE(:position, 0),
        COALESCE(:time, 0), :now, CASE WHEN :complete THEN :now END, :now"""
_ON_CONFLICT = """
ON CONFLICT (app_id, env, user_id, lesson_id) DO UPDATE SET
  position = COALESCE(:position, position),
  furthest_position = MAX(furthest_position, COALESCE(:position, 0)),
  time_spent_seconds = MAX(time_spent_seconds, COALESCE(:time, 0)),
  completed_at = COALESCE(completed_at, CASE WHEN :complete THEN :now END),
  updated_at = :now
"""
_UPSERT = f"{_COLUMNS}\nVALUES ({_VALUES}){_ON_CONFLICT}"

# The rules every progress write obeys, as SQL over a lesson `l`, its module `m`, course `c`
# and the learner's enrollment `e`: each failing one is an error of _check.
_WRITABLE = """l.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL
  AND (NOT :published_only OR c.status = 'published')
  AND (m.unlock_at IS NULL OR m.unlock_at <= :now)
  AND (e.status = 'completed' OR (e.status = 'active' AND (e.expires_at IS NULL OR e.expires_at > :now)))"""

# A position update, applied by the writer to every update waiting at that moment in one statement
# (Store.write_batched). Each update writes only if the rules hold, so checking and writing cannot
# race, and the request thread makes no read of its own (each sqlite3 call hands the GIL to another
# thread, which under load costs more than the call). An update that did not apply returns no
# row; _check then says which rule failed. A position left out keeps the stored one. Applied
# twice (sent again after a writer process died), an update leaves the progress row as once did:
# the same position, the larger of the same totals; the activity log gains a zero-second entry.
_UPDATES = """(SELECT value->>'app' AS app, value->>'env' AS env, value->>'user' AS user,
        value->>'lesson' AS lesson, value->>'now' AS now, value->>'position' AS position,
        value->>'time' AS time, value->>'published_only' AS published_only FROM json_each(:jobs)) j
JOIN lessons l ON l.app_id = j.app AND l.env = j.env AND l.id = j.lesson
JOIN modules m ON m.id = l.module_id AND +m.app_id = j.app AND +m.env = j.env
JOIN courses c ON c.id = l.course_id AND +c.app_id = j.app AND +c.env = j.env
JOIN enrollments e ON e.app_id = j.app AND e.env = j.env AND e.user_id = j.user AND e.course_id = l.course_id"""
_UPDATE_WRITABLE = _WRITABLE.replace(":published_only", "j.published_only").replace(":now", "j.now")
_POSITION_UPDATE = BatchedWrite(
    apply=f"""{_COLUMNS}
SELECT l.app_id, l.env, j.user, l.id, l.course_id, COALESCE(j.position, p.position, 0), COALESCE(j.position, 0),
       COALESCE(j.time, 0), j.now, NULL, j.now
FROM {_UPDATES}
LEFT JOIN lesson_progress p ON p.app_id = j.app AND p.env = j.env AND p.user_id = j.user AND p.lesson_id = l.id
WHERE {_UPDATE_WRITABLE}
ON CONFLICT (app_id, env, user_id, lesson_id) DO UPDATE SET
  position = excluded.position,
  furthest_position = MAX(furthest_position, excluded.furthest_position),
  time_spent_seconds = MAX(time_spent_seconds, excluded.time_spent_seconds),
  updated_at = excluded.updated_at
RETURNING app_id, env, user_id, lesson_id, course_id, position, furthest_position, time_spent_seconds,
  completed_at, started_at, updated_at,
  (SELECT status FROM enrollments WHERE app_id = lesson_progress.app_id AND env = lesson_progress.env
     AND user_id = lesson_progress.user_id AND course_id = lesson_progress.course_id) AS enrollment_status""",
    key_columns=("app_id", "env", "user_id", "lesson_id"))


# Everything a progress write checks, in one read: the lesson and its lock, the learner's
# enrollment and whether the lesson was already completed.
_CONTEXT = """
SELECT l.course_id, l.module_id, m.unlock_at, c.status AS course_status,
       e.id AS enrollment_id, e.expires_at,
       CASE WHEN e.status = 'active' AND e.expires_at IS NOT NULL AND e.expires_at <= :now
            THEN 'expired' ELSE e.status END AS enrollment_status,
       p.completed_at AS completed_before
FROM lessons l
JOIN modules m ON m.id = l.module_id AND +m.app_id = :app AND +m.env = :env
JOIN courses c ON c.id = l.course_id AND +c.app_id = :app AND +c.env = :env
LEFT JOIN enrollments e ON e.app_id = :app AND e.env = :env AND e.user_id = :user AND e.course_id = l.course_id
LEFT JOIN lesson_progress p ON p.app_id = :app AND p.env = :env AND p.user_id = :user AND p.lesson_id = l.id
WHERE l.app_id = :app AND l.env = :env AND l.id = :lesson
  AND l.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL"""


@dataclass(slots=True)
class LessonProgress:
    """A learner's progress in one lesson, and their enrollment's status after the write."""

    lesson_id: str
    course_id: str
    user_id: str
    position: int
    furthest_position: int
    time_spent_seconds: int
    completed_at: str | None
    started_at: str
    updated_at: str
    enrollment_status: str

    @classmethod
    def of(cls, row: Mapping[str, Any] | Row, enrollment_status: str) -> LessonProgress:
        return cls(row["lesson_id"], row["course_id"], row["user_id"], row["position"], row["furthest_position"],
                   row["time_spent_seconds"], row["completed_at"], row["started_at"], row["updated_at"],
                   enrollment_status)


@dataclass(frozen=True)
class ModuleProgress:
    module_id: str
    title: str
    progress: float
    completed_at: str | None


@dataclass(frozen=True)
class CompletedLesson:
    lesson_id: str
    completed_at: str
    time_spent_seconds: int


@dataclass(frozen=True)
class CurrentLesson:
    lesson_id: str
    position: int
    total: int  # the scale of position: a video's length in seconds, else 100


@dataclass(frozen=True)
class CourseProgress:
    """The spec's progress view of one learner in one course."""

    enrollment_id: str
    course_id: str
    user_id: str
    overall_progress: float
    status: str
    modules: list[ModuleProgress]
    lessons_completed: list[CompletedLesson]
    current_lesson: CurrentLesson | None
    total_time_spent_minutes: int
    started_at: str | None
    last_activity_at: str | None


def record(db: Db, lesson_id: str, user_id: str, *, position: int | None, time_spent_seconds: int | None,
           complete: bool) -> LessonProgress:
    """Save a position and time, and with `complete` mark the lesson done (once).

    This is the hottest write of the server: position updates are applied in batches by one
    statement that checks and writes; a completion, which may emit events and complete the
    enrollment, reads and writes inside one transaction so that it is counted once. Learners may
    write only to published courses.
    """
    now = now_iso()
    params = {"user": user_id, "lesson": lesson_id, "now": now, "position": position, "time": time_spent_seconds,
              "complete": complete, "published_only": db.published_only}
    if not complete:
        for _ in range(2):  # a rule that failed may hold again a moment later (a re-enrollment)
            row = db.write_batched(_POSITION_UPDATE, params, key=(db.tenant.app_id, db.tenant.env, user_id, lesson_id))
            if row is not None:
                return LessonProgress.of(row, row["enrollment_status"])
            _check(db, params)
        raise ApiError(409, "conflict", "The lesson or enrollment changed during the write; try again.")
    with db.transaction():
        context = _check(db, params)
        course_id, status = context["course_id"], context["enrollment_status"]
        written = db.execute(_UPSERT + " RETURNING *", {**params, "course": course_id}).fetchone()
        if context["completed_before"] is None:
            emit(db, "lesson.completed", "lesson_progress", f"{lesson_id}:{user_id}", {
                "lesson_id": lesson_id, "module_id": context["module_id"], "course_id": course_id,
                "user_id": user_id, "enrollment_id": context["enrollment_id"], "completed_at": now,
                "time_spent_seconds": written["time_spent_seconds"],
            })
            if status == "active" and _all_required_done(db, user_id, course_id):
                _complete_enrollment(db, context["enrollment_id"], user_id, course_id, now)
                status = "completed"
    return LessonProgress.of(written, status)


def _check(db: Db, params: dict[str, Any]) -> Row:
    """The write's context, or the error that stops it: unknown lesson, locked, not enrolled, expired."""
    context = db.one(_CONTEXT, params)
    if context is None or (db.published_only and context["course_status"] != "published"):
        raise not_found("lesson", params["lesson"])
    if context["unlock_at"] and context["unlock_at"] > params["now"]:
        raise ApiError(403, "lesson_locked", f"This lesson opens at {context['unlock_at']}.")
    if context["enrollment_status"] in (None, "cancelled"):
        raise ApiError(422, "not_enrolled", f"User '{params['user']}' is not enrolled in this lesson's course.",
                       pointer="/user_id")
    if context["enrollment_status"] == "expired":
        raise ApiError(403, "enrollment_expired", f"The enrollment expired at {context['expires_at']}.")
    return context


def _all_required_done(db: Db, user_id: str, course_id: str) -> bool:
    total, done = required_counts(db, user_id, course_id)
    return 0 < total <= done


def _complete_enrollment(db: Db, enrollment_id: str, user_id: str, course_id: str, now: str) -> None:
    db.update("enrollments", enrollment_id, {"status": "completed", "completed_at": now, "updated_at": now})
    params = {"user": user_id, "course": course_id}
    spent = db.scalar("SELECT COALESCE(SUM(time_spent_seconds), 0) FROM lesson_progress WHERE app_id = :app "
                      "AND env = :env AND user_id = :user AND course_id = :course", params)
    certificate_id = on_course_completed(db, user_id, course_id, now)
    emit(db, "enrollment.completed", "enrollment", enrollment_id, {
        "enrollment_id": enrollment_id, "user_id": user_id, "course_id": course_id, "completed_at": now,
        "final_score": _final_score(db, user_id, course_id), "time_spent_hours": round(spent / 3600, 2),
        "certificate_id": certificate_id,
    })


def _final_score(db: Db, user_id: str, course_id: str) -> float | None:
    """The mean of the learner's best score on each quiz of the course; null without quizzes."""
    score = db.scalar(
        "SELECT AVG(best) FROM (SELECT MAX(a.score) AS best FROM quizzes q JOIN quiz_attempts a ON a.quiz_id = q.id "
        "AND a.user_id = :user AND +a.app_id = :app AND +a.env = :env WHERE q.app_id = :app AND q.env = :env "
        "AND q.course_id = :course AND q.deleted_at IS NULL GROUP BY q.id)", {"user": user_id, "course": course_id})
    return None if score is None else round(score, 2)


def lesson_state(db: Db, lesson_id: str, user_id: str) -> Row | None:
    """The learner's record of one lesson (position, time, completion), if they have begun it."""
    return db.one("SELECT * FROM lesson_progress WHERE app_id = :app AND env = :env AND user_id = :user "
                  "AND lesson_id = :lesson", {"user": user_id, "lesson": lesson_id})


def course_progress(db: Db, course_id: str, user_id: str) -> CourseProgress:
    """The spec's progress view for one learner in one course (any course they are enrolled in)."""
    enrollment = find_enrollment(db, user_id, course_id)
    if enrollment is None:
        raise not_found("enrollment", f"{user_id} in {course_id}")
    lessons = list_course_lessons(db, course_id)
    records = {r["lesson_id"]: r for r in db.all(
        "SELECT * FROM lesson_progress WHERE app_id = :app AND env = :env AND user_id = :user AND course_id = :course",
        {"user": user_id, "course": course_id})}
    live = [r for lesson in lessons if (r := records.get(lesson["id"]))]

    modules = []
    for module in list_modules(db.as_staff(), course_id):
        own = [lesson for lesson in lessons if lesson["module_id"] == module["id"]]
        done = [records[lesson["id"]]["completed_at"] for lesson in own
                if lesson["id"] in records and records[lesson["id"]]["completed_at"]]
        modules.append(ModuleProgress(
            module["id"], module["title"], round(100 * len(done) / len(own), 1) if own else 0.0,
            max(done) if own and len(done) == len(own) else None))

    required = [lesson for lesson in lessons if lesson["required"]]
    required_done = sum(1 for lesson in required if records.get(lesson["id"]) and records[lesson["id"]]["completed_at"])
    status = enrollment["effective_status"]
    if status == "active":
        status = "in_progress" if live else "not_started"
    return CourseProgress(
        enrollment_id=enrollment["id"],
        course_id=course_id,
        user_id=user_id,
        overall_progress=100.0 if enrollment["effective_status"] == "completed"
        else (round(100 * required_done / len(required), 1) if required else 0.0),
        status=status,
        modules=modules,
        lessons_completed=[
            CompletedLesson(r["lesson_id"], r["completed_at"], r["time_spent_seconds"])
            for r in sorted((r for r in live if r["completed_at"]), key=lambda r: r["completed_at"])
        ],
        current_lesson=_current_lesson(lessons, records),
        total_time_spent_minutes=sum(r["time_spent_seconds"] for r in live) // 60,
        started_at=min((r["started_at"] for r in live), default=None),
        last_activity_at=max((r["updated_at"] for r in live), default=None),
    )


def _current_lesson(lessons: list[Row], records: dict[str, Row]) -> CurrentLesson | None:
    """The unfinished lesson touched last, else the first not started, else none (all done)."""
    unfinished = [records[lesson["id"]] for lesson in lessons
                  if lesson["id"] in records and not records[lesson["id"]]["completed_at"]]
    by_id = {lesson["id"]: lesson for lesson in lessons}
    if unfinished:
        latest = max(unfinished, key=lambda r: r["updated_at"])
        return CurrentLesson(latest["lesson_id"], latest["position"], _scale(by_id[latest["lesson_id"]]))
    for lesson in lessons:
        if lesson["id"] not in records:
            return CurrentLesson(lesson["id"], 0, _scale(lesson))
    return None


def _scale(lesson: Row) -> int:
    if lesson["content_type"] in {"video", "embed"}:
        scale: int = loads(lesson["content"]).get("duration_seconds") or 100
        return scale
    return 100


def reset(db: Db, course_id: str, user_id: str) -> CourseProgress:
    """Forget a learner's progress in a course; a completed enrollment becomes active again."""
    with db.transaction():
        enrollment = find_enrollment(db, user_id, course_id)
        if enrollment is None:
            raise not_found("enrollment", f"{user_id} in {course_id}")
        cleared = db.execute("DELETE FROM lesson_progress WHERE app_id = :app AND env = :env AND user_id = :user "
                             "AND course_id = :course", {"user": user_id, "course": course_id}).rowcount
        now = now_iso()
        if enrollment["status"] == "completed":
            db.update("enrollments", enrollment["id"], {"status": "active", "completed_at": None, "updated_at": now})
        emit(db, "progress.reset", "enrollment", enrollment["id"], {
            "enrollment_id": enrollment["id"], "user_id": user_id, "course_id": course_id,
            "lessons_cleared": cleared, "reset_at": now,
        })
    return course_progress(db, course_id, user_id)
