"""Lessons: the SQL and the rules. Positions stay dense (1..n) within a module."""

from __future__ import annotations

from typing import Any

from university_local.core import ordering
from university_local.core.clock import now_iso
from university_local.core.db import Row, Store, dumps, loads, raw_json
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.core.jsonapi import resource, to_one
from university_local.courses.service import refresh_totals
from university_local.lessons.content import clean_content, duration_minutes
from university_local.lessons.models import LessonCreate
from university_local.modules.service import get_module
from university_local.tenancy.apps import embed_hosts
from university_local.tenancy.models import Tenant

_SELECT = """
SELECT l.* FROM lessons l
JOIN modules m ON m.id = l.module_id JOIN courses c ON c.id = l.course_id
WHERE l.app_id = ? AND l.env = ? AND l.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL
"""

_ATTRIBUTES = ("course_id", "module_id", "title", "description", "position", "content_type",
               "duration_minutes", "created_at", "updated_at")


def _visibility(published_only: bool) -> str:
    return " AND c.status = 'published'" if published_only else ""


def list_lessons(store: Store, tenant: Tenant, module_id: str, *, published_only: bool = False) -> list[Row]:
    get_module(store, tenant, module_id, published_only=published_only)
    return store.all(_SELECT + " AND l.module_id = ? ORDER BY l.position", (tenant.app_id, tenant.env, module_id))


def list_course_lessons(store: Store, tenant: Tenant, course_id: str) -> list[Row]:
    """Every lesson of a course in reading order (module position, then lesson position)."""
    return store.all(
        _SELECT + " AND l.course_id = ? ORDER BY m.position, l.position", (tenant.app_id, tenant.env, course_id)
    )


def get_lesson(store: Store, tenant: Tenant, lesson_id: str, *, published_only: bool = False) -> Row:
    row = store.one(_SELECT + _visibility(published_only) + " AND l.id = ?", (tenant.app_id, tenant.env, lesson_id))
    if row is None:
        raise not_found("lesson", lesson_id)
    return row


def create_lesson(store: Store, tenant: Tenant, module_id: str, attrs: LessonCreate) -> Row:
    content = clean_content(attrs.content_type, attrs.content, embed_hosts(store, tenant.app_id))
    lesson_id, now = new_id("lesson"), now_iso()
    with store.transaction() as db:
        module = get_module(store, tenant, module_id)
        position = ordering.open_slot(db, "lessons", "module_id", module_id, attrs.position)
        db.table("lessons").insert(
            {
                "id": lesson_id, "app_id": tenant.app_id, "env": tenant.env,
                "course_id": module["course_id"], "module_id": module_id,
                "title": attrs.title, "description": attrs.description, "position": position,
                "content_type": attrs.content_type, "content": dumps(content),
                "duration_minutes": duration_minutes(attrs.content_type, content),
                "free_preview": int(attrs.free_preview), "required": int(attrs.required),
                "created_at": now, "updated_at": now, "deleted_at": None,
            }
        )
        refresh_totals(db, module["course_id"], now)
    return get_lesson(store, tenant, lesson_id)


def update_lesson(store: Store, tenant: Tenant, lesson_id: str, changes: dict[str, Any]) -> Row:
    with store.transaction() as db:
        current = get_lesson(store, tenant, lesson_id)
        now = now_iso()
        if "content_type" in changes or "content" in changes:
            content_type = changes.get("content_type", current["content_type"])
            if content_type != current["content_type"] and "content" not in changes:
                raise ApiError(422, "validation_error", "Changing content_type needs the new content as well.",
                               pointer="/data/attributes/content")
            raw = changes.get("content", loads(current["content"]))
            content = clean_content(content_type, raw, embed_hosts(store, tenant.app_id))
            changes["content"] = dumps(content)
            changes["duration_minutes"] = duration_minutes(content_type, content)
        for flag in ("free_preview", "required"):
            if flag in changes:
                changes[flag] = int(changes[flag])
        if "module_id" in changes and changes["module_id"] != current["module_id"]:
            _move_to_module(store, db, tenant, current, changes.pop("module_id"), changes.pop("position", None))
        else:
            changes.pop("module_id", None)
            if "position" in changes:
                ordering.move(db, "lessons", "module_id", current["module_id"], lesson_id,
                              current["position"], changes.pop("position"))
        db.table("lessons").update(lesson_id, {**changes, "updated_at": now})
        refresh_totals(db, current["course_id"], now)
    return get_lesson(store, tenant, lesson_id)


def _move_to_module(store: Store, db: Any, tenant: Tenant, lesson: Row, target_id: str,
                    position: int | None) -> None:
    try:
        target = get_module(store, tenant, target_id)
    except ApiError:
        raise ApiError(422, "module_not_found", f"Module '{target_id}' was not found.",
                       pointer="/data/attributes/module_id") from None
    if target["course_id"] != lesson["course_id"]:
        raise ApiError(422, "validation_error", "A lesson can only move to a module of its own course.",
                       pointer="/data/attributes/module_id")
    ordering.close_slot(db, "lessons", "module_id", lesson["module_id"], lesson["position"])
    new_position = ordering.open_slot(db, "lessons", "module_id", target_id, position)
    db.execute("UPDATE lessons SET module_id = ?, position = ? WHERE id = ?", (target_id, new_position, lesson["id"]))


def delete_lesson(store: Store, tenant: Tenant, lesson_id: str) -> None:
    with store.transaction() as db:
        current = get_lesson(store, tenant, lesson_id)
        now = now_iso()
        db.table("lessons").update(lesson_id, {"deleted_at": now, "updated_at": now})
        ordering.close_slot(db, "lessons", "module_id", current["module_id"], current["position"])
        refresh_totals(db, current["course_id"], now)


def reorder_lessons(store: Store, tenant: Tenant, module_id: str, lesson_ids: list[str]) -> list[Row]:
    with store.transaction() as db:
        module = get_module(store, tenant, module_id)
        ordering.reorder(db, "lessons", "module_id", module_id, lesson_ids, "lesson_ids")
        refresh_totals(db, module["course_id"], now_iso())
    return list_lessons(store, tenant, module_id)


def lesson_resource(row: Row) -> dict[str, Any]:
    attributes = {name: row[name] for name in _ATTRIBUTES}
    attributes["content"] = raw_json(row["content"])
    attributes["free_preview"] = bool(row["free_preview"])
    attributes["required"] = bool(row["required"])
    return resource(
        "lesson", row["id"], attributes,
        {"module": to_one("module", row["module_id"]), "course": to_one("course", row["course_id"])},
    )
