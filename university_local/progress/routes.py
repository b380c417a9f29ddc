"""Progress endpoints: a learner's actions (publishable keys allowed) and the course view."""

from __future__ import annotations

from typing import Any

from university_local.core.routing import Request, Router, one
from university_local.progress import service
from university_local.progress.models import ProgressReport
from university_local.progress.resources import (
    LESSON_PROGRESS,
    PROGRESS,
    course_progress_resource,
    lesson_progress_resource,
)

router = Router("progress", rate="progress")


@router.post("/lessons/<lesson_id>/complete", summary="Mark a lesson completed (idempotent)",
             body=ProgressReport, returns=one(LESSON_PROGRESS), access="learner")
def complete_lesson(req: Request, lesson_id: str) -> dict[str, Any]:
    return _record(req, lesson_id, complete=True)


@router.patch("/lessons/<lesson_id>/progress", summary="Save position and time spent",
              body=ProgressReport, returns=one(LESSON_PROGRESS), access="learner")
def update_progress(req: Request, lesson_id: str) -> dict[str, Any]:
    return _record(req, lesson_id, complete=False)


def _record(req: Request, lesson_id: str, *, complete: bool) -> dict[str, Any]:
    b: ProgressReport = req.body
    return {"data": lesson_progress_resource(service.record(
        req.db, lesson_id, b.user_id, position=b.position, time_spent_seconds=b.time_spent_seconds, complete=complete))}


@router.get("/progress/<course_id>/users/<user_id>", summary="A learner's progress in a course",
            returns=one(PROGRESS))
def get_progress(req: Request, course_id: str, user_id: str) -> dict[str, Any]:
    return {"data": course_progress_resource(service.course_progress(req.db, course_id, user_id))}


@router.post("/progress/<course_id>/users/<user_id>/reset", summary="Reset a learner's progress in a course",
             returns=one(PROGRESS))
def reset_progress(req: Request, course_id: str, user_id: str) -> dict[str, Any]:
    return {"data": course_progress_resource(service.reset(req.db, course_id, user_id))}
