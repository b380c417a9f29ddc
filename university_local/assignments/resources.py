"""Assignments and submissions as University API resources."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from university_local.assignments.service import submission_types, tidy_number
from university_local.core.db import Row, loads
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType


class RubricCriterionOut(Attributes):
    criteria: str
    max_points: int
    description: str | None


class AssignmentAttributes(Attributes):
    title: str
    description: str | None
    lesson_id: str
    course_id: str
    due_date: Timestamp | None
    max_score: int
    allow_late_submission: bool
    late_penalty_percent: float
    rubric: list[RubricCriterionOut]
    allowed_file_types: list[str]
    max_file_size_mb: int
    submission_types: list[Literal["file", "text"]] = Field(description="What a submission may carry: a file, a "
                                                                        "written answer (text), or either.")
    created_at: Timestamp
    updated_at: Timestamp


ASSIGNMENT = ResourceType("assignment", AssignmentAttributes, relationships={"lesson": "lesson", "course": "course"})


class StoredFile(Attributes):
    filename: str = Field(description="The name the learner's device gave, sanitised: no directories, control "
                                      "characters or leading dots.")
    content_type: str = Field(description="From the extension; application/octet-stream when not a known type.")
    size_bytes: int
    sha256: str


class ScoreOut(Attributes):
    criteria: str
    points: float
    max_points: int


class SubmissionAttributes(Attributes):
    assignment_id: str
    course_id: str
    lesson_id: str
    user_id: str
    attempt: int = Field(description="1 for the first submission, then 2, 3, ... for each resubmission.")
    current: bool = Field(description="The learner's latest submission: the one that counts.")
    status: Literal["submitted", "graded"]
    notes: str | None = Field(description="Plain text, as the learner wrote it.")
    text: str | None = Field(description="The learner's written answer, plain text as written (line ends as \\n): "
                                         "show it escaped, never as HTML. Null when the submission is a file only.")
    file: StoredFile | None = Field(description="The uploaded file; null for a written answer only.")
    late: bool
    late_penalty_percent: float = Field(description="Recorded when submitted: the assignment's penalty if late, "
                                                    "else 0.")
    submitted_at: Timestamp
    scores: list[ScoreOut] | None
    total_score: float | None = Field(description="Sum of the rubric points (or the score given), before the penalty.")
    final_score: float | None = Field(description="total_score less late_penalty_percent of it, to two decimals.")
    max_score: int
    feedback: str | None = Field(description="Plain text.")
    graded_at: Timestamp | None
    updated_at: Timestamp


SUBMISSION = ResourceType("submission", SubmissionAttributes,
                          relationships={"assignment": "assignment", "user": "user"})


def assignment_resource(row: Row) -> dict[str, Any]:
    return resource("assignment", row["id"], {
        "title": row["title"],
        "description": row["description"],
        "lesson_id": row["lesson_id"],
        "course_id": row["course_id"],
        "due_date": row["due_date"],
        "max_score": row["max_score"],
        "allow_late_submission": bool(row["allow_late_submission"]),
        "late_penalty_percent": tidy_number(row["late_penalty_percent"]),
        "rubric": [{"criteria": c["criteria"], "max_points": c["max_points"], "description": c.get("description")}
                   for c in loads(row["rubric"])],
        "allowed_file_types": loads(row["allowed_file_types"]),
        "max_file_size_mb": row["max_file_size_mb"],
        "submission_types": submission_types(row),
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
    }, {"lesson": to_one("lesson", row["lesson_id"]), "course": to_one("course", row["course_id"])})


def submission_resource(row: Row) -> dict[str, Any]:
    scores = loads(row["scores"]) if row["scores"] else None
    return resource("submission", row["id"], {
        "assignment_id": row["assignment_id"],
        "course_id": row["course_id"],
        "lesson_id": row["lesson_id"],
        "user_id": row["user_id"],
        "attempt": row["attempt"],
        "current": bool(row["is_current"]),
        "status": "graded" if row["graded_at"] else "submitted",
        "notes": row["notes"],
        "text": row["text"],
        "file": {"filename": row["filename"], "content_type": row["content_type"], "size_bytes": row["file_size"],
                 "sha256": row["file_sha256"]} if row["file_sha256"] is not None else None,
        "late": bool(row["late"]),
        "late_penalty_percent": tidy_number(row["late_penalty_percent"]),
        "submitted_at": row["submitted_at"],
        "scores": scores,
        "total_score": tidy_number(row["total_score"]),
        "final_score": tidy_number(row["final_score"]),
        "max_score": row["max_score"],
        "feedback": row["feedback"],
        "graded_at": row["graded_at"],
        "updated_at": row["updated_at"],
    }, {"assignment": to_one("assignment", row["assignment_id"]), "user": to_one("user", row["user_id"])})
