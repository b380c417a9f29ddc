"""Assignment, submission and grading request models.

Numbers: `max_score` and a rubric entry's `max_points` are whole numbers; awarded `points`,
`total_score`, `final_score` and `late_penalty_percent` may carry up to two decimals (half points
are common), and every sum or penalty is rounded to two decimals.
"""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from university_local.core.models import ApiModel, Description, Title, UtcDateTime, envelope, unchanged
from university_local.core.pagination import PageQuery

DEFAULT_FILE_TYPES = [".pdf", ".zip", ".docx", ".txt"]
MAX_FILE_SIZE_MB = 500
DEFAULT_MAX_SCORE = 100
NOTES_MAX_CHARS = 10_000
TEXT_MAX_CHARS = 50_000
FEEDBACK_MAX_CHARS = 10_000
_FILE_TYPE = re.compile(r"^(\.[a-z0-9]{1,10}){1,2}$")


def _file_type(value: str) -> str:
    if not _FILE_TYPE.match(value):
        raise ValueError("a file type is a lower-case extension starting with a dot, such as .zip or .tar.gz "
                         "(letters and digits, at most two parts)")
    return value


def _hundredths(value: float) -> float:
    if round(value, 2) != value:
        raise ValueError("at most two decimals")
    return value


FileType = Annotated[str, Field(max_length=22, examples=[".zip", ".tar.gz"]), AfterValidator(_file_type)]
Points = Annotated[float, Field(ge=0, le=100_000), AfterValidator(_hundredths)]
Percent = Annotated[float, Field(ge=0, le=100), AfterValidator(_hundredths)]
LessonRef = Field(min_length=1, max_length=128, description="The lesson the assignment belongs to (its course "
                                                            "follows from it).")


class RubricCriterion(ApiModel):
    criteria: Title = Field(description="Unique within the rubric (ignoring case).")
    max_points: int = Field(ge=1, le=100_000)
    description: Description | None = None


Rubric = Field(max_length=50, description="When not empty, max_score is the sum of max_points, and grades "
                                          "score every criterion.")
MaxScore = Field(ge=1, le=100_000, description="With a rubric: its sum (sending another value is an error; "
                                               "omitted, it is computed). Without one: default 100.")
FileTypes = Field(min_length=1, max_length=20, description="Extensions accepted, lower case with the dot, e.g. "
                                                          "[\".zip\", \".tar.gz\"].")
MaxFileSize = Field(ge=1, le=MAX_FILE_SIZE_MB, description="Largest file accepted, in MiB (1 MiB = 1,048,576 bytes).")
LatePenalty = Field(description="Percent taken off the score of a late submission (a flat deduction, "
                                "not per day).")
SubmissionType = Literal["file", "text"]
DEFAULT_SUBMISSION_TYPES: list[SubmissionType] = ["file"]
SubmissionTypes = Field(min_length=1, max_length=2, description="What a submission may carry: \"file\" (an upload "
                                                             "checked against allowed_file_types and max_file_size_mb),"
                                                             " \"text\" (a written answer, plain text), or both (then "
                                                             "at least one of them).")
DueDate = Field(description="Submissions after this are late (refused unless allow_late_submission); "
                            "null: no deadline.")


class AssignmentCreate(ApiModel):
    title: Title
    description: Description | None = None
    lesson_id: str = LessonRef
    due_date: UtcDateTime | None = Field(None, description=DueDate.description)
    max_score: int | None = Field(None, ge=1, le=100_000, description=MaxScore.description)
    allow_late_submission: bool = False
    late_penalty_percent: Percent = Field(0, description=LatePenalty.description)
    rubric: list[RubricCriterion] = Field(default_factory=list, max_length=50, description=Rubric.description)
    allowed_file_types: list[FileType] = Field(default_factory=lambda: list(DEFAULT_FILE_TYPES), min_length=1,
                                               max_length=20, description=FileTypes.description)
    max_file_size_mb: int = Field(10, ge=1, le=MAX_FILE_SIZE_MB, description=MaxFileSize.description)
    submission_types: list[SubmissionType] = Field(default_factory=lambda: list(DEFAULT_SUBMISSION_TYPES),
                                                   min_length=1, max_length=2, description=SubmissionTypes.description)


class AssignmentUpdate(ApiModel):
    title: Title = unchanged()
    description: Description | None = unchanged()
    lesson_id: str = unchanged(min_length=1, max_length=128, description="Move to another lesson.")
    due_date: UtcDateTime | None = unchanged(description=DueDate.description)
    max_score: int = unchanged(ge=1, le=100_000, description=MaxScore.description)
    allow_late_submission: bool = unchanged()
    late_penalty_percent: Percent = unchanged(description=LatePenalty.description)
    rubric: list[RubricCriterion] = unchanged(max_length=50, description=Rubric.description)
    allowed_file_types: list[FileType] = unchanged(min_length=1, max_length=20, description=FileTypes.description)
    max_file_size_mb: int = unchanged(ge=1, le=MAX_FILE_SIZE_MB, description=MaxFileSize.description)
    submission_types: list[SubmissionType] = unchanged(min_length=1, max_length=2,
                                                       description=SubmissionTypes.description)


AssignmentCreateBody = envelope("assignment", AssignmentCreate, name="AssignmentCreateBody")
AssignmentUpdateBody = envelope("assignment", AssignmentUpdate, name="AssignmentUpdateBody")


class AssignmentListQuery(PageQuery):
    lesson_id: str | None = None
    course_id: str | None = None


# -- submissions ---------------------------------------------------------------------------


class SubmissionForm(ApiModel):
    """The fields of a submission's multipart/form-data body, as the OpenAPI document describes them.
    The form is streamed and checked by the service (core/uploads.py), never parsed with this model."""

    user_id: str = Field(min_length=1, max_length=128, description="The learner submitting (a signed-in learner of "
                                                                   "the web pages submits as themselves).")
    file: bytes | None = Field(None, description="The work, as a file part with a filename. Only when the "
                                                 "assignment's submission_types include \"file\"; required when "
                                                 "they are [\"file\"].")
    text: str | None = Field(None, max_length=TEXT_MAX_CHARS,
                             description="A written answer, plain text (shown escaped, line breaks kept). Only when "
                                         "the assignment's submission_types include \"text\"; required when they "
                                         "are [\"text\"]. With both types, a file or a text (or both) is required.")
    notes: str | None = Field(None, max_length=NOTES_MAX_CHARS, description="Plain text for the instructor.")



class SubmissionListQuery(PageQuery):
    user_id: str | None = Field(None, description="One learner's submissions (required with a publishable key).")
    current: bool | None = Field(None, description="true: only each learner's latest submission.")
    status: Literal["submitted", "graded"] | None = None


class Score(ApiModel):
    criteria: str = Field(min_length=1, max_length=200, description="A criteria of the rubric, exactly as written.")
    points: Points = Field(description="0 to the criterion's max_points, at most two decimals.")


class GradeBody(ApiModel):
    scores: list[Score] = Field(default_factory=list, max_length=50,
                                description="One entry per rubric criterion, each exactly once. Empty for an "
                                            "assignment without a rubric.")
    total_score: Points | None = Field(None, description="Optional with a rubric (checked against the sum of "
                                                         "points); required without one.")
    feedback: str | None = Field(None, max_length=FEEDBACK_MAX_CHARS, description="Plain text.")
