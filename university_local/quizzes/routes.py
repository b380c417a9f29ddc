"""Quiz and attempt endpoints. Learners (publishable keys) name themselves with `user_id` and see
quizzes without answers; secret keys manage quizzes and grade essays."""

from __future__ import annotations

from typing import Any

from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, LearnerQuery, Reply, Request, Router, many, one
from university_local.quizzes import service
from university_local.quizzes.models import (
    AnswersSave,
    AttemptListQuery,
    AttemptStart,
    AttemptSubmit,
    EssayGrade,
    QuizCreateBody,
    QuizListQuery,
    QuizUpdateBody,
)
from university_local.quizzes.resources import ATTEMPT, QUIZ, attempt_resource, quiz_resource, standing_meta

router = Router("quizzes", rate="quizzes")


@router.post("/quizzes", summary="Create a quiz", body=QuizCreateBody, returns=one(QUIZ), status=201)
def create_quiz(req: Request) -> dict[str, Any]:
    return document(quiz_resource(service.create_quiz(req.db, req.body.data.attributes), learner=False))


@router.get("/quizzes", summary="List quizzes, by lesson or course", query=QuizListQuery, returns=many(QUIZ))
def list_quizzes(req: Request) -> dict[str, Any]:
    q: QuizListQuery = req.query
    rows, total = service.list_quizzes(req.db, q.window, lesson_id=q.lesson_id, course_id=q.course_id)
    return document([quiz_resource(r, learner=req.db.published_only) for r in rows], meta=q.window.meta(total))


@router.get("/quizzes/<quiz_id>", summary="Get a quiz (learners: without answers)", returns=one(QUIZ))
def get_quiz(req: Request, quiz_id: str) -> dict[str, Any]:
    return document(quiz_resource(service.get_quiz(req.db, quiz_id), learner=req.db.published_only))


@router.patch("/quizzes/<quiz_id>", summary="Update a quiz (questions only before any attempt)",
              body=QuizUpdateBody, returns=one(QUIZ))
def update_quiz(req: Request, quiz_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, quiz_id)
    quiz = service.update_quiz(req.db, quiz_id, patch_fields(req.body.data.attributes))
    return document(quiz_resource(quiz, learner=False))


@router.delete("/quizzes/<quiz_id>", summary="Delete a quiz (attempts are kept)", returns=NOTHING)
def delete_quiz(req: Request, quiz_id: str) -> None:
    service.delete_quiz(req.db, quiz_id)


@router.post("/quizzes/<quiz_id>/attempts/start", summary="Start an attempt on the server's clock",
             body=AttemptStart, returns=one(ATTEMPT), status=201, access="learner")
def start_attempt(req: Request, quiz_id: str) -> dict[str, Any]:
    return _attempt_document(req, service.start_attempt(req.db, quiz_id, req.body.user_id))


@router.patch("/attempts/<attempt_id>/answers", summary="Save the answers so far of an attempt in progress",
              body=AnswersSave, returns=one(ATTEMPT), access="learner")
def save_answers(req: Request, attempt_id: str) -> dict[str, Any]:
    b: AnswersSave = req.body
    return _attempt_document(req, service.save_answers(req.db, attempt_id, b.user_id, b.answers))


@router.post("/quizzes/<quiz_id>/attempts", summary="Submit an attempt and grade it (Idempotency-Key honoured)",
             body=AttemptSubmit, returns=one(ATTEMPT), status=201, access="learner")
def submit_attempt(req: Request, quiz_id: str) -> dict[str, Any] | Reply:
    b: AttemptSubmit = req.body
    key = service.finish_idempotency_key(req.header("Idempotency-Key"))
    attempt, replayed = service.submit(req.db, quiz_id, b.user_id, b.answers, time_taken_seconds=b.time_taken_seconds,
                                       attempt_id=b.attempt_id, idempotency_key=key)
    doc = _attempt_document(req, attempt)
    return Reply(doc, headers={"Idempotent-Replayed": "true"}) if replayed else doc


@router.get("/quizzes/<quiz_id>/attempts", summary="List attempts (learners: their own, with user_id)",
            query=AttemptListQuery, returns=many(ATTEMPT))
def list_attempts(req: Request, quiz_id: str) -> dict[str, Any]:
    q: AttemptListQuery = req.query
    views, total, standing = service.list_attempts(req.db, quiz_id, q.window, user_id=req.learner(q.user_id))
    meta = q.window.meta(total)
    if standing is not None:
        meta["standing"] = standing_meta(standing)
    return document([attempt_resource(view) for view in views], meta=meta)


@router.get("/attempts/<attempt_id>", summary="Get an attempt (learners: their own, with user_id)",
            query=LearnerQuery, returns=one(ATTEMPT))
def get_attempt(req: Request, attempt_id: str) -> dict[str, Any]:
    q: LearnerQuery = req.query
    return _attempt_document(req, service.get_attempt(req.db, attempt_id, req.learner(q.user_id)))


@router.patch("/attempts/<attempt_id>/grade", summary="Grade an essay question of an attempt",
              body=EssayGrade, returns=one(ATTEMPT))
def grade_essay(req: Request, attempt_id: str) -> dict[str, Any]:
    b: EssayGrade = req.body
    return _attempt_document(req, service.grade_essay(req.db, attempt_id, b.question_index, b.points_earned,
                                                      b.feedback))


def _attempt_document(req: Request, attempt: Any) -> dict[str, Any]:
    return document(attempt_resource(service.view(req.db, attempt)))
