"""Learning paths: the SQL and the rules.

A path's courses are rows of `learning_path_courses`, replaced as a whole whenever the path's
course list changes, after the whole list has been checked: every course exists in the tenant
and appears once, positions number the courses 1..n, prerequisites name other courses of the
same path, and no chain of prerequisites comes back to where it started (a cycle would lock its
courses for ever).

A course counts as completed when the learner's enrollment in it is `completed` (see
enrollments/service.py). A course deleted after it was put in a path drops out of the path when
it is read, and so do prerequisites naming it: nobody can be asked to complete a course that no
longer exists.

Published paths are binding: `check_prerequisites` is what enrolling calls, and
`completed_paths` tells the certificates feature which path certificates a completion earns.
This module imports no other feature's service, so both may import it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, dumps, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.learning_paths.models import LearningPathCreate, PathCourse

COURSES_POINTER = "/data/attributes/courses"
_COLUMNS = ("title", "description", "certificate_id", "status")
_LIVE = "FROM learning_paths p WHERE p.app_id = :app AND p.env = :env AND p.deleted_at IS NULL"
# The enrollment status a learner sees (enrollments/service.py): an active enrollment past its end is expired.
_EFFECTIVE_STATUS = ("CASE WHEN status = 'active' AND expires_at IS NOT NULL AND expires_at <= :now "
                     "THEN 'expired' ELSE status END")


@dataclass(frozen=True)
class PathEntry:
    """One live course of a path, as read back."""

    course_id: str
    position: int
    required: bool
    prerequisites: list[str]
    duration_minutes: int


@dataclass(frozen=True)
class PathProgress:
    """One learner's progress along a path (the spec's progress document)."""

    path_id: str
    user_id: str
    overall_progress: int
    courses_completed: int
    total_courses: int
    current_course: str | None
    next_available: list[str]
    locked: list[str]
    time_invested_hours: float
    estimated_completion_hours: float


# -- reading -----------------------------------------------------------------------------------


def get_path(db: Db, path_id: str) -> Row:
    """The live path, or `learning_path_not_found` (also for drafts when only published ones are visible)."""
    row = db.one(f"SELECT p.* {_LIVE} AND p.id = :id", {"id": path_id})
    if row is None or (db.published_only and row["status"] != "published"):
        raise not_found("learning_path", path_id)
    return row


def list_paths(db: Db, page: Page, *, status: str | None = None, course_id: str | None = None) -> tuple[list[Row], int]:
    where, params = "", {"status": status, "course": course_id, "limit": page.size, "offset": page.offset}
    if db.published_only:
        where += " AND p.status = 'published'"
    if status is not None:
        where += " AND p.status = :status"
    if course_id is not None:
        where += (" AND p.id IN (SELECT path_id FROM learning_path_courses WHERE app_id = :app AND env = :env "
                  "AND course_id = :course)")
    total = db.scalar(f"SELECT COUNT(*) {_LIVE}{where}", params)
    rows = db.all(f"SELECT p.* {_LIVE}{where} ORDER BY p.id LIMIT :limit OFFSET :offset", params)
    return rows, total


def path_entries(db: Db, path_ids: list[str]) -> dict[str, list[PathEntry]]:
    """The live courses of each path, in order, numbered 1..n, with prerequisites on live courses only."""
    if not path_ids:
        return {}
    found: dict[str, list[Row]] = {path_id: [] for path_id in path_ids}
    rows = db.all(
        "SELECT pc.path_id, pc.course_id, pc.required, pc.prerequisites, c.duration_minutes "
        "FROM learning_path_courses pc JOIN courses c ON c.id = pc.course_id "
        "AND c.app_id = :app AND c.env = :env AND c.deleted_at IS NULL "
        "WHERE pc.app_id = :app AND pc.env = :env AND pc.path_id IN (SELECT value FROM json_each(:ids)) "
        "ORDER BY pc.path_id, pc.position", {"ids": dumps(path_ids)})
    for row in rows:
        found[row["path_id"]].append(row)
    entries = {}
    for path_id, courses in found.items():
        live = {row["course_id"] for row in courses}
        entries[path_id] = [
            PathEntry(row["course_id"], position, bool(row["required"]),
                      [c for c in loads(row["prerequisites"]) if c in live], row["duration_minutes"])
            for position, row in enumerate(courses, start=1)
        ]
    return entries


def _hours(seconds: int) -> float:
    return round(seconds / 3600, 1)


# -- writing -----------------------------------------------------------------------------------


def create_path(db: Db, attrs: LearningPathCreate) -> Row:
    now, path_id = now_iso(), new_id("path")
    with db.transaction():
        courses = _checked_courses(db, attrs.courses)
        _check_template(db, attrs.certificate_id)
        db.insert("learning_paths", {
            "id": path_id, "title": attrs.title, "description": attrs.description, "status": attrs.status,
            "certificate_id": attrs.certificate_id, "created_at": now, "updated_at": now, "deleted_at": None,
        })
        _store_courses(db, path_id, courses)
    return get_path(db, path_id)


def update_path(db: Db, path_id: str, changes: dict[str, Any]) -> Row:
    """Apply a PATCH: only the fields sent change; `courses` replaces the whole list."""
    with db.transaction():
        get_path(db, path_id)
        update = {name: value for name, value in changes.items() if name in _COLUMNS}
        _check_template(db, changes.get("certificate_id"))
        if "courses" in changes:
            _store_courses(db, path_id, _checked_courses(db, changes["courses"]))
        if changes:
            db.update("learning_paths", path_id, {**update, "updated_at": now_iso()})
    return get_path(db, path_id)


def _check_template(db: Db, template_id: str | None) -> None:
    """A path's certificate names a template of the organisation (read directly: this module
    imports no other feature's service)."""
    if template_id and not db.scalar(
            "SELECT 1 FROM certificate_templates WHERE app_id = :app AND env = :env AND id = :id "
            "AND deleted_at IS NULL", {"id": template_id}):
        raise ApiError(404, "certificate_template_not_found", f"No certificate template '{template_id}'.",
                       pointer="/data/attributes/certificate_id")


def delete_path(db: Db, path_id: str) -> None:
    """Soft delete: the path stops being listed and stops enforcing its prerequisites."""
    with db.transaction():
        get_path(db, path_id)
        now = now_iso()
        db.update("learning_paths", path_id, {"deleted_at": now, "updated_at": now})


def _store_courses(db: Db, path_id: str, courses: list[PathCourse]) -> None:
    db.execute("DELETE FROM learning_path_courses WHERE path_id = :path AND app_id = :app AND env = :env",
               {"path": path_id})
    for position, course in enumerate(courses, start=1):
        db.insert("learning_path_courses", {
            "path_id": path_id, "course_id": course.course_id, "position": position,
            "required": int(course.required), "prerequisites": dumps(course.prerequisites),
        })


def _checked_courses(db: Db, courses: list[PathCourse]) -> list[PathCourse]:
    """The course list in position order, or the first thing wrong with it, pointed at.

    Positions are either all given, and then they must number the courses 1..n once each (in
    any order in the list), or all left out, and then the list order is the path's order.
    """
    index: dict[str, int] = {}
    for i, course in enumerate(courses):
        if course.course_id in index:
            raise ApiError(422, "duplicate_course", f"Course '{course.course_id}' is already in the path, at "
                           f"courses/{index[course.course_id]}; a path lists a course once.",
                           pointer=f"{COURSES_POINTER}/{i}/course_id")
        index[course.course_id] = i
    live = _live_courses(db, list(index))
    for i, course in enumerate(courses):
        if course.course_id not in live:
            raise _pointed(not_found("course", course.course_id), f"{COURSES_POINTER}/{i}/course_id")

    given = [course.position is not None for course in courses]
    if any(given):
        if not all(given):
            raise ApiError(422, "invalid_position", "Give a position to every course of the path, or to none "
                           "(the list order is then the order).",
                           pointer=f"{COURSES_POINTER}/{given.index(False)}/position")
        holder: dict[int, int] = {}
        for i, course in enumerate(courses):
            position = course.position
            assert position is not None
            if position > len(courses):
                raise ApiError(422, "invalid_position", f"Position {position} is out of range: the path's "
                               f"{len(courses)} courses take positions 1 to {len(courses)}.",
                               pointer=f"{COURSES_POINTER}/{i}/position")
            if position in holder:
                raise ApiError(422, "invalid_position", f"Position {position} is already taken by courses/"
                               f"{holder[position]}; each position is used once.",
                               pointer=f"{COURSES_POINTER}/{i}/position")
            holder[position] = i

    for i, course in enumerate(courses):
        seen: set[str] = set()
        for m, prerequisite in enumerate(course.prerequisites):
            pointer = f"{COURSES_POINTER}/{i}/prerequisites/{m}"
            if prerequisite == course.course_id:
                raise ApiError(422, "invalid_prerequisite", f"Course '{course.course_id}' cannot be its own "
                               "prerequisite.", pointer=pointer)
            if prerequisite not in index:
                raise ApiError(422, "prerequisite_not_in_path", f"Prerequisite '{prerequisite}' is not a course of "
                               "this path; add it to the path's courses first.", pointer=pointer)
            if prerequisite in seen:
                raise ApiError(422, "invalid_prerequisite", f"Prerequisite '{prerequisite}' is listed twice.",
                               pointer=pointer)
            seen.add(prerequisite)

    ordered = sorted(courses, key=lambda c: c.position or 0) if any(given) else list(courses)
    if found := _find_cycle(ordered):
        cycle, course_id, m = found
        raise ApiError(422, "prerequisite_cycle", "Prerequisites form a cycle: " + " → ".join(cycle)
                       + " (each course requires the next), so none of these courses could ever be started.",
                       pointer=f"{COURSES_POINTER}/{index[course_id]}/prerequisites/{m}")
    return ordered


def _find_cycle(courses: list[PathCourse]) -> tuple[list[str], str, int] | None:
    """The first cycle of "requires" links, searched from the courses in order: the cycle as a
    list that ends where it starts, and the course and prerequisite index that close it."""
    requires = {course.course_id: course.prerequisites for course in courses}
    state: dict[str, str] = {}  # "open" while on the search stack, then "done"
    stack: list[str] = []

    def visit(course_id: str) -> tuple[list[str], str, int] | None:
        state[course_id] = "open"
        stack.append(course_id)
        for m, prerequisite in enumerate(requires[course_id]):
            if state.get(prerequisite) == "open":
                return stack[stack.index(prerequisite):] + [prerequisite], course_id, m
            if prerequisite not in state and (found := visit(prerequisite)):
                return found
        stack.pop()
        state[course_id] = "done"
        return None

    for course in courses:
        if course.course_id not in state and (found := visit(course.course_id)):
            return found
    return None


def _pointed(err: ApiError, pointer: str) -> ApiError:
    err.errors[0]["source"] = {"pointer": pointer}
    return err


def _live_courses(db: Db, course_ids: list[str]) -> set[str]:
    if not course_ids:
        return set()
    return {row[0] for row in db.all(
        "SELECT id FROM courses WHERE app_id = :app AND env = :env AND deleted_at IS NULL "
        "AND id IN (SELECT value FROM json_each(:ids))", {"ids": dumps(course_ids)})}


# -- learners ----------------------------------------------------------------------------------


def _statuses(db: Db, user_id: str, course_ids: Iterable[str]) -> dict[str, str]:
    """The learner's effective enrollment status in each of the courses they have an enrollment in."""
    ids = list(course_ids)
    if not ids:
        return {}
    rows = db.all(
        f"SELECT course_id, {_EFFECTIVE_STATUS} AS status FROM enrollments WHERE app_id = :app AND env = :env "
        "AND user_id = :user AND course_id IN (SELECT value FROM json_each(:ids))",
        {"now": now_iso(), "user": user_id, "ids": dumps(ids)})
    return {row["course_id"]: row["status"] for row in rows}


def _counted(entries: list[PathEntry]) -> list[PathEntry]:
    """The courses that make up completing the path: the required ones, or all when none is required."""
    return [e for e in entries if e.required] or entries


def path_progress(db: Db, path_id: str, user_id: str) -> PathProgress:
    """The spec's progress document for one learner on one path (all zeros before they start)."""
    get_path(db, path_id)
    entries = path_entries(db, [path_id])[path_id]
    ids = [e.course_id for e in entries]
    status = _statuses(db, user_id, ids)
    completed = {course_id for course_id, s in status.items() if s == "completed"}
    counted = _counted(entries)
    unlocked = [e for e in entries if e.course_id not in completed and all(p in completed for p in e.prerequisites)]
    open_ids = {e.course_id for e in unlocked}
    locked = [e for e in entries if e.course_id not in completed and e.course_id not in open_ids]
    spent = db.scalar(
        "SELECT COALESCE(SUM(p.time_spent_seconds), 0) FROM lesson_progress p "
        "JOIN lessons l ON l.id = p.lesson_id AND +l.app_id = :app AND +l.env = :env "
        "WHERE p.app_id = :app AND p.env = :env AND p.user_id = :user "
        "AND p.course_id IN (SELECT value FROM json_each(:ids)) AND l.deleted_at IS NULL",
        {"user": user_id, "ids": dumps(ids)}) if ids else 0
    remaining_ids = [e.course_id for e in counted if e.course_id not in completed]
    remaining = db.scalar(
        "SELECT COALESCE(SUM(l.duration_minutes), 0) FROM lessons l "
        "WHERE l.app_id = :app AND l.env = :env AND l.course_id IN (SELECT value FROM json_each(:ids)) "
        "AND l.deleted_at IS NULL AND l.required = 1 "
        "AND NOT EXISTS (SELECT 1 FROM lesson_progress p WHERE p.app_id = :app AND p.env = :env "
        "AND p.user_id = :user AND p.lesson_id = l.id AND p.completed_at IS NOT NULL)",
        {"user": user_id, "ids": dumps(remaining_ids)}) if remaining_ids else 0
    done = sum(1 for e in counted if e.course_id in completed)
    return PathProgress(
        path_id=path_id,
        user_id=user_id,
        overall_progress=100 * done // len(counted) if counted else 0,
        courses_completed=len(completed),
        total_courses=len(entries),
        current_course=next((e.course_id for e in entries if status.get(e.course_id) == "active"), None),
        next_available=[e.course_id for e in unlocked],
        locked=[e.course_id for e in locked],
        time_invested_hours=_hours(spent),
        estimated_completion_hours=_hours(60 * remaining),
    )


def missing_prerequisites(db: Db, user_id: str, course_id: str) -> tuple[list[str], list[str]]:
    """What the learner has still to complete before `course_id`, by the published paths containing
    it (every such path's prerequisites hold), and the ids of the paths asking for them."""
    rows = db.all(
        "SELECT pc.path_id, pc.prerequisites FROM learning_path_courses pc "
        "JOIN learning_paths p ON p.id = pc.path_id AND +p.app_id = :app AND +p.env = :env "
        "WHERE pc.app_id = :app AND pc.env = :env AND pc.course_id = :course AND p.status = 'published' "
        "AND p.deleted_at IS NULL ORDER BY pc.path_id", {"course": course_id})
    wanted = {row["path_id"]: loads(row["prerequisites"]) for row in rows}
    named = list(dict.fromkeys(c for prerequisites in wanted.values() for c in prerequisites))
    if not named:
        return [], []
    live = _live_courses(db, named)  # a deleted course is no longer asked for
    status = _statuses(db, user_id, named)
    missing = [c for c in named if c in live and status.get(c) != "completed"]
    paths = [path_id for path_id, prerequisites in wanted.items() if set(prerequisites) & set(missing)]
    return missing, paths


def check_prerequisites(db: Db, user_id: str, course_id: str, *, pointer: str = "/data/attributes/course_id") -> None:
    """Refuse with `prerequisite_not_met` (422) unless the learner has completed every prerequisite
    that a published path sets for `course_id`. The error's `meta` lists the missing course ids."""
    missing, paths = missing_prerequisites(db, user_id, course_id)
    if missing:
        err = ApiError(422, "prerequisite_not_met", f"User '{user_id}' has not completed the prerequisites of "
                       f"course '{course_id}' (learning path {', '.join(paths)}): {', '.join(missing)}.",
                       pointer=pointer)
        err.errors[0]["meta"] = {"missing_prerequisites": missing, "learning_path_ids": paths}
        raise err


def completed_paths(db: Db, user_id: str, course_id: str) -> list[Row]:
    """The published paths with a `certificate_id` that completing `course_id` completed for the learner.

    For the certificates feature, called once the course's enrollment is completed (inside that
    transaction or after it). A path qualifies when `course_id` is one of the courses that make up
    completing it (its required courses, or all when none is required) and the learner has
    completed all of those. Completing an optional course never qualifies, as the path was either
    completed before or is not yet. Issue at most one certificate per learner and path: calling
    again for the same completion returns the same paths.
    """
    rows = db.all(
        "SELECT p.* FROM learning_paths p "
        "JOIN learning_path_courses pc ON pc.path_id = p.id AND pc.app_id = :app AND pc.env = :env "
        "WHERE pc.course_id = :course AND p.status = 'published' AND +p.app_id = :app AND +p.env = :env "
        "AND p.deleted_at IS NULL AND p.certificate_id IS NOT NULL ORDER BY p.id", {"course": course_id})
    if not rows:
        return []
    entries = path_entries(db, [row["id"] for row in rows])
    status = _statuses(db, user_id, {e.course_id for path in entries.values() for e in path})
    done = []
    for row in rows:
        counted = _counted(entries[row["id"]])
        if course_id in {e.course_id for e in counted} and all(status.get(e.course_id) == "completed" for e in counted):
            done.append(row)
    return done
