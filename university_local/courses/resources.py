"""Courses as University API resources: the JSON:API shape of a course record."""

from __future__ import annotations

from typing import Any

import orjson
from pydantic import Field

from university_local.core.db import Db, Row, raw_json
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.pagination import Page
from university_local.core.routing import ResourceType
from university_local.courses import service
from university_local.courses.models import CourseStatus

_ATTRIBUTES = ("title", "description", "slug", "status", "thumbnail_url", "category_id", "instructor_id",
               "duration_minutes", "module_count", "lesson_count", "enrollment_count", "rating")


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


def course_resource(row: Row, **relationships: dict[str, Any]) -> dict[str, Any]:
    """The course's resource object, with extra relationship linkage (from `include`) if given."""
    attributes = {name: row[name] for name in _ATTRIBUTES}
    attributes |= {"settings": raw_json(row["settings"]), "created_at": row["created_at"],
                   "updated_at": row["updated_at"]}
    return resource("course", row["id"], attributes, {
        "instructor": to_one("user", row["instructor_id"]),
        "category": to_one("category", row["category_id"]),
        **relationships,
    })


def course_page(db: Db, page: Page, **filters: str | None) -> tuple[orjson.Fragment, int]:
    """One page of the catalogue as JSON, and the total that match.

    Learners' devices poll the catalogue far more often than anyone changes it, so the shaped
    page is cached until the database next changes (per scope: Db.cached).
    """
    def shaped() -> tuple[orjson.Fragment, int]:
        rows, total = service.list_courses(db, page, **filters)
        return raw_json(orjson.dumps([course_resource(row) for row in rows]).decode()), total

    return db.cached(("courses", page, tuple(sorted(filters.items()))), shaped)

