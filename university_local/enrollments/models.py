"""Enrollment request models."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.models import ApiModel, UtcDateTime, envelope
from university_local.core.pagination import PageQuery

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


class EnrollmentListQuery(PageQuery):
    course_id: str | None = None
    user_id: str | None = None
    status: EnrollmentStatus | None = None
