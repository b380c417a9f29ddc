"""Report endpoints: a course's learner records as a downloadable CSV or JSON file, streamed."""

from __future__ import annotations

from pydantic import ValidationError

from university_local.core.errors import ApiError
from university_local.core.routing import Reply, Request, Router, raw
from university_local.reports import service
from university_local.reports.models import ReportQuery
from university_local.reports.resources import ReportDocument

router = Router("reports", rate="analytics")


@router.get("/reports/courses/<course_id>",
            summary="Export a course's per-learner report (progress, scores, time spent) as CSV or JSON",
            query=ReportQuery, returns=raw(service.MEDIA_TYPES["csv"], json=ReportDocument), access="secret")
def export_course_report(req: Request, course_id: str) -> Reply:
    query = _with_repeated_include(req, req.query)
    report = service.course_report(req.db, course_id, fmt=query.format, include=query.groups)
    # An iterator: the server sends each chunk as it comes (no Content-Length).
    return Reply(report.chunks, media_type=report.media_type, headers={
        "Content-Disposition": f'attachment; filename="{report.filename}"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    })


def _with_repeated_include(req: Request, query: ReportQuery) -> ReportQuery:
    """`include=progress&include=scores` (how many HTTP clients send a list) means both groups;
    the query model alone would see only the last."""
    given = req.query_values("include")
    if len(given) < 2:
        return query
    try:
        return ReportQuery(format=query.format, include=",".join(given))
    except ValidationError as exc:
        raise ApiError(400, "invalid_parameter", f"include: {exc.errors(include_url=False)[0]['msg']}",
                       parameter="include") from None
