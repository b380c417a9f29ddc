"""Lessons as University API resources."""

from __future__ import annotations

from typing import Any

from university_local.core.db import Row, raw_json
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.lessons.content import ContentType

_ATTRIBUTES = ("course_id", "module_id", "title", "description", "position", "content_type",
               "duration_minutes", "created_at", "updated_at")


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


def lesson_resource(row: Row) -> dict[str, Any]:
    attributes = {name: row[name] for name in _ATTRIBUTES}
    attributes["content"] = raw_json(row["content"])
    attributes["free_preview"] = bool(row["free_preview"])
    attributes["required"] = bool(row["required"])
    return resource("lesson", row["id"], attributes,
                    {"module": to_one("module", row["module_id"]), "course": to_one("course", row["course_id"])})
