"""Learning paths as University API resources, and a learner's progress along one."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pydantic import Field

from university_local.core.db import Row
from university_local.core.jsonapi import resource
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.learning_paths import service
from university_local.learning_paths.models import PathStatus


class PathCourseOut(Attributes):
    course_id: str
    position: int
    required: bool
    prerequisites: list[str]


class LearningPathAttributes(Attributes):
    title: str
    description: str | None
    status: PathStatus
    total_courses: int
    total_duration_hours: float = Field(description="The courses' durations added up, in hours, one decimal.")
    courses: list[PathCourseOut] = Field(description="In position order. A course deleted since it was added "
                                                     "is left out, and so are prerequisites naming it.")
    certificate_id: str | None
    created_at: Timestamp
    updated_at: Timestamp


class PathProgress(Attributes):
    path_id: str
    user_id: str
    overall_progress: int = Field(description="Required courses completed, percent, rounded down (all courses "
                                              "when none is required).")
    courses_completed: int = Field(description="Courses of the path completed, optional ones included.")
    total_courses: int
    current_course: str | None = Field(description="The first course, by position, the learner is enrolled in "
                                                   "and has not completed; null when there is none.")
    next_available: list[str] = Field(description="Courses not completed whose prerequisites all are.")
    locked: list[str] = Field(description="Courses not completed with a prerequisite not completed.")
    time_invested_hours: float = Field(description="Time spent on the path's lessons, in hours, one decimal.")
    estimated_completion_hours: float = Field(description="Duration of the required lessons still to complete "
                                                          "in the required courses not yet completed.")


class PathProgressDocument(Attributes):
    data: PathProgress


LEARNING_PATH = ResourceType("learning_path", LearningPathAttributes)


def path_resource(row: Row, entries: list[service.PathEntry]) -> dict[str, Any]:
    return resource("learning_path", row["id"], {
        "title": row["title"],
        "description": row["description"],
        "status": row["status"],
        "total_courses": len(entries),
        "total_duration_hours": round(sum(e.duration_minutes for e in entries) / 60, 1),
        "courses": [{"course_id": e.course_id, "position": e.position, "required": e.required,
                     "prerequisites": e.prerequisites} for e in entries],
        "certificate_id": row["certificate_id"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    })


def progress_document(progress: service.PathProgress) -> dict[str, Any]:
    return {"data": asdict(progress)}
