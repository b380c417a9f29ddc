"""Learning path endpoints: the catalogue of paths, and a learner's progress along one."""

from __future__ import annotations

from typing import Any

from university_local.core.db import Db, Row
from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, Request, Router, many, one, plain
from university_local.learning_paths import service
from university_local.learning_paths.models import (
    LearningPathCreateBody,
    LearningPathListQuery,
    LearningPathUpdateBody,
)
from university_local.learning_paths.resources import (
    LEARNING_PATH,
    PathProgressDocument,
    path_resource,
    progress_document,
)

router = Router("learning_paths", rate="catalogue")


def _shaped(db: Db, rows: list[Row]) -> list[dict[str, Any]]:
    """The paths' resources, their courses read in one query."""
    entries = service.path_entries(db, [row["id"] for row in rows])
    return [path_resource(row, entries[row["id"]]) for row in rows]


@router.get("/learning-paths", summary="List learning paths (publishable keys: published ones)",
            query=LearningPathListQuery, returns=many(LEARNING_PATH))
def list_learning_paths(req: Request) -> dict[str, Any]:
    q: LearningPathListQuery = req.query
    rows, total = service.list_paths(req.db, q.window, status=q.status, course_id=q.course_id)
    return document(_shaped(req.db, rows), meta=q.window.meta(total))


@router.post("/learning-paths", summary="Create a learning path", body=LearningPathCreateBody,
             returns=one(LEARNING_PATH), status=201)
def create_learning_path(req: Request) -> dict[str, Any]:
    return document(_shaped(req.db, [service.create_path(req.db, req.body.data.attributes)])[0])


@router.get("/learning-paths/<path_id>", summary="Get a learning path", returns=one(LEARNING_PATH))
def get_learning_path(req: Request, path_id: str) -> dict[str, Any]:
    return document(_shaped(req.db, [service.get_path(req.db, path_id)])[0])


@router.patch("/learning-paths/<path_id>", summary="Update a learning path (courses, when sent, replace the list)",
              body=LearningPathUpdateBody, returns=one(LEARNING_PATH))
def update_learning_path(req: Request, path_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, path_id)
    row = service.update_path(req.db, path_id, patch_fields(req.body.data.attributes))
    return document(_shaped(req.db, [row])[0])


@router.delete("/learning-paths/<path_id>", summary="Delete a learning path (soft delete)", returns=NOTHING)
def delete_learning_path(req: Request, path_id: str) -> None:
    service.delete_path(req.db, path_id)


@router.get("/learning-paths/<path_id>/users/<user_id>/progress", summary="A learner's progress along a path",
            returns=plain(PathProgressDocument), rate="progress")
def get_path_progress(req: Request, path_id: str, user_id: str) -> dict[str, Any]:
    return progress_document(service.path_progress(req.db, path_id, user_id))
