"""Lessons: the SQL and the rules. Positions stay dense (1..n) within a module."""

from __future__ import annotations

from typing import Any

from university_local.core import ordering
from university_local.core.clock import now_iso
from university_local.core.db import Db, Row, dumps, loads
from university_local.core.errors import ApiError, not_found
from university_local.core.ids import new_id
from university_local.courses.service import refresh_totals
from university_local.lessons.content import clean_content, duration_minutes
from university_local.lessons.models import LessonCreate
from university_local.modules.service import get_module
from university_local.tenancy.apps import embed_hosts

_SELECT = """
SELECT l.* FROM lessons l
JOIN modules m ON m.id = l.module_id AND +m.app_id = :app AND +m.env = :env
JOIN courses c ON c.id = l.course_id AND +c.app_id = :app AND +c.env = :env
WHERE l.app_id = :app AND l.env = :env AND l.deleted_at IS NULL AND m.deleted_at IS NULL AND c.deleted_at IS NULL
"""


def _visibility(db: Db) -> str:
    return " AND c.status = 'published'" if db.published_only else ""


def list_lessons(db: Db, module_id: str) -> list[Row]:
    """The module's lessons in order (the module must be visible to the caller)."""
    get_module(db, module_id)
    return db.all(_SELECT + " AND l.module_id = :module ORDER BY l.position", {"module": module_id})


def list_course_lessons(db: Db, course_id: str) -> list[Row]:
    """Every live lesson of a course in reading order (module position, then lesson position),
    whatever the course's status: the caller has decided the course may be read."""
    return db.all(_SELECT + " AND l.course_id = :course ORDER BY m.position, l.position", {"course": course_id})


def get_lesson(db: Db, lesson_id: str) -> Row:
    row = db.one(_SELECT + _visibility(db) + " AND l.id = :id", {"id": lesson_id})
    if row is None:
        raise not_found("lesson", lesson_id)
    return row


def create_lesson(db: Db, module_id: str, attrs: LessonCreate) -> Row:
    content = clean_content(attrs.content_type, attrs.content, embed_hosts(db.site, db.tenant.app_id))
    lesson_id, now = new_id("lesson"), now_iso()
    with db.transaction():
        module = get_module(db, module_id)
        position = ordering.open_slot(db, "lessons", "module_id", module_id, attrs.position)
        db.insert("lessons", {
            "id": lesson_id, "course_id": module["course_id"], "module_id": module_id, "title": attrs.title,
            "description": attrs.description, "position": position, "content_type": attrs.content_type,
            "content": dumps(content), "duration_minutes": duration_minutes(attrs.content_type, content),
            "free_preview": int(attrs.free_preview), "required": int(attrs.required),
            "created_at": now, "updated_at": now, "deleted_at": None,
        })
        refresh_totals(db, module["course_id"], now)
    return get_lesson(db, lesson_id)


def update_lesson(db: Db, lesson_id: str, changes: dict[str, Any]) -> Row:
    with db.transaction():
        current = get_lesson(db, lesson_id)
        now = now_iso()
        if "content_type" in changes or "content" in changes:
            content_type = changes.get("content_type", current["content_type"])
            if content_type != current["content_type"] and "content" not in changes:
                raise ApiError(422, "validation_error", "Changing content_type needs the new content as well.",
                               pointer="/data/attributes/content")
            raw = changes.get("content", loads(current["content"]))
            content = clean_content(content_type, raw, embed_hosts(db.site, db.tenant.app_id))
            changes["content"] = dumps(content)
            changes["duration_minutes"] = duration_minutes(content_type, content)
        for flag in ("free_preview", "required"):
            if flag in changes:
                changes[flag] = int(changes[flag])
        if "module_id" in changes and changes["module_id"] != current["module_id"]:
            _move_to_module(db, current, changes.pop("module_id"), changes.pop("position", None))
        else:
            changes.pop("module_id", None)
            if "position" in changes:
                ordering.move(db, "lessons", "module_id", current["module_id"], lesson_id,
                              current["position"], changes.pop("position"))
        db.update("lessons", lesson_id, {**changes, "updated_at": now})
        refresh_totals(db, current["course_id"], now)
    return get_lesson(db, lesson_id)


def _move_to_module(db: Db, lesson: Row, target_id: str, position: int | None) -> None:
    try:
        target = get_module(db, target_id)
    except ApiError:
        raise ApiError(422, "module_not_found", f"Module '{target_id}' was not found.",
                       pointer="/data/attributes/module_id") from None
    if target["course_id"] != lesson["course_id"]:
        raise ApiError(422, "validation_error", "A lesson can only move to a module of its own course.",
                       pointer="/data/attributes/module_id")
    ordering.close_slot(db, "lessons", "module_id", lesson["module_id"], lesson["position"])
    new_position = ordering.open_slot(db, "lessons", "module_id", target_id, position)
    db.update("lessons", lesson["id"], {"module_id": target_id, "position": new_position})


def delete_lesson(db: Db, lesson_id: str) -> None:
    with db.transaction():
        current = get_lesson(db, lesson_id)
        now = now_iso()
        db.update("lessons", lesson_id, {"deleted_at": now, "updated_at": now})
        ordering.close_slot(db, "lessons", "module_id", current["module_id"], current["position"])
        refresh_totals(db, current["course_id"], now)


def reorder_lessons(db: Db, module_id: str, lesson_ids: list[str]) -> list[Row]:
    with db.transaction():
        module = get_module(db, module_id)
        ordering.reorder(db, "lessons", "module_id", module_id, lesson_ids, "lesson_ids")
        refresh_totals(db, module["course_id"], now_iso())
    return list_lessons(db, module_id)
