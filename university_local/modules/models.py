"""Module request and response models."""

from __future__ import annotations

from pydantic import Field

from university_local.core.models import (
    ApiModel,
    Attributes,
    Description,
    Timestamp,
    Title,
    UtcDateTime,
    envelope,
)
from university_local.core.routing import ResourceType

Position = Field(None, ge=1, description="1-based; out-of-range values are clamped, absent appends.")


class ModuleCreate(ApiModel):
    title: Title
    description: Description | None = None
    position: int | None = Position
    unlock_at: UtcDateTime | None = Field(None, description="With drip content, the module opens then.")


class ModuleUpdate(ApiModel):
    title: Title = None  # type: ignore[assignment]
    description: Description | None = None
    position: int = Position  # type: ignore[assignment]
    unlock_at: UtcDateTime | None = None


ModuleCreateBody = envelope("module", ModuleCreate, name="ModuleCreateBody")
ModuleUpdateBody = envelope("module", ModuleUpdate, name="ModuleUpdateBody")


class ModuleReorder(ApiModel):
    module_ids: list[str] = Field(description="Every module of the course, once each, in the new order.")


class ModuleAttributes(Attributes):
    course_id: str
    title: str
    description: str | None
    position: int
    lesson_count: int
    duration_minutes: int
    unlock_at: Timestamp | None
    created_at: Timestamp
    updated_at: Timestamp


MODULE = ResourceType("module", ModuleAttributes, relationships={"course": "course"})
