"""Quizzes and attempts as University API resources, shaped for their reader: learners never see
what gives an answer away (see quizzes/questions.py and AttemptView)."""

from __future__ import annotations

import random
from dataclasses import asdict
from typing import Any, Literal

from pydantic import Field

from university_local.core.db import Row, loads
from university_local.core.jsonapi import resource, to_one
from university_local.core.models import Attributes, Timestamp
from university_local.core.routing import ResourceType
from university_local.quizzes.models import ShowAnswers
from university_local.quizzes.questions import Essay, learner_question
from university_local.quizzes.service import AttemptView, Standing, questions_of


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
    answer: Any = Field(None, description="Secret keys: what the learner answered (as submitted; null when "
                                          "unanswered), so a grader can read an essay.")


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


def quiz_resource(quiz: Row, *, learner: bool) -> dict[str, Any]:
    if learner:
        rng = random.Random(quiz["id"])
        questions = [learner_question(i, q, rng) for i, q in enumerate(questions_of(quiz))]
    else:
        questions = loads(quiz["questions"])
    return resource("quiz", quiz["id"], {
        "title": quiz["title"], "description": quiz["description"], "course_id": quiz["course_id"],
        "lesson_id": quiz["lesson_id"], "time_limit_minutes": quiz["time_limit_minutes"],
        "passing_score": quiz["passing_score"], "max_attempts": quiz["max_attempts"],
        "shuffle_questions": bool(quiz["shuffle_questions"]), "show_correct_answers": quiz["show_correct_answers"],
        "due_date": quiz["due_date"], "question_count": len(questions), "total_points": quiz["total_points"],
        "questions": questions, "created_at": quiz["created_at"], "updated_at": quiz["updated_at"],
    }, {"course": to_one("course", quiz["course_id"]), "lesson": to_one("lesson", quiz["lesson_id"])})


def attempt_resource(view: AttemptView) -> dict[str, Any]:
    attempt, quiz, learner = view.attempt, view.quiz, view.learner
    questions = questions_of(quiz)
    attrs: dict[str, Any] = {
        "quiz_id": attempt["quiz_id"], "user_id": attempt["user_id"], "attempt_number": attempt["attempt_number"],
        "status": attempt["status"], "score": _number(attempt["score"]),
        "points_earned": _number(attempt["points_earned"]),
        "total_points": quiz["total_points"], "passed": None if attempt["passed"] is None else bool(attempt["passed"]),
        "late": bool(attempt["late"]), "time_taken_seconds": attempt["time_taken_seconds"],
        "started_at": attempt["started_at"], "deadline_at": attempt["deadline_at"],
        "submitted_at": attempt["submitted_at"], "graded_at": attempt["graded_at"], "results": None,
    }
    if attempt["status"] == "in_progress":
        rng = random.Random(attempt["id"])
        attrs["questions"] = [learner_question(i, questions[i], rng) for i in loads(attempt["question_order"])]
        attrs["answers"] = loads(attempt["answers"])
    else:
        given = {} if learner else {a["question_index"]: a["answer"] for a in loads(attempt["answers"])}
        attrs["results"] = [_result(r, questions[r["question_index"]], learner=learner, reveal=view.reveal,
                                    hide_marks=not view.marks_shown)
                            | ({} if learner else {"answer": given.get(r["question_index"])})
                            for r in loads(attempt["results"])]
    return resource("quiz_attempt", attempt["id"], attrs,
                    {"quiz": to_one("quiz", attempt["quiz_id"]), "user": to_one("user", attempt["user_id"])})


def standing_meta(standing: Standing) -> dict[str, Any]:
    return asdict(standing)


def _number(value: float | None) -> float | int | None:
    """Whole numbers read back from REAL columns are shown without a fraction."""
    return int(value) if value is not None and float(value).is_integer() else value


def _result(result: dict[str, Any], question: Any, *, learner: bool, reveal: bool, hide_marks: bool) -> dict[str, Any]:
    out = {"question_index": result["question_index"], "points_possible": question.points,
           "answered": result.get("answered", True)}
    if hide_marks:
        return out
    out["points_earned"] = result["points_earned"]
    if isinstance(question, Essay):
        out["pending_review"] = bool(result.get("pending_review"))
        out["feedback"] = result.get("feedback")
    else:
        out["correct"] = result["correct"]
    if not learner or reveal:
        out["solution"] = question.solution() or None
        out["explanation"] = question.explanation
    return out
