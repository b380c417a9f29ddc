"""Assignments, submissions and grades: the SQL and the rules.

Rules, in one place:

- An assignment belongs to a live lesson of the tenant; its course is the lesson's. It is gone
  (404) once it, its lesson, module or course is deleted. Publishable keys see assignments and
  submissions of published courses only.
- With a rubric, `max_score` is the sum of the rubric's `max_points` (computed when omitted, a
  422 when sent and different); criteria names are unique ignoring case. Without a rubric,
  `max_score` is free (default 100) and a grade gives `total_score` directly.
- A learner may submit when enrolled in the course (`active` or `completed`; else 422
  `not_enrolled`, or 403 `enrollment_expired`) and the lesson is not drip-locked (403
  `lesson_locked`). The deadline is judged at the moment the request arrived, so a slow upload
  that started in time is on time. After `due_date`, a submission is refused with 422
  `assignment_past_due` unless `allow_late_submission`; then it is `late: true` and records the
  assignment's `late_penalty_percent` at that moment.
- `submission_types` says what a submission carries: ["file"] (the default), ["text"], or both.
  A file where the types have none is refused at its part's headers, before it streams; a text
  where they have none is refused too (422, pointers `/file` and `/text`). With one type it is
  required; with both, at least one of them (a blank text counts as none). A text is plain text of
  at most TEXT_MAX_CHARS characters once line ends are `\n`, kept as written otherwise. The same
  one write path stores every kind, so deadlines, attempts, idempotency and grading are the same.
- Every submission is kept. Each has the next `attempt` number for its learner and assignment;
  the highest is `current`, the one that counts.
- A grade scores every rubric criterion exactly once, 0..max_points; `total_score` is their sum
  (if sent, it must equal it: 422 `total_score_mismatch`); `final_score` is `total_score` less the
  recorded late penalty percent of it, to two decimals. Grading again replaces the grade (any
  attempt may be graded). A rubric changed after grading leaves earlier grades as they were.
- Notes and feedback are plain text (control characters other than tab and newline removed);
  whoever displays them escapes them.

Events `assignment.submitted` and `assignment.graded` are written in the transaction of their
cause. The file is linked into the content-addressed store inside that transaction, before the
row that names it, so a committed submission always has its file; a transaction that fails after
the link leaves an unreferenced file (harmless: a later identical upload reuses it).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, BinaryIO

from university_local.assignments.models import (
    DEFAULT_SUBMISSION_TYPES,
    NOTES_MAX_CHARS,
    TEXT_MAX_CHARS,
    AssignmentCreate,
    GradeBody,
)
from university_local.core import uploads
from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, dumps, loads
from university_local.core.errors import ApiError, error_object, not_found
from university_local.core.events import emit
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.enrollments.service import find_enrollment

DEFAULT_MAX_SCORE = 100
ATTRS = "/data/attributes"
USER_ID_MAX_CHARS = 128

# The lesson, module and course of an assignment, each of the tenant and live.
_PLACE = """JOIN lessons l ON l.id = a.lesson_id AND +l.app_id = :app AND +l.env = :env
JOIN modules m ON m.id = l.module_id AND +m.app_id = :app AND +m.env = :env
JOIN courses c ON c.id = l.course_id AND +c.app_id = :app AND +c.env = :env"""
_LIVE = f"""
FROM assignments a
{_PLACE}
WHERE a.app_id = :app AND a.env = :env AND a.deleted_at IS NULL
  AND l.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL"""
_SELECT = "SELECT a.*, m.unlock_at, c.status AS course_status " + _LIVE


def _visible(db: Db) -> str:
    return " AND c.status = 'published'" if db.published_only else ""


# -- assignments ---------------------------------------------------------------------------


def list_assignments(db: Db, page: Page, *, lesson_id: str | None, course_id: str | None) -> tuple[list[Row], int]:
    where = _visible(db)
    if lesson_id:
        where += " AND a.lesson_id = :lesson"
    if course_id:
        where += " AND a.course_id = :course"
    params = {"lesson": lesson_id, "course": course_id, "limit": page.size, "offset": page.offset}
    total = db.scalar("SELECT COUNT(*) " + _LIVE + where, params)
    rows = db.all(_SELECT + where + " ORDER BY a.id LIMIT :limit OFFSET :offset", params)
    return rows, total


def get_assignment(db: Db, assignment_id: str) -> Row:
    row = db.one(_SELECT + _visible(db) + " AND a.id = :id", {"id": assignment_id})
    if row is None:
        raise not_found("assignment", assignment_id)
    return row


def _lesson(db: Db, lesson_id: str) -> Row:
    row = db.one(
        "SELECT l.id, l.course_id FROM lessons l JOIN modules m ON m.id = l.module_id AND +m.app_id = :app "
        "AND +m.env = :env JOIN courses c ON c.id = l.course_id AND +c.app_id = :app AND +c.env = :env "
        "WHERE l.app_id = :app AND l.env = :env AND l.id = :id AND l.deleted_at IS NULL "
        "AND m.deleted_at IS NULL AND c.deleted_at IS NULL", {"id": lesson_id})
    if row is None:
        err = not_found("lesson", lesson_id)
        err.errors[0]["source"] = {"pointer": f"{ATTRS}/lesson_id"}
        raise err
    return row


def _checked(values: dict[str, Any], *, max_score_sent: bool) -> dict[str, Any]:
    """Cross-field rules on an assignment's complete values; returns them with max_score settled."""
    errors = []
    seen: set[str] = set()
    for i, criterion in enumerate(values["rubric"]):
        key = criterion["criteria"].strip().casefold()
        if key in seen:
            errors.append(error_object(422, "validation_error", f"criteria: '{criterion['criteria']}' appears twice "
                                       "in the rubric.", pointer=f"{ATTRS}/rubric/{i}/criteria",
                                       title="Invalid Attribute"))
        seen.add(key)
    types: set[str] = set()
    for i, file_type in enumerate(values["allowed_file_types"]):
        if file_type in types:
            errors.append(error_object(422, "validation_error", f"allowed_file_types: {file_type} appears twice.",
                                       pointer=f"{ATTRS}/allowed_file_types/{i}", title="Invalid Attribute"))
        types.add(file_type)
    for i, kind in enumerate(values["submission_types"]):
        if kind in values["submission_types"][:i]:
            errors.append(error_object(422, "validation_error", f"submission_types: {kind} appears twice.",
                                       pointer=f"{ATTRS}/submission_types/{i}", title="Invalid Attribute"))
    if values["rubric"]:
        total = sum(c["max_points"] for c in values["rubric"])
        if max_score_sent and values["max_score"] != total:
            errors.append(error_object(422, "validation_error", f"max_score: {values['max_score']} is not the sum of "
                                       f"the rubric's max_points ({total}); send {total} or leave it out.",
                                       pointer=f"{ATTRS}/max_score", title="Invalid Attribute"))
        values["max_score"] = total
    elif values.get("max_score") is None:
        values["max_score"] = DEFAULT_MAX_SCORE
    if errors:
        raise ApiError.many(422, errors)
    return values


def create_assignment(db: Db, attrs: AssignmentCreate) -> Row:
    values = _checked({
        "title": attrs.title, "description": attrs.description, "due_date": attrs.due_date,
        "max_score": attrs.max_score, "allow_late_submission": attrs.allow_late_submission,
        "late_penalty_percent": attrs.late_penalty_percent,
        "rubric": [c.model_dump() for c in attrs.rubric], "allowed_file_types": list(attrs.allowed_file_types),
        "max_file_size_mb": attrs.max_file_size_mb, "submission_types": list(attrs.submission_types),
    }, max_score_sent=attrs.max_score is not None)
    assignment_id, now = new_id("assignment"), now_iso()
    with db.transaction():
        lesson = _lesson(db, attrs.lesson_id)
        db.insert("assignments", {
            "id": assignment_id, "course_id": lesson["course_id"], "lesson_id": lesson["id"], **_stored(values),
            "created_at": now, "updated_at": now, "deleted_at": None,
        })
    return get_assignment(db, assignment_id)


def update_assignment(db: Db, assignment_id: str, changes: dict[str, Any]) -> Row:
    with db.transaction():
        current = get_assignment(db, assignment_id)
        values = {**_values(current), **changes}
        if "rubric" in changes:
            values["rubric"] = [c.model_dump() for c in changes["rubric"]]
            if "max_score" not in changes and values["rubric"]:
                values["max_score"] = None  # follows the new rubric
        updates = {**_stored(_checked(values, max_score_sent="max_score" in changes)), "updated_at": now_iso()}
        if "lesson_id" in changes:
            lesson = _lesson(db, changes["lesson_id"])
            updates["lesson_id"], updates["course_id"] = lesson["id"], lesson["course_id"]
        db.update("assignments", assignment_id, updates)
    return get_assignment(db, assignment_id)


def delete_assignment(db: Db, assignment_id: str) -> None:
    """Soft delete: the assignment and its submissions answer 404; the records and files are kept."""
    with db.transaction():
        get_assignment(db, assignment_id)
        now = now_iso()
        db.update("assignments", assignment_id, {"deleted_at": now, "updated_at": now})


def _values(row: Row) -> dict[str, Any]:
    return {
        "title": row["title"], "description": row["description"], "due_date": row["due_date"],
        "max_score": row["max_score"], "allow_late_submission": bool(row["allow_late_submission"]),
        "late_penalty_percent": row["late_penalty_percent"], "rubric": loads(row["rubric"]),
        "allowed_file_types": loads(row["allowed_file_types"]), "max_file_size_mb": row["max_file_size_mb"],
        "submission_types": submission_types(row),
    }


def _stored(values: dict[str, Any]) -> dict[str, Any]:
    return {
        "title": values["title"], "description": values["description"], "due_date": values["due_date"],
        "max_score": values["max_score"], "allow_late_submission": int(values["allow_late_submission"]),
        "late_penalty_percent": values["late_penalty_percent"], "rubric": dumps(values["rubric"]),
        "allowed_file_types": dumps(values["allowed_file_types"]), "max_file_size_mb": values["max_file_size_mb"],
        "submission_types": dumps(values["submission_types"]),
    }


def submission_types(assignment: Row) -> list[str]:
    """What the assignment's submissions may carry: "file", "text" or both."""
    kinds: list[str] = loads(assignment["submission_types"]) if assignment["submission_types"] else []
    return kinds or list(DEFAULT_SUBMISSION_TYPES)


# -- submitting ----------------------------------------------------------------------------


def check_can_submit(db: Db, assignment: Row, user_id: str, now: str) -> bool:
    """Whether the submission is late; or the error that refuses it."""
    if assignment["unlock_at"] and assignment["unlock_at"] > now:
        raise ApiError(403, "lesson_locked", f"This assignment's lesson opens at {assignment['unlock_at']}.")
    enrollment = find_enrollment(db, user_id, assignment["course_id"])
    if enrollment is None or enrollment["effective_status"] not in ("active", "completed", "expired"):
        raise ApiError(422, "not_enrolled", f"User '{user_id}' is not enrolled in this assignment's course.",
                       pointer="/user_id")
    if enrollment["effective_status"] == "expired":
        raise ApiError(403, "enrollment_expired", f"The enrollment expired at {enrollment['expires_at']}.")
    late = assignment["due_date"] is not None and now > assignment["due_date"]
    if late and not assignment["allow_late_submission"]:
        raise ApiError(422, "assignment_past_due", f"The deadline was {assignment['due_date']}; this assignment "
                       "does not accept late submissions.", title="Assignment Past Due")
    return late


def _acting_for(db: Db, fields: dict[str, str]) -> str:
    """The learner a submission is for: the form's user_id, or the signed-in learner themselves."""
    if db.scope.user_id is not None and not fields.get("user_id"):
        return db.scope.user_id
    acting = db.scope.acting_for(_user_id(fields))
    assert acting is not None
    return acting


def _user_id(fields: dict[str, str]) -> str:
    user_id = fields.get("user_id", "")
    if not user_id:
        raise ApiError(422, "validation_error", "user_id: the learner submitting is required.", pointer="/user_id",
                       title="Invalid Attribute")
    if len(user_id) > USER_ID_MAX_CHARS or user_id != user_id.strip() or _CONTROL.search(user_id):
        raise ApiError(422, "validation_error", "user_id: 1 to 128 characters, without control characters or "
                       "surrounding spaces.", pointer="/user_id", title="Invalid Attribute")
    return user_id


def submit(db: Db, assignment_id: str, environ: dict[str, Any], *, data_dir: Path, drain_limit: int,
           idempotency_key: str | None = None) -> tuple[Row, bool]:
    """Receive a learner's work (multipart/form-data: user_id; file and/or text, as the assignment's
    submission_types allow; notes) as a new attempt. A form sent again with the same
    `idempotency_key` returns the submission it made the first time (and True: a replay). A
    signed-in learner submits as themselves only."""
    received_at = now_iso()
    assignment = get_assignment(db, assignment_id)
    kinds = submission_types(assignment)

    def before_file(fields: dict[str, str]) -> None:  # fail before the file streams when we can
        _checked_text(fields.get("text"), kinds)
        if "user_id" in fields:
            check_can_submit(db, assignment, _acting_for(db, fields), received_at)

    max_file_bytes = assignment["max_file_size_mb"] * uploads.MIB
    overhead = uploads.FORM_OVERHEAD_BYTES + (4 * TEXT_MAX_CHARS if "text" in kinds else 0)  # UTF-8: 4 bytes a char
    spec = uploads.FormSpec(
        text_fields={"user_id": USER_ID_MAX_CHARS, "notes": NOTES_MAX_CHARS, "text": TEXT_MAX_CHARS},
        file_field="file", max_file_bytes=max_file_bytes, allowed_types=loads(assignment["allowed_file_types"]),
        # After a refusal the rest of the body is read and dropped, so that a client still sending gets
        # the answer (see uploads.py); up to what a valid upload could be, and some slack beyond.
        drain_limit=max(drain_limit, max_file_bytes + overhead + uploads.OVERSIZE_SLACK_BYTES),
        before_file=before_file, overhead_bytes=overhead,
        refused_fields={} if "file" in kinds else {"file": "this assignment takes a written answer (text), not a "
                                                           "file."},
    )
    form = uploads.read_form(environ, data_dir, spec)
    try:
        user_id = _acting_for(db, form.fields)
        notes = form.fields.get("notes")
        if notes is not None and len(notes) > NOTES_MAX_CHARS:
            raise ApiError(422, "validation_error", f"notes: at most {NOTES_MAX_CHARS} characters.",
                           pointer="/notes", title="Invalid Attribute")
        text = _checked_text(form.fields.get("text"), kinds)
        if form.file is None and text is None:
            raise _work_required(kinds)
        received = form.file
        submission_id = new_id("submission")
        with db.transaction():
            if idempotency_key is not None:
                earlier = db.scalar("SELECT id FROM submissions WHERE app_id = :app AND env = :env AND assignment_id "
                                    "= :assignment AND user_id = :user AND idempotency_key = :key",
                                    {"assignment": assignment_id, "user": user_id, "key": idempotency_key})
                if earlier is not None:
                    return get_submission(db, earlier), True
            assignment = get_assignment(db, assignment_id)
            late = check_can_submit(db, assignment, user_id, received_at)
            attempt = db.scalar("SELECT COALESCE(MAX(attempt), 0) + 1 FROM submissions WHERE app_id = :app "
                                "AND env = :env AND assignment_id = :assignment AND user_id = :user",
                                {"assignment": assignment_id, "user": user_id})
            if received is not None:
                uploads.store_blob(data_dir, received)
            penalty = assignment["late_penalty_percent"] if late else 0
            db.insert("submissions", {
                "id": submission_id, "assignment_id": assignment_id,
                "course_id": assignment["course_id"], "lesson_id": assignment["lesson_id"], "user_id": user_id,
                "attempt": attempt, "notes": plain_text(notes) if notes else None, "text": text,
                "filename": received.filename if received else None,
                "content_type": received.content_type if received else None,
                "file_size": received.size if received else None,
                "file_sha256": received.sha256 if received else None,
                "late": int(late), "late_penalty_percent": penalty, "submitted_at": received_at,
                "scores": None, "total_score": None, "final_score": None, "feedback": None, "graded_at": None,
                "updated_at": received_at, "idempotency_key": idempotency_key,
            })
            emit(db, "assignment.submitted", "submission", submission_id, {
                "assignment_id": assignment_id, "submission_id": submission_id, "user_id": user_id,
                "course_id": assignment["course_id"], "lesson_id": assignment["lesson_id"], "attempt": attempt,
                "late": late, "late_penalty_percent": tidy_number(penalty), "submitted_at": received_at,
                "file": {"filename": received.filename, "size_bytes": received.size, "sha256": received.sha256}
                if received else None,
                "has_text": text is not None,
            })
    finally:
        if form.file is not None:
            form.file.discard()  # gone already once stored; removed here on any error
    return get_submission(db, submission_id), False


def _checked_text(raw: str | None, kinds: list[str]) -> str | None:
    """The text answer as stored, or None when there is none (absent or blank); 422 when the
    assignment takes no text or it is too long."""
    if raw is None:
        return None
    text = plain_text(raw)
    if not text.strip():
        return None
    if "text" not in kinds:
        raise ApiError(422, "validation_error", "text: this assignment takes a file, not a written answer.",
                       pointer="/text", title="Invalid Attribute")
    if len(text) > TEXT_MAX_CHARS:
        raise ApiError(422, "validation_error", f"text: at most {TEXT_MAX_CHARS} characters.", pointer="/text",
                       title="Invalid Attribute")
    return text


def _work_required(kinds: list[str]) -> ApiError:
    if "text" not in kinds:
        return ApiError(422, "validation_error", "file: the work to submit is required.", pointer="/file",
                        title="Invalid Attribute")
    if "file" not in kinds:
        return ApiError(422, "validation_error", "text: the answer to submit is required.", pointer="/text",
                        title="Invalid Attribute")
    detail = "Send the work as a file, as a written answer (text), or both."
    return ApiError.many(422, [error_object(422, "validation_error", f"{field}: {detail}", pointer=f"/{field}",
                                            title="Invalid Attribute") for field in ("file", "text")])


_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def plain_text(text: str) -> str:
    """Plain text as stored: line ends as \\n, no control characters but tab and newline."""
    return _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


# -- reading submissions -------------------------------------------------------------------

_SUBMISSIONS = f"""
FROM submissions s JOIN assignments a ON a.id = s.assignment_id AND +a.app_id = :app AND +a.env = :env
{_PLACE}
WHERE s.app_id = :app AND s.env = :env AND a.deleted_at IS NULL
  AND l.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL"""
_IS_CURRENT = ("s.attempt = (SELECT MAX(x.attempt) FROM submissions x WHERE x.app_id = :app AND x.env = :env "
               "AND x.assignment_id = s.assignment_id AND x.user_id = s.user_id)")
_SUBMISSION_SELECT = f"SELECT s.*, a.max_score, a.rubric, {_IS_CURRENT} AS is_current " + _SUBMISSIONS


def list_submissions(db: Db, assignment_id: str, page: Page, *, user_id: str | None, current: bool | None,
                     status: str | None) -> tuple[list[Row], int]:
    get_assignment(db, assignment_id)
    where = _visible(db) + " AND s.assignment_id = :assignment"
    if user_id is not None:
        where += " AND s.user_id = :user"
    if current is not None:
        where += f" AND ({_IS_CURRENT}) = :current"
    if status == "graded":
        where += " AND s.graded_at IS NOT NULL"
    elif status == "submitted":
        where += " AND s.graded_at IS NULL"
    params = {"assignment": assignment_id, "user": user_id, "current": current, "limit": page.size,
              "offset": page.offset}
    total = db.scalar("SELECT COUNT(*) " + _SUBMISSIONS + where, params)
    rows = db.all(_SUBMISSION_SELECT + where + " ORDER BY s.id LIMIT :limit OFFSET :offset", params)
    return rows, total


def get_submission(db: Db, submission_id: str, *, user_id: str | None = None) -> Row:
    """One submission; with `user_id` (a learner asking) only if it is theirs, else 404."""
    row = db.one(_SUBMISSION_SELECT + _visible(db) + " AND s.id = :id", {"id": submission_id})
    if row is None or (user_id is not None and row["user_id"] != user_id):
        raise not_found("submission", submission_id)
    return row


def submission_file(db: Db, data_dir: Path, submission_id: str, *, user_id: str | None) -> tuple[Row, BinaryIO]:
    """The submission and its file, opened for reading."""
    row = get_submission(db, submission_id, user_id=user_id)
    if row["file_sha256"] is None:
        raise ApiError(404, "file_not_found", f"Submission '{submission_id}' has no file: it is a written answer "
                       "(its text attribute).")
    try:
        return row, uploads.open_blob(data_dir, row["file_sha256"])
    except FileNotFoundError:
        raise ApiError(404, "file_not_found", f"The file of submission '{submission_id}' is missing from this "
                       "server's storage.") from None


# -- grading -------------------------------------------------------------------------------


def grade(db: Db, submission_id: str, body: GradeBody) -> Row:
    with db.transaction():
        row = get_submission(db, submission_id)
        scores, total = _score(loads(row["rubric"]), row["max_score"], body)
        penalty = row["late_penalty_percent"]
        final = round(total * (100 - penalty) / 100, 2)
        now = now_iso()
        feedback = plain_text(body.feedback) if body.feedback else None
        db.update("submissions", submission_id, {
            "scores": dumps(scores) if scores is not None else None, "total_score": total, "final_score": final,
            "feedback": feedback, "graded_at": now, "updated_at": now,
        })
        emit(db, "assignment.graded", "submission", submission_id, {
            "submission_id": submission_id, "assignment_id": row["assignment_id"], "user_id": row["user_id"],
            "course_id": row["course_id"], "attempt": row["attempt"], "scores": scores,
            "total_score": tidy_number(total), "late_penalty_percent": tidy_number(penalty),
            "final_score": tidy_number(final),
            "max_score": row["max_score"], "graded_at": now, "regraded": row["graded_at"] is not None,
        })
    return get_submission(db, submission_id)


def _score(rubric: list[dict[str, Any]], max_score: int, body: GradeBody) -> tuple[list[dict[str, Any]] | None, float]:
    """The scores as stored and their total, or 422 listing every problem with its pointer."""
    errors = []

    def problem(code: str, detail: str, pointer: str) -> None:
        errors.append(error_object(422, code, detail, pointer=pointer))

    if not rubric:
        if body.scores:
            problem("validation_error", "scores: this assignment has no rubric; send total_score alone.", "/scores")
        if body.total_score is None:
            problem("validation_error", "total_score: required for an assignment without a rubric.", "/total_score")
        elif body.total_score > max_score:
            problem("points_out_of_range", f"total_score: {tidy_number(body.total_score)} is over the assignment's "
                    f"max_score of {max_score}.", "/total_score")
        if errors:
            raise ApiError.many(422, errors)
        assert body.total_score is not None
        return None, float(body.total_score)

    criteria = {c["criteria"]: c for c in rubric}
    given: dict[str, float] = {}
    for i, score in enumerate(body.scores):
        pointer = f"/scores/{i}"
        if score.criteria not in criteria:
            problem("unknown_criteria", f"'{score.criteria}' is not a criteria of this assignment's rubric "
                    f"({', '.join(criteria)}).", f"{pointer}/criteria")
        elif score.criteria in given:
            problem("duplicate_criteria", f"'{score.criteria}' is scored more than once.", f"{pointer}/criteria")
        else:
            given[score.criteria] = score.points
            most = criteria[score.criteria]["max_points"]
            if score.points > most:
                problem("points_out_of_range", f"{tidy_number(score.points)} points is over the {most} that "
                        f"'{score.criteria}' is worth.", f"{pointer}/points")
    missing = [name for name in criteria if name not in given]
    if missing:
        problem("missing_criteria", f"Every rubric criteria needs a score; missing: {', '.join(missing)}.", "/scores")
    total = round(sum(given.values()), 2)
    if not errors and body.total_score is not None and round(body.total_score, 2) != total:
        problem("total_score_mismatch", f"total_score {tidy_number(body.total_score)} is not the sum of the points "
                f"({tidy_number(total)}).", "/total_score")
    if errors:
        raise ApiError.many(422, errors)
    return [{"criteria": name, "points": tidy_number(given[name]), "max_points": c["max_points"]}
            for name, c in criteria.items()], total


def tidy_number(value: float | None) -> float | int | None:
    """Whole numbers as integers (93, not 93.0)."""
    if value is None:
        return None
    return int(value) if float(value).is_integer() else round(float(value), 2)
