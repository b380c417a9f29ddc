"""Course request and response models."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from university_local.core.models import (
    ApiModel,
    Attributes,
    Description,
    ExternalId,
    Timestamp,
    Title,
    WebUrl,
    envelope,
)
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

CourseStatus = Literal["draft", "published", "archived"]
SLUG_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class CourseSettings(ApiModel):
    """Per-course behaviour. Every key has a default, so a course always has them all."""

    self_enrollment: bool = Field(False, description="Learners may enroll themselves.")
    certificate_enabled: bool = Field(True, description="A certificate is issued on completion.")
    certificate_template_id: str | None = Field(None, max_length=128, description="The template of the "
                                                "completion certificate; null: the built-in one.")
    discussion_enabled: bool = Field(True, description="The course has discussion forums.")
    drip_content: bool = Field(False, description="Modules unlock at their `unlock_at` time.")
    passing_score: int = Field(70, ge=0, le=100, description="Score (percent) needed to pass quizzes.")
    max_attempts: int | None = Field(None, ge=1, description="Quiz attempts allowed; null is unlimited.")
    max_enrollments: int | None = Field(None, ge=1, description="Capacity; null is unlimited.")


class CourseSettingsPatch(ApiModel):
    """Settings sent on create or PATCH: only the keys given change."""

    self_enrollment: bool = None  # type: ignore[assignment]
    certificate_enabled: bool = None  # type: ignore[assignment]
    certificate_template_id: str | None = Field(None, min_length=1, max_length=128)
    discussion_enabled: bool = None  # type: ignore[assignment]
    drip_content: bool = None  # type: ignore[assignment]
    passing_score: int = Field(None, ge=0, le=100)  # type: ignore[assignment]
    max_attempts: int | None = Field(None, ge=1)
    max_enrollments: int | None = Field(None, ge=1)


class CourseCreate(ApiModel):
    title: Title
    description: Description | None = None
    slug: str | None = Field(None, min_length=1, max_length=120, pattern=SLUG_PATTERN,
                             description="Unique in the organisation; made from the title when absent.")
    status: CourseStatus = "draft"
    thumbnail_url: WebUrl | None = None
    category_id: ExternalId | None = None
    instructor_id: ExternalId | None = None
    settings: CourseSettingsPatch | None = None


class CourseUpdate(ApiModel):
    """PATCH: fields left out stay as they are; `null` clears a nullable field."""

    title: Title = None  # type: ignore[assignment]
    description: Description | None = None
    slug: str = Field(None, min_length=1, max_length=120, pattern=SLUG_PATTERN)  # type: ignore[assignment]
    status: CourseStatus = None  # type: ignore[assignment]
    thumbnail_url: WebUrl | None = None
    category_id: ExternalId | None = None
    instructor_id: ExternalId | None = None
    settings: CourseSettingsPatch = None  # type: ignore[assignment]


CourseCreateBody = envelope("course", CourseCreate, name="CourseCreateBody")
CourseUpdateBody = envelope("course", CourseUpdate, name="CourseUpdateBody")


class CourseListQuery(PageQuery):
    status: CourseStatus | None = None
    category: str | None = Field(None, description="Category id.")
    instructor_id: str | None = None


class CourseGetQuery(BaseModel):
    include: str | None = Field(
        None, description="Comma-separated related resources: modules, lessons, instructor."
    )


class CourseSettingsOut(Attributes):
    self_enrollment: bool
    certificate_enabled: bool
    certificate_template_id: str | None
    discussion_enabled: bool
    drip_content: bool
    passing_score: int
    max_attempts: int | None
    max_enrollments: int | None


class CourseAttributes(Attributes):
    title: str
    description: str | None
    slug: str
    status: CourseStatus
    thumbnail_url: str | None
    category_id: str | None
    instructor_id: str | None
    duration_minutes: int = Field(description="Sum of the durations of the course's lessons.")
    module_count: int
    lesson_count: int
    enrollment_count: int = Field(description="Enrollments that are not cancelled.")
    rating: float | None = Field(description="Mean of learners' ratings (1-5), one decimal; null until rated.")
    settings: CourseSettingsOut
    created_at: Timestamp
    updated_at: Timestamp


COURSE = ResourceType(
    "course",
    CourseAttributes,
    relationships={"instructor": "user", "category": "category", "modules": "module", "lessons": "lesson"},
    to_many=("modules", "lessons"),
)
