"""What the grading endpoints take: the queue's filters and the overview's knobs."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

from university_local.core.pagination import PageQuery

GradingKind = Literal["essay", "submission"]


class GradingQueueQuery(PageQuery):
    course_id: str | None = Field(None, min_length=1, max_length=128, description="Only this course's work.")
    kind: GradingKind | None = Field(None, description="Only essay answers, or only assignment submissions.")
    user_id: str | None = Field(None, min_length=1, max_length=128, description="Only this learner's work.")


class OverviewQuery(BaseModel):
    stuck_days: int = Field(7, ge=1, le=365, description="A learner quiet in a course this many days is stuck.")
    limit: int = Field(20, ge=1, le=100, description="How many stuck learners to list (at most 100).")
