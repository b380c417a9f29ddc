"""Modules: the SQL and the rules. Positions stay dense (1..n) within a course."""

from __future__ import annotations

from typing import Any

from university_local.core import ordering
from university_local.core.clock import now_iso
from university_local.core.db import Db, Row
from university_local.core.errors import not_found
from university_local.core.ids import new_id
from university_local.courses.service import get_course, refresh_totals
from university_local.modules.models import ModuleCreate

# Only modules of live courses exist for the API; learners see those of published courses.
_SELECT = """
SELECT m.* FROM modules m JOIN courses c ON c.id = m.course_id AND +c.app_id = :app AND +c.env = :env
WHERE m.app_id = :app AND m.env = :env AND m.deleted_at IS NULL AND c.deleted_at IS NULL
"""


def _visibility(db: Db) -> str:
    return " AND c.status = 'published'" if db.published_only else ""


def list_modules(db: Db, course_id: str) -> list[Row]:
    """The course's modules in order (the course must be visible to the caller)."""
    get_course(db, course_id)
    return db.all(_SELECT + " AND m.course_id = :course ORDER BY m.position", {"course": course_id})


def get_module(db: Db, module_id: str) -> Row:
    row = db.one(_SELECT + _visibility(db) + " AND m.id = :id", {"id": module_id})
    if row is None:
        raise not_found("module", module_id)
    return row


def create_module(db: Db, course_id: str, attrs: ModuleCreate) -> Row:
    module_id, now = new_id("module"), now_iso()
    with db.transaction():
        get_course(db, course_id)
        position = ordering.open_slot(db, "modules", "course_id", course_id, attrs.position)
        db.insert("modules", {
            "id": module_id, "course_id": course_id, "title": attrs.title, "description": attrs.description,
            "position": position, "unlock_at": attrs.unlock_at, "created_at": now, "updated_at": now,
            "deleted_at": None,
        })
        refresh_totals(db, course_id, now)
    return get_module(db, module_id)


def update_module(db: Db, module_id: str, changes: dict[str, Any]) -> Row:
    with db.transaction():
        current = get_module(db, module_id)
        if "position" in changes:
            ordering.move(db, "modules", "course_id", current["course_id"], module_id,
                          current["position"], changes.pop("position"))
        now = now_iso()
        db.update("modules", module_id, {**changes, "updated_at": now})
        refresh_totals(db, current["course_id"], now)
    return get_module(db, module_id)


def delete_module(db: Db, module_id: str) -> None:
    """Soft-delete the module and its lessons together; learning records keep their targets."""
    with db.transaction():
        current = get_module(db, module_id)
        now = now_iso()
        db.execute("UPDATE lessons SET deleted_at = :now WHERE module_id = :module AND deleted_at IS NULL "
                   "AND app_id = :app AND env = :env", {"now": now, "module": module_id})
        db.update("modules", module_id, {"deleted_at": now, "updated_at": now})
        ordering.close_slot(db, "modules", "course_id", current["course_id"], current["position"])
        refresh_totals(db, current["course_id"], now)


def reorder_modules(db: Db, course_id: str, module_ids: list[str]) -> list[Row]:
    with db.transaction():
        get_course(db, course_id)
        ordering.reorder(db, "modules", "course_id", course_id, module_ids, "module_ids")
        refresh_totals(db, course_id, now_iso())
    return list_modules(db, course_id)
