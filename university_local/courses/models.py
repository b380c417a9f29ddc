"""Course request models, and the settings every course has."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from university_local.core.models import (
    ApiModel,
    Description,
    ExternalId,
    Title,
    WebUrl,
    envelope,
    unchanged,
)
from university_local.core.pagination import PageQuery

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

    self_enrollment: bool = unchanged()
    certificate_enabled: bool = unchanged()
    certificate_template_id: str | None = unchanged(min_length=1, max_length=128)
    discussion_enabled: bool = unchanged()
    drip_content: bool = unchanged()
    passing_score: int = unchanged(ge=0, le=100)
    max_attempts: int | None = unchanged(ge=1)
    max_enrollments: int | None = unchanged(ge=1)


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

    title: Title = unchanged()
    description: Description | None = unchanged()
    slug: str = unchanged(min_length=1, max_length=120, pattern=SLUG_PATTERN)
    status: CourseStatus = unchanged()
    thumbnail_url: WebUrl | None = unchanged()
    category_id: ExternalId | None = unchanged()
    instructor_id: ExternalId | None = unchanged()
    settings: CourseSettingsPatch = unchanged()


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
