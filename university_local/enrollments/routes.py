"""Enrollment endpoints."""

from __future__ import annotations

from typing import Any

from university_local.core.errors import ApiError
from university_local.core.jsonapi import document
from university_local.core.routing import NOTHING, Request, Router, many, one, plain
from university_local.enrollments import service
from university_local.enrollments.models import (
    ENROLLMENT,
    BulkDocument,
    BulkEnroll,
    EnrollmentCreateBody,
    EnrollmentListQuery,
)

router = Router("enrollments", rate="enrollments")


@router.get("/enrollments", summary="List enrollments (publishable keys: one user's, with user_id)",
            query=EnrollmentListQuery, returns=many(ENROLLMENT))
def list_enrollments(req: Request) -> dict[str, Any]:
    q: EnrollmentListQuery = req.query
    rows, total = service.list_enrollments(req.store, req.tenant, q.window, course_id=q.course_id,
                                           user_id=req.learner(q.user_id), status=q.status)
    return document([service.enrollment_resource(r) for r in rows], meta=q.window.meta(total))


@router.post("/enrollments", summary="Enroll a user (publishable keys: self-enrollment only)",
             body=EnrollmentCreateBody, returns=one(ENROLLMENT), status=201, access="learner")
def enroll(req: Request) -> dict[str, Any]:
    attrs = req.body.data.attributes
    if attrs.override_prerequisites and req.published_only:
        raise ApiError(403, "forbidden", "Only a secret key may override prerequisites.",
                       pointer="/data/attributes/override_prerequisites")
    row = service.enroll(req.store, req.tenant, attrs.user_id, attrs.course_id, attrs.expires_at,
                         self_enrollment=req.published_only, override_prerequisites=attrs.override_prerequisites)
    return document(service.enrollment_resource(row))


@router.post("/enrollments/bulk", summary="Enroll many users at once", body=BulkEnroll, returns=plain(BulkDocument))
def bulk_enroll(req: Request) -> dict[str, Any]:
    b: BulkEnroll = req.body
    return {"data": service.bulk_enroll(req.store, req.tenant, b.course_id, b.user_ids, b.expires_at,
                                        override_prerequisites=b.override_prerequisites)}


@router.get("/enrollments/<enrollment_id>", summary="Get an enrollment", returns=one(ENROLLMENT))
def get_enrollment(req: Request, enrollment_id: str) -> dict[str, Any]:
    return document(service.enrollment_resource(service.get_enrollment(req.store, req.tenant, enrollment_id)))


@router.delete("/enrollments/<enrollment_id>", summary="Cancel an enrollment (progress is kept)", returns=NOTHING)
def cancel_enrollment(req: Request, enrollment_id: str) -> None:
    service.cancel(req.store, req.tenant, enrollment_id)
