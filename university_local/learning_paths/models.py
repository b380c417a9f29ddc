"""Learning path request and response models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from university_local.core.models import (
    ApiModel,
    Attributes,
    Description,
    Timestamp,
    Title,
    envelope,
)
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType

PathStatus = Literal["draft", "published"]
MAX_COURSES = 100  # a curriculum, not a catalogue
Ref = Annotated[str, Field(min_length=1, max_length=128)]


class PathCourse(ApiModel):
    """One course of the path, where it stands and what must come before it."""

    course_id: Ref
    position: int | None = Field(None, ge=1, le=MAX_COURSES,
                                 description="1..n, each once. Give it for every course or for none; "
                                             "when none has one, the list order is the order.")
    required: bool = Field(True, description="Needed to complete the path; optional courses are not.")
    prerequisites: list[Ref] = Field(default_factory=list, max_length=MAX_COURSES,
                                           description="Courses of this path to complete before this one.")


class LearningPathCreate(ApiModel):
    title: Title
    description: Description | None = None
    courses: list[PathCourse] = Field(default_factory=list, max_length=MAX_COURSES)
    certificate_id: Ref | None = Field(None, description="The certificate template issued on completing "
                                                               "the path; null for none.")
    status: PathStatus = Field("draft", description="Publishable keys see published paths only, and only "
                                                    "published paths enforce their prerequisites.")


class LearningPathUpdate(ApiModel):
    """PATCH: fields left out stay as they are; `courses`, when sent, replaces the whole list."""

    title: Title = None  # type: ignore[assignment]
    description: Description | None = None
    courses: list[PathCourse] = Field(None, max_length=MAX_COURSES)  # type: ignore[arg-type]
    certificate_id: Ref | None = None
    status: PathStatus = None  # type: ignore[assignment]


LearningPathCreateBody = envelope("learning_path", LearningPathCreate, name="LearningPathCreateBody")
LearningPathUpdateBody = envelope("learning_path", LearningPathUpdate, name="LearningPathUpdateBody")


class LearningPathListQuery(PageQuery):
    status: PathStatus | None = None
    course_id: str | None = Field(None, description="Only paths that include this course.")


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
