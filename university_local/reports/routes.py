"""Report endpoints: a course's learner records as a downloadable CSV or JSON file, streamed."""

from __future__ import annotations

from typing import Any

import bottle
from pydantic import ValidationError

from university_local.core.errors import ApiError
from university_local.core.routing import Request, Router, raw
from university_local.reports import service
from university_local.reports.models import ReportDocument, ReportQuery

router = Router("reports", rate="analytics")


@router.get("/reports/courses/<course_id>",
            summary="Export a course's per-learner report (progress, scores, time spent) as CSV or JSON",
            query=ReportQuery, returns=raw(service.MEDIA_TYPES["csv"], json=ReportDocument), access="secret")
def export_course_report(req: Request, course_id: str) -> Any:
    query = _with_repeated_include(req.query)
    report = service.course_report(req.store, req.tenant, course_id, fmt=query.format, include=query.groups)
    response = bottle.response
    response.content_type = report.media_type
    response.set_header("Content-Disposition", f'attachment; filename="{report.filename}"')
    response.set_header("Cache-Control", "private, no-store")
    response.set_header("X-Content-Type-Options", "nosniff")
    return report.chunks  # an iterator: the server sends each chunk as it comes (no Content-Length)


def _with_repeated_include(query: ReportQuery) -> ReportQuery:
    """`include=progress&include=scores` (how many HTTP clients send a list) means both groups;
    the query model alone would see only the last."""
    given = bottle.request.query.getall("include")
    if len(given) < 2:
        return query
    try:
        return ReportQuery(format=query.format, include=",".join(given))
    except ValidationError as exc:
        raise ApiError(400, "invalid_parameter", f"include: {exc.errors(include_url=False)[0]['msg']}",
                       parameter="include") from None
