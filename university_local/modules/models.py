"""Module request models."""

from __future__ import annotations

from pydantic import Field

from university_local.core.models import ApiModel, Description, Title, UtcDateTime, envelope, unchanged

POSITION = "1-based; out-of-range values are clamped, absent appends."


class ModuleCreate(ApiModel):
    title: Title
    description: Description | None = None
    position: int | None = Field(None, ge=1, description=POSITION)
    unlock_at: UtcDateTime | None = Field(None, description="With drip content, the module opens then.")


class ModuleUpdate(ApiModel):
    title: Title = unchanged()
    description: Description | None = unchanged()
    position: int = unchanged(ge=1, description=POSITION)
    unlock_at: UtcDateTime | None = unchanged()


ModuleCreateBody = envelope("module", ModuleCreate, name="ModuleCreateBody")
ModuleUpdateBody = envelope("module", ModuleUpdate, name="ModuleUpdateBody")


class ModuleReorder(ApiModel):
    module_ids: list[str] = Field(description="Every module of the course, once each, in the new order.")
