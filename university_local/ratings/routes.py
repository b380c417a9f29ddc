"""Course rating endpoints: parse, call the service, shape.

Learners (publishable keys) rate the published courses they are enrolled in and read ratings;
deleting a rating is moderation and needs a secret key. Rate class: the spec's "enrollment
operations", like the other learner actions of moderate frequency.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from university_local.core.jsonapi import document
from university_local.core.routing import NOTHING, Reply, Request, Router, many, one
from university_local.ratings import service
from university_local.ratings.models import RatingCreateBody, RatingListQuery
from university_local.ratings.resources import RATING, rating_resource

router = Router("ratings", rate="enrollments")


@router.post("/courses/<course_id>/ratings",
             summary="Rate a course, or change one's rating (201 the first time, 200 for a change; "
                     "publishable keys: an enrolled learner)",
             body=RatingCreateBody, returns=one(RATING), status=201, access="learner")
def rate_course(req: Request, course_id: str) -> dict[str, Any] | Reply:
    row, created = service.rate(req.db, course_id, req.body.data.attributes)
    doc = document(rating_resource(row))
    return doc if created else Reply(doc, 200)


@router.get("/courses/<course_id>/ratings",
            summary="List a course's ratings, most recently changed first; meta.summary has the average, "
                    "count and distribution of all of them",
            query=RatingListQuery, returns=many(RATING))
def list_ratings(req: Request, course_id: str) -> dict[str, Any]:
    q: RatingListQuery = req.query
    rows, total = service.list_ratings(req.db, course_id, q.window, rating=q.rating)
    summary = asdict(service.rating_summary(req.db, course_id))
    return document([rating_resource(r) for r in rows], meta={**q.window.meta(total), "summary": summary})


@router.get("/courses/<course_id>/ratings/<user_id>", summary="Get a learner's rating of a course",
            returns=one(RATING))
def get_rating(req: Request, course_id: str, user_id: str) -> dict[str, Any]:
    return document(rating_resource(service.get_rating(req.db, course_id, user_id)))


@router.delete("/courses/<course_id>/ratings/<user_id>", summary="Delete a learner's rating (moderation)",
               returns=NOTHING)
def delete_rating(req: Request, course_id: str, user_id: str) -> None:
    service.delete_rating(req.db, course_id, user_id)
