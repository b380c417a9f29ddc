"""Quiz and attempt request models."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from university_local.core.models import ApiModel, Description, Title, UtcDateTime, envelope, unchanged
from university_local.core.pagination import PageQuery
from university_local.quizzes.questions import Question

# When a learner may see correct answers and explanations (secret keys always may):
#   never            - not even which questions were right; only the score and passed
#   after_submission - in the results of every submitted attempt
#   after_passing    - once the learner has passed the quiz, in all their attempts
#   after_due        - once the quiz's due_date has passed
ShowAnswers = Literal["never", "after_submission", "after_passing", "after_due"]
UserRef = Field(min_length=1, max_length=128)
Ref = Field(min_length=1, max_length=128)


TIME_LIMIT = "Null: no limit."
PASSING_SCORE = "Percent of points needed to pass."
MAX_ATTEMPTS = "Null: unlimited."


class QuizCreate(ApiModel):
    title: Title
    description: Description | None = None
    time_limit_minutes: int | None = Field(None, ge=1, le=24 * 60, description=TIME_LIMIT)
    passing_score: float = Field(70, ge=0, le=100, description=PASSING_SCORE)
    max_attempts: int | None = Field(None, ge=1, le=1000, description=MAX_ATTEMPTS)
    shuffle_questions: bool = False
    show_correct_answers: ShowAnswers = "after_submission"
    due_date: UtcDateTime | None = None
    questions: list[Question] = Field(min_length=1, max_length=500)
    lesson_id: str | None = Field(None, min_length=1, max_length=128,
                                  description="The lesson the quiz belongs to; its course is the quiz's.")
    course_id: str | None = Field(None, min_length=1, max_length=128,
                                  description="Needed only when there is no lesson_id.")

    @model_validator(mode="after")
    def _placed(self) -> QuizCreate:
        if self.lesson_id is None and self.course_id is None:
            raise ValueError("a quiz needs a lesson_id or a course_id")
        return self


class QuizUpdate(ApiModel):
    """PATCH: settings may change at any time; the questions only while nobody has attempted the quiz."""

    title: Title = unchanged()
    description: Description | None = unchanged()
    time_limit_minutes: int | None = unchanged(ge=1, le=24 * 60, description=TIME_LIMIT)
    passing_score: float = unchanged(ge=0, le=100, description=PASSING_SCORE)
    max_attempts: int | None = unchanged(ge=1, le=1000, description=MAX_ATTEMPTS)
    shuffle_questions: bool = unchanged()
    show_correct_answers: ShowAnswers = unchanged()
    due_date: UtcDateTime | None = unchanged()
    questions: list[Question] = unchanged(min_length=1, max_length=500)


QuizCreateBody = envelope("quiz", QuizCreate, name="QuizCreateBody")
QuizUpdateBody = envelope("quiz", QuizUpdate, name="QuizUpdateBody")


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
