"""Lesson request models."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from university_local.core.models import ApiModel, Description, Title, envelope, unchanged
from university_local.lessons.content import ContentType

POSITION = "1-based; out-of-range values are clamped, absent appends."


class LessonCreate(ApiModel):
    title: Title
    description: Description | None = None
    content_type: ContentType
    content: dict[str, Any] = Field(description="Shape depends on content_type (see the content schemas).")
    position: int | None = Field(None, ge=1, description=POSITION)
    free_preview: bool = False
    required: bool = Field(True, description="Needed to complete the course; optional lessons are not.")


class LessonUpdate(ApiModel):
    title: Title = unchanged()
    description: Description | None = unchanged()
    content_type: ContentType = unchanged()
    content: dict[str, Any] = unchanged()
    position: int = unchanged(ge=1, description=POSITION)
    free_preview: bool = unchanged()
    required: bool = unchanged()
    module_id: str = unchanged(description="Move the lesson to another module of the same course.")


LessonCreateBody = envelope("lesson", LessonCreate, name="LessonCreateBody")
LessonUpdateBody = envelope("lesson", LessonUpdate, name="LessonUpdateBody")


class LessonReorder(ApiModel):
    lesson_ids: list[str] = Field(description="Every lesson of the module, once each, in the new order.")
