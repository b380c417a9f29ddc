"""Enrollments as University API resources, and the answer of a bulk enrollment."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from pydantic import Field

from university_local.core.db import Row
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.enrollments.models import EnrollmentStatus
from university_local.enrollments.service import BulkEnrollment, progress_percent


class BulkOutcome(Attributes):
    user_id: str
    outcome: Literal["enrolled", "already_enrolled", "error"]
    enrollment_id: str | None
    error: dict[str, str] | None = Field(description="code and detail, when outcome is error")


class BulkResult(Attributes):
    course_id: str
    enrolled_count: int
    results: list[BulkOutcome]


class BulkDocument(Attributes):
    data: BulkResult


class EnrollmentAttributes(Attributes):
    user_id: str
    course_id: str
    status: EnrollmentStatus
    progress_percent: int = Field(description="Required lessons completed, percent, rounded down.")
    lessons_completed: int
    total_lessons: int
    time_spent_minutes: int
    last_activity_at: Timestamp | None
    enrolled_at: Timestamp
    expires_at: Timestamp | None
    completed_at: Timestamp | None
    cancelled_at: Timestamp | None


ENROLLMENT = ResourceType("enrollment", EnrollmentAttributes, relationships={"user": "user", "course": "course"})


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


def bulk_document(result: BulkEnrollment) -> dict[str, Any]:
    return {"data": {"course_id": result.course_id, "enrolled_count": result.enrolled_count,
                     "results": [asdict(outcome) for outcome in result.results]}}
