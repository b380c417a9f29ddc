"""Quiz and attempt request and response models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from university_local.core.models import (
    ApiModel,
    Attributes,
    Description,
    Timestamp,
    Title,
    UtcDateTime,
    envelope,
)
from university_local.core.pagination import PageQuery
from university_local.core.routing import ResourceType
from university_local.quizzes.questions import Question

# When a learner may see correct answers and explanations (secret keys always may):
#   never            - not even which questions were right; only the score and passed
#   after_submission - in the results of every submitted attempt
#   after_passing    - once the learner has passed the quiz, in all their attempts
#   after_due        - once the quiz's due_date has passed
ShowAnswers = Literal["never", "after_submission", "after_passing", "after_due"]
UserRef = Field(min_length=1, max_length=128)
Ref = Field(min_length=1, max_length=128)


class QuizFields(ApiModel):
    title: Title | None = None
    description: Description | None = None
    time_limit_minutes: int | None = Field(None, ge=1, le=24 * 60, description="Null: no limit.")
    passing_score: float | None = Field(None, ge=0, le=100, description="Percent of points needed to pass.")
    max_attempts: int | None = Field(None, ge=1, le=1000, description="Null: unlimited.")
    shuffle_questions: bool | None = None
    show_correct_answers: ShowAnswers | None = None
    due_date: UtcDateTime | None = None
    questions: list[Question] | None = Field(None, min_length=1, max_length=500)


class QuizCreate(QuizFields):
    title: Title
    lesson_id: str | None = Field(None, min_length=1, max_length=128,
                                  description="The lesson the quiz belongs to; its course is the quiz's.")
    course_id: str | None = Field(None, min_length=1, max_length=128,
                                  description="Needed only when there is no lesson_id.")
    passing_score: float = Field(70, ge=0, le=100)
    shuffle_questions: bool = False
    show_correct_answers: ShowAnswers = "after_submission"
    questions: list[Question] = Field(min_length=1, max_length=500)

    @model_validator(mode="after")
    def _placed(self) -> QuizCreate:
        if self.lesson_id is None and self.course_id is None:
            raise ValueError("a quiz needs a lesson_id or a course_id")
        return self


QuizCreateBody = envelope("quiz", QuizCreate, name="QuizCreateBody")
QuizUpdateBody = envelope("quiz", QuizFields, name="QuizUpdateBody")


class QuizListQuery(PageQuery):
    lesson_id: str | None = None
    course_id: str | None = None


class Answer(ApiModel):
    question_index: int = Field(ge=0, le=10_000)
    answer: Any = Field(description="Shape by question type; see the quiz documentation.")


class AttemptStart(ApiModel):
    user_id: str = UserRef


class AttemptSubmit(ApiModel):
    user_id: str = UserRef
    answers: list[Answer] = Field(max_length=1000)
    time_taken_seconds: int | None = Field(None, ge=0, le=10_000_000,
                                           description="Ignored for timed quizzes: the server's clock counts.")
    attempt_id: str | None = Field(None, min_length=1, max_length=128,
                                   description="The attempt started with /attempts/start; needed for timed quizzes.")


class AnswersSave(ApiModel):
    user_id: str = UserRef
    answers: list[Answer] = Field(max_length=1000)


class AttemptListQuery(PageQuery):
    user_id: str | None = None


class EssayGrade(ApiModel):
    question_index: int = Field(ge=0, le=10_000)
    points_earned: float = Field(ge=0, le=1000)
    feedback: str | None = Field(None, max_length=10_000)


class QuizAttributes(Attributes):
    title: str
    description: str | None
    course_id: str
    lesson_id: str | None
    time_limit_minutes: int | None
    passing_score: float
    max_attempts: int | None
    shuffle_questions: bool
    show_correct_answers: ShowAnswers
    due_date: Timestamp | None
    question_count: int
    total_points: int
    questions: list[dict[str, Any]] = Field(description="Full definitions for secret keys; for learners, "
                                                        "questions without answers, explanations or rubrics.")
    created_at: Timestamp
    updated_at: Timestamp


class QuestionResult(Attributes):
    question_index: int
    points_earned: float
    points_possible: int
    correct: bool | None = None
    pending_review: bool | None = None
    answered: bool | None = None
    feedback: str | None = None
    solution: dict[str, Any] | None = None
    explanation: str | None = None


class AttemptAttributes(Attributes):
    quiz_id: str
    user_id: str
    attempt_number: int
    status: Literal["in_progress", "pending_review", "graded"]
    score: float | None = Field(description="Percent of the quiz's points, two decimals.")
    points_earned: float | None
    total_points: int
    passed: bool | None = Field(description="Null until every essay is graded, unless the objective "
                                            "questions alone already pass.")
    late: bool
    time_taken_seconds: int | None
    started_at: Timestamp
    deadline_at: Timestamp | None
    submitted_at: Timestamp | None
    graded_at: Timestamp | None
    results: list[QuestionResult] | None
    questions: list[dict[str, Any]] | None = Field(None, description="An attempt in progress: its questions, "
                                                                      "in the order shown.")
    answers: list[dict[str, Any]] | None = Field(None, description="Saved answers of an attempt in progress.")


QUIZ = ResourceType("quiz", QuizAttributes, relationships={"course": "course", "lesson": "lesson"})
ATTEMPT = ResourceType("quiz_attempt", AttemptAttributes, relationships={"quiz": "quiz", "user": "user"})
