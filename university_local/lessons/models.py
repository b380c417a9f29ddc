"""Lesson request and response models."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from university_local.core.models import ApiModel, Attributes, Description, Timestamp, Title, envelope
from university_local.core.routing import ResourceType
from university_local.lessons.content import ContentType

Position = Field(None, ge=1, description="1-based; out-of-range values are clamped, absent appends.")


class LessonCreate(ApiModel):
    title: Title
    description: Description | None = None
    content_type: ContentType
    content: dict[str, Any] = Field(description="Shape depends on content_type (see the content schemas).")
    position: int | None = Position
    free_preview: bool = False
    required: bool = Field(True, description="Needed to complete the course; optional lessons are not.")


class LessonUpdate(ApiModel):
    title: Title = None  # type: ignore[assignment]
    description: Description | None = None
    content_type: ContentType = None  # type: ignore[assignment]
    content: dict[str, Any] = None  # type: ignore[assignment]
    position: int = Position  # type: ignore[assignment]
    free_preview: bool = None  # type: ignore[assignment]
    required: bool = None  # type: ignore[assignment]
    module_id: str = Field(None, description="Move the lesson to another module of the same course.")  # type: ignore[assignment]


LessonCreateBody = envelope("lesson", LessonCreate, name="LessonCreateBody")
LessonUpdateBody = envelope("lesson", LessonUpdate, name="LessonUpdateBody")


class LessonReorder(ApiModel):
    lesson_ids: list[str] = Field(description="Every lesson of the module, once each, in the new order.")


class LessonAttributes(Attributes):
    course_id: str
    module_id: str
    title: str
    description: str | None
    position: int
    content_type: ContentType
    content: dict[str, Any]
    duration_minutes: int
    free_preview: bool
    required: bool
    created_at: Timestamp
    updated_at: Timestamp


LESSON = ResourceType("lesson", LessonAttributes, relationships={"module": "module", "course": "course"})
