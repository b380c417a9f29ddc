"""Modules as University API resources."""

from __future__ import annotations

from typing import Any

from university_local.core.db import Row
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType

_ATTRIBUTES = ("course_id", "title", "description", "position", "lesson_count", "duration_minutes",
               "unlock_at", "created_at", "updated_at")


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


def module_resource(row: Row) -> dict[str, Any]:
    return resource("module", row["id"], {name: row[name] for name in _ATTRIBUTES},
                    {"course": to_one("course", row["course_id"])})
