"""Courses: the SQL and the rules.

Counts and durations are recomputed from the live modules and lessons by `refresh_totals`, in
the same transaction as every change to them, so they are right at every moment and reading a
page of courses costs one indexed query. Deletion is soft: the row stays (learning records point
at it) but the course is gone from every list and get.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, dumps, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.courses.models import CourseCreate, CourseSettings, CourseSettingsPatch

# A course record: its columns, its enrollments that are not cancelled, and the mean of its
# learners' ratings, rounded half up to one decimal as ratings/service.py does (x / 0 is NULL in
# SQL: no ratings, no rating).
_COURSE = """SELECT c.*,
  (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id AND +e.app_id = :app AND +e.env = :env
     AND e.status != 'cancelled') AS enrollment_count,
  (SELECT (20 * SUM(r.rating) + COUNT(*)) / (2 * COUNT(*)) / 10.0 FROM course_ratings r
     WHERE r.app_id = :app AND r.env = :env AND r.course_id = c.id) AS rating"""
_LIVE = " FROM courses c WHERE c.app_id = :app AND c.env = :env AND c.deleted_at IS NULL"
_FILTERS = (("status", "status"), ("category_id", "category"), ("instructor_id", "instructor"))


def list_courses(db: Db, page: Page, *, status: str | None = None, category: str | None = None,
                 instructor: str | None = None) -> tuple[list[Row], int]:
    """One page of the live courses the caller may see, by id, and the total that match."""
    params = {"status": status, "category": category, "instructor": instructor,
              "limit": page.size, "offset": page.offset}
    where = " AND c.status = 'published'" if db.published_only else ""
    for column, name in _FILTERS:
        if params[name] is not None:
            where += f" AND c.{column} = :{name}"
    total = db.scalar(f"SELECT COUNT(*){_LIVE}{where}", params)
    return db.all(f"{_COURSE}{_LIVE}{where} ORDER BY c.id LIMIT :limit OFFSET :offset", params), total


def get_course(db: Db, course_id: str) -> Row:
    """The live course, or `course_not_found` (also for drafts when only published ones are visible)."""
    row = db.one(f"{_COURSE}{_LIVE} AND c.id = :id", {"id": course_id})
    if row is None or (db.published_only and row["status"] != "published"):
        raise not_found("course", course_id)
    return row


def create_course(db: Db, attrs: CourseCreate) -> Row:
    now = now_iso()
    course_id = new_id("course")
    with db.transaction():
        settings = _merge_settings(db, {}, attrs.settings)
        slug = _claim_slug(db, attrs.slug, attrs.title, course_id, explicit=attrs.slug is not None)
        db.insert("courses", {
            "id": course_id, "title": attrs.title, "description": attrs.description, "slug": slug,
            "status": attrs.status, "thumbnail_url": attrs.thumbnail_url, "category_id": attrs.category_id,
            "instructor_id": attrs.instructor_id, "settings": dumps(settings), "created_at": now,
            "updated_at": now, "deleted_at": None,
        })
    return get_course(db, course_id)


def update_course(db: Db, course_id: str, changes: dict[str, Any]) -> Row:
    with db.transaction():
        current = get_course(db, course_id)
        if "settings" in changes:
            changes["settings"] = dumps(_merge_settings(db, loads(current["settings"]), changes["settings"]))
        if "slug" in changes and changes["slug"] != current["slug"]:
            _claim_slug(db, changes["slug"], current["title"], course_id, explicit=True)
        if changes:
            db.update("courses", course_id, {**changes, "updated_at": now_iso()})
    return get_course(db, course_id)


def delete_course(db: Db, course_id: str) -> None:
    with db.transaction():
        get_course(db, course_id)
        now = now_iso()
        db.update("courses", course_id, {"deleted_at": now, "updated_at": now})


def refresh_totals(db: Db, course_id: str, now: str) -> None:
    """Recompute module and course totals from the live rows; a structure change touches the course."""
    live = "l.deleted_at IS NULL AND +l.app_id = :app AND +l.env = :env"
    db.execute(
        f"""UPDATE modules SET
             lesson_count = (SELECT COUNT(*) FROM lessons l WHERE l.module_id = modules.id AND {live}),
             duration_minutes = (SELECT COALESCE(SUM(l.duration_minutes), 0) FROM lessons l
                                 WHERE l.module_id = modules.id AND {live})
           WHERE course_id = :course AND deleted_at IS NULL AND app_id = :app AND env = :env""",
        {"course": course_id},
    )
    db.execute(
        f"""UPDATE courses SET
             module_count = (SELECT COUNT(*) FROM modules m WHERE m.course_id = courses.id AND m.deleted_at IS NULL
                             AND +m.app_id = :app AND +m.env = :env),
             lesson_count = (SELECT COUNT(*) FROM lessons l WHERE l.course_id = courses.id AND {live}),
             duration_minutes = (SELECT COALESCE(SUM(l.duration_minutes), 0) FROM lessons l
                                 WHERE l.course_id = courses.id AND {live}),
             updated_at = :now
           WHERE id = :course AND app_id = :app AND env = :env""",
        {"course": course_id, "now": now},
    )


def _merge_settings(db: Db, current: dict[str, Any], patch: CourseSettingsPatch | None) -> dict[str, Any]:
    """Stored settings with the sent keys applied, every key present, all validated."""
    merged = {**CourseSettings.model_validate({}).model_dump(), **current}
    if patch is not None:
        merged.update({name: getattr(patch, name) for name in patch.model_fields_set})
        template_id = patch.certificate_template_id if "certificate_template_id" in patch.model_fields_set else None
        if template_id and not db.scalar("SELECT 1 FROM certificate_templates WHERE app_id = :app AND env = :env "
                                         "AND id = :id AND deleted_at IS NULL", {"id": template_id}):
            raise ApiError(404, "certificate_template_not_found", f"No certificate template '{template_id}'.",
                           pointer="/data/attributes/settings/certificate_template_id")
    return CourseSettings.model_validate(merged).model_dump()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "course"


def _claim_slug(db: Db, wanted: str | None, title: str, course_id: str, *, explicit: bool) -> str:
    """A slug free in the tenant: the one asked for (409 if taken) or one made from the title."""

    def taken(slug: str) -> bool:
        return db.scalar("SELECT 1 FROM courses WHERE app_id = :app AND env = :env AND slug = :slug AND id != :id",
                         {"slug": slug, "id": course_id}) is not None

    if explicit:
        assert wanted is not None
        if taken(wanted):
            raise ApiError(409, "slug_taken", f"Another course already uses the slug '{wanted}'.",
                           pointer="/data/attributes/slug")
        return wanted
    base = slugify(title)
    slug, n = base, 1
    while taken(slug):
        n += 1
        slug = f"{base}-{n}"
    return slug
