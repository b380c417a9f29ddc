"""Lesson endpoints."""

from __future__ import annotations

from typing import Any

from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, Request, Router, many, one
from university_local.lessons import service
from university_local.lessons.models import LessonCreateBody, LessonReorder, LessonUpdateBody
from university_local.lessons.resources import LESSON, lesson_resource

router = Router("lessons", rate="catalogue")


@router.get("/modules/<module_id>/lessons", summary="List a module's lessons", returns=many(LESSON))
def list_lessons(req: Request, module_id: str) -> dict[str, Any]:
    rows = service.list_lessons(req.db, module_id)
    return document([lesson_resource(r) for r in rows], meta={"total": len(rows)})


@router.post("/modules/<module_id>/lessons", summary="Create a lesson", body=LessonCreateBody,
             returns=one(LESSON), status=201)
def create_lesson(req: Request, module_id: str) -> dict[str, Any]:
    return document(lesson_resource(service.create_lesson(req.db, module_id, req.body.data.attributes)))


@router.post("/modules/<module_id>/lessons/reorder", summary="Reorder a module's lessons",
             body=LessonReorder, returns=many(LESSON))
def reorder_lessons(req: Request, module_id: str) -> dict[str, Any]:
    rows = service.reorder_lessons(req.db, module_id, req.body.lesson_ids)
    return document([lesson_resource(r) for r in rows], meta={"total": len(rows)})


@router.get("/lessons/<lesson_id>", summary="Get a lesson", returns=one(LESSON))
def get_lesson(req: Request, lesson_id: str) -> dict[str, Any]:
    return document(lesson_resource(service.get_lesson(req.db, lesson_id)))


@router.patch("/lessons/<lesson_id>", summary="Update or move a lesson", body=LessonUpdateBody, returns=one(LESSON))
def update_lesson(req: Request, lesson_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, lesson_id)
    row = service.update_lesson(req.db, lesson_id, patch_fields(req.body.data.attributes))
    return document(lesson_resource(row))


@router.delete("/lessons/<lesson_id>", summary="Delete a lesson", returns=NOTHING)
def delete_lesson(req: Request, lesson_id: str) -> None:
    service.delete_lesson(req.db, lesson_id)
