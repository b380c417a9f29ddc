"""Enrollment request and response models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.models import ApiModel, Attributes, Timestamp, UtcDateTime, envelope
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

EnrollmentStatus = Literal["active", "completed", "expired", "cancelled"]
UserRef = Field(min_length=1, max_length=128)


class EnrollmentCreate(ApiModel):
    user_id: str = UserRef
    course_id: str = Field(min_length=1, max_length=128)
    expires_at: UtcDateTime | None = Field(None, description="Access ends then; null never expires.")
    override_prerequisites: bool = Field(False, description="Enroll even though prerequisites set by a "
                                                            "learning path are not completed (secret keys only).")


EnrollmentCreateBody = envelope("enrollment", EnrollmentCreate, name="EnrollmentCreateBody")


class BulkEnroll(ApiModel):
    course_id: str = Field(min_length=1, max_length=128)
    user_ids: list[str] = Field(min_length=1, max_length=1000)
    expires_at: UtcDateTime | None = None
    send_notification: bool = Field(False, description="Accepted for compatibility; a classroom server "
                                                       "has no mail to send, so nothing is sent.")
    override_prerequisites: bool = Field(False, description="Enroll even users who have not completed the "
                                                            "prerequisites a learning path sets.")


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


class EnrollmentListQuery(PageQuery):
    course_id: str | None = None
    user_id: str | None = None
    status: EnrollmentStatus | None = None


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
