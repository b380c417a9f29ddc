"""Enrollments: the rules for joining a course, leaving it and running out of time.

Progress figures are derived from `lesson_progress` when read, so they always agree with the
progress records. An active enrollment whose `expires_at` has passed reads as `expired` at once;
the expiry job then stores that status and emits `enrollment.expired`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, Store, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.events import emit
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.core.scope import Scope, Tenant
from university_local.courses.service import get_course
from university_local.learning_paths.service import check_prerequisites
from university_local.users.service import ensure_learner

_EFFECTIVE_STATUS = ("CASE WHEN e.status = 'active' AND e.expires_at IS NOT NULL AND e.expires_at <= :now "
                     "THEN 'expired' ELSE e.status END")
_DONE = ("FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id AND +l.app_id = :app AND +l.env = :env "
         "WHERE p.app_id = :app AND p.env = :env AND p.user_id = e.user_id AND p.course_id = e.course_id "
         "AND l.deleted_at IS NULL")
# An enrollment record: its columns, its effective status, and the progress figures of its learner.
_SELECT = f"""
SELECT e.id, e.user_id, e.course_id, e.status, e.enrolled_at, e.expires_at, e.completed_at, e.cancelled_at,
  {_EFFECTIVE_STATUS} AS effective_status,
  c.lesson_count AS total_lessons,
  (SELECT COUNT(*) {_DONE} AND p.completed_at IS NOT NULL) AS lessons_completed,
  (SELECT COUNT(*) {_DONE} AND p.completed_at IS NOT NULL AND l.required = 1) AS required_completed,
  (SELECT COUNT(*) FROM lessons l WHERE l.course_id = e.course_id AND l.deleted_at IS NULL
     AND l.required = 1 AND +l.app_id = :app AND +l.env = :env) AS required_total,
  (SELECT COALESCE(SUM(p.time_spent_seconds), 0) {_DONE}) AS time_spent_seconds,
  (SELECT MAX(p.updated_at) {_DONE}) AS last_activity_at
FROM enrollments e JOIN courses c ON c.id = e.course_id AND +c.app_id = :app AND +c.env = :env
WHERE e.app_id = :app AND e.env = :env AND c.deleted_at IS NULL
"""
SEATED = ("active", "completed")  # statuses that hold a place in a course with a capacity


@dataclass(frozen=True)
class BulkOutcome:
    user_id: str
    outcome: Literal["enrolled", "already_enrolled", "error"]
    enrollment_id: str | None
    error: dict[str, str] | None = None  # code and detail, when outcome is error


@dataclass(frozen=True)
class BulkEnrollment:
    course_id: str
    results: list[BulkOutcome] = field(default_factory=list)

    @property
    def enrolled_count(self) -> int:
        return sum(1 for r in self.results if r.outcome == "enrolled")


def progress_percent(row: Row) -> int:
    """Required lessons completed, percent, rounded down; 100 once the enrollment is completed."""
    if row["effective_status"] == "completed":
        return 100
    if not row["required_total"]:
        return 0
    return min(100, 100 * row["required_completed"] // row["required_total"])


def list_enrollments(db: Db, page: Page, *, course_id: str | None = None, user_id: str | None = None,
                     status: str | None = None) -> tuple[list[Row], int]:
    where = ""
    params = {"now": now_iso(), "course": course_id, "user": user_id, "status": status,
              "limit": page.size, "offset": page.offset}
    if course_id:
        where += " AND e.course_id = :course"
    if user_id:
        where += " AND e.user_id = :user"
    if status:
        where += f" AND {_EFFECTIVE_STATUS} = :status"
    total = db.scalar(
        "SELECT COUNT(*) FROM enrollments e JOIN courses c ON c.id = e.course_id AND +c.app_id = :app "
        "AND +c.env = :env WHERE e.app_id = :app AND e.env = :env AND c.deleted_at IS NULL" + where, params)
    rows = db.all(_SELECT + where + " ORDER BY e.id LIMIT :limit OFFSET :offset", params)
    return rows, total


def get_enrollment(db: Db, enrollment_id: str) -> Row:
    row = db.one(_SELECT + " AND e.id = :id", {"now": now_iso(), "id": enrollment_id})
    if row is None:
        raise not_found("enrollment", enrollment_id)
    return row


def find_enrollment(db: Db, user_id: str, course_id: str) -> Row | None:
    return db.one(_SELECT + " AND e.user_id = :user AND e.course_id = :course",
                  {"now": now_iso(), "user": user_id, "course": course_id})


def required_counts(db: Db, user_id: str, course_id: str) -> tuple[int, int]:
    """(required lessons in the course, of those completed by the learner)."""
    row = db.one(
        "SELECT COUNT(*), COUNT(p.completed_at) FROM lessons l LEFT JOIN lesson_progress p "
        "ON p.app_id = :app AND p.env = :env AND p.user_id = :user AND p.lesson_id = l.id "
        "WHERE l.course_id = :course AND l.deleted_at IS NULL AND l.required = 1 AND +l.app_id = :app "
        "AND +l.env = :env", {"user": user_id, "course": course_id})
    assert row is not None
    return row[0], row[1]


def enroll(db: Db, user_id: str, course_id: str, expires_at: str | None, *, override_prerequisites: bool = False,
           pointer: str = "/data/attributes") -> Row:
    """Enroll a learner; a learner enrolling themselves (a learner's scope) needs a published course
    that allows it. Prerequisites set by published learning paths must be completed first, unless
    staff `override_prerequisites`."""
    if override_prerequisites and db.published_only:
        raise ApiError(403, "forbidden", "Only a secret key may override prerequisites.",
                       pointer=f"{pointer}/override_prerequisites")
    now = now_iso()
    if expires_at is not None and expires_at <= now:
        raise ApiError(422, "validation_error", "expires_at must be in the future.", pointer=f"{pointer}/expires_at")
    with db.transaction():
        try:
            course = get_course(db, course_id)
        except ApiError as err:
            err.errors[0]["source"] = {"pointer": f"{pointer}/course_id"}
            raise
        settings = loads(course["settings"])
        if db.published_only and not settings["self_enrollment"]:
            raise ApiError(403, "self_enrollment_disabled", "This course does not allow learners to enroll "
                           "themselves; ask an instructor.", pointer=f"{pointer}/course_id")
        ensure_learner(db, user_id, pointer=f"{pointer}/user_id")
        existing = find_enrollment(db, user_id, course_id)
        if existing is not None and existing["effective_status"] in SEATED:
            raise ApiError(409, "already_enrolled", f"User '{user_id}' is already enrolled in this course.",
                           pointer=f"{pointer}/user_id")
        if not override_prerequisites:
            check_prerequisites(db, user_id, course_id, pointer=f"{pointer}/course_id")
        capacity = settings["max_enrollments"]
        if capacity is not None:
            seated = db.scalar(
                f"SELECT COUNT(*) FROM enrollments e WHERE e.course_id = :course AND +e.app_id = :app "
                f"AND +e.env = :env AND {_EFFECTIVE_STATUS} IN ('active', 'completed')",
                {"course": course_id, "now": now})
            if seated >= capacity:
                raise ApiError(422, "enrollment_limit_reached", "This course has reached its maximum enrollment "
                               f"capacity of {capacity} students.", pointer=f"{pointer}/course_id")
        if existing is None:
            enrollment_id = new_id("enrollment")
            db.insert("enrollments", {
                "id": enrollment_id, "user_id": user_id, "course_id": course_id, "status": "active",
                "enrolled_at": now, "expires_at": expires_at, "completed_at": None, "cancelled_at": None,
                "updated_at": now,
            })
        else:  # re-enrolling keeps the record, and with it the learner's earlier progress
            enrollment_id = existing["id"]
            db.update("enrollments", enrollment_id, {
                "status": "active", "enrolled_at": now, "expires_at": expires_at, "cancelled_at": None,
                "updated_at": now,
            })
        emit(db, "enrollment.created", "enrollment", enrollment_id, {
            "enrollment_id": enrollment_id, "user_id": user_id, "course_id": course_id,
            "enrolled_at": now, "expires_at": expires_at, "reenrollment": existing is not None,
        })
    return get_enrollment(db, enrollment_id)


def bulk_enroll(db: Db, course_id: str, user_ids: list[str], expires_at: str | None, *,
                override_prerequisites: bool = False) -> BulkEnrollment:
    """Enroll many; each user gets an outcome, and one user's error does not stop the others."""
    get_course(db, course_id)
    result = BulkEnrollment(course_id)
    with db.transaction():
        for user_id in user_ids:
            try:
                with db.transaction():  # a savepoint: a failed user leaves nothing behind
                    row = enroll(db, user_id, course_id, expires_at, override_prerequisites=override_prerequisites)
                result.results.append(BulkOutcome(user_id, "enrolled", row["id"]))
            except ApiError as err:
                first = err.errors[0]
                if first["code"] == "already_enrolled":
                    existing = find_enrollment(db, user_id, course_id)
                    result.results.append(BulkOutcome(user_id, "already_enrolled",
                                                      existing["id"] if existing else None))
                else:
                    result.results.append(BulkOutcome(user_id, "error", None,
                                                      {"code": first["code"], "detail": first["detail"]}))
    return result


def cancel(db: Db, enrollment_id: str) -> None:
    with db.transaction():
        row = get_enrollment(db, enrollment_id)
        if row["status"] != "cancelled":
            now = now_iso()
            db.update("enrollments", enrollment_id, {"status": "cancelled", "cancelled_at": now, "updated_at": now})


def expire_due(store: Store) -> int:
    """Store `expired` on every active enrollment past its end and emit `enrollment.expired`: the
    scheduler's job, across tenants. Safe to run any number of times: an enrollment expires once."""
    now = now_iso()
    with store.transaction():
        due = store.all("SELECT id, app_id, env, user_id, course_id, expires_at FROM enrollments "
                        "WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= ?", (now,))
        for row in due:
            db = store.scoped(Scope.staff(Tenant(row["app_id"], row["env"])))
            db.update("enrollments", row["id"], {"status": "expired", "updated_at": now})
            emit(db, "enrollment.expired", "enrollment", row["id"], {
                "enrollment_id": row["id"], "user_id": row["user_id"], "course_id": row["course_id"],
                "expires_at": row["expires_at"],
            })
    return len(due)
