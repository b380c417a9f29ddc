"""Courses: the SQL and the rules.

Counts and durations are derived in the query that reads the course, never stored, so they are
right at every moment. Deletion is soft: the row stays (learning records point at it) but the
course is gone from every list and get.
"""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from university_local.core.clock import now_iso
from university_local.core.db import Store, dumps
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource, to_one
from university_local.core.pagination import Page
from university_local.courses.models import CourseCreate, CourseSettings, CourseSettingsPatch
from university_local.tenancy.models import Tenant

# enrollment_count is 0 until the enrollments feature adds its table and replaces this column.
_SELECT = """
SELECT c.*,
  (SELECT COUNT(*) FROM modules m WHERE m.course_id = c.id AND m.deleted_at IS NULL) AS module_count,
  (SELECT COUNT(*) FROM lessons l WHERE l.course_id = c.id AND l.deleted_at IS NULL) AS lesson_count,
  (SELECT COALESCE(SUM(l.duration_minutes), 0) FROM lessons l
     WHERE l.course_id = c.id AND l.deleted_at IS NULL) AS duration_minutes,
  0 AS enrollment_count
FROM courses c
WHERE c.app_id = ? AND c.env = ? AND c.deleted_at IS NULL
"""

_ATTRIBUTES = (
    "title", "description", "slug", "status", "thumbnail_url", "category_id", "instructor_id",
    "duration_minutes", "module_count", "lesson_count", "enrollment_count",
)


def list_courses(
    store: Store,
    tenant: Tenant,
    page: Page,
    *,
    published_only: bool,
    status: str | None = None,
    category_id: str | None = None,
    instructor_id: str | None = None,
) -> tuple[list[dict[str, Any]], int]:
    where, params = "", [tenant.app_id, tenant.env]
    if published_only:
        where += " AND c.status = 'published'"
    for column, value in (("status", status), ("category_id", category_id), ("instructor_id", instructor_id)):
        if value is not None:
            where += f" AND c.{column} = ?"
            params.append(value)
    total = store.scalar(
        "SELECT COUNT(*) FROM courses c WHERE c.app_id = ? AND c.env = ? AND c.deleted_at IS NULL" + where,
        params,
    )
    rows = store.all(_SELECT + where + " ORDER BY c.id LIMIT ? OFFSET ?", [*params, page.size, page.offset])
    return rows, total


def get_course(store: Store, tenant: Tenant, course_id: str, *, published_only: bool = False) -> dict[str, Any]:
    """The live course, or `course_not_found` (also for drafts when only published ones are visible)."""
    row = store.one(_SELECT + " AND c.id = ?", (tenant.app_id, tenant.env, course_id))
    if row is None or (published_only and row["status"] != "published"):
        raise not_found("course", course_id)
    return row


def create_course(store: Store, tenant: Tenant, attrs: CourseCreate) -> dict[str, Any]:
    now = now_iso()
    settings = _merge_settings({}, attrs.settings)
    course_id = new_id("course")
    with store.transaction() as db:
        slug = _claim_slug(store, tenant, attrs.slug, attrs.title, course_id, explicit=attrs.slug is not None)
        db["courses"].insert(
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


def update_course(store: Store, tenant: Tenant, course_id: str, changes: dict[str, Any]) -> dict[str, Any]:
    with store.transaction() as db:
        current = get_course(store, tenant, course_id)
        if "settings" in changes:
            changes["settings"] = dumps(_merge_settings(json.loads(current["settings"]), changes["settings"]))
        if "slug" in changes and changes["slug"] != current["slug"]:
            _claim_slug(store, tenant, changes["slug"], current["title"], course_id, explicit=True)
        if changes:
            changes["updated_at"] = now_iso()
            db["courses"].update(course_id, changes)
    return get_course(store, tenant, course_id)


def delete_course(store: Store, tenant: Tenant, course_id: str) -> None:
    with store.transaction() as db:
        get_course(store, tenant, course_id)
        now = now_iso()
        db["courses"].update(course_id, {"deleted_at": now, "updated_at": now})


def course_resource(row: dict[str, Any], **relationships: dict[str, Any]) -> dict[str, Any]:
    attributes = {name: row[name] for name in _ATTRIBUTES}
    attributes["rating"] = None  # no ratings are recorded yet
    attributes["settings"] = json.loads(row["settings"])
    attributes["created_at"] = row["created_at"]
    attributes["updated_at"] = row["updated_at"]
    return resource(
        "course",
        row["id"],
        attributes,
        {
            "instructor": to_one("user", row["instructor_id"]),
            "category": to_one("category", row["category_id"]),
            **relationships,
        },
    )


def _merge_settings(current: dict[str, Any], patch: CourseSettingsPatch | None) -> dict[str, Any]:
    """Stored settings with the sent keys applied, every key present, all validated."""
    merged = {**CourseSettings().model_dump(), **current}
    if patch is not None:
        merged.update({name: getattr(patch, name) for name in patch.model_fields_set})
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
