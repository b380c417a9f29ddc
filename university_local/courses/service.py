"""Courses: the SQL and the rules.

Counts and durations are recomputed from the live modules and lessons by `refresh_totals`, in
the same transaction as every change to them, so they are right at every moment and reading a
page of courses costs one indexed query. Deletion is soft: the row stays (learning records point at it) but the
course is gone from every list and get.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from orjson import Fragment

from university_local.core.clock import now_iso
from university_local.core.db import Row, Store, dumps, loads, raw_json
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.core.pagination import Page
from university_local.courses.models import CourseCreate, CourseSettings, CourseSettingsPatch
from university_local.tenancy.models import Tenant

# The course resource is built as JSON by SQLite itself: a page of courses is then one row and
# one step, which matters because every sqlite3 step releases and re-takes the GIL under load.
# rating is the mean of learners' ratings, rounded half up to one decimal as ratings/service.py
# does (x / 0 is NULL in SQL: no ratings, no rating).
_RESOURCE_JSON = """json_object(
  'id', c.id,
  'type', 'course',
  'attributes', json_object(
    'title', c.title, 'description', c.description, 'slug', c.slug, 'status', c.status,
    'thumbnail_url', c.thumbnail_url, 'category_id', c.category_id, 'instructor_id', c.instructor_id,
    'duration_minutes', c.duration_minutes, 'module_count', c.module_count, 'lesson_count', c.lesson_count,
    'enrollment_count', (SELECT COUNT(*) FROM enrollments e WHERE e.course_id = c.id AND e.status != 'cancelled'),
    'rating', (SELECT (20 * SUM(r.rating) + COUNT(*)) / (2 * COUNT(*)) / 10.0 FROM course_ratings r
               WHERE r.app_id = c.app_id AND r.env = c.env AND r.course_id = c.id),
    'settings', json(c.settings),
    'created_at', c.created_at, 'updated_at', c.updated_at),
  'relationships', json_object(
    'instructor', json_object('data', json(CASE WHEN c.instructor_id IS NOT NULL
                                      THEN json_object('type', 'user', 'id', c.instructor_id) END)),
    'category', json_object('data', json(CASE WHEN c.category_id IS NOT NULL
                                    THEN json_object('type', 'category', 'id', c.category_id) END))))"""

_LIVE = "FROM courses c WHERE c.app_id = ? AND c.env = ? AND c.deleted_at IS NULL"


def list_courses(
    store: Store,
    tenant: Tenant,
    page: Page,
    *,
    published_only: bool,
    status: str | None = None,
    category_id: str | None = None,
    instructor_id: str | None = None,
) -> tuple[Fragment, int]:
    """One page of course resources as a JSON array, and the total that match.

    Learners' devices poll the catalogue far more often than anyone changes it, so the answer
    is cached until the database next changes.
    """
    key = ("courses", tenant.app_id, tenant.env, page.number, page.size, published_only,
           status, category_id, instructor_id)
    return store.cached(key, lambda: _list_courses(store, tenant, page, published_only, status,
                                                   category_id, instructor_id))


def _list_courses(
    store: Store, tenant: Tenant, page: Page, published_only: bool,
    status: str | None, category_id: str | None, instructor_id: str | None,
) -> tuple[Fragment, int]:
    where, params = "", [tenant.app_id, tenant.env]
    if published_only:
        where += " AND c.status = 'published'"
    for column, value in (("status", status), ("category_id", category_id), ("instructor_id", instructor_id)):
        if value is not None:
            where += f" AND c.{column} = ?"
            params.append(value)
    total = store.scalar(f"SELECT COUNT(*) {_LIVE}{where}", params)
    # Concatenated, not json_group_array: the resources are JSON already and need no re-parsing.
    page_json = store.scalar(
        f"SELECT '[' || COALESCE(group_concat(resource, ','), '') || ']' FROM "
        f"(SELECT {_RESOURCE_JSON} AS resource {_LIVE}{where} ORDER BY c.id LIMIT ? OFFSET ?)",
        [*params, page.size, page.offset],
    )
    return raw_json(page_json), total


def get_course(store: Store, tenant: Tenant, course_id: str, *, published_only: bool = False) -> Row:
    """The live course, or `course_not_found` (also for drafts when only published ones are visible).

    The row has the table's columns and `resource`, the course's JSON:API resource object.
    """
    row = store.one(f"SELECT c.*, {_RESOURCE_JSON} AS resource {_LIVE} AND c.id = ?",
                    (tenant.app_id, tenant.env, course_id))
    if row is None or (published_only and row["status"] != "published"):
        raise not_found("course", course_id)
    return row


def create_course(store: Store, tenant: Tenant, attrs: CourseCreate) -> Row:
    now = now_iso()
    settings = _merge_settings(store, tenant, {}, attrs.settings)
    course_id = new_id("course")
    with store.transaction() as db:
        slug = _claim_slug(store, tenant, attrs.slug, attrs.title, course_id, explicit=attrs.slug is not None)
        db.table("courses").insert(
            {
                "id": course_id,
                "app_id": tenant.app_id,
                "env": tenant.env,
                "title": attrs.title,
                "description": attrs.description,
                "slug": slug,
                "status": attrs.status,
                "thumbnail_url": attrs.thumbnail_url,
                "category_id": attrs.category_id,
                "instructor_id": attrs.instructor_id,
                "settings": dumps(settings),
                "created_at": now,
                "updated_at": now,
                "deleted_at": None,
            }
        )
    return get_course(store, tenant, course_id)


def update_course(store: Store, tenant: Tenant, course_id: str, changes: dict[str, Any]) -> Row:
    with store.transaction() as db:
        current = get_course(store, tenant, course_id)
        if "settings" in changes:
            changes["settings"] = dumps(_merge_settings(store, tenant, loads(current["settings"]), changes["settings"]))
        if "slug" in changes and changes["slug"] != current["slug"]:
            _claim_slug(store, tenant, changes["slug"], current["title"], course_id, explicit=True)
        if changes:
            changes["updated_at"] = now_iso()
            db.table("courses").update(course_id, changes)
    return get_course(store, tenant, course_id)


def delete_course(store: Store, tenant: Tenant, course_id: str) -> None:
    with store.transaction() as db:
        get_course(store, tenant, course_id)
        now = now_iso()
        db.table("courses").update(course_id, {"deleted_at": now, "updated_at": now})


def refresh_totals(db: Any, course_id: str, now: str) -> None:
    """Recompute module and course totals from the live rows; a structure change touches the course."""
    db.execute(
        """UPDATE modules SET
             lesson_count = (SELECT COUNT(*) FROM lessons l WHERE l.module_id = modules.id AND l.deleted_at IS NULL),
             duration_minutes = (SELECT COALESCE(SUM(l.duration_minutes), 0) FROM lessons l
                                 WHERE l.module_id = modules.id AND l.deleted_at IS NULL)
           WHERE course_id = ? AND deleted_at IS NULL""",
        (course_id,),
    )
    db.execute(
        """UPDATE courses SET
             module_count = (SELECT COUNT(*) FROM modules m WHERE m.course_id = courses.id AND m.deleted_at IS NULL),
             lesson_count = (SELECT COUNT(*) FROM lessons l WHERE l.course_id = courses.id AND l.deleted_at IS NULL),
             duration_minutes = (SELECT COALESCE(SUM(l.duration_minutes), 0) FROM lessons l
                                 WHERE l.course_id = courses.id AND l.deleted_at IS NULL),
             updated_at = ?
           WHERE id = ?""",
        (now, course_id),
    )


def course_resource(row: Row, **relationships: dict[str, Any]) -> Any:
    """The course's resource object, with extra relationship linkage (from `include`) if given."""
    if not relationships:
        return raw_json(row["resource"])
    data = loads(row["resource"])
    data["relationships"].update(relationships)
    return data


def _merge_settings(store: Store, tenant: Tenant, current: dict[str, Any],
                    patch: CourseSettingsPatch | None) -> dict[str, Any]:
    """Stored settings with the sent keys applied, every key present, all validated."""
    merged = {**CourseSettings.model_validate({}).model_dump(), **current}
    if patch is not None:
        merged.update({name: getattr(patch, name) for name in patch.model_fields_set})
        template_id = patch.certificate_template_id if "certificate_template_id" in patch.model_fields_set else None
        if template_id and not store.scalar("SELECT 1 FROM certificate_templates WHERE app_id = ? AND env = ? "
                                            "AND id = ? AND deleted_at IS NULL", (tenant.app_id, tenant.env, template_id)):
            raise ApiError(404, "certificate_template_not_found", f"No certificate template '{template_id}'.",
                           pointer="/data/attributes/settings/certificate_template_id")
    return CourseSettings.model_validate(merged).model_dump()


def slugify(text: str) -> str:
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:80].rstrip("-") or "course"


def _claim_slug(
    store: Store, tenant: Tenant, wanted: str | None, title: str, course_id: str, *, explicit: bool
) -> str:
    """A slug free in the tenant: the one asked for (409 if taken) or one made from the title."""

    def taken(slug: str) -> bool:
        return store.scalar(
            "SELECT 1 FROM courses WHERE app_id = ? AND env = ? AND slug = ? AND id != ?",
            (tenant.app_id, tenant.env, slug, course_id),
        ) is not None

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
