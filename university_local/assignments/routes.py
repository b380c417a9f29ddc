"""Assignment and submission endpoints.

Secret keys (instructors) manage assignments, read every submission and grade. Publishable keys
(learners) read the assignments of published courses, submit as a named learner, and read and
download only the submissions of the learner they name with `user_id=`; anyone else's answer 404.
A submission sent again with the same `Idempotency-Key` header (a retry after a dropped connection)
answers with the first one (`Idempotent-Replayed: true`) instead of making a second attempt.
"""

from __future__ import annotations

import os
from typing import Any

from university_local.assignments import service
from university_local.assignments.models import (
    AssignmentCreateBody,
    AssignmentListQuery,
    AssignmentUpdateBody,
    GradeBody,
    SubmissionForm,
    SubmissionListQuery,
)
from university_local.assignments.resources import (
    ASSIGNMENT,
    SUBMISSION,
    assignment_resource,
    submission_resource,
)
from university_local.core.files import content_disposition
from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, LearnerQuery, Reply, Request, Router, many, one, raw
from university_local.quizzes.service import finish_idempotency_key

router = Router("assignments", rate="catalogue")


@router.get("/assignments", summary="List assignments (filter by lesson_id or course_id)",
            query=AssignmentListQuery, returns=many(ASSIGNMENT))
def list_assignments(req: Request) -> dict[str, Any]:
    q: AssignmentListQuery = req.query
    rows, total = service.list_assignments(req.db, q.window, lesson_id=q.lesson_id, course_id=q.course_id)
    return document([assignment_resource(r) for r in rows], meta=q.window.meta(total))


@router.post("/assignments", summary="Create an assignment on a lesson", body=AssignmentCreateBody,
             returns=one(ASSIGNMENT), status=201)
def create_assignment(req: Request) -> dict[str, Any]:
    return document(assignment_resource(service.create_assignment(req.db, req.body.data.attributes)))


@router.get("/assignments/<assignment_id>", summary="Get an assignment", returns=one(ASSIGNMENT))
def get_assignment(req: Request, assignment_id: str) -> dict[str, Any]:
    return document(assignment_resource(service.get_assignment(req.db, assignment_id)))


@router.patch("/assignments/<assignment_id>", summary="Update an assignment", body=AssignmentUpdateBody,
              returns=one(ASSIGNMENT))
def update_assignment(req: Request, assignment_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, assignment_id)
    row = service.update_assignment(req.db, assignment_id, patch_fields(req.body.data.attributes))
    return document(assignment_resource(row))


@router.delete("/assignments/<assignment_id>", summary="Delete an assignment (submissions are kept)",
               returns=NOTHING)
def delete_assignment(req: Request, assignment_id: str) -> None:
    service.delete_assignment(req.db, assignment_id)


@router.post("/assignments/<assignment_id>/submissions",
             summary="Submit work (multipart/form-data: user_id, file and/or text as the assignment's "
                     "submission_types allow, notes); each submission is a new attempt (Idempotency-Key honoured)",
             raw_body="multipart/form-data", raw_schema=SubmissionForm, returns=one(SUBMISSION), status=201,
             access="learner", rate="quizzes")
def submit(req: Request, assignment_id: str) -> dict[str, Any] | Reply:
    row, replayed = service.submit(req.db, assignment_id, req.environ, data_dir=req.config.data_dir,
                                   drain_limit=req.config.max_body_bytes,
                                   idempotency_key=finish_idempotency_key(req.header("Idempotency-Key")))
    doc = document(submission_resource(row))
    return Reply(doc, headers={"Idempotent-Replayed": "true"}) if replayed else doc


def _learner(req: Request, user_id: str | None) -> str | None:
    """The learner a publishable key must name; None for a secret key (it may read all)."""
    return None if req.scope.is_staff else req.learner(user_id)


@router.get("/assignments/<assignment_id>/submissions",
            summary="List submissions, every attempt (current=true: each learner's latest)",
            query=SubmissionListQuery, returns=many(SUBMISSION))
def list_submissions(req: Request, assignment_id: str) -> dict[str, Any]:
    q: SubmissionListQuery = req.query
    user_id = _learner(req, q.user_id) or q.user_id
    rows, total = service.list_submissions(req.db, assignment_id, q.window, user_id=user_id, current=q.current,
                                           status=q.status)
    return document([submission_resource(r) for r in rows], meta=q.window.meta(total))


@router.get("/submissions/<submission_id>", summary="Get a submission", query=LearnerQuery, returns=one(SUBMISSION))
def get_submission(req: Request, submission_id: str) -> dict[str, Any]:
    row = service.get_submission(req.db, submission_id, user_id=_learner(req, req.query.user_id))
    return document(submission_resource(row))


@router.get("/submissions/<submission_id>/file",
            summary="Download a submission's file (the bytes as submitted, as an attachment, typed by extension)",
            query=LearnerQuery, returns=raw("*/*"))
def download_submission_file(req: Request, submission_id: str) -> Reply:
    row, handle = service.submission_file(req.db, req.config.data_dir, submission_id,
                                          user_id=_learner(req, req.query.user_id))
    return Reply(handle, media_type=row["content_type"], headers={  # streamed by the server, never read whole
        "Content-Length": str(os.fstat(handle.fileno()).st_size),
        "Content-Disposition": content_disposition(row["filename"]),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, no-cache",
        "ETag": f'"{row["file_sha256"]}"',
    })


@router.patch("/submissions/<submission_id>/grade",
              summary="Grade a submission against the rubric (again to regrade; the latest grade counts)",
              body=GradeBody, returns=one(SUBMISSION))
def grade_submission(req: Request, submission_id: str) -> dict[str, Any]:
    return document(submission_resource(service.grade(req.db, submission_id, req.body)))
