"""Progress request and response models.

`time_spent_seconds` is the learner's *total* time on the lesson as the client has measured
it, and `position` where they are. The server keeps the largest total and the furthest position
it has been sent, so a retried or duplicated request, or one arriving late from a device that
was offline, never counts time twice and never moves a learner backwards.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from university_local.core.models import ApiModel, Attributes, Timestamp
from university_local.core.routing import ResourceType

UserRef = Field(min_length=1, max_length=128)
Seconds = Field(None, ge=0, le=10_000_000, description="Total seconds on this lesson so far (not an increment).")
PositionField = Field(None, ge=0, le=100_000_000, description="Where the learner is: seconds into a video, "
                                                               "or percent scrolled.")


class ProgressReport(ApiModel):
    """The body of both `complete` and `progress`: who, where, and their total time so far."""

    user_id: str = UserRef
    position: int | None = PositionField
    time_spent_seconds: int | None = Seconds


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
