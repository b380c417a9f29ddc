"""Learning path request models."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from university_local.core.models import ApiModel, Description, Title, envelope, unchanged
from university_local.core.pagination import PageQuery

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

    title: Title = unchanged()
    description: Description | None = unchanged()
    courses: list[PathCourse] = unchanged(max_length=MAX_COURSES)
    certificate_id: Ref | None = unchanged()
    status: PathStatus = unchanged()


LearningPathCreateBody = envelope("learning_path", LearningPathCreate, name="LearningPathCreateBody")
LearningPathUpdateBody = envelope("learning_path", LearningPathUpdate, name="LearningPathUpdateBody")


class LearningPathListQuery(PageQuery):
    status: PathStatus | None = None
    course_id: str | None = Field(None, description="Only paths that include this course.")
