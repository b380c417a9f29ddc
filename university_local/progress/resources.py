"""Progress as University API resources: a lesson's progress record and a learner's course view."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Literal

from pydantic import Field

from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.progress.service import CourseProgress, LessonProgress


class LessonProgressAttributes(Attributes):
    lesson_id: str
    course_id: str
    user_id: str
    position: int
    furthest_position: int
    time_spent_seconds: int
    completed: bool
    completed_at: Timestamp | None
    started_at: Timestamp
    updated_at: Timestamp
    enrollment_status: str = Field(description="The enrollment's status after this call (completed when "
                                               "this was the last required lesson).")


class ModuleProgress(Attributes):
    module_id: str
    title: str
    progress: float
    completed_at: Timestamp | None


class CompletedLesson(Attributes):
    lesson_id: str
    completed_at: Timestamp
    time_spent_seconds: int


class CurrentLesson(Attributes):
    lesson_id: str
    position: int
    total: int = Field(description="The scale of position: a video's length in seconds, else 100.")


class CourseProgressAttributes(Attributes):
    course_id: str
    user_id: str
    overall_progress: float
    status: Literal["not_started", "in_progress", "completed", "expired", "cancelled"]
    modules: list[ModuleProgress]
    lessons_completed: list[CompletedLesson]
    current_lesson: CurrentLesson | None
    total_time_spent_minutes: int
    started_at: Timestamp | None
    last_activity_at: Timestamp | None


LESSON_PROGRESS = ResourceType("lesson_progress", LessonProgressAttributes)
PROGRESS = ResourceType("progress", CourseProgressAttributes)


def lesson_progress_resource(progress: LessonProgress) -> dict[str, Any]:
    return {
        "id": f"{progress.lesson_id}:{progress.user_id}",
        "type": "lesson_progress",
        "attributes": {
            "lesson_id": progress.lesson_id, "course_id": progress.course_id, "user_id": progress.user_id,
            "position": progress.position, "furthest_position": progress.furthest_position,
            "time_spent_seconds": progress.time_spent_seconds, "completed": progress.completed_at is not None,
            "completed_at": progress.completed_at, "started_at": progress.started_at,
            "updated_at": progress.updated_at, "enrollment_status": progress.enrollment_status,
        },
    }


def course_progress_resource(progress: CourseProgress) -> dict[str, Any]:
    attributes = asdict(progress)
    enrollment_id = attributes.pop("enrollment_id")
    return {"id": f"progress-{enrollment_id.removeprefix('enrollment-')}", "type": "progress",
            "attributes": attributes}
