"""Assignments in the learner pages: the instructions, deadline and late rules, the upload form,
and the learner's submissions with their grades and feedback.

The upload is a plain multipart form (a phone offers its camera and its files) with the fields the
assignment's `submission_types` take: a file, a written answer ("Your answer"), or both; the same
form and the same service take each. Its CSRF token
and operation id travel in the form's URL, so they are checked before the file is read; the
operation id is the submission's idempotency key, so an upload sent again after a dropped
connection (the page's script retries with the same file) makes one submission.
"""

from __future__ import annotations

import secrets
from urllib.parse import quote, urlencode

from university_local.assignments.models import TEXT_MAX_CHARS
from university_local.assignments.service import get_assignment, list_submissions, submission_types, submit
from university_local.core.db import loads
from university_local.core.errors import ApiError
from university_local.core.html import sanitize_html
from university_local.core.pagination import Page
from university_local.core.routing import Reply, Request, Router, raw
from university_local.core.uploads import content_type_for
from university_local.web import service
from university_local.web.pages import HTML, Visit, error_page, visit
from university_local.web.templating import gettext

assignment_pages = Router("learner pages", on_error=error_page)


def _user(v: Visit) -> str:
    assert v.learner is not None
    return v.learner.user_id


@assignment_pages.get("/assignments/<assignment_id>", summary="An assignment: instructions, upload, grades",
                      access="public", returns=raw(HTML))
def assignment_page(req: Request, assignment_id: str) -> Reply:
    v = visit(req)
    db = v.db
    assignment = get_assignment(db, assignment_id)
    rows, _ = list_submissions(db, assignment_id, Page(1, 100), user_id=_user(v), current=None, status=None)
    types = loads(assignment["allowed_file_types"])
    action = f"/assignments/{quote(assignment_id)}/submit?" + urlencode(
        {"csrf": v.csrf, "op": service.new_operation_id()})
    return v.page(
        "assignment.html", assignment=assignment, description=sanitize_html(assignment["description"] or ""),
        submissions=[(row, loads(row["scores"]) if row["scores"] else None, v.when(row["submitted_at"]))
                     for row in reversed(rows)],
        rubric=loads(assignment["rubric"]) if assignment["rubric"] else None,
        due=v.when(assignment["due_date"]) if assignment["due_date"] else None, types=types,
        accept=",".join(sorted(set(types) | {content_type_for(t) for t in types} - {"application/octet-stream"})),
        max_bytes=assignment["max_file_size_mb"] * 1024 * 1024, action=action, kinds=submission_types(assignment),
        text_max=TEXT_MAX_CHARS,
        submitted=bool(req.query_values("submitted")))


@assignment_pages.post("/assignments/<assignment_id>/submit",
                       summary="Hand in work: a file, a written answer or both (multipart/form-data)",
                       access="public", returns=raw(HTML))
def submit_page(req: Request, assignment_id: str) -> Reply:
    v = visit(req)
    token = next(iter(req.query_values("csrf")), "")
    if not secrets.compare_digest(token, v.csrf):
        raise ApiError(403, "csrf", gettext(v.language, "This form has expired. Go back, reload the page and "
                                                        "try again."))
    op = next(iter(req.query_values("op")), "")[:64] or None
    submit(v.db, assignment_id, req.environ, data_dir=req.config.data_dir, drain_limit=req.config.max_body_bytes,
           idempotency_key=op)
    return v.redirect(f"/assignments/{quote(assignment_id)}?submitted=1")
