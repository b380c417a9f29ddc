"""Learning path endpoints: the catalogue of paths, and a learner's progress along one."""

from __future__ import annotations

from typing import Any

from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, Request, Router, many, one, plain
from university_local.learning_paths import service
from university_local.learning_paths.models import (
    LEARNING_PATH,
    LearningPathCreateBody,
    LearningPathListQuery,
    LearningPathUpdateBody,
    PathProgressDocument,
)

router = Router("learning_paths", rate="catalogue")


@router.get("/learning-paths", summary="List learning paths (publishable keys: published ones)",
            query=LearningPathListQuery, returns=many(LEARNING_PATH))
def list_learning_paths(req: Request) -> dict[str, Any]:
    q: LearningPathListQuery = req.query
    rows, total = service.list_paths(req.store, req.tenant, q.window, published_only=req.published_only,
                                     status=q.status, course_id=q.course_id)
    return document(service.path_resources(req.store, req.tenant, rows), meta=q.window.meta(total))


@router.post("/learning-paths", summary="Create a learning path", body=LearningPathCreateBody,
             returns=one(LEARNING_PATH), status=201)
def create_learning_path(req: Request) -> dict[str, Any]:
    row = service.create_path(req.store, req.tenant, req.body.data.attributes)
    return document(service.path_resource(req.store, req.tenant, row))


@router.get("/learning-paths/<path_id>", summary="Get a learning path", returns=one(LEARNING_PATH))
def get_learning_path(req: Request, path_id: str) -> dict[str, Any]:
    row = service.get_path(req.store, req.tenant, path_id, published_only=req.published_only)
    return document(service.path_resource(req.store, req.tenant, row))


@router.patch("/learning-paths/<path_id>", summary="Update a learning path (courses, when sent, replace the list)",
              body=LearningPathUpdateBody, returns=one(LEARNING_PATH))
def update_learning_path(req: Request, path_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, path_id)
    row = service.update_path(req.store, req.tenant, path_id, patch_fields(req.body.data.attributes))
    return document(service.path_resource(req.store, req.tenant, row))


@router.delete("/learning-paths/<path_id>", summary="Delete a learning path (soft delete)", returns=NOTHING)
def delete_learning_path(req: Request, path_id: str) -> None:
    service.delete_path(req.store, req.tenant, path_id)


@router.get("/learning-paths/<path_id>/users/<user_id>/progress", summary="A learner's progress along a path",
            returns=plain(PathProgressDocument), rate="progress")
def get_path_progress(req: Request, path_id: str, user_id: str) -> dict[str, Any]:
    return {"data": service.path_progress(req.store, req.tenant, path_id, user_id,
                                          published_only=req.published_only)}
