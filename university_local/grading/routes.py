"""Grading endpoints (secret keys): the queue of work waiting for a grade, and the instructor's overview."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from university_local.core.jsonapi import document
from university_local.core.routing import Request, Router, many, plain
from university_local.grading import service
from university_local.grading.models import GradingQueueQuery, OverviewQuery
from university_local.grading.resources import GRADING_ITEM, OverviewDocument, grading_item_resource

router = Router("grading", rate="catalogue")


@router.get("/grading-queue", summary="Essay answers and assignment submissions waiting for a grade, oldest first "
                                      "(meta.counts by kind)", query=GradingQueueQuery, returns=many(GRADING_ITEM),
            access="secret")
def list_grading_queue(req: Request) -> dict[str, Any]:
    q: GradingQueueQuery = req.query
    rows, counts = service.grading_queue(req.db, q.window, course_id=q.course_id, kind=q.kind, user_id=q.user_id)
    total = counts[q.kind] if q.kind else sum(counts.values())
    return document([grading_item_resource(r) for r in rows], meta={**q.window.meta(total), "counts": counts})


@router.get("/analytics/overview", summary="An instructor's dashboard: today's activity, work waiting for a grade, "
                                           "learners who are stuck", query=OverviewQuery,
            returns=plain(OverviewDocument), access="secret", rate="analytics")
def get_overview(req: Request) -> dict[str, Any]:
    q: OverviewQuery = req.query
    return {"data": asdict(service.overview(req.db, stuck_days=q.stuck_days, limit=q.limit))}
