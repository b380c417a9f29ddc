"""The grading queue's items as University API resources, and the overview's document."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from university_local.core.db import Row
from university_local.core.jsonapi import resource
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.grading.models import GradingKind


class GradingItemAttributes(Attributes):
    kind: GradingKind
    course_id: str
    course_title: str
    lesson_id: str | None = Field(description="The quiz's lesson (null for a quiz of a course), or the assignment's.")
    lesson_title: str | None
    source_id: str = Field(description="The quiz (essay) or the assignment (submission).")
    source_title: str
    user_id: str
    user_name: str = Field(description="The learner's display_name, or their user_id when there is no user record.")
    submitted_at: Timestamp
    attempt_id: str | None = Field(description="Essay: the attempt to grade with PATCH /attempts/{id}/grade.")
    question_index: int | None = Field(description="Essay: the question to grade.")
    submission_id: str | None = Field(description="Submission: grade with PATCH /submissions/{id}/grade.")
    attempt_number: int = Field(description="The quiz attempt's number, or the submission's attempt.")
    max_points: float = Field(description="Essay: the question's points; submission: the assignment's max_score.")
    late: bool
    late_penalty_percent: float = Field(description="The submission's recorded penalty; 0 for essays (quizzes "
                                                    "carry no late penalty).")


GRADING_ITEM = ResourceType("grading_item", GradingItemAttributes)


def grading_item_id(row: Row) -> str:
    if row["kind"] == "essay":
        return f"essay:{row['attempt_id']}:{row['question_index']}"
    return f"submission:{row['submission_id']}"


def grading_item_resource(row: Row) -> dict[str, Any]:
    return resource("grading_item", grading_item_id(row), {
        "kind": row["kind"],
        "course_id": row["course_id"],
        "course_title": row["course_title"],
        "lesson_id": row["lesson_id"],
        "lesson_title": row["lesson_title"],
        "source_id": row["source_id"],
        "source_title": row["source_title"],
        "user_id": row["user_id"],
        "user_name": row["user_name"],
        "submitted_at": row["submitted_at"],
        "attempt_id": row["attempt_id"],
        "question_index": row["question_index"],
        "submission_id": row["submission_id"],
        "attempt_number": row["attempt_number"],
        "max_points": _number(row["max_points"]),
        "late": bool(row["late"]),
        "late_penalty_percent": _number(row["late_penalty_percent"]),
    })


def _number(value: float) -> float | int:
    """Whole numbers read back from REAL columns are shown without a fraction."""
    return int(value) if float(value).is_integer() else value


# -- the overview ----------------------------------------------------------------------------------


class WaitingFigures(Attributes):
    essay: int
    submission: int
    total: int


class InactiveReason(Attributes):
    kind: Literal["inactive"]
    days: int = Field(description="Whole days since the learner's last activity in the course (or enrolling).")
    course_id: str
    course_title: str


class FailedQuizReason(Attributes):
    kind: Literal["failed_quiz"]
    quiz_id: str
    quiz_title: str
    failures: int = Field(description="Graded attempts not passed (at least 2), with none passed.")


class OverdueAssignmentReason(Attributes):
    kind: Literal["overdue_assignment"]
    assignment_id: str
    assignment_title: str
    due_date: Timestamp


class StuckLearner(Attributes):
    user_id: str
    user_name: str
    reasons: list[InactiveReason | FailedQuizReason | OverdueAssignmentReason]


class Overview(Attributes):
    date: str = Field(description="Today, YYYY-MM-DD in the organisation's time zone.")
    learners_active_today: int
    lessons_completed_today: int
    waiting_for_grading: WaitingFigures
    enrollments_active: int
    learners_total: int = Field(description="Users with the learner role who are not deactivated.")
    stuck: list[StuckLearner] = Field(description="Most reasons first, then the longest inactive; cut at `limit`.")
    stuck_total: int


class OverviewDocument(Attributes):
    data: Overview
