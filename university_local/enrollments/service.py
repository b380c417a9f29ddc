"""Enrollments: the rules for joining a course, leaving it and running out of time.

Progress figures are derived from `lesson_progress` when read, so they always agree with the
progress records. An active enrollment whose `expires_at` has passed reads as `expired` at once;
the expiry job then stores that status and emits `enrollment.expired`.
"""

from __future__ import annotations

from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Row, Store, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.events import emit
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource, to_one
from university_local.core.pagination import Page
from university_local.courses.service import get_course
from university_local.learning_paths.service import check_prerequisites
from university_local.tenancy.models import Tenant
from university_local.users.service import ensure_learner

_EFFECTIVE_STATUS = ("CASE WHEN e.status = 'active' AND e.expires_at IS NOT NULL AND e.expires_at <= :now "
                     "THEN 'expired' ELSE e.status END")
_DONE = ("FROM lesson_progress p JOIN lessons l ON l.id = p.lesson_id WHERE p.app_id = e.app_id "
         "AND p.env = e.env AND p.user_id = e.user_id AND p.course_id = e.course_id AND l.deleted_at IS NULL")
_SELECT = f"""
SELECT e.id, e.user_id, e.course_id, e.status, e.enrolled_at, e.expires_at, e.completed_at, e.cancelled_at,
  {_EFFECTIVE_STATUS} AS effective_status,
  c.lesson_count AS total_lessons,
  (SELECT COUNT(*) {_DONE} AND p.completed_at IS NOT NULL) AS lessons_completed,
  (SELECT COUNT(*) {_DONE} AND p.completed_at IS NOT NULL AND l.required = 1) AS required_completed,
  (SELECT COUNT(*) FROM lessons l WHERE l.course_id = e.course_id AND l.deleted_at IS NULL
     AND l.required = 1) AS required_total,
  (SELECT COALESCE(SUM(p.time_spent_seconds), 0) {_DONE}) AS time_spent_seconds,
  (SELECT MAX(p.updated_at) {_DONE}) AS last_activity_at
FROM enrollments e JOIN courses c ON c.id = e.course_id
WHERE e.app_id = :app AND e.env = :env AND c.deleted_at IS NULL
"""
SEATED = ("active", "completed")  # statuses that hold a place in a course with a capacity


def _params(tenant: Tenant, **extra: Any) -> dict[str, Any]:
    return {"now": now_iso(), "app": tenant.app_id, "env": tenant.env, **extra}


def list_enrollments(store: Store, tenant: Tenant, page: Page, *, course_id: str | None = None,
                     user_id: str | None = None, status: str | None = None) -> tuple[list[Row], int]:
    where = ""
    params = _params(tenant, course=course_id, user=user_id, status=status,
                     limit=page.size, offset=page.offset)
    if course_id:
        where += " AND e.course_id = :course"
    if user_id:
        where += " AND e.user_id = :user"
    if status:
        where += f" AND {_EFFECTIVE_STATUS} = :status"
    total = store.scalar(
        "SELECT COUNT(*) FROM enrollments e JOIN courses c ON c.id = e.course_id "
        "WHERE e.app_id = :app AND e.env = :env AND c.deleted_at IS NULL" + where, params)
    rows = store.all(_SELECT + where + " ORDER BY e.id LIMIT :limit OFFSET :offset", params)
    return rows, total


def get_enrollment(store: Store, tenant: Tenant, enrollment_id: str) -> Row:
    row = store.one(_SELECT + " AND e.id = :id", _params(tenant, id=enrollment_id))
    if row is None:
        raise not_found("enrollment", enrollment_id)
    return row


def find_enrollment(store: Store, tenant: Tenant, user_id: str, course_id: str) -> Row | None:
    return store.one(_SELECT + " AND e.user_id = :user AND e.course_id = :course",
                     _params(tenant, user=user_id, course=course_id))


def required_counts(store: Store, tenant: Tenant, user_id: str, course_id: str) -> tuple[int, int]:
    """(required lessons in the course, of those completed by the learner)."""
    row = store.one(
        "SELECT COUNT(*), COUNT(p.completed_at) FROM lessons l LEFT JOIN lesson_progress p "
        "ON p.app_id = ? AND p.env = ? AND p.user_id = ? AND p.lesson_id = l.id "
        "WHERE l.course_id = ? AND l.deleted_at IS NULL AND l.required = 1",
        (tenant.app_id, tenant.env, user_id, course_id))
    assert row is not None
    return row[0], row[1]


def enroll(store: Store, tenant: Tenant, user_id: str, course_id: str, expires_at: str | None, *,
           self_enrollment: bool, override_prerequisites: bool = False, pointer: str = "/data/attributes") -> Row:
    """Enroll a learner; a learner enrolling themselves (publishable key) needs a course that allows it.

    Prerequisites set by published learning paths must be completed first, unless
    `override_prerequisites` (secret keys only) says otherwise.
    """
    now = now_iso()
    if expires_at is not None and expires_at <= now:
        raise ApiError(422, "validation_error", "expires_at must be in the future.", pointer=f"{pointer}/expires_at")
    with store.transaction() as db:
        try:
            course = get_course(store, tenant, course_id, published_only=self_enrollment)
        except ApiError as err:
            err.errors[0]["source"] = {"pointer": f"{pointer}/course_id"}
            raise
        settings = loads(course["settings"])
        if self_enrollment and not settings["self_enrollment"]:
            raise ApiError(403, "self_enrollment_disabled", "This course does not allow learners to enroll "
                           "themselves; ask an instructor.", pointer=f"{pointer}/course_id")
        ensure_learner(store, tenant, user_id, pointer=f"{pointer}/user_id")
        existing = find_enrollment(store, tenant, user_id, course_id)
        if existing is not None and existing["effective_status"] in SEATED:
            raise ApiError(409, "already_enrolled", f"User '{user_id}' is already enrolled in this course.",
                           pointer=f"{pointer}/user_id")
        if not override_prerequisites:
            check_prerequisites(store, tenant, user_id, course_id, pointer=f"{pointer}/course_id")
        capacity = settings["max_enrollments"]
        if capacity is not None:
            seated = store.scalar(
                f"SELECT COUNT(*) FROM enrollments e WHERE e.course_id = :course AND {_EFFECTIVE_STATUS} "
                "IN ('active', 'completed')", {"course": course_id, "now": now})
            if seated >= capacity:
                raise ApiError(422, "enrollment_limit_reached", "This course has reached its maximum enrollment "
                               f"capacity of {capacity} students.", pointer=f"{pointer}/course_id")
        if existing is None:
            enrollment_id = new_id("enrollment")
            db.table("enrollments").insert({
                "id": enrollment_id, "app_id": tenant.app_id, "env": tenant.env, "user_id": user_id,
                "course_id": course_id, "status": "active", "enrolled_at": now, "expires_at": expires_at,
                "completed_at": None, "cancelled_at": None, "updated_at": now,
            })
        else:  # re-enrolling keeps the record, and with it the learner's earlier progress
            enrollment_id = existing["id"]
            db.table("enrollments").update(enrollment_id, {
                "status": "active", "enrolled_at": now, "expires_at": expires_at, "cancelled_at": None,
                "updated_at": now,
            })
        emit(db, tenant, "enrollment.created", "enrollment", enrollment_id, {
            "enrollment_id": enrollment_id, "user_id": user_id, "course_id": course_id,
            "enrolled_at": now, "expires_at": expires_at, "reenrollment": existing is not None,
        })
    return get_enrollment(store, tenant, enrollment_id)


def bulk_enroll(store: Store, tenant: Tenant, course_id: str, user_ids: list[str],
                expires_at: str | None, *, override_prerequisites: bool = False) -> dict[str, Any]:
    """Enroll many; each user gets an outcome, and one user's error does not stop the others."""
    get_course(store, tenant, course_id)
    results = []
    with store.transaction():
        for user_id in user_ids:
            try:
                with store.transaction():  # a savepoint: a failed user leaves nothing behind
                    row = enroll(store, tenant, user_id, course_id, expires_at, self_enrollment=False,
                                 override_prerequisites=override_prerequisites)
                results.append({"user_id": user_id, "outcome": "enrolled", "enrollment_id": row["id"], "error": None})
            except ApiError as err:
                first = err.errors[0]
                if first["code"] == "already_enrolled":
                    existing = find_enrollment(store, tenant, user_id, course_id)
                    results.append({"user_id": user_id, "outcome": "already_enrolled",
                                    "enrollment_id": existing["id"] if existing else None, "error": None})
                else:
                    results.append({"user_id": user_id, "outcome": "error", "enrollment_id": None,
                                    "error": {"code": first["code"], "detail": first["detail"]}})
    enrolled = sum(1 for r in results if r["outcome"] == "enrolled")
    return {"course_id": course_id, "enrolled_count": enrolled, "results": results}


def cancel(store: Store, tenant: Tenant, enrollment_id: str) -> None:
    with store.transaction() as db:
        row = get_enrollment(store, tenant, enrollment_id)
        if row["status"] != "cancelled":
            now = now_iso()
            db.table("enrollments").update(enrollment_id, {"status": "cancelled", "cancelled_at": now, "updated_at": now})


def expire_due(store: Store) -> int:
    """Store `expired` on every active enrollment past its end and emit `enrollment.expired`.

    Safe to run any number of times: an enrollment expires once.
    """
    now = now_iso()
    with store.transaction() as db:
        due = db.execute(
            "SELECT id, app_id, env, user_id, course_id, expires_at FROM enrollments "
            "WHERE status = 'active' AND expires_at IS NOT NULL AND expires_at <= ?", (now,)).fetchall()
        for enrollment_id, app_id, env, user_id, course_id, expires_at in due:
            db.execute("UPDATE enrollments SET status = 'expired', updated_at = ? WHERE id = ?", (now, enrollment_id))
            emit(db, Tenant(app_id, env), "enrollment.expired", "enrollment", enrollment_id, {
                "enrollment_id": enrollment_id, "user_id": user_id, "course_id": course_id, "expires_at": expires_at,
            })
    return len(due)


def progress_percent(row: Row) -> int:
    if row["effective_status"] == "completed":
        return 100
    if not row["required_total"]:
        return 0
    return min(100, 100 * row["required_completed"] // row["required_total"])


def enrollment_resource(row: Row) -> dict[str, Any]:
    return resource("enrollment", row["id"], {
        "user_id": row["user_id"],
        "course_id": row["course_id"],
        "status": row["effective_status"],
        "progress_percent": progress_percent(row),
        "lessons_completed": row["lessons_completed"],
        "total_lessons": row["total_lessons"],
        "time_spent_minutes": row["time_spent_seconds"] // 60,
        "last_activity_at": row["last_activity_at"],
        "enrolled_at": row["enrolled_at"],
        "expires_at": row["expires_at"],
        "completed_at": row["completed_at"],
        "cancelled_at": row["cancelled_at"],
    }, {"user": to_one("user", row["user_id"]), "course": to_one("course", row["course_id"])})
