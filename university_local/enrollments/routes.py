"""Enrollment endpoints."""

from __future__ import annotations

from typing import Any

from university_local.core.jsonapi import document
from university_local.core.routing import NOTHING, Request, Router, many, one, plain
from university_local.enrollments import service
from university_local.enrollments.models import BulkEnroll, EnrollmentCreateBody, EnrollmentListQuery
from university_local.enrollments.resources import ENROLLMENT, BulkDocument, bulk_document, enrollment_resource

router = Router("enrollments", rate="enrollments")


@router.get("/enrollments", summary="List enrollments (publishable keys: one user's, with user_id)",
            query=EnrollmentListQuery, returns=many(ENROLLMENT))
def list_enrollments(req: Request) -> dict[str, Any]:
    q: EnrollmentListQuery = req.query
    rows, total = service.list_enrollments(req.db, q.window, course_id=q.course_id, user_id=req.learner(q.user_id),
                                           status=q.status)
    return document([enrollment_resource(r) for r in rows], meta=q.window.meta(total))


@router.post("/enrollments", summary="Enroll a user (publishable keys: self-enrollment only)",
             body=EnrollmentCreateBody, returns=one(ENROLLMENT), status=201, access="learner")
def enroll(req: Request) -> dict[str, Any]:
    attrs = req.body.data.attributes
    row = service.enroll(req.db, attrs.user_id, attrs.course_id, attrs.expires_at,
                         override_prerequisites=attrs.override_prerequisites)
    return document(enrollment_resource(row))


@router.post("/enrollments/bulk", summary="Enroll many users at once", body=BulkEnroll, returns=plain(BulkDocument))
def bulk_enroll(req: Request) -> dict[str, Any]:
    b: BulkEnroll = req.body
    return bulk_document(service.bulk_enroll(req.db, b.course_id, b.user_ids, b.expires_at,
                                             override_prerequisites=b.override_prerequisites))


@router.get("/enrollments/<enrollment_id>", summary="Get an enrollment", returns=one(ENROLLMENT))
def get_enrollment(req: Request, enrollment_id: str) -> dict[str, Any]:
    return document(enrollment_resource(service.get_enrollment(req.db, enrollment_id)))


@router.delete("/enrollments/<enrollment_id>", summary="Cancel an enrollment (progress is kept)", returns=NOTHING)
def cancel_enrollment(req: Request, enrollment_id: str) -> None:
    service.cancel(req.db, enrollment_id)
