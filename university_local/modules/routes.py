"""Module endpoints."""

from __future__ import annotations

from typing import Any

from university_local.core.jsonapi import check_body_id, document
from university_local.core.models import patch_fields
from university_local.core.routing import NOTHING, Request, Router, many, one
from university_local.modules import service
from university_local.modules.models import ModuleCreateBody, ModuleReorder, ModuleUpdateBody
from university_local.modules.resources import MODULE, module_resource

router = Router("modules", rate="catalogue")


@router.get("/courses/<course_id>/modules", summary="List a course's modules", returns=many(MODULE))
def list_modules(req: Request, course_id: str) -> dict[str, Any]:
    rows = service.list_modules(req.db, course_id)
    return document([module_resource(r) for r in rows], meta={"total": len(rows)})


@router.post("/courses/<course_id>/modules", summary="Create a module", body=ModuleCreateBody,
             returns=one(MODULE), status=201)
def create_module(req: Request, course_id: str) -> dict[str, Any]:
    return document(module_resource(service.create_module(req.db, course_id, req.body.data.attributes)))


@router.post("/courses/<course_id>/modules/reorder", summary="Reorder a course's modules",
             body=ModuleReorder, returns=many(MODULE))
def reorder_modules(req: Request, course_id: str) -> dict[str, Any]:
    rows = service.reorder_modules(req.db, course_id, req.body.module_ids)
    return document([module_resource(r) for r in rows], meta={"total": len(rows)})


@router.get("/modules/<module_id>", summary="Get a module", returns=one(MODULE))
def get_module(req: Request, module_id: str) -> dict[str, Any]:
    return document(module_resource(service.get_module(req.db, module_id)))


@router.patch("/modules/<module_id>", summary="Update a module", body=ModuleUpdateBody, returns=one(MODULE))
def update_module(req: Request, module_id: str) -> dict[str, Any]:
    check_body_id(req.body.data.id, module_id)
    row = service.update_module(req.db, module_id, patch_fields(req.body.data.attributes))
    return document(module_resource(row))


@router.delete("/modules/<module_id>", summary="Delete a module and its lessons", returns=NOTHING)
def delete_module(req: Request, module_id: str) -> None:
    service.delete_module(req.db, module_id)
